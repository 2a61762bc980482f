"""Corrections are additive: checked against the published git state of a real copy of the project."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.pipeline.build import collect
from generator.sources.git import GitError, open_base
from tests.test_permanence import add_events, commit_all, edit, git, kb

HEAD = {"KB_BASE_REF": "HEAD"}
SYNTHESIS = "SRCH-1244B894"
SYNTHESIS_FILE = f"records/syntheses/{SYNTHESIS}.yaml"
FIRST = {"id": "2026-12-01-erratum", "date": "2026-12-01", "type": "erratum", "description": "Fixed the expert count."}
STATUS_EVENT = {
    "id": "2026-12-02-status", "date": "2026-12-02", "type": "claim-status-change",
    "description": "Re-checked against the full text: the source says the opposite.", "claim_id": "c-d9d1c8ac",
}  # fmt: skip


def codes(root: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for problem in collect(root).problems:
        found.setdefault(problem.code, []).append(problem.format_text())
    return found


def change_status(project: Path, claim_id: str, old: str, new: str) -> None:
    ledger = project / "ledgers" / "moe-ffn.csv"
    lines = ledger.read_text(encoding="utf-8").splitlines(keepends=True)
    lines = [line.replace(f",{old},", f",{new},", 1) if claim_id in line else line for line in lines]
    ledger.write_text("".join(lines), encoding="utf-8")


@pytest.fixture
def published(project: Path) -> Path:
    """The project with one correction event, committed as the published state."""
    add_events(project, SYNTHESIS, [FIRST])
    commit_all(project)
    return project


def test_deleting_a_published_event_fails(published: Path, tmp_path: Path) -> None:
    add_events(published, SYNTHESIS, [], status="CURRENT")
    result = kb(published, "validate", env=HEAD)
    assert result.returncode == 1
    assert f"{SYNTHESIS_FILE}:" in result.stderr and "correction event `2026-12-01-erratum`" in result.stderr
    assert "[correction-removed]" in result.stderr and "corrections are additive" in result.stderr
    build = kb(published, "build", "--site-dir", str(tmp_path / "site"), env=HEAD)
    assert build.returncode == 1 and "[correction-removed]" in build.stderr


def test_rewriting_a_published_event_fails(published: Path) -> None:
    edit(published / SYNTHESIS_FILE, "Fixed the expert count.", "Fixed the expert count and the table.")
    result = kb(published, "validate", env=HEAD)
    assert result.returncode == 1
    assert "correction event `2026-12-01-erratum` of SRCH:1244B894 was changed after publication" in result.stderr
    assert "changed: description" in result.stderr and "[correction-rewritten]" in result.stderr


def test_adding_an_event_passes(published: Path) -> None:
    second = {**FIRST, "id": "2026-12-03-clarify", "type": "clarification", "description": "Clarified the wording."}
    add_events(published, SYNTHESIS, [FIRST, second])
    result = kb(published, "validate", "--strict", env=HEAD)
    assert result.returncode == 0, result.stderr


def test_the_default_base_is_the_merge_base_with_origin_main(published: Path, tmp_path: Path) -> None:
    git(tmp_path, "clone", "-q", "--bare", str(published), "origin.git")
    git(published, "remote", "add", "origin", str(tmp_path / "origin.git"))
    git(published, "fetch", "-q", "origin")
    add_events(published, SYNTHESIS, [], status="CURRENT")
    git(published, "checkout", "-q", "-b", "feature")
    commit_all(published, "drop the history")
    result = kb(published, "validate")  # no KB_BASE_REF: merge-base HEAD origin/main
    assert result.returncode == 1 and "[correction-removed]" in result.stderr
    assert "merge-base with origin/main" in result.stderr


def test_claim_status_change_needs_an_event(published: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KB_BASE_REF", "HEAD")
    change_status(published, "c-d9d1c8ac", "supported", "contradicted")
    [message] = codes(published)["claim-change-uncorrected"]
    assert message.startswith("ledgers/moe-ffn.csv:2: claim_status: published claim `c-d9d1c8ac` changed")
    assert "`supported` → `contradicted`" in message and "claim_id: c-d9d1c8ac" in message

    add_events(published, SYNTHESIS, [FIRST, STATUS_EVENT])
    assert "claim-change-uncorrected" not in codes(published)
    assert kb(published, "validate", "--strict", env=HEAD).returncode == 0


def test_an_already_published_event_does_not_cover_a_new_change(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    add_events(project, SYNTHESIS, [STATUS_EVENT])
    commit_all(project)
    monkeypatch.setenv("KB_BASE_REF", "HEAD")
    change_status(project, "c-d9d1c8ac", "supported", "unsupported")
    assert "claim-change-uncorrected" in codes(project)


def test_claim_text_change_needs_an_event_but_reflowing_does_not(
    published: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KB_BASE_REF", "HEAD")
    ledger = published / "ledgers" / "moe-ffn.csv"
    edit(ledger, "provide the same input to the top K-Experts", "provide  the same input to the top K-Experts")
    assert "claim-change-uncorrected" not in codes(published)
    edit(ledger, "provide  the same input to the top K-Experts", "provide identical input to the top K-Experts")
    [message] = codes(published)["claim-change-uncorrected"]
    assert "ledgers/moe-ffn.csv:2: claim:" in message and "its text" in message


def test_without_git_there_is_no_base_and_no_problem(project: Path) -> None:
    change_status(project, "c-d9d1c8ac", "supported", "contradicted")
    assert kb(project, "validate", "--strict").returncode == 0


def test_an_unknown_base_ref_is_reported(published: Path) -> None:
    result = kb(published, "validate", env={"KB_BASE_REF": "no-such-branch"})
    assert result.returncode == 1 and "[base-ref-unknown]" in result.stderr and "no-such-branch" in result.stderr
    with pytest.raises(GitError):
        open_base(published, "--output=/tmp/x")


def test_event_ids_are_unique_within_a_record(project: Path) -> None:
    add_events(project, SYNTHESIS, [FIRST, {**FIRST, "description": "Again."}])
    result = kb(project, "validate")
    assert result.returncode == 1 and "[correction-id-duplicate]" in result.stderr


def test_git_helper_reads_the_base_from_a_subfolder_project(tmp_path: Path, project: Path) -> None:
    commit_all(project)
    base = open_base(project / "ledgers", "HEAD")
    assert base.prefix == "ledgers/"
    assert base.read_files(["moe-ffn.csv"])["moe-ffn.csv"] == (project / "ledgers" / "moe-ffn.csv").read_bytes()
    assert open_base(project, "HEAD").list_files("ledgers") == ["ledgers/datapackage.json", "ledgers/moe-ffn.csv"]
