"""Link stage: the validated corpus becomes a graph.

Claims attach to papers, papers to categories, citations to their targets.
Every dangling reference becomes a located problem. Hubs, role and polarity
summaries and co-citations are computed here, once, from the whole corpus:
citations form a graph, so nothing is rendered before everything is linked.
"""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.model.records import (
    ARXIV_ID_RE,
    SYNTHESIS_ID_RE,
    CitationPolarity,
    CitationRole,
    Claim,
    Paper,
    Vocabulary,
    arxiv_base,
)
from generator.pipeline.validate import Corpus, Loaded
from generator.problems import Location, Problems, Severity, did_you_mean
from generator.sources.bibtex import BibIndex, read_bibtex

UNCLASSIFIED = "unclassified"
BIB_FIELD_LABELS = {"authors": "Authors", "year": "year", "venue": "venue", "abstract": "abstract", "links": "DOI"}


@dataclass(frozen=True)
class Settings:
    site_name: str = "Evidence ledger"
    site_url: str = ""
    repo_url: str = ""
    edit_uri: str = ""
    hub_threshold: int = 3
    release: str = ""


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


@dataclass
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
    rendered_pages: int = 0
    rendered_claims: int = 0

    def summary(self) -> str:
        return (
            f"kb: read {self.files_read} files: {self.records_read} records ({self.papers} papers, "
            f"{self.syntheses} syntheses, {self.externals} external works, {self.categories} categories) "
            f"and {self.rows_read} ledger rows ({self.claims} valid claims)"
        )


@dataclass
class Site:
    """Everything the renderer needs, fully linked."""

    root: Path
    settings: Settings
    corpus: Corpus
    problems: Problems
    stats: Stats
    edges: list[Edge] = field(default_factory=list)
    cites: dict[str, list[Edge]] = field(default_factory=lambda: defaultdict(list))
    cited_by: dict[str, list[Edge]] = field(default_factory=lambda: defaultdict(list))
    claims_by_paper: dict[str, list[Claim]] = field(default_factory=lambda: defaultdict(list))
    papers_by_category: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    syntheses_by_category: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    syntheses_by_paper: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    children: dict[str | None, list[str]] = field(default_factory=lambda: defaultdict(list))
    hubs: set[str] = field(default_factory=set)
    retracted_papers: set[str] = field(default_factory=set)
    aliases: dict[str, str] = field(default_factory=dict)
    quote_checks: dict[str, Any] = field(default_factory=dict)
    citations: dict[str, Any] = field(default_factory=dict)
    from_bibtex: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)

    @property
    def papers(self) -> dict[str, Loaded[Paper]]:
        return self.corpus.papers

    def title_of(self, record_id: str) -> str:
        for registry in (self.corpus.papers, self.corpus.syntheses, self.corpus.externals):
            if record_id in registry:
                return str(registry[record_id].record.title)  # type: ignore[attr-defined]
        return record_id

    def descendants(self, slug: str) -> list[str]:
        found: list[str] = []
        stack = [slug]
        while stack:
            current = stack.pop()
            if current in found:  # a cycle is reported by linking; never loop on it
                continue
            found.append(current)
            stack.extend(self.children.get(current, []))
        return found

    def role_summary(self, target: str) -> list[Share]:
        return _shares(self.cited_by.get(target, []), "role", CitationRole)

    def polarity_summary(self, target: str) -> list[Share]:
        return _shares(self.cited_by.get(target, []), "polarity", CitationPolarity)

    def co_cited(self, target: str, limit: int = 10) -> list[CoCitation]:
        """Works most often cited by the same papers that cite `target`."""
        counts: Counter[str] = Counter()
        for edge in self.cited_by.get(target, []):
            counts.update({e.target for e in self.cites.get(edge.citing, []) if e.target != target})
        return [CoCitation(t, n) for t, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]]


def _shares(edges: list[Edge], attribute: str, vocabulary: Vocabulary) -> list[Share]:
    """Counts per value over citing *papers*; unclassified edges stay in the denominator."""
    by_label: dict[str, set[str]] = defaultdict(set)
    citing = {edge.citing for edge in edges}
    for edge in edges:
        by_label[getattr(edge, attribute) or UNCLASSIFIED].add(edge.citing)
    labels = [*vocabulary.values, UNCLASSIFIED]
    return [
        Share(label, len(by_label[label]), len(citing), tuple(sorted(by_label[label])))
        for label in labels
        if by_label[label]
    ]


def link(root: Path, settings: Settings, corpus: Corpus, problems: Problems) -> Site:
    site = Site(root=root, settings=settings, corpus=corpus, problems=problems, stats=Stats())
    _apply_bibliography(site)
    _link_taxonomy(site)
    _link_papers(site)
    _link_aliases(site)
    _link_claims(site)
    _link_syntheses(site)
    _link_retractions(site)
    site.hubs = {
        pid
        for pid, loaded in corpus.papers.items()
        if loaded.record.canonical or len({e.citing for e in site.cited_by.get(pid, [])}) >= settings.hub_threshold
    }
    stats = site.stats
    stats.files_read, stats.records_read, stats.rows_read = corpus.files_read, corpus.records_read, corpus.rows_read
    stats.papers, stats.syntheses, stats.externals = len(corpus.papers), len(corpus.syntheses), len(corpus.externals)
    stats.categories, stats.claims = len(corpus.categories), len(corpus.claims)
    stats.citations, stats.hubs = len(site.edges), len(site.hubs)
    return site


def _unknown(
    site: Site, location: Location, field_name: str, code: str, what: str, value: str, choices: list[str]
) -> None:
    site.problems.add(code, location, field_name, f"unknown {what} `{value}`", did_you_mean(value, choices))


def _apply_bibliography(site: Site) -> None:
    """`records/*.bib` fills fields a paper record leaves empty; the record always wins.

    An entry matches by the record's `bibtex_key`, else by arXiv id. Filled fields are
    remembered so the page can say which facts came from BibTeX.
    """
    entries = [entry for path in site.corpus.bib_files for entry in read_bibtex(site.root / path, path, site.problems)]
    index = BibIndex.build(entries)
    for pid, loaded in list(site.corpus.papers.items()):
        paper = loaded.record
        entry = index.by_key.get(paper.bibtex_key) if paper.bibtex_key else index.by_arxiv.get(pid)
        if paper.bibtex_key and entry is None:
            _unknown(
                site,
                loaded.location("bibtex_key"),
                "bibtex_key",
                "ref-unknown-bibtex-key",
                "BibTeX key",
                paper.bibtex_key,
                list(index.by_key),
            )
            continue
        if entry is None:
            continue
        update: dict[str, Any] = {}
        if not paper.authors and entry.authors:
            update["authors"], update["authors_complete"] = list(entry.authors), entry.authors_complete
        if paper.year is None and entry.year is not None:
            update["year"] = entry.year
        if not paper.venue and entry.venue:
            update["venue"] = entry.venue
        if not paper.abstract and entry.abstract:
            update["abstract"] = entry.abstract
        if not paper.links.doi and entry.doi:
            update["links"] = paper.links.model_copy(update={"doi": entry.doi})
        if update:
            site.from_bibtex[pid] = (
                entry.key,
                tuple(BIB_FIELD_LABELS[name] for name in update if name in BIB_FIELD_LABELS),
            )
            site.corpus.papers[pid] = Loaded(paper.model_copy(update=update), loaded.doc)


def _close_id(value: str, ids: list[str]) -> str:
    """Suggest an id only when it is a near miss; listing unrelated ids would mislead."""
    hint = did_you_mean(value, ids)
    return hint if hint.startswith("did you mean") else ""


def _link_taxonomy(site: Site) -> None:
    categories = site.corpus.categories
    for slug, category in categories.items():
        if category.parent is not None and category.parent not in categories:
            _unknown(
                site,
                site.corpus.category_docs[slug],
                "parent",
                "ref-unknown-category",
                "parent category",
                category.parent,
                list(categories),
            )
            site.children[None].append(slug)
        else:
            site.children[category.parent].append(slug)
    for slug in categories:
        seen: set[str] = set()
        current: str | None = slug
        while current is not None and current in categories:
            if current in seen:
                site.problems.add(
                    "category-cycle", site.corpus.category_docs[slug], "parent", f"category `{slug}` is its own ancestor",
                    "the parents must form a tree",
                )  # fmt: skip
                break
            seen.add(current)
            current = categories[current].parent
    for children in site.children.values():
        children.sort(key=lambda s: categories[s].title.casefold())


def _link_categories(site: Site, loaded: Loaded[Any], record_id: str, index: dict[str, list[str]]) -> None:
    """File a paper or synthesis under each of its categories; unknown slugs are problems."""
    categories = site.corpus.categories
    for position, slug in enumerate(loaded.record.taxonomy):
        if slug in categories:
            index[slug].append(record_id)
        else:
            location = loaded.location("taxonomy", position)
            _unknown(
                site, location, f"taxonomy[{position}]", "ref-unknown-category", "category", slug, list(categories)
            )


def _link_papers(site: Site) -> None:
    corpus = site.corpus
    targets = [*corpus.papers, *corpus.externals]
    for pid, loaded in sorted(corpus.papers.items()):
        paper = loaded.record
        _link_categories(site, loaded, pid, site.papers_by_category)
        for index, citation in enumerate(paper.cites):
            target = arxiv_base(citation.target) if not citation.target.startswith("ext:") else citation.target
            location = loaded.location("cites", index, "target")
            if target not in corpus.papers and target not in corpus.externals:
                _unknown(
                    site,
                    location,
                    f"cites[{index}].target",
                    "ref-unknown-target",
                    "cited work",
                    citation.target,
                    targets,
                )
                continue
            if target == pid:
                site.problems.add(
                    "cite-self", location, f"cites[{index}].target", "a paper cannot cite itself", "remove this entry"
                )
                continue
            edge = Edge(pid, target, citation.role, citation.polarity, citation.context, location)
            site.edges.append(edge)
            site.cites[pid].append(edge)
            site.cited_by[target].append(edge)
        if paper.status == "withdrawn" and paper.tombstone is None:
            site.problems.add(
                "tombstone-missing",
                loaded.location("status"),
                "tombstone",
                "a withdrawn record needs a tombstone",
                "add tombstone: {reason, date, see_instead}",
            )


def _link_claims(site: Site) -> None:
    papers = site.corpus.papers
    for claim in site.corpus.claims:
        if claim.paper_base in site.aliases:  # a renamed paper keeps its claims
            renamed = site.aliases[claim.paper_base]
            site.problems.add(
                "ref-alias", Location(claim.ledger, claim.row, 1), "paper_id",
                f"`{claim.paper_base}` is a former id of `{renamed}`",
                f"write `{renamed}{claim.version}` in the ledger", Severity.WARNING,
            )  # fmt: skip
            claim = dataclasses.replace(claim, paper_id=renamed + claim.version)
        base = claim.paper_base
        if base in site.corpus.rejected and base not in papers:
            continue  # its record failed validation and is reported there; no cascade of errors
        if base not in papers:
            site.problems.add(
                "ref-unknown-paper", Location(claim.ledger, claim.row, 1), "paper_id", f"unknown paper `{claim.paper_id}`",
                _close_id(base, list(papers)) or f"add a record with `kb new paper {base}`",
            )  # fmt: skip
            continue
        versions = papers[base].record.versions
        if claim.version and versions and claim.version not in versions:
            site.problems.add(
                "claim-version-unknown", Location(claim.ledger, claim.row, 1), "paper_id",
                f"version `{claim.version}` is not in the record's versions ({', '.join(versions)})",
                f"add `{claim.version}` to versions in the paper's record", Severity.WARNING,
            )  # fmt: skip
        if claim.category and claim.category not in site.corpus.categories:
            _unknown(
                site,
                Location(claim.ledger, claim.row),
                "category",
                "ref-unknown-category",
                "category",
                claim.category,
                list(site.corpus.categories),
            )
        site.claims_by_paper[base].append(claim)


def _link_syntheses(site: Site) -> None:
    corpus = site.corpus
    for sid, loaded in sorted(corpus.syntheses.items()):
        _link_categories(site, loaded, sid, site.syntheses_by_category)
        for index, pid in enumerate(loaded.record.papers):
            if arxiv_base(pid) in corpus.papers:
                site.syntheses_by_paper[arxiv_base(pid)].append(sid)
            else:
                _unknown(
                    site,
                    loaded.location("papers", index),
                    f"papers[{index}]",
                    "ref-unknown-paper",
                    "paper",
                    pid,
                    list(corpus.papers),
                )


def _link_aliases(site: Site) -> None:
    """Old ids keep working as redirects; an alias may never shadow a live record."""
    live = {*site.corpus.papers, *site.corpus.syntheses, *site.corpus.externals}
    registries: list[dict[str, Loaded]] = [site.corpus.papers, site.corpus.syntheses]  # type: ignore[list-item]
    for registry in registries:
        for rid, loaded in sorted(registry.items()):
            for index, alias in enumerate(loaded.record.aliases):  # type: ignore[attr-defined]
                location = loaded.location("aliases", index)
                alias_id = arxiv_base(alias) if not alias.startswith("SRCH:") else alias
                if not (ARXIV_ID_RE.fullmatch(alias) or SYNTHESIS_ID_RE.fullmatch(alias)):
                    site.problems.add(
                        "alias-invalid",
                        location,
                        f"aliases[{index}]",
                        f"{alias!a} is not an arXiv or SRCH id",
                        "aliases are former ids",
                    )
                elif alias_id in live:
                    site.problems.add(
                        "alias-shadows-record",
                        location,
                        f"aliases[{index}]",
                        f"alias `{alias}` is the id of a live record",
                        "remove the alias",
                    )
                elif alias_id in site.aliases:
                    site.problems.add(
                        "alias-duplicate",
                        location,
                        f"aliases[{index}]",
                        f"alias `{alias}` is already claimed by {site.aliases[alias_id]}",
                        "",
                    )
                else:
                    site.aliases[alias_id] = rid


def _link_retractions(site: Site) -> None:
    for rid in site.corpus.retractions:
        if arxiv_base(rid) in site.corpus.papers:
            site.retracted_papers.add(arxiv_base(rid))
