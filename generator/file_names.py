"""One rule for the names of data files, shared by validation, the git-base loader, `kb fmt` and `kb ids`.

A file the validator would not read must not be read anywhere else either, and the
other way round: otherwise a file such as `records/x.YAML` is published by one path
and invisible to another (the base comparison, the formatter), and the permanence
checks can be walked around. Refused: upper- or mixed-case extensions, control or
invisible characters anywhere in the path (a newline in a name forges log lines),
and a leading dot (hidden from most file listings and reviews).
"""

from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass
from pathlib import PurePosixPath

RECORD_SUFFIXES = (".yaml", ".yml", ".bib")
LEDGER_SUFFIX = ".csv"
SOURCE_SUFFIX = ".txt"
KNOWN_SUFFIXES = (*RECORD_SUFFIXES, LEDGER_SUFFIX, SOURCE_SUFFIX)


@dataclass(frozen=True)
class NameProblem:
    code: str
    message: str
    hint: str


def shown(text: str) -> str:
    """A name with every control or invisible character written as a visible `\\u` code."""
    return "".join(f"\\u{ord(ch):04x}" if unicodedata.category(ch) in ("Cc", "Cf") else ch for ch in text)


def name_problem(relative: str) -> NameProblem | None:
    """What is wrong with a project-relative path under records/ or ledgers/, or None."""
    if (
        relative.isascii()
        and relative.isprintable()
        and "/." not in f"/{relative}"
        and relative.rpartition(".")[2].islower()
    ):
        return None  # the usual name, decided without a path object or a category lookup per character: ASCII
        # has no Cf character and no printable Cc one, no part starts with a dot, the extension is lower case
    parts = PurePosixPath(relative).parts
    for part in parts:
        odd = sorted({f"U+{ord(ch):04X}" for ch in part if unicodedata.category(ch) in ("Cc", "Cf")})
        if odd:
            return NameProblem(
                "file-name-control-char",
                f"the name `{shown(part)}` contains control or invisible characters ({', '.join(odd)})",
                "rename it using letters, digits, `.`, `-` and `_` only",
            )
    for part in parts:
        if part.startswith("."):
            return NameProblem(
                "file-name-hidden",
                f"`{part}` starts with a dot, which hides it from most file listings",
                "rename it without the leading dot, or delete it",
            )
    suffix = PurePosixPath(relative).suffix
    if suffix != suffix.lower() and suffix.lower() in KNOWN_SUFFIXES:
        fixed = PurePosixPath(relative).with_suffix(suffix.lower()).name
        return NameProblem(
            "file-extension-case",
            f"`{PurePosixPath(relative).name}` has an upper-case extension `{suffix}`",
            f"rename it to `{fixed}`: extensions are lower case (.yaml, .csv, .bib, .txt)",
        )
    return None


def data_kind(relative: str) -> str | None:
    """`yaml`, `bib`, `csv` or `txt` for a project-relative path the validator reads; None otherwise."""
    if name_problem(relative) is not None:
        return None
    path = PurePosixPath(relative)
    folder = path.parts[0] if path.parts else ""
    if folder == "records" and path.suffix in RECORD_SUFFIXES:
        return "bib" if path.suffix == ".bib" else "yaml"
    if folder == "records" and path.suffix == SOURCE_SUFFIX and path.parent.name == "sources":
        return "txt"
    if folder == "ledgers" and path.suffix == LEDGER_SUFFIX:
        return "csv"
    return None


FileStamp = tuple[int, int, int]


def file_stamp(path: str | os.PathLike[str]) -> FileStamp:
    """Size, modification time and inode: what `kb serve` compares to reuse what it read from a file last
    build (an editor that saves by replacing the file changes the inode even within one mtime tick)."""
    return stamp_of(os.stat(path))


def stamp_of(stat: os.stat_result) -> FileStamp:
    """`file_stamp` from a `stat` already made (a directory listing's entries carry one)."""
    return stat.st_size, stat.st_mtime_ns, stat.st_ino
