"""`kb synth`: a synthetic corpus that validates strictly, builds, and is the same for the same seed."""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from generator.commands.synth import synthesize
from tests.conftest import REPO
from tests.helpers import kb

PAPERS, CLAIMS = 40, 300


def files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def ledger_rows(root: Path) -> list[dict[str, str]]:
    rows = []
    for path in sorted((root / "ledgers").glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            rows += list(csv.DictReader(handle))
    return rows


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("synth") / "kb"
    result = kb(REPO, "synth", "--papers", str(PAPERS), "--claims", str(CLAIMS), "--seed", "7", "--out", str(root))
    assert result.returncode == 0, result.stderr
    assert f"{PAPERS:,} papers, {CLAIMS:,} claims" in result.stderr
    return root


def test_synthetic_corpus_validates_strictly_and_builds(corpus: Path) -> None:
    validate = kb(corpus, "validate", "--strict")
    assert validate.returncode == 0, validate.stderr
    build = kb(corpus, "build", "--strict")
    assert build.returncode == 0, build.stderr
    for stage in ("validate", "render", "mkdocs build"):  # not a terminal: one plain line per stage, with its time
        assert re.search(rf"^kb: {stage}: \d+\.\d s, peak memory [\d,]+ MB$", build.stderr, re.MULTILINE), build.stderr
    site = corpus / "site"
    locked = [line for line in (corpus / "urls.lock").read_text(encoding="utf-8").splitlines() if "#" not in line]
    for url in locked:  # every locked page exists: live pages, alias redirects, claim tombstones
        assert (site / url / "index.html").is_file(), url
    redirects = [u for u in locked if "kb-redirect" in (site / u / "index.html").read_text(encoding="utf-8")]
    tombstones = [u for u in locked if "kb-tombstone" in (site / u / "index.html").read_text(encoding="utf-8")]
    assert redirects and tombstones
    banners = [u for u in locked if "Withdrawn record" in (site / u / "index.html").read_text(encoding="utf-8")]
    assert banners, "withdrawn papers keep their page, with a tombstone banner"


def test_python_m_mkdocs_inside_the_knowledge_base_builds_every_paper_page(corpus: Path, tmp_path: Path) -> None:
    """`python -m mkdocs build` puts the knowledge base's folder first on sys.path. A shim kept in a `generator/`
    folder there was taken for the `generator` package and imported itself: no hooks ran, and the site held the
    hand-written pages alone, with only warnings."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "KB_BASE_REF")}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--site-dir", str(tmp_path / "site")],
        cwd=corpus, capture_output=True, text=True, env=env, timeout=600, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert not (corpus / "generator").exists()
    locked = [line for line in (corpus / "urls.lock").read_text(encoding="utf-8").splitlines() if "#" not in line]
    assert sum(url.startswith("papers/") for url in locked) >= PAPERS
    missing = [url for url in locked if not (tmp_path / "site" / url / "index.html").is_file()]
    assert not missing, result.stderr[-2000:]


def test_claims_add_up_and_stay_within_one_to_thirty_per_paper(corpus: Path) -> None:
    rows = ledger_rows(corpus)
    assert len(rows) == CLAIMS
    per_paper = Counter(row["paper_id"].rsplit("v", 1)[0] for row in rows)
    assert len(per_paper) == PAPERS
    assert min(per_paper.values()) >= 1 and max(per_paper.values()) <= 30
    assert len({row["claim_id"] for row in rows}) == CLAIMS
    assert any(len(row["source_quote"]) > 1000 for row in rows), "some quotes are long"
    assert any(not row["claim"].isascii() for row in rows), "claims carry Unicode"


def test_citations_make_hubs(tmp_path: Path) -> None:
    corpus = synthesize(REPO, tmp_path / "kb", papers=1000, claims=2000, seed=1)
    cited = sorted((p.cited_by for p in corpus.papers), reverse=True)
    assert cited[0] >= 10 * (sum(cited) / len(cited)), "preferential attachment gives a heavy tail"
    depth = {slug: 0 for slug, *_ in corpus.categories}
    for slug, _, _, parent in corpus.categories:
        depth[slug] = depth[parent] + 1 if parent else 0
    assert max(depth.values()) >= 2, "the taxonomy is a few levels deep"


def test_same_seed_gives_identical_files_and_another_seed_differs(tmp_path: Path) -> None:
    for name, seed, hash_seed in (("a", "5", "1"), ("b", "5", "2"), ("c", "6", "1")):  # string hashing varies too
        args = ("synth", "--papers", "30", "--claims", "200", "--seed", seed, "--out", str(tmp_path / name))
        assert kb(REPO, *args, env={"PYTHONHASHSEED": hash_seed}).returncode == 0
    first, again, other = files(tmp_path / "a"), files(tmp_path / "b"), files(tmp_path / "c")
    assert first == again
    data = {name: content for name, content in first.items() if name.startswith(("records/", "ledgers/"))}
    assert data != {name: content for name, content in other.items() if name.startswith(("records/", "ledgers/"))}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--papers", "0"], "--papers must be at least 1"),
        (["--papers", "10", "--claims", "400"], "--claims must be between --papers and 30 x --papers (10 to 300)"),
        (["--papers", "10", "--claims", "5"], "--claims must be between"),
    ],
)
def test_impossible_sizes_are_a_usage_error(tmp_path: Path, args: list[str], message: str) -> None:
    result = kb(REPO, "synth", *args, "--out", str(tmp_path / "kb"))
    assert result.returncode == 2
    assert message in result.stderr
    assert not (tmp_path / "kb").exists()


def test_a_folder_with_files_or_a_file_is_never_overwritten(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("mine", encoding="utf-8")
    for out in (tmp_path, notes):
        result = kb(REPO, "synth", "--papers", "5", "--out", str(out))
        assert result.returncode == 2
        assert f"kb synth: {out} exists and is not an empty folder; choose a new folder" in result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"] and notes.read_text(encoding="utf-8") == "mine"


def test_the_site_configuration_must_come_from_a_knowledge_base(tmp_path: Path) -> None:
    result = kb(tmp_path, "synth", "--papers", "5", "--out", str(tmp_path / "kb"))
    assert result.returncode == 2
    assert f"kb synth: {tmp_path} has no mkdocs.yml to copy the site configuration from" in result.stderr
    assert not (tmp_path / "kb").exists()
