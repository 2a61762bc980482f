"""The foundation promises, checked as a contributor and a reader would meet them."""

from __future__ import annotations

import json
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from generator.cli import main
from generator.model.schema import render_schemas
from tests.conftest import REPO, corpus_counts


def run_kb(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_bundled_corpus_validates(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_kb(capsys, "--root", str(REPO), "validate")
    assert code == 0, err
    bundled = corpus_counts()
    assert f"{bundled.papers} papers, {bundled.syntheses} syntheses" in err
    assert f"{bundled.claims} ledger rows ({bundled.claims} valid claims)" in err


def test_typo_and_unknown_paper_reported_together(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    record = project / "records" / "papers" / "2503.23007.yaml"
    text = record.read_text(encoding="utf-8")
    record.write_text(text.replace("\ntitle:", "\ntitel:", 1), encoding="utf-8")
    typo_line = text.splitlines().index(next(line for line in text.splitlines() if line.startswith("title:"))) + 1
    ledger = project / "ledgers" / "moe-ffn.csv"
    lines = ledger.read_text(encoding="utf-8").splitlines()
    lines.append(lines[1].replace("2503.23007v1", "2401.04088v1", 1).replace("c-", "c-f", 1)[: len(lines[1]) + 1])
    ledger.write_text("\n".join(lines) + "\n", encoding="utf-8")

    code, _, err = run_kb(capsys, "--root", str(project), "validate")

    assert code == 1
    assert f"records/papers/2503.23007.yaml:{typo_line}:1: titel: unknown field `titel` [field-unknown]" in err
    assert "hint: did you mean `title`?" in err
    assert f"ledgers/moe-ffn.csv:{len(lines)}:1: paper_id: unknown paper `2401.04088v1` [ref-unknown-paper]" in err
    assert "hint: add a record with `kb new paper 2401.04088`" in err
    assert "records/papers/2503.23007.yaml:4:1: title: required field `title` is missing [field-missing]" in err
    assert "url-lost" not in err  # the rejected record's page is not reported as a second, separate loss
    assert "3 error(s)" in err


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["no-such-command"]) == 2


def test_committed_schema_is_current() -> None:
    for name, text in render_schemas().items():
        committed = REPO / "schema" / name
        assert committed.exists(), f"schema/{name} is missing: run `kb schema`"
        assert committed.read_text(encoding="utf-8") == text, f"schema/{name} is stale: run `kb schema`"


def test_generate_runs_without_mkdocs(tmp_path: Path) -> None:
    script = (
        "import sys; from generator.cli import main; code = main(['--root', sys.argv[1], 'generate', '--out', sys.argv[2]]);"
        "assert 'mkdocs' not in sys.modules, 'generation imported MkDocs'; raise SystemExit(code)"
    )
    result = subprocess.run([sys.executable, "-c", script, str(REPO), str(tmp_path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    manifest = json.loads((tmp_path / "pages.json").read_text(encoding="utf-8"))
    urls = {page["url"] for page in manifest}
    assert {"papers/2503.23007/", "syntheses/SRCH-7693EED1/", "taxonomy/", "claims/", "methodology/"} <= urls
    assert "Existing Sparse Mixture of Experts" in (tmp_path / "papers" / "2503.23007" / "index.html").read_text(
        encoding="utf-8"
    )


class _TextExtractor(HTMLParser):
    """Visible text of the main content, with cells separated, as a reader sees it."""

    def __init__(self) -> None:
        super().__init__()
        self.chunks: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1
        if tag in ("td", "th", "p", "li", "dd", "dt", "h1", "h2", "h3"):
            self.chunks.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.chunks.append(data)

    def text(self) -> str:
        return " ".join("".join(self.chunks).split())


def visible_text(path: Path) -> str:
    parser = _TextExtractor()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.text()


def test_paper_page_shows_every_claim_column(bundled_site: Path) -> None:
    text = visible_text(bundled_site / "papers" / "2503.23007" / "index.html")
    for expected in (
        "Existing Sparse Mixture of Experts (SMoE) models provide the same input to the top K-Experts in a TopK setting.",
        "supported",
        "has evidence row",
        "full-text",
        "S2MoE consistently outperforms both baselines, regardless of backbone size or the number of ex- perts",
        "p1",
        "in-scope",
        "taxonomy category match",
        "pass",
        "full-text verified",
        "audit_report.md",
        "Giang Do, Hung Le, Truyen Tran",
    ):
        assert expected in text, expected


def test_synthesis_page_shows_every_section(bundled_site: Path) -> None:
    text = visible_text(bundled_site / "syntheses" / "SRCH-7693EED1" / "index.html")
    for expected in (
        "L2, Source-grounded claims",
        "Source-grounded claims 7",
        "Quarantine candidate",
        "Review score is below 5.0; source-level inspection is required before relying on the synthesis.",
        "Evidence strength LOW",
        "Citation grounding MEDIUM",
        "Uncertainty disclosure MEDIUM",
        "Reproducibility status MEDIUM",
        "Status CURRENT",
        "Correction count 0",
        "Publisher Assignee Research",
        "Public provenance L3, Claim aggregate record",
        "Report artifact Available",
        "External record Not registered",
        "Claim lineage 7 aggregate source-grounded claims",
        "Review method Automated multi-reviewer assessment",
        "Provenance contract source-provenance-v1",
        "Machine-generated synthesis of existing literature. Not primary research.",
    ):
        assert expected in text, expected


def test_home_page_has_live_counts_and_no_external_assets(bundled_site: Path) -> None:
    home = (bundled_site / "index.html").read_text(encoding="utf-8")
    bundled = corpus_counts()
    assert f"<strong>{bundled.papers}</strong> papers" in home
    assert f"<strong>{bundled.claims}</strong> claims" in home
    for page in bundled_site.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert "fonts.googleapis.com" not in html and "cdn.jsdelivr" not in html and "unpkg.com" not in html, page


def test_navigation_does_not_list_papers(bundled_site: Path) -> None:
    html = (bundled_site / "methodology" / "index.html").read_text(encoding="utf-8")
    assert "papers/2503.23007/" not in html


def test_plain_mkdocs_build_uses_the_hooks(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "-q", "-d", str(tmp_path / "out")],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "papers" / "2503.23007" / "index.html").exists()
