"""`kb serve` rebuilds reuse what the last build validated and quote-checked, and report exactly what a new
process reports: the same checks, the same problems in the same order, whatever was edited in between."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from generator.model.site import Site
from generator.pipeline import validate
from generator.pipeline.build import collect
from generator.publish import quotes
from tests.helpers import forget_builds
from tests.test_permanence import edit
from tests.test_quotes import with_sources  # noqa: F401 - the fixture the project here starts from


@pytest.fixture
def served(with_sources: Path) -> Path:  # noqa: F811 - the fixture imported above
    """The project of the quote tests (two source texts, a claim read at its paper's abstract) with its ledger split
    in two, so that the quote checks run ledger by ledger, and a copy of a paper record under a wrong name (a
    warning and a duplicate id, replayed by each rebuild)."""
    ledger = with_sources / "ledgers" / "moe-ffn.csv"
    lines = ledger.read_text(encoding="utf-8").splitlines(keepends=True)
    assert len(lines) == 6, "one line per row"
    ledger.write_text("".join(lines[:4]), encoding="utf-8")
    (with_sources / "ledgers" / "second.csv").write_text("".join([lines[0], *lines[4:]]), encoding="utf-8")
    papers = with_sources / "records" / "papers"
    (papers / "copy.yaml").write_text((papers / "2503.23007.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    return with_sources


def _seen(site: Site) -> tuple[Any, ...]:
    """What a user sees: every problem in the order it was found, the report, the counts, each quote's check."""
    return (
        site.problems.since(0),
        site.problems.report("text"),
        site.stats.summary(),
        quotes.quote_summary(site),
        list(site.quote_checks.items()),
    )


def _title(root: Path, edition: int = 1) -> None:
    """An edit no check reads: the title of a paper."""
    edit(root / "records" / "papers" / "2509.10025.yaml", "title: ", f"title: Edition {edition} of ")


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def _remove_row(root: Path) -> None:
    ledger = root / "ledgers" / "moe-ffn.csv"
    lines = ledger.read_text(encoding="utf-8").splitlines(keepends=True)
    ledger.write_text("".join(line for line in lines if not line.startswith("2510.16411v1,")), encoding="utf-8")


EDITS: dict[str, Callable[[Path], None]] = {
    "a quote": lambda root: edit(root / "ledgers" / "moe-ffn.csv", "S2MoE consistently", "S2MoE rarely"),
    "a ledger row removed": _remove_row,
    "a source text": lambda root: edit(root / "records" / "sources" / "2510.16411.txt", "62.97", "61.97"),
    "a source text removed": lambda root: (root / "records" / "sources" / "2503.23007v1.txt").unlink(),
    "a source text added": lambda root: _write(root / "records" / "sources" / "2204.09179.txt", "Other text."),
    "an abstract": lambda root: edit(root / "records" / "papers" / "2410.14574.yaml", "all 15 corruption", "all 16"),
    "the first of two records with one id": lambda root: (root / "records" / "papers" / "2503.23007.yaml").unlink(),
    "a record broken": lambda root: edit(root / "records" / "papers" / "2509.10025.yaml", "id: ", "id: ["),
    "a claim id used twice": lambda root: edit(root / "ledgers" / "second.csv", "c-cbe9caa8", "c-d9d1c8ac"),
}


@pytest.mark.parametrize("change", list(EDITS))
def test_a_rebuild_after_an_edit_reports_what_a_new_process_reports(
    served: Path, change: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    forget_builds(monkeypatch)
    before = _seen(collect(served))
    _title(served)  # a rebuild that reuses everything first, so that the edit meets remembered checks
    collect(served)
    EDITS[change](served)
    rebuilt = _seen(collect(served))
    _title(served, 2)  # and a rebuild that reuses what the edit brought
    rebuilt_again = _seen(collect(served))
    forget_builds(monkeypatch)
    fresh = _seen(collect(served))

    assert rebuilt == fresh
    assert rebuilt_again == fresh
    assert rebuilt != before, "the edit should change what is reported"


def test_the_served_project_reports_what_the_tests_above_change(served: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    forget_builds(monkeypatch)
    site = collect(served)
    states = {cid: check.state for cid, check in site.quote_checks.items()}
    assert states == {
        "c-d9d1c8ac": "verified",
        "c-055df3cf": "not-found",
        "c-59f803ec": "no-source",
        "c-243df8ed": "no-source",
        "c-cbe9caa8": "verified",
    }
    codes = [problem.code for problem in site.problems.since(0)]
    assert {"file-name-mismatch", "id-duplicate", "quote-not-found"} <= set(codes)


@pytest.mark.parametrize(("first", "then"), [(10**9, 1), (1, 10**9)])
def test_a_rebuild_with_another_scan_budget_reports_what_a_new_process_reports(
    served: Path, first: int, then: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Checks remembered under one budget are not replayed where another budget runs out earlier, and checks
    that met the limit are never replayed where the budget lasts."""
    forget_builds(monkeypatch)
    monkeypatch.setattr(quotes, "MAX_SCANNED_CHARS", first)
    collect(served)
    monkeypatch.setattr(quotes, "MAX_SCANNED_CHARS", then)
    _title(served)
    rebuilt = _seen(collect(served))
    forget_builds(monkeypatch)
    monkeypatch.setattr(quotes, "MAX_SCANNED_CHARS", then)
    fresh = _seen(collect(served))

    assert rebuilt == fresh
    limited = [problem for problem in fresh[0] if problem.code == "quote-check-limit"]
    assert len(limited) == (then == 1)


def _counted(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> list[object]:
    calls: list[object] = []
    function = getattr(module, name)

    def counting(*args: Any) -> Any:
        calls.append(args[0])
        return function(*args)

    monkeypatch.setattr(module, name, counting)
    return calls


def test_a_rebuild_checks_again_only_what_an_edit_changed(served: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    forget_builds(monkeypatch)
    collect(served)
    verdicts = _counted(monkeypatch, validate, "_verdict")
    checks = _counted(monkeypatch, quotes, "_remembered_check")

    _title(served)
    collect(served)
    assert [doc.path for doc in verdicts] == ["records/papers/2509.10025.yaml"]  # type: ignore[attr-defined]
    assert checks == []  # no claim was looked up: both ledgers' checks were taken whole

    verdicts.clear()
    edit(served / "ledgers" / "second.csv", "We observe", "We see")
    collect(served)
    assert verdicts == []
    assert len(checks) == 2  # the two claims of the edited ledger, not the three of the other one

    checks.clear()
    edit(served / "records" / "sources" / "2503.23007v1.txt", "Table 2", "Table 3")
    collect(served)
    assert len(checks) == 3  # the ledger whose claim reads that source, claim by claim
