"""Link stage: the validated corpus becomes a graph.

Claims attach to papers, papers to categories, citations to their targets.
Every dangling reference becomes a located problem. Hubs, role and polarity
summaries and co-citations are computed here, once, from the whole corpus:
citations form a graph, so nothing is rendered before everything is linked.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.model.paper_ids import doi_id, is_paper_id
from generator.model.records import (
    SYNTHESIS_ID_RE,
    Claim,
    Paper,
    arxiv_base,
)
from generator.model.site import Corpus, Edge, Index, Loaded, Settings, Site, Stats, frozen_mapping
from generator.pipeline.validate import check_string
from generator.problems import Location, Problems, Severity, did_you_mean
from generator.sources.bibtex import BibIndex, read_bibtex

BIB_FIELD_LABELS = {"authors": "Authors", "year": "year", "venue": "venue", "abstract": "abstract", "links": "DOI"}


@dataclass
class _Links:
    """The site while linking is in progress: mutable indexes that `freeze` turns into a `Site`."""

    root: Path
    settings: Settings
    corpus: Corpus
    problems: Problems
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

    def freeze(self) -> Site:
        corpus = self.corpus
        stats = Stats(
            files_read=corpus.files_read,
            records_read=corpus.records_read,
            rows_read=corpus.rows_read,
            papers=len(corpus.papers),
            syntheses=len(corpus.syntheses),
            externals=len(corpus.externals),
            categories=len(corpus.categories),
            claims=len(corpus.claims),
            citations=len(self.edges),
            hubs=len(self.hubs),
        )
        return Site(
            root=self.root,
            settings=self.settings,
            corpus=corpus,
            problems=self.problems,
            stats=stats,
            edges=tuple(self.edges),
            cites=Index(self.cites),
            cited_by=Index(self.cited_by),
            claims_by_paper=Index(self.claims_by_paper),
            papers_by_category=Index(self.papers_by_category),
            syntheses_by_category=Index(self.syntheses_by_category),
            syntheses_by_paper=Index(self.syntheses_by_paper),
            children=Index(self.children),
            hubs=frozenset(self.hubs),
            retracted_papers=frozenset(self.retracted_papers),
            aliases=frozen_mapping(self.aliases),
            from_bibtex=frozen_mapping(corpus.from_bibtex),
        )


def link(root: Path, settings: Settings, corpus: Corpus, problems: Problems) -> Site:
    """The graph every page reads, from a corpus whose papers `apply_bibliography` has completed."""
    site = _Links(root=root, settings=settings, corpus=corpus, problems=problems)
    _link_taxonomy(site)
    _link_papers(site)
    _link_aliases(site)
    _link_claims(site)
    _link_syntheses(site)
    _link_retractions(site)
    site.hubs = {
        pid
        for pid, loaded in site.corpus.papers.items()
        if loaded.record.canonical or len({e.citing for e in site.cited_by.get(pid, [])}) >= settings.hub_threshold
    }
    return site.freeze()


def _unknown(
    problems: Problems, location: Location, field_name: str, code: str, what: str, value: str, choices: list[str]
) -> None:
    problems.add(code, location, field_name, f"unknown {what} `{value}`", did_you_mean(value, choices))


def apply_bibliography(root: Path, corpus: Corpus, problems: Problems) -> Corpus:
    """The corpus with what `records/*.bib` fills in fields a paper record leaves empty; the record always wins.

    An entry matches by the record's `bibtex_key`, else by arXiv id. Filled fields are
    remembered so the page can say which facts came from BibTeX. A step of its own before `link`: the
    quote checks read the completed abstracts, and start on the other core while linking goes on.
    """
    # BibTeX-filled papers replace, never mutate
    corpus = dataclasses.replace(corpus, papers=dict(corpus.papers), from_bibtex={})
    entries = []
    bib_path: dict[int, str] = {}  # id(entry) -> the file it came from, to locate its problems
    for path in corpus.bib_files:
        for bib_entry in read_bibtex(root / path, path, problems):
            entries.append(bib_entry)
            bib_path[id(bib_entry)] = path
    index = BibIndex.build(entries)
    for pid, loaded in list(corpus.papers.items()):
        paper = loaded.record
        entry = index.by_key.get(paper.bibtex_key) if paper.bibtex_key else index.by_arxiv.get(pid)
        if paper.bibtex_key and entry is None:
            _unknown(
                problems,
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
        supplied = entry.record_fields()
        update: dict[str, Any] = {name: value for name, value in supplied.items() if _is_empty(paper, name)}
        if "links" in update:
            update["links"] = paper.links.model_copy(update=supplied["links"])
        update = _checked_bib_values(update, Location(bib_path[id(entry)], entry.line), entry.key, problems)
        if update:
            corpus.from_bibtex[pid] = (
                entry.key,
                tuple(BIB_FIELD_LABELS[name] for name in update if name in BIB_FIELD_LABELS),
            )
            corpus.papers[pid] = Loaded(paper.model_copy(update=update), loaded.doc)
    return corpus


def _checked_bib_values(update: dict[str, Any], where: Location, key: str, problems: Problems) -> dict[str, Any]:
    """BibTeX values pass the same text checks as YAML values; a field that fails is reported and not used."""
    kept: dict[str, Any] = {}
    for name, value in update.items():
        texts = value if isinstance(value, list) else [value] if isinstance(value, str) else []
        if name == "links":
            texts = [value.doi]
        if all(check_string(text, where, f"{name} (BibTeX entry `{key}`)", problems) for text in texts):
            kept[name] = value
    if "authors" not in kept:
        kept.pop("authors_complete", None)
    return kept


def _is_empty(paper: Paper, name: str) -> bool:
    """Whether BibTeX may fill this field: the record left it empty (authors_complete goes with authors)."""
    if name == "authors_complete":
        return not paper.authors
    value = paper.links.doi if name == "links" else getattr(paper, name)
    return value is None or value == "" or value == []


def _close_id(value: str, ids: list[str]) -> str:
    """Suggest an id only when it is a near miss; listing unrelated ids would mislead."""
    hint = did_you_mean(value, ids)
    return hint if hint.startswith("did you mean") else ""


def _link_taxonomy(site: _Links) -> None:
    """Categories form a DAG: each is filed under every parent it names (roots under None); a cycle is
    reported once, with its path, and the link that closes it is left out so that no page loops."""
    categories = site.corpus.categories
    for slug, category in categories.items():
        known: list[str | None] = []
        for parent in category.parent_slugs:
            if parent in categories:
                known.append(parent)
            elif not _category_follows_on(site, parent, "parent link(s) to categories that did not load"):
                _unknown(
                    site.problems, site.corpus.category_docs[slug], "parents", "ref-unknown-category", "parent category",
                    parent, list(categories),
                )  # fmt: skip
        for placed_under in known or [None]:
            site.children[placed_under].append(slug)
    order = {slug: index for index, slug in enumerate(categories)}
    for found in _cycles(site.children):
        start = min(range(len(found) - 1), key=lambda i: order[found[i]])  # begin where the file does
        cycle = [*found[start:-1], *found[:start], found[start]]
        parent, child = found[-2], found[-1]  # the link that closed the cycle: left out from here on
        site.children[parent].remove(child)
        site.problems.add(
            "category-cycle", site.corpus.category_docs[cycle[0]], "parents",
            f"categories form a cycle: {' -> '.join(cycle)}",
            f"remove one link of the cycle, e.g. `{parent}` from the parents of `{child}`: a category may have "
            "several parents, but can never be its own ancestor",
        )  # fmt: skip
    placed = {slug for kids in site.children.values() for slug in kids}
    site.children[None].extend(slug for slug in categories if slug not in placed)  # cut off by a cycle: a root
    for children in site.children.values():
        children.sort(key=lambda s: categories[s].title.casefold())


def _cycles(children: dict[str | None, list[str]]) -> list[list[str]]:
    """Each cycle of parent -> child links once, as a path that starts and ends with the same slug."""
    found: list[list[str]] = []
    state: dict[str, int] = {}  # 1 while on the current path, 2 when finished
    nodes = sorted({s for kids in children.values() for s in kids})
    for start in nodes:
        if start in state:
            continue
        path: list[str] = [start]
        state[start] = 1
        stack = [iter(sorted(children.get(start, [])))]
        while stack:
            child = next(stack[-1], None)
            if child is None:
                stack.pop()
                state[path.pop()] = 2
                continue
            if state.get(child) == 1:
                found.append([*path[path.index(child) :], child])
            elif child not in state:
                state[child] = 1
                path.append(child)
                stack.append(iter(sorted(children.get(child, []))))
    return found


def _category_follows_on(site: _Links, slug: str, what: str) -> bool:
    """A reference to a category that failed to load is counted under that failure, not reported again."""
    cause = site.corpus.rejected_categories.get(slug) or site.corpus.unloaded_taxonomy
    if cause:
        site.problems.follow_on(cause, what)
    return bool(cause)


def _record_follows_on(site: _Links, record_id: str, what: str) -> bool:
    """A reference to a record whose file was refused is counted under that file's errors."""
    cause = site.corpus.rejected.get(arxiv_base(record_id))
    if cause:
        site.problems.follow_on(cause, what)
    return bool(cause)


def _link_categories(site: _Links, loaded: Loaded[Any], record_id: str, index: dict[str, list[str]]) -> None:
    """File a paper or synthesis under each of its categories; unknown slugs are problems."""
    categories = site.corpus.categories
    for position, slug in enumerate(loaded.record.taxonomy):
        if slug in categories:
            index[slug].append(record_id)
        elif not _category_follows_on(site, slug, "reference(s) to categories that did not load"):
            location = loaded.location("taxonomy", position)
            _unknown(
                site.problems,
                location,
                f"taxonomy[{position}]",
                "ref-unknown-category",
                "category",
                slug,
                list(categories),
            )


_cited_last: dict[str, tuple[Loaded[Paper], tuple[Edge, ...]]] = {}
"""The citation edges of each paper whose citations all linked without a problem, by paper id. `kb serve` gets
the very same edges again while the paper's record and document are the very same objects (an unchanged file
gives them back) and every work it cites is still there: the render cache then compares 100,000 edges of pages
and their reads by identity, not field by field, and linking skips what it would only find again."""


def _link_papers(site: _Links) -> None:
    global _cited_last
    last, _cited_last = _cited_last, {}
    corpus = site.corpus
    for pid, loaded in sorted(corpus.papers.items()):
        _link_categories(site, loaded, pid, site.papers_by_category)
        kept = last.get(pid)
        if (
            kept is not None
            and kept[0].record is loaded.record
            and kept[0].doc is loaded.doc
            and all(edge.target in corpus.papers or edge.target in corpus.externals for edge in kept[1])
        ):
            edges: Sequence[Edge] = kept[1]
            _cited_last[pid] = kept
        else:
            edges = _cite(site, pid, loaded)
        for edge in edges:
            site.edges.append(edge)
            site.cites[pid].append(edge)
            site.cited_by[edge.target].append(edge)
        if loaded.record.status == "withdrawn" and loaded.record.tombstone is None:
            site.problems.add(
                "tombstone-missing",
                loaded.location("status"),
                "tombstone",
                "a withdrawn record needs a tombstone",
                "add tombstone: {reason, date, see_instead}",
            )


def _cite(site: _Links, pid: str, loaded: Loaded[Paper]) -> list[Edge]:
    """The edges of one paper's `cites`; a target that is unknown, or the paper itself, is a problem instead."""
    corpus, edges, clean = site.corpus, [], True
    for index, citation in enumerate(loaded.record.cites):
        target = arxiv_base(citation.target) if not citation.target.startswith("ext:") else citation.target
        location = loaded.location("cites", index, "target")
        if target not in corpus.papers and target not in corpus.externals:
            clean = False
            if _record_follows_on(site, target, "citation(s) of records that did not load"):
                continue
            _unknown(
                site.problems,
                location,
                f"cites[{index}].target",
                "ref-unknown-target",
                "cited work",
                citation.target,
                [*corpus.papers, *corpus.externals],
            )
            continue
        if target == pid:
            clean = False
            site.problems.add(
                "cite-self", location, f"cites[{index}].target", "a paper cannot cite itself", "remove this entry"
            )
            continue
        edges.append(Edge(pid, target, citation.role, citation.polarity, citation.context, location))
    if clean:
        _cited_last[pid] = (loaded, tuple(edges))
    return edges


def _link_claims(site: _Links) -> None:
    papers, aliases, categories = site.corpus.papers, site.aliases, site.corpus.categories
    for claim in site.corpus.claims:
        base = claim.paper_base
        loaded = papers.get(base)
        if (  # the usual row, which `_link_claim` would file without a word: checked here at a third of its cost
            loaded is not None
            and base not in aliases
            and (not claim.category or claim.category in categories)
            and (not loaded.record.versions or not claim.version or claim.version in loaded.record.versions)
        ):
            site.claims_by_paper[base].append(claim)
        else:
            _link_claim(site, claim)


def _link_claim(site: _Links, claim: Claim) -> None:
    """File one ledger row under its paper, or say why not: an alias, an unknown paper, version or category."""
    papers = site.corpus.papers
    if claim.paper_base in site.aliases:  # a renamed paper keeps its claims
        renamed = site.aliases[claim.paper_base]
        site.problems.add(
            "ref-alias", Location(claim.ledger, claim.row, 1), "paper_id",
            f"`{claim.paper_base}` is another id (an alias) of `{renamed}`",
            f"write `{renamed}{claim.version}` in the ledger", Severity.WARNING,
        )  # fmt: skip
        claim = dataclasses.replace(claim, paper_id=renamed + claim.version)
    base = claim.paper_base
    if base not in papers and _record_follows_on(site, base, "ledger row(s) about papers that did not load"):
        return
    if base not in papers:
        site.problems.add(
            "ref-unknown-paper", Location(claim.ledger, claim.row, 1), "paper_id", f"unknown paper `{claim.paper_id}`",
            _close_id(base, list(papers)) or f"add a record with `kb new paper {base}`",
        )  # fmt: skip
        return
    versions = papers[base].record.versions
    if versions and (version := claim.version) and version not in versions:
        site.problems.add(
            "claim-version-unknown", Location(claim.ledger, claim.row, 1), "paper_id",
            f"version `{version}` is not in the record's versions ({', '.join(versions)})",
            f"add `{version}` to versions in the paper's record", Severity.WARNING,
        )  # fmt: skip
    if (
        claim.category
        and claim.category not in site.corpus.categories
        and not _category_follows_on(site, claim.category, "ledger row(s) in categories that did not load")
    ):
        _unknown(
            site.problems,
            Location(claim.ledger, claim.row),
            "category",
            "ref-unknown-category",
            "category",
            claim.category,
            list(site.corpus.categories),
        )
    site.claims_by_paper[base].append(claim)


def _link_syntheses(site: _Links) -> None:
    corpus = site.corpus
    for sid, loaded in sorted(corpus.syntheses.items()):
        _link_categories(site, loaded, sid, site.syntheses_by_category)
        for index, pid in enumerate(loaded.record.papers):
            if arxiv_base(pid) in corpus.papers:
                site.syntheses_by_paper[arxiv_base(pid)].append(sid)
            elif not _record_follows_on(site, pid, "reference(s) from syntheses to papers that did not load"):
                _unknown(
                    site.problems,
                    loaded.location("papers", index),
                    f"papers[{index}]",
                    "ref-unknown-paper",
                    "paper",
                    pid,
                    list(corpus.papers),
                )


def _link_aliases(site: _Links) -> None:
    """Old ids keep working as redirects; an alias may never shadow a live record."""
    live = {*site.corpus.papers, *site.corpus.syntheses, *site.corpus.externals}
    registries: list[dict[str, Loaded]] = [site.corpus.papers, site.corpus.syntheses]  # type: ignore[list-item]
    for rid, loaded in sorted(site.corpus.papers.items()):
        doi = loaded.record.links.doi
        other = doi_id(doi) if doi else rid
        if other == rid or other in site.aliases or other in loaded.record.aliases:
            continue
        if other in live:
            site.problems.add(
                "paper-two-records", loaded.location("links", "doi"), "links.doi",
                f"this paper's DOI is also the id of the record `{other}`: one paper, two records",
                f'keep one record: move what `{other}` holds here and delete it (its URL then redirects here), '
                "or remove the DOI from this record if they are different papers",
            )  # fmt: skip
        else:
            site.aliases[other] = rid  # the DOI is the paper's second id: its URL redirects here
    for registry in registries:
        for rid, loaded in sorted(registry.items()):
            for index, alias in enumerate(loaded.record.aliases):  # type: ignore[attr-defined]
                location = loaded.location("aliases", index)
                alias_id = arxiv_base(alias) if not alias.startswith("SRCH:") else alias
                if not (is_paper_id(alias) or SYNTHESIS_ID_RE.fullmatch(alias)):
                    site.problems.add(
                        "alias-invalid",
                        location,
                        f"aliases[{index}]",
                        f"{alias!a} is not a paper or SRCH id",
                        "aliases are other ids of the record (former ids, or a DOI beside an arXiv id)",
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


def _link_retractions(site: _Links) -> None:
    for rid in site.corpus.retractions:
        if arxiv_base(rid) in site.corpus.papers:
            site.retracted_papers.add(arxiv_base(rid))
