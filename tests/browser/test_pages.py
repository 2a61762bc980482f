"""Each page kind renders its key content in a real browser, with no request to another host."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from typing import Any

import pytest
import yaml
from playwright.sync_api import expect

from tests.browser.conftest import (
    CLAIM_TEXT,
    HUB_ID,
    PAPER_ID,
    REPO,
    SYNTHESIS_ID,
    Tab,
    Watch,
    screenshot_path,
)

pytestmark = pytest.mark.browser

KINDS = (
    "home",
    "papers-index",
    "paper",
    "hub",
    "syntheses-index",
    "synthesis",
    "taxonomy-index",
    "category",
    "explorer",
    "claim",
    "methodology",
)


def ledger_row(claim_text: str) -> dict[str, str]:
    for ledger in sorted((REPO / "ledgers").glob("*.csv")):
        with ledger.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                if row["claim"].strip() == claim_text:
                    return row
    raise AssertionError(f"no ledger row holds the claim {claim_text!r}")


def citing_papers(target: str) -> set[str]:
    """Corpus papers whose records cite `target`, read straight from records/papers/."""
    citing = set()
    for path in (REPO / "records" / "papers").glob("*.yaml"):
        record = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for edge in record.get("cites") or []:
            cited = str(edge.get("target", "") if isinstance(edge, dict) else edge)
            if re.sub(r"^arxiv:|v\d+$", "", cited, flags=re.IGNORECASE) == target:
                citing.add(str(record.get("id")))
    return citing


@pytest.mark.parametrize("kind", KINDS)
def test_page_kind_renders(
    kind: str, tabs: Callable[[str], Tab], goto: Callable[..., Any], page_paths: dict[str, str]
) -> None:
    """Each page kind loads, shows its heading, and (left to settle) asks no other host for anything."""
    tab = tabs("light")
    page = tab.page
    goto(page, page_paths[kind])
    expect(page.locator("article.md-content__inner h1").first).to_be_visible()
    assert page.title(), f"{kind}: the page has no <title>"
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(screenshot_path(kind)), full_page=True, animations="disabled")
    tab.watch.assert_clean()


def test_paper_page_shows_claim_row(tabs: Callable[[str], Tab], goto: Callable[..., Any]) -> None:
    tab = tabs("light")
    page = tab.page
    expected = ledger_row(CLAIM_TEXT)
    goto(page, f"papers/{PAPER_ID}/")
    expect(page.locator("h1").first).to_have_text(re.compile(r"S2MoE"))
    row = page.locator("table.kb-claims tbody tr").filter(has_text=CLAIM_TEXT)
    expect(row).to_have_count(1)
    expect(row.locator("td[data-label=Claim]")).to_contain_text(CLAIM_TEXT)

    def badge(label: str) -> Any:
        return row.locator(f"td[data-label={label}] .kb-badge")

    expect(badge("Status")).to_have_text(expected["claim_status"])
    expect(badge("Evidence")).to_have_text(expected["evidence_status"])
    expect(badge("Depth")).to_have_text(expected["source_depth"])
    expect(badge("Fit")).to_have_text(expected["taxonomy_fit"].split(":", 1)[0].strip())
    expect(badge("Audit")).to_have_text(expected["audit_status"].split(";", 1)[0].strip())
    quote = " ".join(expected["source_quote"].split())
    expect(row.locator("td[data-label=Quote] blockquote")).to_have_text(quote)
    expect(row.locator("td[data-label=Page]")).to_have_text(expected["page_or_section"])
    # Every badge links to its definition on the methodology page ...
    href = badge("Status").get_attribute("href") or ""
    assert href.endswith(f"methodology/#claim_status-{expected['claim_status']}"), href
    # ... and its accessible name is its text alone (the icon is decoration).
    expect(row.get_by_role("link", name=expected["claim_status"], exact=True)).to_have_count(1)
    tab.watch.assert_clean()


def test_synthesis_page(tabs: Callable[[str], Tab], goto: Callable[..., Any]) -> None:
    tab = tabs("light")
    page = tab.page
    goto(page, f"syntheses/{SYNTHESIS_ID}/")
    article = page.locator("article.kb-synthesis")

    def value(section: str, heading: str) -> Any:
        table = article.locator(f"h2#{section} + table.kb-kv")
        return table.locator("tr").filter(has=page.locator("th", has_text=re.compile(f"^{heading}$"))).locator("td")

    expect(value("verification-level", "Paper level")).to_contain_text("L2")
    expect(value("verification-level", "Source-grounded claims")).to_have_text("7")
    expect(value("quality-tier", "Tier")).to_have_text("Quarantine candidate")
    for dimension in ("Evidence strength", "Citation grounding", "Uncertainty disclosure", "Reproducibility status"):
        expect(value("quality-dimensions", dimension).locator('.kb-badge[href*="#rating-"]')).to_have_text(
            re.compile("^(LOW|MEDIUM|HIGH)$")
        )
    expect(value("correction-record", "Status")).to_have_text("CURRENT")
    expect(value("correction-record", "Correction count")).to_have_text("0")
    expect(article.locator("#correction-history + p")).to_have_text(
        "No corrections have been recorded in this knowledge base."
    )
    provenance = article.locator("h2#provenance + table.kb-kv tr")
    for heading in (
        "Publisher",
        "Public provenance",
        "Report artifact",
        "External record",
        "Claim lineage",
        "Review method",
        "Quality guide",
        "Provenance contract",
        "Note",
    ):
        cell = provenance.filter(has=page.locator("th", has_text=re.compile(f"^{heading}$"))).locator("td")
        expect(cell).to_have_count(1)
        assert cell.inner_text().strip(), f"provenance row {heading!r} is empty"
    # The header badges: level, tier, correction status, each with text.
    badges = article.locator("p.kb-badges .kb-badge")
    expect(badges).to_have_text([re.compile("^L2"), "Quarantine candidate", "CURRENT"])
    tab.watch.assert_clean()


def test_hub_page(tabs: Callable[[str], Tab], goto: Callable[..., Any]) -> None:
    tab = tabs("light")
    page = tab.page
    goto(page, f"papers/{HUB_ID}/")
    article = page.locator("article.kb-paper")
    expect(article.locator("h2#hub")).to_be_visible()
    # Its own counts, computed from this knowledge base's records, with the denominator shown.
    citing = len(citing_papers(HUB_ID))
    roles = article.locator("h3#citation-roles + *")
    polarity = article.locator("h3#citation-polarity + *")
    if citing:
        expect(roles).to_contain_text(f"of {citing} citing papers")
        expect(polarity).to_contain_text(f"of {citing} citing papers")
        bars = roles.locator(".kb-share-bar")
        assert bars.count() >= 1
        assert "--kb-share" in (bars.first.get_attribute("style") or "")
    else:
        expect(roles).to_contain_text("0 citing papers")
        expect(polarity).to_contain_text("0 citing papers")
    # The figure reported by Pith is labelled with its source, outside the computed section.
    reported = article.locator("section.kb-reported").filter(has=page.locator("h3", has_text="As reported by Pith"))
    expect(reported).to_have_count(1)
    figure = reported.locator("blockquote.kb-reported-figure").filter(
        has_text="75% of citing Pith papers cite this work as background."
    )
    expect(figure).to_have_count(1)
    expect(figure.locator("cite")).to_have_text(re.compile("Pith"))
    hub_text = article.evaluate(
        """article => {
            const parts = [];
            let node = article.querySelector('h2#hub').nextElementSibling;
            while (node && node.tagName !== 'H2') { parts.push(node.textContent); node = node.nextElementSibling; }
            return parts.join(' ');
        }"""
    )
    assert "75%" not in hub_text and "Pith" not in hub_text, "a reported figure leaked into the computed summary"
    tab.watch.assert_clean()


def test_claim_page(tabs: Callable[[str], Tab], goto: Callable[..., Any], page_paths: dict[str, str]) -> None:
    tab = tabs("light")
    page = tab.page
    goto(page, page_paths["claim"])
    expect(page.locator("blockquote.kb-claim-statement")).to_have_text(CLAIM_TEXT)
    row = page.locator("table.kb-claims tbody tr")
    expect(row).to_have_count(1)
    claim_id = page_paths["claim"].strip("/").split("/")[-1]
    assert row.get_attribute("id") == claim_id
    link = page.locator("article a", has_text="in the paper's claim table")
    assert (link.get_attribute("href") or "").endswith(f"papers/{PAPER_ID}/#{claim_id}")
    tab.watch.assert_clean()


def test_listing_pages(tabs: Callable[[str], Tab], goto: Callable[..., Any], page_paths: dict[str, str]) -> None:
    tab = tabs("light")
    page = tab.page
    goto(page, "")
    expect(page.locator(".kb-counts")).to_contain_text("papers")
    expect(page.locator("ul.kb-hubs a").first).to_be_visible()
    goto(page, "syntheses/")
    expect(page.locator("article a[href*='SRCH-7693EED1']")).to_have_count(1)
    goto(page, "taxonomy/")
    expect(page.locator("ul.kb-tree a").first).to_be_visible()
    goto(page, page_paths["category"])
    expect(page.locator("nav.kb-crumbs")).to_contain_text("Taxonomy")
    goto(page, "methodology/")
    definition = page.locator("dt#claim_status-supported .kb-badge")
    expect(definition).to_have_text("supported")
    tab.watch.assert_clean()


def test_papers_table_sorts(tabs: Callable[[str], Tab], goto: Callable[..., Any]) -> None:
    tab = tabs("light")
    page = tab.page
    goto(page, "papers/")
    table = page.locator("table.kb-sortable")
    headers = table.locator("thead th")

    def column(index: int) -> list[str]:
        return [text.strip() for text in table.locator(f"tbody tr td:nth-child({index + 1})").all_inner_texts()]

    def sort_state() -> list[str | None]:
        return [headers.nth(i).get_attribute("aria-sort") for i in range(headers.count())]

    names = [h.strip() for h in headers.all_inner_texts()]
    year = names.index("Year")
    title = names.index("Title")
    ids = column(0)
    assert ids == sorted(ids), "the table is built sorted by arXiv id"
    assert sort_state()[0] == "ascending"

    headers.nth(year).get_by_role("button").click()
    assert sort_state()[year] == "ascending"
    assert [s for i, s in enumerate(sort_state()) if i != year] == [None] * (len(names) - 1)
    years = [int(y) for y in column(year) if y]
    assert years == sorted(years)

    headers.nth(year).get_by_role("button").click()
    assert sort_state()[year] == "descending"
    years = [int(y) for y in column(year) if y]
    assert years == sorted(years, reverse=True)

    # Keyboard: the header is a button, so Enter sorts too.
    headers.nth(title).get_by_role("button").focus()
    page.keyboard.press("Enter")
    assert sort_state()[title] == "ascending"
    titles = column(title)
    assert titles == sorted(titles, key=str.casefold)
    tab.watch.assert_clean()


def test_search_finds_claim_words(tabs: Callable[[str], Tab], goto: Callable[..., Any]) -> None:
    """Material's built-in (lunr) search, served from this site: a claim's words lead to its paper."""
    tab = tabs("light")
    page = tab.page
    goto(page, "")
    search = page.locator("input.md-search__input")
    results = page.locator(".md-search-result__list a.md-search-result__link")
    search.click()
    # A query typed before the search worker has loaded its index is dropped: type again until it answers.
    for _ in range(10):
        search.fill("")
        search.press_sequentially("TopK", delay=20)  # Material searches on key events, not on `fill`
        try:
            expect(results.first).to_be_visible(timeout=2_000)
            break
        except AssertionError:
            continue
    expect(results.first).to_be_visible()
    hrefs = [results.nth(i).get_attribute("href") or "" for i in range(results.count())]
    assert any(f"papers/{PAPER_ID}/" in href for href in hrefs), hrefs
    tab.watch.assert_clean()


def test_citation_copy_button(new_page: Callable[..., Any], goto: Callable[..., Any], site_url: str) -> None:
    page = new_page(color_scheme="light")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site_url.rstrip("/"))
    goto(page, f"papers/{PAPER_ID}/")
    targets = page.locator("[data-kb-cite] .kb-copy-target")
    if targets.count() == 0:
        pytest.skip("this build renders no citation blocks")
    details = page.locator("[data-kb-cite] details").filter(has=page.locator(".kb-copy-target")).first
    details.locator("summary").click()
    # Material's copy button (content.code.copy), the only one: kb.js adds its own only where Material's is absent
    button = details.get_by_role("button", name="Copy to clipboard")
    expect(button).to_have_count(1)
    expect(details.locator(".kb-copy")).to_have_count(0)
    button.click()
    expect(page.locator(".md-dialog")).to_contain_text("Copied to clipboard")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == (targets.first.text_content() or "").rstrip()


def test_claim_page_palette_toggle_switches_and_is_remembered(
    new_page: Callable[..., Any], goto: Callable[..., Any], page_paths: dict[str, str]
) -> None:
    """A claim page follows the reader's dark scheme, its toggle (made by assets/kb-shell.js) switches to
    light, and a themed page opened next keeps that choice."""
    page = new_page(color_scheme="dark")
    goto(page, page_paths["claim"])
    body = page.locator("body")
    expect(body).to_have_attribute("data-md-color-scheme", "slate")
    toggle = page.get_by_title("Switch to light mode")
    expect(toggle).to_be_visible()
    expect(page.locator('form[data-kb-palette] input[name="__palette"]')).to_have_count(2)
    toggle.click()
    expect(body).to_have_attribute("data-md-color-scheme", "default")
    expect(page.get_by_title("Switch to dark mode")).to_be_visible()
    goto(page, page_paths["paper"])
    expect(page.locator("body")).to_have_attribute("data-md-color-scheme", "default")
    goto(page, page_paths["claim"])  # and the claim page reads it back before anything is drawn
    expect(page.locator("body")).to_have_attribute("data-md-color-scheme", "default")


BADGE_ICONS = {
    "claim_status-supported": "✓",
    "claim_status-contradicted": "⊘",
    "evidence_status-has-evidence-row": "¶",
    "source_depth-full-text": "●●●",
    "source_depth-abstract": "●●○",
    "taxonomy_fit-in-scope": "◉",
    "audit_status-pass": "✔",
    "rating-high": "▂▄▆",
    "role-background": "❝",
}
BADGE_LOOK = """badges => badges.map(badge => {
  const style = getComputedStyle(badge), icon = getComputedStyle(badge, "::before").content;
  return [badge.getAttribute("href").split("#")[1], icon, style.backgroundColor, style.borderRadius];
})"""


@pytest.mark.parametrize("kind", ["methodology", "paper", "claim", "explorer"])
def test_badges_take_their_look_from_the_definition_they_link(
    kind: str, tabs: Callable[[str], Tab], goto: Callable[..., Any], page_paths: dict[str, str]
) -> None:
    """A badge carries no class naming its vocabulary or value: kb.css reads both from its link to the
    definition (`methodology/#claim_status-supported`), from any page depth, in the explorer's too."""
    tab = tabs("light")
    page = tab.page
    goto(page, page_paths[kind])
    page.locator(".kb-badge").first.wait_for()
    looks = {
        href: (icon, background, radius)
        for href, icon, background, radius in page.locator(".kb-badge").evaluate_all(BADGE_LOOK)
    }
    shown = {href: looks[href][0] for href in BADGE_ICONS if href in looks}
    assert shown and shown == {href: f'"{BADGE_ICONS[href]}" / ""' for href in shown}, looks  # icon / alt text
    if kind == "methodology":  # every value is shown there: tones and shapes differ with the value
        assert BADGE_ICONS.keys() <= looks.keys()
        assert looks["claim_status-supported"][1] != looks["claim_status-contradicted"][1]
        assert looks["claim_status-supported"][2] != looks["evidence_status-has-evidence-row"][2]
    tab.watch.assert_clean()


@pytest.mark.parametrize("width", [1280, 390])
def test_icons_drawn_once_show_at_the_themes_size(
    width: int, new_page: Callable[..., Any], goto: Callable[..., Any]
) -> None:
    """The logo, repository and search icons are each drawn once a page and shown by reference (<use>), at the
    size Material gives each (24 px in the header, 48 px for the drawer's logo), not a bare SVG's 300 x 150."""
    page = new_page(viewport={"width": width, "height": 800}, color_scheme="light")
    goto(page, f"papers/{PAPER_ID}/")
    for name in ("logo", "repo", "search"):
        expect(page.locator(f"symbol#kb-icon-{name}")).to_have_count(1)
    sizes = page.locator("svg:has(> use)").evaluate_all(
        "svgs => svgs.map(svg => svg.closest('[class]').className.split(' ')[0] + ' ' + "
        "Math.round(svg.getBoundingClientRect().width) + 'x' + Math.round(svg.getBoundingClientRect().height))"
    )
    shown = sorted(size for size in sizes if not size.endswith(" 0x0"))  # the rest the theme hides at this width
    if width > 1220:  # the header's logo, the search box's icon and the repository icon
        assert shown == ["md-header__button 24x24", "md-search__icon 24x24", "md-source__icon 24x24"]
    else:  # the search button, and the logo and repository icon in the navigation drawer
        assert shown == ["md-header__button 24x24", "md-nav__button 48x48", "md-source__icon 24x24"]


def test_claim_table_is_responsive(new_page: Callable[..., Any], goto: Callable[..., Any]) -> None:
    """On a phone-sized screen each claim becomes a labelled card and nothing scrolls sideways."""
    page = new_page(viewport={"width": 390, "height": 844}, color_scheme="light")
    goto(page, f"papers/{PAPER_ID}/")
    cell = page.locator("table.kb-claims tbody td[data-label=Status]").first
    label = cell.evaluate("td => getComputedStyle(td, '::before').content")
    assert label.strip('"') == "Status"
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth + 1")
    page.screenshot(path=str(screenshot_path("paper-narrow")), full_page=True, animations="disabled")


def test_print_stylesheet(page: Any, goto: Callable[..., Any], watch: Watch) -> None:
    goto(page, "claims/")
    page.emulate_media(media="print")

    def style(selector: str, prop: str) -> str:
        return page.eval_on_selector(selector, f"(el) => getComputedStyle(el).{prop}")

    assert style(".md-header", "display") == "none"
    assert style(".md-footer", "display") == "none"
    assert style(".md-tabs", "display") == "none"
    assert style(".kb-explorer-table .kb-table-wrap", "overflowX") == "visible"
    assert style(".kb-explorer-table table.kb-claims", "display") == "table"
    assert style(".kb-explorer-table table.kb-claims tbody tr", "breakInside") == "avoid"
    link = page.locator(".kb-explorer-table td[data-label=Paper] a").first
    after = link.evaluate("a => getComputedStyle(a, '::after').content")
    assert "http://" in after or "https://" in after, after
    pdf = page.pdf(format="A4")
    assert pdf[:4] == b"%PDF"
    watch.assert_clean()
