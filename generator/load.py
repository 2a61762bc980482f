"""Load stage: files on disk -> raw documents that remember where every value came from.

YAML goes through a strict SafeLoader subclass that refuses duplicate keys,
tags, anchors, aliases and merge keys, and keeps a line/column mark for every
node. CSV is read with the csv module, never with type inference: every cell
stays the exact text the contributor wrote.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .model import LEDGER_COLUMNS, OPTIONAL_LEDGER_COLUMNS
from .problems import Location, Problems, Severity, did_you_mean

MAX_YAML_BYTES = 1_000_000
MAX_CSV_BYTES = 20_000_000
MAX_CELL_CHARS = 100_000
YAML_SUFFIXES = (".yaml", ".yml")

Path_ = tuple[str | int, ...]


@dataclass
class RawDocument:
    """One YAML record as plain data, with a mark for every key path."""

    path: str
    data: Any
    marks: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    implicit: dict[Path_, str] = field(default_factory=dict)

    def location(self, key_path: Path_) -> Location:
        """The closest recorded mark for a key path (a missing key points at its parent)."""
        probe = tuple(key_path)
        while probe not in self.marks and probe:
            probe = probe[:-1]
        line, col = self.marks.get(probe, (1, 1))
        return Location(self.path, line, col)


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
    def __init__(self, mark: yaml.Mark | None, code: str, message: str, hint: str) -> None:
        super().__init__(message)
        self.mark, self.code, self.message, self.hint = mark, code, message, hint


class StrictLoader(yaml.SafeLoader):
    """Composes nodes only; refuses the YAML features records never need."""

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node | None:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise _YamlRefused(
                event.start_mark, "yaml-alias", "aliases (*name) are not allowed in records", "write the value out in full"
            )
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            raise _YamlRefused(
                event.start_mark, "yaml-anchor", f"anchors (&{anchor}) are not allowed in records", "remove the anchor"
            )
        tag = getattr(event, "tag", None)
        implicit = getattr(event, "implicit", True)
        explicit = tag is not None and tag != "!" and not (implicit is True or (isinstance(implicit, tuple) and any(implicit)))
        if explicit:
            raise _YamlRefused(
                event.start_mark,
                "yaml-tag",
                f"tags such as {tag} are not allowed in records",
                "remove the tag; quote the value if it must be text",
            )
        return super().compose_node(parent, index)  # type: ignore[no-any-return]


_STR_TAG = "tag:yaml.org,2002:str"
_CONSTRUCTOR = yaml.constructor.SafeConstructor()


def _to_python(node: yaml.Node, key_path: Path_, doc: RawDocument) -> Any:
    doc.marks.setdefault(key_path, (node.start_mark.line + 1, node.start_mark.column + 1))
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise _YamlRefused(key_node.start_mark, "yaml-merge-key", "merge keys (<<) are not allowed", "write the keys out")
            if not isinstance(key_node, yaml.ScalarNode):
                raise _YamlRefused(key_node.start_mark, "yaml-key", "a key must be plain text", "")
            key = str(key_node.value)
            if key in result:
                first_line = doc.marks[(*key_path, key)][0]
                raise _YamlRefused(
                    key_node.start_mark,
                    "yaml-duplicate-key",
                    f"duplicate key `{key}` (first set on line {first_line})",
                    "keep one of the two; YAML would silently use the last",
                )
            doc.marks[(*key_path, key)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            result[key] = _to_python(value_node, (*key_path, key), doc)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_to_python(item, (*key_path, i), doc) for i, item in enumerate(node.value)]
    assert isinstance(node, yaml.ScalarNode)
    if node.tag == _STR_TAG:
        return node.value
    if node.tag == "tag:yaml.org,2002:timestamp":
        # Dates stay text; the model checks they are real calendar dates.
        doc.implicit[key_path] = "date"
        return node.value
    if node.tag == "tag:yaml.org,2002:null":
        return None
    try:
        value = _CONSTRUCTOR.construct_object(node, deep=True)
    except (ValueError, yaml.constructor.ConstructorError):
        return node.value  # e.g. an integer too long to convert: the model will reject the text
    if isinstance(value, bool | int | float):
        doc.implicit[key_path] = node.value
    return value


def read_yaml(path: Path, display_path: str, problems: Problems) -> RawDocument | None:
    """Parse one record file; on any refusal add a located problem and return None."""
    raw = path.read_bytes()
    if len(raw) > MAX_YAML_BYTES:
        problems.add("file-too-large", Location(display_path, 1), "", f"file is {len(raw):,} bytes; the limit is {MAX_YAML_BYTES:,}", "split it")
        return None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.add(
            "encoding", Location(display_path, raw[: exc.start].count(b"\n") + 1), "",
            f"not UTF-8: byte 0x{raw[exc.start]:02x} at offset {exc.start}", "save the file as UTF-8",
        )  # fmt: skip
        return None
    doc = RawDocument(display_path, None)
    loader = StrictLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            problems.add("yaml-empty", Location(display_path, 1), "", "the file is empty", "add the record's fields, or delete the file")
            return None
        doc.data = _to_python(root, (), doc)
    except _YamlRefused as exc:
        line, col = (exc.mark.line + 1, exc.mark.column + 1) if exc.mark else (1, 1)
        problems.add(exc.code, Location(display_path, line, col), "", exc.message, exc.hint)
        return None
    except yaml.composer.ComposerError as exc:
        mark = exc.problem_mark
        problems.add(
            "yaml-multiple-documents", Location(display_path, (mark.line + 1) if mark else 1), "",
            "a record file holds exactly one YAML document", "remove the `---` separator and split the records into files",
        )  # fmt: skip
        return None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problems.add("yaml-syntax", Location(display_path, line, col), "", _yaml_message(exc), _yaml_hint(exc))
        return None
    except yaml.YAMLError as exc:
        problems.add("yaml-syntax", Location(display_path, 1), "", str(exc).splitlines()[0], "")
        return None
    finally:
        loader.dispose()
    return doc


def _yaml_message(exc: yaml.MarkedYAMLError) -> str:
    return " ".join(part for part in (exc.context, exc.problem) if part)


def _yaml_hint(exc: yaml.MarkedYAMLError) -> str:
    problem = exc.problem or ""
    if "mapping values are not allowed" in problem:
        return "a value containing `: ` must be quoted, e.g. title: \"Topic: subtitle\""
    if "found character '\\t'" in problem:
        return "indent with spaces; YAML does not allow tabs"
    if "found unexpected end of stream" in problem or "while scanning a quoted scalar" in (exc.context or ""):
        return "a quote is not closed"
    return "check the indentation and quoting on this line"


# --- CSV ------------------------------------------------------------------------


def _physical_records(text: str) -> Iterator[tuple[int, list[str]]]:
    """Yield (first line number, cells) per CSV record, so multi-line cells keep their true line."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    start = 1
    for cells in reader:
        yield start, cells
        start = reader.line_num + 1


def read_ledger(path: Path, display_path: str, problems: Problems) -> RawLedger | None:
    raw = path.read_bytes()
    if len(raw) > MAX_CSV_BYTES:
        problems.add("file-too-large", Location(display_path, 1), "", f"file is {len(raw):,} bytes; the limit is {MAX_CSV_BYTES:,}", "split the ledger")
        return None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.add(
            "csv-encoding", Location(display_path, raw[: exc.start].count(b"\n") + 1), "",
            f"not UTF-8: byte 0x{raw[exc.start]:02x} at byte offset {exc.start}",
            "save the ledger as UTF-8 (Excel: 'CSV UTF-8'); Windows-1252 quotes and dashes are the usual cause",
        )  # fmt: skip
        return None
    if "\r" in text:
        problems.add(
            "csv-line-endings", Location(display_path, 1), "", "the ledger uses CR or CRLF line endings",
            "run `kb fmt` to rewrite it with \\n line endings", Severity.WARNING,
        )  # fmt: skip
    records = _physical_records(text)
    try:
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
            if not any(cells):
                continue
            if len(cells) != len(columns):
                problems.add(
                    "csv-field-count", Location(display_path, line), "",
                    f"row has {len(cells)} field(s), the header has {len(columns)}",
                    _field_count_hint(cells, len(columns)),
                )  # fmt: skip
                continue
            too_long = [c for c, v in zip(columns, cells, strict=True) if len(v) > MAX_CELL_CHARS]
            if too_long:
                problems.add(
                    "csv-cell-too-large", Location(display_path, line), too_long[0],
                    f"cell is longer than {MAX_CELL_CHARS:,} characters", "quote only the passage that backs the claim",
                )  # fmt: skip
                continue
            ledger.rows.append(RawRow(line, dict(zip(columns, cells, strict=True))))
    except csv.Error as exc:
        problems.add(
            "csv-syntax", Location(display_path, _csv_error_line(text, exc)), "", f"cannot read the CSV: {exc}",
            "a quote is probably not closed: a quoted cell must end with a quote, and quotes inside it are doubled (\"\")",
        )  # fmt: skip
        return None
    return ledger


def _csv_error_line(text: str, exc: csv.Error) -> int:
    # The csv module does not expose its position; an unterminated quote runs to the end.
    quote_lines = [i + 1 for i, line in enumerate(text.split("\n")) if line.count('"') % 2 == 1]
    return quote_lines[0] if quote_lines else 1


def _field_count_hint(cells: list[str], expected: int) -> str:
    if len(cells) == 1 and ";" in cells[0]:
        return "the row seems to use `;` as delimiter; ledgers use commas"
    if len(cells) > expected:
        return "a cell containing a comma must be quoted: \"like, this\""
    return "every row needs a value (possibly empty) for every column"


def _check_header(columns: list[str], raw_header: list[str], display_path: str, problems: Problems) -> bool:
    ok = True
    if len(columns) == 1 and ";" in columns[0]:
        problems.add("csv-delimiter", Location(display_path, 1), "", "the header uses `;` as delimiter", "ledgers are comma-separated")
        return False
    allowed = set(LEDGER_COLUMNS) | set(OPTIONAL_LEDGER_COLUMNS)
    for index, (name, raw_name) in enumerate(zip(columns, raw_header, strict=True)):
        if name not in allowed:
            problems.add(
                "csv-unknown-column", Location(display_path, 1, index + 1), name,
                f"unknown column `{name}`", did_you_mean(name, allowed),
            )  # fmt: skip
            ok = False
        elif name != raw_name:
            problems.add(
                "csv-header-whitespace", Location(display_path, 1, index + 1), name,
                f"column name `{raw_name}` has surrounding spaces", "remove them", Severity.WARNING,
            )  # fmt: skip
    for name in LEDGER_COLUMNS:
        if name not in columns:
            problems.add(
                "csv-missing-column", Location(display_path, 1), name, f"required column `{name}` is missing",
                "the header is: " + ",".join(LEDGER_COLUMNS),
            )  # fmt: skip
            ok = False
    duplicates = {c for c in columns if columns.count(c) > 1}
    for name in sorted(duplicates):
        problems.add("csv-duplicate-column", Location(display_path, 1), name, f"column `{name}` appears twice", "keep one")
        ok = False
    return ok
