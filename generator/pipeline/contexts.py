"""Typed page contexts: what each template is given, and nothing more.

Each page kind has one small frozen dataclass naming the variables its
template may use. `Renderer.page` builds it from the builder's keyword
arguments, so a missing or unexpected variable fails when the page is built,
and tests/test_page_contexts.py checks every template against its class:
each variable it reads is a field (or one of `COMMON`), and each field is read.

Templates never get the whole `Site`: they get a `SiteView`, the read-only
indexes and lookups pages show, and URL helpers on `links` (see `PageLinks`),
so no template spells a URL.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from generator.model.records import Category, Claim, ExternalWork, Paper, Synthesis
from generator.model.site import Site

if TYPE_CHECKING:
    from generator.pipeline.listings import Pager, TreeNode

COMMON = ("site", "links", "badge", "page_url", "title")
"""Given to every page template besides its context: a SiteView, PageLinks, the badge helper, the page's URL
and title."""


@dataclass(frozen=True)
class CorpusView:
    categories: Mapping[str, Category]
    syntheses: Mapping[str, Any]


@dataclass(frozen=True)
class SettingsView:
    hub_threshold: int


@dataclass(frozen=True)
class SiteView:
    """What templates may read of the site: lookups and indexes, never the problems, the root or the settings."""

    settings: SettingsView
    corpus: CorpusView
    papers: Mapping[str, Any]
    hubs: frozenset[str]
    retracted_papers: frozenset[str]
    cited_by: Mapping[str, Sequence[Any]]
    claims_by_paper: Mapping[str, Sequence[Claim]]
    children: Mapping[str | None, Sequence[str]]
    from_bibtex: Mapping[str, tuple[str, tuple[str, ...]]]
    quote_checks: Mapping[str, Any]
    citations: Mapping[str, Any]
    ledgers: Mapping[str, Any]
    title_of: Callable[[str], str]
    corrections_by_claim: Mapping[str, Sequence[tuple[str, str, Any]]]

    @classmethod
    def of(cls, site: Site) -> SiteView:
        return cls(
            settings=SettingsView(site.settings.hub_threshold),
            corpus=CorpusView(site.corpus.categories, site.corpus.syntheses),
            papers=site.papers,
            hubs=site.hubs,
            retracted_papers=site.retracted_papers,
            cited_by=site.cited_by,
            claims_by_paper=site.claims_by_paper,
            children=site.children,
            from_bibtex=site.from_bibtex,
            quote_checks=site.quote_checks,
            citations=site.citations,
            ledgers=site.ledgers,
            title_of=site.title_of,
            corrections_by_claim=corrections_by_claim(site),
        )


def corrections_by_claim(site: Site) -> dict[str, list[tuple[str, str, Any]]]:
    """Claim id -> its correction events as (date, synthesis id, event), syntheses in id order (as `dictsort`):
    a claim page finds its own without reading every synthesis, which was a sixth of writing the claim pages."""
    found: dict[str, list[tuple[str, str, Any]]] = {}
    for sid, loaded in sorted(site.corpus.syntheses.items(), key=lambda item: item[0].lower()):
        for event in loaded.record.correction_record.corrections:
            if event.claim_id:
                found.setdefault(event.claim_id, []).append((event.date, sid, event))
    return found


Toc = Sequence[tuple[str, str]]


@dataclass(frozen=True)
class PaperContext:
    paper: Paper
    pid: str
    home: Any
    scheme: str
    record_file: str
    claims: Sequence[Claim]
    cites: Sequence[Any]
    cited_by: Sequence[Any]
    cited_by_total: int
    citing_total: int
    cited_by_url: str
    share_shown: int
    syntheses: Sequence[str]
    is_hub: bool
    roles: Sequence[Any]
    polarities: Sequence[Any]
    co_cited: Sequence[Any]
    retraction: Any
    toc: Toc


@dataclass(frozen=True)
class SynthesisContext:
    synthesis: Synthesis
    same_abstract: Sequence[str]
    record_file: str
    toc: Toc


@dataclass(frozen=True)
class ExternalContext:
    work: ExternalWork
    record_file: str
    cited_by: Sequence[Any]
    toc: Toc


@dataclass(frozen=True)
class CategoryContext:
    category: Category
    slug: str
    parents: Sequence[str]
    subcategories: Sequence[str]
    papers: Sequence[str]
    paper_count: int
    claim_count: int
    syntheses: Sequence[str]
    pager: Pager
    toc: Toc


@dataclass(frozen=True)
class ClaimContext:
    claim: Claim
    paper: Paper | None
    toc: Toc


@dataclass(frozen=True)
class ClaimsPageContext:
    """`claims/page/N/`: one page of the claim listing, readable without JavaScript."""

    claims: Sequence[Claim]
    total: int
    pager: Pager


@dataclass(frozen=True)
class ExplorerContext:
    claims: Sequence[Claim]
    total: int
    pager: Pager
    facets: Sequence[Any]
    tree: Sequence[TreeNode]
    data_url: str


@dataclass(frozen=True)
class PapersIndexContext:
    papers: Sequence[Any]
    total: int
    pager: Pager


@dataclass(frozen=True)
class CitedByContext:
    paper: Paper
    pid: str
    edges: Sequence[Any]
    total: int
    pager: Pager


@dataclass(frozen=True)
class SynthesesIndexContext:
    groups: Sequence[Any]


@dataclass(frozen=True)
class TaxonomyIndexContext:
    roots: Sequence[str]
    counts: Mapping[str, Any]


@dataclass(frozen=True)
class MethodologyContext:
    toc: Toc
    ledger_columns: Sequence[str]
    ledger_column_docs: Mapping[str, str]
    slug: Callable[[str], str]
    show: Callable[[Any], Any]


@dataclass(frozen=True)
class ProblemsContext:
    """The Problems page: every registered problem code, grouped by stage."""

    groups: Sequence[Any]
    toc: Toc


@dataclass(frozen=True)
class DataContext:
    files: Sequence[Any]
    tables: Sequence[Any]
    checksums_name: str
    release: str
    human_size: Callable[[int], str]
    formula_prefixes: Sequence[str]
    cito_role: Mapping[str, str]
    cito_polarity: Mapping[str, str | None]
    toc: Toc


@dataclass(frozen=True)
class TombstoneContext:
    """A withdrawn claim's page: why and when, and the correction event that records it."""

    claim_id: str
    kind: str
    date: str
    description: str
    event_id: str
    synthesis_url: str
    synthesis_title: str


@dataclass(frozen=True)
class RedirectContext:
    """A former id's address, forwarding to the record's page (keeping any `#claim` anchor)."""

    old_id: str
    new_id: str
    record_title: str
    target: str
    canonical: str


CONTEXTS: dict[str, type] = {
    "paper.html": PaperContext,
    "synthesis.html": SynthesisContext,
    "external.html": ExternalContext,
    "category.html": CategoryContext,
    "claim.html": ClaimContext,
    "claims_page.html": ClaimsPageContext,
    "claims_index.html": ExplorerContext,
    "papers_index.html": PapersIndexContext,
    "cited_by.html": CitedByContext,
    "syntheses_index.html": SynthesesIndexContext,
    "taxonomy_index.html": TaxonomyIndexContext,
    "methodology.html": MethodologyContext,
    "problems.html": ProblemsContext,
    "data.html": DataContext,
    "tombstone.html": TombstoneContext,
    "redirect.html": RedirectContext,
}
"""Template -> its context class. A new page kind adds its template and class here."""


def template_vars(template: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """The typed context for `template` built from `values`, as the variables Jinja receives.

    Raises TypeError naming the variable when a builder passes one the context does not declare, or misses one.
    """
    context = CONTEXTS[template](**values)
    return {f.name: getattr(context, f.name) for f in fields(context)}
