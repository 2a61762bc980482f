"""`kb diff BASE` on a real git repository holding a copy of the project."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from generator.commands.diff import md
from tests.test_corrections import STATUS_EVENT, change_status
from tests.test_permanence import add_events, commit_all, drop_ledger_line, edit, git, kb, rename_paper

NEW_ROW = (
    "2510.16411v1,SymphonySMoE adds expert-to-expert interactions to token routing.,unverified,evidence pending,"
    "full-text,,,in-scope: taxonomy category match,pending,\n"
)


@pytest.fixture
def branch(project: Path) -> Path:
    """The project committed on `main`, with a `feature` branch checked out."""
    commit_all(project)
    git(project, "checkout", "-q", "-b", "feature")
    return project


def test_diff_lists_an_added_claim_and_a_renamed_id(branch: Path) -> None:
    rename_paper(branch, "2503.23007", "2503.23099")
    ledger = branch / "ledgers" / "moe-ffn.csv"
    ledger.write_text(ledger.read_text(encoding="utf-8") + NEW_ROW, encoding="utf-8")
    assert kb(branch, "ids").returncode == 0
    [new_id] = [
        row["claim_id"] for row in csv.DictReader(ledger.open(encoding="utf-8")) if "SymphonySMoE adds" in row["claim"]
    ]
    change_status(branch, "c-d9d1c8ac", "supported", "contradicted")
    add_events(branch, "SRCH-1244B894", [STATUS_EVENT])
    commit_all(branch, "feature work")

    result = kb(branch, "diff", "main")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("## Knowledge-base changes against `main` (")
    assert (
        "- Renamed paper `2503.23007` → `2503.23099` (S2MoE: Robust Sparse Mixture of Experts via Stochastic Learning); the old URL redirects"
        in out
    )
    assert (
        f"- Added `{new_id}` on `2510.16411v1`: SymphonySMoE adds expert-to-expert interactions to token routing."
        in out
    )
    assert "- Status of `c-d9d1c8ac` changed: `supported` → `contradicted`" in out
    assert "- `c-d9d1c8ac` moved from paper `2503.23007` to `2503.23099`" in out
    assert (
        "- Added `SRCH:1244B894` event `2026-12-02-status` (2026-12-02, `claim-status-change`, claim `c-d9d1c8ac`)"
        in out
    )
    assert "- Redirected `papers/2503.23007/` → `papers/2503.23099/`" in out
    assert f"`claims/{new_id}/`" in out and "`papers/2503.23099/`" in out
    assert "Lost" not in out and "Removed" not in out
    assert "- Changed synthesis `SRCH:1244B894`: `correction_record`" in out


def test_diff_shows_lost_urls_and_uncommitted_changes(branch: Path) -> None:
    (branch / "records" / "papers" / "2509.10025.yaml").unlink()
    drop_ledger_line(branch, "c-59f803ec")
    out = kb(branch, "diff", "main").stdout  # the working tree, not committed
    assert "- **Removed** paper `2509.10025`:" in out
    assert "- **Removed** `c-59f803ec`:" in out
    assert (
        "**Lost** 3 published URL(s): `claims/c-59f803ec/`, `papers/2509.10025/`, `papers/2509.10025/#c-59f803ec`"
        in out
    )
    assert "> The working tree has 3 error(s)" in out


def test_diff_without_changes(branch: Path) -> None:
    result = kb(branch, "diff", "main")
    assert result.returncode == 0
    assert result.stdout.count("No changes.") == 4


def test_unknown_ref_exits_2(branch: Path, tmp_path: Path) -> None:
    result = kb(branch, "diff", "no-such-ref")
    assert result.returncode == 2 and "`no-such-ref` is not a known commit" in result.stderr
    (tmp_path / "plain").mkdir()
    assert kb(tmp_path / "plain", "diff", "main").returncode == 2


def test_contributor_text_is_inert_markdown(branch: Path) -> None:
    rename_paper(branch, "2509.10025", "2509.10099")
    edit(
        branch / "records" / "papers" / "2509.10099.yaml",
        "title: Exploring",
        "title: <img src=x> @everyone [link](https://x) **b** Exploring",
    )
    out = kb(branch, "diff", "main").stdout
    assert "(&lt;img src=x&gt; &#64;everyone \\[link\\](https://x) \\*\\*b\\*\\* Exploring Expert" in out
    assert "<img" not in out and "@everyone" not in out and "[link](" not in out
    assert md("a `b` | c") == "a \\`b\\` \\| c"
