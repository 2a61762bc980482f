"""`kb serve` reuses the data release, the feed and the heads of its last build: after each edit, a rebuild in the
same process gives exactly the files of a fresh `kb build`, and leaves alone what the edit did not touch."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import pytest

from generator.pipeline import build
from generator.pipeline.build import BuildOptions, build_site, read_inputs
from generator.pipeline.cache import RenderCache
from generator.pipeline.render import Output
from generator.publish import exports

TITLED = "2402.00003"


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, (path, old)
    path.write_text(text.replace(old, new), encoding="utf-8")


def _title(root: Path) -> str:
    _replace(
        root / "records" / "papers" / f"{TITLED}.yaml", 'title: "Comparing Routers', 'title: "Comparing Edited Routers'
    )
    return "Comparing Edited Routers"


def _report(root: Path) -> str:
    """An outside source's report and a flagged title: rows of the source tables, which no fixture paper has."""
    report = (
        'reported:\n  - source: Pith\n    labels: ["fixture hub"]\n    statements: ["Cited as background."]\n'
        'source_flags:\n  title:\n    truncated: "The fixture source cuts it off."\n'
    )
    _replace(root / "records" / "papers" / "2401.00001.yaml", 'added: "2026-01-05"\n', f'added: "2026-01-05"\n{report}')
    return "The fixture source cuts it off."


def _role(root: Path) -> str:
    _replace(root / "records" / "papers" / "2401.00002.yaml", "role: method-basis", "role: extension")
    return "2401.00002,2401.00001,extension,"  # the citations table's row (roles are named elsewhere too)


def _quote(root: Path) -> str:
    _replace(
        root / "ledgers" / "fixture.csv", "It halves compute at equal quality.", "Compute halves at equal quality."
    )
    return "Compute halves at equal quality."


def _delete_row(root: Path) -> str:
    ledger = root / "ledgers" / "fixture.csv"
    lines = ledger.read_text(encoding="utf-8").splitlines(keepends=True)
    ledger.write_text("".join(lines[:-1]), encoding="utf-8")
    return lines[-1].rstrip().rsplit(",", 1)[1]  # the deleted claim's id, gone from the claims table


EDITS: list[Callable[[Path], str]] = [_title, _report, _role, _quote, _delete_row]


def _two_ledgers(root: Path) -> None:
    """The fixture's claims in two ledgers, so that the claims table has row groups to keep and to make again."""
    ledger = root / "ledgers" / "fixture.csv"
    header, *rows = ledger.read_text(encoding="utf-8").splitlines(keepends=True)
    moved = [row for row in rows if row.startswith("2401.00002v2,")]
    assert moved
    (root / "ledgers" / "extra.csv").write_text(header + "".join(moved), encoding="utf-8")
    ledger.write_text(header + "".join(row for row in rows if row not in moved), encoding="utf-8")


def _published(output: Output) -> dict[str, Any]:
    """What a reader gets of the data release, the feed and the heads: every file's bytes, the data page listing
    them, and every page's head."""
    files = {
        file.path: file.content for file in output.files if file.path.startswith("data/") or file.path == "feed.xml"
    }
    files |= {page.url: page.html.encode() for page in output.pages if page.url == exports.DATA_DIR}
    return {"files": files, "heads": {page.url: page.head for page in output.pages}}


def _enter(monkeypatch: pytest.MonkeyPatch, cache: RenderCache) -> None:
    """Build with the caches `cache` holds, as the process that made them (a new `RenderCache`: a new process)."""
    monkeypatch.setattr(build, "render_cache", cache)
    monkeypatch.setattr(build, "_latest", None)


def _full_build(root: Path, options: BuildOptions, monkeypatch: pytest.MonkeyPatch) -> Output:
    """`kb build` of the tree as it is now, in a process of its own."""
    _enter(monkeypatch, RenderCache())
    return build_site(root, dataclasses.replace(options, one_shot=True))[1]


def test_every_rebuild_after_an_edit_publishes_what_a_full_build_does(
    fixture_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Edits one after another in one serving process: a title, an outside source's report, a citation's role, a
    claim's quote, a deleted ledger row. After each, the release, the feed and every head equal those of a fresh full build."""
    _two_ledgers(fixture_project)
    options = read_inputs(fixture_project)
    serving = RenderCache()
    _enter(monkeypatch, serving)
    before = _published(build_site(fixture_project, options)[1])
    for edit in EDITS:
        shown = edit(fixture_project)
        _enter(monkeypatch, serving)
        rebuilt = _published(build_site(fixture_project, options)[1])
        full = _published(_full_build(fixture_project, options, monkeypatch))
        assert rebuilt == full, edit.__name__
        assert rebuilt["files"] != before["files"], edit.__name__
        release = b"".join(content for path, content in rebuilt["files"].items() if path.startswith("data/"))
        assert (shown.encode() in release) == (edit is not _delete_row), edit.__name__
        before = rebuilt
    assert b"Comparing Edited Routers" in before["files"]["feed.xml"]
    assert b"Comparing Edited Routers" in before["files"]["data/citations-cito.ttl"]


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, list[Any]]]:
    """The groups of rows each table makes, and the tables written, as they happen."""
    calls: dict[str, list[Any]] = {"rows": [], "written": [], "turtle": []}

    def counting(source: exports.TableSource) -> exports.TableSource:
        def rows(site: Any, key: Any, inputs: Any) -> list[dict[str, Any]]:
            calls["rows"].append((source.name, key))
            return source.rows(site, key, inputs)

        return dataclasses.replace(source, rows=rows)

    real_csv, real_parts = exports.table_csv, exports._turtle_parts

    def table_csv(table: exports.Table, out: BinaryIO) -> None:
        calls["written"].append(table.name)
        real_csv(table, out)

    def turtle_parts(*args: Any) -> exports.KnownTurtle:
        calls["turtle"].append(args)
        return real_parts(*args)

    monkeypatch.setattr(exports, "TABLES", tuple(map(counting, exports.TABLES)))
    monkeypatch.setattr(exports, "table_csv", table_csv)
    monkeypatch.setattr(exports, "_turtle_parts", turtle_parts)
    yield calls


def test_a_rebuild_makes_and_writes_only_the_rows_and_tables_an_edit_changed(
    fixture_project: Path, monkeypatch: pytest.MonkeyPatch, counted: dict[str, list[Any]]
) -> None:
    """A title edit makes the rows of the edited paper only, writes the papers table only (its other rows from the
    text kept), and states no citation again; a rebuild with no edit makes and writes nothing."""
    _two_ledgers(fixture_project)
    options = read_inputs(fixture_project)
    _enter(monkeypatch, RenderCache())
    build_site(fixture_project, options)
    assert {"claims", "citations", "papers"} <= set(counted["written"]) and counted["turtle"]
    for calls in counted.values():
        calls.clear()

    _title(fixture_project)
    build_site(fixture_project, options)
    assert counted["rows"] == [("papers", TITLED)]
    assert counted["written"] == ["papers"]
    assert counted["turtle"] == []
    for calls in counted.values():
        calls.clear()

    (fixture_project / "content" / "touched.md").write_text("# Touched\n", encoding="utf-8")  # a rebuild, no record
    build_site(fixture_project, options)
    assert counted == {"rows": [], "written": [], "turtle": []}
