"""Per-stage progress of a long build: a live bar on a terminal, plain lines in CI and logs.

The orchestrator takes a `Progress` from its caller (the CLI or the MkDocs
hooks pick one with `progress_for`; tests pass `NullProgress`), and reports
each stage through it:

    for pid in track(progress, "render papers", papers):
        ...

A stage prints nothing until it ends, except on a terminal (a bar) or when
it runs long (a plain line every `LineProgress.interval` seconds), so a small
build stays quiet and a 10,000-paper build in CI still shows it is alive.
"""

from __future__ import annotations

import os
import resource
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol, TextIO, TypeVar

Item = TypeVar("Item")


class Progress(Protocol):
    """What the pipeline reports: one stage at a time, with an optional number of steps."""

    def start(self, stage: str, total: int = 0) -> None: ...

    def advance(self, steps: int = 1) -> None: ...

    def finish(self) -> None: ...


class NullProgress:
    """Reports nothing: for tests and for callers that print their own summary."""

    def start(self, stage: str, total: int = 0) -> None:
        pass

    def advance(self, steps: int = 1) -> None:
        pass

    def finish(self) -> None:
        pass


def peak_memory_mb() -> int:
    """This process's peak resident memory so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


class LineProgress:
    """Plain lines for CI logs: `kb: render papers: 10,000 in 4.2 s, peak memory 410 MB`, and a line every
    `interval` seconds while a long stage runs. The peak says which stage a memory limit would stop."""

    def __init__(
        self,
        stream: TextIO,
        interval: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        peak_mb: Callable[[], int] = peak_memory_mb,
    ) -> None:
        self.stream = stream
        self.interval = interval
        self.clock = clock
        self.peak_mb = peak_mb
        self.stage = ""
        self.total = self.done = 0
        self.started = self.reported = 0.0

    def start(self, stage: str, total: int = 0) -> None:
        self.stage, self.total, self.done = stage, total, 0
        self.started = self.reported = self.clock()

    def advance(self, steps: int = 1) -> None:
        self.done += steps
        now = self.clock()
        if now - self.reported >= self.interval:
            self.reported = now
            share = f" ({100 * self.done // self.total}%)" if self.total else ""
            of = f"/{self.total:,}" if self.total else ""
            self._print(f"kb: {self.stage}: {self.done:,}{of}{share} after {now - self.started:.0f} s")

    def finish(self) -> None:
        count = f"{self.done:,} in " if self.done else ""
        self._print(f"kb: {self.stage}: {count}{self.clock() - self.started:.1f} s, peak memory {self.peak_mb():,} MB")

    def _print(self, line: str) -> None:
        print(line, file=self.stream, flush=True)


class RichProgress:
    """A live bar per stage on a terminal (rich); each finished stage stays as one line."""

    def __init__(self, stream: TextIO) -> None:
        from rich.console import Console

        self.console = Console(file=stream)
        self.bars: Any = None
        self.task: Any = None

    def start(self, stage: str, total: int = 0) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as Bars

        self.bars = Bars(
            TextColumn("kb: {task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=self.console,
        )  # fmt: skip
        self.bars.start()
        self.task = self.bars.add_task(stage, total=total or None)

    def advance(self, steps: int = 1) -> None:
        self.bars.advance(self.task, steps)

    def finish(self) -> None:
        done = self.bars.tasks[0].completed or 1
        self.bars.update(self.task, total=done, completed=done)
        self.bars.stop()


def in_ci() -> bool:
    """CI services set CI=true; their logs want plain lines even when they fake a terminal."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def progress_for(stream: TextIO | None = None) -> Progress:
    """A bar on an interactive terminal, plain lines anywhere else (CI, a pipe, a file, TERM=dumb)."""
    stream = stream if stream is not None else sys.stderr
    interactive = stream.isatty() and not in_ci() and os.environ.get("TERM") != "dumb"
    return RichProgress(stream) if interactive else LineProgress(stream)


def track(progress: Progress, stage: str, items: Iterable[Item], total: int | None = None) -> Iterator[Item]:
    """Report one step per item of `items` as one stage; the stage ends when the loop does."""
    if total is None:
        total = len(items) if hasattr(items, "__len__") else 0  # type: ignore[arg-type]
    progress.start(stage, total)
    try:
        for item in items:
            yield item
            progress.advance()
    finally:
        progress.finish()
