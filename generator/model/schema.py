"""Schema export: a JSON Schema per record kind and a Frictionless Table Schema of the ledgers, from the model.

Editors (yaml-language-server), check-jsonschema in pre-commit and the data
release use the JSON Schemas; `frictionless validate` and other CSV tools read
`ledger.table-schema.json`. A test fails when any file is out of date.
"""

from __future__ import annotations

import json
import re
import typing
from pathlib import Path
from typing import Any

from pydantic.fields import FieldInfo

from generator.model.records import RECORD_MODELS, VOCABULARIES, LedgerRow

SCHEMA_BASE = "https://evidence-ledger.example/schema/"


def schema_for(kind: str) -> dict[str, Any]:
    schema = RECORD_MODELS[kind].model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{SCHEMA_BASE}{kind}.schema.json",
        **schema,
    }


def render_schemas() -> dict[str, str]:
    """File name -> exact file text, so tests can compare byte for byte."""
    return {
        f"{kind}.schema.json": json.dumps(schema_for(kind), indent=2, ensure_ascii=False) + "\n"
        for kind in RECORD_MODELS
    }


LEDGER_TABLE_SCHEMA = "ledger.table-schema.json"


def _whole(pattern: str) -> str:
    """Table Schema patterns match the whole value: drop `^…$` anchors, and let an unanchored pattern
    (pydantic searches, e.g. `\\S` for "not only spaces") match anywhere in the cell."""
    if pattern.startswith("^") and pattern.endswith("$"):
        return pattern.removeprefix("^").removesuffix("$")
    return rf"[\s\S]*(?:{pattern})[\s\S]*"


def _pattern_of(info: FieldInfo) -> str | None:
    for meta in info.metadata:
        if isinstance(getattr(meta, "pattern", None), str):
            return str(meta.pattern)
    extra = info.json_schema_extra
    return str(extra["pattern"]) if isinstance(extra, dict) and "pattern" in extra else None


def _table_field(name: str, info: FieldInfo) -> dict[str, Any]:
    """One ledger column as a Table Schema field: every cell is text, constrained as `LedgerRow` checks it."""
    constraints: dict[str, Any] = {}
    choices = typing.get_args(info.annotation) if typing.get_origin(info.annotation) is typing.Literal else ()
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    if choices:
        constraints["enum"] = list(choices)
    elif "vocabulary" in extra:  # `verdict: reason`, `result; note; key=value`: the leading part is the value
        values = "|".join(re.escape(value) for value in VOCABULARIES[str(extra["vocabulary"])].values)
        separator = str(extra["separator"])
        space = r"\s*" if extra.get("stripped") else ""
        constraints["pattern"] = rf"{space}(?:{values}){space}(?:{re.escape(separator)}[\s\S]*)?"
    elif (pattern := _pattern_of(info)) is not None:
        constraints["pattern"] = _whole(pattern)
    if constraints and info.is_required():  # a constrained required column never accepts an empty cell
        constraints = {"required": True, **constraints}
    field: dict[str, Any] = {"name": name, "type": "string", "description": info.description or ""}
    return {**field, "constraints": constraints} if constraints else field


def ledger_table_schema() -> dict[str, Any]:
    """The Frictionless Table Schema of a claim ledger: columns in any order, optional ones may be absent."""
    return {
        "$schema": "https://datapackage.org/profiles/2.0/tableschema.json",
        "title": "Claim ledger",
        "description": (LedgerRow.__doc__ or "").split("\n")[0],
        "fields": [_table_field(name, info) for name, info in LedgerRow.model_fields.items()],
        "fieldsMatch": "superset",
        "missingValues": [""],
    }


def schema_files() -> dict[str, str]:
    """Every file `kb schema` writes into `schema/`: the JSON Schemas and the ledger's Table Schema."""
    table = json.dumps(ledger_table_schema(), indent=2, ensure_ascii=False) + "\n"
    return {**render_schemas(), LEDGER_TABLE_SCHEMA: table}


def write_schemas(out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in schema_files().items():
        path = out_dir / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
