"""Published history cannot be rewritten quietly (issue #12, findings 2, 3, 4 and the two kinds of pull request).

Each test commits a real copy of the project as the published state (the git base),
plants the change an attacker would make, and asserts the exact diagnostic that
`kb validate` prints for it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.commands.diff import REVIEW_REQUIRED
from tests.test_permanence import commit_all, drop_ledger_line, edit, git, kb

HEAD = {"KB_BASE_REF": "HEAD"}
LEDGER = "ledgers/moe-ffn.csv"
CLAIM = "c-d9d1c8ac"
PAPER = "2503.23007"


@pytest.fixture
def published(project: Path) -> Path:
    commit_all(project)
    return project


def validate(root: Path) -> str:
    result = kb(root, "validate", env=HEAD)
    assert result.returncode == 1, result.stderr
    return result.stderr


def delete_paper_and_its_lock_lines(project: Path) -> None:
    """What finding 2 did: the paper, its claims and every urls.lock line naming it go together."""
    (project / "records" / "papers" / f"{PAPER}.yaml").unlink()
    drop_ledger_line(project, f"{PAPER}v1,")
    lock = project / "urls.lock"
    lines = lock.read_text(encoding="utf-8").splitlines(keepends=True)
    lock.write_text("".join(line for line in lines if PAPER not in line and CLAIM not in line), encoding="utf-8")


def test_removed_lock_lines_are_errors_naming_the_url(published: Path) -> None:
    delete_paper_and_its_lock_lines(published)
    stderr = validate(published)
    assert (
        f"urls.lock: published URL `papers/{PAPER}/` (listed in urls.lock at HEAD ({git(published, 'rev-parse', '--short=7', 'HEAD').strip()})) "
        "was removed from urls.lock; nothing serves it any more [url-lock-line-removed]"
    ) in stderr
    assert f"published URL `papers/{PAPER}/#{CLAIM}`" in stderr and f"published URL `claims/{CLAIM}/`" in stderr
    assert "hint: restore the line: urls.lock only grows." in stderr


def test_diff_wording_matches_the_build(published: Path) -> None:
    git(published, "checkout", "-q", "-b", "feature")
    delete_paper_and_its_lock_lines(published)
    summary = kb(published, "diff", "main").stdout
    assert f"**Removed from urls.lock**: `claims/{CLAIM}/`" in summary
    assert "the build fails until the lines are restored" in summary
    assert kb(published, "build", "--strict", env={"KB_BASE_REF": "main"}).returncode == 1


@pytest.mark.parametrize(
    ("column", "old", "new"),
    [
        ("paper_id", f"{PAPER}v1,Existing", "2510.16411v1,Existing"),
        ("evidence_status", "supported,has evidence row,full-text,\"S2MoE", "supported,evidence pending,full-text,\"S2MoE"),
        ("source_depth", "has evidence row,full-text,\"S2MoE", "has evidence row,abstract,\"S2MoE"),
        ("source_quote", "S2MoE consistently outperforms", "S2MoE always outperforms"),
        ("page_or_section", "Pre-training weights.\",p1,", "Pre-training weights.\",p9,"),
        ("taxonomy_fit", "p1,in-scope: taxonomy category match,pass; full-text verified; report=audit_report.md,c-d9d1c8ac",
         "p1,in-scope: moved elsewhere,pass; full-text verified; report=audit_report.md,c-d9d1c8ac"),
        ("audit_status", "pass; full-text verified; report=audit_report.md,c-d9d1c8ac",
         "pass; abstract only,c-d9d1c8ac"),
    ],
)  # fmt: skip
def test_every_published_claim_field_needs_a_correction(published: Path, column: str, old: str, new: str) -> None:
    edit(published / LEDGER, old, new)
    stderr = validate(published)
    assert f"{LEDGER}:2: {column}: published claim `{CLAIM}` changed ({column} `" in stderr, stderr
    assert "without a correction event [claim-change-uncorrected]" in stderr
    assert f"add an event with `claim_id: {CLAIM}`" in stderr


def test_aliasing_a_removed_paper_to_another_published_paper_is_refused(published: Path) -> None:
    """Finding 4: delete a paper and point its URL at an unrelated, already published paper."""
    (published / "records" / "papers" / f"{PAPER}.yaml").unlink()
    drop_ledger_line(published, f"{PAPER}v1,")
    other = published / "records" / "papers" / "2510.16411.yaml"
    edit(other, "taxonomy:", f'aliases: ["{PAPER}"]\ntaxonomy:')
    stderr = validate(published)
    assert (
        f"records/papers/2510.16411.yaml:{_line(other, 'aliases:')}:1: aliases: `{PAPER}` was a published record of its own"
    ) in stderr
    assert f"its URL `papers/{PAPER}/` now redirects to `2510.16411`, which was published separately" in stderr
    assert "[alias-merge-uncorrected]" in stderr and "see_instead: 2510.16411" in stderr


def test_upper_case_extensions_cannot_hide_published_history(published: Path) -> None:
    """Finding 3: a ledger renamed to .CSV is refused, so its claims cannot leave the base comparison."""
    (published / LEDGER).rename(published / "ledgers" / "moe-ffn.CSV")
    stderr = validate(published)
    assert (
        "ledgers/moe-ffn.CSV: `moe-ffn.CSV` has an upper-case extension `.CSV` [file-extension-case]\n"
        "    hint: rename it to `moe-ffn.csv`: extensions are lower case (.yaml, .csv, .bib, .txt)"
    ) in stderr


def test_a_data_only_change_needs_no_maintainer_but_anything_else_does(published: Path) -> None:
    git(published, "checkout", "-q", "-b", "feature")
    edit(published / "records" / "papers" / f"{PAPER}.yaml", "title:", "title:")
    (published / "records" / "papers" / "2510.16411.yaml").write_text(
        (published / "records" / "papers" / "2510.16411.yaml").read_text(encoding="utf-8") + "# reviewed\n",
        encoding="utf-8",
    )
    data_only = kb(published, "diff", "main")
    assert data_only.returncode == 0 and REVIEW_REQUIRED not in data_only.stdout

    (published / "content" / "extra.md").write_text("# Extra\n", encoding="utf-8")
    edit(published / "mkdocs.yml", "site_name:", "site_name:")
    (published / "mkdocs.yml").write_text((published / "mkdocs.yml").read_text() + "# changed\n", encoding="utf-8")
    summary = kb(published, "diff", "main").stdout
    assert summary.startswith(f"> **{REVIEW_REQUIRED}**\n>\n")
    assert "> - content/extra.md\n" in summary and "> - mkdocs.yml\n" in summary
    assert "records/papers" not in summary.split("## Knowledge-base changes")[0]


def _line(path: Path, needle: str) -> int:
    return next(n for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in text)


def test_a_corrected_claim_shows_its_history_on_its_page(published: Path, tmp_path: Path) -> None:
    from tests.test_corrections import STATUS_EVENT, SYNTHESIS, change_status
    from tests.test_permanence import add_events

    change_status(published, CLAIM, "supported", "contradicted")
    add_events(published, SYNTHESIS, [STATUS_EVENT])
    result = kb(published, "build", "--strict", "--site-dir", str(tmp_path / "site"), env=HEAD)
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "site" / "claims" / CLAIM / "index.html").read_text(encoding="utf-8")
    assert '<h2 id="corrections">Corrections</h2>' in page
    assert (
        '<li><time datetime="2026-12-02">2026-12-02</time> <code>claim-status-change</code>: '
        "Re-checked against the full text: the source says the opposite. (event "
        f'<a href="../../syntheses/{SYNTHESIS}/#correction-2026-12-02-status"><code>2026-12-02-status</code></a>'
    ) in page
