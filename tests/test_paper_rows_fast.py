"""The claim rows of paper pages (`claims_table`) and of the claim listing pages (`claim_list`) are made in
Python (render.py ClaimRows) while the templates they stand in for are the bundled ones: every page must be,
byte for byte, what the templates' macros make; an override of any of those templates is rendered by Jinja."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from generator import urls
from generator.commands.synth import synthesize
from generator.model.records import Audit, Claim, TaxonomyFit
from generator.model.site import Index, Site
from generator.pipeline import listings
from generator.pipeline.build import collect
from generator.pipeline.cache import RenderCache
from generator.pipeline.render import ClaimRows, Renderer
from tests.conftest import FIXTURE_CORPUS, REPO, copy_project
from tests.helpers import write_override
from tests.test_exports import add_fixture_records

SEEDS = (3, 11)
KINDS = (ClaimRows.TABLE, ClaimRows.LISTING)


def rows_of(renderer: Renderer) -> ClaimRows:
    rows = renderer.env.globals["claim_rows"]
    assert isinstance(rows, ClaimRows)
    return rows


def pages(site: Site, claims: list[Claim] | None = None, templates: bool = False) -> list[tuple[str, str]]:
    """(URL, HTML) of every paper page and claim listing page; with `templates`, their rows made by the macros."""
    renderer = Renderer(site)
    rows = rows_of(renderer)
    if templates:
        rows.bundled.update(dict.fromkeys(KINDS, False))  # what an override makes it find
    made = [renderer.paper_page(pid) for pid in sorted(site.papers)]
    made += renderer.claim_listing_pages(renderer.all_claims() if claims is None else claims)
    past_the_end = listings.Pager("claims/", 999, 2)  # a retired listing page: no claims, an empty table
    made.append(renderer.page("claims_page.html", past_the_end.url(999), "explorer", "t", "d", claims=[], total=1,
                              pager=past_the_end))  # fmt: skip
    assert bool(rows.badges) == any(rows.stands_in(kind) for kind in KINDS), "Python made rows only if it may"
    return [(page.url, page.html) for page in made]


def assert_same_pages(site: Site, claims: list[Claim] | None = None) -> None:
    assert all(rows_of(Renderer(site)).stands_in(kind) for kind in KINDS), "the Python rows are the ones shown"
    fast, template = pages(site, claims), pages(site, claims, templates=True)
    assert len(fast) == len(template)
    assert sum('<table class="kb-claims">' in html for _, html in fast) > 0, "some paper page has a claim table"
    assert sum("kb-claim-list" in html for _, html in fast) > 1, "some listing page lists claims"
    for made, expected in zip(fast, template, strict=True):
        assert made == expected, made[0]


@pytest.fixture(scope="module")
def corpora(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Site]:
    """The fixture corpus, the bundled one, the bundled one with a hostile (and retracted) paper, and synthetic
    ones (withdrawn papers, Unicode, quotes long enough to be cut)."""
    root = tmp_path_factory.mktemp("paper-rows")
    roots = {
        "fixture": copy_project(root / "fixture", FIXTURE_CORPUS),
        "bundled": REPO,
        "hostile": add_fixture_records(copy_project(root / "hostile")),
    }
    for seed in SEEDS:
        roots[f"synth-{seed}"] = root / f"synth-{seed}"
        synthesize(REPO, roots[f"synth-{seed}"], papers=40, claims=400, seed=seed)
    return {name: collect(path) for name, path in roots.items()}


@pytest.mark.parametrize("corpus", ["synth-3", "synth-11"])
def test_rows_made_in_python_are_the_macros_rows(corpora: dict[str, Site], corpus: str) -> None:
    site = corpora[corpus]
    assert any(len(claim.source_quote) > 400 for claim in Renderer(site).all_claims()), "a quote is cut"
    assert any(loaded.record.status == "withdrawn" for loaded in site.papers.values())
    assert_same_pages(site)


HOSTILE = (
    "<script>alert('x')</script> {{ 7*7 }} {% if true %}x{% endif %} {# note #} **bold** _em_ [a](javascript:x)\n"
    "# heading `code` & &amp; < > \"double\" 'single' café 中文 🙂 \u200binvisible\u202e reversed\u00ad"
)
VARIANTS: dict[str, dict[str, Any]] = {
    "hostile": {
        "claim": HOSTILE,
        "source_quote": HOSTILE,
        "page_or_section": HOSTILE,
        "taxonomy_fit": TaxonomyFit("in-scope", HOSTILE),
        "audit": Audit("pass", (HOSTILE, "plain"), ((HOSTILE, HOSTILE), ("k", "v"))),
    },
    "long hostile quote": {"source_quote": " ".join([HOSTILE] * 12)},
    "400 characters: shown whole": {"source_quote": "word " * 79 + "last!"},
    "401 characters: cut": {"source_quote": "word " * 80 + "x"},
    "long, no space to cut at": {"source_quote": "<&>" * 200},
    "empty": {
        "source_quote": "",
        "page_or_section": "",
        "taxonomy_fit": TaxonomyFit("borderline", ""),
        "audit": Audit("pending", (), ()),
    },
}


def test_rows_made_in_python_escape_and_mark_text_as_the_macros_do(corpora: dict[str, Site]) -> None:
    """Every cell a ledger fills, with markup, template syntax, Markdown and invisible characters; quotes around
    the length where a listing cuts them, or none; claims read from no version; retracted papers; and in the
    listing, claims about a paper the corpus does not hold."""
    site = corpora["hostile"]
    assert site.retracted_papers, "the hostile corpus records a retraction"
    assert len(VARIANTS["400 characters: shown whole"]["source_quote"]) == 400  # LISTING_QUOTE + 100

    def variants(claim: Claim) -> list[Claim]:
        made = [dataclasses.replace(claim, **cells) for cells in VARIANTS.values()]
        return [*made, dataclasses.replace(claim, paper_id=claim.paper_base)]  # no version read

    by_paper = Index(
        {pid: [c for claim in claims for c in variants(claim)] for pid, claims in site.claims_by_paper.items()}
    )
    site = dataclasses.replace(
        site, claims_by_paper=by_paper, retracted_papers=site.retracted_papers | set(sorted(site.papers)[::2])
    )
    listed = [claim for claims in by_paper.values() for claim in claims]
    listed += [dataclasses.replace(claim, paper_id="2999.99999v3") for claim in listed[:150]]
    assert_same_pages(site, listed)
    html = dict(pages(site, listed))
    hostile_page = next(page for url, page in html.items() if url.startswith("papers/") and "{{ 7*7 }}" in page)
    assert "<script>alert('x')" not in hostile_page and "&lt;script&gt;alert(&#39;x&#39;)" in hostile_page
    assert "{% if true %}" in hostile_page and "**bold**" in hostile_page, "template and Markdown syntax stay text"


def test_fixture_and_bundled_corpora(corpora: dict[str, Site]) -> None:
    """Small corpora list their claims on no listing page: their claims are listed as one here."""
    for name in ("fixture", "bundled"):
        site = corpora[name]
        claims = Renderer(site).all_claims()
        assert_same_pages(site, claims * (listings.PAGE_SIZE * 2 // len(claims) + 1))


def test_rows_made_in_python_record_the_lookups_the_macros_make(corpora: dict[str, Site]) -> None:
    """`kb serve` makes a page again when a lookup it made (a quote check, a paper's title) answers otherwise:
    the Python rows must make the same lookups, page by page, or an edit would leave a page stale."""

    def lookups(site: Site, templates: bool) -> dict[str, frozenset[Any]]:
        cache = RenderCache()
        renderer = cache.renderer(site)
        if templates:
            rows_of(renderer).bundled.update(dict.fromkeys(KINDS, False))
        for pid in sorted(site.papers):
            renderer.paper_page(pid)
        claims = renderer.all_claims()
        renderer.claim_listing_pages([*claims, *claims] * (listings.PAGE_SIZE // len(claims) + 1))
        return {url: entry.reads for url, entry in cache.entries.items()}

    site = corpora["hostile"]
    made, expected = lookups(site, templates=False), lookups(site, templates=True)
    assert any(url.startswith("claims/page/") for url in made) and made == expected


# A change to each template that shows wherever it makes claim rows, or on every page it makes.
OVERRIDES = {
    "kb/paper.html": ("recorded in the ledgers.", "recorded in the overridden ledgers."),
    "kb/claims_page.html": ("in ledger order.", "in overridden ledger order."),
    "kb/partials/macros.html": ('class="kb-claim-text">', 'class="kb-claim-text kb-overridden">'),
}


@pytest.mark.parametrize("template", sorted(OVERRIDES))
def test_an_overridden_template_makes_the_rows_through_jinja(tmp_path: Path, template: str) -> None:
    assert set(OVERRIDES) == {name for kind in KINDS for name in kind}
    project = tmp_path / "project"
    synthesize(REPO, project, papers=40, claims=400, seed=5)
    bundled, changed = OVERRIDES[template]
    write_override(project, template, (bundled, changed))
    site = collect(project)
    rows = rows_of(Renderer(site))
    assert {kind: rows.stands_in(kind) for kind in KINDS} == {kind: template not in kind for kind in KINDS}
    made = pages(site)
    assert made == pages(site, templates=True), "the rows are the overriding templates' own"
    html = dict(made)
    tables = [html[urls.paper_url(pid)] for pid in site.papers if site.claims_by_paper.get(pid)]
    listed = [page for url, page in made if url.startswith("claims/page/") and '<tr id="c-' in page]
    assert tables and listed
    if template == "kb/partials/macros.html":
        assert all(page.count("kb-overridden") == page.count('<tr id="c-') for page in tables + listed)
    else:
        assert all(changed in page for page in (tables if template == "kb/paper.html" else listed))
