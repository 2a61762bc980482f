"""`kb serve` keeps what it read and made between rebuilds (parsed records and ledgers, schema checks, citations,
heads, data-release tables, pages); after any edit a rebuild must give what a fresh `kb generate` process gives,
pages, files and problems alike."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from generator.pipeline.build import Build, build, read_inputs, write_generated
from generator.pipeline.render import RenderedPage
from tests.helpers import kb

PAPER = Path("records/papers/2402.00003.yaml")
LEDGER = Path("ledgers/fixture.csv")


def _replace(root: Path, file: Path, old: str, new: str) -> None:
    path = root / file
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is no longer in {file}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _edit_title(root: Path) -> None:
    _replace(root, PAPER, 'title: "Comparing Routers', 'title: "Comparing Edited Routers')


def _edit_ledger_row(root: Path) -> None:
    _replace(root, LEDGER, "2401.00001v1,The router sends each token", "2401.00001v1,The router sends every token")


def _add_paper(root: Path) -> None:
    text = (root / "records/papers/2404.00005.yaml").read_text(encoding="utf-8")
    assert 'id: "2404.00005"' in text
    (root / "records/papers/2405.00006.yaml").write_text(text.replace('"2404.00005"', '"2405.00006"'), "utf-8")


def _delete_external(root: Path) -> None:
    (root / "records/external/ext-fixture-report.yaml").unlink()


def _edit_taxonomy(root: Path) -> None:
    _replace(root, Path("records/taxonomy.yaml"), "title: Top-k routing", "title: Top-k expert routing")


def _lock_a_lost_url(root: Path) -> None:
    with (root / "urls.lock").open("a", encoding="utf-8") as lock:
        lock.write("papers/2409.99999/\n")


def _break_a_record(root: Path) -> None:
    _replace(root, PAPER, "year: 2024", 'year: "twenty twenty-four"')


EDITS: dict[str, Callable[[Path], None]] = {
    "a paper's title": _edit_title,
    "a ledger row": _edit_ledger_row,
    "a new paper file": _add_paper,
    "a deleted file": _delete_external,
    "the taxonomy": _edit_taxonomy,
    "urls.lock": _lock_a_lost_url,
    "a record made invalid": _break_a_record,
}


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("edit", EDITS.values(), ids=EDITS.keys())
def test_a_warm_rebuild_after_an_edit_gives_what_a_fresh_process_gives(
    edit: Callable[[Path], None], fixture_project: Path, tmp_path: Path
) -> None:
    options = read_inputs(fixture_project)
    build(fixture_project, options)  # every cache of this process now holds the tree before the edit
    edit(fixture_project)
    rebuilt = build(fixture_project, options)
    fresh = kb(fixture_project, "generate", "--out", str(tmp_path / "fresh"))

    report = rebuilt.problems.report()
    assert report in fresh.stderr  # every problem, in the same order (cause first), as a fresh run reports it
    assert (fresh.returncode != 0) == rebuilt.failed, fresh.stderr
    if not rebuilt.failed:
        assert rebuilt.output is not None
        write_generated(rebuilt.site, tmp_path / "warm", rebuilt.output)
        assert _tree(tmp_path / "warm") == _tree(tmp_path / "fresh")


def test_a_problem_stays_reported_on_every_rebuild_until_it_is_fixed(fixture_project: Path) -> None:
    """Problems of files that were not read again are replayed, not lost, and go once the file is fixed."""
    options = read_inputs(fixture_project)
    _break_a_record(fixture_project)
    first = build(fixture_project, options).problems.report()
    assert "2402.00003.yaml" in first and "year" in first
    _edit_ledger_row(fixture_project)  # another file changes: the broken record is not read again
    assert build(fixture_project, options).problems.report() == first
    _replace(fixture_project, PAPER, 'year: "twenty twenty-four"', "year: 2024")
    assert "2402.00003.yaml" not in build(fixture_project, options).problems.report()


def test_a_page_that_comes_back_shows_what_changed_while_it_was_gone(fixture_project: Path, tmp_path: Path) -> None:
    """Rebuilds compare each build with the one before: a page missing from some builds (its record did not
    load) must not come back with what it showed before it went."""
    options = read_inputs(fixture_project)
    external = Path("records/external/ext-fixture-report.yaml")  # its page lists its citer's title
    citer = Path("records/papers/2401.00002.yaml")
    build(fixture_project, options)
    _replace(fixture_project, external, "year: 2020", 'year: "twenty twenty"')
    assert "works/fixture-report/" not in {page.url for page in _pages(build(fixture_project, options))}
    _replace(fixture_project, citer, 'title: "Routing Under Load', 'title: "Routing Under Heavy Load')
    build(fixture_project, options)
    _replace(fixture_project, external, 'year: "twenty twenty"', "year: 2020")
    rebuilt = build(fixture_project, options)
    fresh = kb(fixture_project, "generate", "--out", str(tmp_path / "fresh"))

    assert not rebuilt.failed and fresh.returncode == 0, fresh.stderr
    page = (tmp_path / "fresh" / "works" / "fixture-report" / "index.html").read_text(encoding="utf-8")
    assert "Routing Under Heavy Load" in page
    assert rebuilt.output is not None
    write_generated(rebuilt.site, tmp_path / "warm", rebuilt.output)
    assert _tree(tmp_path / "warm") == _tree(tmp_path / "fresh")


def _pages(result: Build) -> list[RenderedPage]:
    assert result.output is not None
    return result.output.pages
