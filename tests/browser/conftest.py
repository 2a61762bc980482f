"""Browser fixtures: the real site, built once, served on 127.0.0.1, driven by Debian's Chromium.

Every page and context made here routes all requests through a guard that lets
127.0.0.1 through and aborts (and records) anything else, so a test can assert
that the site makes no request to another host. JavaScript errors on the page
are recorded too. Both lists are checked again when each test ends.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.helpers import kb

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("KB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOCAL_HOSTS = {"127.0.0.1"}
VIEWPORT = {"width": 1280, "height": 900}
ARTIFACTS = REPO / "tests" / "artifacts" / "screenshots"

# The seed corpus pages the tests visit; the claim page and a category are found in the built site.
PAPER_ID = "2503.23007"
HUB_ID = "1701.06538"
SYNTHESIS_ID = "SRCH-7693EED1"
CLAIM_TEXT = (
    "Existing Sparse Mixture of Experts (SMoE) models provide the same input to the top K-Experts in a TopK setting."
)


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def serving(directory: Path) -> Iterator[str]:
    """Serve a folder over HTTP on 127.0.0.1 (a free port) in a background thread; yields its URL."""
    handler = functools.partial(QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name=f"kb-server-{directory.name}", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`kb build` of the repository's own corpus, into a temporary folder.

    KB_BROWSER_SITE_DIR names an already built site to test instead (no build).
    """
    prebuilt = os.environ.get("KB_BROWSER_SITE_DIR")
    if prebuilt:
        return Path(prebuilt).resolve()
    site_dir = tmp_path_factory.mktemp("kb-site")
    result = kb(REPO, "build", "--site-dir", str(site_dir))
    assert result.returncode == 0, f"kb build failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
    assert (site_dir / "index.html").is_file(), "kb build wrote no index.html"
    return site_dir


@pytest.fixture(scope="session")
def site_url(built_site: Path) -> Iterator[str]:
    """The built site over HTTP on 127.0.0.1, a free port, in a background thread."""
    with serving(built_site) as url:
        yield url


@pytest.fixture(scope="session")
def page_paths(built_site: Path) -> dict[str, str]:
    """One URL path per page kind, relative to the site root."""
    claim_dirs = sorted(p.name for p in (built_site / "claims").iterdir() if p.is_dir())
    paper_html = (built_site / "papers" / PAPER_ID / "index.html").read_text(encoding="utf-8")
    claim = next((c for c in claim_dirs if f"claims/{c}/" in paper_html), claim_dirs[0] if claim_dirs else "")
    categories = sorted(p.name for p in (built_site / "taxonomy").iterdir() if p.is_dir())
    assert claim, "the built site has no claim pages"
    assert categories, "the built site has no category pages"
    return {
        "home": "",
        "papers-index": "papers/",
        "paper": f"papers/{PAPER_ID}/",
        "hub": f"papers/{HUB_ID}/",
        "syntheses-index": "syntheses/",
        "synthesis": f"syntheses/{SYNTHESIS_ID}/",
        "taxonomy-index": "taxonomy/",
        "category": f"taxonomy/{categories[0]}/",
        "explorer": "claims/",
        "claim": f"claims/{claim}/",
        "methodology": "methodology/",
    }


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium through Playwright (never a downloaded browser build)."""
    if not Path(CHROMIUM).is_file():
        message = f"{CHROMIUM} is missing: `make browser-deps` installs Debian's chromium"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


class Watch:
    """What a test's pages did that they must not: requests to other hosts, uncaught script errors."""

    def __init__(self) -> None:
        self.offsite: list[str] = []
        self.errors: list[str] = []

    def route(self, route: Any) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in {"data", "blob", "about"} or parts.hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            self.offsite.append(url)
            route.abort()

    def attach(self, page: Any) -> None:
        page.route("**/*", self.route)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def assert_clean(self) -> None:
        assert self.offsite == [], f"requests to other hosts: {self.offsite}"
        assert self.errors == [], f"JavaScript errors: {self.errors}"


@pytest.fixture
def watch() -> Watch:
    return Watch()


@pytest.fixture
def new_page(browser: Any, watch: Watch) -> Iterator[Callable[..., Any]]:
    """Make a guarded page in a fresh context; keyword arguments go to `browser.new_context`."""
    contexts: list[Any] = []

    def make(**options: Any) -> Any:
        options.setdefault("viewport", VIEWPORT)
        context = browser.new_context(**options)
        context.route("**/*", watch.route)  # also catches requests from workers (the search index)
        contexts.append(context)
        page = context.new_page()
        watch.attach(page)
        return page

    yield make
    for context in contexts:
        context.close()
    watch.assert_clean()


@pytest.fixture
def page(new_page: Callable[..., Any]) -> Any:
    """A guarded page in light mode at 1280x900."""
    return new_page(color_scheme="light")


@dataclass
class Tab:
    """A guarded page kept for a whole test module (one browser context per colour scheme)."""

    page: Any
    watch: Watch


@pytest.fixture(scope="module")
def tabs(browser: Any) -> Iterator[Callable[[str], Tab]]:
    """`tabs("light")` / `tabs("dark")`: a page that read-only tests share, its watch emptied for each test.

    Sharing saves a context per test; a test that changes page state (history, media,
    permissions) takes a fresh `page` instead.
    """
    made: dict[str, Tab] = {}

    def get(scheme: str = "light") -> Tab:
        if scheme not in made:
            watch = Watch()
            context = browser.new_context(viewport=VIEWPORT, color_scheme=scheme)
            context.route("**/*", watch.route)
            page = context.new_page()
            watch.attach(page)
            made[scheme] = Tab(page, watch)
        tab = made[scheme]
        tab.watch.offsite.clear()
        tab.watch.errors.clear()
        return tab

    yield get
    for tab in made.values():
        tab.page.context.close()


@pytest.fixture
def goto(site_url: str) -> Callable[[Any, str], Any]:
    def go(page: Any, path: str) -> Any:
        response = page.goto(site_url + path, wait_until="load")
        assert response is not None and response.ok, f"{path}: HTTP {response.status if response else 'none'}"
        return response

    return go


def screenshot_path(name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / f"{name}.png"


SYNTH_PAPERS = 2000
SYNTH_CLAIMS = 3000


@dataclass(frozen=True)
class SynthSite:
    """A `kb synth` corpus of SYNTH_PAPERS papers, built once per session and served on 127.0.0.1."""

    root: Path
    site_dir: Path
    url: str


@pytest.fixture(scope="session")
def synth_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SynthSite]:
    """KB_BROWSER_SYNTH_DIR names an already synthesised and built corpus (its site in `site/`) to test instead."""
    prebuilt = os.environ.get("KB_BROWSER_SYNTH_DIR")
    root = Path(prebuilt).resolve() if prebuilt else tmp_path_factory.mktemp("kb-synth") / "kb"
    site_dir = root / "site"
    if not prebuilt:
        args = ("--papers", str(SYNTH_PAPERS), "--claims", str(SYNTH_CLAIMS), "--seed", "11", "--out", str(root))
        made = kb(REPO, "synth", *args)
        assert made.returncode == 0, f"kb synth failed:\n{made.stdout}\n{made.stderr}"
        built = kb(root, "build", "--site-dir", str(site_dir))
        assert built.returncode == 0, (
            f"kb build of the synthetic corpus failed:\n{built.stdout}\n{built.stderr[-5000:]}"
        )
    with serving(site_dir) as url:
        yield SynthSite(root, site_dir, url)
