"""How long a one-record edit takes to show under `kb serve` (issue #11: at most 3 s at 10,000 papers).

    .venv/bin/python benchmarks/bench_serve.py DIR [--edits 3]

Starts `kb serve` on DIR (a `kb synth` corpus), waits for the first build, then edits one paper's
title EDITS times and prints, for each, the seconds from saving the file to the server returning
the new HTML of that paper's page (what the browser's live reload then fetches), and the server's
CPU time while it then waits SETTLE seconds (and before the first edit). With `--edit claim` it edits the
statement of one ledger row instead, and waits for that claim's page. The file is restored at the
end. A benchmark, not a test: it prints figures and asserts nothing.

    .venv/bin/python benchmarks/bench_serve.py DIR --phases [--edits 3]

runs the same rebuilds in this process instead, as `kb serve` runs them (a dirty MkDocs build with the
hooks in serve mode) but without the server and the background search index, and prints where each
rebuild's time goes: every pipeline stage, then MkDocs and the hooks.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import io
import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.sources.config import load_mkdocs_yml


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, text: str, timeout: float, every: float = 0.05) -> float | None:
    """Seconds until `url` returns a page containing `text`, or None."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if text in response.read().decode("utf-8"):
                    return time.monotonic() - start
        except OSError:
            pass
        time.sleep(every)
    return None


class StageSeconds:
    """A pipeline `Progress` that keeps the seconds of each stage of the last build."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._stage, self._started = "", 0.0

    def start(self, stage: str, total: int = 0) -> None:
        self._stage, self._started = stage, time.perf_counter()

    def advance(self, steps: int = 1) -> None:
        pass

    def finish(self) -> None:
        self.seconds[self._stage] = time.perf_counter() - self._started


def cpu_seconds(pid: int) -> float | None:
    """User and system CPU seconds of a process so far (its own threads, not its children); None off Linux."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def settle(pid: int, seconds: float) -> str:
    """Wait `seconds` and say how much CPU the server used meanwhile: its file watcher's cost when idle, or a
    rebuild that sets off the next one."""
    before = cpu_seconds(pid)
    time.sleep(seconds)
    after = cpu_seconds(pid)
    used = f"{after - before:.2f} s" if before is not None and after is not None else "unknown"
    return f"server CPU {used} in the next {seconds:.0f} s"


@dataclass(frozen=True)
class Edit:
    """One kind of contributor edit: the file it changes, the file's text after the n-th edit, and the page
    (path under the site) that shows it."""

    path: Path
    original: str
    edited: Callable[[int], str]
    page: str

    @staticmethod
    def marker(n: int) -> str:
        return f"Edited {n} "


def title_edit(root: Path) -> Edit:
    """A paper's title: its page, the pages citing it and the listings show it."""
    records = sorted((root / "records" / "papers").glob("*.yaml"))
    record = records[len(records) // 2]
    original = record.read_text(encoding="utf-8")
    paper_id = next(
        line.split(":", 1)[1].strip().strip("\"'") for line in original.splitlines() if line.startswith("id:")
    )
    return Edit(
        record, original, lambda n: original.replace('title: "', f'title: "{Edit.marker(n)}', 1), f"papers/{paper_id}/"
    )


def claim_edit(root: Path) -> Edit:
    """The statement of a ledger's first row: the whole ledger is read again, its claims are new objects."""
    ledgers = sorted((root / "ledgers").glob("*.csv"))
    ledger = ledgers[len(ledgers) // 2]
    original = ledger.read_text(encoding="utf-8")
    header, first, rest = original.split("\n", 2)
    columns = next(csv.reader([header]))
    row = next(csv.reader([first]))
    claim_id = row[columns.index("claim_id")]

    def edited(n: int) -> str:
        changed = list(row)
        changed[columns.index("claim")] = Edit.marker(n) + changed[columns.index("claim")]
        line = io.StringIO()
        csv.writer(line, lineterminator="").writerow(changed)
        return f"{header}\n{line.getvalue()}\n{rest}"

    return Edit(ledger, original, edited, f"claims/{claim_id}/")


EDITS = {"title": title_edit, "claim": claim_edit}


def phases(root: Path, edit: Edit, edits: int) -> None:
    """Rebuild in this process after each edit, as `kb serve` does, and print each rebuild's stages."""
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.config import load_config

    from generator import mkdocs_hooks
    from generator.pipeline import build as pipeline

    stages = StageSeconds()

    def timed_inputs(root: Path, **options: Any) -> pipeline.BuildOptions:
        return dataclasses.replace(pipeline.read_inputs(root, **options), progress=stages)

    mkdocs_hooks.read_inputs = timed_inputs  # the hooks read their options here
    # Search is indexed in the background once the page is live; left out, so each rebuild is timed alone.
    mkdocs_hooks._background_indexer.request = lambda site_dir: None  # type: ignore[method-assign]

    def rebuild() -> tuple[float, float]:
        config = load_config(str(root / "mkdocs.yml"))
        config.plugins.on_startup(command="serve", dirty=True)
        started, cpu = time.perf_counter(), time.thread_time()
        mkdocs_build(config, dirty=True)
        return time.perf_counter() - started, time.thread_time() - cpu

    seconds, _ = rebuild()
    print(f"first build {seconds:.1f} s")
    for n in range(1, edits + 1):
        edit.path.write_text(edit.edited(n), encoding="utf-8")
        stages.seconds.clear()
        seconds, cpu = rebuild()
        pipeline_seconds = sum(stages.seconds.values())
        shown = ", ".join(f"{stage} {took:.2f}" for stage, took in stages.seconds.items())
        print(f"edit {n}: rebuilt in {seconds:.2f} s ({cpu:.2f} s CPU): {shown}; MkDocs, hooks and the rest "
              f"{seconds - pipeline_seconds:.2f}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--edits", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--phases", action="store_true", help="rebuild in this process and time each stage")
    parser.add_argument("--edit", choices=sorted(EDITS), default="title", help="what each edit changes")
    parser.add_argument(
        "--settle", type=float, default=1.0, help="seconds between edits (the search index is rebuilt meanwhile)"
    )
    args = parser.parse_args()
    root = args.root.resolve()
    edit = EDITS[args.edit](root)
    try:
        if args.phases:
            phases(root, edit, args.edits)
        else:
            serve(root, edit, args)
    finally:
        edit.path.write_text(edit.original, encoding="utf-8")


def serve(root: Path, edit: Edit, args: argparse.Namespace) -> None:
    """Time each edit from saving to the live server returning the page that shows it."""
    port = free_port()
    mount = urllib.parse.urlsplit(str((load_mkdocs_yml(root) or {}).get("site_url") or "/")).path.strip("/")
    kb = Path(sys.executable).with_name("kb")
    server = subprocess.Popen(
        [str(kb), "--root", str(root), "serve", "--dev-addr", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/{mount + '/' if mount else ''}{edit.page}"
    papers = len(list((root / "records" / "papers").glob("*.yaml")))
    try:
        first = wait_for(url, "</html>", args.timeout, every=0.5)
        print(f"{papers:,} papers: first build served after {first:.1f} s" if first else "first build timed out")
        print(f"idle: {settle(server.pid, args.settle)}")
        for n in range(1, args.edits + 1):
            edit.path.write_text(edit.edited(n), encoding="utf-8")
            took = wait_for(url, Edit.marker(n), args.timeout)
            print(f"edit {n}: new HTML served {took:.2f} s after saving" if took else f"edit {n}: timed out")
            print(f"  then {settle(server.pid, args.settle)}")  # the server indexes search in a child meanwhile
    finally:
        edit.path.write_text(edit.original, encoding="utf-8")
        server.terminate()
        server.wait(timeout=600)  # it removes its site first, as on Ctrl-C: about a minute at 1,000 papers here


if __name__ == "__main__":
    main()
