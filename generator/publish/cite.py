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

import datetime
import functools
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
_LATEX_SPECIAL = re.compile("[" + re.escape("".join(_LATEX_SPECIALS)) + "]")
_URL_TABLE = str.maketrans({ch: f"%{ord(ch):02X}" for ch in "{}\\ "})
_URL_SPECIAL = re.compile(r"[{}\\ ]")
# Most text has nothing to escape: a search is several times cheaper than a translation (4 a claim page).


def latex_escape(text: str) -> str:
    """Contributor text as a BibTeX field value: LaTeX specials escaped, line breaks folded."""
    text = " ".join(text.split())
    return text.translate(_LATEX_TABLE) if _LATEX_SPECIAL.search(text) else text


def _bibtex_url(url: str) -> str:
    """A URL inside `\\url{}` or `url = {}`: braces, percent and backslash can break the entry."""
    return url.translate(_URL_TABLE) if _URL_SPECIAL.search(url) else url


def render_bibtex(cite: dict[str, Any], settings: Settings) -> str:
    living, pinned = _bibtex_url(cite["living_url"]), _bibtex_url(cite["pinned_url"])
    author, organization, release = _bibtex_site(settings, cite["release"])
    note = latex_escape(f"{cite['genre']}, {settings.site_name}") + (f", release {release}" if cite["release"] else "")
    if pinned:
        note += rf". Archived copy of this page in release {release}: \url{{{pinned}}}"
    return (
        f"@misc{{{cite['key']},\n"
        f"  author       = {{{{{author}}}}},\n"
        f"  title        = {{{{{latex_escape(cite['title'])}}}}},\n"
        f"  howpublished = {{\\url{{{living}}}}},\n"
        f"  url          = {{{living}}},\n"
        f"  organization = {{{organization}}},\n"
        + (f"  version      = {{{release}}},\n" if cite["release"] else "")
        + (f"  year         = {{{cite['issued'][:4]}}},\n" if cite["issued"] else "")
        + f"  note         = {{{note}}}\n}}\n"
    )


@functools.lru_cache(maxsize=16)
def _bibtex_site(settings: Settings, release: str) -> tuple[str, str, str]:
    """What every entry of a site's release shares, escaped once (100,000 claims): author, organization, release."""
    return latex_escape(maintainers(settings)), latex_escape(settings.site_name), latex_escape(release)


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
# Text citeproc-py copies unchanged into APA-lite output: letters and digits of any script (the style changes
# no variable's case) and a few marks; no quotes, markup or entities, and no punctuation or space at either end,
# where citeproc joins text (string.normalize_seam drops a doubled space or mark).
_VERBATIM = re.compile(r"[^\W_][\w .:/~+#%=,()\-]*(?:[^\W_]|[/)\-])")
# Stand-in (year, day) pairs of a slotted date: a template is made with the first and checked against the second.
# Day 22 ("22nd") against day 1 ("1st", "01") tells ordinal or zero-padded days from numeric ones.
_STAND_INS = ((1987, 22), (2043, 1))


def _calendar_date(value: object) -> tuple[int, ...] | None:
    """The parts of a CSL date that is one calendar date in years 1000-9999 (citeproc writes those as digits)."""
    if not isinstance(value, dict) or value.keys() != {"date-parts"}:
        return None
    dates = value["date-parts"]
    if not isinstance(dates, list) or len(dates) != 1 or not isinstance(dates[0], list):
        return None
    parts = tuple(dates[0])
    if not 1 <= len(parts) <= 3 or set(map(type, parts)) != {int} or not 1000 <= parts[0] <= 9999:
        return None
    try:
        datetime.date(*parts, *(1,) * (3 - len(parts)))
    except ValueError:
        return None
    return parts


def _date_values(parts: tuple[int, ...]) -> list[str]:
    """What fills a date's slots: its year and, if it has one, its day (none for no date)."""
    return [str(part) for part in parts[:1] + parts[2:]]


class ApaFormatter:
    """citeproc-py with the bundled APA-lite CSL style and the plain-text formatter."""

    def __init__(self, style_path: Path = STYLE_PATH) -> None:
        from citeproc import CitationStylesStyle  # imported when pages are rendered, never by `kb validate`

        self.style = CitationStylesStyle(str(style_path), validate=False)
        self._templates: dict[tuple[tuple[str, object], ...], str | None] = {}

    def format(self, item: dict[str, Any]) -> str:
        """Format once per shape of item: plain text values are slotted into a cached formatted template.

        citeproc-py takes 2-4 ms an item, most of a large build. Items of one shape differ only in values
        citeproc passes through verbatim (titles, URLs), so one formatting with stand-in tokens serves them all;
        any value it might change (quotes, markup, trailing punctuation) is part of the shape instead. The year
        and day of a calendar date are slots too when every other text is (the month stays in the shape): pages
        are dated by hundreds of distinct days.
        """
        slots: list[str] = []
        shape: list[tuple[str, object]] = []
        date: tuple[int, ...] | None = None
        plain = True  # no text but the type is part of the shape
        for key, value in item.items():  # citeproc reads keys by name: another order is another shape
            if isinstance(value, str) and key != "type" and _VERBATIM.fullmatch(value):
                slots.append(key)
                shape.append((key, _SLOT))
                continue
            if key == "issued" and (date := _calendar_date(value)) is not None:
                shape.append((key, (_SLOT, date[1:2], len(date))))
                continue
            text = repr(value)
            if "kbslot" in text.casefold():  # text that looks like a stand-in token is formatted on its own
                return self.format_each(item)
            plain = plain and (key == "type" or not isinstance(value, str))
            shape.append((key, text))
        if date is not None:
            if plain:
                template = self._template_of(item, slots, shape, date)
                if template is not None:
                    return template.format(*[item[key] for key in slots], *_date_values(date))
            # The date is part of the shape: a rare shape is not worth a second formatting, and citeproc may not
            # write this shape's stand-in date as its digits (or other text reads like them).
            shape = [(key, repr(item[key]) if key == "issued" else text) for key, text in shape]
        template = self._template_of(item, slots, shape, None)
        if template is None:  # citeproc changed a stand-in (a case transform): this shape is formatted item by item
            return self.format_each(item)
        return template.format(*[item[key] for key in slots])

    def _template_of(
        self, item: dict[str, Any], slots: list[str], shape: list[tuple[str, object]], date: tuple[int, ...] | None
    ) -> str | None:
        """The template of a shape, made the first time the shape is seen (None: formatted item by item)."""
        found = tuple(shape)
        if found not in self._templates:
            self._templates[found] = self._template(item, slots, date)
        return self._templates[found]

    def _template(self, item: dict[str, Any], slots: list[str], date: tuple[int, ...] | None) -> str | None:
        """citeproc's text for item's shape as a `str.format` template of the slots (then year and day), or None."""
        tokens = [f"KBSLOT{index}X" for index in range(len(slots))]

        def formatted(stand_in: tuple[int, ...]) -> str:
            dated = {"issued": {"date-parts": [list(stand_in)]}} if stand_in else {}
            return self.format_each({**item, **dict(zip(slots, tokens, strict=True)), **dated})

        first, second = (() if date is None else (year, *date[1:2], day)[: len(date)] for year, day in _STAND_INS)
        text = formatted(first)
        if text.count("KBSLOT") != text.casefold().count("kbslot"):
            return None
        fields = {stand_in: f"{{{index}}}" for index, stand_in in enumerate([*tokens, *_date_values(first)])}
        template = text.replace("{", "{{").replace("}", "}}")
        if fields:  # one pass: a value put in never reads as a stand-in
            template = re.sub("|".join(map(re.escape, fields)), lambda match: fields[match[0]], template)
        # A date's year and day are written as their digits, and nothing else in the text reads like them.
        if date is not None and template.format(*tokens, *_date_values(second)) != formatted(second):
            return None
        return template

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


def claim_citation(
    settings: Settings, apa: ApaFormatter, claim_id: str, *, paper_id: str, paper: Paper | None
) -> PageCitation:
    """By the claim's id and what it is about: every claim of one paper version is cited alike but for its id."""
    return make_citation(
        settings, apa, kind="claim", identifier=claim_id, csl_type="dataset", title=f"Claim {claim_id}",
        genre=f"Evidence-ledger claim about {paper_label(paper_id)}", page_url=urls.claim_url(claim_id),
        issued=paper.added if paper else None,
    )  # fmt: skip


ClaimCitation = Callable[[str], PageCitation]
"""A claim's citation from its id: one object for all the claims about one paper version."""


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
        self.claims: dict[str, tuple[str, ClaimCitation]] = {}
        """Claim page URL -> (its claim's id, how its citation is made)."""
        for pid in sorted(site.claims_by_paper):
            loaded = site.papers.get(pid)
            self.claims.update(
                _claim_entries(
                    self.settings, self.apa, pid, loaded.record if loaded else None, site.claims_by_paper[pid]
                )
            )
        self.last: tuple[str, PageCitation] | None = None
        """The claim citation made last: a claim page reads its own twice (the page and its JSON twin)."""

    def __getitem__(self, url: str) -> PageCitation:
        if url in self.records:
            return self.records[url]
        if self.last is not None and self.last[0] == url:
            return self.last[1]
        claim_id, cited = self.claims[url]
        citation = cited(claim_id)
        self.last = (url, citation)
        return citation

    def claim_citation(self, url: str) -> tuple[str, ClaimCitation] | None:
        """The id of the claim whose page is `url` and how its citation is made, which the claims of its paper
        share: their pages make what the citation shows once a paper (claim_fragments). None: not a claim's."""
        return None if url in self.records else self.claims.get(url)

    def __iter__(self) -> Iterator[str]:
        yield from self.records
        yield from self.claims

    def __len__(self) -> int:
        return len(self.records) + len(self.claims)


_claims_of: dict[str, tuple[tuple[Any, ...], list[tuple[str, tuple[str, ClaimCitation]]]]] = {}
"""A paper's claims' entries in `Citations.claims`, with what they were made from: a `kb serve` rebuild gets the
same record and claims back for every paper no edit touched, and need not make 100,000 entries again."""


def _claim_entries(
    settings: Settings, apa: ApaFormatter, pid: str, paper: Paper | None, claims: tuple[Claim, ...]
) -> list[tuple[str, tuple[str, ClaimCitation]]]:
    def make() -> list[tuple[str, tuple[str, ClaimCitation]]]:
        makers: dict[str, ClaimCitation] = {}
        entries = []
        for claim in claims:
            if claim.paper_id not in makers:
                makers[claim.paper_id] = functools.partial(
                    claim_citation, settings, apa, paper_id=claim.paper_id, paper=paper
                )
            entries.append((urls.claim_url(claim.claim_id), (claim.claim_id, makers[claim.paper_id])))
        return entries

    return _kept(_claims_of, pid, (paper, claims, settings), make)


Made = TypeVar("Made")


def _kept(
    cache: dict[str, tuple[tuple[Any, ...], Made]], key: str, inputs: tuple[Any, ...], make: Callable[[], Made]
) -> Made:
    """What `make()` made last for `key` while it is made from the same `inputs` (compared by identity first: an
    unedited file gives back the very same record), else made again."""
    known = cache.get(key)
    if known is None or known[0] != inputs:
        known = cache[key] = (inputs, make())
    return known[1]


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

_made: dict[str, tuple[tuple[Any, ...], PageCitation]] = {}
"""The citation last made for each record: a `kb serve` rebuild gets the same record object back for every
file that was not edited (pipeline/validate.py), and so the same citation, without formatting it again."""


def _citation_of(settings: Settings, record: CitedRecord, make: Callable[[CitedRecord], PageCitation]) -> PageCitation:
    return _kept(_made, record.id, (record, settings), lambda: make(record))
