"""Caps on the size of the input, so that any pull request builds in bounded time and memory.

Each cap is far above what a real corpus needs (the bundled one is a few hundred
kilobytes) and is checked from file sizes alone, before anything is parsed. Beyond
a cap the build stops with `input-too-large`, naming the file or folder and the limit.
Per-file caps of records and ledgers live with their readers (pipeline/load.py).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from generator.problems import Location, Problems

MAX_SOURCE_TEXT_BYTES = 5_000_000
"""One cached source text, `records/sources/*.txt` (a long paper's full text is well under 1 MB)."""
MAX_LEDGERS = 500
"""Ledger files under `ledgers/`."""
MAX_TOTAL_INPUT_BYTES = 200_000_000
"""Records, ledgers, BibTeX and source texts together."""
SOURCES = ("records", "sources")


def source_texts(root: Path) -> list[tuple[Path, int]]:
    """The cached source texts with their sizes: one listing, and one `lstat` each (links are not sources)."""
    folder = root.joinpath(*SOURCES)
    if not folder.is_dir() or folder.is_symlink():
        return []
    with os.scandir(folder) as entries:
        found = [
            (Path(entry.path), entry.stat(follow_symlinks=False).st_size)
            for entry in entries
            if entry.name.endswith(".txt") and entry.is_file(follow_symlinks=False)
        ]
    return sorted(found)


def check_caps(root: Path, sizes: Mapping[Path, int], ledgers: list[Path], problems: Problems) -> bool:
    """Report every cap exceeded, from the `sizes` of the records, ledgers and BibTeX files (read once by the
    caller, which splits work by them too); False when the input as a whole is too large to read at all."""
    sources = source_texts(root)
    for path, size in sources:
        if size > MAX_SOURCE_TEXT_BYTES:
            problems.add(
                "input-too-large", Location(path.relative_to(root).as_posix()), "",
                f"source text is {size:,} bytes; the limit is {MAX_SOURCE_TEXT_BYTES:,}",
                "keep only the paper's text (no figures or appendices dumped as text); quotes are not checked against it",
            )  # fmt: skip
    fits = True
    if len(ledgers) > MAX_LEDGERS:
        problems.add(
            "input-too-large", Location("ledgers"), "", f"there are {len(ledgers):,} ledger files; the limit is {MAX_LEDGERS:,}",
            "merge ledgers: one ledger can hold the claims of many papers",
        )  # fmt: skip
        fits = False
    total = sum(sizes.values()) + sum(size for _, size in sources)
    if total > MAX_TOTAL_INPUT_BYTES:
        problems.add(
            "input-too-large", Location("records"), "",
            f"records, ledgers and source texts are {total:,} bytes together; the limit is {MAX_TOTAL_INPUT_BYTES:,}",
            "this is far beyond any real corpus: check for generated or duplicated files",
        )  # fmt: skip
        fits = False
    return fits
