"""The claim explorer: facet and word filters, state in the URL, back/forward, and the no-JavaScript fallback."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Watch

pytestmark = pytest.mark.browser

ROWS = ".kb-explorer-table table.kb-claims tbody tr"


def facet_index(page: Any) -> tuple[dict[str, dict[str, set[str]]], set[str]]:
    """facet -> value -> claim ids, from the page's own facet data."""
    data = json.loads(page.locator("#kb-claim-facets").text_content() or "{}")
    index: dict[str, dict[str, set[str]]] = {}
    for claim_id, facets in data.items():
        for key, values in facets.items():
            for value in values:
                index.setdefault(key, {}).setdefault(value, set()).add(claim_id)
    return index, set(data)


def choose(index: dict[str, dict[str, set[str]]], everything: set[str]) -> tuple[str, str, str, str, str]:
    """Two values of one facet (OR) and one of another (AND) that each narrow the rows shown."""
    for first, values in index.items():
        narrowing = [v for v, ids in values.items() if 0 < len(ids) < len(everything)]
        for a, b in itertools.combinations(narrowing, 2):
            union = values[a] | values[b]
            if union == everything or union == values[a]:
                continue
            for second, others in index.items():
                if second == first:
                    continue
                for c, ids in others.items():
                    if 0 < len(union & ids) < len(union):
                        return first, a, b, second, c
    raise AssertionError("the corpus has no facet values that narrow the explorer; add claims")


def shown(page: Any) -> set[str]:
    return set(
        page.eval_on_selector_all(ROWS, "rows => rows.filter(r => r.getClientRects().length > 0).map(r => r.id)")
    )


def query(page: Any) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def box(page: Any, facet: str, value: str) -> Any:
    return page.locator(f'#kb-facets input[type=checkbox][name="{facet}"][value="{value}"]')


def expect_rows(page: Any, ids: set[str], total: int) -> None:
    expect(page.locator("#kb-count")).to_have_text(f"{len(ids)} of {total} claims shown")
    assert shown(page) == ids


def test_form_is_revealed_with_count(page: Any, goto: Callable[..., Any], watch: Watch) -> None:
    goto(page, "claims/")
    _, everything = facet_index(page)
    expect(page.locator("#kb-facets")).to_be_visible()
    expect(page.locator(ROWS)).to_have_count(len(everything))
    expect_rows(page, everything, len(everything))
    watch.assert_clean()


def test_facets_filter_and_url_state(page: Any, goto: Callable[..., Any], watch: Watch) -> None:
    goto(page, "claims/")
    index, everything = facet_index(page)
    total = len(everything)
    first, a, b, second, c = choose(index, everything)
    states = [everything]

    box(page, first, a).check()
    states.append(index[first][a])
    expect_rows(page, states[-1], total)
    assert query(page) == {first: [a]}

    box(page, first, b).check()  # OR within a facet
    states.append(index[first][a] | index[first][b])
    expect_rows(page, states[-1], total)
    assert set(query(page)) == {first} and sorted(query(page)[first]) == sorted([a, b])

    box(page, second, c).check()  # AND across facets
    states.append(states[-1] & index[second][c])
    expect_rows(page, states[-1], total)
    assert set(query(page)) == {first, second}

    # Reload: the state comes back from the URL.
    page.reload(wait_until="load")
    expect_rows(page, states[3], total)
    expect(box(page, first, a)).to_be_checked()
    expect(box(page, first, b)).to_be_checked()
    expect(box(page, second, c)).to_be_checked()

    # Back and forward walk through the states.
    page.go_back(wait_until="commit")
    expect_rows(page, states[2], total)
    expect(box(page, second, c)).not_to_be_checked()
    page.go_back(wait_until="commit")
    expect_rows(page, states[1], total)
    expect(box(page, first, b)).not_to_be_checked()
    expect(box(page, first, a)).to_be_checked()
    page.go_back(wait_until="commit")
    expect_rows(page, states[0], total)
    expect(box(page, first, a)).not_to_be_checked()
    assert query(page) == {}
    page.go_forward(wait_until="commit")
    expect_rows(page, states[1], total)
    expect(box(page, first, a)).to_be_checked()
    page.go_forward(wait_until="commit")
    expect_rows(page, states[2], total)

    # Clear filters: every row again, and a clean URL.
    page.get_by_role("button", name="Clear filters").click()
    expect_rows(page, everything, total)
    expect(page).to_have_url(re.compile(r"/claims/$"))
    watch.assert_clean()


def test_word_filter(page: Any, goto: Callable[..., Any], watch: Watch) -> None:
    goto(page, "claims/")
    _, everything = facet_index(page)
    texts = dict(page.eval_on_selector_all(ROWS, "rows => rows.map(r => [r.id, r.textContent.replace(/\\s+/g, ' ')])"))
    word = "TopK"
    expected = {cid for cid, text in texts.items() if word.lower() in text.lower()}
    assert 0 < len(expected) < len(everything), "pick a word found in some claims only"
    page.locator("#kb-q").fill(word)
    expect_rows(page, expected, len(everything))
    page.wait_for_url(re.compile(r"[?&]q=TopK(&|$)"))
    # Two words must both occur.
    page.locator("#kb-q").fill(f"{word} nosuchwordanywhere")
    expect_rows(page, set(), len(everything))
    expect(page.locator(".kb-no-results")).to_be_visible()
    page.locator("#kb-q").fill(word)
    expect_rows(page, expected, len(everything))
    watch.assert_clean()


def test_state_loaded_from_a_shared_url(page: Any, goto: Callable[..., Any], watch: Watch) -> None:
    goto(page, "claims/")
    index, everything = facet_index(page)
    first, a, _, _, _ = choose(index, everything)
    texts = dict(page.eval_on_selector_all(ROWS, "rows => rows.map(r => [r.id, r.textContent.toLowerCase()])"))
    word = "experts"
    expected = {cid for cid in index[first][a] if word in texts[cid]}
    goto(page, "claims/?" + urlencode([(first, a), ("q", word)]))
    expect(page.locator("#kb-q")).to_have_value(word)
    expect(box(page, first, a)).to_be_checked()
    expect_rows(page, expected, len(everything))
    watch.assert_clean()


def test_without_javascript_every_claim_shows(new_page: Callable[..., Any], goto: Callable[..., Any]) -> None:
    page = new_page(java_script_enabled=False, color_scheme="light")
    goto(page, "claims/?claim_status=nothing-matches-this&q=nosuchword")
    _, everything = facet_index(page)
    expect(page.locator("#kb-facets")).to_be_hidden()
    rows = page.locator(ROWS)
    expect(rows).to_have_count(len(everything))
    assert shown(page) == everything
    for i in range(rows.count()):
        expect(rows.nth(i)).to_be_visible()
