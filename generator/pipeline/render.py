"""Render stage: the linked site -> HTML fragments, one per page, through Jinja.

Pages reach MkDocs as finished HTML (see mkdocs_hooks), which builds far
faster than sending generated Markdown through Python-Markdown and means no
contributor text is ever parsed as Markdown. Autoescape is on, undefined
variables are errors, and templates in `overrides/kb/` win over the bundled ones.
Claim rows, citation lists and category paper lists, the bulk of paper, claim listing, cited-by and category
pages, are made in Python while the templates they stand in for are the bundled ones (`StandIn`).
"""

from __future__ import annotations

import collections
import dataclasses
import functools
import json
import os
import posixpath
import re
import unicodedata
import urllib.parse
from collections.abc import Callable, Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape

from generator import problem_codes, urls
from generator.model.characters import format_characters
from generator.model.ids import ClaimId, RecordId
from generator.model.paper_ids import external_link, paper_label, paper_scheme
from generator.model.records import (
    LEDGER_COLUMN_DOCS,
    LEDGER_COLUMNS,
    OPTIONAL_LEDGER_COLUMNS,
    SUSPECT_MARK,
    TRUNCATED_MARK,
    VOCABULARIES,
    Claim,
    Paper,
    Synthesis,
    marked_text,
    source_flag,
)
from generator.model.site import UNCLASSIFIED, CoCitation, Edge, PageCitation, QuoteCheck, Share, Site, same_abstract
from generator.pipeline import listings
from generator.pipeline.contexts import SiteView, template_vars
from generator.pipeline.spool import Spooled, spool

TEMPLATE_DIR = Path(__file__).parents[1] / "templates"


@dataclass(frozen=True)
class TocEntry:
    title: str
    anchor: str
    level: int = 2


@dataclass
class RenderedPage:
    """One generated page, as MkDocs and `kb generate` receive it.

    Its HTML (`body`) and head metadata (`head_body`) are text while it is made; the pages a build keeps
    are spooled to disk (`spool`), so the build holds only their paths (pipeline/spool.py).
    """

    url: str
    kind: str
    title: str
    description: str
    body: str | Spooled
    toc: tuple[TocEntry, ...] = ()
    head_body: str | Spooled = ""
    record_json: dict[str, Any] | None = None
    has_h1: bool = True
    """Whether the HTML has its own <h1> (noted by `spool`): Material adds one when it has not, and the
    MkDocs hooks must know without reading the page back."""

    @property
    def html(self) -> str:
        return self.body if isinstance(self.body, str) else self.body.read_text()

    @property
    def head(self) -> str:
        return self.head_body if isinstance(self.head_body, str) else self.head_body.read_text()

    @head.setter
    def head(self, value: str) -> None:
        """A spooled page keeps its head on disk too."""
        self.head_body = spool().write_text(value) if value and isinstance(self.body, Spooled) else value

    def copy(self) -> RenderedPage:
        """A shallow copy, as `copy.copy` makes but at a fifth of its cost: `kb serve` copies every page it reuses."""
        clone = object.__new__(RenderedPage)
        clone.__dict__.update(self.__dict__)
        return clone

    def spool(self) -> RenderedPage:
        """Move what is still text to disk; a part already spooled (a page reused by `kb serve`) stays as it is."""
        if isinstance(self.body, str):
            self.has_h1 = "<h1" in self.body
            self.body = spool().write_text(self.body)
        if isinstance(self.head_body, str) and self.head_body:
            self.head_body = spool().write_text(self.head_body)
        return self


@dataclass(frozen=True)
class StaticFile:
    """A file copied into the site as is (JSON twins, data releases, redirects), waiting in the spool."""

    path: str
    data: Spooled

    @classmethod
    def spooled(cls, path: str, content: bytes) -> StaticFile:
        return cls(path, spool().write(content))

    @property
    def content(self) -> bytes:
        return self.data.read_bytes()


def twin_json(page: RenderedPage) -> bytes:
    """The page's record as data: what its JSON twin holds."""
    data = {"url": page.url, "kind": page.kind, "title": page.title, **(page.record_json or {})}
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))  # compact: 100,000 claim twins
    return text.encode()


def json_twin(page: RenderedPage) -> StaticFile:
    """`papers/2503.23007/` -> `papers/2503.23007/index.json`, in a pack file of the spool with the page texts."""
    return StaticFile(f"{page.url}index.json", spool().write_packed(twin_json(page)))


def json_twins(pages: Sequence[RenderedPage]) -> list[StaticFile]:
    """The twins of those `pages` that have a record, in page order."""
    return [json_twin(page) for page in pages if page.record_json is not None]


TWINS_FORK_FROM_PAGES = 1_000
"""`kb build` spools fewer pages' twins in its own process: a fork would cost more than it saves."""


@dataclass
class Output:
    pages: list[RenderedPage] = field(default_factory=list)
    """Spooled: each page's HTML and head are on disk."""
    files: list[StaticFile] = field(default_factory=list)
    streamed: list[str] = field(default_factory=list)
    """URLs of the claim permalink pages, written straight to disk by publish/claim_pages.py, not held here."""

    def add(self, *pages: RenderedPage) -> None:
        self.pages.extend(page.spool() for page in pages)

    @property
    def rendered_pages(self) -> int:
        return len(self.pages)

    @property
    def rendered_claims(self) -> int:
        return sum(1 for page in self.pages if page.kind == "claim") + len(self.streamed)


# --- text safety ------------------------------------------------------------------


# Every format (Cf) character: one set test (in C) instead of a category lookup per character of every text;
# a regex class of them took ten times as long, a sixth of the render stage. Made once per process, shared
# with the quote checks.
_FORMAT_CHARS = format_characters()


def _escape_chain(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;").replace("'", "&#39;").replace('"', "&#34;")
    )


try:  # markupsafe 3's C escape of a str, as a str: one pass instead of five replaces, 3-4x faster on titles
    from markupsafe._speedups import _escape_inner as _c_escape
except ImportError:  # markupsafe 2 or no C speedups: the same bytes, by str.replace
    _c_escape = _escape_chain

escape_text: Callable[[str], str] = _c_escape
"""markupsafe's `escape` of a str, as a str: the parts made in Python (`StandIn`) join hundreds of values a
page, and making a Markup of each (a `__new__` in Python) was a tenth of a paper page's CPU."""


def visible_html(value: object) -> str:
    """Contributor text escaped, invisible format characters shown as visible codes: `visible_text` as a str."""
    text = "" if value is None else str(value)
    if not text.isascii() and not _FORMAT_CHARS.isdisjoint(text):
        return "".join(
            f'<span class="kb-invisible" title="invisible character">U+{ord(ch):04X}</span>'
            if unicodedata.category(ch) == "Cf"
            else escape_text(ch)
            for ch in text
        )
    return escape_text(text)


def visible_text(value: object) -> Markup:
    """Escape contributor text and show invisible format characters as visible codes (the `text` filter)."""
    return Markup(visible_html(value))


def plain_text(value: object) -> str:
    """Text for attributes and titles: invisible characters made visible, nothing else changed."""
    text = "" if value is None else str(value)
    if text.isascii() or _FORMAT_CHARS.isdisjoint(text):  # the common case stays fast
        return text
    return "".join(f"[U+{ord(ch):04X}]" if unicodedata.category(ch) == "Cf" else ch for ch in text)


CODE_SPAN = re.compile(r"`([^`]+)`")


def maintainer_prose(value: object) -> Markup:
    """The generator's own descriptions (column and vocabulary docs): escaped, then `x` shown as code.

    Never for contributor text, which is shown exactly as written (`text`).
    """
    return Markup(CODE_SPAN.sub(r"<code>\1</code>", str(escape("" if value is None else str(value)))))


def json_for_script(data: object) -> Markup:
    """JSON safe inside <script>: `<`, `>` and `&` are escaped so `</script>` cannot close it."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return Markup(text)


class CompiledTemplates(jinja2.BytecodeCache):
    """Compiled templates kept across the builds of one process (`kb serve` rebuilds). Each build makes new Jinja
    environments (MkDocs for Material's templates, `make_environment` for ours, the claim pages' writer too), and
    compiling the templates again took about half a second of each rebuild; Jinja checks each template's source
    against the checksum kept with its code, so an edited template compiles afresh."""

    def __init__(self) -> None:
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self.code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()


kb_templates = CompiledTemplates()
"""The bundled and overriding `kb/` templates, compiled once per process."""


class _Environment(jinja2.Environment):
    """Each template's globals a plain dict, copied from the environment's when it loads (`make_environment` sets
    them all before). Jinja's default, a ChainMap, is walked in Python on every render, include and
    `{% from ... import ... %}` (to see whether the importing page adds globals): a twentieth of a paper page."""

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return {**self.globals, **(d or {})}


def make_environment(root: Path) -> jinja2.Environment:
    """Overrides first (`overrides/kb/...`), then the bundled templates."""
    loader = jinja2.ChoiceLoader(
        [jinja2.FileSystemLoader(str(root / "overrides")), jinja2.FileSystemLoader(str(TEMPLATE_DIR))]
    )
    env = _Environment(
        loader=loader,
        bytecode_cache=kb_templates,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,  # one environment per build; `kb serve` makes a new one after each edit
    )
    env.filters["text"] = visible_text
    env.filters["plain"] = plain_text
    env.filters["prose"] = maintainer_prose
    env.filters["tojson_script"] = json_for_script
    env.globals["vocabularies"] = VOCABULARIES
    env.globals["marked"] = marked_text
    env.globals["source_flag"] = source_flag
    env.globals["category_paths"] = category_paths
    env.globals["title_collides"] = title_collides
    env.globals["source_marks"] = {"truncated": TRUNCATED_MARK, "suspect": SUSPECT_MARK}
    env.globals["badge_html"] = BadgeHtml(env)
    env.globals["claim_rows"] = ClaimRows(env)
    env.globals["citation_rows"] = CitationRows(env)
    env.globals["category_rows"] = CategoryRows(env)
    env.globals["chips"] = Chips(env)
    env.globals["source_text"] = SourceText(env)
    env.globals["paper_parts"] = PaperParts(env)
    env.globals["record_url"] = urls.record_url
    return env


# --- page-relative links ---------------------------------------------------------------


@dataclass(frozen=True)
class PageLinks:
    """Relative links from one page, so the site works under any base path and from file://."""

    page_url: str
    settings_repo: str
    edit_base: str

    def to(self, target_url: str) -> str:
        return relative_url(self.page_url, target_url)

    @functools.cached_property
    def root(self) -> str:
        """The way up to the site root (`../../`, or `./` at the root): long listings link by root + URL,
        since working out a shortest relative path for each of thousands of distinct targets is slow."""
        return self.to("").rstrip("/") + "/"

    def record(self, record_id: RecordId) -> str:
        return self.to(urls.record_url(record_id))

    def claim(self, claim_id: ClaimId) -> str:
        """The claim's own permalink page."""
        return self.to(urls.claim_url(claim_id))

    def category(self, slug: str) -> str:
        return self.to(urls.category_url(slug))

    def index(self, name: str, anchor: str = "") -> str:
        """A fixed page by name (`papers`, `claims`, `methodology`, `problems`, …), optionally at an anchor."""
        return self.to(urls.index_url(name) + (f"#{anchor}" if anchor else ""))

    def home(self) -> str:
        return self.to("")

    def asset(self, name: str) -> str:
        """A file under `assets/` (scripts and styles from overrides/assets/)."""
        return self.to(f"assets/{name}")

    def data_file(self, name: str) -> str:
        """A file of the data release."""
        return self.to(urls.index_url("data") + name)

    def badge(self, vocab: str, value: str) -> str:
        return self.index("methodology", f"{vocab}-{slugify(value)}")

    def edit(self, repo_path: str) -> str:
        path = repo_path_url(repo_path)
        return f"{self.edit_base}{path}" if self.edit_base and path else ""

    def report(self, what: str, page_url: str) -> str:
        if not self.settings_repo:
            return ""
        title = urllib.parse.quote_plus(f"Problem with {what}")  # urlencode's query, without its overhead per pair
        body = urllib.parse.quote_plus(f"Page: {page_url}\nWhat is wrong:\n")
        return f"{self.settings_repo.rstrip('/')}/issues/new?title={title}&body={body}"


UNRESERVED_PATH = re.compile(r"[A-Za-z0-9_.~/-]*")
"""Segments of these characters only are the same percent-encoded (`urllib.parse.quote`'s always-safe set)."""


def repo_path_url(repo_path: str) -> str:
    """A repository path for a link: each segment percent-encoded (`%2e%2e` stays a folder name, never `..`);
    "" when a segment is odd (empty, `.`, `..`, a backslash), so no link points anywhere else."""
    segments = repo_path.split("/")
    if any(segment in ("", ".", "..") or "\\" in segment for segment in segments):
        return ""
    if UNRESERVED_PATH.fullmatch(repo_path):  # the usual record path: quoting would change nothing
        return repo_path
    return "/".join(urllib.parse.quote(segment, safe="") for segment in segments)


def relative_url(page_url: str, target_url: str) -> str:
    """`papers/1/` -> `taxonomy/x/` gives `../../taxonomy/x/`; anchors are kept."""
    anchor = ""
    if "#" in target_url:
        target_url, anchor = target_url.split("#", 1)
        anchor = "#" + anchor
    relative = _relative_path(target_url, page_url)
    if target_url.endswith("/") and not relative.endswith("/"):
        relative += "/"
    return relative + anchor


def _relative_path(target_url: str, page_url: str) -> str:
    """`posixpath.relpath(target, page)` from the two URLs' segments: a page makes thousands of links and
    relpath's absolute-path work was a tenth of the render stage. URLs with `..` or a leading `/` go to relpath.

    A plain target (no empty, `.` or `..` segment) is matched against the page's folders by string prefix
    (`_folders`), deepest first, instead of being split into segments: a link between paper pages among 12,000
    records took 1.5 instead of 3.1 us.
    """
    folders = _folders(page_url)
    plain = not target_url.startswith(("/", ".")) and "//" not in target_url and "/." not in target_url
    if folders is not None and plain:
        for prefix, up in folders:
            if target_url.startswith(prefix) or target_url == prefix[:-1]:
                rest = target_url[len(prefix) :].removesuffix("/")
                return f"{up}/{rest}" if up and rest else up or rest or "."
    start, path = _segments(page_url), _segments(target_url)
    if start is None or path is None:
        return posixpath.relpath(target_url or ".", page_url or ".")
    common = 0
    for here, there in zip(start, path, strict=False):
        if here != there:
            break
        common += 1
    return "/".join([".."] * (len(start) - common) + list(path[common:])) or "."


@functools.lru_cache(maxsize=4096)
def _segments(url: str) -> tuple[str, ...] | None:
    """A URL's path segments as relpath normalises them (empty and `.` dropped); None when relpath must decide."""
    if url.startswith("/"):
        return None
    segments = tuple(segment for segment in url.split("/") if segment and segment != ".")
    return None if ".." in segments else segments


@functools.lru_cache(maxsize=4096)
def _folders(page_url: str) -> tuple[tuple[str, str], ...] | None:
    """The page's folders, deepest first, each as a target's prefix (`papers/1/`, `papers/`, ``) with the way up
    to it from the page (``, `..`, `../..`); None when relpath must decide (`_segments`)."""
    start = _segments(page_url)
    if start is None:
        return None
    depth = len(start)
    return tuple(
        ("".join(f"{segment}/" for segment in start[:k]), "/".join([".."] * (depth - k))) for k in range(depth, -1, -1)
    )


@functools.lru_cache(maxsize=4096)
def slugify(value: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in value.casefold()).strip("-")


# --- view helpers ------------------------------------------------------------------------


@dataclass(frozen=True)
class Badge:
    vocab: str
    value: str
    label: str

    @property
    def tooltip(self) -> str:
        vocabulary = VOCABULARIES[self.vocab]
        return f"{vocabulary.name}: {self.value} — {vocabulary.describe(self.value)}"


def badge(vocab: str, value: str, label: str = "") -> Badge:
    return Badge(vocab, value, label or value)


class BadgeHtml:
    """`badge_html(links, vocab, value)` in templates: the `show_badge` macro, rendered once per page depth and value.

    Badges are most of every claim table; calling the macro for each one was most of the render time.
    Links are relative, so a badge's HTML depends only on how deep its page is.
    """

    def __init__(self, env: jinja2.Environment) -> None:
        self.env = env
        self.cache: dict[tuple[str, str, str, str, bool], Markup] = {}

    def __call__(self, links: PageLinks, vocab: str, value: str, label: str = "", brief: bool = False) -> Markup:
        key = (links.root, vocab, value, label, brief)
        html = self.cache.get(key)
        if html is None:
            # Looked up on first use: the macros module must see every global, this one included.
            macro = self.env.get_template("kb/partials/macros.html").module.show_badge  # type: ignore[attr-defined]
            html = self.cache[key] = Markup(macro(links, badge(vocab, value, label), brief))
        return html


MACROS = "kb/partials/macros.html"
STAND_IN = "c-00000000"
"""A claim id for what a page's claims share (the link to a claim's page, around its id): an id is `c-` and hex
(`urls.claim_url` refuses any other), which reads the same escaped, in a URL and in its query."""


def templates_bundled(env: jinja2.Environment, names: Iterable[str]) -> bool:
    """Whether `env` finds the bundled file of every template in `names` (none is overridden in `overrides/kb/`)."""
    return all(
        os.path.normpath(env.get_template(name).filename or "") == os.path.normpath(TEMPLATE_DIR / name)
        for name in names
    )


def missing(what: str) -> str:
    """The `missing` macro, for a `what` that needs no escaping."""
    return f'<span class="kb-missing">{what} not recorded</span>'


MISSING_QUOTE, MISSING_PAGE, MISSING_ROLE, MISSING_POLARITY = map(missing, ("Quote", "Page", "Role", "Polarity"))
"""The `missing` macro, as claim cells and citation lists call it."""
RETRACTED_ROW = ' class="kb-retracted-row"'
RETRACTED_FLAG = ' · <strong class="kb-flag">rests on a retracted paper</strong>'
CLAIMS_TABLE = (
    '<div class="kb-table-wrap" role="region" aria-label="Claims" tabindex="0">\n<table class="kb-claims">\n'
    '<thead><tr><th scope="col">Claim</th><th scope="col">Status</th><th scope="col">Evidence</th>'
    '<th scope="col">Depth</th><th scope="col">Quote</th><th scope="col">Page</th><th scope="col">Fit</th>'
    '<th scope="col">Audit</th></tr></thead>\n<tbody>\n'
)
CLAIM_LIST = (
    '<div class="kb-table-wrap" role="region" aria-label="Claims" tabindex="0">\n'
    '<table class="kb-claims kb-claim-list">\n<thead><tr><th scope="col">Claim</th><th scope="col">Paper</th>'
    '<th scope="col">Status</th><th scope="col">Evidence</th><th scope="col">Depth</th><th scope="col">Fit</th>'
    '<th scope="col">Audit</th></tr></thead>\n<tbody>\n'
)
TABLE_END = "</tbody>\n</table>\n</div>"


class StandIn:
    """Parts of pages made in Python while the templates they stand in for are the bundled ones, the same bytes
    (`ClaimRows`, `CitationRows`, `CategoryRows`; `Chips` and `SourceText` call the macros less often). A macro
    call per row and per badge, and an escape per value, were most of the render stage: here a badge is made once
    per page depth and value, and each contributor text escaped once, as the templates' own filter does
    (`visible_text`). A part gives None when a template it stands in for is overridden: the template's macro or
    loop makes it then, as before. Like BadgeHtml it keeps nothing of a site: a page's
    lookups go through the `site` it passes, as the templates' do (`kb serve` records them).
    """

    def __init__(self, env: jinja2.Environment) -> None:
        self.env = env
        self.bundled: dict[tuple[str, ...], bool] = {}
        self.badges: dict[tuple[str, bool], Callable[[str, str], str]] = {}
        """(page root (`../../`), brief) -> its `page_badges`."""

    def stands_in(self, templates: tuple[str, ...]) -> bool:
        known = self.bundled.get(templates)
        if known is None:
            known = self.bundled[templates] = templates_bundled(self.env, templates)
        return known

    def page_badges(self, links: PageLinks, brief: bool = True) -> Callable[[str, str], str]:
        """`badge(vocab, value)`: the badge on pages at the depth of `links`, which is all it depends on."""
        badge = self.badges.get((links.root, brief))
        if badge is None:
            badge_html = self.env.globals["badge_html"]
            assert isinstance(badge_html, BadgeHtml)  # make_environment's
            known: dict[tuple[str, str], str] = {}

            def badge(vocab: str, value: str) -> str:
                html = known.get((vocab, value))
                if html is None:
                    html = known[vocab, value] = str(badge_html(links, vocab, value, brief=brief))
                return html

            self.badges[links.root, brief] = badge
        return badge


def record_link(links: PageLinks, site: SiteView, record_id: str) -> str:
    """The `record_link` macro."""
    return f'<a href="{escape_text(links.record(record_id))}">{title_html(site.title_of(record_id))}</a>'


@functools.lru_cache(maxsize=65_536)
def title_html(title: str) -> str:
    """`visible_html` of a record's title, kept by title (not by record: `kb serve` notes which titles a page
    reads): at 2,000 papers the citation and category lists make 50,000 links to about 2,000 records."""
    return visible_html(title)


class ClaimRows(StandIn):
    """`claim_rows` in templates: the rows of macros.html's `claims_table` (a paper's claims) and `claim_list`
    (`claims/page/N/`) made in Python, the same bytes (tests/test_paper_rows_fast.py); and its `claim_cells`,
    for those rows and for claim pages (publish/claim_fragments.py).

    At 2,000 papers a paper page took 1.6 ms of CPU instead of 2.4, a listing page 1.3 instead of 6.9.
    """

    TABLE = ("kb/paper.html", MACROS)
    LISTING = ("kb/claims_page.html", MACROS)

    def __init__(self, env: jinja2.Environment) -> None:
        super().__init__(env)
        self.checks: dict[tuple[QuoteCheck, bool], str] = {}

    @functools.cached_property
    def listing_quote(self) -> int:
        """`LISTING_QUOTE` of macros.html."""
        return int(self.env.get_template(MACROS).module.LISTING_QUOTE)  # type: ignore[attr-defined]

    def table(self, links: PageLinks, claims: Iterable[Claim], site: SiteView) -> Markup | None:
        """`claims_table(links, badge, claims, site)`, as paper.html calls it."""
        if not self.stands_in(self.TABLE):
            return None
        before, after = links.claim(STAND_IN).split(STAND_IN)
        retracted, checks = site.retracted_papers, site.quote_checks
        rows = [CLAIMS_TABLE]
        for claim in claims:
            cid = claim.claim_id
            urls.claim_url(cid)  # refuses the ids `links.claim` refuses: the id is written as it is
            flagged = claim.paper_base in retracted
            version = claim.version
            read = f" · read from {escape_text(version)}" if version else ""
            rows.append(
                f'<tr id="{cid}"{RETRACTED_ROW if flagged else ""}>\n'
                f'<td data-label="Claim" class="kb-claim-text">{visible_html(claim.claim)}\n<span class="kb-claim-meta">'
                f'<a class="kb-permalink" href="{before}{cid}{after}" title="Permanent link to this claim">{cid}</a>'
                f"{read}{RETRACTED_FLAG if flagged else ''}</span></td>\n"
                f"{self.cells(links, claim, checks, listing=True)}\n</tr>\n"
            )
        rows.append(TABLE_END)
        return Markup("".join(rows))

    def listing(self, links: PageLinks, claims: Iterable[Claim], site: SiteView) -> Markup | None:
        """`claim_list(links, claims, site)`, as claims_page.html calls it."""
        if not self.stands_in(self.LISTING):
            return None
        before, after = links.claim(STAND_IN).split(STAND_IN)
        badge = self.page_badges(links)
        papers: dict[str, tuple[str, ...]] = {}  # paper id -> its cell: a page lists a paper's claims together
        rows = [CLAIM_LIST]
        for claim in claims:
            cid = claim.claim_id
            urls.claim_url(cid)  # as in `table`
            paper = papers.get(claim.paper_id)
            if paper is None:
                paper = papers[claim.paper_id] = self.paper_cell(links, claim, site)
            fit, audit = claim.taxonomy_fit.verdict, claim.audit.result
            rows.append(
                f'<tr id="{cid}">\n<td data-label="Claim" class="kb-claim-text">{visible_html(claim.claim)} '
                f'<a class="kb-permalink" href="{before}{cid}{after}">{cid}</a>'
                f"{RETRACTED_FLAG if claim.paper_base in site.retracted_papers else ''}</td>\n"
                f'<td data-label="Paper">{cid.join(paper)}</td>\n'
                f'<td data-label="Status">{badge("claim_status", claim.claim_status)}</td>\n'
                f'<td data-label="Evidence">{badge("evidence_status", claim.evidence_status)}</td>\n'
                f'<td data-label="Depth">{badge("source_depth", claim.source_depth)}</td>\n'
                f'<td data-label="Fit">{badge("taxonomy_fit", fit)}</td>\n'
                f'<td data-label="Audit">{badge("audit_status", audit)}</td>\n</tr>\n'
            )
        rows.append(TABLE_END)
        return Markup("".join(rows))

    @staticmethod
    def paper_cell(links: PageLinks, claim: Claim, site: SiteView) -> tuple[str, ...]:
        """A `claim_list` row's paper cell around the claim's id, which only a link to the paper names."""
        base = claim.paper_base
        if base in site.papers:
            href = escape_text(links.root + urls.record_url(base))
            return f'<a href="{href}#', f'">{visible_html(site.title_of(base))}</a>'
        return (f"<code>{escape_text(claim.paper_id)}</code>",)

    def cells(self, links: PageLinks, claim: Claim, quote_checks: Mapping[str, QuoteCheck], listing: bool) -> str:
        """The `claim_cells` macro, brief: `listing` for a row of many (a long quote cut, the check unexplained)."""
        badge = self.page_badges(links)
        quote = claim.source_quote
        if quote and listing and len(quote) > self.listing_quote + 100:
            cut = self.env.filters["truncate"](self.env, quote, self.listing_quote, False, "…", 0)
            quote_html = (
                f'<blockquote>{visible_html(cut)}</blockquote><a class="kb-quote-more" '
                f'href="{escape_text(links.claim(claim.claim_id))}">Full quote ({len(quote)} characters) on the claim page</a>\n'
            )
        else:
            quote_html = f"<blockquote>{visible_html(quote)}</blockquote>" if quote else MISSING_QUOTE
        check = quote_checks.get(claim.claim_id)
        if check:
            quote_html += self.check(check, listing)
        fit, audit = claim.taxonomy_fit, claim.audit
        page = claim.page_or_section
        reason = f' <span class="kb-note">{visible_html(fit.reason)}</span>' if fit.reason else ""
        notes = "".join(f' <span class="kb-note">{visible_html(note)}</span>' for note in audit.notes)
        notes += "".join(
            f' <span class="kb-note">{visible_html(key)}: <code>{visible_html(value)}</code></span>'
            for key, value in audit.attributes
        )
        return (
            f'<td data-label="Status">{badge("claim_status", claim.claim_status)}</td>\n'
            f'<td data-label="Evidence">{badge("evidence_status", claim.evidence_status)}</td>\n'
            f'<td data-label="Depth">{badge("source_depth", claim.source_depth)}</td>\n'
            f'<td data-label="Quote" class="kb-quote">{quote_html}</td>\n'
            f'<td data-label="Page">{visible_html(page) if page else MISSING_PAGE}</td>\n'
            f'<td data-label="Fit">{badge("taxonomy_fit", fit.verdict)}{reason}</td>\n'
            f'<td data-label="Audit">{badge("audit_status", audit.result)}{notes}</td>'
        )

    def check(self, check: QuoteCheck, listing: bool) -> str:
        html = self.checks.get((check, listing))
        if html is None:
            title = "" if listing else f' title="{escape_text(check.detail)}"'
            html = self.checks[check, listing] = (
                f'<span class="kb-quote-check kb-quote-check--{escape_text(check.state)}"{title}>{escape_text(check.label)}</span>'
            )
        return html


class CitationRows(StandIn):
    """`citation_rows` in templates: the citation lists of paper pages (Cites, Cited by, a hub's role and
    polarity shares and co-cited works), of cited-by pages and of external works' pages, made in Python
    (tests/test_paper_cites_fast.py). With the claim rows made so, they were most of a paper page's CPU: at 2,000
    papers a paper page now takes about 1.35 ms instead of 1.7, a hub's 2.0 instead of 2.8, a cited-by page 1.0
    instead of 2.9.
    """

    PAPER = ("kb/paper.html", MACROS)

    def cites(self, links: PageLinks, site: SiteView, edges: Iterable[Edge]) -> Markup | None:
        """paper.html's `cites_list`: the works a paper cites, with brief badges and the citation's context."""
        if not self.stands_in(self.PAPER):
            return None
        return self.edge_list(links, site, edges, outgoing=True, brief=True)

    def citing(
        self, template: str, links: PageLinks, site: SiteView, edges: Iterable[Edge], brief: bool = True
    ) -> Markup | None:
        """macros.html's `citing_list`, as `template` (paper.html, cited_by.html) calls it; with `brief` False,
        external.html's `cited_by_list`."""
        if not self.stands_in((template, MACROS)):
            return None
        return self.edge_list(links, site, edges, outgoing=False, brief=brief)

    def edge_list(self, links: PageLinks, site: SiteView, edges: Iterable[Edge], outgoing: bool, brief: bool) -> Markup:
        """One line per citation: the work cited (`outgoing`) or the citing paper, its role and its polarity."""
        badge = self.page_badges(links, brief)
        items = ['<ul class="kb-edges">']
        for edge in edges:
            role = badge("role", edge.role) if edge.role else MISSING_ROLE
            polarity = badge("polarity", edge.polarity) if edge.polarity else MISSING_POLARITY
            context = f"<blockquote>{visible_html(edge.context)}</blockquote>" if outgoing and edge.context else ""
            work = record_link(links, site, edge.target if outgoing else edge.citing)
            items.append(f"<li>{work} — {role} {polarity}{context}</li>")
        items.append("</ul>")
        return Markup("".join(items))

    def shares(
        self, links: PageLinks, site: SiteView, shares: Iterable[Share], noun: str, shown: int, more_url: str
    ) -> Markup | None:
        """macros.html's `share_list`, as paper.html calls it for a hub's roles and polarities."""
        if not self.stands_in(self.PAPER):
            return None
        more = f'<a href="{escape_text(links.to(more_url))}">the full list of citations</a>' if more_url else ""
        items = ['<ul class="kb-shares">\n']
        for share in shares:
            citing = share.citing[:shown] if more_url else share.citing
            names = "".join(f"<li>{record_link(links, site, pid)}</li>" for pid in citing)
            rest = len(share.citing) - shown
            note = f"<p>The first {shown} by id; the other {rest} are in {more}.</p>" if rest > 0 and more else ""
            missing = " kb-missing" if share.label == UNCLASSIFIED else ""
            items.append(
                f'<li><span class="kb-share-bar" style="--kb-share: {share.percent}%" aria-hidden="true"></span>\n'
                f"<details><summary><strong>{share.count} of {share.total}</strong> {escape_text(noun)}: "
                f'<span class="kb-share-label{missing}">{escape_text(share.label)}</span></summary>\n'
                f"<ul>{names}</ul>{note}</details></li>\n"
            )
        items.append("</ul>")
        return Markup("".join(items))

    def co_cited(self, links: PageLinks, site: SiteView, items: Iterable[CoCitation]) -> Markup | None:
        """paper.html's `co_cited_list`: the works most often cited together with a hub."""
        if not self.stands_in(self.PAPER):
            return None
        lines = "".join(
            f"<li>{record_link(links, site, item.target)}: cited together {item.count} "
            f"time{'s' if item.count != 1 else ''}</li>"
            for item in items
        )
        return Markup(f'<ol class="kb-co-cited">{lines}</ol>')


class CategoryRows(StandIn):
    """`category_rows` in templates: the paper list of category pages (`taxonomy/<slug>/`, PAGE_SIZE papers a
    page) and their synthesis list (every synthesis of the subtree, on each page), made in Python while
    category.html and macros.html are the bundled ones (tests/test_paper_page_fast.py): a `record_link` macro call
    per record was most of a category page's CPU."""

    LIST = ("kb/category.html", MACROS)

    def papers(self, links: PageLinks, site: SiteView, pids: Iterable[str]) -> Markup | None:
        """category.html's `paper_list`."""
        if not self.stands_in(self.LIST):
            return None
        items = "".join(f"<li>{record_link(links, site, pid)} <code>{escape_text(pid)}</code></li>" for pid in pids)
        return Markup(f'<ul class="kb-paper-list">{items}</ul>')

    def syntheses(self, links: PageLinks, site: SiteView, sids: Iterable[str]) -> Markup | None:
        """category.html's `synthesis_list`."""
        if not self.stands_in(self.LIST):
            return None
        return Markup(f"<ul>{''.join(f'<li>{record_link(links, site, sid)}</li>' for sid in sids)}</ul>")


CITE = "kb/partials/cite.html"
NO_PIN = "; cite the version-pinned copy to refer to exactly what you read"
NO_RELEASE = ". No release of this knowledge base has been archived yet, so there is no version-pinned copy to cite"


def cite_block(links: PageLinks, page_url: str, citation: PageCitation | None, home: str = "arXiv") -> str:
    """cite.html for the page at `page_url`, whose `links` they are, the same bytes: the one copy of its markup in
    Python, for paper and synthesis pages (`PaperParts.cite`) and claim pages (publish/claim_fragments.py) while
    cite.html is the bundled file. `home` names a paper's home record (its scheme); `links` is read only for a
    claim in no archived release, which links the methodology."""
    head = '<h2 id="cite">Cite this page</h2>\n'
    if not citation:
        return f"{head}<p>Cite this page by its permanent URL: <code>{escape_text(page_url)}</code>.</p>\n"
    parts = [f'{head}<div class="kb-cite" data-kb-cite>\n<p class="kb-cite-apa">{visible_html(citation.apa)}</p>\n']
    claim = citation.kind == "claim"
    if claim and not citation.pinned_url:
        parts.append(
            '<p class="kb-explain"><a href="index.json">BibTeX and CSL-JSON</a> · a living page, in no archived '
            f'release yet: <a href="{escape_text(links.index("methodology", "citing"))}">how to cite it</a></p>\n'
        )
    else:
        living = escape_text(citation.living_url)
        parts.append(
            f'<dl class="kb-facts kb-cite-urls">\n<dt>Living URL</dt><dd><a href="{living}">{living}</a> '
            '<span class="kb-note">always shows the current record</span></dd>\n'
        )
        if citation.pinned_url:
            archive_url, archive_file = (escape_text(part) for part in citation.pinned_url.split("#", 1))
            parts.append(
                f'<dt>Version-pinned copy</dt><dd><a href="{archive_url}">{archive_url}</a>, file '
                f'<code>{archive_file}</code> <span class="kb-note">this page as published in release '
                f"<code>{escape_text(citation.release)}</code>, inside that release's archive of the whole "
                "site</span></dd>\n"
            )
        elif citation.release:
            parts.append(f"<dt>Release</dt><dd><code>{escape_text(citation.release)}</code></dd>\n")
        if claim:
            parts.append(
                '<dt>BibTeX and CSL-JSON</dt><dd><a href="index.json">index.json</a> <span class="kb-note">this '
                "claim as data, its citation included</span></dd>"
            )
        parts.append("</dl>\n")
        if not claim:
            parts.append(
                '<details><summary>BibTeX</summary><pre><code class="kb-copy-target">'
                f"{escape_text(citation.bibtex)}</code></pre></details>\n"
                '<details><summary>CSL-JSON</summary><pre><code class="kb-copy-target">'
                f"{escape_text(citation.csl_json)}</code></pre></details>\n"
            )
        paper = f" To cite the paper itself, use its {escape_text(home)} record." if citation.kind == "paper" else ""
        parts.append(
            '<p class="kb-explain">This cites the knowledge-base page, which is maintained and may change'
            f"{NO_PIN if citation.pinned_url else NO_RELEASE}.{paper}</p>\n"
        )
    parts.append("</div>\n")
    return "".join(parts)


class PaperParts(StandIn):
    """`paper_parts` in templates: a paper page's facts, its cite.html block and macros.html's `edit_links`, made in
    Python while paper.html's markup calls macros.html, and cite.html, only as the bundled files (the same bytes:
    tests/test_render_cpu.py). Jinja's attribute lookups, escapes and filter calls for the facts, the include (a
    new context for every page) and the macro call were 0.13, 0.20 and 0.10 ms of a paper page's 0.78 at 2,000
    papers. Synthesis pages take the cite block from it too. Claim pages have their own parts
    (publish/claim_fragments.py), all but the cite block (`cite_block`)."""

    def facts(
        self, links: PageLinks, site: SiteView, paper: Paper, pid: str, home: tuple[str, str], scheme: str
    ) -> Markup | None:
        """paper.html's `<dl class="kb-facts">`: ids, versions, links, authors, year, venue, categories."""
        if not self.stands_in((MACROS,)):
            return None
        pid = escape_text(pid)
        label = escape_text(home[0])
        versions = ", ".join(f"<code>{escape_text(v)}</code>" for v in paper.versions)
        read = f" · versions read: {versions}" if paper.versions else ""
        if scheme == "arxiv":
            at_home = (
                f' · <a href="https://arxiv.org/abs/{pid}" rel="noopener">abstract page</a>'
                f' · <a href="https://arxiv.org/pdf/{pid}" rel="noopener">PDF</a>'
            )
        else:
            at_home = f' · <a href="{escape_text(home[1])}" rel="noopener">{label} page</a>'
        more = paper.links
        elsewhere = "".join(
            f' · <a href="{prefix}{escape_text(value)}" rel="noopener">{name}</a>'
            for prefix, value, name in (
                ("https://doi.org/", more.doi, "DOI"),
                ("", more.code, "code"),
                ("", more.openreview, "OpenReview"),
                ("", more.homepage, "project page"),
            )
            if value
        )
        if paper.authors:
            authors = escape_text(", ".join(plain_text(name) for name in paper.authors))
            if not paper.authors_complete:
                authors += ", " + missing("further authors")
        else:
            authors = missing("Authors")
        year = escape_text(str(paper.year)) if paper.year else missing("Year")
        venue = visible_html(paper.venue) if paper.venue else missing("Venue")
        chips = self.env.globals["chips"]
        assert isinstance(chips, Chips)  # make_environment's
        known = site.corpus.categories
        shown = "".join(f"{chips.chip(links, site, slug)} " for slug in paper.taxonomy if slug in known)
        note = f" {chips.note(links)}" if paper.taxonomy else ""
        return Markup(
            f'<dl class="kb-facts">\n<dt>{label}</dt><dd><code>{pid}</code>{read}{at_home}{elsewhere}</dd>\n'
            f"<dt>Authors</dt><dd>{authors}</dd>\n<dt>Year</dt><dd>{year}</dd>\n<dt>Venue</dt><dd>{venue}</dd>\n"
            f"<dt>Categories</dt><dd>{shown or missing('Category')}{note}</dd>\n</dl>"
        )

    def cite(self, links: PageLinks, site: SiteView, page_url: str, home: tuple[str, str] | None) -> Markup | None:
        """cite.html, for the page at `page_url` (`cite_block`); `home` is a paper's `external_link` (its scheme's
        name first)."""
        if not self.stands_in((CITE,)):
            return None
        return Markup(cite_block(links, page_url, site.citations.get(page_url), home[0] if home else "arXiv"))

    def edit(self, links: PageLinks, record_file: str, what: str) -> Markup | None:
        """macros.html's `edit_links(links, record_file, what)`."""
        if not self.stands_in((MACROS,)):
            return None
        edit, report = links.edit(record_file), links.report(what, links.page_url)
        edit_html = f'<a href="{escape_text(edit)}" rel="nofollow">Edit this record</a>' if edit else ""
        report_html = f'<a href="{escape_text(report)}" rel="nofollow">Report a problem</a>' if report else ""
        return Markup(edit_paragraph(edit_html, report_html))


def edit_paragraph(edit_html: str, report_html: str) -> str:
    """The `edit_links` macro's paragraph around its two links, either of which may be "" (no repository)."""
    if edit_html and report_html:
        return f'<p class="kb-edit">{edit_html} · {report_html}</p>'
    return f'<p class="kb-edit">{edit_html or report_html}</p>' if edit_html or report_html else ""


# --- category chips -----------------------------------------------------------------------


@dataclass
class _TaxonomyFacts:
    """What category chips ask of the taxonomy, worked out once for it: chips ask on every page, for each category."""

    categories: Mapping[str, Any]
    shared_titles: frozenset[str]
    paths: dict[str, list[str]] = field(default_factory=dict)


_facts: _TaxonomyFacts | None = None
"""The facts of the taxonomy asked about last (a build has one; `kb serve` makes a new one per rebuild)."""


def _taxonomy_facts(site: Site) -> _TaxonomyFacts:
    global _facts
    categories = site.corpus.categories
    if _facts is None or _facts.categories is not categories:
        titles = collections.Counter(c.title.casefold() for c in categories.values())
        _facts = _TaxonomyFacts(categories, frozenset(title for title, count in titles.items() if count > 1))
    return _facts


CHIPS = "kb/partials/chips.html"
SOURCE_TEXT = "kb/partials/source_text.html"


class Chips(StandIn):
    """`chips` in templates: chips.html's macros, each rendered once per page depth (and category) while chips.html
    is the bundled one; a paper page shows about four chips and the note, and calling the macros was a tenth of
    its CPU. The bundled chip shows only the taxonomy, which every page shares and `kb serve` compares as a whole;
    the chips made are kept for one taxonomy object. An override may show anything of the site: it is called for
    every chip.
    """

    def __init__(self, env: jinja2.Environment) -> None:
        super().__init__(env)
        self.taxonomy: Mapping[str, Any] | None = None
        self.made: dict[tuple[str, ...], Markup] = {}

    def chip(self, links: PageLinks, site: SiteView, slug: str, css: str = "kb-chip") -> Markup:
        """`category_chip(links, site, slug, css)`."""
        if site.corpus.categories is not self.taxonomy:
            self.taxonomy, self.made = site.corpus.categories, {}
        return self.made_once(("chip", links.root, slug, css), "category_chip", links, site, slug, css)

    def note(self, links: PageLinks) -> Markup:
        """`editorial_taxonomy_note(links)`."""
        return self.made_once(("note", links.root), "editorial_taxonomy_note", links)

    def made_once(self, key: tuple[str, ...], name: str, *args: Any) -> Markup:
        html = self.made.get(key)
        if html is None:
            html = Markup(getattr(self.env.get_template(CHIPS).module, name)(*args))
            if self.stands_in((CHIPS,)):
                self.made[key] = html
        return html


class SourceText(StandIn):
    """`source_text` in templates: source_text.html's macros, with Python's answer for the usual record, whose
    source text carries no flag (the text, escaped; no notes), while source_text.html is the bundled one. A
    paper page shows three texts, and the macro calls were a twentieth of its CPU. Flagged texts, and every text
    under an override, go through the macros."""

    def text(self, record: Any, field: str) -> Markup:
        """`source_text(record, field)`."""
        if not source_flag(record, field) and self.stands_in((SOURCE_TEXT,)):
            return visible_text(getattr(record, field))
        return Markup(self.env.get_template(SOURCE_TEXT).module.source_text(record, field))  # type: ignore[attr-defined]

    def notes(self, record: Any, labels: Mapping[str, str]) -> Markup:
        """`flag_notes(record, labels)`."""
        if not record.source_flags and self.stands_in((SOURCE_TEXT,)):
            return Markup("")
        return Markup(self.env.get_template(SOURCE_TEXT).module.flag_notes(record, labels))  # type: ignore[attr-defined]


def category_paths(site: Site, slug: str) -> list[str]:
    """Every path from a root to the category, as titles joined by ` › ` (a DAG may give several)."""
    categories = site.corpus.categories

    def walk(current: str, seen: tuple[str, ...]) -> list[list[str]]:
        parents = [p for p in categories[current].parent_slugs if p in categories and p not in seen]
        if not parents:
            return [[current]]
        return [[*path, current] for parent in parents for path in walk(parent, (*seen, current))]

    if slug not in categories:
        return [slug]
    paths = _taxonomy_facts(site).paths
    if slug not in paths:
        paths[slug] = [" › ".join(categories[s].title for s in path) for path in walk(slug, ())]
    return paths[slug]


def title_collides(site: Site, slug: str) -> bool:
    """True when another category has the same title, so a chip must show the path to be told apart."""
    category = site.corpus.categories.get(slug)
    return category is not None and category.title.casefold() in _taxonomy_facts(site).shared_titles


# --- page builders ------------------------------------------------------------------------


class Renderer:
    def __init__(self, site: Site) -> None:
        self.site = site
        self.env = make_environment(site.root)
        edit_uri = site.settings.edit_uri.strip("/")
        repo = site.settings.repo_url.rstrip("/")
        edit_root = edit_uri.rsplit("/", 1)[0] if edit_uri.endswith("content") else edit_uri
        self.edit_base = f"{repo}/{edit_root}/" if repo and edit_root else ""
        self.same_abstract = same_abstract(site)
        self.view = SiteView.of(site)
        self.templates = StandIn(self.env)
        """Which templates are the bundled ones, for parts made in Python outside a template (publish/metadata.py)."""

    def links(self, url: str) -> PageLinks:
        return PageLinks(url, self.site.settings.repo_url, self.edit_base)

    def page(self, template: str, url: str, kind: str, title: str, description: str, **context: Any) -> RenderedPage:
        links = self.links(url)
        html = self.env.get_template(f"kb/{template}").render(
            site=self.view, links=links, badge=badge, page_url=url, title=title, **template_vars(template, context)
        )
        toc = tuple(TocEntry(t, a) for t, a in context.get("toc", ()))
        return RenderedPage(url=url, kind=kind, title=title, description=description, body=html, toc=toc)

    def badge_macro(self) -> Callable[[Badge], Markup]:
        """The badge macro bound to the methodology page, so the methodology shows each badge as readers see it."""
        macro = self.env.get_template("kb/partials/macros.html").module.show_badge  # type: ignore[attr-defined]
        links = self.links("methodology/")
        return lambda b: Markup(macro(links, b))

    def render_all(self, extra_builders: Iterable[Callable[[Renderer, Output], None]] = ()) -> Output:
        output = Output()
        for pid in sorted(self.site.papers):
            output.add(self.paper_page(pid))
        for sid in sorted(self.site.corpus.syntheses):
            output.add(self.synthesis_page(sid))
        for eid in sorted(self.site.corpus.externals):
            output.add(self.external_page(eid))
        for slug in sorted(self.site.corpus.categories):
            output.add(*self.category_pages(slug))
        for pid in listings.cited_by_papers(self.site):
            output.add(*self.cited_by_pages(pid))
        claims = self.all_claims()
        explorer = self.explorer_parts(claims)
        output.streamed = self.claim_urls(claims)  # written by publish/claim_pages.py
        output.add(*self.index_pages(claims, explorer))
        output.add(*self.claim_listing_pages(claims))
        output.files.extend(explorer.files)
        for builder in extra_builders:
            builder(self, output)
        return output

    def explorer_parts(self, claims: list[Claim]) -> ExplorerParts:
        """What the claim explorer makes of every claim: its data files, facet counts and category tree."""
        site = self.site
        files = [StaticFile.spooled(path, data) for path, data in listings.explorer_data(site, claims).items()]
        return ExplorerParts(files, claim_facets(site, claims), listings.category_tree(site, claims))

    def claim_urls(self, claims: list[Claim]) -> list[str]:
        return [urls.claim_url(claim.claim_id) for claim in claims]

    def all_claims(self) -> list[Claim]:
        return [claim for pid in sorted(self.site.claims_by_paper) for claim in self.site.claims_by_paper[pid]]

    def paper_page(self, pid: str) -> RenderedPage:
        site = self.site
        loaded = site.papers[pid]
        paper: Paper = loaded.record
        claims = site.claims_by_paper[pid]
        is_hub = pid in site.hubs
        toc = [("Summary", "summary"), ("Claims", "claims")]
        cited_by = listings.citations_of(site, pid)
        citing = len({edge.citing for edge in cited_by})
        if is_hub:  # "Hub" only on our own count; a record marked canonical gets the summaries, not the name
            toc.append(("Hub" if citing >= site.settings.hub_threshold else "How the corpus cites it", "hub"))
        if paper.reported:
            toc.append(("Reported by other sources", "reported"))
        toc += [("Citations", "citations"), ("Cite this page", "cite")]
        page = self.page(
            "paper.html",
            urls.paper_url(pid),
            "paper",
            marked_text(paper, "title"),
            paper.summary or f"Claims and citations recorded for {paper_label(pid)}.",
            paper=paper,
            pid=pid,
            home=external_link(pid),
            scheme=paper_scheme(pid),
            record_file=loaded.doc.path,
            claims=claims,
            cites=site.cites.get(pid, []),
            cited_by=cited_by[: listings.CITED_BY_SHOWN],
            cited_by_total=len(cited_by),
            citing_total=citing,
            cited_by_url=listings.cited_by_url(pid) if len(cited_by) > listings.CITED_BY_SHOWN else "",
            share_shown=listings.SHARE_SHOWN,
            syntheses=site.syntheses_by_paper.get(pid, []),
            is_hub=is_hub,
            roles=site.role_summary(pid) if is_hub else [],
            polarities=site.polarity_summary(pid) if is_hub else [],
            co_cited=site.co_cited(pid) if is_hub else [],
            retraction=site.corpus.retractions.get(pid),
            toc=toc,
        )
        page.record_json = self.paper_json(paper, claims)
        return page

    def paper_json(self, paper: Paper, claims: tuple[Claim, ...]) -> dict[str, Any]:
        """A paper page's record as data, for its JSON twin."""
        return {"record": paper.model_dump(mode="json"), "claims": [claim_json(c) for c in claims]}

    def synthesis_page(self, sid: str) -> RenderedPage:
        loaded = self.site.corpus.syntheses[sid]
        synthesis: Synthesis = loaded.record
        toc = [
            ("Research question", "research-question"),
            ("Verification level", "verification-level"),
            ("Quality tier", "quality-tier"),
            ("Quality dimensions", "quality-dimensions"),
            ("Correction record", "correction-record"),
            ("Provenance", "provenance"),
            ("Cite this page", "cite"),
        ]
        page = self.page(
            "synthesis.html",
            urls.synthesis_url(sid),
            "synthesis",
            marked_text(synthesis, "title"),
            marked_text(synthesis, "research_question"),
            synthesis=synthesis,
            same_abstract=self.same_abstract.get(sid, ()),
            record_file=loaded.doc.path,
            toc=toc,
        )
        page.record_json = {"record": synthesis.model_dump(mode="json")}
        return page

    def external_page(self, eid: str) -> RenderedPage:
        loaded = self.site.corpus.externals[eid]
        work = loaded.record
        page = self.page(
            "external.html",
            urls.external_url(eid),
            "external",
            work.title,
            f"A cited work outside arXiv: {work.title}.",
            work=work,
            record_file=loaded.doc.path,
            cited_by=self.site.cited_by.get(eid, []),
            toc=[("Cited by", "cited-by")],
        )
        page.record_json = {"record": work.model_dump(mode="json")}
        return page

    def category_pages(self, slug: str) -> list[RenderedPage]:
        """A category lists the papers of its subtree, PAGE_SIZE a page; its claims are one explorer link away."""
        site = self.site
        category = site.corpus.categories[slug]
        papers = site.category_papers[slug]
        syntheses = site.category_syntheses[slug]
        claim_count = self.category_counts[slug].claims
        chunks = listings.pages_of(papers)
        first_url = urls.category_url(slug)
        pages = []
        retired = [n for first, n in self.retired_pages.values() if first == first_url]
        for number, chunk in [*enumerate(chunks, start=1), *((n, []) for n in sorted(retired))]:
            pager = listings.Pager(first_url, number, len(chunks))
            title = category.title if number == 1 else f"{category.title} (page {number} of {len(chunks)})"
            if number > len(chunks):
                title = f"{category.title}: past the end of the list"
            page = self.page(
                "category.html",
                pager.url(number),
                "category",
                title,
                category.description or f"Papers, claims and syntheses in {category.title}.",
                category=category,
                slug=slug,
                parents=listings.parents_of(site, slug),
                subcategories=site.children.get(slug, ()),
                papers=chunk,
                paper_count=len(papers),
                claim_count=claim_count,
                syntheses=syntheses,
                pager=pager,
                toc=[("Papers", "papers"), ("Claims", "claims"), ("Syntheses", "syntheses")],
            )
            page.record_json = {
                "category": category.model_dump(mode="json"),
                **({"papers": papers} if number == 1 else {}),  # page 1 holds the whole list
                "page": number,
                "pages": len(chunks),
                "page_papers": chunk,
                "syntheses": syntheses,
            }
            pages.append(page)
        return pages

    def paged(self, first_url: str, items: list[Any]) -> list[tuple[list[Any], listings.Pager]]:
        """A listing's pages, each with its pager, then its retired pages (published once, now past the end)."""
        chunks = listings.pages_of(items)
        retired = sorted(n for first, n in self.retired_pages.values() if first == first_url)
        numbered = [*enumerate(chunks, start=1), *((n, []) for n in retired)]
        return [(chunk, listings.Pager(first_url, number, len(chunks))) for number, chunk in numbered]

    def cited_by_pages(self, pid: str) -> list[RenderedPage]:
        """`papers/<id>/cited-by/`: every paper citing `pid`, PAGE_SIZE a page, when its own page shows only some."""
        paper = self.site.papers[pid].record
        edges = listings.citations_of(self.site, pid)
        pages = []
        for chunk, pager in self.paged(listings.cited_by_url(pid), edges):
            title = f"Papers citing {paper.title}"
            if pager.number > 1:
                title += f" (page {pager.number} of {pager.count})" if chunk else ": past the end of the list"
            page = self.page(
                "cited_by.html", pager.url(pager.number), "index", title,
                f"The {len(edges)} citations of {paper_label(pid)} recorded in this knowledge base.",
                paper=paper, pid=pid, edges=chunk, total=len(edges), pager=pager,
            )  # fmt: skip
            page.record_json = {"paper": pid, "page": pager.number, "pages": pager.count,
                                "citing": [edge.citing for edge in chunk]}  # fmt: skip
            pages.append(page)
        return pages

    def claim_page(self, claim: Claim) -> RenderedPage:
        paper = self.site.papers.get(claim.paper_base)
        title = f"Claim {claim.claim_id}"
        page = self.page(
            "claim.html",
            urls.claim_url(claim.claim_id),
            "claim",
            title,
            claim.claim,
            claim=claim,
            paper=paper.record if paper else None,
            toc=[("Claim", "claim"), ("Cite this claim", "cite")],
        )
        page.record_json = claim_json(claim)
        return page

    @functools.cached_property
    def category_counts(self) -> dict[str, CategoryCount]:
        """Papers, claims and syntheses of each category's subtree: the taxonomy index and category pages show them."""
        return category_counts(self.site)

    @functools.cached_property
    def retired_pages(self) -> dict[str, tuple[str, int]]:
        """Published page-N URLs of listings that have shrunk since (read from urls.lock once)."""
        return listings.retired_pages(self.site)

    def claim_listing_pages(self, claims: list[Claim]) -> list[RenderedPage]:
        """`claims/page/N/`: the explorer's claims PAGE_SIZE at a time, readable without JavaScript."""
        chunks = listings.pages_of(claims)
        pages = []
        retired = sorted(n for first, n in self.retired_pages.values() if first == "claims/")
        for number, chunk in [*enumerate(chunks[1:], start=2), *((n, []) for n in retired)]:
            pager = listings.Pager("claims/", number, len(chunks))
            pages.append(
                self.page(
                    "claims_page.html", pager.url(number), "explorer",
                    f"Claims, page {number} of {len(chunks)}" if chunk else "Claims: past the end of the list",
                    f"Claims {pager.first_item} to {pager.first_item + len(chunk) - 1} of {len(claims)}, in ledger order."
                    if chunk else f"The claim listing now ends on page {len(chunks)}.",
                    claims=chunk, total=len(claims), pager=pager,
                )
            )  # fmt: skip
        return pages

    def explorer_page(self, claims: list[Claim], explorer: ExplorerParts) -> RenderedPage:
        chunks = listings.pages_of(claims)
        return self.page(
            "claims_index.html", "claims/", "explorer", "Claim explorer",
            "Every claim across all ledgers, with filters.",
            claims=chunks[0], total=len(claims), pager=listings.Pager("claims/", 1, len(chunks)),
            facets=explorer.facets, tree=explorer.tree, data_url=listings.DATA_DIR,
        )  # fmt: skip

    def problems_page(self) -> RenderedPage:
        groups = problem_groups()
        return self.page(
            "problems.html", urls.index_url("problems"), "methodology", "Problems kb reports",
            "Every problem code the validator can report, with its usual hint and what it protects.",
            groups=groups, toc=[(group.title, group.anchor) for group in groups],
        )  # fmt: skip

    def index_pages(self, claims: list[Claim], explorer: ExplorerParts) -> list[RenderedPage]:
        site = self.site
        papers = self.paged("papers/", sorted(site.papers.values(), key=lambda p: p.record.id))
        pages = []
        for chunk, pager in papers:
            title = "All papers" if pager.number == 1 else f"All papers (page {pager.number} of {pager.count})"
            index = self.page(
                "papers_index.html", pager.url(pager.number), "index", title, "Every paper in the knowledge base.",
                papers=chunk, total=len(site.papers), pager=pager,
            )  # fmt: skip
            pages.append(index)
        pages += [
            self.page(
                "syntheses_index.html", "syntheses/", "index", "All syntheses",
                "Synthesis reports grouped by quality tier and verification level.",
                groups=group_syntheses(site),
            ),
            self.page(
                "taxonomy_index.html", "taxonomy/", "index", "Taxonomy", "The category tree with counts.",
                roots=site.children.get(None, []), counts=self.category_counts,
            ),
            self.explorer_page(claims, explorer),
            self.problems_page(),
            self.page(
                "methodology.html", "methodology/", "methodology", "Methodology",
                "What every badge and vocabulary means.",
                toc=[(v.name, key) for key, v in VOCABULARIES.items()],
                ledger_columns=LEDGER_COLUMNS, ledger_column_docs={**LEDGER_COLUMN_DOCS, **OPTIONAL_LEDGER_COLUMNS},
                slug=slugify, show=self.badge_macro(),
            ),
        ]  # fmt: skip
        twins = index_twins(site, claims)
        for page, (chunk, pager) in zip(pages, papers, strict=False):
            if pager.number > 1:
                page_papers = [p.record.id for p in chunk]
                page.record_json = {"page": pager.number, "pages": pager.count, "page_papers": page_papers}
        for page in pages:
            page.record_json = page.record_json or twins[page.url]
        return pages


@dataclass(frozen=True)
class ProblemGroup:
    anchor: str
    title: str
    codes: tuple[problem_codes.Code, ...]


def problem_groups() -> list[ProblemGroup]:
    """The registered problem codes by stage, in the registry's order."""
    groups = [
        ProblemGroup(f"stage-{stage}", title, tuple(c for c in problem_codes.CODES.values() if c.stage == stage))
        for stage, title in problem_codes.STAGES.items()
    ]
    return [group for group in groups if group.codes]


def index_twins(site: Site, claims: list[Claim]) -> dict[str, dict[str, Any]]:
    """The JSON twin of each index page: what the page lists, as data."""
    categories = site.corpus.categories
    return {
        "papers/": {"papers": sorted(site.papers)},
        "syntheses/": {"syntheses": sorted(site.corpus.syntheses)},
        "taxonomy/": {
            "editorial": True,
            "categories": [
                {"slug": slug, "title": c.title, "description": c.description, "parents": list(c.parent_slugs)}
                for slug, c in sorted(categories.items())
            ],
        },
        "claims/": {"claims": [claim.claim_id for claim in claims]},
        "methodology/": {"vocabularies": {key: vocab.as_json() for key, vocab in VOCABULARIES.items()}},
        urls.index_url("problems"): {"problems": [dataclasses.asdict(code) for code in problem_codes.CODES.values()]},
    }


def claim_json(claim: Claim) -> dict[str, Any]:
    return {
        "claim_id": claim.claim_id,
        "paper_id": claim.paper_id,
        "claim": claim.claim,
        "claim_status": claim.claim_status,
        "evidence_status": claim.evidence_status,
        "source_depth": claim.source_depth,
        "source_quote": claim.source_quote,
        "page_or_section": claim.page_or_section,
        "taxonomy_fit": claim.taxonomy_fit_raw,
        "audit_status": claim.audit_raw,
        "ledger": claim.ledger,
        "row": claim.row,
    }


@dataclass(frozen=True)
class SynthesisGroup:
    tier: str
    level: str
    ids: tuple[str, ...]


def group_syntheses(site: Site) -> list[SynthesisGroup]:
    tiers = list(VOCABULARIES["tier"].values)
    groups: dict[tuple[str, str], list[str]] = {}
    for sid, loaded in site.corpus.syntheses.items():
        key = (loaded.record.quality_tier.tier, loaded.record.verification_level.paper_level)
        groups.setdefault(key, []).append(sid)
    return [
        SynthesisGroup(tier, level, tuple(sorted(ids)))
        for (tier, level), ids in sorted(groups.items(), key=lambda item: (tiers.index(item[0][0]), item[0][1]))
    ]


@dataclass(frozen=True)
class Facet:
    key: str
    label: str
    values: tuple[tuple[str, int], ...]
    vocabulary: str


FACET_LABELS = {
    "claim_status": "Claim status",
    "evidence_status": "Evidence",
    "source_depth": "Source depth",
    "audit": "Audit",
    "fit": "Taxonomy fit",
}
"""The vocabulary facets, listed in full; categories show as a tree and papers by short title."""
FACET_VOCABULARIES = {"audit": "audit_status", "fit": "taxonomy_fit"}


def claim_facets(site: Site, claims: list[Claim]) -> list[Facet]:
    facets = []
    for key, label in FACET_LABELS.items():
        counts = collections.Counter(map(listings.VOCAB_VALUE[key], claims))
        facets.append(Facet(key, label, tuple(sorted(counts.items())), FACET_VOCABULARIES.get(key, key)))
    return facets


@dataclass(frozen=True)
class ExplorerParts:
    files: list[StaticFile]
    """`claims/data/`: the facet index and the claim shards the explorer fetches."""
    facets: list[Facet]
    tree: list[listings.TreeNode]


@dataclass(frozen=True)
class CategoryCount:
    papers: int
    claims: int
    syntheses: int


def category_counts(site: Site) -> dict[str, CategoryCount]:
    claims_of = {pid: len(site.claims_by_paper.get(pid)) for pid in site.papers}
    counts = {}
    for slug, papers in site.category_papers.items():
        claims = sum(map(claims_of.get, papers, repeat(0)))
        counts[slug] = CategoryCount(len(papers), claims, len(site.category_syntheses[slug]))
    return counts
