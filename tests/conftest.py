"""Shared fixtures: the real repository, the frozen fixture corpus, and disposable copies of both on disk."""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from generator.commands.synth import copy_parts, copy_site_config

REPO = Path(__file__).resolve().parents[1]
FIXTURE_CORPUS = Path(__file__).parent / "fixtures" / "corpus"

# mkdocs.yml reads site_url and repo_url from these, as the deploy workflow sets them from
# GITHUB_REPOSITORY; its example-org defaults are placeholders that `kb build --strict` refuses.
TEST_SITE_URL = "https://kb-tests.github.io/evidence-ledger/"
TEST_REPO_URL = "https://github.com/kb-tests/evidence-ledger"
os.environ.setdefault("KB_SITE_URL", TEST_SITE_URL)
os.environ.setdefault("KB_REPO_URL", TEST_REPO_URL)
DATA_PARTS = ("records", "ledgers", "urls.lock", "schema")


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def copy_project(target: Path, data: Path = REPO) -> Path:
    """A working copy that a test may change: the repository's site configuration with the data of `data`
    (the bundled corpus by default, or the frozen fixture corpus)."""
    copy_site_config(REPO, target)
    copy_parts(data, target, DATA_PARTS)
    return target


@dataclass(frozen=True)
class Counts:
    papers: int
    syntheses: int
    claims: int


def corpus_counts(root: Path = REPO) -> Counts:
    """What a corpus holds, counted from its files without the generator, so count tests follow the
    bundled corpus as it grows instead of hard-coding today's numbers."""
    claims = 0
    for ledger in (root / "ledgers").glob("*.csv"):
        with ledger.open(encoding="utf-8-sig", newline="") as handle:
            claims += sum(1 for row in csv.DictReader(handle) if any(cell.strip() for cell in row.values() if cell))
    return Counts(
        papers=len(list((root / "records" / "papers").rglob("*.yaml"))),
        syntheses=len(list((root / "records" / "syntheses").rglob("*.yaml"))),
        claims=claims,
    )


def needs_path(path: Path, what: str) -> pytest.MarkDecorator:
    """Mark a test that reads `path`: skipped where it is missing, but a failure in CI (CI=true),
    where a silently skipped test would hide that the suite did not run."""
    return pytest.mark.needs_path(path=path, what=what)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "needs_path(path, what): the test reads files outside the repository")


def pytest_runtest_setup(item: pytest.Item) -> None:
    for marker in item.iter_markers("needs_path"):
        path: Path = marker.kwargs["path"]
        if not path.exists():
            message = f"{marker.kwargs['what']} not found at {path}"
            if in_ci():
                pytest.fail(f"{message}; CI must provide it", pytrace=False)
            pytest.skip(message)


@pytest.fixture
def repo_root() -> Path:
    return REPO


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A disposable copy of the bundled project."""
    return copy_project(tmp_path / "project")


@pytest.fixture
def fixture_project(tmp_path: Path) -> Path:
    """A disposable copy of the frozen fixture corpus (tests/fixtures/corpus) with the site configuration."""
    return copy_project(tmp_path / "fixture", FIXTURE_CORPUS)


@pytest.fixture(scope="session")
def bundled_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled corpus built once per test session by the real `kb build`, for tests that only read the site."""
    from tests.helpers import kb  # helpers imports this module: import it when the fixture runs

    out = tmp_path_factory.mktemp("bundled-site")
    result = kb(REPO, "build", "--site-dir", str(out))
    assert result.returncode == 0, result.stderr
    claims = corpus_counts().claims
    assert f"{claims} ledger rows ({claims} valid claims)" in result.stderr
    return out
