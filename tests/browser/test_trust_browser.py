"""Hostile content pages in Debian's Chromium (issue #12, finding 1): nothing a page carries runs.

The scratch project plants event handlers, `javascript:`/`data:` links, `attr_list`
attributes, `<script>`, `<iframe>`, `<object>`, `<form>` and `<svg onload>` into a content
page and into CONTRIBUTING.md, builds with the real `kb build`, and then loads, hovers and
clicks every element: any `alert` opens a dialog, which the test records and fails on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.browser.conftest import serving
from tests.browser.test_injection_browser import watch_dialogs
from tests.conftest import copy_project
from tests.helpers import kb
from tests.test_trust_content import HOSTILE_PAGE

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def hostile_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    base = tmp_path_factory.mktemp("trust-browser")
    root = copy_project(base / "project")
    (root / "content" / "hostile.md").write_text(HOSTILE_PAGE, encoding="utf-8")
    contributing = root / "CONTRIBUTING.md"
    contributing.write_text(contributing.read_text(encoding="utf-8") + '\n<img src="x" onerror="alert(2)">\n')
    site = base / "site"
    result = kb(root, "build", "--site-dir", str(site))
    assert result.returncode == 0, result.stderr
    with serving(site) as url:
        yield url


@pytest.mark.parametrize("path", ["hostile/", "contributing/"])
def test_nothing_on_a_hostile_content_page_runs(new_page: Callable[..., Any], hostile_url: str, path: str) -> None:
    page = new_page(color_scheme="light")
    dialogs = watch_dialogs(page)
    page.goto(hostile_url + path, wait_until="load")
    assert dialogs == [], f"on load: {dialogs}"
    page.evaluate("alert('probe')")  # the watcher sees a dialog when there is one
    assert dialogs == ["alert: probe"]
    dialogs.clear()
    content = page.locator("article")
    for index in range(content.locator("*").count()):
        element = content.locator("*").nth(index)
        if element.is_visible():
            element.hover()
            element.click(modifiers=["Alt"], no_wait_after=True, timeout=2_000)  # Alt: follow no link
    page.wait_for_timeout(200)
    assert dialogs == [], dialogs
    assert page.url.startswith(hostile_url + path), "a click navigated away"
    handlers = page.evaluate(
        "() => [...document.querySelectorAll('article *')].flatMap(e => [...e.attributes]"
        ".filter(a => a.name.startsWith('on') || /^\\s*(javascript|data):/i.test(a.value)).map(a => a.name))"
    )
    assert handlers == []
    assert page.locator("article script, article iframe, article object, article embed, article form").count() == 0


def test_material_features_survive_sanitising(new_page: Callable[..., Any], hostile_url: str) -> None:
    page = new_page(color_scheme="light")
    page.goto(hostile_url + "hostile/", wait_until="load")
    assert page.locator("article .admonition.note .admonition-title").inner_text() == "Kept"
    assert page.locator("article #hover-me.kb-note").count() == 1
    assert page.locator("article table th").count() == 2
    assert page.locator("article details summary").inner_text() == "More"
    assert page.locator("article pre code").inner_text().strip() == 'echo "code survives"'
