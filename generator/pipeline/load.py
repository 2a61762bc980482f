"""Load stage: files on disk -> raw documents that remember where every value came from.

YAML goes through a strict SafeLoader subclass that refuses duplicate keys,
tags, anchors, aliases and merge keys, and keeps a line/column mark for every
node. A record that cannot use any of those features (a cheap scan of its text
shows it) is composed by libyaml in C instead, with the same nodes and marks;
on any doubt or error the strict loader reads it again and words the problem.
CSV is read with the csv module, never with type inference: every cell
stays the exact text the contributor wrote.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import io
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from generator import file_names
from generator.model.records import LEDGER_COLUMNS, OPTIONAL_LEDGER_COLUMNS
from generator.model.site import KeyPath, RawDocument
from generator.problems import Location, Problem, Problems, Severity, did_you_mean

MAX_YAML_BYTES = 1_000_000
MAX_CSV_BYTES = 20_000_000
MAX_CELL_CHARS = 50_000
"""The longest text accepted in one ledger cell or one YAML value (arXiv abstracts stay under 2,000)."""
MAX_YAML_DEPTH = 16
"""Records nest four levels at most; deeper input is refused before it can exhaust the stack."""

Path_ = KeyPath


def tree(folder: Path) -> Iterator[os.DirEntry[str]]:
    """Everything under `folder`, in the order of `sorted(folder.rglob("*"))`, links not followed. An entry knows
    whether it is a link or a folder without a system call of its own (rglob, then is_symlink and is_dir, made two
    per file): `kb validate` and every `kb serve` rebuild walk all 10,000 records."""
    with os.scandir(folder) as scan:
        entries = sorted(scan, key=lambda entry: entry.name)
    for entry in entries:
        yield entry
        if entry.is_dir(follow_symlinks=False):
            yield from tree(Path(entry.path))


class Listing:
    """The input folders of one build, each listed once: the build's cache key (`build._fingerprint`) reads the
    entries and their `stat`, then discovery takes the same entries, whose `stat` is kept in them (a `kb serve`
    rebuild at 10,000 papers lists 25,000 files: the key and discovery took 0.18 s of CPU listing them twice, 0.11 s
    once, medians of ten runs)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._listed: dict[str, list[os.DirEntry[str]]] = {}

    def tree(self, folder: str) -> list[os.DirEntry[str]]:
        """`tree(root / folder)`, listed once and kept for `take`; empty when it is no folder."""
        listed = self._listed.get(folder)
        if listed is None:
            base = self.root / folder
            listed = self._listed[folder] = list(tree(base)) if base.is_dir() else []
        return listed

    def take(self, folder: str) -> list[os.DirEntry[str]]:
        """`tree(folder)`, no longer kept here: discovery is its last reader."""
        listed = self.tree(folder)
        del self._listed[folder]
        return listed


@dataclass
class RawRow:
    """One physical CSV record: 1-based line of its first character, header as line 1."""

    line: int
    cells: dict[str, str]


@dataclass
class RawLedger:
    path: str
    columns: list[str]
    rows: list[RawRow]


class _YamlRefused(Exception):
    def __init__(self, mark: Any, code: str, message: str, hint: str) -> None:
        super().__init__(message)
        self.mark, self.code, self.message, self.hint = mark, code, message, hint


class StrictLoader(yaml.SafeLoader):
    """Composes nodes only; refuses the YAML features records never need.

    Anchors and aliases are refused at the first one, before any node is built,
    so an alias bomb costs no more than reading its first line.
    """

    _depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        event = self.peek_event()
        if self._depth >= MAX_YAML_DEPTH:
            raise _YamlRefused(
                event.start_mark,
                "yaml-too-deep",
                f"values are nested more than {MAX_YAML_DEPTH} levels deep",
                "records nest a few levels at most; check the brackets and indentation",
            )
        if isinstance(event, yaml.AliasEvent):
            raise _YamlRefused(
                event.start_mark,
                "yaml-alias",
                "aliases (*name) are not allowed in records",
                "write the value out in full",
            )
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            raise _YamlRefused(
                event.start_mark, "yaml-anchor", f"anchors (&{anchor}) are not allowed in records", "remove the anchor"
            )
        tag = getattr(event, "tag", None)
        implicit = getattr(event, "implicit", True)
        explicit = (
            tag is not None and tag != "!" and not (implicit is True or (isinstance(implicit, tuple) and any(implicit)))
        )
        if explicit:
            raise _YamlRefused(
                event.start_mark,
                "yaml-tag",
                f"tags such as {tag} are not allowed in records",
                "remove the tag; quote the value if it must be text",
            )
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


_STR_TAG = "tag:yaml.org,2002:str"
_CONSTRUCTOR = yaml.constructor.SafeConstructor()


class _NeedsStrictLoader(Exception):
    """The fast path met something only StrictLoader words exactly (here: nesting deeper than allowed)."""


@functools.lru_cache(maxsize=1 << 16)
def _shared(value: tuple[Any, ...]) -> tuple[Any, ...]:
    """One object for equal key paths and marks: thousands of records repeat the same ones."""
    return value


def _to_python(node: yaml.Node, key_path: Path_, doc: RawDocument) -> Any:
    if len(key_path) >= MAX_YAML_DEPTH:  # StrictLoader refuses this while composing; libyaml does not
        raise _NeedsStrictLoader
    if key_path not in doc.marks:
        doc.marks[key_path] = _shared((node.start_mark.line + 1, node.start_mark.column + 1))
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise _YamlRefused(
                    key_node.start_mark, "yaml-merge-key", "merge keys (<<) are not allowed", "write the keys out"
                )
            if not isinstance(key_node, yaml.ScalarNode):
                raise _YamlRefused(
                    key_node.start_mark,
                    "yaml-key",
                    "a key must be plain text, not a list or mapping",
                    "write `field: value`; a `?` or `[` before the colon makes a complex key",
                )
            key = sys.intern(str(key_node.value))  # thousands of records share a few dozen field names
            if key in result:
                first_line = doc.marks[(*key_path, key)][0]
                raise _YamlRefused(
                    key_node.start_mark,
                    "yaml-duplicate-key",
                    f"duplicate key `{key}` (first set on line {first_line})",
                    "keep one of the two; YAML would silently use the last",
                )
            child_path = _shared((*key_path, key))
            doc.marks[child_path] = _shared((key_node.start_mark.line + 1, key_node.start_mark.column + 1))
            result[key] = _to_python(value_node, child_path, doc)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_to_python(item, _shared((*key_path, i)), doc) for i, item in enumerate(node.value)]
    assert isinstance(node, yaml.ScalarNode)
    if len(node.value) > MAX_CELL_CHARS:
        raise _YamlRefused(
            node.start_mark,
            "yaml-value-too-large",
            f"value is {len(node.value):,} characters long; the limit is {MAX_CELL_CHARS:,}",
            "keep long texts out of records: quote only what the page needs",
        )
    if node.tag == _STR_TAG:
        return _text(node.value, doc)
    if node.tag == "tag:yaml.org,2002:timestamp":
        # Dates stay text; the model checks they are real calendar dates.
        doc.implicit[key_path] = "date"
        return _text(node.value, doc)
    if node.tag == "tag:yaml.org,2002:null":
        return None
    try:
        value = _CONSTRUCTOR.construct_object(node, deep=True)
    except (ValueError, yaml.constructor.ConstructorError):
        return _text(node.value, doc)  # e.g. an integer too long to convert: the model will reject the text
    if isinstance(value, bool | int | float):
        doc.implicit[key_path] = node.value
    return _text(value, doc) if isinstance(value, str) else value


def _text(value: str, doc: RawDocument) -> str:
    """A text value; one that is not printable clears `doc.printable`, so the text checks look at every value."""
    if not value.isprintable():
        doc.printable = False
    return value


ParsedRecord = tuple[RawDocument | None, tuple[Problem, ...]]
"""One record file read: its document (None when it cannot be used) and the located problems that say why."""


def parse_record(path: Path, display_path: str, stamp: file_names.FileStamp | None = None) -> ParsedRecord:
    """Parse one record file; every refusal is a located problem beside a None document.

    An unchanged file (same `file_stamp`, which a caller that has just listed the folder may pass) is parsed once
    per process, so a `kb serve` rebuild re-parses only the records that were edited; its problems come back with it.
    """
    return _read_yaml_once(os.path.abspath(path), stamp or file_names.file_stamp(path), display_path)


@functools.lru_cache(maxsize=16384)
def _read_yaml_once(resolved: str, stamp: file_names.FileStamp, display_path: str) -> ParsedRecord:
    found = Problems()
    return _parse_yaml(Path(resolved), display_path, found), tuple(found)


@dataclass(frozen=True)
class ReadHints:
    """How a record or a ledger reader words the two ways a file can be unreadable."""

    too_large: str
    offset_label: str
    not_utf8: str


YAML_READ_HINTS = ReadHints("split it", "offset", "save the file as UTF-8")
LEDGER_READ_HINTS = ReadHints(
    "split the ledger",
    "byte offset",
    "save the ledger as UTF-8 (Excel: 'CSV UTF-8'); Windows-1252 quotes and dashes are the usual cause",
)


def _read_utf8(path: Path, display_path: str, problems: Problems, limit: int, hints: ReadHints) -> str | None:
    """The file's text, or None after reporting why it cannot be read (too large, or not UTF-8)."""
    raw = path.read_bytes()
    if len(raw) > limit:
        problems.add(
            "file-too-large",
            Location(display_path, 1),
            "",
            f"file is {len(raw):,} bytes; the limit is {limit:,}",
            hints.too_large,
        )
        return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.add(
            "encoding",
            Location(display_path, raw[: exc.start].count(b"\n") + 1),
            "",
            f"not UTF-8: byte 0x{raw[exc.start]:02x} at {hints.offset_label} {exc.start}",
            hints.not_utf8,
        )
        return None


def _parse_yaml(path: Path, display_path: str, problems: Problems) -> RawDocument | None:
    text = _read_utf8(path, display_path, problems, MAX_YAML_BYTES, YAML_READ_HINTS)
    if text is None:
        return None
    fast = _compose_with_libyaml(text, display_path)
    if fast is not None:
        return fast
    doc = RawDocument(display_path, None, printable=True)  # until `_text` meets a value that is not
    try:
        loader = StrictLoader(text)
    except yaml.reader.ReaderError as exc:
        _report_reader_error(text, exc, display_path, problems)
        return None
    try:
        root = loader.get_single_node()
        if root is None:
            problems.add(
                "yaml-empty",
                Location(display_path, 1),
                "",
                "the file is empty",
                "add the record's fields, or delete the file",
            )
            return None
        doc.data = _to_python(root, (), doc)
    except _YamlRefused as exc:
        line, col = (exc.mark.line + 1, exc.mark.column + 1) if exc.mark else (1, 1)
        problems.add(exc.code, Location(display_path, line, col), "", exc.message, exc.hint)
        return None
    except yaml.composer.ComposerError as exc:
        mark = exc.problem_mark
        problems.add(
            "yaml-multiple-documents",
            Location(display_path, (mark.line + 1) if mark else 1),
            "",
            "a record file holds exactly one YAML document",
            "remove the `---` separator and split the records into files",
        )
        return None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = _yaml_message(exc)
        end = exc.problem_mark
        if _unclosed_quote(exc) and exc.context_mark is not None and end is not None:
            # PyYAML notices at the end of the file; the contributor needs the line where the quote opens.
            mark = exc.context_mark
            message = f"this quoted value is never closed (the file ends at line {end.line + 1})"
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problems.add("yaml-syntax", Location(display_path, line, col), "", message, _yaml_hint(exc))
        return None
    except yaml.reader.ReaderError as exc:
        _report_reader_error(text, exc, display_path, problems)
        return None
    except yaml.YAMLError as exc:
        problems.add(
            "yaml-syntax", Location(display_path, 1), "", str(exc).splitlines()[0], "check the quoting on this line"
        )
        return None
    finally:
        loader.dispose()
    return doc


_LIBYAML_UNSURE_CHARACTER = re.compile("[\t\r\x85\u2028\u2029\ufeff]")
"""Tabs, other line breaks and BOMs: the two parsers accept or count them differently."""
_NODE_PROPERTY = re.compile(r"""[&*!%](?<![^\s\[\]{},:?'"-][&*!%])""")
"""Anything that could start an anchor, alias, tag or directive (a `&*!%` not inside a word). libyaml resolves
them silently, so they must never reach it; one inside a text only costs the slower path."""
_STRUCTURE = "-:?[{"
MAX_LIBYAML_STRUCTURE = 2_000
"""Each level of nesting needs one of these characters; below this many, libyaml's recursion cannot exhaust the stack."""


def _compose_with_libyaml(text: str, display_path: str) -> RawDocument | None:
    """The fast path: compose in C (libyaml) what StrictLoader would accept with the same nodes and marks.

    It is taken only when the text has none of the features StrictLoader refuses and none of the characters
    the two parsers treat differently; anything else, including every error, returns None so that StrictLoader
    reads the file again and words its problems as always.
    """
    if (
        not yaml.__with_libyaml__
        or _LIBYAML_UNSURE_CHARACTER.search(text)
        or _NODE_PROPERTY.search(text)
        or yaml.reader.Reader.NON_PRINTABLE.search(text)
        or sum(text.count(ch) for ch in _STRUCTURE) > MAX_LIBYAML_STRUCTURE
    ):
        return None
    loader = yaml.CSafeLoader(text)
    doc = RawDocument(display_path, None, printable=True)  # until `_text` meets a value that is not
    try:
        root = loader.get_single_node()
        if root is None:
            return None
        doc.data = _to_python(root, (), doc)
    except Exception:  # noqa: BLE001 - any doubt goes to StrictLoader, which reports it
        return None
    finally:
        loader.dispose()
    return doc


def _report_reader_error(text: str, exc: yaml.reader.ReaderError, display_path: str, problems: Problems) -> None:
    """PyYAML refuses control characters with a character offset only; turn it into line and column."""
    position = exc.position if isinstance(exc.position, int) else 0
    line = text.count("\n", 0, position) + 1
    col = position - (text.rfind("\n", 0, position) + 1) + 1
    character = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "?")
    problems.add(
        "text-control-char",
        Location(display_path, line, col),
        "",
        f"control character U+{character:04X} is not allowed",
        "delete it; it is invisible in editors and invalid on web pages",
    )


def _unclosed_quote(exc: yaml.MarkedYAMLError) -> bool:
    return (
        "while scanning a quoted scalar" in (exc.context or "")
        and "end of stream" in (exc.problem or "")
        and exc.problem_mark is not None
    )


def _yaml_message(exc: yaml.MarkedYAMLError) -> str:
    return " ".join(part for part in (exc.context, exc.problem) if part)


def _yaml_hint(exc: yaml.MarkedYAMLError) -> str:
    problem = exc.problem or ""
    if "mapping values are not allowed" in problem:
        return 'a value containing `: ` must be quoted, e.g. title: "Topic: subtitle"'
    if "found character '\\t'" in problem:
        return "indent with spaces; YAML does not allow tabs"
    if "found unexpected end of stream" in problem or "while scanning a quoted scalar" in (exc.context or ""):
        return "a quote is not closed"
    return "check the indentation and quoting on this line"


# --- CSV ------------------------------------------------------------------------


class _CsvRefused(Exception):
    def __init__(self, line: int, error: csv.Error, detected: int) -> None:
        super().__init__(str(error))
        self.line, self.error, self.detected = line, error, detected


@contextlib.contextmanager
def _cell_limit(limit: int) -> Iterator[None]:
    """The csv module's field limit is process-wide: raise it only while one ledger is read.

    It is set above MAX_CELL_CHARS so an oversized cell is read whole and reported
    with its row and column, instead of as a bare "field larger than field limit".
    """
    previous = csv.field_size_limit(limit)
    try:
        yield
    finally:
        csv.field_size_limit(previous)


def _physical_records(text: str) -> Iterator[tuple[int, list[str]]]:
    """Yield (first line number, cells) per CSV record, so multi-line cells keep their true line."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    start = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            # The record that failed starts at `start`; an unclosed quote runs to the end of the file.
            raise _CsvRefused(start, exc, reader.line_num) from None
        yield start, cells
        start = reader.line_num + 1


def read_ledger(path: Path, display_path: str, problems: Problems) -> RawLedger | None:
    text = _read_utf8(path, display_path, problems, MAX_CSV_BYTES, LEDGER_READ_HINTS)
    if text is None:
        return None
    if "\r" in text:
        problems.add(
            "csv-line-endings",
            Location(display_path, 1),
            "",
            "the ledger uses CR or CRLF line endings",
            "run `kb fmt` to rewrite it with \\n line endings",
            Severity.WARNING,
        )
    records = _physical_records(text)
    try:
        with _cell_limit(max(len(text), MAX_CELL_CHARS) + 1):
            return _read_rows(records, display_path, problems)
    except _CsvRefused as exc:
        problems.add(
            "csv-syntax",
            Location(display_path, exc.line),
            "",
            f"cannot read the CSV row starting on this line: {exc.error}",
            _csv_syntax_hint(str(exc.error), exc.line, exc.detected),
        )
        return None


def _csv_syntax_hint(message: str, line: int, detected: int) -> str:
    if "end of data" in message:
        return f"a quoted cell in this row is never closed (the file ends at line {detected}); close it with a quote"
    return 'a quote inside a quoted cell must be doubled (""), and a quoted cell must end with a quote before the comma'


def _read_rows(records: Iterator[tuple[int, list[str]]], display_path: str, problems: Problems) -> RawLedger | None:
    first = next(records, None)
    if first is None:
        problems.add("csv-empty", Location(display_path, 1), "", "the ledger is empty", "add the header row")
        return None
    _, header = first
    columns = [c.strip() for c in header]
    if not _check_header(columns, header, display_path, problems):
        return None
    ledger = RawLedger(display_path, columns, [])
    for line, cells in records:
        if not cells:
            continue  # a blank line
        if not "".join(cells).strip():  # every cell blank
            problems.add(
                "csv-blank-row",
                Location(display_path, line),
                "",
                "row has no values and is skipped",
                "delete the empty row (spreadsheets leave these when a row's contents are cleared)",
                Severity.WARNING,
            )
            continue
        if len(cells) != len(columns):
            problems.add(
                "csv-field-count",
                Location(display_path, line),
                "",
                f"row has {len(cells)} field(s), the header has {len(columns)}",
                _field_count_hint(cells, len(columns)),
            )
            continue
        too_long = max(map(len, cells)) > MAX_CELL_CHARS and [
            (i, c, v) for i, (c, v) in enumerate(zip(columns, cells, strict=True)) if len(v) > MAX_CELL_CHARS
        ]
        if too_long:
            index, column, value = too_long[0]
            problems.add(
                "csv-cell-too-large",
                Location(display_path, line, index + 1),
                column,
                f"cell is {len(value):,} characters long; the limit is {MAX_CELL_CHARS:,}",
                "quote only the passage that backs the claim",
            )
            continue
        ledger.rows.append(RawRow(line, dict(zip(columns, cells, strict=True))))
    return ledger


def _field_count_hint(cells: list[str], expected: int) -> str:
    if len(cells) == 1 and ";" in cells[0]:
        return "the row seems to use `;` as delimiter; ledgers use commas"
    if len(cells) > expected:
        return 'a cell containing a comma must be quoted: "like, this"'
    return "every row needs a value (possibly empty) for every column"


def _check_header(columns: list[str], raw_header: list[str], display_path: str, problems: Problems) -> bool:
    ok = True
    if len(columns) == 1 and ";" in columns[0]:
        problems.add(
            "csv-delimiter",
            Location(display_path, 1),
            "",
            "the header uses `;` as delimiter",
            "ledgers are comma-separated",
        )
        return False
    allowed = set(LEDGER_COLUMNS) | set(OPTIONAL_LEDGER_COLUMNS)
    for index, (name, raw_name) in enumerate(zip(columns, raw_header, strict=True)):
        if not name:
            problems.add(
                "csv-unknown-column",
                Location(display_path, 1, index + 1),
                "",
                f"column {index + 1} of the header has no name",
                "remove the trailing comma, or name the column",
            )
            ok = False
        elif name not in allowed:
            problems.add(
                "csv-unknown-column",
                Location(display_path, 1, index + 1),
                name,
                f"unknown column `{name}`",
                did_you_mean(name, allowed),
            )
            ok = False
        elif name != raw_name:
            problems.add(
                "csv-header-whitespace",
                Location(display_path, 1, index + 1),
                name,
                f"column name `{raw_name}` has surrounding spaces",
                "remove them",
                Severity.WARNING,
            )
    for name in LEDGER_COLUMNS:
        if name not in columns:
            problems.add(
                "csv-missing-column",
                Location(display_path, 1),
                name,
                f"required column `{name}` is missing",
                "the header is: " + ",".join(LEDGER_COLUMNS),
            )
            ok = False
    duplicates = {c for c in columns if columns.count(c) > 1}
    for name in sorted(duplicates):
        problems.add(
            "csv-duplicate-column", Location(display_path, 1), name, f"column `{name}` appears twice", "keep one"
        )
        ok = False
    return ok
