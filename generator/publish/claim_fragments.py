"""Claim pages without Jinja: what `kb/claim.html` and the claim's `kb/partials/head.html` make, in Python.

At 100,000 claims the templates were the largest cost of writing the claim pages: Jinja's macro calls, the
include of the citation block and a new context for each were most of a page's CPU. `ClaimPages` writes the
same bytes (tests/test_claim_fast.py compares it with the templates over the fixture corpus, a synthetic one
and hostile text), with what a paper's or a ledger's claims share worked out once: their citation (made for a
stand-in id, `by_claim_id`), the JSON of its twin and of the head's ClaimReview, so a claim's own text is all
that is encoded for each. It stands in only while every template it replaces is the bundled one (`bundled`):
an override in `overrides/kb/` is rendered by Jinja as before.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import jinja2
from markupsafe import escape

from generator import urls
from generator.model.paper_ids import paper_label
from generator.model.records import Claim
from generator.pipeline.render import (
    STAND_IN,
    ClaimRows,
    Renderer,
    cite_block,
    claim_json,
    edit_paragraph,
    escape_text,
    json_for_script,
    plain_text,
    templates_bundled,
    visible_html,
    visible_text,
)
from generator.publish import metadata
from generator.publish.cite import Citations, ClaimCitation, PageCitation, absolute_url, maintainers

TEMPLATES = ("kb/claim.html", "kb/partials/macros.html", "kb/partials/cite.html", "kb/partials/head.html")
"""What a claim page is made from: an override of any of them is rendered by Jinja."""
SHELL_URL = urls.claim_url(STAND_IN)
"""Every claim page is two levels deep (`claims/c-…/`): links to other pages are the same from any of them."""
ID_STAND_INS = (STAND_IN, "c-fedcba98")
"""Claim ids for what claims share but their id (`by_claim_id`): the second checks what the first made."""


class Page(NamedTuple):
    """What a claim page's shell is filled with (title and description escaped) and its JSON twin."""

    url: str
    title: str
    description: str
    head: str
    content: str
    twin: bytes


def bundled(env: jinja2.Environment) -> bool:
    """Whether `env` finds the bundled file of every template in TEMPLATES (none is overridden)."""
    return templates_bundled(env, TEMPLATES)


CLAIM_TABLE = (
    '<div class="kb-table-wrap" role="region" aria-label="Claim evidence" tabindex="0"><table class="kb-claims">'
    '<thead><tr><th scope="col">Status</th><th scope="col">Evidence</th><th scope="col">Depth</th>'
    '<th scope="col">Quote</th><th scope="col">Page</th><th scope="col">Fit</th><th scope="col">Audit</th></tr>'
    "</thead>\n"
)
RETRACTED = (
    '<div class="admonition danger kb-banner" role="note"><p class="admonition-title">Rests on a retracted paper'
    "</p><p>The paper this claim is about has been retracted or withdrawn.</p></div>"
)


json_text = functools.partial(json.dumps, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
"""A JSON twin's text (render.twin_json)."""
json_string: Callable[[str], str] = json.encoder.encode_basestring
"""The function `json_text` encodes every string with: C, when the interpreter has json's accelerator."""


def script_string(text: str) -> str:
    """`json_for_script` of a str (json's text of it is `json_string`'s), without json.dumps' encoder and a
    Markup: twice a claim page."""
    text = json_string(text).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def json_object(values: Mapping[str, object], encoded: Mapping[str, str]) -> str:
    """`json_text` of `values` and `encoded` in one object, where `encoded` holds values that are JSON already:
    the citation a paper's claims share but for their id is made JSON once. Strings and integers, all of a
    claim's record, are written here as json's encoder writes them; anything else by json. Every claim has the
    same keys: they are sorted and encoded once (`_layout`), and the values put in their places by `%`."""
    template, ordered = _layout((*values, *encoded))
    texts = [json_string(value) if type(value) is str else _json_value(value) for value in values.values()]
    texts += encoded.values()
    return template % ordered(texts)


@functools.lru_cache(maxsize=64)
def _layout(keys: tuple[str, ...]) -> tuple[str, Callable[[list[str]], tuple[str, ...]]]:
    """An object's text with a `%s` for each value, keys in sorted order (`sort_keys`; they differ), and what
    takes the values' texts, in the order of `keys`, into that order."""
    order = sorted(range(len(keys)), key=keys.__getitem__)
    template = "{" + ",".join(json_string(keys[index]).replace("%", "%%") + ":%s" for index in order) + "}"
    return template, lambda texts: tuple([texts[index] for index in order])


def _json_value(value: object) -> str:
    if type(value) is int:  # not bool, which json writes as `true`
        return int.__repr__(value)
    return json_text(value)


def by_claim_id(make: Callable[[str], tuple[str, ...]]) -> Callable[[str], tuple[str, ...]]:
    """What `make` gives for any claim id, from its texts for a stand-in id cut where that id shows: what the
    claims of a paper share but for their id is made once. `make` itself when a second stand-in shows the cut
    does not hold (the id is written changed, or other text holds the stand-in)."""
    first, second = ID_STAND_INS
    cuts = [text.split(first) for text in make(first)]
    if tuple(second.join(cut) for cut in cuts) != make(second):
        return make
    return lambda claim_id: tuple(claim_id.join(cut) for cut in cuts)


class ClaimPages:
    """`page(claim)`: what the claim's page is filled in with and its twin, as `claim_pages.templated_page`
    makes them through the templates."""

    def __init__(self, renderer: Renderer) -> None:
        self.view, self.site = renderer.view, renderer.site
        self.links = renderer.links(SHELL_URL)
        rows = renderer.env.globals["claim_rows"]
        assert isinstance(rows, ClaimRows)  # make_environment's
        self.rows = rows
        self.papers: dict[str, tuple[str, str]] = {}
        """Paper id (as a ledger row names it) -> how its claims name it: (`<p>About …`, the link to its claim
        table, without the claim's id)."""
        self.ledgers: dict[str, tuple[str, str]] = {}
        """Ledger path -> (the end of the claim table up to the row number, the edit link)."""
        report = self.links.report(f"claim {STAND_IN}", SHELL_URL)
        self.report = str(escape(report)).rsplit(STAND_IN, 2) if report else []
        """The `Report a problem` link around the claim's id, which its query names twice, at the end."""
        self.cited_alike: dict[ClaimCitation, Callable[[str], tuple[str, ...]]] = {}
        """How a paper's claims are cited -> their `cited` texts from their id."""
        settings = self.site.settings
        self.review_urls = by_claim_id(
            lambda cid: tuple(
                str(json_for_script(absolute_url(settings, urls.claim_url(cid)) + end))
                for end in ("#review", "#claim", "")
            )
        )
        self.reviewer = (
            f'{{"@context":{json_for_script(metadata.SCHEMA_ORG)},"@id":',
            f',"@type":"ClaimReview","author":{json_for_script(metadata.organisation(maintainers(settings)))}',
        )
        self.reviewed: dict[str, tuple[str, str, str]] = {}
        """Paper id (as a ledger row names it) -> the ClaimReview's article (`appearance`), its retraction
        (`reviewAspect`) and the start of its `reviewBody`, as every claim about that paper version has them."""
        self.ratings: dict[str, str] = {}
        """Claim status -> the ClaimReview's `reviewRating`."""

    def page(self, claim: Claim) -> Page:
        url, title = urls.claim_url(claim.claim_id), f"Claim {claim.claim_id}"  # the id is `c-` and hex
        cite, cite_json = self.cited(url)
        # `claim_pages.claim_page` adds the citation to the record; the twin is `render.twin_json` of it.
        record = {"url": url, "kind": "claim", "title": title, **claim_json(claim)}
        twin = json_object(record, {"cite": cite_json} if cite_json else {})
        description = escape_text(plain_text(claim.claim))
        return Page(url, title, description, self.head(claim), self.fragment(claim, url, cite), twin.encode())

    def head(self, claim: Claim) -> str:
        """`metadata.render_head` of a claim page: no meta tags, OpenGraph or feed link, only its ClaimReview,
        `json_for_script(metadata.claim_jsonld(…))`: its keys in sorted order around what the claims of a paper
        version share and each status's rating, as `claim_jsonld` made them for the first such claim. Only the
        claim's own text is encoded for each (a ClaimReview of 1.5 KB encoded whole was a fifth of a page)."""
        paper, rating = self.reviewed.get(claim.paper_id), self.ratings.get(claim.claim_status)
        if paper is None or rating is None:
            data = metadata.claim_jsonld(self.site, claim)
            aspect = f',"reviewAspect":{json_for_script(data["reviewAspect"])}' if "reviewAspect" in data else ""
            paper = self.reviewed[claim.paper_id] = (
                str(json_for_script(data["itemReviewed"]["appearance"])), aspect,
                f"Evidence quoted from {paper_label(claim.paper_id)}",
            )  # fmt: skip
            rating = self.ratings[claim.claim_status] = str(json_for_script(data["reviewRating"]))
        appearance, aspect, quoted_from = paper
        review, claimed, url = self.review_urls(claim.claim_id)
        body = ""
        if claim.source_quote:
            where = f" ({claim.page_or_section})" if claim.page_or_section else ""
            body = f',"reviewBody":{script_string(f"{quoted_from}{where}: {claim.source_quote}")}'
        start, author = self.reviewer
        return (
            f'<script type="application/ld+json">{start}{review}{author},"claimReviewed":{script_string(claim.claim)}'
            f',"identifier":"{claim.claim_id}","itemReviewed":{{"@id":{claimed},"@type":"Claim","appearance":'
            f'{appearance}}}{aspect}{body},"reviewRating":{rating},"url":{url}}}</script>'
        )

    def cited(self, url: str) -> tuple[str, ...]:
        """The claim page's `Cite this page` block and its citation as its twin holds it ("" if it has none)."""
        citations = self.view.citations
        found = citations.claim_citation(url) if isinstance(citations, Citations) else None
        if found is None:
            return self.cited_as(url, citations.get(url))
        claim_id, made_by = found
        if made_by not in self.cited_alike:
            self.cited_alike[made_by] = by_claim_id(lambda cid: self.cited_as(urls.claim_url(cid), made_by(cid)))
        return self.cited_alike[made_by](claim_id)

    def cited_as(self, url: str, citation: PageCitation | None) -> tuple[str, ...]:
        """`kb/partials/cite.html` for the claim page at `url` (render.cite_block; every claim page is as deep as
        the shell's links) and its twin's citation."""
        block = cite_block(self.links, url, citation)
        return block, json_text({"bibtex": citation.bibtex, "csl": [citation.csl]}) if citation else ""

    def fragment(self, claim: Claim, url: str, cite: str) -> str:
        """`kb/claim.html`. The claim's id is written as it is: `urls.claim_url` has checked it (STAND_IN)."""
        cid = claim.claim_id
        about, table = self.paper(claim)
        recorded, edit = self.ledger(claim.ledger)
        return "".join([
            f'<article class="kb-page kb-claim" data-kb-kind="claim" data-kb-id="{cid}">\n'
            f"<h1>Claim <code>{cid}</code></h1>\n",
            RETRACTED if claim.paper_base in self.view.retracted_papers else "",
            f'<h2 id="claim">Claim</h2>\n<blockquote class="kb-claim-statement">{visible_html(claim.claim)}</blockquote>\n',
            about,
            f'<a href="{table}#{cid}">in the paper\'s claim table</a></p>\n' if table else "</p>\n",
            CLAIM_TABLE,
            f'<tbody><tr id="{cid}">',
            self.rows.cells(self.links, claim, self.view.quote_checks, listing=False),
            f"{recorded}{claim.row}.</p>\n",
            self.corrections(cid),
            cite,
            self.edit_links(cid, edit),
            "\n</article>",
        ])  # fmt: skip

    def paper(self, claim: Claim) -> tuple[str, str]:
        known = self.papers.get(claim.paper_id)
        if known is None:
            base, loaded = claim.paper_base, self.view.papers.get(claim.paper_base)
            version = f" (arXiv <code>{escape(claim.paper_id)}</code>) · "
            if loaded is None:
                known = (f"<p>About <code>{escape(base)}</code>{version}", "")
            else:
                href = escape(self.links.record(base))
                known = (f'<p>About <a href="{href}">{visible_text(loaded.record.title)}</a>{version}', str(href))
            self.papers[claim.paper_id] = known
        return known

    def ledger(self, path: str) -> tuple[str, str]:
        known = self.ledgers.get(path)
        if known is None:
            edit = self.links.edit(path)
            known = self.ledgers[path] = (
                f"</tr></tbody></table></div>\n<p>Recorded in <code>{escape(path)}</code>, line ",
                f'<a href="{escape(edit)}" rel="nofollow">Edit this record</a>' if edit else "",
            )
        return known

    def corrections(self, claim_id: str) -> str:
        events = self.view.corrections_by_claim.get(claim_id, ())
        if not events:
            return ""
        items = "".join(
            f'<li><time datetime="{escape(date)}">{escape(date)}</time> <code>{escape(event.type)}</code>: '
            f'{visible_text(event.description)} (event <a href="{escape(self.links.record(sid))}#correction-'
            f'{escape(event.id)}"><code>{escape(event.id)}</code></a> of {visible_text(self.view.title_of(sid))})</li>'
            for date, sid, event in sorted(events, key=_by_date)
        )
        return f'<h2 id="corrections">Corrections</h2>\n<ol class="kb-history">{items}</ol>'

    def edit_links(self, claim_id: str, edit: str) -> str:
        """The `edit_links` macro."""
        report = f'<a href="{claim_id.join(self.report)}" rel="nofollow">Report a problem</a>' if self.report else ""
        return edit_paragraph(edit, report)


def _by_date(entry: tuple[Any, ...]) -> Any:
    """Jinja's `sort(attribute="0")`: by the first item, text without regard to case."""
    first = entry[0]
    return first.lower() if isinstance(first, str) else first
