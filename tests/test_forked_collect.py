"""`kb validate` and `kb build` parse records and check quotes on both cores (pipeline/forked.py): what a
contributor sees, problems, counts and every quote's check, must be what one core reports, including when the
quote check's budget runs out in either half."""

from __future__ import annotations

import csv
import dataclasses
import os
import signal
from pathlib import Path

import pytest

from generator.commands.synth import synthesize
from generator.model.records import arxiv_base
from generator.model.site import Site
from generator.pipeline import build, forked, load, validate
from generator.pipeline.build import collect, read_inputs
from generator.publish import exports, quotes
from tests.conftest import REPO

pytestmark = pytest.mark.skipif(not forked.can_fork(), reason="this system cannot fork")


def _first_ledger(root: Path) -> Path:
    return sorted((root / "ledgers").glob("*.csv"))[0]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic corpus with a problem of each stage: YAML, schema, ledger row, link, and a quote not found."""
    root = tmp_path_factory.mktemp("forked") / "kb"
    synthesize(REPO, root, papers=60, claims=900, seed=5)
    papers = sorted((root / "records" / "papers").glob("*.yaml"))
    papers[3].write_text("id: '2401.00001'\ntitle: [unclosed\n", encoding="utf-8")  # early: parsed by this core
    papers[-2].write_text(papers[-2].read_text(encoding="utf-8") + "year: soon\n", encoding="utf-8")  # the fork's
    ledger = _first_ledger(root)
    with ledger.open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    sourced = {path.stem for path in (root / "records" / "sources").glob("*.txt")}
    late = next(i for i in range(len(rows) - 1, 0, -1) if _source_name(rows[i]["paper_id"]) in sourced)
    rows[late]["source_quote"] = "A sentence that no source of this corpus contains, anywhere."
    rows[1]["claim_status"] = "proven beyond doubt"  # not in the vocabulary
    rows[2]["paper_id"] = "2999.99999"  # no such paper
    with ledger.open("w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return root


def _source_name(paper_id: str) -> str:
    return arxiv_base(paper_id).replace("/", "_")


def _collected(root: Path, fork: bool, monkeypatch: pytest.MonkeyPatch) -> Site:
    """A fresh `kb validate`, as a new process would run it: nothing parsed or checked earlier is reused."""
    monkeypatch.setattr(build, "_latest", None)
    monkeypatch.setattr(quotes, "_remembered", {})
    monkeypatch.setattr(validate, "_records_checked", {})
    monkeypatch.setattr(validate, "_ledgers_read", {})
    load._read_yaml_once.cache_clear()
    return collect(root, dataclasses.replace(read_inputs(root), one_shot=fork))


def _seen(site: Site) -> tuple[str, str, object, dict[str, object]]:
    return site.problems.report("text"), site.stats.summary(), quotes.quote_summary(site), dict(site.quote_checks)


@pytest.fixture
def both_cores(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Fork at any size, and count the forks, so a test knows the other core really took part."""
    made: list[int] = []
    start = forked.Forked.__init__

    def counted(self: forked.Forked[object], work: object) -> None:
        made.append(1)
        start(self, work)  # type: ignore[arg-type]

    monkeypatch.setattr(validate, "FORK_FROM_BYTES", 0)
    monkeypatch.setattr(quotes, "FORK_FROM_CLAIMS", 0)
    monkeypatch.setattr(exports, "FORK_FROM_PAPERS", 0)
    monkeypatch.setattr(build, "TWINS_FORK_FROM_PAGES", 0)
    monkeypatch.setattr(forked.Forked, "__init__", counted)
    return made


def test_both_cores_report_what_one_core_reports(
    corpus: Path, both_cores: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    one = _seen(_collected(corpus, False, monkeypatch))
    assert not both_cores
    two = _seen(_collected(corpus, True, monkeypatch))
    assert len(both_cores) == 2, "records and quotes were each split with a forked process"
    assert two == one
    report = one[0]
    for expected in ("yaml-syntax", "`year`", "claim_status", "2999.99999", "quote-not-found"):
        assert expected in report, expected


@pytest.mark.parametrize("share", [0.1, 0.8])
def test_the_quote_budget_runs_out_where_it_would_on_one_core(
    corpus: Path, both_cores: list[int], monkeypatch: pytest.MonkeyPatch, share: float
) -> None:
    """A budget that runs out in this core's part (0.1) or in the fork's (0.8) stops at the same claim."""
    spent: list[int] = []
    spend = quotes.ScanBudget.spend
    monkeypatch.setattr(quotes.ScanBudget, "spend", lambda self, chars: (spent.append(chars), spend(self, chars)))
    _collected(corpus, False, monkeypatch)
    monkeypatch.setattr(quotes.ScanBudget, "spend", spend)
    monkeypatch.setattr(quotes, "MAX_SCANNED_CHARS", int(sum(spent) * share))
    one = _seen(_collected(corpus, False, monkeypatch))
    two = _seen(_collected(corpus, True, monkeypatch))
    assert "quote-check-limit" in one[0]
    assert two == one
    labels = [check.label for check in one[3].values()]  # type: ignore[attr-defined]
    first_unchecked = labels.index("not checked")
    here = int(len(labels) * quotes.SHARE_HERE)  # the claims this core checks; the fork checks the rest
    assert (first_unchecked < here) == (share < quotes.SHARE_HERE), "the limit falls in the part meant"


def _published(root: Path, fork: bool, monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    """Every file a fresh `kb build` (`one_shot` with `fork`) publishes beside its pages (the data release, the
    JSON twins, redirects, the feed), and the data page, by path."""
    monkeypatch.setattr(build, "_latest", None)
    monkeypatch.setattr(build, "render_cache", build.RenderCache())
    result = build.build(root, dataclasses.replace(read_inputs(root), one_shot=fork))
    assert result.output is not None
    data = {file.path: file.content for file in result.output.files}
    data.update({page.url: page.html.encode() for page in result.output.pages if page.url == exports.DATA_DIR})
    return data


def test_the_release_and_twins_made_by_forks_are_those_made_here(
    corpus: Path, both_cores: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    here = _published(corpus, False, monkeypatch)
    assert not both_cores
    there = _published(corpus, True, monkeypatch)
    assert len(both_cores) == 4, "records, quotes, the release and the twins each had a forked process"
    assert there.keys() == here.keys(), set(there) ^ set(here)
    assert {exports.DATA_DIR, "data/claims.parquet"} <= here.keys()
    assert sum(path.startswith("papers/") and path.endswith("/index.json") for path in here) >= 60, "paper twins"
    assert there == here, [path for path in here if there[path] != here[path]]
    assert list(there) == list(here), "in the same order"


def test_a_failure_in_the_fork_is_raised_here() -> None:
    def fails() -> None:
        raise ValueError("in the fork")

    with forked.Forked(fails) as other, pytest.raises(ValueError, match="in the fork") as raised:
        other.result()
    assert "in fails" in "".join(getattr(raised.value, "__notes__", [])), "the fork's traceback comes along"
    with forked.Forked(lambda: os.kill(os.getpid(), signal.SIGKILL)) as killed, pytest.raises(forked.ForkedError):
        killed.result()


def test_a_fork_whose_result_is_not_asked_for_is_stopped() -> None:
    with forked.Forked(lambda: signal.pause()) as other:
        pid = other._pid
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # already reaped: nothing is left running or waiting
