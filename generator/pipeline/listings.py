"""Long lists that stay small: paginated category pages, the claim explorer's static pages and its data shards.

A page shows what it lists, never the whole corpus: a category lists its
papers a page at a time (`taxonomy/<slug>/page/2/`), the explorer shows its
first page of claims and, without JavaScript, links to the next ones
(`claims/page/2/`). With JavaScript the explorer filters every claim from
compact JSON fetched on demand: `claims/data/facets.json` (vocabularies, the
category tree, paper short titles) and `claims/data/shard-NNN.json` (the claims,
SHARD_SIZE at a time), in a Web Worker so typing never blocks the page.
"""

from __future__ import annotations

import json
import operator
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from generator import urls
from generator.model.records import Claim
from generator.model.site import Edge, Site

PAGE_SIZE = 100
"""Papers on a category page or the papers index, claims on an explorer page, citing papers on a cited-by page."""
CITED_BY_SHOWN = 25
"""Citing papers a paper page lists itself; a longer list is paginated on `papers/<id>/cited-by/`."""
SHARE_SHOWN = 5
"""Citing papers named under each role or polarity share on a hub page (the counts cover them all)."""
SHARD_SIZE = 2000
"""Claims in one explorer data shard: about 0.3 MB of JSON."""
DATA_DIR = "claims/data/"
FACETS_FILE = f"{DATA_DIR}facets.json"
SHORT_TITLE = 60
"""Characters of a paper title shown in the explorer's paper facet."""


def page_count(total: int) -> int:
    return max(1, -(-total // PAGE_SIZE))


def page_url(first_url: str, number: int) -> str:
    """Page 1 is the listing's own URL; page N is `<url>page/N/`."""
    return first_url if number == 1 else f"{first_url}page/{number}/"


def pages_of(items: list[Any]) -> list[list[Any]]:
    return [items[start : start + PAGE_SIZE] for start in range(0, len(items), PAGE_SIZE)] or [[]]


@dataclass(frozen=True)
class Pager:
    """Where one page of a listing sits among the others, for the pager links."""

    first_url: str
    number: int
    count: int

    def url(self, number: int) -> str:
        return page_url(self.first_url, number)

    @property
    def first_item(self) -> int:
        """The 1-based position of this page's first item in the whole listing."""
        return (self.number - 1) * PAGE_SIZE + 1

    @property
    def shown(self) -> list[int]:
        """First, last and the pages around this one; gaps become an ellipsis in the template."""
        near = range(max(1, self.number - 2), min(self.count, self.number + 2) + 1)
        return sorted({1, self.count, *near})


def cited_by_url(pid: str) -> str:
    """The first page of the papers citing `pid`, in full."""
    return f"{urls.paper_url(pid)}cited-by/"


def citations_of(site: Site, pid: str) -> list[Edge]:
    """The citations of `pid` by citing paper id: the order of its page's first CITED_BY_SHOWN and of its cited-by pages."""
    return sorted(site.cited_by.get(pid, ()), key=lambda edge: edge.citing)


def cited_by_papers(site: Site) -> list[str]:
    """Papers cited by more papers than their page lists, or whose cited-by pages were published (they stay)."""
    locked = urls.locked_urls(site.root)
    return sorted(
        pid for pid in site.papers if len(site.cited_by.get(pid, ())) > CITED_BY_SHOWN or cited_by_url(pid) in locked
    )


def listing_sizes(site: Site) -> dict[str, int]:
    """Every paginated listing, by the URL of its first page -> how many items it lists."""
    sizes = {urls.category_url(slug): len(papers) for slug, papers in site.category_papers.items()}
    sizes["claims/"] = sum(len(claims) for claims in site.claims_by_paper.values())
    sizes["papers/"] = len(site.papers)
    sizes.update({cited_by_url(pid): len(site.cited_by.get(pid, ())) for pid in cited_by_papers(site)})
    return sizes


def listing_urls(site: Site) -> list[str]:
    """Every listing URL besides the index and category pages, planned from the model (see permanence.url_state):
    page 2 onwards of each listing, and the cited-by listings' first pages."""
    sizes = listing_sizes(site)
    planned = [cited_by_url(pid) for pid in cited_by_papers(site)]
    for first, total in sizes.items():
        planned += [page_url(first, n) for n in range(2, page_count(total) + 1)]
    return planned + sorted(retired_pages(site, sizes))


LISTING_PAGE = re.compile(r"(?P<first>.+/)page/(?P<number>[1-9][0-9]*)/")


def retired_pages(site: Site, sizes: dict[str, int] | None = None) -> dict[str, tuple[str, int]]:
    """Published page-N URLs of listings that have since shrunk: URL -> (listing URL, N), given the
    listings' `listing_sizes` if they are known.

    Published URLs are permanent, so such a page stays, saying where the list now ends.
    """
    sizes = listing_sizes(site) if sizes is None else sizes
    retired = {}
    for _, url in urls.locked_listing_pages(site.root):  # in the lock's order: pages list them in this order
        match = LISTING_PAGE.fullmatch(url)
        if not match or match["first"] not in sizes:
            continue
        first, number = match["first"], int(match["number"])
        if number > page_count(sizes[first]):
            retired[url] = (first, number)
    return retired


def short_title(title: str, limit: int = SHORT_TITLE) -> str:
    """A title cut at a word boundary with an ellipsis, for facet labels."""
    if len(title) <= limit:
        return title
    cut = title[:limit].rsplit(" ", 1)[0] or title[:limit]
    return cut.rstrip(" ,;:.-") + "…"


# --- the category tree ---------------------------------------------------------------------------


def lineage(site: Site) -> dict[str, frozenset[str]]:
    """Each category with all its ancestors (every parent of a DAG), itself included."""
    categories = site.corpus.categories
    found: dict[str, frozenset[str]] = {}

    def up(slug: str, trail: frozenset[str]) -> frozenset[str]:
        if slug in found:
            return found[slug]
        parents = [p for p in categories[slug].parent_slugs if p in categories and p not in trail]
        result = frozenset({slug}).union(*(up(p, trail | {slug}) for p in parents))
        found[slug] = result
        return result

    for slug in categories:
        up(slug, frozenset())
    return found


def claim_categories(site: Site, claim: Claim) -> tuple[str, ...]:
    """A claim's own category when it names one, else its paper's."""
    if claim.category:
        return (claim.category,)
    paper = site.papers.get(claim.paper_base)
    return tuple(paper.record.taxonomy) if paper else ()


@dataclass(frozen=True)
class TreeNode:
    slug: str
    title: str
    count: int
    children: tuple[TreeNode, ...]


def category_tree(site: Site, claims: Iterable[Claim]) -> list[TreeNode]:
    """The category facet: titles as a tree; a count is the claims of the whole subtree, each claim once."""
    up = lineage(site)
    counts: dict[str, int] = {}
    for claim in claims:
        reached: set[str] = set()
        for slug in claim_categories(site, claim):
            reached |= up.get(slug, frozenset())
        for slug in reached:
            counts[slug] = counts.get(slug, 0) + 1

    def node(slug: str, trail: frozenset[str]) -> TreeNode:
        kids = tuple(node(k, trail | {slug}) for k in site.children.get(slug, ()) if k not in trail)
        return TreeNode(slug, site.corpus.categories[slug].title, counts.get(slug, 0), kids)

    return [node(slug, frozenset()) for slug in site.children.get(None, ()) if slug in site.corpus.categories]


# --- explorer data -------------------------------------------------------------------------------

VOCAB_FACETS = ("claim_status", "evidence_status", "source_depth", "audit", "fit")
VOCAB_ATTRIBUTES = ("claim_status", "evidence_status", "source_depth", "audit.result", "taxonomy_fit.verdict")
"""Where a claim holds each of VOCAB_FACETS' values, in that order."""
VOCAB_VALUE = dict(zip(VOCAB_FACETS, map(operator.attrgetter, VOCAB_ATTRIBUTES), strict=True))
"""A claim's value of one vocabulary facet, by the facet's key: attrgetters, which a `kb serve` ledger edit runs
over 100,000 claims several times (the explorer's codes and facet inputs: 0.23 s of CPU with a Python function
per value, 0.09 s with these; medians of seven)."""
vocab_values = operator.attrgetter(*VOCAB_ATTRIBUTES)
"""A claim's values of VOCAB_FACETS, in order."""
_facet_inputs = operator.attrgetter("paper_base", "category", *VOCAB_ATTRIBUTES)


@dataclass(frozen=True)
class ExplorerCodes:
    """The lists `facets.json` holds, in order: a shard names a claim's paper, facet values and categories
    by their position in them."""

    papers: list[str]
    values: dict[str, list[str]]
    categories: list[str]


def explorer_codes(site: Site, claims: list[Claim]) -> ExplorerCodes:
    return ExplorerCodes(
        sorted({claim.paper_base for claim in claims}),
        {key: sorted(set(map(value, claims))) for key, value in VOCAB_VALUE.items()},
        sorted(site.corpus.categories),
    )


def explorer_data(site: Site, claims: list[Claim]) -> dict[str, bytes]:
    """`claims/data/…` files: the facet index and the claim shards, keyed by their path in the site."""
    codes = explorer_codes(site, claims)
    return {FACETS_FILE: explorer_index(site, len(claims), codes), **explorer_shards(site, claims, codes)}


def explorer_index(site: Site, total: int, codes: ExplorerCodes) -> bytes:
    """FACETS_FILE: the only explorer file that shows paper titles (`explorer_titles`)."""
    category_index = {slug: n for n, slug in enumerate(codes.categories)}
    index = {
        "total": total,
        "shards": [f"shard-{n:03d}.json" for n in range(-(-total // SHARD_SIZE))],
        "facets": codes.values,
        "categories": [
            [slug, site.corpus.categories[slug].title, [category_index[p] for p in parents_of(site, slug)]]
            for slug in codes.categories
        ],
        "papers": [[pid, short_title(site.title_of(pid)), paper_page(site, pid)] for pid in codes.papers],
    }
    return _compact(index)


@dataclass(frozen=True)
class ShardCodes:
    """Where a shard finds each paper, facet value and category in `facets.json` (`ExplorerCodes`' positions)."""

    papers: dict[str, int]
    values: dict[str, dict[str, int]]
    categories: dict[str, int]

    @classmethod
    def of(cls, codes: ExplorerCodes) -> ShardCodes:
        return cls(
            {pid: n for n, pid in enumerate(codes.papers)},
            {key: {value: n for n, value in enumerate(found)} for key, found in codes.values.items()},
            {slug: n for n, slug in enumerate(codes.categories)},
        )


def shard_path(number: int) -> str:
    return f"{DATA_DIR}shard-{number:03d}.json"


def shard_starts(claims: Sequence[Claim]) -> range:
    """Where each shard's claims begin: SHARD_SIZE claims a shard."""
    return range(0, len(claims), SHARD_SIZE)


def explorer_shard(site: Site, claims: Sequence[Claim], codes: ShardCodes) -> bytes:
    """One claim shard: what `explorer_inputs` names, and no title."""
    value_codes = [codes.values[key] for key in VOCAB_FACETS]
    rows = [
        [
            claim.claim_id,
            codes.papers[claim.paper_base],
            [code[value] for code, value in zip(value_codes, vocab_values(claim), strict=True)],
            [codes.categories[s] for s in claim_categories(site, claim) if s in codes.categories],
            claim.claim,
        ]
        for claim in claims
    ]
    return _compact({"claims": rows})


def explorer_shards(site: Site, claims: list[Claim], codes: ExplorerCodes) -> dict[str, bytes]:
    """The claim shards, by their path in the site."""
    positions = ShardCodes.of(codes)
    return {
        shard_path(n): explorer_shard(site, claims[start : start + SHARD_SIZE], positions)
        for n, start in enumerate(shard_starts(claims))
    }


def facet_values(claims: Iterable[Claim]) -> list[tuple[Any, ...]]:
    """What the facet counts and the category tree read of each claim, besides its paper's categories."""
    return list(map(_facet_inputs, claims))


def explorer_inputs(site: Site, claims: list[Claim]) -> tuple[Any, ...]:
    """What the shards, `category_tree` and the facet counts read besides the taxonomy (which every page
    shows: pipeline/cache.py): `kb serve` makes them again only when it changed. Kept as values, so an
    unchanged claim compares by identity. Titles are apart (`explorer_titles`): a title edit makes only
    `facets.json` again."""
    papers = {claim.paper_base for claim in claims}
    taxonomies = {pid: tuple(site.papers[pid].record.taxonomy) for pid in papers if pid in site.papers}
    return tuple(claims), taxonomies


def explorer_titles(site: Site, codes: ExplorerCodes) -> tuple[str, ...]:
    return tuple(site.title_of(pid) for pid in codes.papers)


def parents_of(site: Site, slug: str) -> list[str]:
    return [p for p in site.corpus.categories[slug].parent_slugs if p in site.corpus.categories]


def paper_page(site: Site, pid: str) -> str:
    """The paper's page URL, or "" for a claim about a paper with no record (shown without a link)."""
    return urls.paper_url(pid) if pid in site.papers else ""


def _compact(data: Mapping[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
