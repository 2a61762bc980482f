"""Layout that reads at 1280 px and at 390 px: nothing scrolls sideways, no identifier is broken across lines.

Checked in Chromium on every page kind a reader lands on: the page may not be wider
than the window, no box inside the content may need a sideways scroll bar, and no
identifier (arXiv id, claim id, synthesis id, file name, hash, code token) may be
split over two lines. Claim text on a paper page gets the content width.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from generator.pipeline.render import maintainer_prose
from tests.browser.conftest import PAPER_ID, REPO, Tab, Watch

pytestmark = pytest.mark.browser

LAYOUT_KINDS = ("papers-index", "paper", "hub", "synthesis", "explorer", "category", "claim", "data", "methodology")
WIDTHS = {"desktop": 1280, "mobile": 390}

# Run in the page: every sideways scroller in the content, and every identifier set on more than one line.
MEASURE = """() => {
  const content = document.querySelector(".md-content");
  const visible = (el) => el.checkVisibility({ visibilityProperty: true });  // false inside closed <details>
  const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
    (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\\s+/).join(".") : "");
  const scrollers = [];
  for (const el of content.querySelectorAll("*")) {
    const style = getComputedStyle(el);
    if (!/(auto|scroll)/.test(style.overflowX) || !visible(el)) continue;
    if (el.scrollWidth > el.clientWidth + 1) scrollers.push(`${name(el)}: ${el.scrollWidth} > ${el.clientWidth} px`);
  }
  const ID = /^(?:\\d{4}\\.\\d{4,5}|[a-z-]+\\/\\d{7}|c-[0-9a-f]{6,}|SRCH-[0-9A-F]+|[0-9a-f]{12,}|[\\w-]+\\.(?:json|csv|parquet|md|yaml|bib|txt|zip|gz|xml|sha256))$/;
  const broken = [];
  const walker = document.createTreeWalker(content, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.parentElement || !visible(node.parentElement)) continue;
    const inCode = !!node.parentElement.closest("code, kbd");
    for (const match of node.data.matchAll(/\\S+/g)) {
      const token = match[0].replace(/^[(\\[«"']+|[)\\].,;:»"']+$/g, "");
      if (!(ID.test(token) || (inCode && token.length >= 4))) continue;
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const tops = new Set(Array.from(range.getClientRects(), (r) => Math.round(r.top)).filter((t) => t !== 0));
      if (tops.size > 1) broken.push(`${token} in ${name(node.parentElement)}`);
    }
  }
  return {
    pageWidth: document.documentElement.scrollWidth,
    windowWidth: window.innerWidth,
    scrollers,
    broken,
  };
}"""


@pytest.fixture(scope="module")
def layout_paths(page_paths: dict[str, str]) -> dict[str, str]:
    return {**page_paths, "data": "data/"}


@pytest.mark.parametrize("width", sorted(WIDTHS))
@pytest.mark.parametrize("kind", LAYOUT_KINDS)
def test_nothing_scrolls_sideways_and_no_id_breaks(
    kind: str,
    width: str,
    tabs: Callable[[str], Tab],
    goto: Callable[..., Any],
    layout_paths: dict[str, str],
) -> None:
    tab = tabs("light")
    page = tab.page
    page.set_viewport_size({"width": WIDTHS[width], "height": 900})
    goto(page, layout_paths[kind])
    found = page.evaluate(MEASURE)
    assert found["pageWidth"] <= found["windowWidth"], (
        f"{kind} at {WIDTHS[width]} px is {found['pageWidth']} px wide: the whole page scrolls sideways"
    )
    assert found["scrollers"] == [], f"{kind} at {WIDTHS[width]} px scrolls sideways inside: {found['scrollers']}"
    assert found["broken"] == [], f"{kind} at {WIDTHS[width]} px breaks identifiers across lines: {found['broken']}"
    tab.watch.assert_clean()


@pytest.mark.parametrize("width", sorted(WIDTHS))
def test_claim_text_gets_the_width_on_paper_pages(
    width: str, tabs: Callable[[str], Tab], goto: Callable[..., Any]
) -> None:
    """The claim is read first and full width; its badges sit together below it, not in squeezed columns."""
    tab = tabs("light")
    page = tab.page
    page.set_viewport_size({"width": WIDTHS[width], "height": 900})
    goto(page, f"papers/{PAPER_ID}/")
    claim = page.locator("table.kb-claims td.kb-claim-text").first.bounding_box()
    table = page.locator("table.kb-claims").first.bounding_box()
    assert claim and table
    assert claim["width"] >= 0.9 * table["width"], f"claim text is {claim['width']:.0f} of {table['width']:.0f} px"
    tab.watch.assert_clean()


@pytest.mark.parametrize(("path", "code"), [("data/", "sha256sum -c"), ("methodology/", "p4")])
def test_generated_prose_renders_its_code_spans(
    path: str, code: str, tabs: Callable[[str], Tab], goto: Callable[..., Any]
) -> None:
    """The generator's own descriptions show `x` as code, never as raw backticks."""
    tab = tabs("light")
    page = tab.page
    goto(page, path)
    article = page.locator("article.md-content__inner")
    assert "`" not in article.inner_text(), f"{path} shows raw Markdown backticks"
    expect(article.locator("code", has_text=code).first).to_have_text(code)
    tab.watch.assert_clean()


def test_prose_escapes_before_it_makes_code() -> None:
    """`prose` is for the generator's own text, and still never lets markup through."""
    assert str(maintainer_prose("run `kb ids` <b>now</b> & `<i>`")) == (
        "run <code>kb ids</code> &lt;b&gt;now&lt;/b&gt; &amp; <code>&lt;i&gt;</code>"
    )


def test_data_page_hashes_are_short_with_a_copy_button(
    new_page: Callable[..., Any], goto: Callable[..., Any], site_url: str, watch: Watch
) -> None:
    """A SHA-256 shows 12 digits on one line; Material's clipboard button copies all 64."""
    page = new_page(color_scheme="light", viewport={"width": 390, "height": 844})
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site_url.rstrip("/"))
    goto(page, "data/")
    shown = page.locator("code.kb-sha256").first
    full = (shown.get_attribute("title") or "").removeprefix("SHA-256 ")
    assert re.fullmatch(r"[0-9a-f]{64}", full), full
    assert shown.inner_text() == full[:12] + "…"
    page.locator(".kb-hash-copy").first.click()
    expect(page.locator(".md-dialog")).to_contain_text("Copied to clipboard")
    assert page.evaluate("navigator.clipboard.readText()") == full
    watch.assert_clean()


def test_screenshot_set_is_in_docs_and_readme_shows_two() -> None:
    """docs/screenshots.py writes six page kinds x desktop/mobile x light/dark; the README shows two of them."""
    expected = {
        f"screenshot-{kind}-{device}-{scheme}.png"
        for kind in ("paper", "hub", "synthesis", "explorer", "category", "data")
        for device in ("desktop", "mobile")
        for scheme in ("light", "dark")
    }
    present = {path.name for path in (REPO / "docs").glob("screenshot-*-*-*.png")}
    assert expected <= present, f"missing from docs/ (run docs/screenshots.py): {sorted(expected - present)}"
    for name in expected:
        image = (REPO / "docs" / name).read_bytes()
        assert image[:8] == b"\x89PNG\r\n\x1a\n" and len(image) < 400_000, f"{name}: not a small PNG"
    shown = set(re.findall(r"docs/(screenshot-[\w-]+\.png)", (REPO / "README.md").read_text(encoding="utf-8")))
    assert len(shown & expected) >= 2, f"the README shows {sorted(shown)}"
