"""`kb new`: a commented record skeleton, derived from the data model.

The skeleton is generated from `model.Paper` / `model.Synthesis`, so a new field
appears in it without anyone editing this file. Every field the contributor
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
from pydantic.fields import FieldInfo

from generator.model import records as model
from generator.model.records import ARXIV_ID_RE, VOCABULARIES
from generator.urls import UnsafeIdError, record_filename, safe_join

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2

SCHEMA_FILES = {"paper": "paper.schema.json", "synthesis": "synthesis.schema.json"}

# Explanations for fields whose model definition has no description.
FIELD_DOCS: dict[tuple[str, str], str] = {
    ("Paper", "title"): "Title as printed on the paper.",
    ("Paper", "year"): "Year of first publication (1990-2100).",
    ("Paper", "venue"): "Where it appeared, e.g. `NeurIPS 2023`; `arXiv` for a preprint.",
    ("Paper", "abstract"): "The paper's abstract, verbatim; claims read from the abstract are checked against it.",
    ("Paper", "cites"): "Corpus papers or declared external works this paper cites.",
    ("Paper", "links"): "Other places the paper lives. Leave a link empty (null) when there is none.",
    ("Paper", "tombstone"): "Only for a withdrawn record: why, when, and which record to read instead.",
    ("Synthesis", "title"): "Title of the synthesis report.",
    ("Synthesis", "abstract"): "Short summary of the report.",
    ("Synthesis", "research_question"): "The question the synthesis answers, in one sentence.",
    ("Synthesis", "taxonomy"): "Category slugs from `records/taxonomy.yaml`.",
    ("Synthesis", "verification_level"): "How far the report was verified.",
    ("Synthesis", "quality_tier"): "Triage tier and the reason for it.",
    ("Synthesis", "quality_dimensions"): "Rating of each quality dimension.",
    ("Synthesis", "correction_record"): "Correction history; corrections are only ever added.",
    ("Synthesis", "provenance"): "Who published the report and where its artifacts are.",
    ("Synthesis", "aliases"): "Former ids of this record; each becomes a redirect.",
    ("Synthesis", "added"): "Date the record entered the corpus.",
    ("VerificationRecord", "label"): "Short label for the level, as shown on the page.",
    ("VerificationRecord", "source_grounded_claims"): "Number of claims tied to parsed source sections.",
    ("VerificationRecord", "claim_record_source"): "Where the claim counts are recorded.",
    ("LevelLabel", "label"): "Short label for the level.",
    ("Provenance", "publisher"): "Who published the report.",
    ("Provenance", "public_provenance"): "The verification level that can be checked publicly.",
    ("Provenance", "report_artifact"): "Where the report itself is archived.",
    ("Provenance", "external_record"): "The external archival record of the report.",
    ("Provenance", "claim_lineage"): "Where each claim's lineage to its source is recorded.",
    ("Provenance", "review_method"): "How the report was reviewed.",
    ("Provenance", "provenance_contract"): "The contract the provenance data follows.",
    ("Provenance", "quality_guide"): "The quality guide the review followed, if any.",
    ("Provenance", "note"): "Anything else a reader should know about the provenance.",
    ("CorrectionRecord", "manifest_contract"): "The contract the report manifest follows.",
    ("CorrectionRecord", "correction_contract"): "The contract correction events follow.",
    ("CorrectionRecord", "corrections"): "Correction events, oldest first; never remove one.",
}

# Values a brand-new record really has, so the contributor need not fill them.
PREFILLED: dict[tuple[str, str], Any] = {
    ("CorrectionRecord", "status"): "CURRENT",
    ("CorrectionRecord", "correction_count"): 0,
}


class IdError(ValueError):
    """A malformed id given to `kb new`."""


def normalise_paper_id(raw: str) -> tuple[str, str]:
    """`arXiv:2503.23007v2` or an arxiv.org/abs URL -> (`2503.23007`, `v2`)."""
    text = raw.strip()
    text = re.sub(r"(?i)^https?://(?:www\.)?arxiv\.org/(?:abs|pdf)/", "", text)
    text = re.sub(r"(?i)^arxiv:", "", text)
    text = re.sub(r"\.pdf$", "", text)
    match = ARXIV_ID_RE.fullmatch(text)
    if not match:
        raise IdError(
            f"`{raw}` is not an arXiv id; expected a new-style id such as `2503.23007` "
            "or an old-style one such as `hep-th/9901001` (a version like `v2` may follow)"
        )
    return match.group("base"), match.group("version") or ""


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


def _field_doc(owner: type[BaseModel], name: str, info: FieldInfo) -> str:
    return info.description or FIELD_DOCS.get((owner.__name__, name), "")


def _vocabulary_lines(values: list[str]) -> list[str]:
    for vocabulary in VOCABULARIES.values():
        if set(vocabulary.values) == set(values):
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
        comment = [_field_doc(owner, name, info)] if _field_doc(owner, name, info) else []
        if required and not nested:
            comment.append("Required: replace null.")
        choices = _choices(info.annotation)
        if choices:
            comment += ["Choose one of:", *_vocabulary_lines(choices)]
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
