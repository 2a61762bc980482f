"""Regenerate the screenshot set in docs/: six page kinds, desktop and mobile, light and dark.

    .venv/bin/python docs/screenshots.py

Builds the bundled corpus with `kb build` into a temporary folder, serves it on
127.0.0.1 and photographs each page in Debian's Chromium (never a downloaded
browser), the first screen of each page as a reader sees it (the paper page from its claims). Run it after a change
to the look; the test suite does not, so the images change only when asked to.
"""

from __future__ import annotations

import functools
import http.server
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from playwright.sync_api import ViewportSize

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
CHROMIUM = "/usr/bin/chromium"
VIEWPORTS: dict[str, ViewportSize] = {
    "desktop": {"width": 1280, "height": 1000},
    "mobile": {"width": 390, "height": 844},
}
SCHEMES: tuple[Literal["light", "dark"], ...] = ("light", "dark")


def page_paths(site: Path) -> dict[str, str]:
    category = sorted(p.name for p in (site / "taxonomy").iterdir() if p.is_dir())[0]
    return {
        "paper": "papers/2503.23007/#claims",  # its claim card, the part a reader comes for
        "hub": "papers/1701.06538/",
        "synthesis": "syntheses/SRCH-7693EED1/",
        "explorer": "claims/",
        "category": f"taxonomy/{category}/",
        "data": "data/",
    }


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def shoot(site: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    written = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"], headless=True)
            for device, viewport in VIEWPORTS.items():
                for scheme in SCHEMES:
                    context = browser.new_context(viewport=viewport, color_scheme=scheme)
                    page = context.new_page()
                    for kind, path in page_paths(site).items():
                        page.goto(base + path, wait_until="networkidle")
                        target = DOCS / f"screenshot-{kind}-{device}-{scheme}.png"
                        page.screenshot(path=str(target), animations="disabled")
                        written.append(target)
                    context.close()
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    return written


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="kb-screenshots-") as folder:
        site = Path(folder) / "site"
        build = [sys.executable, "-m", "generator", "--root", str(REPO), "build", "--site-dir", str(site)]
        result = subprocess.run(build, cwd=REPO, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            print(result.stdout, result.stderr, sep="\n", file=sys.stderr)
            return result.returncode
        for path in shoot(site):
            print(f"{path.relative_to(REPO)}  {path.stat().st_size / 1024:.0f} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
