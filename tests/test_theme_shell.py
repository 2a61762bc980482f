"""`kb build` themes each kind of generated page once and writes claim pages from the citations stage on.

Generated pages outside the nav are filled into a Material page rendered once per kind, section, depth and
shape (mkdocs_hooks.py), and the claim pages are written beside the site by a forked helper while the
pipeline renders. Readers must get the same site as when Material themes every page and the claim pages are
written after MkDocs' own pages: the same files, byte for byte.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from generator import mkdocs_hooks
from generator.commands.build import mkdocs_build
from generator.publish import claim_pages
from tests.conftest import FIXTURE_CORPUS, copy_project
from tests.helpers import forget_builds


def _files(root: Path) -> dict[str, bytes]:
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in root.rglob("*") if path.is_file()}


def _every_page_in_nav(nav: Any, config: Any, files: Any) -> Any:
    """Material themes every page on its own, as it does for the pages of the nav."""
    return nav


def test_kb_build_writes_the_site_material_writes_page_by_page(
    fixture_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(claim_pages, "PARALLEL_FROM", 1)  # the fixture has a few claims, not thousands
    monkeypatch.setattr(claim_pages, "CHUNK", 2)  # so the early helper and this process share them
    out = tmp_path / "out"
    forget_builds(monkeypatch)
    assert mkdocs_build(fixture_project, strict=False, site_dir=str(out / "shelled")) == 0
    shells = len(mkdocs_hooks._state.shells)
    assert sorted(path.name for path in out.iterdir()) == ["shelled"], "no claim pages are left beside it"

    forget_builds(monkeypatch)
    monkeypatch.setattr(mkdocs_hooks, "on_nav", _every_page_in_nav)
    monkeypatch.setattr(claim_pages, "start_early", lambda *args: None)  # written after MkDocs' pages
    twin = copy_project(tmp_path / "twin", FIXTURE_CORPUS)  # MkDocs loads the hooks of a path only once
    assert mkdocs_build(twin, strict=False, site_dir=str(out / "one-by-one")) == 0
    assert mkdocs_hooks._state.shells == {}

    shelled, one_by_one = _files(out / "shelled"), _files(out / "one-by-one")
    assert sorted(shelled) == sorted(one_by_one)
    assert [name for name in shelled if shelled[name] != one_by_one[name]] == []
    papers = [name for name in shelled if name.startswith("papers/") and name.endswith("/index.html")]
    assert 0 < shells < len(papers), "paper pages share their Material page"
    claims = [name for name in shelled if name.startswith("claims/c-") and name.endswith("/index.html")]
    assert claims, "the claim pages written early were moved into the site"


def test_a_theme_that_leaves_out_the_page_content_stops_the_build(
    fixture_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A shelled page would otherwise lose its body silently."""
    (fixture_project / "overrides" / "main.html").write_text(
        '{% extends "base.html" %}{% block extrahead %}{% if page %}{{ page.meta.kb_head }}{% endif %}{% endblock %}'
        "{% block content %}{% endblock %}"
    )
    monkeypatch.setattr(claim_pages, "PARALLEL_FROM", 1)
    forget_builds(monkeypatch)
    out = tmp_path / "out"
    assert mkdocs_build(fixture_project, strict=False, site_dir=str(out / "site")) != 0
    assert "the theme did not print the generated HTML (page.content)" in capsys.readouterr().err
    assert sorted(path.name for path in out.iterdir()) == ["site"], "the claim pages begun are removed"


def test_a_rebuild_replaces_the_last_site_and_keeps_its_hidden_entries(
    fixture_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The last site is moved aside and removed by another process; MkDocs too keeps hidden entries (.git)."""
    out = tmp_path / "out"
    forget_builds(monkeypatch)
    assert mkdocs_build(fixture_project, strict=False, site_dir=str(out / "site")) == 0
    first = _files(out / "site")
    (out / "site" / ".git").mkdir()
    (out / "site" / ".git" / "HEAD").write_text("ref: refs/heads/gh-pages")
    (out / "site" / "gone").mkdir()
    (out / "site" / "gone" / "index.html").write_text("a page the next build does not make")
    (out / ".site-last-killed").mkdir()  # left by a build that was killed

    forget_builds(monkeypatch)
    assert mkdocs_build(fixture_project, strict=False, site_dir=str(out / "site")) == 0

    assert _files(out / "site") == {**first, ".git/HEAD": b"ref: refs/heads/gh-pages"}
    assert sorted(path.name for path in out.iterdir()) == ["site"]
