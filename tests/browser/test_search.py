"""Pagefind search in Material's header box: finds a claim's paper, from this site only.

The site is searched as a reader finds it: at the root of a static server, and under
the sub-path of `site_url` from `kb serve`. The index itself is read as Pagefind wrote
it, to show what result snippets can contain.
"""

from __future__ import annotations

import csv
import gzip
import html
import json
import re
import subprocess
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from generator.urls import paper_url
from tests.browser.conftest import CLAIM_TEXT, PAPER_ID, REPO, SynthSite, Watch
from tests.helpers import free_port, start_serve

pytestmark = pytest.mark.browser

QUERY = "TopK"  # a word of CLAIM_TEXT, found on no other page of the bundled corpus
CLAIM_ID = "c-d9d1c8ac"  # CLAIM_TEXT's row in ledgers/moe-ffn.csv, whose quote is:
CLAIM_QUOTE = "regardless of backbone size"
COMMON_WORD = "routing"  # on many pages of the synthetic corpus
RESULT_LINKS = ".md-search-result__list a.md-search-result__link"


def search_header(page: Any, query: str) -> list[str]:
    """Type into Material's header search box and return the hrefs of the results shown."""
    box = page.locator("input.md-search__input")
    box.click()
    box.press_sequentially(query, delay=20)
    results = page.locator(RESULT_LINKS)
    expect(results.first).to_be_visible(timeout=15_000)
    return [results.nth(i).get_attribute("href") or "" for i in range(results.count())]


def record_requests(page: Any) -> list[str]:
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url))
    return seen


def test_header_search_finds_claim_paper(
    new_page: Callable[..., Any], goto: Callable[..., Any], site_url: str, watch: Watch
) -> None:
    page = new_page(color_scheme="light")
    requests = record_requests(page)
    goto(page, "")
    hrefs = search_header(page, QUERY)
    assert any(href.endswith(f"/papers/{PAPER_ID}/") or f"/papers/{PAPER_ID}/#" in href for href in hrefs), hrefs
    snippet = page.locator(".md-search-result__list").inner_text()
    assert "TopK" in snippet, snippet
    page.locator(RESULT_LINKS).first.click()
    expect(page.locator("article h1").first).to_contain_text("S2MoE")
    assert page.url.startswith(f"{site_url}papers/{PAPER_ID}/"), page.url
    assert not any("search_index" in url for url in requests), "Material's lunr index was requested"
    assert any("/pagefind/" in url for url in requests), "the Pagefind bundle was never loaded"
    watch.assert_clean()


def test_search_opens_from_keyboard_and_closes_on_escape(
    new_page: Callable[..., Any], goto: Callable[..., Any], watch: Watch
) -> None:
    page = new_page(color_scheme="dark", viewport={"width": 390, "height": 844})
    goto(page, f"papers/{PAPER_ID}/")
    page.keyboard.press("/")
    expect(page.locator("input.md-search__input")).to_be_focused()
    page.keyboard.type(QUERY, delay=20)
    expect(page.locator(RESULT_LINKS).first).to_be_visible(timeout=15_000)
    page.keyboard.press("ArrowDown")
    expect(page.locator(RESULT_LINKS).first).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.locator("#__search")).not_to_be_checked()
    watch.assert_clean()


def test_search_finds_a_claims_paper_in_a_2000_paper_corpus(
    new_page: Callable[..., Any], synth_site: SynthSite, watch: Watch
) -> None:
    """At scale the header box still answers from shards: a claim's permanent id leads to its paper, first."""
    ledger = sorted((synth_site.root / "ledgers").glob("*.csv"))[0]
    with ledger.open(encoding="utf-8", newline="") as handle:
        row = next(csv.DictReader(handle))
    page = new_page(color_scheme="light")
    requests = record_requests(page)
    page.goto(synth_site.url, wait_until="load")
    hrefs = search_header(page, row["claim_id"])
    paper = "/" + paper_url(re.sub(r"v\d+$", "", row["paper_id"]))
    assert hrefs[0] == paper, f"{row['claim_id']} of {row['paper_id']}: results {hrefs}"
    fetched = {urlsplit(url).path for url in requests if "/pagefind/" in url}
    size = sum((synth_site.site_dir / path.lstrip("/")).stat().st_size for path in fetched)
    assert size <= 300_000, f"the first query fetched {size:,} bytes in {len(fetched)} files (target: 300 KB)"
    watch.assert_clean()


def test_a_common_word_fetches_its_own_shard_and_results_as_the_list_scrolls(
    new_page: Callable[..., Any], synth_site: SynthSite, watch: Watch
) -> None:
    """A word on many pages: the query runs once typing pauses, so only the shard of the whole word is fetched
    (not one per prefix typed), and results' fragments five at a time, as many as fill the list; scrolling to
    its end shows five more."""
    page = new_page(color_scheme="light")
    requests = record_requests(page)
    page.goto(synth_site.url, wait_until="load")
    search_header(page, COMMON_WORD)
    expect(page.locator(".md-search-result__meta")).to_contain_text("matching documents")
    matching = int(re.sub(r"\D", "", page.locator(".md-search-result__meta").inner_text()))
    assert matching >= 200, f"{COMMON_WORD!r} is on {matching} pages only: not a common word in this corpus"
    page.wait_for_load_state("networkidle")
    fetched = [urlsplit(url).path for url in requests if "/pagefind/" in url]
    shards = [path for path in fetched if "/pagefind/index/" in path]
    shown = [path for path in fetched if "/pagefind/fragment/" in path]
    assert len(shards) <= 2, f"index shards fetched for {COMMON_WORD!r}: {shards}"
    items = page.locator(".md-search-result__item").count()
    assert len(shown) == items < matching and items in (5, 10), f"{len(shown)} fragments fetched, {items} shown"
    size = sum((synth_site.site_dir / path.lstrip("/")).stat().st_size for path in set(fetched))
    assert size <= 300_000, f"the first query fetched {size:,} bytes in {len(set(fetched))} files (target: 300 KB)"
    page.locator(".md-search-result__item").last.scroll_into_view_if_needed()
    expect(page.locator(".md-search-result__item")).to_have_count(items + 5)
    watch.assert_clean()


def test_paper_is_indexed_by_what_it_says_not_by_what_it_repeats(built_site: Path) -> None:
    """Title, summary, claim statements and ids are searched; the abstract, quotes, notes and quote checks are
    not: each indexed word costs bytes in the first query for it, on every page that holds it."""
    indexed = {f["url"]: f["content"] for f in fragments(built_site)}
    paper = indexed[f"/papers/{PAPER_ID}/"]
    shown = (built_site / "papers" / PAPER_ID / "index.html").read_text(encoding="utf-8")
    assert CLAIM_TEXT in paper and CLAIM_ID in paper
    assert CLAIM_QUOTE in shown and CLAIM_QUOTE not in paper, "the claim's quote is indexed"
    for shown_not_indexed in ("taxonomy category match", "full-text verified", "audit_report.md"):
        assert shown_not_indexed in shown and shown_not_indexed not in paper, shown_not_indexed
    abstracts = 0
    for url, content in indexed.items():
        page = (built_site / url.strip("/") / "index.html").read_text(encoding="utf-8")
        abstract = re.search(r'<p class="kb-abstract">([^<]{40,})', page)
        summary = re.search(r'<p class="kb-summary">([^<]+)', page)
        if summary:
            assert visible(summary.group(1)) in content, f"{url}: the summary is not indexed"
        if abstract:
            abstracts += 1
            assert visible(abstract.group(1)) not in content, f"{url}: the abstract is indexed"
    assert abstracts, "no indexed page shows an abstract"


def visible(markup: str) -> str:
    """Text between tags as a reader sees it, and as Pagefind indexes it: entities decoded, spaces collapsed."""
    return " ".join(html.unescape(markup).split())


def fragments(site: Path) -> list[dict[str, Any]]:
    """Pagefind's per-page records: gzip, a `pagefind_dcd` signature, then JSON."""
    return [
        json.loads(gzip.decompress(path.read_bytes()).removeprefix(b"pagefind_dcd"))
        for path in (site / "pagefind" / "fragment").iterdir()
    ]


def test_index_holds_prose_not_headers_or_badges(built_site: Path) -> None:
    """Snippets are cut from a page's indexed text: no column headers, badge labels or claim pages in it."""
    indexed = fragments(built_site)
    paper = next(f for f in indexed if f["url"] == f"/papers/{PAPER_ID}/")
    assert CLAIM_TEXT in paper["content"]
    # Column headers, and badge labels of the claim row that the page's prose does not also use.
    for label in ("Status", "Depth", "has evidence row", "in-scope", "supported"):
        assert label not in paper["content"], f"{label!r} is indexed on the paper page"
    urls = {f["url"] for f in indexed}
    unindexed = [u for u in urls if u.startswith(("/claims/", "/taxonomy/")) or u in {"/papers/", "/syntheses/"}]
    assert unindexed == [], "claim, category and index pages repeat text of paper pages and stay out of the index"
    assert not (built_site / "search" / "search_index.json").exists(), "Material's lunr index is still written"


def _wait_for(url: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"kb serve never answered {url}")


def search_until_found(page: Any, url: str, query: str, timeout: float = 120.0) -> list[str]:
    """Reload and search until `query` has results: the rebuilt index replaces the old one in the background.

    Mid-rebuild the bundle may be missing, and live reload may reload the page under the typed query: try again.
    """
    deadline = time.monotonic() + timeout
    results = page.locator(RESULT_LINKS)
    while time.monotonic() < deadline:
        page.goto(url, wait_until="load")
        box = page.locator("input.md-search__input")
        box.click()
        box.press_sequentially(query, delay=20)
        try:
            expect(page.locator(".md-search-result__meta")).to_contain_text("matching", timeout=10_000)
        except AssertionError:
            continue
        if results.count():
            break
        time.sleep(1)
    return [results.nth(i).get_attribute("href") or "" for i in range(results.count())]


def test_search_under_site_path_from_kb_serve(project: Path, new_page: Callable[..., Any], watch: Watch) -> None:
    """`kb serve` serves under site_url's path (/evidence-ledger/); results point inside it and follow edits."""
    port = free_port()
    server = start_serve(project, port, cwd=REPO, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}/evidence-ledger/"
        _wait_for(base + "pagefind/pagefind.js")
        page = new_page(color_scheme="light")
        page.goto(base + "syntheses/", wait_until="load")
        hrefs = search_header(page, QUERY)
        assert any(href.startswith(f"/evidence-ledger/papers/{PAPER_ID}/") for href in hrefs), hrefs
        page.locator(RESULT_LINKS).first.click()
        expect(page.locator("article h1").first).to_contain_text("S2MoE")
        # An edited ledger row is rebuilt, then re-indexed in the background: its new word becomes findable.
        ledger = project / "ledgers" / "moe-ffn.csv"
        ledger.write_text(ledger.read_text(encoding="utf-8").replace("TopK setting.", "TopK Quokkaroute setting."))
        hrefs = search_until_found(page, base, "Quokkaroute")
        assert any(href.startswith(f"/evidence-ledger/papers/{PAPER_ID}/") for href in hrefs), hrefs
    finally:
        server.terminate()
        server.wait(timeout=20)
    watch.assert_clean()
