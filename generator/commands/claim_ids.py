"""Permanent claim ids.

An id is derived once from the claim's paper and text, then stored in the
ledger's `claim_id` column and never recomputed: editing the text, or
inserting, deleting or reordering rows, moves no anchor. Ids of deleted claims
stay in urls.lock, so they are never handed out again.
"""

from __future__ import annotations

import csv
import io
import sys
import unicodedata
from pathlib import Path

from generator import file_names
from generator.model.claim_ids import new_claim_id
from generator.model.records import LEDGER_COLUMNS, arxiv_base
from generator.publish.permanence import read_lock


def _published_claim_ids(root: Path) -> set[str]:
    return {url.rsplit("/", 2)[-2] for _, url in read_lock(root) or [] if url.startswith("claims/c-")}


def _ledger_files(root: Path) -> tuple[list[Path], int]:
    """The ledgers `kb validate` reads (one file-name rule), and how many files were refused.

    A symbolic link is never followed: `kb ids` writes, and must not write outside the repository.
    """
    folder = root / "ledgers"
    candidates = [folder] if folder.is_symlink() else sorted(folder.rglob("*")) if folder.is_dir() else []
    ledgers: list[Path] = []
    refused = 0
    for path in candidates:
        rel = file_names.shown(path.relative_to(root).as_posix())
        if path.is_symlink():
            print(f"{rel}: symbolic links are not allowed here; nothing was written [file-symlink]", file=sys.stderr)
            refused += 1
            continue
        bad_name = file_names.name_problem(path.relative_to(root).as_posix())
        if bad_name is not None and path.is_file():
            print(f"{rel}: {bad_name.message} [{bad_name.code}]\n    hint: {bad_name.hint}", file=sys.stderr)
            refused += 1
        elif file_names.data_kind(path.relative_to(root).as_posix()) == "csv":
            ledgers.append(path)
    return ledgers, refused


def fill_claim_ids(root: Path, check: bool = False) -> int:
    """`kb ids`: give rows without an id a new one. Returns the exit code."""
    taken = _published_claim_ids(root)
    ledgers, refused = _ledger_files(root)
    if refused:
        return 1
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
    known = _previous_claims(root)
    in_use = {row[h.index("claim_id")] for _, h, b in tables if "claim_id" in h for row in b if len(row) == len(h)}
    missing = ragged = ambiguous = reattached = 0
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
            candidates = _reattach(known, dict(zip(header, row, strict=True)), in_use)
            if len(candidates) > 1:
                print(
                    f"{path.relative_to(root)}:{number}: this row matches {len(candidates)} published claims by paper "
                    f"and text ({', '.join(candidates)}); none was given: write the right one into its claim_id cell",
                    file=sys.stderr,
                )
                ambiguous += 1
                continue
            row[column] = candidates[0] if candidates else new_claim_id(row[paper], row[text], taken)
            reattached += bool(candidates)
            taken.add(row[column])
            in_use.add(row[column])
            changed = True
        if changed:
            out = io.StringIO()
            csv.writer(out, lineterminator="\n").writerows([header, *body])
            path.write_text(out.getvalue(), encoding="utf-8")
            print(f"kb: assigned claim ids in {path.relative_to(root)}", file=sys.stderr)
    if reattached:
        print(
            f"kb: {reattached} row(s) got back the id they were published with (same paper and claim text)",
            file=sys.stderr,
        )
    if check and missing:
        print(f"kb: {missing} ledger row(s) have no claim_id; run `kb ids`", file=sys.stderr)
        return 1
    return 1 if ragged or ambiguous else 0


def normalised_claim(text: str) -> str:
    """Claim text compared the way people read it: Unicode-normalised, case and spacing ignored."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


ClaimKey = tuple[str, str]


def _previous_claims(root: Path) -> dict[ClaimKey, dict[str, dict[str, str]]]:
    """(paper, normalised claim) -> {claim id: row} from the ledgers as committed (HEAD) and as published
    (the base, see sources.git): the rows whose ids urls.lock keeps, with the text that names them."""
    from generator.sources.git import GitError, open_base, read_published

    versions: list[dict[str, bytes]] = [dict(read_published(root).files)]
    try:
        head = open_base(root, "HEAD")
        versions.append(head.read_files(head.list_files("ledgers")))
    except GitError:
        pass  # not a repository, or no commit yet: nothing was published from here
    known: dict[ClaimKey, dict[str, dict[str, str]]] = {}
    for files in versions:
        for name, data in files.items():
            if not name.startswith("ledgers/") or not name.endswith(".csv"):
                continue
            try:
                rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
            except (UnicodeDecodeError, csv.Error):
                continue
            for row in rows:
                claim_id, paper, claim = row.get("claim_id") or "", row.get("paper_id") or "", row.get("claim") or ""
                if claim_id and paper and claim:
                    known.setdefault((arxiv_base(paper), normalised_claim(claim)), {})[claim_id] = row
    return known


def _reattach(known: dict[ClaimKey, dict[str, dict[str, str]]], row: dict[str, str], in_use: set[str]) -> list[str]:
    """The published ids this row may be: those of rows with its paper and text that no current row holds.
    When there are several, a row whose every other cell is the same decides."""
    previous = known.get((arxiv_base(row["paper_id"]), normalised_claim(row["claim"])), {})
    free = {cid: old for cid, old in previous.items() if cid not in in_use}
    if len(free) > 1:
        same = [cid for cid, old in free.items() if all(old.get(k, "") == v for k, v in row.items() if k != "claim_id")]
        if len(same) == 1:
            return same
    return sorted(free)
