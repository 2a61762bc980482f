"""`kb serve` hears edits through the system's file events, and only edits: reading a file is no change.

A rebuild opens the templates, content pages and mkdocs.yml that the server watches; had those opens
counted, every rebuild would start the next and reload the browser again, without end (and a browser
search typed between two reloads never got its results). A server stopped by SIGTERM, as tests and
supervisors stop it, leaves nothing in the temporary folder.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from mkdocs.livereload import LiveReloadServer

from generator.cli import _file_change_events
from tests.helpers import free_port, start_serve

PAPER = "papers/2503.23007/"
LIVERELOAD = re.compile(r"livereload\((\d+), \d+\)")  # the epoch MkDocs' script in each page polls with


def _get(url: str, timeout: float = 60.0) -> str:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return str(response.read().decode("utf-8"))


def _wait_for(url: str, text: str, timeout: float = 120.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            page = _get(url, timeout=10)
            if text in page:
                return page
        except OSError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{url} never showed {text!r}")


def _next_reload(base: str, epoch: int, timeout: float) -> int | None:
    """The epoch a page showing `epoch` is told to reload to, as its live-reload script asks (at the server's root,
    whatever site_url's path); None if the server has nothing newer within `timeout`."""
    origin = base[: base.index("/", len("http://"))]
    try:
        return int(_get(f"{origin}/livereload/{epoch}/{time.monotonic_ns()}", timeout=timeout))
    except TimeoutError:  # the server held the request: nothing new
        return None


def _reloads(base: str, epoch: int, seconds: float) -> list[int]:
    """Every reload a page showing `epoch` is told of within `seconds`."""
    epochs: list[int] = []
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0 and (reload := _next_reload(base, epoch, left)) is not None:
        epochs.append(epoch := reload)
    return epochs


@pytest.fixture
def server(project: Path, tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], str, Path]]:
    """`kb serve` on a copy of the bundled project, with a temporary folder of its own; stopped by SIGTERM."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    port = free_port()
    process = start_serve(project, port, env={**os.environ, "TMPDIR": str(temp)})
    try:
        yield process, f"http://127.0.0.1:{port}/evidence-ledger/", temp
    finally:
        process.terminate()
        process.wait(timeout=60)


def test_an_edit_reloads_the_browser_once(server: tuple[subprocess.Popen[str], str, Path], project: Path) -> None:
    process, base, _ = server
    page = _wait_for(base + PAPER, "S2MoE")
    if sys.platform == "linux":  # listening, not polling: an inotify instance among the server's open files
        fds = Path(f"/proc/{process.pid}/fd")
        assert "anon_inode:inotify" in {os.readlink(fd) for fd in fds.iterdir()}, "the server polls for changes"
    match = LIVERELOAD.search(page)
    assert match, "no live-reload script in the served page"
    ledger = project / "ledgers" / "moe-ffn.csv"
    ledger.write_text(ledger.read_text(encoding="utf-8").replace("TopK setting.", "TopK setting (edited)."))
    reload = _next_reload(base, int(match.group(1)), timeout=60)
    assert reload is not None, "the edit never reloaded the page"
    _wait_for(base + PAPER, "TopK setting (edited).", timeout=10)
    again = _reloads(base, reload, seconds=8)
    # A save seen in two parts (a poll between truncating and writing) may rebuild once more; a rebuild that
    # sets off the next rebuilds and reloads the page every second, with no edit.
    assert len(again) <= 1, f"without an edit the page was reloaded {len(again)} more times in 8 s"


def test_a_stopped_server_leaves_nothing_behind(server: tuple[subprocess.Popen[str], str, Path]) -> None:
    """MkDocs' site (2.6 GB at 10,000 papers), the spool and the search index's work folders are removed."""
    process, base, temp = server
    _wait_for(base + PAPER, "S2MoE")
    process.terminate()
    process.wait(timeout=60)
    assert sorted(path.name for path in temp.iterdir()) == []


def test_reading_is_no_change_and_every_kind_of_save_is(tmp_path: Path) -> None:
    """MkDocs' server as `kb serve` makes it wants no rebuild for files read, and one for a write in place, an
    editor's save by rename, a file in a new folder, and a watched file saved either way."""
    ledgers, config = tmp_path / "ledgers", tmp_path / "mkdocs.yml"
    ledgers.mkdir()
    (ledgers / "a.csv").write_text("a")
    config.write_text("site_name: x")
    with _file_change_events():
        server = LiveReloadServer(builder=lambda: None, host="127.0.0.1", port=0, root=str(tmp_path))
    if sys.platform == "linux":
        assert type(server.observer).__name__ != "PollingObserver", "no file events on Linux"
    server.watch(str(ledgers))
    server.watch(str(config))  # as MkDocs watches mkdocs.yml
    server.observer.start()

    def rebuilds(*actions: Callable[[], object]) -> bool:
        server._want_rebuild = False
        for action in actions:
            action()
        time.sleep(1.5)  # more than a poll's interval, where there are no file events
        return server._want_rebuild

    try:
        assert not rebuilds(lambda: (ledgers / "a.csv").read_text(), config.read_text)
        assert rebuilds(lambda: (ledgers / "a.csv").write_text("b"))
        assert rebuilds(
            lambda: (ledgers / "b.tmp").write_text("c"), lambda: (ledgers / "b.tmp").replace(ledgers / "a.csv")
        )
        assert rebuilds((ledgers / "new").mkdir, lambda: (ledgers / "new" / "n.csv").write_text("n"))
        assert rebuilds(lambda: (ledgers / "new" / "n.csv").write_text("m"))
        assert rebuilds(lambda: (tmp_path / "x.tmp").write_text("x"), lambda: (tmp_path / "x.tmp").replace(config))
        assert rebuilds(lambda: config.write_text("site_name: z"))
        assert not rebuilds(
            lambda: (ledgers / "new" / "n.csv").read_text(), lambda: (tmp_path / "x.tmp").write_text("y")
        )
    finally:
        server.observer.stop()
        server.observer.join()
