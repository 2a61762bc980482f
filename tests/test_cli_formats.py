"""`kb validate --format github` puts each problem on the changed line of a pull request."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.cli import main


def test_github_annotations(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    record = project / "records" / "papers" / "2204.09179.yaml"
    lines = record.read_text(encoding="utf-8").splitlines()
    venue_line = next(i for i, line in enumerate(lines, 1) if line.startswith("venue:"))
    lines[venue_line - 1] = "venu: NeurIPS 2022"
    record.write_text("\n".join(lines) + "\n", encoding="utf-8")

    assert main(["--root", str(project), "validate", "--format", "github"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert (
        f"::error file=records/papers/2204.09179.yaml,line={venue_line},col=1,"
        "title=field-unknown%3A venu::unknown field `venu` (hint: did you mean `venue`?)"
    ) in out


def test_warnings_fail_only_with_strict(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ledger = project / "ledgers" / "moe-ffn.csv"
    rows = ledger.read_text(encoding="utf-8").splitlines()
    rows[1] = rows[1].rsplit(",", 1)[0] + ","  # drop one claim id: a warning, not an error
    ledger.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert main(["--root", str(project), "validate"]) == 0
    err = capsys.readouterr().err
    assert "ledgers/moe-ffn.csv:2: warning: claim_id: row has no permanent claim_id yet [claim-id-missing]" in err
    assert main(["--root", str(project), "validate", "--strict"]) == 1
