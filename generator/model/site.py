"""The site model: what collection produces and every later stage only reads.

`Corpus` is the validated records and claims; `Site` is the corpus linked into
a graph, plus the values the enrichers computed (quote checks, citations).
A `Site` is frozen: its indexes are read-only mappings of tuples, so rendering
and publishing cannot change what the next page sees.
"""

from __future__ import annotations

import functools
import json
import types
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from generator.model.records import (
    Category,
    CitationPolarity,
    CitationRole,
    Claim,
    ExternalWork,
    LedgerMeta,
    Paper,
    Record,
    Retraction,
    Synthesis,
    Vocabulary,
    marked_text,
)
from generator.problems import Location, Problems

UNCLASSIFIED = "unclassified"

KeyPath = tuple[str | int, ...]
R = TypeVar("R", bound=Record)
K = TypeVar("K")
V = TypeVar("V")


@dataclass
class RawDocument:
    """One YAML record as plain data, with a mark for every key path."""

    path: str
    data: Any
    marks: dict[KeyPath, tuple[int, int]] = field(default_factory=dict)
    implicit: dict[KeyPath, str] = field(default_factory=dict)
    printable: bool = False
    """True when the loader saw every text value printable (no control or format character), so the text
    checks need not walk the data again; False when one is not, or nobody looked."""

    def location(self, key_path: KeyPath) -> Location:
        """The closest recorded mark for a key path (a missing key points at its parent)."""
        probe = tuple(key_path)
        while probe not in self.marks and probe:
            probe = probe[:-1]
        line, col = self.marks.get(probe, (1, 1))
        return Location(self.path, line, col)


@dataclass(frozen=True)
class Loaded(Generic[R]):
    """A validated record with the document it came from, for located cross-reference errors."""

    record: R
    doc: RawDocument

    def location(self, *key_path: str | int) -> Location:
        return self.doc.location(key_path)


@dataclass
class Corpus:
    """Validated records and claims, filled by the validate stage and read-only after it."""

    papers: dict[str, Loaded[Paper]] = field(default_factory=dict)
    syntheses: dict[str, Loaded[Synthesis]] = field(default_factory=dict)
    externals: dict[str, Loaded[ExternalWork]] = field(default_factory=dict)
    categories: dict[str, Category] = field(default_factory=dict)
    category_docs: dict[str, Location] = field(default_factory=dict)
    retractions: dict[str, Retraction] = field(default_factory=dict)
    claims: list[Claim] = field(default_factory=list)
    bib_files: list[str] = field(default_factory=list)
    from_bibtex: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)
    """Paper id -> (BibTeX key, labels of the fields its entry filled), set by `link.apply_bibliography`."""
    rejected: dict[str, str] = field(default_factory=dict)
    """Record id (versionless for papers) -> file, for records that exist but failed validation.
    Linking uses it to say "that record has errors" instead of "unknown paper"."""
    rejected_categories: dict[str, str] = field(default_factory=dict)
    """Slug -> taxonomy file, for categories that are written down but failed validation."""
    unloaded_taxonomy: str = ""
    """The taxonomy file, when it failed as a whole: every category reference then follows from that error."""
    files_read: int = 0
    records_read: int = 0
    rows_read: int = 0


@dataclass(frozen=True)
class Settings:
    site_name: str = "Evidence ledger"
    site_url: str = ""
    repo_url: str = ""
    edit_uri: str = ""
    hub_threshold: int = 3
    release: str = ""
    archived_releases: tuple[str, ...] = ()
    """Releases whose pages the deployment serves under `releases/<name>/`; only these get pinned URLs."""


@dataclass(frozen=True)
class Edge:
    citing: str
    target: str
    role: str | None
    polarity: str | None
    context: str
    location: Location


@dataclass(frozen=True)
class Share:
    """One bar of a summary: always carried with its denominator."""

    label: str
    count: int
    total: int
    citing: tuple[str, ...]

    @property
    def percent(self) -> int:
        return round(100 * self.count / self.total) if self.total else 0


@dataclass(frozen=True)
class CoCitation:
    target: str
    count: int


# --- what the enrichers compute (publish/quotes.py, publish/cite.py); the orchestrator attaches them ---


@dataclass(frozen=True)
class QuoteCheck:
    """The outcome shown next to a quote: state (a CSS modifier), a short label and a tooltip."""

    state: str  # "verified" | "not-found" | "no-source" | "no-quote"
    label: str
    detail: str


@dataclass(frozen=True)
class PageCitation:
    """Everything the "Cite this page" block and the head metadata need for one page."""

    key: str
    kind: str
    title: str
    genre: str
    living_url: str
    pinned_url: str
    release: str
    issued: str | None
    csl: dict[str, Any] = field(compare=False)
    bibtex: str
    apa: str

    @functools.cached_property
    def csl_json(self) -> str:
        """One line (thousands of pages carry it), made when a page shows it: claim pages do not."""
        return json.dumps([self.csl], ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class Stats:
    files_read: int = 0
    records_read: int = 0
    rows_read: int = 0
    papers: int = 0
    syntheses: int = 0
    externals: int = 0
    categories: int = 0
    claims: int = 0
    citations: int = 0
    hubs: int = 0

    def summary(self) -> str:
        return (
            f"kb: read {self.files_read} files: {self.records_read} records ({self.papers} papers, "
            f"{self.syntheses} syntheses, {self.externals} external works, {self.categories} categories) "
            f"and {self.rows_read} ledger rows ({self.claims} valid claims)"
        )


class Index(Mapping[K, tuple[V, ...]]):
    """A read-only one-to-many index: a key with no entries reads as an empty tuple."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[K, Iterable[V]] | None = None) -> None:
        self._data: dict[K, tuple[V, ...]] = {key: tuple(values) for key, values in (data or {}).items()}

    def __getitem__(self, key: K) -> tuple[V, ...]:
        return self._data.get(key, ())

    def get(self, key: K, default: Any = None) -> tuple[V, ...]:  # type: ignore[override]
        """As `index[key]` (a key with no entries has ()), without the Mapping mixin's try/except."""
        return self._data.get(key, ())

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __iter__(self) -> Iterator[K]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"Index({self._data!r})"

    def entries(self) -> Mapping[K, tuple[V, ...]]:
        """The keys that have entries, as a read-only dict, whose lookups run at C speed: for bulk comparisons
        (`kb serve` compares two builds' indexes key by key)."""
        return types.MappingProxyType(self._data)


def frozen_mapping(data: Mapping[K, V] | None = None) -> Mapping[K, V]:
    return types.MappingProxyType(dict(data or {}))


@dataclass(frozen=True)
class Site:
    """Everything the renderer needs, fully linked; built once by `link` and never changed."""

    root: Path
    settings: Settings
    corpus: Corpus
    problems: Problems
    """Append-only: rendering and publishing still report problems, but change no data."""
    stats: Stats = Stats()
    edges: tuple[Edge, ...] = ()
    cites: Index[str, Edge] = field(default_factory=Index)
    cited_by: Index[str, Edge] = field(default_factory=Index)
    claims_by_paper: Index[str, Claim] = field(default_factory=Index)
    papers_by_category: Index[str, str] = field(default_factory=Index)
    syntheses_by_category: Index[str, str] = field(default_factory=Index)
    syntheses_by_paper: Index[str, str] = field(default_factory=Index)
    children: Index[str | None, str] = field(default_factory=Index)
    hubs: frozenset[str] = frozenset()
    retracted_papers: frozenset[str] = frozenset()
    aliases: Mapping[str, str] = field(default_factory=frozen_mapping)
    from_bibtex: Mapping[str, tuple[str, tuple[str, ...]]] = field(default_factory=frozen_mapping)
    # Attached by the orchestrator from the enrichers' results (publish.quotes, publish.cite):
    quote_checks: Mapping[str, QuoteCheck] = field(default_factory=frozen_mapping)
    citations: Mapping[str, PageCitation] = field(default_factory=frozen_mapping)
    ledgers: Mapping[str, LedgerMeta] = field(default_factory=frozen_mapping)
    """Ledger path -> its title, description and sources from ledgers/datapackage.json."""

    @property
    def papers(self) -> Mapping[str, Loaded[Paper]]:
        return self.corpus.papers

    def title_of(self, record_id: str) -> str:
        return self.titles.get(record_id, record_id)

    @functools.cached_property
    def titles(self) -> dict[str, str]:
        """Every record's title as pages show it, made once: pages ask about 300,000 times at 10,000 papers.
        A paper's id wins over a synthesis' or an external work's, so they are added last."""
        titles: dict[str, str] = {}
        for registry in (self.corpus.externals, self.corpus.syntheses, self.corpus.papers):
            titles.update((record_id, marked_text(loaded.record, "title")) for record_id, loaded in registry.items())
        return titles

    @functools.cached_property
    def category_papers(self) -> dict[str, list[str]]:
        """Each category's papers with those of its subcategories, by id: category pages, the taxonomy's counts and
        the planned listing URLs all need them, so they are gathered once."""
        return self._in_subtrees(self.papers_by_category)

    @functools.cached_property
    def category_syntheses(self) -> dict[str, list[str]]:
        """Each category's syntheses with those of its subcategories, by id (category pages and their counts)."""
        return self._in_subtrees(self.syntheses_by_category)

    def _in_subtrees(self, filed: Index[str, str]) -> dict[str, list[str]]:
        return {
            slug: sorted({rid for s in self.descendants(slug) for rid in filed.get(s, ())})
            for slug in self.corpus.categories
        }

    def descendants(self, slug: str) -> list[str]:
        found: list[str] = []
        stack = [slug]
        while stack:
            current = stack.pop()
            if current in found:  # a cycle is reported by linking; never loop on it
                continue
            found.append(current)
            stack.extend(self.children.get(current, ()))
        return found

    def role_summary(self, target: str) -> list[Share]:
        return _shares(self.cited_by.get(target, ()), "role", CitationRole)

    def polarity_summary(self, target: str) -> list[Share]:
        return _shares(self.cited_by.get(target, ()), "polarity", CitationPolarity)

    def co_cited(self, target: str, limit: int = 10) -> list[CoCitation]:
        """Works most often cited by the same papers that cite `target`."""
        counts: Counter[str] = Counter()
        for edge in self.cited_by.get(target, ()):
            counts.update({e.target for e in self.cites.get(edge.citing, ()) if e.target != target})
        return [CoCitation(t, n) for t, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]]


def _shares(edges: Iterable[Edge], attribute: str, vocabulary: Vocabulary) -> list[Share]:
    """Counts per value over citing *papers*; unclassified edges stay in the denominator."""
    by_label: dict[str, set[str]] = defaultdict(set)
    edges = tuple(edges)
    citing = {edge.citing for edge in edges}
    for edge in edges:
        by_label[getattr(edge, attribute) or UNCLASSIFIED].add(edge.citing)
    labels = [*vocabulary.values, UNCLASSIFIED]
    return [
        Share(label, len(by_label[label]), len(citing), tuple(sorted(by_label[label])))
        for label in labels
        if by_label[label]
    ]


def same_abstract(site: Site) -> dict[str, tuple[str, ...]]:
    """For each synthesis whose abstract another one shares word for word: the ids of the others, sorted."""
    by_text: dict[str, list[str]] = {}
    for sid, loaded in site.corpus.syntheses.items():
        text = " ".join(loaded.record.abstract.split())
        if text:
            by_text.setdefault(text, []).append(sid)
    return {
        sid: tuple(sorted(other for other in group if other != sid))
        for group in by_text.values()
        if len(group) > 1
        for sid in group
    }
