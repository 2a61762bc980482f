"""URL permanence on real copies of the project: redirects, tombstones, urls.lock, stable anchors."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from generator.pipeline.build import collect, generate
from generator.pipeline.render import PageLinks, make_environment
from generator.publish.permanence import LOCK_NAME, read_lock, redirect_html
from tests.helpers import kb

REPO = Path(__file__).resolve().parents[1]
GIT_IDENTITY = ("-c", "user.name=kb-test", "-c", "user.email=kb-test@example.invalid", "-c", "commit.gpgsign=false")
EVENT_TEMPLATE = """  - id: {id}
    date: {date}
    type: {type}
    description: {description}
    claim_id: {claim_id}
"""


# --- helpers shared by the permanence, corrections, quotes and diff tests ---------------------------


def git(root: Path, *args: str) -> str:
    result = subprocess.run(["git", *GIT_IDENTITY, *args], cwd=root, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


def commit_all(root: Path, message: str = "published state") -> None:
    if not (root / ".git").exists():
        git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def drop_ledger_line(project: Path, needle: str) -> None:
    ledger = project / "ledgers" / "moe-ffn.csv"
    lines = ledger.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [line for line in lines if needle not in line]
    assert len(kept) == len(lines) - 1
    ledger.write_text("".join(kept), encoding="utf-8")


def add_events(project: Path, synthesis: str, events: list[dict[str, str]], status: str = "CORRECTED") -> None:
    """Replace the (empty) correction history of a seed synthesis with `events`."""
    path = project / "records" / "syntheses" / f"{synthesis}.yaml"
    text = path.read_text(encoding="utf-8")
    text = re.sub(
        r"  status: \w+\n  correction_count: \d+\n", f"  status: {status}\n  correction_count: {len(events)}\n", text
    )
    quoted = [{key: json.dumps(value) for key, value in {"claim_id": "", **event}.items()} for event in events]
    body = "".join(EVENT_TEMPLATE.format(**event) for event in quoted)
    text = re.sub(
        r"  corrections:(?: \[\]\n|\n(?:  - .*\n|    .*\n)*)",
        "  corrections:" + ("\n" + body if events else " []\n"),
        text,
    )
    path.write_text(text, encoding="utf-8")


def rename_paper(project: Path, old: str, new: str) -> None:
    """Give paper `old` the id `new`, keeping `old` as an alias, and point its ledger rows at it."""
    source = project / "records" / "papers" / f"{old}.yaml"
    edit(source, f"id: '{old}'\n", f"id: '{new}'\naliases:\n- '{old}'\n")
    source.rename(source.with_name(f"{new}.yaml"))
    ledger = project / "ledgers" / "moe-ffn.csv"
    ledger.write_text(ledger.read_text(encoding="utf-8").replace(f"{old}v", f"{new}v"), encoding="utf-8")


def built_claim_ids(page: Path) -> list[str]:
    return re.findall(r'<tr id="(c-[0-9a-f]+)"', page.read_text(encoding="utf-8"))


# --- the committed lock -------------------------------------------------------------------------


def test_committed_lock_lists_every_published_url() -> None:
    site = collect(REPO)
    generate(site)
    codes = {p.code for p in site.problems}
    assert "url-lost" not in codes and "url-unlocked" not in codes, site.problems.report()
    locked = {url for _, url in read_lock(REPO) or []}
    assert {
        "papers/2503.23007/",
        "papers/2503.23007/#c-d9d1c8ac",
        "claims/c-d9d1c8ac/",
        "syntheses/SRCH-1244B894/",
    } <= locked
    lines = [line for line in (REPO / LOCK_NAME).read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    assert lines == sorted(set(lines)), "urls.lock must be sorted and free of duplicates"


# --- redirects ---------------------------------------------------------------------------------


def test_renamed_record_keeps_old_url_as_redirect(project: Path, tmp_path: Path) -> None:
    rename_paper(project, "2503.23007", "2503.23099")
    out = tmp_path / "site"
    result = kb(project, "build", "--site-dir", str(out))
    assert result.returncode == 0, result.stderr
    assert "url-lost" not in result.stderr
    assert "url-unlocked" in result.stderr and "papers/2503.23099/" in result.stderr

    redirect = (out / "papers" / "2503.23007" / "index.html").read_text(encoding="utf-8")
    assert '<meta http-equiv="refresh" content="0; url=../2503.23099/">' in redirect
    assert '<link rel="canonical" href="https://kb-tests.github.io/evidence-ledger/papers/2503.23099/">' in redirect
    assert '<a href="../2503.23099/">S2MoE: Robust Sparse Mixture of Experts via Stochastic Learning</a>' in redirect
    assert 'location.replace("../2503.23099/" + location.hash)' in redirect
    target = (out / "papers" / "2503.23007" / "../2503.23099/index.html").resolve()
    assert target.exists() and "c-d9d1c8ac" in built_claim_ids(target)

    # The old page URL and the old claim anchor both resolve through the redirect.
    assert kb(project, "check-urls").returncode == 0
    update = kb(project, "check-urls", "--update")
    assert update.returncode == 0 and "+ papers/2503.23099/#c-d9d1c8ac" in update.stdout
    assert kb(project, "build", "--strict", "--site-dir", str(out)).returncode == 0


def test_redirect_page_escapes_everything() -> None:
    html = redirect_html(make_environment(REPO), PageLinks("papers/2401.00001/", "", ""), "papers/2503.23007/",
                         "2401.00001", "2503.23007", '</title><script>alert("x")</script>', "")  # fmt: skip
    text = html.decode()
    assert "<script>alert" not in text and "&lt;/title&gt;&lt;script&gt;" in text
    assert '<link rel="canonical" href="../2503.23007/">' in text


# --- lost URLs ---------------------------------------------------------------------------------


def test_deleting_a_record_without_tombstone_fails(project: Path, tmp_path: Path) -> None:
    (project / "records" / "papers" / "2509.10025.yaml").unlink()
    drop_ledger_line(project, "c-59f803ec")
    lost = ("papers/2509.10025/", "papers/2509.10025/#c-59f803ec", "claims/c-59f803ec/")

    strict = kb(project, "build", "--strict", "--site-dir", str(tmp_path / "site"))
    assert strict.returncode == 1
    for url in lost:
        assert f"published URL `{url}` is no longer served" in strict.stderr, strict.stderr
    assert "[url-lost]" in strict.stderr and "aliases:" in strict.stderr and "tombstone:" in strict.stderr
    assert not (tmp_path / "site" / "index.html").exists(), "a build with lost URLs must not produce a site"
    assert kb(project, "build", "--site-dir", str(tmp_path / "site")).returncode == 1, (
        "a lost URL fails even without --strict"
    )

    check = kb(project, "check-urls")
    assert check.returncode == 1
    for url in lost:
        assert url in check.stderr
    assert "3 of 31 locked URL(s) are lost" in check.stderr

    # --update never removes: the lost URLs stay locked and keep failing.
    before = (project / LOCK_NAME).read_text(encoding="utf-8")
    assert kb(project, "check-urls", "--update").returncode == 1
    assert (project / LOCK_NAME).read_text(encoding="utf-8") == before


def test_withdrawn_record_with_tombstone_keeps_its_url(project: Path, tmp_path: Path) -> None:
    edit(
        project / "records" / "papers" / "2509.10025.yaml", "cites: []\n",
        "cites: []\nstatus: withdrawn\ntombstone:\n  reason: Duplicate of another record.\n  date: '2026-12-01'\n",
    )  # fmt: skip
    out = tmp_path / "site"
    result = kb(project, "build", "--strict", "--site-dir", str(out))
    assert result.returncode == 0, result.stderr
    assert "Withdrawn record" in (out / "papers" / "2509.10025" / "index.html").read_text(encoding="utf-8")


def test_removed_claim_with_retraction_event_keeps_a_tombstone(project: Path, tmp_path: Path) -> None:
    drop_ledger_line(project, "c-59f803ec")
    assert "claims/c-59f803ec/" in kb(project, "check-urls").stderr

    event = {"id": "2026-12-01-retract", "date": "2026-12-01", "type": "retraction",
             "description": "The claim misread the source.", "claim_id": "c-59f803ec"}  # fmt: skip
    add_events(project, "SRCH-1244B894", [event])
    result = kb(project, "check-urls")
    assert result.returncode == 0, result.stderr
    out = tmp_path / "site"
    assert kb(project, "build", "--strict", "--site-dir", str(out)).returncode == 0
    tombstone = (out / "claims" / "c-59f803ec" / "index.html").read_text(encoding="utf-8")
    assert "Withdrawn claim" in tombstone and "The claim misread the source." in tombstone
    assert "../../syntheses/SRCH-1244B894/#correction-2026-12-01-retract" in tombstone


# --- stable anchors ------------------------------------------------------------------------------


def test_inserting_a_row_moves_no_claim_anchor(project: Path, tmp_path: Path) -> None:
    before_site = tmp_path / "before"
    assert kb(project, "build", "--strict", "--site-dir", str(before_site)).returncode == 0
    pages = sorted(before_site.glob("papers/*/index.html"))
    before = {page.parent.name: built_claim_ids(page) for page in pages}
    claim_text = {
        cid: (before_site / "claims" / cid / "index.html").read_text(encoding="utf-8")
        for ids in before.values()
        for cid in ids
    }

    ledger = project / "ledgers" / "moe-ffn.csv"
    lines = ledger.read_text(encoding="utf-8").splitlines(keepends=True)
    new_row = (
        "2503.23007v1,A claim inserted in the middle of the ledger.,unverified,evidence pending,full-text,,,"
        "in-scope: taxonomy category match,pending,\n"
    )
    ledger.write_text("".join([*lines[:2], new_row, *lines[2:]]), encoding="utf-8")

    # Before `kb ids` the new row's id is provisional: it is never locked.
    update = kb(project, "check-urls", "--update")
    assert update.returncode == 0 and "already lists every published URL" in update.stdout
    assert kb(project, "ids").returncode == 0
    after_site = tmp_path / "after"
    result = kb(project, "build", "--site-dir", str(after_site))
    assert result.returncode == 0, result.stderr
    for paper, ids in before.items():
        after_ids = built_claim_ids(after_site / "papers" / paper / "index.html")
        assert set(ids) <= set(after_ids), paper
        for cid in ids:
            text = (after_site / "claims" / cid / "index.html").read_text(encoding="utf-8")
            statement = re.search(r'<blockquote class="kb-claim-statement">(.*?)</blockquote>', claim_text[cid], re.S)
            assert statement and statement.group(0) in text, cid
    assert len(built_claim_ids(after_site / "papers" / "2503.23007" / "index.html")) == 2
    assert kb(project, "check-urls").returncode == 0


def test_missing_lock_is_a_warning_until_created(project: Path) -> None:
    (project / LOCK_NAME).unlink()
    site = collect(project)
    generate(site)
    [warning] = [p for p in site.problems if p.code == "url-unlocked"]
    assert "urls.lock does not exist yet" in warning.message and warning.severity == "warning"
    assert kb(project, "check-urls", "--update").returncode == 0
    assert {url for _, url in read_lock(project) or []} == {url for _, url in read_lock(REPO) or []}


@pytest.mark.parametrize("url", ["taxonomy/moe-routing/", "syntheses/SRCH-1244B894/"])
def test_lost_hints_name_the_remedy(url: str) -> None:
    from generator.publish.permanence import lost_hint

    hint = lost_hint(url)
    assert ("records/taxonomy.yaml" in hint) if url.startswith("taxonomy") else ('aliases: ["SRCH:1244B894"]' in hint)
