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

How: Pagefind holds every page it indexes in memory until it writes the bundle (about
190 KB a page, 1.7-1.9 GB at 10,000 papers, whatever the HTML's size). So the pages are
given to it PAGES_PER_INDEX at a time, each batch to its own process (as copies holding
only what Pagefind reads of a page: search_copy; a generated page's copy also leaves out the
elements Pagefind would not index, a quarter of its work: without_unindexed), and the
batches' bundles are joined into the one bundle a single run writes (search_bundle.py): the
browser fetches, ranks and shows exactly what it would from one run.
"""

from __future__ import annotations

import atexit
import concurrent.futures
import contextlib
import dataclasses
import json
import os
import re
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pagefind.service import get_executable

from generator.pipeline.spool import remove_orphans
from generator.publish.search_bundle import BundleJoiner

BUNDLE_DIR = "pagefind"

# Pages one Pagefind process indexes: about 170 MB at its peak (1,000 papers).
PAGES_PER_INDEX = 1000
PARALLEL_INDEXES = 2  # batches indexed at once: one per core of the 2-core machine the targets are set for
# The opening tag that marks an indexed page (contributor text is escaped, so never matches).
INDEXED_MARK = b"data-pagefind-body"
INDEXED_PAGE = re.compile(rb"<[^<>]*\s" + INDEXED_MARK + rb"[\s=>]")

# A file system in memory for the batches' page copies (24 KB a paper page), used when it has room for
# PARALLEL_INDEXES + 1 batches of them with a wide margin (Docker gives containers 64 MB).
MEMORY_DIR = Path("/dev/shm")
MEMORY_DIR_ROOM = 512 * 2**20
COPIES_PREFIX = f"kb-{BUNDLE_DIR}-pages-"  # then the indexing process's id: whose copies a folder holds

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
    ".kb-badge",  # vocabulary badges: the same few labels on every row
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
    files_read: int  # HTML files read to find the pages to index
    seconds: float
    cpu_seconds: float  # of the Pagefind processes: wall time on a busy machine says little
    batches: int  # Pagefind processes run, PAGES_PER_INDEX pages each
    join_seconds: float  # joining their bundles into one, once the last batch is done
    bundle_bytes: int
    bundle_files: int

    def summary(self) -> str:
        return (
            f"kb: search index: {self.pages} of {self.files_read} HTML pages indexed by Pagefind in {self.seconds:.1f} s "
            f"({self.batches} batches, {self.cpu_seconds:.1f} s CPU; {self.join_seconds:.1f} s to finish joining them), "
            f"{self.bundle_files} files, {self.bundle_bytes / 1e6:.1f} MB in {BUNDLE_DIR}/"
        )


def index_site(site_dir: Path) -> SearchIndexReport:
    """Write the Pagefind bundle for the built site in `site_dir`, replacing any earlier one."""
    bundle = site_dir / BUNDLE_DIR
    started = time.perf_counter()
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with contextlib.ExitStack() as cleanup:  # also when an indexing child is stopped by SIGINT or SIGTERM
        # Under `kb serve` a browser may be reading the old bundle: write the new one beside the site and
        # swap it in whole, so no reader ever gets a half-written file.
        fresh = work_dir(cleanup, site_dir.parent, f".{site_dir.name}-{BUNDLE_DIR}-")
        try:
            files_read, batches, join_seconds = _index(site_dir, fresh)
        # OSError: a rebuild under `kb serve` may remove pages mid-read; ValueError, EOFError: a bundle not as expected.
        except (OSError, ValueError, EOFError, SearchIndexError) as error:
            raise SearchIndexError(f"Pagefind could not index {site_dir}: {error}") from error
        swap_in(fresh, bundle, cleanup)
    return index_report(bundle, files_read, batches, join_seconds, started, children_before)


def index_report(
    bundle: Path, files_read: int, batches: int, join_seconds: float, started: float, children_before: Any
) -> SearchIndexReport:
    """What indexing since `started` (the child processes' usage then: `children_before`) wrote to `bundle`."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    files = [path for path in bundle.rglob("*") if path.is_file()]
    return SearchIndexReport(
        pages=sum(1 for path in files if path.parent.name == "fragment"),
        files_read=files_read,
        seconds=time.perf_counter() - started,
        cpu_seconds=children.ru_utime + children.ru_stime - children_before.ru_utime - children_before.ru_stime,
        batches=batches,
        join_seconds=join_seconds,
        bundle_bytes=sum(path.stat().st_size for path in files),
        bundle_files=len(files),
    )


def work_dir(cleanup: contextlib.ExitStack, parent: Path, prefix: str) -> Path:
    """A new folder in `parent` that `cleanup` removes. Its name is chosen and its removal arranged before it is
    made: a stop signal is an exception raised wherever the child is, and one right after `tempfile.mkdtemp`
    made its folder, before the code that removes it was reached, left the folder behind."""
    path = parent / f"{prefix}{secrets.token_hex(8)}"
    cleanup.callback(shutil.rmtree, path, ignore_errors=True)
    path.mkdir(mode=0o700)
    return path


def swap_in(fresh: Path, bundle: Path, cleanup: contextlib.ExitStack) -> None:
    """Replace `bundle` by `fresh` with two renames on one file system; `cleanup` removes the old bundle."""
    retired = fresh.with_name(fresh.name + "-old")
    cleanup.callback(shutil.rmtree, retired, ignore_errors=True)
    if bundle.exists():
        bundle.rename(retired)
    fresh.rename(bundle)


class BackgroundIndexer:
    """`kb serve`: index after each rebuild without holding back the browser's reload.

    At 10,000 papers indexing takes tens of seconds, far over the 3 s an edit may take
    to show. One worker thread has a child process (`index_in_child`) index the newest
    build it was asked for; a rebuild that lands while it runs is indexed next, so search
    catches up with the preview. The index is made in a child at the lowest CPU priority,
    not in a thread: joining the bundles is seconds of pure Python that would hold the
    server's GIL while the next rebuild waits, and its Pagefind processes would take the
    cores the rebuild needs.
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
                self._report(index_in_child(site_dir))
            except SearchIndexError as error:  # a rebuild may remove files mid-read; the next run redoes it
                self._report(error)


_children: set[subprocess.Popen[str]] = set()  # indexing children running, stopped when the server exits


def index_in_child(site_dir: Path) -> SearchIndexReport:
    """`index_site` run by `python -m generator.publish.search SITE_DIR` at the lowest CPU priority."""
    command = [sys.executable, "-m", __name__, str(site_dir)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as child:
        _children.add(child)
        try:
            out, err = child.communicate()
        finally:
            _children.discard(child)
    if child.returncode == 0:
        return SearchIndexReport(**json.loads(out))
    if child.returncode == INDEX_FAILED:
        raise SearchIndexError(err.strip())
    raise SearchIndexError(f"the search index process stopped with exit code {child.returncode}: {err.strip()}")


CHILD_CLEANUP_SECONDS = 10.0
"""How long an exiting server waits for an indexing child to remove its work: a child stopped mid-batch first
waits for that batch's Pagefind process."""


def stop_indexing() -> None:
    """A server that stops leaves no indexing child behind (each removes its half-written bundle on SIGTERM):
    it waits for them, so that once it has exited, their temporary folders are gone too."""
    children = list(_children)
    for child in children:
        child.terminate()
    for child in children:
        try:
            child.wait(timeout=CHILD_CLEANUP_SECONDS)
        except subprocess.TimeoutExpired:
            child.kill()


atexit.register(stop_indexing)


INDEX_FAILED = 3  # exit code of `python -m generator.publish.search` when Pagefind could not index the site


def _child_main(site_dir: Path) -> int:
    """Index `site_dir` at the lowest priority, print the report as JSON; stop when the server is gone."""
    os.nice(19)  # Pagefind processes inherit it
    signal.signal(signal.SIGTERM, stop_on_signal)
    signal.signal(signal.SIGINT, stop_on_signal)
    server = os.getppid()
    threading.Thread(target=_stop_when_orphaned, args=(server,), daemon=True).start()
    try:
        report = index_site(site_dir)
    except SearchIndexError as error:
        print(error, file=sys.stderr)
        return INDEX_FAILED
    print(json.dumps(dataclasses.asdict(report)))
    return 0


def stop_on_signal(signum: int, frame: object) -> None:
    """Unwind, so temporary bundles are removed; a second signal (Ctrl-C reaches server and child, then the
    server's exit handler stops the child) must not cut that cleanup short."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise SystemExit(128 + signum)


def _stop_when_orphaned(server: int) -> None:
    """A server killed without running its exit handlers: stop indexing a site that is being removed."""
    while os.getppid() == server:
        time.sleep(1)
    os.kill(os.getpid(), signal.SIGTERM)


def _index(site_dir: Path, bundle: Path) -> tuple[int, int, float]:
    """Index the site's HTML pages (`html_files`) into `bundle`; return the HTML files read, the batches and the
    seconds the join took once the last batch was done."""
    pages = list(html_files(site_dir))
    with contextlib.ExitStack() as cleanup:
        batches, join_seconds = index_copies(site_copies(site_dir, pages), bundle, *batch_folders(cleanup, site_dir))
    return len(pages), batches, join_seconds


def site_copies(site_dir: Path, pages: Iterable[Path]) -> Iterator[tuple[str, bytes]]:
    """What Pagefind is given of the site's `pages` (`search_copy`), by site path; the pages it must skip left out."""
    for page in pages:
        copy = search_copy((site_dir / page).read_bytes())
        if copy is not None:
            yield page.as_posix(), copy


def batch_folders(cleanup: contextlib.ExitStack, site_dir: Path) -> tuple[Path, Path]:
    """New folders for `index_copies`, which `cleanup` removes: beside the site for the batches' bundles, in
    `copies_dir` for the page copies (where the copies killed processes left go first: SIGKILL runs no clean-up)."""
    copies_parent = copies_dir(site_dir)
    remove_orphans(copies_parent, COPIES_PREFIX)
    return (
        work_dir(cleanup, site_dir.parent, f".{site_dir.name}-{BUNDLE_DIR}-batches-"),
        work_dir(cleanup, copies_parent, f"{COPIES_PREFIX}{os.getpid()}-"),
    )


def index_copies(
    copies: Iterable[tuple[str, bytes]], bundle: Path, work: Path, copies_folder: Path
) -> tuple[int, float]:
    """Index page copies (site path, bytes) PAGES_PER_INDEX at a time, each batch by its own Pagefind process, and
    join the batches' bundles into `bundle`; return the batches and the seconds the join took once the last was done.

    A batch is indexed as soon as its pages are copied (into `copies_folder`), while the next is read; copies of at
    most PARALLEL_INDEXES + 1 batches exist at once. A batch's bundle (in `work`) is read into the join as soon as it
    and those before it are done, while the later batches are indexed: what is left after the last is writing the
    word index. Pagefind runs as its command line, not through the package's service API: the service is stopped as
    soon as it answers that the bundle is written, while its last writes may still be pending (an empty
    pagefind-entry.json was seen); the command returns once all are on disk."""
    command = _pagefind_command()
    joiner = BundleJoiner(bundle)
    with concurrent.futures.ThreadPoolExecutor(max_workers=PARALLEL_INDEXES) as runner:
        runs: list[concurrent.futures.Future[Path]] = []
        joined = 0  # batches added to the join, in page order

        def join_done(until: int) -> None:
            """Add to the join the batches up to `until`, waiting for them, and any done right after them."""
            nonlocal joined
            while joined < len(runs) and (joined <= until or runs[joined].done()):
                joiner.add(runs[joined].result())
                joined += 1

        def index_batch() -> None:
            number = len(runs)
            runs.append(runner.submit(_index_batch, command, Path(copies_folder, str(number)), Path(work, str(number))))
            join_done(number - PARALLEL_INDEXES)

        indexed = 0
        for path, copy in copies:
            target = Path(copies_folder, str(indexed // PAGES_PER_INDEX), path)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(copy)
            indexed += 1
            if indexed % PAGES_PER_INDEX == 0:
                index_batch()
        if indexed % PAGES_PER_INDEX:
            index_batch()
        join_done(len(runs) - 1)
        joining = time.perf_counter()
        joiner.write()
        return len(runs), time.perf_counter() - joining


def copies_dir(site_dir: Path) -> Path:
    """Where the page copies are written: in memory when MEMORY_DIR has room, so that they never go to disk.

    After a build has written its site, the disk is busy writing it back: at 2,000 papers writing the copies
    (50 MB) beside the site took 1-4 s of system CPU, in /dev/shm 0.2 s."""
    try:
        if shutil.disk_usage(MEMORY_DIR).free >= MEMORY_DIR_ROOM and os.access(MEMORY_DIR, os.W_OK):
            return MEMORY_DIR
    except OSError:  # no such folder
        pass
    return site_dir.parent


def _index_batch(command: list[str], pages: Path, bundle: Path) -> Path:
    """Index a batch's page copies and remove them; return its bundle."""
    _run_pagefind(command, pages, bundle)
    shutil.rmtree(pages)
    return bundle


def _pagefind_command() -> list[str]:
    """Pagefind's command line with what every batch shares: the binary, the language, the unindexed parts."""
    executable = get_executable()
    if executable is None:
        raise SearchIndexError("the Pagefind binary is missing: reinstall the `pagefind[extended]` package")
    excluded = [argument for selector in UNINDEXED_SELECTORS for argument in ("--exclude-selectors", selector)]
    return [str(executable), "--force-language", "en", *excluded, "--silent"]


def _run_pagefind(command: list[str], pages: Path, bundle: Path) -> None:
    run = subprocess.run(
        [*command, "--site", str(pages), "--output-path", str(bundle)], capture_output=True, text=True, check=False
    )
    if run.returncode != 0:
        raise SearchIndexError(
            f"Pagefind stopped with exit code {run.returncode}: {(run.stderr or run.stdout).strip()}"
        )


def html_files(site_dir: Path) -> Iterator[Path]:
    """The HTML files of the site (relative to `site_dir`, in path order) but those in UNREAD_DIRS."""
    for folder, subfolders, files in os.walk(site_dir):
        here = Path(folder)
        if here == site_dir:
            subfolders[:] = [name for name in subfolders if name not in UNREAD_DIRS]
        subfolders.sort()
        for name in sorted(files):
            if name.endswith(".html"):
                yield (here / name).relative_to(site_dir)


def search_copy(page: bytes) -> bytes | None:
    """What Pagefind is given of a page: what it indexes as it would the whole page; None for a page it must skip.

    Pagefind ignores pages without data-pagefind-body once one page has it; batches hold only pages with
    it so that no batch falls back to indexing whole pages. Pagefind parses every byte it is given, and
    the Material shell before the indexed part (head, header, navigation: 40 % of a paper page's bytes, a fifth
    of Pagefind's work) counts only through the <html> tag (the language), the <title> (the result title
    of a page without h1) and any h1 or data-pagefind- attribute; the copy keeps the first two and the page
    from the indexed part on. A page with either of the last two before its indexed part is given whole. A
    generated page's copy also leaves out what Pagefind would not index (`without_unindexed`)."""
    body = _body_tag(page)
    if body < 0:
        return None
    shell = page[:body].lower()
    html, title, title_end = shell.find(b"<html"), shell.find(b"<title"), shell.find(b"</title>")
    if b"<h1" in shell or b"data-pagefind-" in shell or min(html, title, title_end - title) < 0:
        return without_unindexed(page)
    html_tag = page[html : page.index(b">", html) + 1]
    return without_unindexed(
        b"<!doctype html>" + html_tag + b"<head>" + page[title : title_end + 8] + b"</head>" + page[body:]
    )


def _body_tag(page: bytes) -> int:
    """Where the opening tag marking the indexed part starts, or -1. Contributor text is escaped, so the
    attribute inside a tag is the template's (the text alone may be in what a contributor wrote)."""
    at = page.find(INDEXED_MARK)
    while at >= 0:
        tag = page.rfind(b"<", 0, at)
        if tag >= 0 and INDEXED_PAGE.match(page, tag):
            return tag
        at = page.find(INDEXED_MARK, at + 1)
    return -1


# The indexed part of a generated page as overrides/main.html and the kb templates write it: the element
# holds one <article>. Contributor text is escaped, so neither string can come from it.
GENERATED_PART = b'<div data-pagefind-body>\n<article class="kb-page '
GENERATED_END = b"</article>\n</div>"
# Markup the HTML parser reads as other than elements and text (comments, raw text, foreign content), in
# lower case: a generated page has none, and a page that has is given to Pagefind as it is.
_PARSED_OTHERWISE = re.compile(
    rb"<(?:[!?]|(?:script|style|textarea|title|xmp|iframe|noembed|noframes|noscript|plaintext|template|svg|math)"
    rb"[\s/>])"
)
# What Pagefind reads after the indexed part: a title (h1, <title>), an image after it, data-pagefind- marks.
_READ_AFTER = re.compile(rb"<(?:h1|img|title)[\s/>]|data-pagefind-", re.IGNORECASE)

_NAME = rb"[a-zA-Z][a-zA-Z0-9]*+"
# Elements of which Pagefind reads nothing inside an ignored element (most frequent first: each is tried in
# turn). Not an h1 (a result title), an img (its image), nor one parsed otherwise (raw text, foreign content).
_PLAIN_NAMES = (
    "a|li|span|code|blockquote|ul|ol|p|strong|em|details|summary|div|dl|dt|dd|pre|b|i|small|sub|sup|cite|q|samp|time"
    "|table|thead|tbody|tfoot|tr|th|td|caption|var|kbd|abbr|mark|u|s|del|ins|bdi|bdo|h2|h3|h4|h5|h6|section|article"
    "|aside|figure|figcaption"
)
_PLAIN = rb"(?:%b)(?=[\s>])" % _PLAIN_NAMES.encode()
# A table cell of the templates' that removing what Pagefind ignores left holding only spacing (a claim row's
# badge cells): it has no id and adds no text, so Pagefind makes the same bundle without it, for a tenth less
# work on a paper page (2.98 -> 2.71 s for 1,000 pages at 10,000 papers, the bundles byte for byte the same).
_EMPTIED_CELL = re.compile(rb'<td data-label="[^"<>]*">\s*</td>\n?')
_REMOVED_DEPTH = 6  # elements within elements a removed element may hold (a paper's cite block: 4)
_SIMPLE_SELECTOR = re.compile(r"([a-z][a-z0-9]*)?(?:\.([\w-]+))?(?:\[([a-z][\w-]*)=\"([^\"<>&]*)\"\])?")


def without_unindexed(copy: bytes) -> bytes:
    """A copy of a generated page without the elements UNINDEXED_SELECTORS leaves out of the index and without
    what follows the indexed part: Pagefind makes the same index of it with less work (its time goes with the
    elements it parses, and a paper page's badges, notes, quotes and cite block are most of them). Any other
    page is returned as it is.

    An element is removed only whole, when Pagefind reads nothing of it once ignored: no id of its own (an
    anchor), nothing inside that Pagefind reads even there (an h1 is a result title, an img its image, and
    data-pagefind- marks). Ignored, it adds no text, and the parser Pagefind uses (lol_html) ends an element at
    its own end tag only, so the text on either side joins as it did. An element the patterns do not match whole
    (nested deeper, holding what Pagefind reads) stays, and Pagefind's --exclude-selectors leaves it out.
    `kb build` indexes most pages from their rendered bodies (search_early.py): the same holds for those copies."""
    body = _body_tag(copy)
    end = copy.find(GENERATED_END, body)
    if (
        body < 0
        or end < 0
        or not copy.startswith(GENERATED_PART, body)
        or copy.find(b"<article", body + len(GENERATED_PART), end) >= 0
    ):
        return copy
    end += len(GENERATED_END)
    # What is removed holds only text and the tags of _PLAIN_NAMES elements (and br, wbr, hr), so markup parsed
    # otherwise is in what is left if it was in the part: looked for there, it costs a third (a paper page keeps
    # 30 % of its bytes). Where a removal puts a `<` left before it next to what follows it, what is left may seem
    # to hold some: the copy is then given as it is, as a page holding some is.
    kept = _EMPTIED_CELL.sub(b"", _IGNORED.sub(b"", copy[body:end]))
    if _PARSED_OTHERWISE.search(kept.lower()):
        return copy
    after = copy[end:]
    return copy[:body] + kept + (after if _READ_AFTER.search(after) else b"")


def _ignored_elements(selectors: tuple[str, ...]) -> re.Pattern[bytes]:
    """Whole elements that the tag, .class, tag.class and tag[attribute="value"] selectors among `selectors`
    match (of a tag in _PLAIN_NAMES), of which Pagefind reads nothing. Python's regular expressions try every alternative at every `<`: so
    the selectors of one tag and attribute share one, each tried only at a tag that passes its own quick test."""
    shared: dict[tuple[str | None, str | None], list[str]] = {}
    for parts in map(_SIMPLE_SELECTOR.fullmatch, selectors):
        if parts is not None and any(parts.groups()) and parts[1] in (None, *_PLAIN_NAMES.split("|")):
            tag, css_class, attribute, value = parts.groups()
            required = ("class", css_class) if css_class else (attribute, value)
            shared.setdefault((tag, required[0]), []).extend(required[1:] if required[0] else [])
    elements = [
        rb"(?=%b)%b" % _ignored_element(tag, attribute, values, f"e{n}".encode())
        for n, ((tag, attribute), values) in enumerate(shared.items())
    ]
    if not elements:
        return re.compile(rb"(?!)")  # matches nothing
    return re.compile(rb"<(?:%b)" % b"|".join(elements))


def _ignored_element(tag: str | None, attribute: str | None, values: list[str], group: bytes) -> tuple[bytes, bytes]:
    """A quick test for the start tag of an element named `tag` (any when None) whose `attribute` is one of
    `values` (for class: has one of them), as the templates write it (that attribute first): most tags fail it
    at their first bytes. And the pattern (after its `<`) for the whole element, of which Pagefind reads nothing."""
    quick_name = re.escape(tag.encode()) if tag else _NAME
    name = re.escape(tag.encode()) if tag else _PLAIN
    if attribute is None:
        test, attributes = quick_name + rb"[\s>]", _attributes(b"id")  # its own id is an anchor
    else:
        alternatives = b"|".join(re.escape(value.encode()) for value in values)
        if attribute == "class":  # a word of the class attribute
            # stepped word by word, not byte by byte: _IGNORED takes a fifth less time on a paper page
            value = rb'(?:[^"<> \t\n\f\r]*+[ \t\n\f\r]++)*?(?:%b)(?=[ \t\n\f\r"])[^"<>]*+' % alternatives
        else:
            value = rb"(?:%b)" % alternatives
        required = rb'\s++%b="%b"' % (re.escape(attribute.encode()), value)
        others = _attributes(b"id", attribute.encode())  # the attribute once: Pagefind reads the first
        test, attributes = quick_name + required, others + required + others
    content = _content(_REMOVED_DEPTH, group + b"_")
    return test, rb"(?P<%b>%b)%b\s*+>%b</(?P=%b)>" % (group, name, attributes, content, group)


def _attributes(*but: bytes) -> bytes:
    """Double-quoted attributes but those named `but` and data-pagefind- marks (Pagefind reads them anywhere)."""
    names = b"|".join((*map(re.escape, but), rb"data-pagefind-[^\s=>/]*+"))
    return rb'(?:\s++(?!(?i:%b)[\s=>/])[a-zA-Z][a-zA-Z0-9_.:-]*+(?:="[^"<>]*+")?+)*+' % names


def _content(depth: int, group: bytes) -> bytes:
    """Balanced markup at most `depth` elements deep of which Pagefind reads nothing inside an ignored element:
    text, line breaks, and elements each closed by its own end tag (comments are ruled out page-wide)."""
    if depth == 0:
        return rb"[^<]*+"
    name = group + str(depth).encode()
    # (?=[a-z]): an end tag fails at once, not after each of _PLAIN_NAMES in turn
    element = rb"<(?=[a-z])(?P<%b>%b)%b\s*+>%b</(?P=%b)>" % (
        name,
        _PLAIN,
        _attributes(),
        _content(depth - 1, group),
        name,
    )
    return rb"(?:[^<]++|%b|<(?:br|wbr|hr)(?=[\s/>])%b\s*+/?>)*+" % (element, _attributes())


_IGNORED = _ignored_elements(UNINDEXED_SELECTORS)

if __name__ == "__main__":
    sys.exit(_child_main(Path(sys.argv[1])))
