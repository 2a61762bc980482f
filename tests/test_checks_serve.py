"""`kb serve` rebuilds reuse the last build's URL and correction checks only while nothing they read changed.

Each rebuild here runs in the process of the build before it, as under `kb serve`; its problems (every one, in
the order they were added, and the report with its follow-on counts) must be those of a fresh process.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from generator.model.site import Site
from generator.pipeline import listings
from generator.pipeline.build import collect, read_inputs
from generator.publish import corrections, permanence, quotes
from generator.publish.permanence import LOCK_NAME
from tests.helpers import forget_builds
from tests.test_permanence import commit_all, edit

LEDGER = Path("ledgers") / "fixture.csv"


def _reported(site: Site) -> tuple[Any, ...]:
    """Every problem in the order the checks added it, and the report a contributor reads."""
    return site.problems.since(0), site.problems.report()


def _codes(site: Site) -> list[str]:
    return [problem.code for problem in site.problems]


def _count_calls(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> list[int]:
    calls: list[int] = []
    real = getattr(module, name)

    def counted(*args: Any) -> Any:
        calls.append(1)
        return real(*args)

    monkeypatch.setattr(module, name, counted)
    return calls


def _rebuild_and_compare(root: Path, monkeypatch: pytest.MonkeyPatch) -> Site:
    """Check `root` in this process, then in a fresh one: the same problems, or the reuse was wrong."""
    rebuilt = collect(root, read_inputs(root))
    forget_builds(monkeypatch)
    fresh = collect(root, read_inputs(root))
    assert _reported(rebuilt) == _reported(fresh)
    return rebuilt


def _edit_title(root: Path) -> None:
    edit(
        root / "records" / "papers" / "2402.00003.yaml", 'title: "Comparing Routers', 'title: "Comparing Edited Routers'
    )


def _drop_row(root: Path, needle: str) -> None:
    ledger = root / LEDGER
    lines = ledger.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [line for line in lines if needle not in line]
    assert len(kept) == len(lines) - 1, needle
    ledger.write_text("".join(kept), encoding="utf-8")


def _remove_paper(root: Path) -> None:
    (root / "records" / "papers" / "2403.00004.yaml").unlink()


def _remove_claim(root: Path) -> None:
    _drop_row(root, "The dense baseline matches the sparse layer")


def _remove_corrected_claim(root: Path) -> None:
    """The row of a claim that a published correction event names: the event now names an unknown claim."""
    _drop_row(root, "The router sends each token to two experts.")


def _rename_without_alias(root: Path) -> None:
    source = root / "records" / "papers" / "2401.00002.yaml"
    edit(source, 'id: "2401.00002"', 'id: "2401.00012"')
    source.rename(source.with_name("2401.00012.yaml"))
    ledger = root / LEDGER
    ledger.write_text(ledger.read_text(encoding="utf-8").replace("2401.00002v2,", "2401.00012v2,"), encoding="utf-8")
    edit(root / "records" / "papers" / "2402.00003.yaml", 'target: "2401.00002"', 'target: "2401.00012"')


def _renumber_claim(root: Path) -> None:
    """Only the claim's id changes: the same row, paper and statement."""
    edit(root / LEDGER, ",c-f1000006", ",c-f1000096")


def _drop_alias(root: Path) -> None:
    edit(root / "records" / "papers" / "2402.00003.yaml", 'aliases: ["2402.09999"]\n', "")


def _unlock(root: Path) -> None:
    edit(root / LOCK_NAME, "papers/2403.00004/\n", "")


class _Reads:
    """A site (or its corpus) that notes which of its fields are read."""

    def __init__(self, inner: Any, seen: set[str], prefix: str = "") -> None:
        self._inner, self._seen, self._prefix = inner, seen, prefix

    def __getattr__(self, name: str) -> Any:
        self._seen.add(self._prefix + name)
        value = getattr(self._inner, name)
        return _Reads(value, self._seen, "corpus.") if name == "corpus" else value


DERIVED = {
    "papers": {"corpus.papers"},
    "descendants": {"children"},
    "category_papers": {"children", "papers_by_category", "corpus.categories"},
}
"""Site members made from fields: what they read, which `planning_inputs` must hold."""


def test_the_reuse_key_holds_every_field_url_planning_reads(fixture_project: Path) -> None:
    """A new input of the planned URLs (a field `url_state` or a listing reads) must join `planning_inputs`."""
    site = collect(fixture_project, read_inputs(fixture_project))
    planned: set[str] = set()
    permanence.url_state(_Reads(site, planned))  # type: ignore[arg-type]
    permanence.unloaded_urls(_Reads(site, planned))  # type: ignore[arg-type]
    keyed: set[str] = set()
    permanence.planning_inputs(_Reads(site, keyed))  # type: ignore[arg-type]
    fields = {source for name in planned for source in DERIVED.get(name, {name})}
    assert fields <= keyed, fields - keyed


def test_an_edit_that_moves_no_url_reuses_the_url_check(fixture_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    forget_builds(monkeypatch)
    planned = _count_calls(monkeypatch, permanence, "url_state")
    before = collect(fixture_project, read_inputs(fixture_project))
    assert len(planned) == 1 and not before.problems.errors, before.problems.report()

    _edit_title(fixture_project)
    rebuilt = _rebuild_and_compare(fixture_project, monkeypatch)
    assert rebuilt.title_of("2402.00003").startswith("Comparing Edited Routers")
    assert len(planned) == 2, "the rebuild planned the URLs again, though a title moves none (the fresh one must)"


def test_an_edit_to_a_claims_statement_reuses_the_url_check(
    fixture_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ledger edit makes every claim of that ledger a new object, but of a claim the URLs read only its id,
    paper, ledger and row: a new statement plans no URL again."""
    forget_builds(monkeypatch)
    planned = _count_calls(monkeypatch, permanence, "url_state")
    collect(fixture_project, read_inputs(fixture_project))
    old, new = (
        "The router sends each token to two experts.,supported",
        "The router sends every token to two experts.,supported",
    )
    edit(fixture_project / LEDGER, old, new)
    rebuilt = _rebuild_and_compare(fixture_project, monkeypatch)
    assert any(claim.claim.startswith("The router sends every token") for claim in rebuilt.corpus.claims)
    assert len(planned) == 2, "the rebuild planned the URLs again, though a statement moves none (the fresh one must)"


@pytest.mark.parametrize(
    ("change", "lost", "unlocked"),
    [
        (_remove_paper, ["papers/2403.00004/"], []),
        (_remove_claim, ["claims/c-f1000006/", "papers/2402.00003/#c-f1000006", "papers/2402.09999/#c-f1000006"], []),
        (_remove_corrected_claim, ["claims/c-f1000001/", "papers/2401.00001/#c-f1000001"], []),
        (_rename_without_alias, ["papers/2401.00002/", "papers/2401.00002/#c-f1000004"], ["papers/2401.00012/"]),
        (_drop_alias, ["papers/2402.09999/", "papers/2402.09999/#c-f1000006"], []),
        (_renumber_claim, ["claims/c-f1000006/", "papers/2402.00003/#c-f1000006"], ["claims/c-f1000096/"]),
        (_unlock, [], ["papers/2403.00004/"]),
    ],
)
def test_an_edit_that_moves_urls_is_reported_as_by_a_fresh_build(
    fixture_project: Path,
    monkeypatch: pytest.MonkeyPatch,
    change: Callable[[Path], None],
    lost: list[str],
    unlocked: list[str],
) -> None:
    forget_builds(monkeypatch)
    before = collect(fixture_project, read_inputs(fixture_project))
    assert not {"url-lost", "url-unlocked"} & set(_codes(before)), before.problems.report()
    saved = {path: path.read_bytes() for path in fixture_project.rglob("*") if path.is_file()}

    change(fixture_project)
    rebuilt = _rebuild_and_compare(fixture_project, monkeypatch)
    messages = [problem.message for problem in rebuilt.problems if problem.code == "url-lost"]
    assert len(messages) >= len(lost) and all(any(f"`{url}`" in m for m in messages) for url in lost), messages
    warned = " ".join(problem.message for problem in rebuilt.problems if problem.code == "url-unlocked")
    assert all(f"`{url}`" in warned for url in unlocked), warned

    for path in {path for path in fixture_project.rglob("*") if path.is_file()} - set(saved):  # a renamed file
        path.unlink()
    for path, content in saved.items():
        path.write_bytes(content)
    restored = collect(fixture_project, read_inputs(fixture_project))  # in the process that saw the change
    assert _reported(restored) == _reported(before)


def test_a_listing_that_gains_a_page_is_reported_as_by_a_fresh_build(
    fixture_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A category listing's pages follow the papers filed under it: moving one paper moves no record URL but adds
    a listing page (not locked yet) and shortens another listing (whose last page stays, retired)."""
    monkeypatch.setattr(listings, "PAGE_SIZE", 1)
    forget_builds(monkeypatch)
    before = collect(fixture_project, read_inputs(fixture_project))
    edit(fixture_project / "records" / "papers" / "2403.00004.yaml", '["fixture-training"]', '["fixture-top-k"]')
    rebuilt = _rebuild_and_compare(fixture_project, monkeypatch)
    assert _reported(rebuilt) != _reported(before)


def test_a_citation_that_adds_a_cited_by_page_is_reported_as_by_a_fresh_build(
    fixture_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A paper cited by more papers than its page lists gets a cited-by listing: a new URL, from a new citation."""
    monkeypatch.setattr(listings, "CITED_BY_SHOWN", 0)
    forget_builds(monkeypatch)
    before = collect(fixture_project, read_inputs(fixture_project))
    assert "papers/2402.00003/cited-by/" not in before.problems.report()
    edit(
        fixture_project / "records" / "papers" / "2403.00004.yaml",
        "    polarity: neutral\n",
        '    polarity: neutral\n  - target: "2402.00003"\n    role: comparison\n',
    )
    rebuilt = _rebuild_and_compare(fixture_project, monkeypatch)
    assert "`papers/2402.00003/cited-by/`" in rebuilt.problems.report()


# --- against the published base --------------------------------------------------------------------


def _publish(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Commit the project as it is: the base the checks compare with. Then start a fresh process."""
    commit_all(root)
    monkeypatch.setenv("KB_BASE_REF", "HEAD")
    forget_builds(monkeypatch)


def test_the_comparison_with_the_base_is_reused_only_while_syntheses_and_claims_are_unchanged(
    fixture_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _publish(fixture_project, monkeypatch)
    loaded = _count_calls(monkeypatch, corrections, "load_base_corpus")
    before = collect(fixture_project, read_inputs(fixture_project))
    assert len(loaded) == 1 and "claim-change-uncorrected" not in _codes(before), before.problems.report()

    _edit_title(fixture_project)
    _rebuild_and_compare(fixture_project, monkeypatch)
    assert len(loaded) == 2, "the rebuild compared with the base again, though no synthesis or claim changed"

    edit(
        fixture_project / LEDGER,
        "The router sends each token to two experts.,",
        "The router sends each token to one expert.,",
    )
    rebuilt = _rebuild_and_compare(fixture_project, monkeypatch)
    assert len(loaded) == 4
    assert "claim-change-uncorrected" in _codes(rebuilt)


def test_a_lock_line_removed_since_the_base_is_reported_as_by_a_fresh_build(
    fixture_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _publish(fixture_project, monkeypatch)
    before = collect(fixture_project, read_inputs(fixture_project))
    assert "url-lock-line-removed" not in _codes(before)
    lock = (fixture_project / LOCK_NAME).read_text(encoding="utf-8")
    _unlock(fixture_project)
    rebuilt = _rebuild_and_compare(fixture_project, monkeypatch)
    assert "url-lock-line-removed" in _codes(rebuilt)
    (fixture_project / LOCK_NAME).write_text(lock, encoding="utf-8")
    restored = collect(fixture_project, read_inputs(fixture_project))
    assert "url-lock-line-removed" not in _codes(restored)


def test_a_one_shot_build_keeps_no_check_for_a_rebuild(fixture_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`kb build` and `kb validate` run once (`BuildOptions.one_shot`): what only a rebuild would reuse (the URL check
    with its inputs, each ledger's quote checks) is not kept, so it holds no memory while they run."""
    forget_builds(monkeypatch)
    site = collect(fixture_project, dataclasses.replace(read_inputs(fixture_project), one_shot=True))
    assert site.quote_checks and "url-lost" not in _codes(site)
    assert permanence._last_check is None
    assert quotes._last.runs == {} and quotes._last.checks == ([], {})
