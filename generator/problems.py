"""Problems: every finding carries a stable code, a location and a hint.

Stages never raise on bad input; they append to a `Problems` collection so that
one run reports everything a contributor has to fix, the way frictionless
reports and MkDocs' "Aborted with N errors" do.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from generator.file_names import shown
from generator.problem_codes import Severity, UnregisteredProblemCodeError, lookup

__all__ = ["Location", "Problem", "Problems", "Severity", "UnregisteredProblemCodeError", "did_you_mean"]


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
        """One problem as plain lines; control characters in paths and values are shown as visible `\\u` codes,
        so no value can start a line of its own (GitHub Actions reads `::` lines as workflow commands)."""
        field = f" {shown(self.field)}:" if self.field else ""
        level = "" if self.severity is Severity.ERROR else " warning:"
        text = f"{shown(str(self.location))}:{level}{field} {shown(self.message)} [{self.code}]"
        if self.hint:
            text += f"\n    hint: {shown(self.hint)}"
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
    """An ordered, append-only collection of problems from every stage.

    Every code must be registered in `generator.problem_codes` with the severity it is raised with; an alias is
    stored under its current name. Counts are kept as problems arrive, so checking "did this row add an error?"
    costs nothing however many problems there are.
    """

    def __init__(self) -> None:
        self._items: list[Problem] = []
        self._sorted: list[Problem] | None = []
        self._counts: Counter[Severity] = Counter()
        self._follow_ons: Counter[tuple[str, str]] = Counter()

    def add(
        self,
        code: str,
        location: Location,
        field: str,
        message: str,
        hint: str = "",
        severity: Severity = Severity.ERROR,
    ) -> None:
        self._append(Problem(code, location, field, message, hint, severity))

    def extend(self, problems: Iterable[Problem]) -> None:
        for problem in problems:
            self._append(problem)

    def _append(self, problem: Problem) -> None:
        entry = lookup(problem.code)
        if problem.severity is not entry.severity:
            raise UnregisteredProblemCodeError(
                f"problem code `{problem.code}` is registered as {entry.severity}, but raised as {problem.severity}"
            )
        if problem.code != entry.code:
            problem = dataclasses.replace(problem, code=entry.code)
        self._items.append(problem)
        self._counts[problem.severity] += 1
        self._sorted = None

    def follow_on(self, cause: str, what: str) -> None:
        """Count a problem that only follows from the errors already reported in the file `cause`.

        It is not printed on its own: the report says "…and N <what>" right after the cause, so a
        contributor sees one error to fix, not hundreds of echoes of it.
        """
        self._follow_ons[(cause, what)] += 1
        self._sorted = None

    @property
    def follow_on_count(self) -> int:
        return sum(self._follow_ons.values())

    def follow_ons(self, cause: str) -> list[tuple[str, int]]:
        return [(what, count) for (path, what), count in sorted(self._follow_ons.items()) if path == cause]

    def since(self, count: int) -> tuple[Problem, ...]:
        """The problems added after the first `count`, in the order they came: what one file added, to replay
        on a rebuild that does not read the file again (pipeline/validate.py)."""
        return tuple(self._items[count:])

    def __iter__(self) -> Iterator[Problem]:
        return iter(self.sorted())

    def __len__(self) -> int:
        return len(self._items)

    def sorted(self) -> list[Problem]:
        """Cause first: files whose errors others follow from, then the rest, each by path, line and column."""
        if self._sorted is None:
            causes = {path for path, _ in self._follow_ons}
            self._sorted = sorted(
                self._items,
                key=lambda p: (
                    p.location.path not in causes,
                    p.location.path,
                    p.location.line or 0,
                    p.location.col or 0,
                ),
            )
        return list(self._sorted)

    @property
    def error_count(self) -> int:
        return self._counts[Severity.ERROR]

    @property
    def warning_count(self) -> int:
        return self._counts[Severity.WARNING]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.sorted() if p.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.sorted() if p.severity is Severity.WARNING]

    def fails(self, strict: bool) -> bool:
        return bool(self.error_count) or (strict and bool(self.warning_count))

    def report(self, fmt: str = "text") -> str:
        lines: list[str] = []
        items = self.sorted()
        for index, problem in enumerate(items):
            lines.append(problem.format_github() if fmt == "github" else problem.format_text())
            path = problem.location.path
            if index + 1 == len(items) or items[index + 1].location.path != path:
                for what, count in self.follow_ons(path):
                    text = f"…and {count:,} {what}, which follow from the error(s) above"
                    lines.append(
                        f"::notice file={_gh_property(path)}::{_gh_data(text)}" if fmt == "github" else f"    {text}"
                    )
        if fmt == "text" and self._items:
            summary = f"{self.error_count} error(s), {self.warning_count} warning(s)"
            if self._follow_ons:
                summary += f", and {self.follow_on_count:,} follow-on problem(s) counted under their causes"
            lines.append(summary)
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
