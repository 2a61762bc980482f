"""`kb build`: Pagefind indexes the generated pages from the moment they are rendered, while MkDocs writes the site.

What Pagefind indexes of a generated page is known before MkDocs themes it: the page's body inside
the `data-pagefind-body` element that overrides/main.html puts around it. Pagefind reads nothing
outside that element (the language is forced, and a page with an <h1> takes its result title from
it), so a copy holding only that element indexes exactly as the whole page does. At 10,000 papers a
forked process indexes those copies, a batch at a time, during the 15 s in which this process
publishes and MkDocs writes the site, instead of after them.

Nothing is taken on trust: every page MkDocs writes that was indexed early is checked (`written`)
to hold exactly the element its copy held. Once the site is written, the fork reads the other
pages (hand-written ones, the home page, pages without an <h1>) from the site and joins every
batch into one bundle. Any page that differs, or is missing, and the early work is dropped: the
site is indexed from its files as before (`search.index_site`).

The bundle numbers the early pages first, then the others (each in path order), where `index_site`
numbers all in path order: the same pages, words, snippets and scores.
"""

from __future__ import annotations

import contextlib
import os
import re
import resource
import signal
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

from generator.pipeline import forked
from generator.pipeline.spool import Spooled
from generator.publish import search
from generator.publish.search import BUNDLE_DIR, SearchIndexReport

EARLY_FROM_PAGES = 1_000
"""Smaller sites are indexed once written: their index takes a few seconds, and a fork would cost more."""

INDEXED_OPEN = "<div data-pagefind-body>"
"""How overrides/main.html opens the indexed part of a page; a theme that writes it otherwise fails the check."""

_COPY_OPEN, _COPY_CLOSE = b"<!doctype html><html><head></head><body>", b"</body></html>"


_OPENED, _CLOSED = f"{INDEXED_OPEN}\n", "\n</div>"


def indexed_part(body: str) -> str:
    """The indexed element of a page whose generated body is `body`, as MkDocs writes it."""
    return f"{_OPENED}{body}{_CLOSED}"


_INDEXED_OPEN_BYTES, _INDEXED_CLOSE_BYTES = _OPENED.encode(), _CLOSED.encode()
_LONE_SURROGATE = re.compile(rb"\xed[\xa0-\xbf]")  # how the spool's "surrogatepass" writes one


def indexed_bytes(body: Spooled) -> bytes:
    """`indexed_part` of a spooled body as MkDocs writes it: UTF-8, a lone surrogate as a character reference. The
    spool's bytes are that already, unless they hold a lone surrogate (never, in practice), so they are not decoded."""
    data = body.read_bytes()
    if _LONE_SURROGATE.search(data):
        return indexed_part(body.read_text()).encode("utf-8", errors="xmlcharrefreplace")
    return _INDEXED_OPEN_BYTES + data + _INDEXED_CLOSE_BYTES


def walk_order(path: str) -> tuple[tuple[int, str], ...]:
    """Where `search.html_files` finds `path`: a folder's files (by name) before its folders (by name)."""
    *folders, name = path.split("/")
    return (*((1, folder) for folder in folders), (0, name))


class EarlyIndex:
    """Pagefind indexing `pages` (site path -> spooled body) in a forked process from now on."""

    def __init__(self, site_dir: Path, pages: Mapping[str, Spooled]) -> None:
        self.site_dir = site_dir
        read = (path for path in pages if path.split("/", 1)[0] not in search.UNREAD_DIRS)  # as `html_files`
        self.pages = {path: pages[path] for path in sorted(read, key=walk_order)}
        self.unchecked = set(self.pages)
        self.differs = ""
        """The first early page that MkDocs wrote otherwise than its copy."""
        self.started = time.perf_counter()
        self._children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        self._cleanup = contextlib.ExitStack()
        try:  # what is made goes again if a later step fails (no room for a folder, no fork)
            self.fresh = search.work_dir(self._cleanup, site_dir.parent, f".{site_dir.name}-{BUNDLE_DIR}-")
            self._folders = search.batch_folders(self._cleanup, site_dir)
            self._site_written, self._tell = os.pipe()  # one byte once the site is written: keep (1) or drop (0)
            try:
                self._fork: forked.Forked[tuple[int, int, float]] = forked.Forked(self._index)
            except BaseException:
                os.close(self._tell)
                raise
            finally:
                os.close(self._site_written)
        except BaseException:
            self._cleanup.close()
            raise

    def written(self, path: str, page: str, body: str) -> None:
        """MkDocs wrote `page` at `path` around the generated `body`: if it was indexed early, check the copy."""
        if path not in self.unchecked:
            return
        self.unchecked.discard(path)
        at = page.find(INDEXED_OPEN)
        body_at = at + len(_OPENED)  # compared in place: `indexed_part` would copy every page's body once more
        same = (
            at >= 0
            and page.startswith(_OPENED, at)
            and page.startswith(body, body_at)
            and page.startswith(_CLOSED, body_at + len(body))
        )
        if not same and not self.differs:
            self.differs = path

    @property
    def unlike(self) -> str:
        """The first early page that MkDocs wrote otherwise than its copy, or did not write; "" when none."""
        return self.differs or min(self.unchecked, key=walk_order, default="")

    def finish(self) -> SearchIndexReport | None:
        """The site is written: the bundle in `<site>/pagefind/`, or None when a page differed from its copy (the
        caller indexes the site from its files, and nothing of the early work is left)."""
        with self._cleanup:
            keep = not self.unlike
            os.write(self._tell, b"1" if keep else b"0")
            os.close(self._tell)
            try:
                files_read, batches, join_seconds = self._fork.result()
            except _Dropped:
                return None
            except (OSError, ValueError, EOFError, search.SearchIndexError, forked.ForkedError) as error:
                raise search.SearchIndexError(f"Pagefind could not index {self.site_dir}: {error}") from error
            bundle = self.site_dir / BUNDLE_DIR
            search.swap_in(self.fresh, bundle, self._cleanup)
        return search.index_report(bundle, files_read, batches, join_seconds, self.started, self._children_before)

    def discard(self) -> None:
        """The build failed or was stopped: the fork ends its Pagefind run, and its folders go."""
        with self._cleanup:
            os.close(self._tell)
            self._fork.stop(signal.SIGTERM)

    def _index(self) -> tuple[int, int, float]:
        """In the fork: the early copies, then (once told the site is written) the site's other pages."""
        os.close(self._tell)
        signal.signal(signal.SIGTERM, search.stop_on_signal)
        signal.signal(signal.SIGINT, search.stop_on_signal)
        files_read = 0

        def copies() -> Iterator[tuple[str, bytes]]:
            nonlocal files_read
            for path, body in self.pages.items():
                yield path, search.without_unindexed(_COPY_OPEN + indexed_bytes(body) + _COPY_CLOSE)
            with os.fdopen(self._site_written, "rb") as told:
                if told.read(1) != b"1":
                    raise _Dropped
            pages = list(search.html_files(self.site_dir))
            files_read = len(pages)
            yield from search.site_copies(self.site_dir, [page for page in pages if page.as_posix() not in self.pages])

        batches, join_seconds = search.index_copies(copies(), self.fresh, *self._folders)
        return files_read, batches, join_seconds


class _Dropped(Exception):
    """The early work is dropped: a page differed from its copy, or the build failed."""
