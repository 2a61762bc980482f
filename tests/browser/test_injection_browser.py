"""The injection fixture in a real browser: no dialog opens, no script from data runs, text stays literal.

`tests/hostile/injection/` puts `<script>alert(…)</script>`, `onerror=` breakouts and
`javascript:` links into every text field. Each generated page is opened in Debian's
Chromium (through the shared guarded fixtures), and the search box is fed the payload
words; any `alert` would open a dialog, which is recorded and fails the test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from playwright.sync_api import expect

from tests.browser.conftest import serving
from tests.helpers import FIXTURES, add_site_config, copy_fixture, kb

pytestmark = pytest.mark.browser

TITLE = yaml.safe_load((FIXTURES / "injection" / "records" / "papers" / "2409.02060.yaml").read_text(encoding="utf-8"))[
    "title"
]


@pytest.fixture(scope="module")
def injection_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """`kb build` of the injection fixture, served on 127.0.0.1."""
    base = tmp_path_factory.mktemp("injection-browser")
    root = add_site_config(copy_fixture("injection", base / "project"))
    site = base / "site"
    result = kb(root, "build", "--site-dir", str(site))
    assert result.returncode == 0, result.stderr
    with serving(site) as url:
        yield url, site


def watch_dialogs(page: Any) -> list[str]:
    opened: list[str] = []

    def record(dialog: Any) -> None:
        opened.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", record)
    return opened


def test_no_page_opens_a_dialog(new_page: Callable[..., Any], injection_url: tuple[str, Path]) -> None:
    url, site = injection_url
    page = new_page(color_scheme="light")
    dialogs = watch_dialogs(page)
    page.goto(url, wait_until="load")
    page.evaluate("alert('probe')")  # the watcher sees a dialog when there is one
    assert dialogs == ["alert: probe"]
    dialogs.clear()
    pages = sorted(p.parent.relative_to(site).as_posix() for p in site.rglob("index.html"))
    assert "papers/2409.02060" in pages and "papers/hep-th/9901001" in pages
    for path in pages:
        target = "" if path == "." else f"{path}/"
        response = page.goto(url + target, wait_until="load")
        assert response is not None and response.ok, target
        page.mouse.move(200, 200)  # would fire a data-borne onmouseover
        assert dialogs == [], f"{target}: {dialogs}"
    assert page.evaluate("document.title") != ""


def test_paper_title_is_literal_text_in_the_browser(
    new_page: Callable[..., Any], injection_url: tuple[str, Path]
) -> None:
    url, _ = injection_url
    page = new_page(color_scheme="light")
    dialogs = watch_dialogs(page)
    page.goto(url + "papers/2409.02060/", wait_until="load")
    expect(page.locator("article h1")).to_have_text(TITLE)
    assert page.title().startswith(TITLE)
    assert page.locator("article img[src='x']").count() == 0
    assert page.locator("article script").count() == 0
    assert dialogs == []


def search_for(page: Any, query: str, attempts: int) -> Any:
    """Type a query until Material's search worker answers (it drops queries typed before its index loads)."""
    search = page.locator("input.md-search__input")
    results = page.locator(".md-search-result__list a.md-search-result__link")
    for _ in range(attempts):
        search.fill("")
        search.press_sequentially(query)  # key events: Material reads the query on keyup
        try:
            expect(results.first).to_be_visible(timeout=1_000)
            break
        except AssertionError:
            continue
    expect(results.first).to_be_visible()
    return results


def test_search_for_payload_words_opens_no_dialog(
    new_page: Callable[..., Any], injection_url: tuple[str, Path]
) -> None:
    url, _ = injection_url
    page = new_page(color_scheme="light")
    dialogs = watch_dialogs(page)
    page.goto(url, wait_until="load")
    page.locator("input.md-search__input").click()
    search_for(page, "Lovelace", attempts=60)  # the search index is loaded once this answers
    for query in ("onerror", "onload", "onmouseover", "Synthesis", "front"):
        results = search_for(page, query, attempts=5)
        assert results.count() >= 1, query
        page.mouse.move(300, 300)
        assert dialogs == [], f"{query}: {dialogs}"
    assert page.locator(".md-search-result img[src='x'], .md-search-result svg[onload]").count() == 0
    assert page.locator(".md-search-result script").count() == 0
