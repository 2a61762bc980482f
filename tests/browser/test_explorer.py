"""The claim explorer: facet and word filters with state in the URL, old `?q=` links, the category tree,
counts that follow the filters, small screens, the no-JavaScript listing, and a 2,000-paper corpus.

Expected rows are computed here from the data files the build wrote (claims/data/), never from the page.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import SYNTH_CLAIMS, SynthSite, Watch

pytestmark = pytest.mark.browser

ROWS = "#kb-explorer-results table.kb-claims tbody tr"
VOCAB_FACETS = ("claim_status", "evidence_status", "source_depth", "audit", "fit")
RESULTS_PAGE = 50  # matching claims drawn at once (kb.js); more on request


@dataclass(frozen=True)
class Claims:
    """The explorer's data as the build wrote it: per claim, its facet values and its text."""

    facets: dict[str, dict[str, set[str]]]  # facet -> value -> claim ids (categories with their subtrees)
    texts: dict[str, str]  # claim id -> lower-case text the words filter searches
    children: dict[str, list[str]]  # category slug -> child slugs

    @property
    def everything(self) -> set[str]:
        return set(self.texts)

    @classmethod
    def read(cls, site_dir: Path) -> Claims:
        data = site_dir / "claims" / "data"
        index = json.loads((data / "facets.json").read_text(encoding="utf-8"))
        categories = index["categories"]
        parents = {n: set(entry[2]) for n, entry in enumerate(categories)}

        def lineage(n: int) -> set[int]:
            found, stack = set(), [n]
            while stack:
                current = stack.pop()
                if current not in found:
                    found.add(current)
                    stack.extend(parents[current])
            return found

        facets: dict[str, dict[str, set[str]]] = {}
        texts: dict[str, str] = {}
        for shard in index["shards"]:
            for claim_id, paper, codes, cats, text in json.loads((data / shard).read_text(encoding="utf-8"))["claims"]:
                pid, title, _ = index["papers"][paper]
                texts[claim_id] = f"{text} {claim_id} {pid} {title}".lower()
                for key, code in zip(VOCAB_FACETS, codes, strict=True):
                    facets.setdefault(key, {}).setdefault(index["facets"][key][code], set()).add(claim_id)
                facets.setdefault("paper", {}).setdefault(pid, set()).add(claim_id)
                for n in set().union(*(lineage(c) for c in cats)) if cats else set():
                    facets.setdefault("category", {}).setdefault(categories[n][0], set()).add(claim_id)
        children: dict[str, list[str]] = {}
        for slug, _, up in categories:
            for parent in up:
                children.setdefault(categories[parent][0], []).append(slug)
        return cls(facets, texts, children)

    def words(self, words: str) -> set[str]:
        return {cid for cid, text in self.texts.items() if all(w in text for w in words.lower().split())}


def shown(page: Any) -> set[str]:
    return set(
        page.eval_on_selector_all(ROWS, "rows => rows.filter(r => r.getClientRects().length > 0).map(r => r.id)")
    )


def query(page: Any) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def box(page: Any, facet: str, value: str) -> Any:
    """The checkbox of a facet value, with the category branches above it opened as a reader would."""
    found = page.locator(f'#kb-facets input[type=checkbox][name="{facet}"][value="{value}"]').first
    if facet == "category":
        found.evaluate(
            """box => { for (let d = box.closest("details.kb-tree-branch"); d;
                         d = d.parentElement.closest("details.kb-tree-branch")) d.open = true; }"""
        )
    return found


def expect_match(page: Any, ids: set[str], total: int) -> None:
    """The count says how many match, and the rows shown are those (all of them, up to one page)."""
    expect(page.locator("#kb-count")).to_have_text(f"{len(ids)} of {total} claims match", timeout=20_000)
    expect(page.locator("#kb-explorer-results")).to_have_attribute("aria-busy", "false")
    rows = shown(page)
    assert rows <= ids and len(rows) == min(len(ids), RESULTS_PAGE)


def leaf_category(claims: Claims) -> str:
    """A category without children whose claims are some but not all."""
    for slug, ids in sorted(claims.facets["category"].items(), key=lambda item: -len(item[1])):
        if slug not in claims.children and 0 < len(ids) < len(claims.everything):
            return slug
    raise AssertionError("no leaf category narrows the explorer; add claims in another category")


def parent_category(claims: Claims) -> str:
    """The category with children that holds the most claims."""
    parents = [slug for slug in claims.children if claims.facets["category"].get(slug)]
    assert parents, "no category with subcategories has claims"
    return max(parents, key=lambda slug: (len(claims.facets["category"][slug]), slug))


@pytest.fixture(scope="module")
def seed_claims(built_site: Path) -> Claims:
    return Claims.read(built_site)


def test_static_first_page_and_data_only_on_demand(
    page: Any, goto: Callable[..., Any], seed_claims: Claims, watch: Watch
) -> None:
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url))
    goto(page, "claims/")
    expect(page.locator("#kb-facets")).to_be_visible()
    assert shown(page) == seed_claims.everything  # the seed corpus fits on the first page
    assert not [url for url in fetched if "/claims/data/" in url], "claim data is fetched before any filter"
    assert not [url for url in fetched if url.endswith("/sitemap.xml")], "the theme fetched the whole sitemap"
    page.locator("#kb-words").fill("a")
    expect(page.locator("#kb-count")).to_have_text(re.compile(r"of \d+ claims match"), timeout=20_000)
    assert [url for url in fetched if url.endswith("/claims/data/facets.json")]
    watch.assert_clean()


def test_facet_and_words_with_state_in_the_url(
    page: Any, goto: Callable[..., Any], seed_claims: Claims, watch: Watch
) -> None:
    total = len(seed_claims.everything)
    goto(page, "claims/")
    leaf = leaf_category(seed_claims)
    in_leaf = seed_claims.facets["category"][leaf]
    box(page, "category", leaf).check()
    expect_match(page, in_leaf, total)
    assert query(page) == {"category": [leaf]}

    word = next(w for w in seed_claims.texts[sorted(in_leaf)[0]].split() if len(w) > 4 and w.isalpha())
    page.locator("#kb-words").fill(word)
    both = in_leaf & seed_claims.words(word)
    expect_match(page, both, total)
    page.wait_for_url(re.compile(rf"[?&]words={word}(&|$)"))
    assert "q" not in query(page)

    page.reload(wait_until="load")  # the state comes back from the URL
    expect(page.locator("#kb-words")).to_have_value(word)
    expect(box(page, "category", leaf)).to_be_checked()
    expect_match(page, both, total)

    page.go_back(wait_until="commit")  # back to the category alone
    expect_match(page, in_leaf, total)
    expect(page.locator("#kb-words")).to_have_value("")

    page.get_by_role("button", name="Clear filters").click()
    expect_match(page, seed_claims.everything, total)
    expect(page).to_have_url(re.compile(r"/claims/$"))
    watch.assert_clean()


def test_old_q_links_are_rewritten_without_opening_site_search(
    page: Any, goto: Callable[..., Any], seed_claims: Claims, watch: Watch
) -> None:
    word = "experts"
    goto(page, "claims/?" + urlencode({"q": word}))
    page.wait_for_url(re.compile(rf"/claims/\?words={word}$"))
    expect(page.locator("#kb-words")).to_have_value(word)
    expect_match(page, seed_claims.words(word), len(seed_claims.everything))
    page.wait_for_timeout(500)  # give the theme's search every chance to read a leftover `q`
    search = page.locator("#__search")
    assert search.count() == 0 or not search.is_checked(), "the site-search overlay opened"
    assert query(page) == {"words": [word]}
    watch.assert_clean()


def test_parent_category_includes_its_subtree_and_counts_follow(
    page: Any, goto: Callable[..., Any], seed_claims: Claims, watch: Watch
) -> None:
    total = len(seed_claims.everything)
    goto(page, "claims/")
    parent = parent_category(seed_claims)
    subtree = seed_claims.facets["category"][parent]
    label = page.locator(f'#kb-facets input[name="category"][value="{parent}"]').first.locator("xpath=..")
    expect(label).to_contain_text(re.compile(r"\S"))  # shown by title, not slug
    box(page, "category", parent).check()
    expect_match(page, subtree, total)
    # Counts follow the filters: with the parent chosen, each paper counts only its claims in the subtree.
    for pid, ids in seed_claims.facets["paper"].items():
        count = page.locator(f'[data-kb-count="paper:{pid}"]')
        if len(ids & subtree):
            expect(count).to_have_text(f"({len(ids & subtree)})")
        else:
            expect(count).to_have_count(0)
    # Words narrow the vocabulary counts too.
    word = "experts"
    page.locator("#kb-words").fill(word)
    narrowed = subtree & seed_claims.words(word)
    expect_match(page, narrowed, total)
    for value, ids in seed_claims.facets["claim_status"].items():
        expect(page.locator(f'[data-kb-count="claim_status:{value}"]')).to_have_text(f"({len(ids & narrowed)})")
    watch.assert_clean()


def test_paper_facet_shows_short_titles(page: Any, goto: Callable[..., Any], seed_claims: Claims) -> None:
    goto(page, "claims/")
    page.locator("#kb-words").fill("a")
    first = page.locator('#kb-facets input[name="paper"]').first
    expect(first).to_be_attached(timeout=20_000)
    pid = first.get_attribute("value") or ""
    label = first.locator("xpath=..")
    text = label.inner_text()
    assert pid not in text and len(text) < 80, f"paper facet label {text!r} is not a short title"


def test_facets_fold_away_on_a_phone(new_page: Callable[..., Any], goto: Callable[..., Any]) -> None:
    page = new_page(viewport={"width": 390, "height": 844}, color_scheme="light", is_mobile=True)
    goto(page, "claims/")
    expect(page.locator("#kb-facets")).to_be_visible()
    assert page.locator("details.kb-filters").evaluate("d => d.open") is False
    first = page.locator(ROWS).first
    box_ = first.bounding_box()
    assert box_ is not None and box_["y"] < 844, f"the first claim starts at {box_} px, below the screen"


def test_without_javascript_a_static_listing(
    new_page: Callable[..., Any], goto: Callable[..., Any], seed_claims: Claims
) -> None:
    page = new_page(java_script_enabled=False, color_scheme="light")
    goto(page, "claims/?category=nothing&words=nosuchword")
    expect(page.locator("#kb-facets")).to_be_hidden()
    assert shown(page) == seed_claims.everything


# --- a 2,000-paper synthetic corpus ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def synth_claims(synth_site: SynthSite) -> Claims:
    return Claims.read(synth_site.site_dir)


def test_synth_explorer_filters_by_facet_and_words(
    new_page: Callable[..., Any], synth_site: SynthSite, synth_claims: Claims, watch: Watch
) -> None:
    page = new_page(color_scheme="light")
    assert len(synth_claims.everything) == SYNTH_CLAIMS
    fetched: list[str] = []
    page.on("requestfinished", lambda request: fetched.append(urlsplit(request.url).path))
    page.goto(synth_site.url + "claims/", wait_until="networkidle")
    assert len(shown(page)) == 100  # a first page, not every claim
    on_disk = [
        synth_site.site_dir / (path.lstrip("/") + ("index.html" if path.endswith("/") else "")) for path in fetched
    ]
    first_load = sum(file.stat().st_size for file in on_disk if file.is_file())
    assert first_load < 1024 * 1024, f"the explorer's first load is {first_load:,} bytes: {fetched}"
    expect(page.locator("nav.kb-pager a[rel=next]").first).to_be_visible()
    parent = parent_category(synth_claims)
    box(page, "category", parent).check()
    subtree = synth_claims.facets["category"][parent]
    expect_match(page, subtree, SYNTH_CLAIMS)
    # Typing stays responsive: no main-thread task of 100 ms or more while the words are typed.
    page.evaluate(
        """() => { window.kbLongTasks = [];
        new PerformanceObserver(list => list.getEntries().forEach(e => window.kbLongTasks.push(e.duration)))
          .observe({type: "longtask"}); }"""
    )
    word = next(w for w in sorted(synth_claims.texts[sorted(subtree)[0]].split()) if len(w) > 5 and w.isalpha())
    page.locator("#kb-words").press_sequentially(word, delay=30)
    expected = subtree & synth_claims.words(word)
    expect_match(page, expected, SYNTH_CLAIMS)
    long_tasks = page.evaluate("window.kbLongTasks")
    assert all(duration < 100 for duration in long_tasks), f"typing blocked the page: {long_tasks} ms"
    page.wait_for_url(re.compile(rf"[?&]words={word}(&|$)"))
    assert query(page)["category"] == [parent]
    # The shared URL opens the same view.
    other = new_page(color_scheme="light")
    other.goto(page.url, wait_until="load")
    expect_match(other, expected, SYNTH_CLAIMS)
    watch.assert_clean()


def test_synth_category_pages_are_paginated(new_page: Callable[..., Any], synth_site: SynthSite, watch: Watch) -> None:
    paged = sorted(p.parent.parent.name for p in synth_site.site_dir.glob("taxonomy/*/page/2"))
    assert paged, "no category of 2,000 papers has a second page"
    slug = paged[0]
    page = new_page(color_scheme="light")
    page.goto(f"{synth_site.url}taxonomy/{slug}/", wait_until="load")
    papers = page.locator("ul.kb-paper-list > li")
    expect(papers).to_have_count(100)
    expect(page.locator("table.kb-claims")).to_have_count(0)  # claims are one explorer link away
    explore = page.locator(f'a[href$="claims/?category={slug}"]')
    expect(explore).to_be_visible()
    page.locator("nav.kb-pager a[rel=next]").click()
    expect(page).to_have_url(re.compile(rf"/taxonomy/{slug}/page/2/$"))
    expect(page.locator("h1")).to_be_visible()
    expect(page.locator("nav.kb-pager [aria-current=page]")).to_have_text("2")
    assert 0 < papers.count() <= 100
    watch.assert_clean()
