"""Search benchmark: Pagefind index time and the bytes a reader's first query fetches.

    python benchmarks/bench_search.py SITE_DIR [QUERY ...]

SITE_DIR is a site built by `kb build` (its pagefind/ folder is rebuilt here to time
it). Each query runs in a fresh headless Chromium (Debian's, as in the browser tests)
against the site served on 127.0.0.1: the figure is every file under pagefind/ the
page requested from opening the search box to the first results shown, summed from
the files on disk: as served by a plain static server, and as sent by a host that gzips
text (GitHub Pages does; Pagefind's index, fragment and wasm files are gzip already).
"""

from __future__ import annotations

import functools
import gzip
import http.server
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlsplit

from generator.publish.search import BUNDLE_DIR, index_site

CHROMIUM = "/usr/bin/chromium"
DEFAULT_QUERIES = ("expert", "routing capacity", "zzzz")
TEXT_SUFFIXES = (".js", ".json", ".css")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def served(site_dir: Path) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site_dir)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def first_query_bytes(site_dir: Path, query: str) -> tuple[int, int, int]:
    """(bytes, bytes if text is gzipped, files) of the search bundle fetched to answer `query` on a fresh page."""
    from playwright.sync_api import sync_playwright

    fetched: set[str] = set()
    with served(site_dir) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"], headless=True)
        page = browser.new_page()
        page.on("request", lambda request: fetched.add(urlsplit(request.url).path))
        page.goto(base, wait_until="load")
        page.locator("input.md-search__input").click()
        page.keyboard.type(query, delay=20)
        page.locator(".md-search-result__meta", has_text="matching").wait_for(timeout=60_000)
        page.wait_for_load_state("networkidle")
        browser.close()
    files = [site_dir / unquote(path).lstrip("/") for path in fetched if path.startswith(f"/{BUNDLE_DIR}/")]
    files = [file for file in files if file.is_file()]
    raw = sum(file.stat().st_size for file in files)
    sent = sum(
        len(gzip.compress(file.read_bytes())) if file.suffix in TEXT_SUFFIXES else file.stat().st_size for file in files
    )
    return raw, sent, len(files)


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    site_dir = Path(argv[0]).resolve()
    report = index_site(site_dir)
    print(report.summary())
    print("| query | files fetched | KB as stored | KB with text gzipped |\n|---|---:|---:|---:|")
    for query in argv[1:] or DEFAULT_QUERIES:
        raw, sent, count = first_query_bytes(site_dir, query)
        print(f"| {query} | {count} | {raw / 1024:.0f} | {sent / 1024:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
