"""`kb fmt`: one canonical layout for records and ledgers, so diffs show content only.

YAML goes through ruamel.yaml's round trip, which keeps comments, key order and
the quotes around ids. Two guards make formatting safe to run on anything: the
result must load to the same data as the original (read the way the project's
PyYAML loader reads it), and every full-line comment must survive. A file that
fails either guard, or does not parse, is reported and left alone.

The YAML helpers here are shared with `kb new` and `kb import-bib`, so that
written records are already in canonical form.
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml as pyyaml
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.representer import RoundTripRepresenter
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from generator import file_names
from generator.commands import EXIT_OK, EXIT_PROBLEMS
from generator.problems import Location, Problems

# Wide enough that no title or abstract is ever re-wrapped.
YAML_WIDTH = 1_000_000_000
_STR_TAG = "tag:yaml.org,2002:str"


class FormatError(ValueError):
    """A file that cannot be formatted safely; the message says why."""


# --- shared YAML helpers -----------------------------------------------------------


def round_trip_yaml() -> YAML:
    """The one ruamel configuration: 2-space mappings, sequences indented under their key."""
    yaml = YAML(typ="rt")
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = YAML_WIDTH
    yaml.preserve_quotes = True
    yaml.Representer = _Representer
    return yaml


class _Representer(RoundTripRepresenter):
    """ruamel's round-trip representer, but writing `null` instead of an empty value,
    so an unfilled field stays visible. A subclass, so other ruamel users are unaffected."""

    def represent_none(self, data: Any) -> Any:
        return self.represent_scalar("tag:yaml.org,2002:null", "null")


_Representer.add_representer(type(None), _Representer.represent_none)


def dump_yaml(data: Any) -> str:
    stream = io.StringIO()
    round_trip_yaml().dump(data, stream)
    return stream.getvalue()


def pyyaml_retypes(value: str) -> bool:
    """True when PyYAML (YAML 1.1) would read `value`, written plain, as something other than text.

    ruamel.yaml quotes by YAML 1.2 rules, which leave `yes`, `no`, `on` and `0o17`
    plain; the project's loader would turn those into booleans or numbers.
    """
    tag = pyyaml.resolver.Resolver().resolve(pyyaml.ScalarNode, value, (True, False))
    return tag != _STR_TAG


def yaml_str(value: str, *, force_quotes: bool = False) -> str:
    """A string that stays a string for every YAML reader (ids are always quoted)."""
    if force_quotes or pyyaml_retypes(value):
        return DoubleQuotedScalarString(value)
    return value


# --- formatting one file ------------------------------------------------------------

_DOC_START = re.compile(r"---(?:\s.*)?")


def format_yaml_text(text: str) -> str:
    """Canonical form of one YAML record; raises `FormatError` when that is not safe."""
    source = text.replace("\r\n", "\n").replace("\r", "\n")
    if _has_alias(source):
        # Comparing alias-expanded data can take exponential time (billion laughs); records may not use them.
        raise FormatError("uses YAML aliases (`*name`), which records may not; left alone")
    header, body = _split_header(source)
    try:
        data = round_trip_yaml().load(body)
    except YAMLError as exc:
        raise FormatError(_yaml_error_text(exc, header.count("\n"))) from None
    except RecursionError:
        raise FormatError("nested too deeply to read; left alone") from None
    if data is None:
        return source  # empty or comments only: nothing to lay out
    result = header + dump_yaml(data)
    if not _same_data(source, result):
        raise FormatError("formatting would change what the file means; left alone")
    lost = _lost_comments(source, result)
    if lost:
        raise FormatError(f"formatting would drop the comment `{lost}`; left alone")
    return result


def _has_alias(text: str) -> bool:
    try:
        return any(isinstance(event, pyyaml.AliasEvent) for event in pyyaml.parse(text, Loader=pyyaml.SafeLoader))
    except (pyyaml.YAMLError, RecursionError):
        return False  # the round trip below reports the problem


def _split_header(source: str) -> tuple[str, str]:
    """Comments above an explicit `---` are kept verbatim; the round trip would lose them."""
    lines = source.splitlines(keepends=True)
    for index, line in enumerate(lines):
        stripped = line.strip()
        if _DOC_START.fullmatch(stripped):
            return "".join(lines[: index + 1]), "".join(lines[index + 1 :])
        if stripped and not stripped.startswith("#"):
            break
    return "", source


def _yaml_error_text(exc: YAMLError, offset: int) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).split("\n", 1)[0]
    if mark is not None:
        return f"line {mark.line + 1 + offset}: {problem}"
    return str(problem)


def _load_plain(text: str) -> Any:
    try:
        return pyyaml.safe_load(text)
    except pyyaml.YAMLError:
        return YAML(typ="safe", pure=True).load(text)


def _same_data(before: str, after: str) -> bool:
    try:
        return bool(_load_plain(before) == _load_plain(after))
    except Exception:  # noqa: BLE001 - any loader failure means the guard cannot vouch for it
        return False


def _lost_comments(before: str, after: str) -> str:
    """The first full-line comment of `before` that `after` no longer has, or ""."""

    def comments(text: str) -> Counter[str]:
        return Counter(s for s in (line.strip() for line in text.splitlines()) if s.startswith("#"))

    missing = comments(before) - comments(after)
    return next(iter(missing), "")


def format_csv_text(text: str) -> str:
    """Same cells, minimal quoting, `\\n` line ends; blank lines dropped. Raises `FormatError`."""
    rows: list[list[str]] = []
    try:
        for row in csv.reader(io.StringIO(text, newline=""), strict=True):
            if row:
                rows.append([cell.replace("\r\n", "\n").replace("\r", "\n") for cell in row])
    except csv.Error as exc:
        raise FormatError(f"not valid CSV: {exc}") from None
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    writer.writerows(rows)
    return out.getvalue()


# --- the command -----------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    path: Path
    changed: bool
    new_text: str = ""


def targets(root: Path) -> list[Path]:
    """Files `kb fmt` owns: the records and ledgers `kb validate` reads (one file-name rule), in a stable order."""
    found = [
        path
        for folder in ("records", "ledgers")
        if (root / folder).is_dir()
        for path in sorted((root / folder).rglob("*"))
        if file_names.data_kind(path.relative_to(root).as_posix()) in ("yaml", "csv")
    ]
    return found


def format_file(path: Path, root: Path, problems: Problems) -> Outcome | None:
    """The formatted text of one file, or None (with a problem) when it must be left alone."""
    shown = path.relative_to(root).as_posix()
    if path.is_symlink() or not path.resolve().is_relative_to(root.resolve()):
        problems.add("fmt-symlink", Location(shown), "", "symbolic link; not followed, left alone")
        return None
    try:
        raw = path.read_bytes()
    except OSError as exc:
        problems.add("fmt-read", Location(shown), "", f"cannot read: {exc.strerror or exc}")
        return None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        problems.add("fmt-encoding", Location(shown, line), "", "not UTF-8; left alone", hint="re-save as UTF-8")
        return None
    try:
        new = format_csv_text(text) if path.suffix == ".csv" else format_yaml_text(text)
    except FormatError as exc:
        problems.add("fmt-parse", Location(shown), "", str(exc), hint="fix the file by hand, then run `kb fmt`")
        return None
    except Exception as exc:  # noqa: BLE001 - one odd file (e.g. absurdly deep nesting) must not stop the run
        problems.add("fmt-parse", Location(shown), "", f"could not be formatted ({type(exc).__name__}); left alone")
        return None
    new_bytes = new.encode("utf-8")
    return Outcome(path, new_bytes != raw, new)


def cmd_fmt(args: argparse.Namespace) -> int:
    """`kb fmt [--check]`: rewrite files in canonical form, or (with --check) list those that are not."""
    root = Path(args.root).resolve()
    check = bool(getattr(args, "check", False))
    problems = Problems()
    changed: list[Path] = []
    files = targets(root)
    for path in files:
        outcome = format_file(path, root, problems)
        if outcome is None or not outcome.changed:
            continue
        changed.append(path)
        shown = path.relative_to(root).as_posix()
        if check:
            print(f"would reformat {shown}")
        else:
            path.write_text(outcome.new_text, encoding="utf-8", newline="\n")
            print(f"reformatted {shown}")
    if len(problems):
        print(problems.report(), file=sys.stderr)
    verb = "would be reformatted" if check else "reformatted"
    print(
        f"kb fmt: {len(changed)} file(s) {verb}, {len(files) - len(changed) - len(problems)} already formatted, "
        f"{len(problems)} left alone",
        file=sys.stderr,
    )
    if problems.errors or (check and changed):
        return EXIT_PROBLEMS
    return EXIT_OK
