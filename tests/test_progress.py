"""Build progress: plain lines in CI and pipes, a bar on a terminal, nothing from NullProgress."""

from __future__ import annotations

import io

import pytest

from generator.pipeline.progress import LineProgress, NullProgress, RichProgress, progress_for, track


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_plain_lines_name_each_stage_with_its_count_and_time() -> None:
    out, clock = io.StringIO(), Clock()
    progress = LineProgress(out, interval=10, clock=clock, peak_mb=lambda: 1234)
    for _ in track(progress, "render papers", range(3)):
        clock.now += 1.5
    progress.start("mkdocs build")
    clock.now += 2
    progress.finish()
    assert out.getvalue() == (
        "kb: render papers: 3 in 4.5 s, peak memory 1,234 MB\nkb: mkdocs build: 2.0 s, peak memory 1,234 MB\n"
    )


def test_a_long_stage_prints_a_line_every_interval() -> None:
    out, clock = io.StringIO(), Clock()
    progress = LineProgress(out, interval=10, clock=clock, peak_mb=lambda: 1234)
    for _ in track(progress, "render claims", range(40)):
        clock.now += 1
    assert out.getvalue().splitlines() == [
        "kb: render claims: 10/40 (25%) after 10 s",
        "kb: render claims: 20/40 (50%) after 20 s",
        "kb: render claims: 30/40 (75%) after 30 s",
        "kb: render claims: 40/40 (100%) after 40 s",
        "kb: render claims: 40 in 40.0 s, peak memory 1,234 MB",
    ]


def test_a_stage_ends_even_when_its_loop_fails() -> None:
    out = io.StringIO()
    with pytest.raises(ValueError):
        for item in track(LineProgress(out), "link", [1, 2]):
            raise ValueError(item)
    assert out.getvalue().startswith("kb: link: ")


def test_ci_and_pipes_get_plain_lines_a_terminal_gets_bars(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert isinstance(progress_for(io.StringIO()), LineProgress)
    assert isinstance(progress_for(Terminal()), RichProgress)
    monkeypatch.setenv("CI", "true")
    assert isinstance(progress_for(Terminal()), LineProgress)


def test_rich_bars_leave_one_line_per_stage() -> None:
    out = Terminal()
    progress = RichProgress(out)
    for _ in track(progress, "render papers", range(7)):
        pass
    progress.start("mkdocs build")
    progress.finish()
    shown = out.getvalue()
    assert "kb: render papers" in shown and "7/7" in shown
    assert shown.index("kb: mkdocs build") > shown.rindex("kb: render papers")


def test_null_progress_is_silent(capsys: pytest.CaptureFixture[str]) -> None:
    assert list(track(NullProgress(), "anything", iter("abc"))) == ["a", "b", "c"]
    assert capsys.readouterr() == ("", "")
