"""JSON Schema export: one file per record kind, generated from model.py.

Editors (yaml-language-server), check-jsonschema in pre-commit and the data
release all use these files; a test fails when they are out of date.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from generator.model.records import RECORD_MODELS

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


def write_schemas(out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in render_schemas().items():
        path = out_dir / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
