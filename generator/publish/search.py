"""Site search with Pagefind: the finished site is indexed once MkDocs has written it.

Pagefind splits its index into small shards that the browser fetches only for the
words typed, so the first query costs a few hundred kilobytes whatever the corpus
size, where Material's lunr search downloads one index of every page before it can
answer. The bundle is written to `<site>/pagefind/` by the `pagefind[extended]`
package's own binary: nothing is downloaded at build time, nothing leaves the site
when a reader searches (overrides/assets/search.js loads the bundle from the site).

What is indexed: pages whose content carries `data-pagefind-body` (overrides/main.html
sets it on every page not marked `search: exclude`; claim permalink, category and
explorer pages repeat text already on paper pages and stay out). Table headers,
badges and heading permalinks are left out of the index so snippets show what a
reader wrote, not "Status Evidence Depth" or "supported"; so is text a page repeats
(see UNINDEXED_SELECTORS), which keeps the first query for a common word small.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import resource
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pagefind.index import IndexConfig, PagefindIndex

BUNDLE_DIR = "pagefind"

# Top-level folders whose pages are never indexed, so Pagefind need not read them: claim
# permalink pages (one per claim, 100,000 at scale; their text is on the paper pages),
# theme assets and the bundle itself. Reading 6,000 claim pages took 3/4 of the index time.
UNREAD_DIRS = frozenset({"claims", "assets", BUNDLE_DIR})

# Elements inside an indexed page left out of the index: text that would only crowd result
# snippets, and text that repeats what other parts or pages hold. The first query for a word
# fetches that word's positions on every page it is on (about 1.3 bytes each): "routing",
# on nearly every synthetic paper, cost 252 KB at 10,000 papers when whole pages were
# indexed. A paper is indexed by its title, facts, categories, summary and claim statements.
UNINDEXED_SELECTORS = (
    "thead",  # column headers of every claim and data table
    "[data-kb-badge]",  # vocabulary badges: the same few labels on every row
    ".headerlink",  # the "¶" permalink of each heading
    "dl.kb-facts > dt",  # field names ("Authors", "Year") that would run into their values
    ".kb-cite",  # the "Cite this page" block: URLs and BibTeX of the page itself
    ".kb-edit",  # "Edit this record · Report a problem"
    ".kb-edges",  # cites / cited-by lists: other papers' titles, found on their own pages
    ".kb-shares",  # hub summaries: other papers' titles again
    ".kb-co-cited",  # co-cited works: other papers' titles again
    ".kb-explain",  # how a section is computed: the same sentences on every page
    ".kb-note",  # annotations: editorial notes, a claim's fit reason and audit notes
    'td[data-label="Quote"]',  # a claim's quote (and its check): the claim statement is indexed
    'td[data-label="Page"]',  # where in the source a quote is ("p2", "§7.1")
    ".kb-abstract",  # the source's abstract, a paper's longest text: its summary and claims stand for it
)


class SearchIndexError(RuntimeError):
    """Pagefind could not index the site; the message says what it reported."""


@dataclass(frozen=True)
class SearchIndexReport:
    pages: int  # pages in the index (one fragment each)
    files_read: int  # HTML files Pagefind read, indexed or not
    seconds: float
    cpu_seconds: float  # of the Pagefind process: wall time on a busy machine says little
    bundle_bytes: int
    bundle_files: int

    def summary(self) -> str:
        return (
            f"kb: search index: {self.pages} of {self.files_read} HTML pages indexed by Pagefind in {self.seconds:.1f} s "
            f"({self.cpu_seconds:.1f} s CPU), "
            f"{self.bundle_files} files, {self.bundle_bytes / 1e6:.1f} MB in {BUNDLE_DIR}/"
        )


def index_site(site_dir: Path) -> SearchIndexReport:
    """Write the Pagefind bundle for the built site in `site_dir`, replacing any earlier one."""
    bundle = site_dir / BUNDLE_DIR
    started = time.perf_counter()
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    # Under `kb serve` a browser may be reading the old bundle: write the new one beside the site and
    # swap it in whole, so no reader ever gets a half-written file.
    fresh = Path(tempfile.mkdtemp(prefix=f".{site_dir.name}-{BUNDLE_DIR}-", dir=site_dir.parent))
    try:
        files_read = _run_to_completion(_index(site_dir, fresh))
    except Exception as error:  # the Pagefind service reports every failure as a bare Exception
        shutil.rmtree(fresh, ignore_errors=True)
        raise SearchIndexError(f"Pagefind could not index {site_dir}: {error}") from error
    _swap_in(fresh, bundle)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    files = [path for path in bundle.rglob("*") if path.is_file()]
    return SearchIndexReport(
        pages=sum(1 for path in files if path.parent.name == "fragment"),
        files_read=files_read,
        seconds=time.perf_counter() - started,
        cpu_seconds=children.ru_utime + children.ru_stime - children_before.ru_utime - children_before.ru_stime,
        bundle_bytes=sum(path.stat().st_size for path in files),
        bundle_files=len(files),
    )


def _swap_in(fresh: Path, bundle: Path) -> None:
    """Replace `bundle` by `fresh` with two renames on one file system; the old bundle is removed after."""
    retired = fresh.with_name(fresh.name + "-old")
    if bundle.exists():
        bundle.rename(retired)
    fresh.rename(bundle)
    shutil.rmtree(retired, ignore_errors=True)


def _run_to_completion(work: Coroutine[Any, Any, int]) -> int:
    """Run Pagefind's async API from sync code, also where this thread already runs an event loop
    (MkDocs plugins, or a caller that drives a browser through Playwright's sync API)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(work)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, work).result()


class BackgroundIndexer:
    """`kb serve`: index after each rebuild without holding back the browser's reload.

    At 10,000 papers indexing takes tens of seconds, far over the 3 s an edit may take
    to show. One worker thread indexes the newest build it was asked for; a rebuild that
    lands while it runs is indexed next, so search catches up with the preview.
    """

    def __init__(self, report: Callable[[SearchIndexReport | SearchIndexError], None]) -> None:
        self._report = report
        self._lock = threading.Lock()
        self._wanted: Path | None = None
        self._running = False

    def request(self, site_dir: Path) -> None:
        with self._lock:
            self._wanted = site_dir
            if self._running:
                return
            self._running = True
        threading.Thread(target=self._work, name="kb-search-index", daemon=True).start()

    def _work(self) -> None:
        while True:
            with self._lock:
                site_dir, self._wanted = self._wanted, None
                if site_dir is None:
                    self._running = False
                    return
            try:
                self._report(index_site(site_dir))
            except SearchIndexError as error:  # a rebuild may remove files mid-read; the next run redoes it
                self._report(error)


async def _index(site_dir: Path, bundle: Path) -> int:
    config = IndexConfig(
        exclude_selectors=list(UNINDEXED_SELECTORS),
        force_language="en",
        output_path=str(bundle),
    )
    async with PagefindIndex(config=config) as index:
        indexed = await index.add_directory(str(site_dir), glob=pages_glob(site_dir))
    return int(indexed["page_count"])


def pages_glob(site_dir: Path) -> str:
    """A Pagefind glob for every HTML file outside UNREAD_DIRS."""
    folders = sorted(p.name for p in site_dir.iterdir() if p.is_dir() and p.name not in UNREAD_DIRS)
    return "{" + ",".join(["*.html", *(f"{folder}/**/*.html" for folder in folders)]) + "}"
