"""axe-core on every page kind, light and dark, at 1280 and 390 px: no serious or critical violation."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.browser.conftest import Tab, Watch, screenshot_path
from tests.browser.test_pages import KINDS

pytestmark = pytest.mark.browser

SCHEMES = {"light": "default", "dark": "slate"}  # Playwright's colour scheme -> Material's data-md-color-scheme
WIDTHS = {"desktop": 1280, "mobile": 390}
BLOCKING = {"serious", "critical"}
A11Y_KINDS = (*KINDS, "data")


@pytest.fixture(scope="module")
def axe() -> Axe:
    return Axe()


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']} — {violation['helpUrl']}")
        for node in violation["nodes"][:8]:
            lines.append(f"    at {json.dumps(node.get('target'))}")
            summary = " ".join((node.get("failureSummary") or "").split())
            if summary:
                lines.append(f"       {summary[:400]}")
    return "\n".join(lines)


@pytest.mark.parametrize("width", sorted(WIDTHS))
@pytest.mark.parametrize("scheme", sorted(SCHEMES))
@pytest.mark.parametrize("kind", A11Y_KINDS)
def test_axe(
    kind: str,
    scheme: str,
    width: str,
    axe: Axe,
    tabs: Callable[[str], Tab],
    goto: Callable[..., Any],
    page_paths: dict[str, str],
) -> None:
    tab = tabs(scheme)
    page = tab.page
    page.set_viewport_size({"width": WIDTHS[width], "height": 900})
    goto(page, {**page_paths, "data": "data/"}[kind])
    expect(page.locator("body")).to_have_attribute("data-md-color-scheme", SCHEMES[scheme])
    results = axe.run(page)
    blocking = [v for v in results.response["violations"] if v.get("impact") in BLOCKING]
    if scheme == "dark" and width == "desktop":
        page.screenshot(path=str(screenshot_path(f"{kind}-dark")), animations="disabled")
    if blocking:
        print(describe(blocking))
    assert not blocking, (
        f"{kind} ({scheme}, {WIDTHS[width]} px): {len(blocking)} serious/critical axe violations\n{describe(blocking)}"
    )
    tab.watch.assert_clean()


def test_axe_explorer_filtered(axe: Axe, new_page: Callable[..., Any], goto: Callable[..., Any], watch: Watch) -> None:
    """The explorer with its form shown and a filter applied, in both schemes."""
    for scheme, material in SCHEMES.items():
        page = new_page(color_scheme=scheme)
        goto(page, "claims/")
        expect(page.locator("body")).to_have_attribute("data-md-color-scheme", material)
        page.locator("#kb-facets input[type=checkbox]").first.check()
        page.locator("#kb-words").fill("experts")
        results = axe.run(page)
        blocking = [v for v in results.response["violations"] if v.get("impact") in BLOCKING]
        assert not blocking, f"explorer ({scheme}):\n{describe(blocking)}"
    watch.assert_clean()
