"""Re-render only the pages an edit touches (`kb serve` rebuilds after every save).

A page is a function of its template, its typed context (pipeline/contexts.py),
what its template looks up in the `SiteView`, and what every page shares (the
settings, the taxonomy, the hubs, the templates themselves). While a page is
rendered, the view's lookups are recorded: which record of which index it read.
Each rebuild compares the new site's indexes with the last build's, key by key
(by identity first), which gives the set of lookups that answer differently now.
A page is reused when its context is equal and none of its lookups is in that
set; otherwise it is rendered again. So a full build and a rebuild after an edit
give the same pages, and an edit to one paper re-renders that paper, the pages
that show it and the listings, not the 10,000 others.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import compress, repeat
from operator import is_not
from pathlib import Path
from typing import Any

import jinja2

from generator import urls
from generator.model.records import Claim, Paper
from generator.model.site import Edge, Index, Site
from generator.pipeline import listings
from generator.pipeline.contexts import SiteView
from generator.pipeline.render import (
    TEMPLATE_DIR,
    CompiledTemplates,
    ExplorerParts,
    Facet,
    RenderedPage,
    Renderer,
    StaticFile,
    claim_facets,
    json_twin,
)

MISSING = object()
"""What an index holds for an absent key when two builds are compared (absence is an input too)."""
WHOLE = object()
"""The key of a lookup that iterated or counted a whole index: the page depends on all of it."""

_PER_RECORD = (
    "papers",
    "cited_by",
    "claims_by_paper",
    "from_bibtex",
    "quote_checks",
    "citations",
    "corrections_by_claim",
)
"""SiteView indexes whose reads are recorded key by key (with `corpus.syntheses` and `title_of`)."""
SHARED_VIEW_FIELDS = ("settings", "corpus", "hubs", "retracted_papers", "children", "ledgers")
"""SiteView fields every page may show: part of `RenderCache.shared` (of `corpus`, the categories).
A new SiteView field must join one of the two lists, or a page showing it could be reused stale
(tests/test_incremental.py checks)."""
VIEW_FIELDS = (*_PER_RECORD, *SHARED_VIEW_FIELDS, "title_of")

Lookup = tuple[str, Any]


class _Reads:
    """The lookups of the page being rendered, or None between pages: which keys, not what they found, since a
    rebuild compares the indexes themselves (`_Indexes.changed_since`)."""

    def __init__(self) -> None:
        self.current: set[Lookup] | None = None

    def note(self, name: str, key: Any) -> None:
        if self.current is not None:
            self.current.add((name, key))


class _RecordedMapping(Mapping[Any, Any]):
    """A read-only index that tells `_Reads` what each page looked up in it."""

    def __init__(self, name: str, inner: Mapping[Any, Any], reads: _Reads) -> None:
        self._name, self._inner, self._reads = name, inner, reads

    def __getitem__(self, key: Any) -> Any:
        self._reads.note(self._name, key)  # a missing key is a lookup too: absence is an input
        return self._inner[key]

    def __contains__(self, key: object) -> bool:
        self._reads.note(self._name, key)
        return key in self._inner

    def __iter__(self) -> Iterator[Any]:
        self._reads.note(self._name, WHOLE)
        return iter(self._inner)

    def __len__(self) -> int:
        self._reads.note(self._name, WHOLE)
        return len(self._inner)


class _Indexes:
    """The site's indexes by the names `_Reads` notes, to compare one build's with the next."""

    def __init__(self, site: Site, view: SiteView) -> None:
        self.by_name: dict[str, Mapping[Any, Any]] = {name: _entries(getattr(view, name)) for name in _PER_RECORD}
        self.by_name["syntheses"] = view.corpus.syntheses
        self.by_name["title_of"] = site.titles  # a missing id reads as itself, in both builds

    def changed_since(self, last: _Indexes, read: dict[str, set[Any]]) -> set[Lookup]:
        """Every lookup that pages made (`read`) whose answer differs from the last build's, most compared by
        identity; and (name, WHOLE) for an index some page read whole, when any of its keys differs. Only keys
        pages read are compared: the citations index makes a claim's citation when asked for one."""
        changed: set[Lookup] = set()
        for name, mapping in self.by_name.items():
            keys = read.get(name)
            if not keys:
                continue
            old = last.by_name[name]
            whole = WHOLE in keys
            compared = list(old.keys() | mapping.keys() if whole else keys)
            # `is` first, at C speed: an unchanged file gives back the very same record (pipeline/load.py,
            # validate.py), and comparing two pydantic records field by field is what most comparing would cost
            olds = list(map(old.get, compared, repeat(MISSING)))
            news = list(map(mapping.get, compared, repeat(MISSING)))
            maybe = compress(zip(compared, olds, news, strict=True), map(is_not, olds, news))
            differ = [key for key, was, now in maybe if was != now]
            if differ and whole:
                changed.add((name, WHOLE))
            changed.update((name, key) for key in differ)
        return changed


def _entries(index: Mapping[Any, Any]) -> Mapping[Any, Any]:
    """An `Index` as the plain mapping of its entries (a key without entries reads as absent in both builds)."""
    return index.entries() if isinstance(index, Index) else index


@dataclass
class _Entry:
    template: str
    head: tuple[str, str, str]  # kind, title, description
    context: dict[str, Any]
    reads: frozenset[Lookup]
    page: RenderedPage


@dataclass
class RenderCache:
    """Pages of the previous build by URL, reused when none of their inputs changed."""

    shared: tuple[Any, ...] | None = None
    entries: dict[str, _Entry] = field(default_factory=dict)
    twins: dict[str, tuple[dict[str, Any], StaticFile]] = field(default_factory=dict)
    heads: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    """Each page's <head> metadata with what it was made from (publish/metadata.py `KnownHeads`)."""
    release: Any = None
    """The data release's tables and files with what they were made from: publish/exports.py `KnownRelease`,
    made by the orchestrator (publish is a layer above this module)."""
    feed: Any = None
    """The feed's entries and bytes with what they were made from: publish/feed.py `KnownFeed`, likewise."""
    paper_json: dict[str, tuple[Paper, tuple[Claim, ...], dict[str, Any]]] = field(default_factory=dict)
    """Each paper page's record data with the record and claims it was made from (`Renderer.paper_json`)."""
    explorer: KnownExplorer | None = None
    """The claim explorer's parts with what they were made from."""
    paper_inputs: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    """What each paper page's context was made from besides the citation graph (`_CachingRenderer.paper_page`)."""
    claim_urls: tuple[list[Claim], list[str]] | None = None
    """Every claim page's URL, with the claims they were made from (`_CachingRenderer.claim_urls`)."""
    edges: tuple[Edge, ...] | None = None
    """The last build's citation graph: while it is the same, a paper page's context needs only its own inputs."""
    rendered: list[str] = field(default_factory=list)
    """URLs rendered (not reused) by the last build: what tests count."""
    indexes: _Indexes | None = None
    """The last build's indexes: a page is reused when none of its lookups gives another answer now."""
    read: dict[str, set[Any]] = field(default_factory=dict)
    """Every key a cached page looked up, by index name: what a rebuild compares."""
    seen: set[str] = field(default_factory=set)
    """URLs the last build asked for. A page it did not ask for was not checked against its indexes, so it
    cannot be checked against the last build's changes: it is dropped."""
    env: jinja2.Environment | None = None
    """The templates compiled by the first build (the template files are part of `shared`)."""

    def renderer(self, site: Site) -> Renderer:
        """A renderer whose pages come from this cache when their inputs did not change."""
        shared = (
            site.root, site.settings, site.hubs, site.retracted_papers, dict(site.corpus.categories),
            {key: tuple(value) for key, value in site.children.items()}, dict(site.ledgers), _template_files(site.root),
        )  # fmt: skip
        if shared != self.shared:  # every page shows these: none of the cached pages can be trusted
            self.shared, self.entries, self.twins, self.heads, self.env, self.explorer = shared, {}, {}, {}, None, None
        renderer = _CachingRenderer(site, self)
        indexes = _Indexes(site, renderer.plain_view)
        if self.indexes is None or not self.entries:
            renderer.changed = set()
            self.entries, self.read = {}, {}
        else:
            renderer.changed = indexes.changed_since(self.indexes, self.read)
            self.entries = {url: entry for url, entry in self.entries.items() if url in self.seen}
        self.indexes, self.seen, self.rendered = indexes, set(), []
        renderer.same_graph = self.edges is not None and self.edges == site.edges  # most edges are the same objects
        self.edges = site.edges
        return renderer

    def json_twin(self, page: RenderedPage) -> StaticFile:
        """The page's JSON twin, serialised again only when its data changed."""
        data = {"url": page.url, "kind": page.kind, "title": page.title, "record": page.record_json}
        known = self.twins.get(page.url)
        if known is not None and known[0] == data:
            return known[1]
        twin = json_twin(page)
        self.twins[page.url] = (data, twin)
        return twin


class _CachingRenderer(Renderer):
    def __init__(self, site: Site, cache: RenderCache) -> None:
        super().__init__(site)
        if cache.env is None:
            cache.env = self.env
        self.env = cache.env  # site-independent (globals are pure functions), and compiling templates takes seconds
        self.cache, self.reads, self.plain_view = cache, _Reads(), self.view
        self.changed: set[Lookup] = set()
        """The lookups that give another answer than in the last build (set by `RenderCache.renderer`)."""
        self.same_graph = False
        """Every citation edge is as in the last build (set by `RenderCache.renderer`)."""
        view, reads = self.view, self.reads
        recorded: dict[str, Any] = {name: _RecordedMapping(name, getattr(view, name), reads) for name in _PER_RECORD}
        corpus = dataclasses.replace(view.corpus, syntheses=_RecordedMapping("syntheses", view.corpus.syntheses, reads))
        self.view = dataclasses.replace(view, corpus=corpus, title_of=_recorded_title(view, reads), **recorded)

    def page(self, template: str, url: str, kind: str, title: str, description: str, **context: Any) -> RenderedPage:
        cache = self.cache
        cache.seen.add(url)
        entry = cache.entries.get(url)
        if entry is not None and _still_valid(entry, template, (kind, title, description), context, self.changed):
            return entry.page.copy()  # the builder sets record_json and head on its own copy
        self.reads.current = set()
        try:
            fresh = super().page(template, url, kind, title, description, **context).spool()  # cached on disk
            reads = frozenset(self.reads.current)
            cache.entries[url] = _Entry(template, (kind, title, description), context, reads, fresh)
            for name, key in reads:
                cache.read.setdefault(name, set()).add(key)
        finally:
            self.reads.current = None
        cache.rendered.append(url)
        return fresh.copy()

    def paper_page(self, pid: str) -> RenderedPage:
        """Last build's page without even making its context, when the citation graph is the same and so are
        the paper's record (the very object), claims, syntheses and retraction, and every lookup its page made:
        a title edit at 10,000 papers made 10,000 contexts (cited-by lists, shares, co-citations) to compare."""
        site, cache = self.site, self.cache
        loaded = site.papers[pid]
        inputs = (
            loaded.record, loaded.doc.path, site.claims_by_paper[pid], site.syntheses_by_paper[pid],
            site.corpus.retractions.get(pid),
        )  # fmt: skip
        known, cache.paper_inputs[pid] = cache.paper_inputs.get(pid), inputs
        url = urls.paper_url(pid)
        entry = cache.entries.get(url)
        if (
            self.same_graph
            and known is not None
            and known[0] is inputs[0]
            and known[1:] == inputs[1:]
            and entry is not None
            and self.changed.isdisjoint(entry.reads)
        ):
            cache.seen.add(url)
            page = entry.page.copy()
            page.record_json = self.paper_json(loaded.record, inputs[2])
            return page
        return super().paper_page(pid)

    def claim_urls(self, claims: list[Claim]) -> list[str]:
        """Last build's list while the claims are the very same objects, in the same order."""
        last = self.cache.claim_urls
        if last is None or last[0] != claims:  # identity first, element by element
            last = self.cache.claim_urls = (claims, super().claim_urls(claims))
        return last[1]

    def paper_json(self, paper: Paper, claims: tuple[Claim, ...]) -> dict[str, Any]:
        """Last build's data when the record and claims are the very same objects: else each rebuild would dump
        10,000 records and 100,000 claims again only to find most of them unchanged."""
        last = self.cache.paper_json.get(paper.id)
        if last is not None and last[0] is paper and last[1] == claims:
            return last[2]
        data = super().paper_json(paper, claims)
        self.cache.paper_json[paper.id] = (paper, claims, data)
        return data

    def explorer_parts(self, claims: list[Claim]) -> ExplorerParts:
        site, known = self.site, self.cache.explorer
        inputs = listings.explorer_inputs(site, claims)
        if known is None or known.inputs != inputs:
            codes = listings.explorer_codes(site, claims)
            last = known.shards if known is not None and known.codes == codes else []
            shards, recount = _kept_shards(site, claims, inputs[1], codes, last)
            if known is None or recount:
                facets, tree = claim_facets(site, claims), listings.category_tree(site, claims)
            else:
                facets, tree = known.facets, known.tree
            known = KnownExplorer(inputs, codes, shards, facets, tree)
            self.cache.explorer = known
        titles = listings.explorer_titles(site, known.codes)
        if known.index is None or titles != known.titles:
            index = listings.explorer_index(site, len(claims), known.codes)
            known.titles, known.index = titles, StaticFile.spooled(listings.FACETS_FILE, index)
        return ExplorerParts([known.index, *(shard.file for shard in known.shards)], known.facets, known.tree)


@dataclass(frozen=True)
class KnownShard:
    """One claim shard of the explorer with what it was made from: its claims and their papers' categories."""

    claims: tuple[Claim, ...]
    taxonomies: dict[str, tuple[str, ...] | None]
    file: StaticFile


def _kept_shards(
    site: Site,
    claims: list[Claim],
    taxonomies: dict[str, tuple[str, ...]],
    codes: listings.ExplorerCodes,
    last: list[KnownShard],
) -> tuple[list[KnownShard], bool]:
    """The explorer's shards, each last build's while its claims (by identity first) and their papers' categories
    are (with the same `codes`): an edit to one claim makes one shard again. Also whether the facet counts and the
    category tree must be counted again: when a shard made again differs in what they read of its claims."""
    positions = listings.ShardCodes.of(codes)
    shards, recount = [], len(last) != len(listings.shard_starts(claims))
    for n, start in enumerate(listings.shard_starts(claims)):
        chunk = tuple(claims[start : start + listings.SHARD_SIZE])
        read = {pid: taxonomies.get(pid) for pid in {claim.paper_base for claim in chunk}}
        old = last[n] if n < len(last) else None
        if old is not None and old.claims == chunk and old.taxonomies == read:
            shards.append(old)
            continue
        file = StaticFile.spooled(listings.shard_path(n), listings.explorer_shard(site, chunk, positions))
        shards.append(KnownShard(chunk, read, file))
        recount = recount or (
            old is None or old.taxonomies != read or listings.facet_values(old.claims) != listings.facet_values(chunk)
        )
    return shards, recount


@dataclass
class KnownExplorer:
    """The claim explorer's parts as the last build made them: the shards, counts and tree with their inputs
    (`listings.explorer_inputs`), and `facets.json` with the paper titles it shows."""

    inputs: Any
    codes: listings.ExplorerCodes
    shards: list[KnownShard]
    facets: list[Facet]
    tree: list[listings.TreeNode]
    titles: tuple[str, ...] = ()
    index: StaticFile | None = None


def _still_valid(
    entry: _Entry, template: str, head: tuple[str, str, str], context: dict[str, Any], changed: set[Lookup]
) -> bool:
    """The same template, head and context, and no lookup the page made answers otherwise than last build.
    Every cached page was checked last build (`RenderCache.seen`), so it matched the last build's answers."""
    if entry.template != template or entry.head != head or entry.context != context:
        return False
    return changed.isdisjoint(entry.reads)


def _recorded_title(view: SiteView, reads: _Reads) -> Callable[[str], str]:
    def title_of(record_id: str) -> str:
        reads.note("title_of", record_id)
        return view.title_of(record_id)

    return title_of


def _template_files(root: Path) -> tuple[tuple[str, int, int], ...]:
    """Every template a page may include, bundled or overridden: editing one re-renders everything."""
    files = []
    for folder in (TEMPLATE_DIR, root / "overrides"):
        for path in sorted(folder.rglob("*")) if folder.is_dir() else ():
            if path.is_file():
                stat = path.stat()
                files.append((path.as_posix(), stat.st_size, stat.st_mtime_ns))
    return tuple(files)


@dataclass
class Written:
    """What each file of a served site was made from when last written, so a rebuild rewrites only changed ones.

    It lives here, not in the MkDocs hooks, because MkDocs loads a hooks file afresh on every `kb serve`
    rebuild, and with it any state the file holds.
    """

    site_wide: Any = None
    inputs: dict[str, Any] = field(default_factory=dict)

    def changed(self, site_wide: Any, inputs: dict[str, Any]) -> set[str]:
        """The keys whose inputs differ from last time; every key when what all files share changed."""
        if site_wide != self.site_wide:
            changed = set(inputs)
        else:
            changed = {key for key, value in inputs.items() if self.inputs.get(key, MISSING) != value}
        self.site_wide, self.inputs = site_wide, inputs
        return changed


served_files = Written()
"""`kb serve`: the generated pages and files MkDocs wrote (by src_uri)."""
served_claims = Written()
"""`kb serve`: the claim permalink pages written straight to disk (by paper: what its claims show)."""


theme_templates = CompiledTemplates()
"""`kb serve`: Material's templates, compiled once (set on MkDocs' environment by the hooks' `on_env`)."""
