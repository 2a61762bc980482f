"""`ledgers/datapackage.json`: each ledger's own title, description and sources.

The descriptor is a Frictionless Data Package (https://specs.frictionlessdata.io/data-package/)
with one tabular data resource per ledger file: `path` (relative to `ledgers/`), `title`,
`description`, `sources` (each with a `title`) and `schema`, which names the Table Schema
`schema/ledger.table-schema.json`. Only those properties are read; others are allowed, as the
specification allows. A ledger without a resource simply has no title of its own.
"""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath
from typing import Any

from generator.model.records import LedgerMeta
from generator.problems import Location, Problems

LEDGER_PACKAGE = "ledgers/datapackage.json"
_HINT = "see https://specs.frictionlessdata.io/data-package/ and the example in ledgers/datapackage.json"


def read_ledger_package(root: Path, problems: Problems) -> dict[str, LedgerMeta]:
    """Ledger path -> its metadata; every problem located, none raised."""
    path = root / LEDGER_PACKAGE
    if not path.is_file():
        return {}

    def bad(field: str, message: str, line: int | None = None, col: int | None = None) -> None:
        problems.add("ledger-package-invalid", Location(LEDGER_PACKAGE, line, col), field, message, _HINT)

    try:
        descriptor = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as error:
        bad("", f"not UTF-8: {error.reason} at byte {error.start}")
        return {}
    except json.JSONDecodeError as error:
        bad("", f"not valid JSON: {error.msg}", error.lineno, error.colno)
        return {}
    resources = descriptor.get("resources") if isinstance(descriptor, dict) else None
    if not isinstance(resources, list):
        bad("resources", "a data package needs a `resources` list")
        return {}
    ledgers: dict[str, LedgerMeta] = {}
    for index, resource in enumerate(resources):
        where = f"resources[{index}]"
        meta = _resource(root, resource, where, bad)
        if meta is None:
            continue
        if meta.path in ledgers:
            bad(f"{where}.path", f"`{meta.path}` is described twice")
            continue
        ledgers[meta.path] = meta
    return ledgers


def _resource(root: Path, resource: Any, where: str, bad: Any) -> LedgerMeta | None:
    if not isinstance(resource, dict):
        bad(where, "each resource must be an object")
        return None
    relative = resource.get("path")
    pure = PurePosixPath(relative) if isinstance(relative, str) else None
    if pure is None or pure.is_absolute() or ".." in pure.parts or "://" in str(relative) or pure.suffix != ".csv":
        bad(f"{where}.path", f"`{relative}` is not the name of a ledger file in ledgers/ (e.g. `moe-ffn.csv`)")
        return None
    ledger = f"ledgers/{pure.as_posix()}"
    if not (root / ledger).is_file():
        bad(f"{where}.path", f"`{ledger}` does not exist")
        return None
    texts: dict[str, str] = {}
    for key in ("name", "title", "description", "schema"):
        value = resource.get(key, "")
        if not isinstance(value, str):
            bad(f"{where}.{key}", f"`{key}` must be text")
            value = ""
        texts[key] = value
    sources = resource.get("sources", [])
    if not isinstance(sources, list) or not all(
        isinstance(s, dict) and isinstance(s.get("title"), str) for s in sources
    ):
        bad(f"{where}.sources", "`sources` must be a list of objects, each with a `title`")
        sources = []
    return LedgerMeta(
        path=ledger,
        name=texts["name"],
        title=texts["title"],
        description=texts["description"],
        sources=tuple(s["title"] for s in sources),
        schema=texts["schema"],
    )
