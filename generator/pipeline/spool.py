"""Rendered pages and generated files wait on disk, not in memory, until MkDocs writes the site.

At 10,000 papers the generated pages (12,500 bodies of ~60 KB), their heads, their JSON twins
and the data release come to over a gigabyte as Python objects. A build writes each one to its
spool directory as soon as it is made and keeps a `Spooled` handle (a path and a size); MkDocs
and `kb generate` read them back one at a time. The directory is temporary (under TMPDIR) and
belongs to this process: a file goes when no page or file refers to it any more (so `kb serve`
rebuilds do not pile up old pages), the directory when the process ends.
"""

from __future__ import annotations

import filecmp
import functools
import itertools
import os
import shutil
import tempfile
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

PREFIX = "kb-spool-"
"""A spool is `kb-spool-<pid>-<random>` in the temporary directory."""


class Spooled:
    """One file in the spool: what a page or file holds instead of its content."""

    __slots__ = ("__weakref__", "path", "size")

    def __init__(self, path: Path, size: int) -> None:
        self.path, self.size = path, size

    def read_bytes(self) -> bytes:
        return self.path.read_bytes()

    def read_text(self) -> str:
        return self.read_bytes().decode("utf-8", "surrogatepass")

    def __eq__(self, other: object) -> bool:
        """Equal content: `kb serve` compares the pages of one build with those of the last."""
        if not isinstance(other, Spooled):
            return NotImplemented
        return self.path == other.path or (
            self.size == other.size and filecmp.cmp(self.path, other.path, shallow=False)
        )

    def __hash__(self) -> int:
        return hash(self.size)

    def __repr__(self) -> str:
        return f"Spooled({self.path.name!r}, {self.size} bytes)"


class Spool:
    """A temporary directory of spooled files, removed when the process that made it ends."""

    def __init__(self) -> None:
        self.owner = os.getpid()
        self.dir = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{self.owner}-"))
        self._names = itertools.count()
        weakref.finalize(self, _remove, self.dir, self.owner)
        _remove_orphans(self.dir.parent)

    def write(self, content: bytes) -> Spooled:
        return self.write_with(lambda out: out.write(content))

    def write_with(self, fill: Callable[[BinaryIO], object]) -> Spooled:
        """A file `fill` writes piece by piece, so not even one large file need be whole in memory."""
        path = self.dir / str(next(self._names))
        with path.open("wb") as out:
            fill(out)
            size = out.tell()
        spooled = Spooled(path, size)
        weakref.finalize(spooled, _remove, path, self.owner).atexit = False  # the directory goes at exit anyway
        return spooled

    def write_text(self, text: str) -> Spooled:
        """Text as UTF-8; lone surrogates pass through, so `read_text` gives back exactly `text`."""
        return self.write(text.encode("utf-8", "surrogatepass"))


@functools.cache
def spool() -> Spool:
    """The spool of this process (one for every build it runs)."""
    return Spool()


def _remove(path: Path, owner: int) -> None:
    """Only in the process that spooled it: a forked worker (claim pages) must not delete its parent's files."""
    if os.getpid() != owner:
        return
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _remove_orphans(folder: Path) -> None:
    """The spools of processes that ended without removing theirs (killed: `kb serve` stopped by SIGTERM)."""
    for spool_dir in folder.glob(f"{PREFIX}*-*"):
        owner = spool_dir.name.removeprefix(PREFIX).split("-", 1)[0]
        if owner.isdigit() and not _running(int(owner)):
            shutil.rmtree(spool_dir, ignore_errors=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True
