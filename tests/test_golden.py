"""Golden pages: the generated HTML of representative pages of the frozen fixture corpus, committed and diffed.

The pages come from tests/fixtures/corpus, not from the bundled corpus, so adding
papers to the knowledge base never changes a golden. A template change shows up
here as a readable diff in review: goldens are stored with a line break between
adjacent tags (`><`), so no line runs to thousands of characters. After an
intended change, regenerate them and review the diff:

    make golden        # KB_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_golden.py
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from generator.pipeline.build import build_site
from tests.conftest import FIXTURE_CORPUS, copy_project

GOLDEN = Path(__file__).parent / "golden"
PAGES = {
    "paper-2402.00003.html": "papers/2402.00003/",
    "hub-2401.00001.html": "papers/2401.00001/",
    "withdrawn-2404.00005.html": "papers/2404.00005/",
    "synthesis-SRCH-0000FEED.html": "syntheses/SRCH-0000FEED/",
    "category-fixture-routing.html": "taxonomy/fixture-routing/",
    "methodology.html": "methodology/",
}


def pretty(html: str) -> str:
    """One tag per line where tags touch: a diff then shows the changed element, not one huge line."""
    return re.sub(r"><", ">\n<", html).rstrip("\n") + "\n"


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = copy_project(tmp_path_factory.mktemp("golden") / "fixture", FIXTURE_CORPUS)
    site, output = build_site(root)
    assert not site.problems.errors, site.problems.report()
    return {page.url: page.html for page in output.pages}


@pytest.mark.parametrize("name", sorted(PAGES))
def test_generated_page_matches_golden(name: str, pages: dict[str, str]) -> None:
    html = pretty(pages[PAGES[name]])
    path = GOLDEN / name
    if os.environ.get("KB_UPDATE_GOLDEN"):
        path.write_text(html, encoding="utf-8")
    assert path.exists(), f"{path} is missing: run `make golden`"
    assert html == path.read_text(encoding="utf-8"), (
        f"{name} changed; if intended, run `make golden` and review the diff"
    )


def test_no_golden_is_left_over() -> None:
    assert sorted(p.name for p in GOLDEN.iterdir()) == sorted(PAGES), "remove goldens no test compares"
