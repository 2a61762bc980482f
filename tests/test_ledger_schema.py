"""One schema for ledgers: `LedgerRow` validates rows, and everything that describes a ledger comes from it.

The Frictionless Table Schema in `schema/` is checked with the real `frictionless validate`, on the bundled
ledger (accepted) and on a broken one (refused on the same cells `kb validate` refuses).
"""

from __future__ import annotations

import json
import subprocess
import sys
import typing
from pathlib import Path

from pydantic import BaseModel

from generator.model.records import (
    LEDGER_COLUMN_DOCS,
    LEDGER_COLUMNS,
    OPTIONAL_LEDGER_COLUMNS,
    RECORD_MODELS,
    LedgerRow,
)
from generator.model.schema import LEDGER_TABLE_SCHEMA, ledger_table_schema, schema_files
from generator.pipeline.validate import validate_corpus
from generator.problems import Problems
from generator.publish.exports import CLAIM_COLUMNS
from tests.conftest import REPO
from tests.helpers import HEADER, LEDGER, make_project, row

TABLE_SCHEMA = REPO / "schema" / LEDGER_TABLE_SCHEMA


def frictionless(root: Path, ledger: str) -> tuple[int, list[dict[str, typing.Any]]]:
    """Run the real `frictionless validate` CLI in `root`, as a user would; return its exit code and errors."""
    schema = f"schema/{LEDGER_TABLE_SCHEMA}"
    if root != REPO:
        (root / "schema").mkdir(exist_ok=True)
        (root / schema).write_bytes(TABLE_SCHEMA.read_bytes())
    result = subprocess.run(
        [sys.executable, "-m", "frictionless", "validate", "--json", "--schema", schema, ledger],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    report = json.loads(result.stdout)
    errors = [error for task in report["tasks"] for error in task["errors"]]
    return result.returncode, errors


def test_committed_schema_files_are_current() -> None:
    for name, text in schema_files().items():
        committed = REPO / "schema" / name
        assert committed.exists(), f"schema/{name} is missing: run `kb schema`"
        assert committed.read_text(encoding="utf-8") == text, f"schema/{name} is stale: run `kb schema`"


def test_frictionless_accepts_the_bundled_ledger() -> None:
    code, errors = frictionless(REPO, "ledgers/moe-ffn.csv")
    assert (code, errors) == (0, [])


def test_frictionless_and_kb_refuse_the_same_cells(tmp_path: Path) -> None:
    bad = [
        row(claim_status="Supported"),
        row(taxonomy_fit="in scope: typo"),
        row(audit_status="passed; checked"),
        row(claim_id="c-12"),
        row(claim="   "),
    ]
    root = make_project(tmp_path / "project", ledgers={"x.csv": HEADER + "\n" + "\n".join(bad) + "\n"})
    code, errors = frictionless(root, "ledgers/x.csv")
    assert code != 0
    refused_by_frictionless = sorted((e["rowNumber"], e["fieldName"]) for e in errors)
    problems = Problems()
    validate_corpus(root, problems)
    refused_by_kb = sorted((p.location.line, p.field) for p in problems.errors)
    expected = [(2, "claim_status"), (3, "taxonomy_fit"), (4, "audit_status"), (5, "claim_id"), (6, "claim")]
    assert refused_by_frictionless == expected
    assert refused_by_kb == expected


def test_reordered_columns_without_optional_ones_are_accepted_by_both(tmp_path: Path) -> None:
    columns = HEADER.split(",")
    reordered = [columns[1], columns[0], *columns[2:-1]]  # claim first, no claim_id
    lines = LEDGER.splitlines()
    cells = [lines[1].split(",")[i] for i in (1, 0, *range(2, len(columns) - 1))]
    root = make_project(tmp_path / "project", ledgers={"x.csv": ",".join(reordered) + "\n" + ",".join(cells) + "\n"})
    assert frictionless(root, "ledgers/x.csv") == (0, [])
    problems = Problems()
    corpus = validate_corpus(root, problems)
    assert not problems.errors and len(corpus.claims) == 1


def test_every_ledger_description_comes_from_the_model() -> None:
    fields = LedgerRow.model_fields
    assert tuple(name for name, info in fields.items() if info.is_required()) == LEDGER_COLUMNS
    assert {name: info.description for name, info in fields.items()} == {
        **LEDGER_COLUMN_DOCS,
        **OPTIONAL_LEDGER_COLUMNS,
    }
    table = {field["name"]: field["description"] for field in ledger_table_schema()["fields"]}
    assert table == {name: info.description for name, info in fields.items()}
    release = {column.name: column.doc for column in CLAIM_COLUMNS}
    # The release's claim_id is never empty (a new row carries its provisional id), so it says so in its own words.
    assert all(release[name] == info.description for name, info in fields.items() if name != "claim_id")


def test_every_record_field_has_its_description_in_the_model() -> None:
    """Scaffold comments, JSON Schema and the data release read descriptions from the fields, and only there."""
    missing: list[str] = []
    seen: set[type[BaseModel]] = set()

    def walk(model: type[BaseModel]) -> None:
        if model in seen:
            return
        seen.add(model)
        for name, info in model.model_fields.items():
            if not info.description:
                missing.append(f"{model.__name__}.{name}")
            for arg in (info.annotation, *typing.get_args(info.annotation)):
                for inner in (arg, *typing.get_args(arg)):
                    if isinstance(inner, type) and issubclass(inner, BaseModel):
                        walk(inner)

    for model in (*RECORD_MODELS.values(), LedgerRow):
        walk(model)
    assert missing == []
    assert not hasattr(__import__("generator.commands.scaffold", fromlist=["x"]), "FIELD_DOCS")
