"""The MkDocs phase of `kb build` does for each generated page and file only what that page or file needs.

At 10,000 papers MkDocs is handed 12,700 generated pages and 12,000 generated files: a second Page object for
each page, a second read of each JSON twin or a pass of mkdocs-macros over each page's empty Markdown is
seconds of CPU. That the site stays the same is tests/test_theme_shell.py's part.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from mkdocs.structure.pages import Page
from mkdocs_macros.plugin import MacrosPlugin

from generator import mkdocs_hooks
from generator.commands.build import mkdocs_build
from generator.pipeline.spool import Spooled
from tests.helpers import forget_builds


def test_pages_are_made_once_texts_read_once_and_macros_see_content_pages_only(
    fixture_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: Counter[str] = Counter()
    read: Counter[tuple[Path, int | None]] = Counter()
    macros_saw: list[str] = []
    make_page, read_bytes, run_macros = Page.__init__, Spooled.read_bytes, MacrosPlugin.on_page_markdown

    def making(page: Page, title: str | None, file: Any, config: Any) -> None:
        made[file.src_uri] += 1
        make_page(page, title, file, config)

    def reading(spooled: Spooled) -> bytes:
        read[spooled.path, spooled.offset] += 1
        return read_bytes(spooled)

    def macros(plugin: MacrosPlugin, markdown: str, page: Page, config: Any, **kwargs: Any) -> Any:
        macros_saw.append(page.file.src_uri)
        return run_macros(plugin, markdown, page, config, **kwargs)

    forget_builds(monkeypatch)
    monkeypatch.setattr(Page, "__init__", making)
    monkeypatch.setattr(Spooled, "read_bytes", reading)
    monkeypatch.setattr(MacrosPlugin, "on_page_markdown", macros)
    assert mkdocs_build(fixture_project, strict=False, site_dir=str(tmp_path / "site")) == 0

    generated = mkdocs_hooks._state.pages
    assert generated and set(generated) <= set(made)
    assert [uri for uri, count in made.items() if count > 1] == []
    twins = [file.data for file in mkdocs_hooks._state.output.files if file.data.offset is not None]  # type: ignore[union-attr]
    assert twins, "JSON twins are packed"
    assert [twin for twin in twins if read[twin.path, twin.offset] != 1] == []
    assert sorted(macros_saw) == sorted(uri for uri in made if uri not in generated)
    assert "index.md" in macros_saw, "the home page still renders its macros"
