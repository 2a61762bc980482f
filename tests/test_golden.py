"""Golden pages: the generated HTML of representative pages, committed and diffed.

A template change shows up here as a readable diff in review. After an
intended change, regenerate with:

    KB_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_golden.py
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from generator.pipeline.build import build_site
from tests.conftest import REPO

GOLDEN = Path(__file__).parent / "golden"
PAGES = {
    "paper-2503.23007.html": "papers/2503.23007/",
    "hub-1701.06538.html": "papers/1701.06538/",
    "synthesis-SRCH-7693EED1.html": "syntheses/SRCH-7693EED1/",
    "category-moe-routing.html": "taxonomy/moe-routing/",
    "methodology.html": "methodology/",
}


@pytest.fixture(scope="module")
def pages() -> dict[str, str]:
    _, output = build_site(REPO)
    return {page.url: page.html for page in output.pages}


@pytest.mark.parametrize("name", sorted(PAGES))
def test_generated_page_matches_golden(name: str, pages: dict[str, str]) -> None:
    html = pages[PAGES[name]]
    path = GOLDEN / name
    if os.environ.get("KB_UPDATE_GOLDEN"):
        path.write_text(html, encoding="utf-8")
    assert path.exists(), f"{path} is missing: run with KB_UPDATE_GOLDEN=1"
    assert html == path.read_text(encoding="utf-8"), f"{name} changed; if intended, run with KB_UPDATE_GOLDEN=1"
