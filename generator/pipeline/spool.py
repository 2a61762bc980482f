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
import hashlib
import io
import itertools
import os
import shutil
import tempfile
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

PREFIX = "kb-spool-"
"""A spool is `kb-spool-<pid>-<random>` in the temporary directory."""


class Spooled:
    """One file in the spool, or one text in a pack file (`Spool.write_text`): what a page or file holds instead
    of its content."""

    __slots__ = ("__weakref__", "offset", "pack", "path", "size")

    def __init__(self, path: Path, size: int, offset: int | None = None, pack: _Pack | None = None) -> None:
        self.path, self.size = path, size
        self.offset = offset
        """Where the text starts in its pack file; None for a file of its own (which can be linked into a site)."""
        self.pack = pack  # keeps the pack file while a text in it is referred to

    def read_bytes(self) -> bytes:
        if self.offset is None:
            return self.path.read_bytes()
        descriptor = os.open(self.path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        try:
            return os.pread(descriptor, self.size, self.offset)
        finally:
            os.close(descriptor)

    def read_text(self) -> str:
        return self.read_bytes().decode("utf-8", "surrogatepass")

    def __eq__(self, other: object) -> bool:
        """Equal content: `kb serve` compares the pages of one build with those of the last."""
        if not isinstance(other, Spooled):
            return NotImplemented
        if self.path == other.path and self.offset == other.offset:
            return True
        if self.size != other.size:
            return False
        if self.offset is None and other.offset is None:
            return filecmp.cmp(self.path, other.path, shallow=False)
        return self.read_bytes() == other.read_bytes()

    def __hash__(self) -> int:
        return hash(self.size)

    def __repr__(self) -> str:
        where = "" if self.offset is None else f" at {self.offset}"
        return f"Spooled({self.path.name!r}{where}, {self.size} bytes)"


class _Pack:
    """An append-only file of page texts (bodies and heads), removed when no text in it is referred to."""

    def __init__(self, path: Path, owner: int) -> None:
        self.path, self.owner, self.size = path, owner, 0
        self.descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
        weakref.finalize(self, _close_and_remove, self.descriptor, path, owner).atexit = False

    def append(self, data: bytes) -> int:
        """Where `data` starts in the file; written unbuffered, so a reader sees it at once."""
        offset = self.size
        view = memoryview(data)
        while view:
            view = view[os.write(self.descriptor, view) :]
        self.size += len(data)
        return offset


PACK_SIZE = 64 * 2**20
"""Bytes a pack holds before the next text starts a new one: a `kb serve` session's edits leave old packs to go
once no page refers to them."""


class _Digesting(io.BufferedWriter):
    """A file writer that hashes what it is given (SHA-256) on the way to the file."""

    def __init__(self, raw: io.RawIOBase) -> None:
        super().__init__(raw)
        self.sha256 = hashlib.sha256()

    def write(self, data: Any) -> int:
        self.sha256.update(data)
        return super().write(data)


Writer = TypeVar("Writer", bound=io.BufferedWriter)


class Spool:
    """A temporary directory of spooled files, removed when the process that made it ends."""

    def __init__(self) -> None:
        self.owner = os.getpid()
        self.dir = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{self.owner}-"))
        self._names = itertools.count()
        self._pack: weakref.ReferenceType[_Pack] | None = None
        weakref.finalize(self, _remove, self.dir, self.owner)
        remove_orphans(self.dir.parent, PREFIX)

    def write(self, content: bytes) -> Spooled:
        return self.write_with(lambda out: out.write(content))

    def write_with(self, fill: Callable[[BinaryIO], object]) -> Spooled:
        """A file `fill` writes piece by piece, so not even one large file need be whole in memory."""
        return self._write_through(fill, io.BufferedWriter)[0]

    def write_digested(self, fill: Callable[[BinaryIO], object]) -> tuple[Spooled, str]:
        """`write_with`, and the file's SHA-256 (hex), made from the bytes as they are written rather than read
        back: the data release's largest files are 130 MB at 10,000 papers."""
        spooled, out = self._write_through(fill, _Digesting)
        return spooled, out.sha256.hexdigest()

    def _write_through(self, fill: Callable[[BinaryIO], object], writer: type[Writer]) -> tuple[Spooled, Writer]:
        path = self.dir / f"{os.getpid()}-{next(self._names)}"  # a forked process spools beside its parent
        with writer(io.FileIO(path, "wb")) as out:
            fill(out)
            size = out.tell()
        spooled = Spooled(path, size)
        weakref.finalize(spooled, _remove, path, self.owner).atexit = False  # the directory goes at exit anyway
        return spooled, out

    def next_pack(self) -> None:
        """The texts written from now on go into new pack files: each build calls it, so a build's pages share
        their packs with no other build's, and go with them."""
        self._pack = None

    def write_text(self, text: str) -> Spooled:
        """Text as UTF-8; lone surrogates pass through, so `read_text` gives back exactly `text`."""
        return self.write_packed(text.encode("utf-8", "surrogatepass"))

    def write_packed(self, data: bytes) -> Spooled:
        """Page bodies, heads and JSON twins go into pack files, many to a file: a file each (37,000 at 10,000
        papers) cost up to 0.4 ms of system time apiece on a slow disk, and as much again to remove. A forked
        process starts packs of its own, never writing to its parent's."""
        pack = self._pack() if self._pack is not None else None
        if pack is None or pack.owner != os.getpid() or pack.size >= PACK_SIZE:
            pack = _Pack(self.dir / f"pack-{os.getpid()}-{next(self._names)}", os.getpid())
            self._pack = weakref.ref(pack)  # its texts keep it: a pack no page refers to goes at once
        return Spooled(pack.path, len(data), pack.append(data), pack)


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


def _close_and_remove(descriptor: int, path: Path, owner: int) -> None:
    if os.getpid() == owner:
        os.close(descriptor)
        path.unlink(missing_ok=True)


def remove_orphans(folder: Path, prefix: str) -> None:
    """The folders `<prefix><pid>-…` in `folder` of processes that ended without removing theirs (killed: `kb serve`
    stopped by SIGKILL): spools, and the page copies the search index reads."""
    for orphan in folder.glob(f"{prefix}*-*"):
        owner = orphan.name.removeprefix(prefix).split("-", 1)[0]
        if owner.isdigit() and not _running(int(owner)):
            shutil.rmtree(orphan, ignore_errors=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True
