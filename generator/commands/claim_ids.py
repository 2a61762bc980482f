"""Permanent claim ids.

An id is derived once from the claim's paper and text, then stored in the
ledger's `claim_id` column and never recomputed: editing the text, or
inserting, deleting or reordering rows, moves no anchor. Ids of deleted claims
stay in urls.lock, so they are never handed out again.
"""

from __future__ import annotations

import csv
import hashlib
import io
import sys
from pathlib import Path

from generator.model.records import LEDGER_COLUMNS, arxiv_base


def provisional_claim_id(paper_id: str, claim: str, length: int = 8) -> str:
    digest = hashlib.sha256(f"{arxiv_base(paper_id)}\n{claim}".encode()).hexdigest()
    return f"c-{digest[:length]}"


def new_claim_id(paper_id: str, claim: str, taken: set[str]) -> str:
    """The shortest content-derived id not yet taken (now or ever, via urls.lock)."""
    for length in (8, 10, 12):
        candidate = provisional_claim_id(paper_id, claim, length)
        if candidate not in taken:
            return candidate
    salt = 1
    while True:
        candidate = provisional_claim_id(paper_id, f"{claim}\n{salt}", 12)
        if candidate not in taken:
            return candidate
        salt += 1


def _published_claim_ids(root: Path) -> set[str]:
    lock = root / "urls.lock"
    if not lock.exists():
        return set()
    return {
        line.rsplit("/", 2)[-2]
        for line in lock.read_text(encoding="utf-8").splitlines()
        if line.startswith("claims/c-")
    }


def fill_claim_ids(root: Path, check: bool = False) -> int:
    """`kb ids`: give rows without an id a new one. Returns the exit code."""
    taken = _published_claim_ids(root)
    ledgers = sorted((root / "ledgers").glob("*.csv"))
    tables: list[tuple[Path, list[str], list[list[str]]]] = []
    for path in ledgers:
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))
        if not rows or not set(LEDGER_COLUMNS) <= set(rows[0]):
            print(f"{path}: not a ledger with the standard header; run `kb validate`", file=sys.stderr)
            return 1
        tables.append((path, rows[0], rows[1:]))
        if "claim_id" in rows[0]:
            column = rows[0].index("claim_id")
            taken |= {row[column] for row in rows[1:] if len(row) > column and row[column]}
    missing = ragged = 0
    for path, header, body in tables:
        if "claim_id" not in header:
            header.append("claim_id")
            for row in body:
                row.append("")
        column = header.index("claim_id")
        paper, text = header.index("paper_id"), header.index("claim")
        changed = False
        for number, row in enumerate(body, start=2):
            if len(row) != len(header):
                print(
                    f"{path.relative_to(root)}:{number}: row has {len(row)} fields, not {len(header)}; left without an id (see `kb validate`)",
                    file=sys.stderr,
                )
                ragged += 1
                continue
            if row[column]:
                continue
            missing += 1
            if check:
                continue
            row[column] = new_claim_id(row[paper], row[text], taken)
            taken.add(row[column])
            changed = True
        if changed:
            out = io.StringIO()
            csv.writer(out, lineterminator="\n").writerows([header, *body])
            path.write_text(out.getvalue(), encoding="utf-8")
            print(f"kb: assigned claim ids in {path.relative_to(root)}", file=sys.stderr)
    if check and missing:
        print(f"kb: {missing} ledger row(s) have no claim_id; run `kb ids`", file=sys.stderr)
        return 1
    return 1 if ragged else 0
