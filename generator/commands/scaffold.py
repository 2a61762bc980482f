"""`kb new`: a commented record skeleton, derived from the data model.

The skeleton and its comments are generated from `model.Paper` / `model.Synthesis` and their
fields' descriptions, so a new field appears in it without anyone editing this file. Every field the contributor
must fill is written as `null` under a "Required" comment: the unfilled
skeleton fails validation on exactly those fields, and validates once they
are filled.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import sys
import types
import typing
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from generator.commands import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE
from generator.model import records as model
from generator.model.paper_ids import ARXIV_ID_RE, canonical_paper_id, is_paper_id
from generator.model.records import VOCABULARIES
from generator.urls import UnsafeIdError, record_filename, safe_join

SCHEMA_FILES = {"paper": "paper.schema.json", "synthesis": "synthesis.schema.json"}

# Values a brand-new record really has, so the contributor need not fill them.
PREFILLED: dict[tuple[str, str], Any] = {
    ("CorrectionRecord", "status"): "CURRENT",
    ("CorrectionRecord", "correction_count"): 0,
}


class IdError(ValueError):
    """A malformed id given to `kb new`."""


def normalise_paper_id(raw: str) -> tuple[str, str]:
    """`arXiv:2503.23007v2` or an arxiv.org/abs URL -> (`2503.23007`, `v2`); `doi:10.1145/X`, a doi.org URL or
    `10.1145/X` -> (`doi:10.1145/x`, ``) (an arXiv DOI gives the arXiv id); `openreview:…` and `acl:…` as they are."""
    text = raw.strip()
    text = re.sub(r"(?i)^https?://(?:www\.)?arxiv\.org/(?:abs|pdf)/", "", text)
    text = re.sub(r"(?i)^arxiv:", "", text)
    text = re.sub(r"\.pdf$", "", text)
    doi = re.fullmatch(r"(?i)(?:doi:|https?://(?:dx\.)?doi\.org/)?\s*(10\.\d{4,9}/\S+)", text)
    if doi:
        text = canonical_paper_id(f"doi:{doi.group(1)}")
    match = ARXIV_ID_RE.fullmatch(text)
    if match:
        return match.group("base"), match.group("version") or ""
    if is_paper_id(text):
        return text, ""
    raise IdError(
        f"`{raw}` is not a paper id; expected an arXiv id such as `2503.23007` (old style `hep-th/9901001`, "
        "a version like `v2` may follow), a DOI such as `doi:10.1145/3219819.3220007`, "
        "`openreview:<forum id>` or `acl:<Anthology id>`"
    )


def normalise_synthesis_id(raw: str) -> str:
    """`SRCH-abcd1234` or `SRCH:ABCD1234` -> `SRCH:ABCD1234`."""
    match = re.fullmatch(r"(?i)SRCH[:-]([0-9a-f]{8})", raw.strip())
    if not match:
        raise IdError(
            f"`{raw}` is not a synthesis id; expected `SRCH:` or `SRCH-` and eight hex digits, e.g. `SRCH:0A1B2C3D`"
        )
    return f"SRCH:{match.group(1).upper()}"


def modeline(record_path: Path, root: Path, kind: str) -> str:
    """The yaml-language-server comment that gives editors completion and checking for the record."""
    schema = root / "schema" / SCHEMA_FILES[kind]
    relative = Path(os.path.relpath(schema, record_path.parent)).as_posix()
    return f"# yaml-language-server: $schema={relative}"


# --- rendering a model as commented YAML -------------------------------------------


def _scalar(value: Any) -> str:
    """YAML for one scalar; strings are JSON-quoted, which YAML reads back unchanged."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(str(value), ensure_ascii=False)


def _unwrap(annotation: Any) -> Any:
    """`X | None` -> X, `Annotated[X, ...]` -> X."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            rest = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(rest) != 1:
                return annotation
            annotation = rest[0]
        else:
            return annotation


def _model_class(annotation: Any) -> type[BaseModel] | None:
    inner = _unwrap(annotation)
    return inner if isinstance(inner, type) and issubclass(inner, BaseModel) else None


def _list_item_model(annotation: Any) -> type[BaseModel] | None:
    inner = _unwrap(annotation)
    if typing.get_origin(inner) is list:
        return _model_class(typing.get_args(inner)[0])
    return None


def _choices(annotation: Any) -> list[str]:
    inner = _unwrap(annotation)
    return [str(v) for v in typing.get_args(inner)] if typing.get_origin(inner) is Literal else []


def _vocabulary_lines(values: list[str], description: str | None) -> list[str]:
    """Values with their definitions; two vocabularies may share values (L0-L7), so the field's doc decides."""
    matching = [v for v in VOCABULARIES.values() if set(v.values) == set(values)]
    for vocabulary in sorted(matching, key=lambda v: v.doc != description):
        return [f"  {value}: {vocabulary.describe(value)}" for value in values]
    return ["  one of: " + ", ".join(values)]


def _render(
    owner: type[BaseModel],
    given: dict[str, Any],
    indent: int,
    lines: list[str],
) -> None:
    pad = " " * indent
    for name, info in owner.model_fields.items():
        required = info.is_required() and name not in given and (owner.__name__, name) not in PREFILLED
        nested = _model_class(info.annotation)
        comment = [info.description] if info.description else []
        if required and not nested:
            comment.append("Required: replace null.")
        choices = _choices(info.annotation)
        if choices:
            comment += ["Choose one of:", *_vocabulary_lines(choices, info.description)]
        item_model = _list_item_model(info.annotation)
        if item_model is not None:
            parts = [
                f"{sub}" + ("*" if sub_info.is_required() else "") for sub, sub_info in item_model.model_fields.items()
            ]
            comment.append("Each item is a mapping with: " + ", ".join(parts) + " (* = required).")
        lines.extend(f"{pad}# {text}".rstrip() for text in comment)

        if name in given:
            value = given[name]
        elif (owner.__name__, name) in PREFILLED:
            value = PREFILLED[(owner.__name__, name)]
        elif required:
            value = None
        else:
            value = info.get_default(call_default_factory=True)

        if nested is not None and (required or isinstance(value, BaseModel)):
            lines.append(f"{pad}{name}:")
            _render(nested, {}, indent + 2, lines)
        elif value == {}:
            lines.append(f"{pad}{name}: {{}}")
        elif isinstance(value, list):
            if value:
                lines.append(f"{pad}{name}:")
                lines.extend(f"{pad}  - {_scalar(item)}" for item in value)
            else:
                lines.append(f"{pad}{name}: []")
        else:
            lines.append(f"{pad}{name}: {_scalar(value)}")


def skeleton(kind: str, identifier: str, version: str, record_path: Path, root: Path, today: dt.date) -> str:
    """The full text of a new record of `kind`."""
    cls: type[BaseModel] = model.Paper if kind == "paper" else model.Synthesis
    given: dict[str, Any] = {"id": identifier, "added": today.isoformat()}
    if version:
        given["versions"] = [version]
    lines = [
        modeline(record_path, root, kind),
        f"# New {kind} record `{identifier}`. Fill in every field marked Required, then run `kb validate`.",
        "# Comments may stay; `kb fmt` keeps them.",
        "",
    ]
    _render(cls, given, 0, lines)
    return "\n".join(lines) + "\n"


# --- the command -----------------------------------------------------------------


def _existing(root: Path, relative: str) -> Path | None:
    """A record with the same file name anywhere under records/ counts as existing."""
    records = root / "records"
    target = records / relative
    if target.exists() or target.is_symlink():
        return target
    if records.is_dir():
        for found in records.rglob(Path(relative).name):
            return found
    return None


def cmd_new(args: argparse.Namespace) -> int:
    """`kb new paper <arxiv-id>` / `kb new synthesis <SRCH-id>`: write a commented skeleton, never overwrite."""
    root = Path(args.root).resolve()
    kind = str(args.kind)
    version = ""
    try:
        if kind == "paper":
            identifier, version = normalise_paper_id(str(args.id))
        elif kind == "synthesis":
            identifier = normalise_synthesis_id(str(args.id))
        else:
            raise IdError(f"unknown record kind `{kind}`; expected `paper` or `synthesis`")
        relative = record_filename(identifier)
        target = safe_join(root / "records", relative)
    except (IdError, UnsafeIdError) as exc:
        print(f"kb new: {exc}", file=sys.stderr)
        return EXIT_USAGE
    existing = _existing(root, relative)
    if existing is not None:
        shown = existing.relative_to(root).as_posix() if existing.is_relative_to(root) else str(existing)
        print(f"kb new: {shown} already exists; not overwritten (edit it, or delete it first)", file=sys.stderr)
        return EXIT_PROBLEMS
    text = skeleton(kind, identifier, version, target, root, dt.date.today())
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with target.open("x", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    except FileExistsError:
        print(f"kb new: {target.relative_to(root).as_posix()} already exists; not overwritten", file=sys.stderr)
        return EXIT_PROBLEMS
    print(f"kb new: wrote {target.relative_to(root).as_posix()}; fill in the fields marked Required", file=sys.stderr)
    return EXIT_OK
