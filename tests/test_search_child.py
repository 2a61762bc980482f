"""`kb serve` indexes search in a child process at the lowest CPU priority, never in a server thread.

The bundle join is seconds of pure Python at 10,000 papers: in a thread it held the server's GIL
while the next rebuild waited. Here the child is run as `kb serve` runs it: its report and bundle are
the ones `index_site` gives in-process, a failure comes back as the error Pagefind's run reported,
and a child stopped mid-index (the server exits) leaves no half-written bundle or temporary folder.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from generator.publish import search
from tests.test_search_bundle import page, read_bundle, site  # noqa: F401  (site is a fixture)


def test_the_child_writes_the_bundle_index_site_writes(site: Path, tmp_path: Path) -> None:  # noqa: F811
    report = search.index_in_child(site)
    assert (report.pages, report.files_read, report.batches) == (7, 8, 1)
    from_child = read_bundle(site / search.BUNDLE_DIR)
    search.index_site(site)
    assert from_child == read_bundle(site / search.BUNDLE_DIR)
    assert "/papers/a/" in from_child["fragments"]


def test_a_failure_in_the_child_is_the_error_index_site_reports(site: Path) -> None:  # noqa: F811
    """A page removed by a rebuild while it is indexed (here: a link to nothing) is reported, not a traceback."""
    (site / "papers" / "g").mkdir()
    (site / "papers" / "g" / "index.html").symlink_to(site / "gone.html")
    with pytest.raises(
        search.SearchIndexError, match=r"^Pagefind could not index .*: \[Errno 2\].*papers/g/index\.html"
    ):
        search.index_in_child(site)
    assert not (site / search.BUNDLE_DIR).exists()


def test_the_child_runs_at_the_lowest_priority_and_cleans_up_when_stopped(tmp_path: Path) -> None:
    """Stopped mid-index (Ctrl-C, then SIGTERM from the server's exit handler), the child removes its work folders."""
    big_site = tmp_path / "site"
    words = " ".join(f"word{n}" for n in range(2000))
    for number in range(150):
        (big_site / "papers" / str(number)).mkdir(parents=True)
        (big_site / "papers" / str(number) / "index.html").write_text(page(f"Paper {number}", f"<p>{words}</p>"))
    child = subprocess.Popen([sys.executable, "-m", "generator.publish.search", str(big_site)], stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while not [p for p in tmp_path.iterdir() if p.name.startswith(".")] and time.monotonic() < deadline:
            time.sleep(0.01)
        assert os.getpriority(os.PRIO_PROCESS, child.pid) == 19
        child.send_signal(signal.SIGINT)  # Ctrl-C reaches the child, then the server's exit handler stops it:
        while child.poll() is None and time.monotonic() < deadline:  # a signal during the cleanup must not cut it
            child.terminate()
            time.sleep(0.002)
        assert child.wait(timeout=60) != 0, "the child finished before it was stopped: give it more pages"
    finally:
        child.kill()
    assert not (big_site / search.BUNDLE_DIR).exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "a temporary folder was left behind"
    assert not list(search.MEMORY_DIR.glob(f"{search.COPIES_PREFIX}{child.pid}-*")), "page copies were left in memory"


@pytest.mark.parametrize("made", [1, 2, 3], ids=["new bundle", "batch bundles", "page copies"])
def test_a_stop_right_after_a_work_folder_is_made_leaves_nothing_behind(
    site: Path,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    made: int,
) -> None:
    """A stop signal is an exception raised between any two steps of the child, also right after a folder is made
    and before the code that removes it is reached. A child at the lowest priority is often descheduled right
    there, as it returns from the system call, while the server (or the test above) sends its signal."""
    mkdir = os.mkdir
    folders: list[str] = []

    def mkdir_then_stop(path: str, *args: object, **kwargs: object) -> None:
        mkdir(path, *args, **kwargs)  # type: ignore[arg-type]
        folders.append(path)
        if len(folders) == made:
            raise SystemExit(128 + signal.SIGTERM)

    monkeypatch.setattr(os, "mkdir", mkdir_then_stop)
    with pytest.raises(SystemExit):
        search.index_site(site)
    monkeypatch.undo()
    assert len(folders) == made
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "a temporary folder was left behind"
    assert not list(search.MEMORY_DIR.glob(f"{search.COPIES_PREFIX}{os.getpid()}-*")), "page copies were left"
