"""Problems: every finding carries a stable code, a location and a hint.

Stages never raise on bad input; they append to a `Problems` collection so that
one run reports everything a contributor has to fix, the way frictionless
reports and MkDocs' "Aborted with N errors" do.
"""

from __future__ import annotations

import difflib
import enum
from collections.abc import Iterable, Iterator
from dataclasses import dataclass


class Severity(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Location:
    """Where a value came from: repository-relative path, 1-based line and column."""

    path: str
    line: int | None = None
    col: int | None = None

    def __str__(self) -> str:
        parts = [self.path]
        if self.line is not None:
            parts.append(str(self.line))
            if self.col is not None:
                parts.append(str(self.col))
        return ":".join(parts)


@dataclass(frozen=True)
class Problem:
    code: str
    location: Location
    field: str
    message: str
    hint: str = ""
    severity: Severity = Severity.ERROR

    def format_text(self) -> str:
        field = f" {self.field}:" if self.field else ""
        level = "" if self.severity is Severity.ERROR else " warning:"
        text = f"{self.location}:{level}{field} {self.message} [{self.code}]"
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text

    def format_github(self) -> str:
        """One GitHub Actions workflow command, shown on the changed line of a PR."""
        kind = "error" if self.severity is Severity.ERROR else "warning"
        props = [f"file={_gh_property(self.location.path)}"]
        if self.location.line is not None:
            props.append(f"line={self.location.line}")
        if self.location.col is not None:
            props.append(f"col={self.location.col}")
        title = f"{self.code}: {self.field}" if self.field else self.code
        props.append(f"title={_gh_property(title)}")
        body = self.message + (f" (hint: {self.hint})" if self.hint else "")
        return f"::{kind} {','.join(props)}::{_gh_data(body)}"


def _gh_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_property(text: str) -> str:
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")


class Problems:
    """An ordered, append-only collection of problems from every stage."""

    def __init__(self) -> None:
        self._items: list[Problem] = []
        self.shown = False  # printed by `kb` already, so the MkDocs hooks do not log them a second time

    def add(
        self,
        code: str,
        location: Location,
        field: str,
        message: str,
        hint: str = "",
        severity: Severity = Severity.ERROR,
    ) -> None:
        self._items.append(Problem(code, location, field, message, hint, severity))

    def extend(self, problems: Iterable[Problem]) -> None:
        self._items.extend(problems)

    def __iter__(self) -> Iterator[Problem]:
        return iter(self.sorted())

    def __len__(self) -> int:
        return len(self._items)

    def sorted(self) -> list[Problem]:
        return sorted(self._items, key=lambda p: (p.location.path, p.location.line or 0, p.location.col or 0))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.sorted() if p.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.sorted() if p.severity is Severity.WARNING]

    def fails(self, strict: bool) -> bool:
        return bool(self.errors) or (strict and bool(self.warnings))

    def report(self, fmt: str = "text") -> str:
        lines = [p.format_github() if fmt == "github" else p.format_text() for p in self.sorted()]
        if fmt == "text" and self._items:
            lines.append(f"{len(self.errors)} error(s), {len(self.warnings)} warning(s)")
        return "\n".join(lines)


def did_you_mean(value: str, choices: Iterable[str]) -> str:
    """A hint naming the closest valid choice, or listing the choices."""
    options = sorted(set(choices))
    folded = {c.casefold().strip(): c for c in options}
    exact = folded.get(value.casefold().strip())
    if exact is not None:
        return f"did you mean `{exact}`? (check case and spaces)"
    close = difflib.get_close_matches(value, options, n=1, cutoff=0.6)
    if close:
        return f"did you mean `{close[0]}`?"
    if options and len(options) <= 12:
        return "expected one of: " + ", ".join(f"`{o}`" for o in options)
    return ""
