"""The frozen fixture corpus holds what golden and count tests rely on, and `needs_path` fails in CI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from generator.pipeline.build import build_site
from tests.conftest import FIXTURE_CORPUS, REPO, Counts, corpus_counts


def test_fixture_corpus_has_a_hub_a_tree_a_redirect_and_a_tombstone(fixture_project: Path) -> None:
    site, output = build_site(fixture_project)
    assert {p.code for p in site.problems} <= {"config-placeholder"}, site.problems.report()
    assert (len(site.papers), len(site.corpus.claims), len(site.corpus.syntheses)) == (5, 8, 1)
    assert corpus_counts(FIXTURE_CORPUS) == Counts(papers=5, syntheses=1, claims=8)
    assert "2401.00001" in site.hubs
    assert sorted(site.descendants("fixture-moe")) == [
        "fixture-moe",
        "fixture-routing",
        "fixture-top-k",
        "fixture-training",
    ]
    redirect = next(f for f in output.files if f.path == "papers/2402.09999/index.html")
    assert b'content="2402.00003"' in redirect.content


TEST_NEEDING_A_FILE = """
from pathlib import Path
from tests.conftest import needs_path

@needs_path(Path("/nonexistent/shared/real"), "real samples")
def test_reads_real_samples():
    pass
"""


@pytest.mark.parametrize(("ci", "outcome"), [("true", "1 error"), ("", "1 skipped")])
def test_a_test_needing_missing_files_fails_in_ci_and_skips_elsewhere(tmp_path: Path, ci: str, outcome: str) -> None:
    (tmp_path / "test_needs.py").write_text(TEST_NEEDING_A_FILE, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "tests.conftest", str(tmp_path)],
        cwd=REPO, capture_output=True, text=True, env={**os.environ, "CI": ci}, timeout=120, check=False,
    )  # fmt: skip
    assert outcome in result.stdout, result.stdout
    assert (result.returncode != 0) == bool(ci)
    if ci:
        assert "real samples not found at /nonexistent/shared/real; CI must provide it" in result.stdout
