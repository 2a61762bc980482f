"""`kb build` has Pagefind index the generated pages from their rendered bodies while MkDocs writes the site
(publish/search_early.py): the bundle must hold what indexing the written site holds, page for page and word
for word, and any page MkDocs writes otherwise than its early copy must send the build back to the site's files."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from generator.commands.build import mkdocs_build
from generator.commands.synth import synthesize
from generator.pipeline import build, forked
from generator.pipeline.spool import spool
from generator.publish import search, search_early
from tests.conftest import REPO
from tests.test_search_bundle import read_bundle

pytestmark = pytest.mark.skipif(not forked.can_fork(), reason="this system cannot fork")

OVERRIDE_WORD = "quuxblat"  # no suffix for the stemmer to take off


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("early") / "kb"
    synthesize(REPO, root, papers=24, claims=120, seed=4)
    (root / "content" / "about.md").write_text("# About\n\nA hand-written page on zanzibarite.\n", encoding="utf-8")
    return root


def _built(project: Path, site: Path, monkeypatch: pytest.MonkeyPatch, *, early: bool) -> dict[str, Any]:
    """A fresh in-process `kb build` (batches of 5 pages), its search bundle read back by URL; with `early`, the
    bundle must come from the early index, the site's files never indexed again."""
    monkeypatch.setattr(build, "_latest", None)
    monkeypatch.setattr(search, "PAGES_PER_INDEX", 5)
    monkeypatch.setattr(search_early, "EARLY_FROM_PAGES", 0 if early else 10**9)
    from_files: list[Path] = []
    monkeypatch.setattr(search, "_index", _recording(search._index, from_files))
    assert mkdocs_build(project, strict=False, site_dir=str(site)) == 0
    assert bool(from_files) != early, "indexed from the site's files" if early else "indexed early"
    return read_bundle(site / search.BUNDLE_DIR)


def _recording(index: Callable[[Path, Path], Any], calls: list[Path]) -> Callable[[Path, Path], Any]:
    def recorded(site_dir: Path, bundle: Path) -> Any:
        calls.append(site_dir)
        return index(site_dir, bundle)

    return recorded


def test_the_early_index_is_the_index_of_the_written_site(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    early = _built(project, tmp_path / "early", monkeypatch, early=True)
    from_files = _built(project, tmp_path / "files", monkeypatch, early=False)

    assert early == from_files
    fragments = early["fragments"]
    assert "/about/" in fragments and "zanzibarit" in early["words"], "a hand-written page is indexed too"
    papers = [url for url in fragments if url.startswith("/papers/")]
    assert len(papers) >= 24 and not any(url.startswith("/claims/") for url in fragments)
    assert not _left_behind(tmp_path), "a temporary folder was left behind"


def test_a_page_written_otherwise_than_indexed_sends_the_build_back_to_the_files(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A theme override that adds to the indexed part of every page: the early copies lack it, so they must not
    be what readers search."""
    changed = tmp_path / "kb"
    _copy_project(project, changed)
    main = changed / "overrides" / "main.html"
    bundled = "<div data-pagefind-body>{{ super() }}</div>"
    assert bundled in main.read_text(encoding="utf-8")
    main.write_text(
        main.read_text(encoding="utf-8").replace(
            bundled, f"<div data-pagefind-body>{{{{ super() }}}}<p>{OVERRIDE_WORD}</p></div>"
        ),
        encoding="utf-8",
    )
    monkeypatch.setattr(build, "_latest", None)
    monkeypatch.setattr(search_early, "EARLY_FROM_PAGES", 0)
    caplog.set_level("INFO", logger="mkdocs")
    assert mkdocs_build(changed, strict=False, site_dir=str(tmp_path / "site")) == 0

    index = read_bundle(tmp_path / "site" / search.BUNDLE_DIR)
    with_word = set(index["words"][OVERRIDE_WORD][0])
    assert {url for url in index["fragments"] if url.startswith("/papers/")} <= with_word
    assert "was not written as it was indexed; indexing the site again" in caplog.text
    assert not _left_behind(tmp_path)


def test_a_build_that_fails_after_the_early_start_leaves_nothing_running_or_behind(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The theme drops the generated body: MkDocs stops at the first page, with the early index running."""
    broken = tmp_path / "kb"
    _copy_project(project, broken)
    main = broken / "overrides" / "main.html"
    main.write_text(main.read_text(encoding="utf-8").replace("{{ super() }}</div>", "</div>"), encoding="utf-8")
    monkeypatch.setattr(build, "_latest", None)
    monkeypatch.setattr(search_early, "EARLY_FROM_PAGES", 0)
    started: list[search_early.EarlyIndex] = []
    real_init = search_early.EarlyIndex.__init__

    def recorded(self: search_early.EarlyIndex, *args: Any) -> None:
        real_init(self, *args)
        started.append(self)

    monkeypatch.setattr(search_early.EarlyIndex, "__init__", recorded)
    assert mkdocs_build(broken, strict=False, site_dir=str(tmp_path / "site")) != 0
    assert started, "the early index never started, so this tests nothing"
    with pytest.raises(ChildProcessError):
        os.waitpid(started[0]._fork._pid, os.WNOHANG)  # reaped: not running, not waiting
    assert not _left_behind(tmp_path)
    assert not [p for p in search.copies_dir(tmp_path / "site").glob(f"{search.COPIES_PREFIX}{os.getpid()}-*")]


def _copy_project(project: Path, target: Path) -> None:
    shutil.copytree(project, target, ignore=shutil.ignore_patterns("site"))


def _left_behind(folder: Path) -> list[str]:
    return [path.name for path in folder.iterdir() if path.name.startswith(".") and "pagefind" in path.name]


@pytest.mark.parametrize("body", ["<p>Zoë’s routing</p>", "<p>a lone \ud800 surrogate</p>", ""])
def test_a_copy_holds_the_bytes_mkdocs_writes(body: str) -> None:
    """MkDocs writes UTF-8 with a lone surrogate as a character reference; the copy is read from the spool."""
    written = search_early.indexed_part(body).encode("utf-8", errors="xmlcharrefreplace")
    assert search_early.indexed_bytes(spool().write_text(body)) == written


def test_without_a_fork_the_site_is_indexed_once_written(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No process can be forked (a limit reached): the build goes on, and searches what it wrote."""

    def refused(self: forked.Forked[Any], work: Any) -> None:
        raise BlockingIOError("fork: resource temporarily unavailable")

    monkeypatch.setattr(forked.Forked, "__init__", refused)
    monkeypatch.setattr(search_early, "EARLY_FROM_PAGES", 0)
    monkeypatch.setattr(build, "_latest", None)
    assert mkdocs_build(project, strict=False, site_dir=str(tmp_path / "site")) == 0
    index = read_bundle(tmp_path / "site" / search.BUNDLE_DIR)
    assert "/about/" in index["fragments"] and any(url.startswith("/papers/") for url in index["fragments"])
    assert not _left_behind(tmp_path)
