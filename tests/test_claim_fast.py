"""Claim pages are made in Python (publish/claim_fragments.py) while the templates it stands in for are the
bundled ones: every written page and JSON twin must be, byte for byte, what the templates make; an override
of any of those templates is rendered by Jinja."""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path
from typing import Any

import pytest

from generator.commands.synth import synthesize
from generator.model.records import Audit, Claim, TaxonomyFit
from generator.model.site import Site
from generator.pipeline.build import collect
from generator.pipeline.render import Renderer
from generator.publish import cite, claim_fragments, claim_pages
from tests.conftest import FIXTURE_CORPUS, REPO, copy_project
from tests.helpers import write_override
from tests.test_cite import archive_release
from tests.test_exports import add_fixture_records

SETTINGS = {
    "as configured": {},
    "no site_url, repo or edit_uri": {"site_url": "", "repo_url": "", "edit_uri": ""},
    "an archived release": {"release": "2026.1", "archived_releases": ("2026.1",)},
    "a site name holding the stand-in claim id": {"site_name": f"KB {claim_fragments.ID_STAND_INS[0]}"},
}
"""What changes a claim page besides its claim: the canonical and living URLs, the edit and report links,
and the version-pinned copy a citation names once its release is archived; and a citation whose text a
claim's id cannot be filled into (claim_fragments.by_claim_id), made for each claim."""


def cited(site: Site, **settings: object) -> Site:
    site = dataclasses.replace(site, settings=dataclasses.replace(site.settings, **settings))
    return dataclasses.replace(site, citations=cite.attach_citations(site))


def pages(site: Site, claims: list[Claim] | None = None, templates: bool = False) -> list[tuple[str, bytes, bytes]]:
    """(URL, HTML, JSON twin) of each claim page, as the writer writes them; with `templates`, through Jinja."""
    renderer = Renderer(site)
    theme = claim_pages.ShellTheme(site.settings.site_name, stylesheets=("assets/kb.css",))
    writer = claim_pages.ClaimPageWriter(renderer, site.root / "unused", theme, [])
    if templates:
        writer.page = functools.partial(claim_pages.templated_page, renderer)
    return [writer.html(claim) for claim in (renderer.all_claims() if claims is None else claims)]


def assert_same_pages(site: Site, claims: list[Claim] | None = None) -> None:
    assert claim_fragments.bundled(Renderer(site).env), "the Python pages are the ones written"
    fast, template = pages(site, claims), pages(site, claims, templates=True)
    assert len(fast) == len(template) > 0
    for made, expected in zip(fast, template, strict=True):
        assert made == expected, made[0]


@pytest.fixture(scope="module")
def corpora(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Site]:
    """The fixture corpus, the bundled one, the bundled one with hostile records, and a synthetic one."""
    root = tmp_path_factory.mktemp("claim-fast")
    hostile = archive_release(add_fixture_records(copy_project(root / "hostile"), release="2026.1"), "2026.1")
    synthesize(REPO, root / "synth", papers=40, claims=400, seed=3)
    roots = {"fixture": copy_project(root / "fixture", FIXTURE_CORPUS), "bundled": REPO, "hostile": hostile}
    return {name: collect(path) for name, path in {**roots, "synth": root / "synth"}.items()}


@pytest.mark.parametrize("settings", SETTINGS)
@pytest.mark.parametrize("corpus", ["fixture", "bundled", "hostile", "synth"])
def test_claim_pages_made_in_python_are_the_templates_pages(
    corpora: dict[str, Site], corpus: str, settings: str
) -> None:
    assert_same_pages(cited(corpora[corpus], **SETTINGS[settings]))


HOSTILE_TEXT = "R&D <b>bold</b> \"quoted\" 'single' {{ x }} 100% \u200binvisible\u202e reversed"


HOSTILE_CELLS = {
    "claim": HOSTILE_TEXT,
    "source_quote": HOSTILE_TEXT,
    "page_or_section": HOSTILE_TEXT,
    "taxonomy_fit": TaxonomyFit("in-scope", HOSTILE_TEXT),
    "ledger": f"ledgers/{HOSTILE_TEXT}.csv",
    "audit": Audit("pass", (HOSTILE_TEXT, "plain"), ((HOSTILE_TEXT, HOSTILE_TEXT), ("k", "v"))),
}
EMPTY_CELLS = {
    "source_quote": "",
    "page_or_section": "",
    "taxonomy_fit": TaxonomyFit("borderline", ""),
    "audit": Audit("pending", (), ()),
}


def test_claim_pages_made_in_python_escape_and_mark_text_as_the_templates_do(corpora: dict[str, Site]) -> None:
    """Every cell a ledger fills, with markup, quotes and invisible characters; empty where it may be; and a
    claim about a paper the corpus does not hold."""
    site = cited(corpora["fixture"])
    claims = Renderer(site).all_claims()
    hostile = [dataclasses.replace(claim, **HOSTILE_CELLS) for claim in claims]
    empty = [dataclasses.replace(claim, **EMPTY_CELLS) for claim in claims]
    unknown = [dataclasses.replace(claim, paper_id="2999.99999v3") for claim in claims]
    assert_same_pages(site, hostile + empty + unknown)


# A change to each template that shows on every claim page of the fixture corpus.
OVERRIDES = {
    "kb/claim.html": ("Recorded in", "Overridden: recorded in"),
    "kb/partials/macros.html": ('class="kb-quote"', 'class="kb-quote kb-overridden"'),
    "kb/partials/cite.html": ("Cite this page</h2>", "Cite this overridden page</h2>"),
    "kb/partials/head.html": ('type="application/ld+json"', 'type="application/ld+json" data-overridden'),
}


@pytest.mark.parametrize("template", claim_fragments.TEMPLATES)
def test_an_overridden_claim_template_is_rendered_by_jinja(tmp_path: Path, template: str) -> None:
    assert set(OVERRIDES) == set(claim_fragments.TEMPLATES)
    project = copy_project(tmp_path / "project", FIXTURE_CORPUS)
    bundled, changed = OVERRIDES[template]
    write_override(project, template, (bundled, changed))
    site = cited(collect(project))
    assert not claim_fragments.bundled(Renderer(site).env)
    written = pages(site)
    assert written and all(changed.encode() in html for _, html, _ in written)


def test_claim_pages_made_in_python_without_citations_are_the_templates_pages(corpora: dict[str, Site]) -> None:
    """A site before its citations stage: the page names its permanent URL instead."""
    assert_same_pages(dataclasses.replace(corpora["fixture"], citations={}))


def test_the_claims_of_a_paper_are_cited_from_one_citation(
    corpora: dict[str, Site], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A claim citation is made for the two stand-in ids of each paper version, not for each claim."""
    site = cited(corpora["synth"])
    made: list[str] = []
    make_citation = cite.make_citation

    def counted(*args: Any, **fields: Any) -> cite.PageCitation:
        made.append(fields["identifier"])
        return make_citation(*args, **fields)

    monkeypatch.setattr(cite, "make_citation", counted)
    claims = Renderer(site).all_claims()
    assert len(pages(site)) == len(claims)
    versions = {claim.paper_id for claim in claims}
    assert sorted(made) == sorted(claim_fragments.ID_STAND_INS * len(versions))
    assert len(made) < len(claims)
