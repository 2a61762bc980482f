"""The home page lists the most cited hubs, not all of them: it stays small at any corpus size."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator import mkdocs_hooks
from generator.mkdocs_hooks import home_variables, most_cited_hubs
from generator.pipeline.build import collect


def test_canonical_references_stay_listed_past_the_limit(project: Path) -> None:
    site = collect(project)
    canonical = sorted(pid for pid in site.hubs if pid in site.papers and site.papers[pid].record.canonical)
    assert canonical == ["1701.06538"]
    assert most_cited_hubs(site, 0) == canonical


def test_hubs_past_the_limit_are_counted_and_pointed_to(fixture_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = collect(fixture_project)
    assert len(site.hubs) == 1
    assert "more work" not in home_variables(site)["hubs_html"]
    monkeypatch.setattr(mkdocs_hooks, "HOME_HUBS", 0)
    html = home_variables(site)["hubs_html"]
    assert "1 more work has hub sections" in html
    assert '<a href="papers/">papers index</a> marks every hub' in html
