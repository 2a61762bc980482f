import pytest
from playwright.sync_api import expect
pytestmark = pytest.mark.browser
@pytest.mark.parametrize("query", ["records", "ledger"])
def test_q(tabs, goto, query):
    tab = tabs("light"); page = tab.page
    goto(page, "")
    search = page.locator("input.md-search__input")
    results = page.locator(".md-search-result__list a.md-search-result__link")
    search.click()
    for _ in range(20):
        search.fill(""); search.fill(query)
        try:
            expect(results.first).to_be_visible(timeout=1_000); break
        except AssertionError:
            continue
    print("RESULT", query, results.count())
