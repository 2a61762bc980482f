"""The problem-code registry: every code `kb` can print is registered, documented and shown to contributors.

The source is scanned for codes (every `problems.add(...)` and every helper that forwards a code), so a
new code that nobody registered fails here before a contributor ever sees it undocumented.
"""

from __future__ import annotations

import ast
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from generator.commands.docs import README_BEGIN, README_END, problems_markdown, readme_with_problems
from generator.pipeline.build import collect
from generator.pipeline.render import Renderer, maintainer_prose
from generator.pipeline.validate import validate_corpus
from generator.problem_codes import ALIASES, CODES, STAGES, UnregisteredProblemCodeError, lookup
from generator.problems import Location, Problems, Severity
from tests.conftest import REPO
from tests.helpers import HEADER, ROW_FIELDS, csv_cell, make_project

GENERATOR = REPO / "generator"
CODE_SHAPE = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
# Call -> position of the code argument: Problems.add itself, and the helpers that forward a code to it.
# `.add(...)` with four or more arguments on anything but these is Problems.add (sets and argparse take fewer).
NOT_PROBLEMS = {"summary"}  # import_bib's per-entry summary: created / skipped / failed
CODE_ARGUMENT = {"add": 0, "Problem": 0, "NameProblem": 0, "_YamlRefused": 1, "FailedBlock": 1, "warn": 0, "_unknown": 3,
                 "PydanticCustomError": 0}  # fmt: skip


def raised_codes() -> Iterator[tuple[str, str]]:
    """(code, file:line) for every code literal passed to Problems.add or to a helper that forwards it."""
    for code, where, _ in raised_calls():
        yield code, where
    for path in sorted(GENERATOR.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):  # tables of (code, message, hint) keyed by error type, e.g. _ROW_VALUE_ERRORS
            if isinstance(node, ast.Assign | ast.AnnAssign) and isinstance(node.value, ast.Dict):
                for value in node.value.values:
                    if isinstance(value, ast.Tuple) and value.elts and isinstance(value.elts[0], ast.Constant):
                        yield str(value.elts[0].value), f"{path.relative_to(REPO)}:{value.lineno}"


def raised_calls() -> Iterator[tuple[str, str, Severity | None]]:
    """(code, file:line, severity when the call states it) for every call that raises a code literal."""
    for path in sorted(GENERATOR.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            position = CODE_ARGUMENT.get(name)
            if position is None or len(node.args) <= position:
                continue
            if name == "add" and (len(node.args) < 4 or ast.unparse(node.func.value) in NOT_PROBLEMS):  # type: ignore[attr-defined]
                continue
            argument = node.args[position]
            if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                yield argument.value, f"{path.relative_to(REPO)}:{node.lineno}", _severity(name, node)


def _severity(name: str, call: ast.Call) -> Severity | None:
    """The severity a call raises its code with; None when it is passed on in a variable."""
    if name == "warn":  # bibtex's warn() always adds a warning
        return Severity.WARNING
    stated = [k.value for k in call.keywords if k.arg == "severity"] + (call.args[5:6] if name == "add" else [])
    if not stated:
        return Severity.ERROR  # Problems.add's default, and what _YamlRefused / _unknown / FailedBlock raise
    text = ast.unparse(stated[0])
    return Severity.WARNING if text == "Severity.WARNING" else Severity.ERROR if text == "Severity.ERROR" else None


def test_the_scan_finds_the_codes_it_should() -> None:
    """The scanner itself can fail: it must see codes raised directly, through helpers and in every stage."""
    found = {code for code, _ in raised_codes()}
    assert {"yaml-tag", "bib-duplicate-key", "ref-unknown-target", "enum-invalid", "url-lost", "fmt-parse"} <= found
    assert len(found) >= 80


def test_every_raised_code_is_registered() -> None:
    unregistered = sorted({f"{code} ({where})" for code, where in raised_codes() if CODE_SHAPE.fullmatch(code)
                           and code not in CODES and code not in ALIASES})  # fmt: skip
    assert not unregistered, "register these in generator/problem_codes.py: " + ", ".join(unregistered)


def test_every_code_is_raised_with_its_registered_severity() -> None:
    """Problems.add refuses a severity that differs from the registry's; find such a call before a user does."""
    wrong = sorted(
        f"{code} as {severity} ({where})"
        for code, where, severity in raised_calls()
        if severity is not None and CODE_SHAPE.fullmatch(code) and (code in CODES or code in ALIASES)
        and lookup(code).severity is not severity
    )  # fmt: skip
    assert wrong == []


def test_every_registered_code_is_documented() -> None:
    for entry in CODES.values():
        assert CODE_SHAPE.fullmatch(entry.code), entry.code
        assert entry.stage in STAGES, entry.code
        assert entry.message.strip() and entry.explanation.strip(), f"{entry.code} needs a message and an explanation"
        assert entry.explanation.rstrip().endswith("."), f"{entry.code}: the explanation is a sentence"
    assert not set(ALIASES) & set(CODES), "an alias must not also be a code of its own"


def test_every_registered_code_can_be_raised() -> None:
    """A registered code nothing raises is dead documentation."""
    raised = {code for code, _ in raised_codes()}
    assert sorted(set(CODES) - raised) == []


def test_an_unregistered_code_is_refused_when_raised() -> None:
    problems = Problems()
    with pytest.raises(UnregisteredProblemCodeError, match=r"problem_codes\.py"):
        problems.add("no-such-code", Location("x.yaml"), "", "message")
    with pytest.raises(UnregisteredProblemCodeError, match="registered as warning"):
        problems.add("csv-line-endings", Location("x.csv"), "", "message", severity=Severity.ERROR)
    assert len(problems) == 0


def test_an_alias_is_reported_under_its_current_name() -> None:
    problems = Problems()
    problems.add("csv-encoding", Location("ledgers/x.csv", 2), "", "not UTF-8")
    (problem,) = problems
    assert problem.code == "encoding"
    assert lookup("csv-encoding") is CODES["encoding"]
    assert "`encoding` (was `csv-encoding`)" in problems_markdown()


def test_readme_table_is_generated_from_the_registry() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert README_BEGIN in readme and README_END in readme
    assert readme == readme_with_problems(readme), "README.md is stale: run `kb schema`"
    section = readme[readme.index(README_BEGIN) : readme.index(README_END)]
    for entry in CODES.values():
        assert f"| `{entry.code}`" in section, entry.code


def test_readme_table_shows_placeholders_as_text() -> None:
    """`<value>` outside code spans would vanish as an HTML tag on GitHub; inside backticks it stays."""
    table = problems_markdown()
    assert "file is &lt;size&gt; bytes; the limit is &lt;limit&gt;" in table
    assert "duplicate key `<key>`" in table


# --- counting is O(1) -------------------------------------------------------------------------------


def test_three_thousand_warned_rows_validate_without_sorting_per_row(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A new ledger before `kb ids`: every row warns `claim-id-missing`. Counting must not sort every time."""
    cells = {**ROW_FIELDS}
    cells.pop("claim_id", None)
    header = ",".join(name for name in HEADER.split(",") if name != "claim_id")
    rows = [",".join(csv_cell(f"Claim {n}." if k == "claim" else v) for k, v in cells.items()) for n in range(3000)]
    root = make_project(tmp_path / "project", ledgers={"new.csv": header + "\n" + "\n".join(rows) + "\n"})
    sorts = 0
    original = Problems.sorted

    def counting_sorted(self: Problems) -> list:  # type: ignore[type-arg]
        nonlocal sorts
        sorts += 1
        return original(self)

    monkeypatch.setattr(Problems, "sorted", counting_sorted)
    problems = Problems()
    started = time.perf_counter()
    corpus = validate_corpus(root, problems)
    elapsed = time.perf_counter() - started
    assert len(corpus.claims) == 3000
    assert (problems.error_count, problems.warning_count) == (0, 3000)
    assert sorts <= 3, f"problems were sorted {sorts} times for 3,000 rows"
    assert elapsed < 20, f"3,000 rows took {elapsed:.1f} s"


def test_problems_page_lists_every_code_with_its_hint(tmp_path: Path) -> None:
    site = collect(make_project(tmp_path / "project"))
    page = Renderer(site).problems_page()
    assert page.url == "methodology/problems/"
    for entry in CODES.values():
        assert f'<dt id="{entry.code}">' in page.html, entry.code
        assert str(maintainer_prose(entry.hint)) in page.html, entry.code
        for alias in entry.aliases:
            assert f'id="{alias}"' in page.html, alias
