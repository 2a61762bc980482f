"""Shared fixtures: the real repository, and disposable copies of it on disk."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PROJECT_PARTS = ("records", "ledgers", "content", "overrides", "mkdocs.yml", "urls.lock", "schema", "CONTRIBUTING.md")


def copy_project(target: Path) -> Path:
    """A working copy of the bundled project (data, content, config) that a test may change."""
    target.mkdir(parents=True, exist_ok=True)
    for part in PROJECT_PARTS:
        source = REPO / part
        if source.is_dir():
            shutil.copytree(source, target / part)
        elif source.exists():
            shutil.copy2(source, target / part)
    (target / "generator").mkdir(exist_ok=True)
    shutil.copy2(REPO / "generator" / "mkdocs_hooks.py", target / "generator" / "mkdocs_hooks.py")
    return target


@pytest.fixture
def repo_root() -> Path:
    return REPO


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_project(tmp_path / "project")
