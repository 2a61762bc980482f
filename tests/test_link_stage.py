"""The link stage on its own: validate -> link over the frozen fixture corpus, nothing rendered.

The fixture corpus (tests/fixtures/corpus/README.md) has a hub cited by three papers,
a three-level category tree, a renamed paper and a withdrawn one; these tests assert
the graph that every later stage reads, straight from `link()`.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from generator.model.site import Settings, Site
from generator.pipeline.link import apply_bibliography, link
from generator.pipeline.validate import validate_corpus
from generator.problems import Problems


@pytest.fixture
def linked(fixture_project: Path) -> tuple[Site, Problems]:
    problems = Problems()
    corpus = apply_bibliography(fixture_project, validate_corpus(fixture_project, problems), problems)
    return link(fixture_project, Settings(hub_threshold=3), corpus, problems), problems


def test_fixture_corpus_links_without_errors(linked: tuple[Site, Problems]) -> None:
    _, problems = linked
    assert problems.error_count == 0, problems.report("text")


def test_the_hub_is_cited_by_three_corpus_papers_with_roles(linked: tuple[Site, Problems]) -> None:
    site, _ = linked
    citing = sorted(edge.citing for edge in site.cited_by["2401.00001"])
    assert citing == ["2401.00002", "2402.00003", "2403.00004"]
    assert "2401.00001" in site.hubs
    roles = {share.label: share.count for share in site.role_summary("2401.00001") if share.count}
    assert roles == {"method-basis": 1, "comparison": 1, "background": 1}
    assert all(share.total == 3 for share in site.role_summary("2401.00001"))


def test_claims_attach_to_their_papers_by_versionless_id(linked: tuple[Site, Problems]) -> None:
    site, _ = linked
    counts = {paper: len(claims) for paper, claims in site.claims_by_paper.items() if claims}
    assert counts == {"2401.00001": 3, "2401.00002": 2, "2402.00003": 2, "2404.00005": 1}


def test_the_category_tree_and_its_subtrees(linked: tuple[Site, Problems]) -> None:
    site, _ = linked
    assert site.children[None] == ("fixture-moe",)
    assert set(site.children["fixture-moe"]) == {"fixture-routing", "fixture-training"}
    assert site.children["fixture-routing"] == ("fixture-top-k",)
    assert set(site.descendants("fixture-routing")) == {"fixture-routing", "fixture-top-k"}
    assert "2401.00002" in site.papers_by_category["fixture-routing"]


def test_the_old_id_of_a_renamed_paper_points_at_the_new_record(linked: tuple[Site, Problems]) -> None:
    site, _ = linked
    assert site.aliases.get("2402.09999") == "2402.00003"


def test_the_linked_site_cannot_be_changed(linked: tuple[Site, Problems]) -> None:
    site, _ = linked
    with pytest.raises(dataclasses.FrozenInstanceError):
        site.hubs = frozenset()  # type: ignore[misc]
    with pytest.raises(TypeError):
        site.cited_by["2401.00001"] = ()  # type: ignore[index]
