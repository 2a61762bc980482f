"""Citations of the knowledge base's own pages: BibTeX, CSL-JSON and an APA-like string.

What is cited is the knowledge-base page (the evidence record), never the
arXiv paper it describes; the paper's own metadata goes into <head> (see
metadata.py), where reference managers look for it.

Release. `extra.kb.release` in mkdocs.yml names the release; when it is empty
the short commit of the working tree (`git rev-parse --short HEAD`, no
network) stands in, and with no git either the release stays empty. The orchestrator (pipeline/build.py) resolves
the release once, before linking, so the data release, the feed and the head
metadata all name the same release; git is read at the edge (sources/git.py).

URL scheme (documented for readers on every "Cite this page" block):

* living URL:         `<site_url><page url>`, e.g. `…/papers/2503.23007/`; always
                      shows the current state of the record.
* version-pinned URL: the release's archive of the whole built site and the
                      page's file inside it (see archive.py), e.g.
                      `…/releases/download/0.2.0/site-0.2.0.zip` and
                      `papers/2503.23007/index.html`; offered only when the
                      release is listed in `extra.kb.archived_releases`, i.e.
                      when that archive exists. Until then a page offers no
                      pinned URL: a citation never names an address that does
                      not resolve. Copies under `releases/<release>/` on Pages
                      were rejected: they do not fit Pages' limits at scale.
                      Query strings (`?release=`) were rejected: a static host
                      ignores them and would silently serve the living page
                      under a "pinned" address.

Titles are cited with their source marks (records.marked_text): a title cut off
in the source is never cited as if it were complete.

Dates. A page's issued date is the `added` date of its record (a claim takes
its paper's); without one the APA string says "n.d." and BibTeX has no year.
Nothing depends on the clock, so the citations of a release never change.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

from generator import urls
from generator.model.paper_ids import paper_label
from generator.model.records import Claim, Paper, Synthesis, marked_text
from generator.model.site import PageCitation, Settings, Site
from generator.publish import archive

STYLE_PATH = Path(__file__).parents[1] / "assets" / "apa-lite.csl"


# --- release and URLs ----------------------------------------------------------------


def site_base(settings: Settings) -> str:
    """site_url with exactly one trailing slash, or "" when no site_url is configured."""
    base = settings.site_url.strip()
    return base.rstrip("/") + "/" if base else ""


def absolute_url(settings: Settings, page_url: str) -> str:
    """The living URL of a page; relative (the page URL itself) when no site_url is set."""
    return site_base(settings) + page_url


def pinned_url(settings: Settings, release: str, page_url: str) -> str:
    """The release archive's URL, with the page's file as the fragment; "" unless the release is archived."""
    url = archive.archive_url(settings, release)
    return f"{url}#{archive.page_file(page_url)}" if url else ""


def maintainers(settings: Settings) -> str:
    """The author of every knowledge-base page: its maintainers, as an entity, never invented people."""
    return f"{settings.site_name} maintainers"


# --- the citation of one page ---------------------------------------------------------------


def bibtex_key(kind: str, identifier: str) -> str:
    """`kb:paper:2503.23007`, `kb:synthesis:SRCH-1244B894`, `kb:claim:c-d9d1c8ac`: ids never change."""
    return f"kb:{kind}:" + re.sub(r"[^A-Za-z0-9.:-]", "-", identifier)


_LATEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


_LATEX_TABLE = str.maketrans(_LATEX_SPECIALS)
_URL_TABLE = str.maketrans({ch: f"%{ord(ch):02X}" for ch in "{}\\ "})


def latex_escape(text: str) -> str:
    """Contributor text as a BibTeX field value: LaTeX specials escaped, line breaks folded."""
    return " ".join(text.split()).translate(_LATEX_TABLE)


def _bibtex_url(url: str) -> str:
    """A URL inside `\\url{}` or `url = {}`: braces, percent and backslash can break the entry."""
    return url.translate(_URL_TABLE)


def render_bibtex(cite: dict[str, Any], settings: Settings) -> str:
    living, pinned = _bibtex_url(cite["living_url"]), _bibtex_url(cite["pinned_url"])
    note = f"{cite['genre']}, {settings.site_name}"
    note = latex_escape(note) + (f", release {latex_escape(cite['release'])}" if cite["release"] else "")
    if pinned:
        note += rf". Archived copy of this page in release {latex_escape(cite['release'])}: \url{{{pinned}}}"
    fields: list[tuple[str, str]] = [
        ("author", "{" + latex_escape(maintainers(settings)) + "}"),
        ("title", "{" + latex_escape(cite["title"]) + "}"),
        ("howpublished", rf"\url{{{living}}}"),
        ("url", living),
        ("organization", latex_escape(settings.site_name)),
    ]
    if cite["release"]:
        fields.append(("version", latex_escape(cite["release"])))
    if cite["issued"]:
        fields.append(("year", cite["issued"][:4]))
    fields.append(("note", note))
    width = max(len(name) for name, _ in fields)
    body = ",\n".join(f"  {name.ljust(width)} = {{{value}}}" for name, value in fields)
    return f"@misc{{{cite['key']},\n{body}\n}}\n"


def render_csl(cite: dict[str, Any], settings: Settings) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": cite["key"],
        "type": cite["csl_type"],
        "title": cite["title"],
        "genre": cite["genre"],
        "author": [{"literal": maintainers(settings)}],
        "container-title": settings.site_name,
        "publisher": settings.site_name,
        "URL": cite["living_url"],
    }
    if cite["release"]:
        item["version"] = cite["release"]
    if cite["issued"]:
        item["issued"] = {"date-parts": [[int(part) for part in cite["issued"].split("-")]]}
    if cite["pinned_url"]:
        item["note"] = f"Archived copy of this page in release {cite['release']}: {cite['pinned_url']}"
    return item


_SLOT = "\x00slot"
# Text citeproc-py copies unchanged into APA-lite output: no quotes, markup, entities or trailing punctuation.
_VERBATIM = re.compile(r"[A-Za-z0-9][A-Za-z0-9 .:/_~+#%=,()\-]*[A-Za-z0-9/)\-]")


def _passes_verbatim(value: object) -> bool:
    return isinstance(value, str) and _VERBATIM.fullmatch(value) is not None


class ApaFormatter:
    """citeproc-py with the bundled APA-lite CSL style and the plain-text formatter."""

    def __init__(self, style_path: Path = STYLE_PATH) -> None:
        from citeproc import CitationStylesStyle  # imported when pages are rendered, never by `kb validate`

        self.style = CitationStylesStyle(str(style_path), validate=False)
        self._templates: dict[tuple[tuple[str, str], ...], str | None] = {}

    def format(self, item: dict[str, Any]) -> str:
        """Format once per shape of item: plain text values are slotted into a cached formatted template.

        citeproc-py takes 2-4 ms an item, most of a large build. Items of one shape differ only in values
        citeproc passes through verbatim (titles, URLs), so one formatting with stand-in tokens serves them all;
        any value it might change (quotes, markup, trailing punctuation) is part of the shape instead.
        """
        if "kbslot" in repr(item).casefold():  # text that looks like a stand-in token is formatted on its own
            return self.format_each(item)
        slots = [key for key, value in sorted(item.items()) if key != "type" and _passes_verbatim(value)]
        shape = tuple((key, _SLOT if key in slots else repr(value)) for key, value in sorted(item.items()))
        if shape not in self._templates:
            tokens = {**item, **{key: f"KBSLOT{index}X" for index, key in enumerate(slots)}}
            formatted = self.format_each(tokens)
            exact = formatted.count("KBSLOT")
            self._templates[shape] = formatted if exact == formatted.casefold().count("kbslot") else None
        template = self._templates[shape]
        if template is None:  # citeproc changed a token (a case transform): this shape is formatted item by item
            return self.format_each(item)
        text = template
        for index, key in enumerate(slots):
            text = text.replace(f"KBSLOT{index}X", item[key])
        return text

    def format_each(self, item: dict[str, Any]) -> str:
        """One citeproc run for one item."""
        from citeproc import Citation, CitationItem, CitationStylesBibliography, formatter
        from citeproc.source.json import CiteProcJSON

        # citeproc-py reads `<span class="nocase">` in strings as markup; contributor
        # text must stay literal, so the opening tag is neutralised before parsing.
        safe = {k: (v.replace("<span", "<\u200bspan") if isinstance(v, str) else v) for k, v in item.items()}
        source = CiteProcJSON([safe])
        bibliography = CitationStylesBibliography(self.style, source, formatter.plain)
        bibliography.register(Citation([CitationItem(str(item["id"]).lower())]))
        text = str(bibliography.bibliography()[0])
        return text.replace("<\u200bspan", "<span")


@functools.cache
def apa_formatter() -> ApaFormatter:
    """One formatter a process: its formatted shapes serve every later build too (`kb serve` rebuilds)."""
    return ApaFormatter()


def make_citation(
    settings: Settings, apa: ApaFormatter, *, kind: str, identifier: str, csl_type: str,
    title: str, genre: str, page_url: str, issued: str | None,
) -> PageCitation:  # fmt: skip
    release = settings.release
    cite: dict[str, Any] = {
        "key": bibtex_key(kind, identifier),
        "csl_type": csl_type,
        "title": title,
        "genre": genre,
        "living_url": absolute_url(settings, page_url),
        "pinned_url": pinned_url(settings, release, page_url),
        "release": release,
        "issued": issued,
    }
    csl = render_csl(cite, settings)
    return PageCitation(
        key=cite["key"],
        kind=kind,
        title=title,
        genre=genre,
        living_url=cite["living_url"],
        pinned_url=cite["pinned_url"],
        release=release,
        issued=issued,
        csl=csl,
        csl_json=json.dumps([csl], ensure_ascii=False, separators=(",", ":")),  # one line: thousands of pages carry it
        bibtex=render_bibtex(cite, settings),
        apa=apa.format(csl),
    )


def paper_citation(settings: Settings, apa: ApaFormatter, paper: Paper) -> PageCitation:
    return make_citation(
        settings, apa, kind="paper", identifier=paper.id, csl_type="webpage", title=marked_text(paper, "title"),
        genre=f"Evidence record for {paper_label(paper.id)}", page_url=urls.paper_url(paper.id), issued=paper.added,
    )  # fmt: skip


def synthesis_citation(settings: Settings, apa: ApaFormatter, synthesis: Synthesis) -> PageCitation:
    return make_citation(
        settings, apa, kind="synthesis", identifier=synthesis.id.replace(":", "-"), csl_type="webpage",
        title=marked_text(synthesis, "title"), genre=f"Synthesis record {synthesis.id}", page_url=urls.synthesis_url(synthesis.id),
        issued=synthesis.added,
    )  # fmt: skip


def claim_citation(settings: Settings, apa: ApaFormatter, claim: Claim, paper: Paper | None) -> PageCitation:
    return make_citation(
        settings, apa, kind="claim", identifier=claim.claim_id, csl_type="dataset", title=f"Claim {claim.claim_id}",
        genre=f"Evidence-ledger claim about {paper_label(claim.paper_id)}", page_url=urls.claim_url(claim.claim_id),
        issued=paper.added if paper else None,
    )  # fmt: skip


class Citations(Mapping[str, PageCitation]):
    """Every cited page's citation by page URL; a claim's is made when its page asks for it.

    Claims are most pages (100,000 at scale), and their citations are read once each, by their
    own page: made on demand they never sit in memory all at once, and the claim-page writers
    make them on every core.
    """

    def __init__(self, site: Site, records: dict[str, PageCitation]) -> None:
        self.settings = site.settings
        self.apa = apa_formatter()
        self.records = records
        self.claims = {
            urls.claim_url(claim.claim_id): (claim, site.papers.get(pid))
            for pid in sorted(site.claims_by_paper)
            for claim in site.claims_by_paper[pid]
        }
        self.last: tuple[str, PageCitation] | None = None
        """The claim citation made last: a claim page reads its own twice (the page and its JSON twin)."""

    def __getitem__(self, url: str) -> PageCitation:
        if url in self.records:
            return self.records[url]
        if self.last is not None and self.last[0] == url:
            return self.last[1]
        claim, paper = self.claims[url]
        citation = claim_citation(self.settings, self.apa, claim, paper.record if paper else None)
        self.last = (url, citation)
        return citation

    def __iter__(self) -> Iterator[str]:
        yield from self.records
        yield from self.claims

    def __len__(self) -> int:
        return len(self.records) + len(self.claims)


def attach_citations(site: Site) -> Citations:
    """The citation of every paper, synthesis and claim page, by page URL."""
    settings = site.settings
    apa = apa_formatter()
    records: dict[str, PageCitation] = {}
    for pid, loaded in sorted(site.papers.items()):
        records[urls.paper_url(pid)] = _citation_of(settings, loaded.record, lambda r: paper_citation(settings, apa, r))
    for _sid, loaded_synthesis in sorted(site.corpus.syntheses.items()):
        synthesis = loaded_synthesis.record
        url = urls.synthesis_url(synthesis.id)
        records[url] = _citation_of(settings, synthesis, lambda r: synthesis_citation(settings, apa, r))
    return Citations(site, records)


CitedRecord = TypeVar("CitedRecord", Paper, Synthesis)

_made: dict[str, tuple[Settings, Paper | Synthesis, PageCitation]] = {}
"""The citation last made for each record: a `kb serve` rebuild gets the same record object back for every
file that was not edited (pipeline/validate.py), and so the same citation, without formatting it again."""


def _citation_of(settings: Settings, record: CitedRecord, make: Callable[[CitedRecord], PageCitation]) -> PageCitation:
    known = _made.get(record.id)
    if known is None or known[1] is not record or known[0] != settings:
        known = _made[record.id] = (settings, record, make(record))
    return known[2]
