"""MkDocs hooks: plain `mkdocs build` and `mkdocs serve` run the same pipeline as `kb build`.

Generated pages enter as virtual files with an empty Markdown body; their
finished HTML replaces the content in `on_page_content`, with the title and
table of contents set from our own page objects. Titles are HTML-escaped here
because Material prints `page.meta.title` into <title> and the header unescaped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markupsafe import escape
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import Abort
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import AnchorLink, TableOfContents

from generator.model.records import Paper, Synthesis
from generator.pipeline.build import build_site
from generator.pipeline.link import Site
from generator.pipeline.render import Output, RenderedPage, Renderer, plain_text
from generator.urls import page_source

log = logging.getLogger("mkdocs.plugins.kb")

# Their text already appears on paper pages; indexing it again would only
# multiply the search index (Material ships it as one file) and the build time.
UNSEARCHED_KINDS = frozenset({"claim", "category", "explorer"})


@dataclass
class _BuildState:
    command: str = "build"
    site: Site | None = None
    output: Output | None = None
    pages: dict[str, RenderedPage] = field(default_factory=dict)


_state = _BuildState()


def on_startup(command: str, dirty: bool) -> None:
    _state.command = command


@event_priority(100)  # before mkdocs-macros reads `extra`, so the home page sees live counts
def on_config(config: MkDocsConfig) -> MkDocsConfig:
    root = Path(config.config_file_path).parent
    site, output = build_site(root)
    for problem in () if site.problems.shown else site.problems:
        (log.error if problem.severity == "error" else log.warning)(problem.format_text())
    if site.problems.errors and _state.command != "serve":
        raise Abort(f"kb: aborted with {len(site.problems.errors)} data error(s); run `kb validate` for details")
    _state.site, _state.output = site, output
    _state.pages = {page_source(p.url): p for p in output.pages}
    config.extra["kb"] = {**config.extra.get("kb", {}), **home_variables(site)}
    return config


def on_files(files: Files, config: MkDocsConfig) -> Files:
    assert _state.output is not None
    for src_uri in _state.pages:
        existing = files.get_file_from_path(src_uri)
        if existing is not None:
            log.warning(f"kb: content/{src_uri} is replaced by the generated page at the same URL")
            files.remove(existing)
        files.append(File.generated(config, src_uri, content=""))
    contributing = Path(config.config_file_path).parent / "CONTRIBUTING.md"
    if contributing.exists() and files.get_file_from_path("contributing.md") is None:
        # One text for GitHub and the site: the maintainers' guide becomes the Contributing page.
        files.append(File.generated(config, "contributing.md", content=contributing.read_text(encoding="utf-8")))
    for static in _state.output.files:
        files.append(File.generated(config, static.path, content=static.content))
    return files


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    generated = _state.pages.get(page.file.src_uri)
    if generated is None:
        return markdown
    page.meta = {
        "title": str(escape(plain_text(generated.title))),
        "description": str(escape(plain_text(generated.description))),
        "kb_head": generated.head,
        "kb_kind": generated.kind,
    }
    if generated.kind in UNSEARCHED_KINDS:
        page.meta["search"] = {"exclude": True}
    return ""


def on_page_content(html: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    generated = _state.pages.get(page.file.src_uri)
    if generated is None:
        return html
    page.toc = TableOfContents(
        [AnchorLink(str(escape(entry.title)), entry.anchor, entry.level) for entry in generated.toc]
    )
    return generated.html


def on_post_build(config: MkDocsConfig) -> None:
    """Nothing is lost silently: say what was read and what was rendered."""
    site = _state.site
    if site is None:
        return
    stats = site.stats
    log.info(site.stats.summary())
    log.info(f"kb: rendered {stats.rendered_pages} generated pages, {stats.rendered_claims} of {stats.claims} claims")
    if stats.rendered_claims != stats.claims:
        raise Abort(f"kb: {stats.claims} claims were read but {stats.rendered_claims} rendered")


def home_variables(site: Site) -> dict[str, Any]:
    """What content/index.md may use through mkdocs-macros. Lists arrive as escaped HTML."""
    stats = site.stats
    records: list[Paper | Synthesis] = [
        *(loaded.record for loaded in site.corpus.papers.values()),
        *(loaded.record for loaded in site.corpus.syntheses.values()),
    ]
    newest = sorted(records, key=lambda record: (record.added or "", record.id), reverse=True)[:8]
    renderer = Renderer(site)
    links = renderer.links("")
    render = renderer.env.get_template
    return {
        "counts": {
            "papers": stats.papers,
            "syntheses": stats.syntheses,
            "claims": stats.claims,
            "categories": stats.categories,
            "citations": stats.citations,
            "hubs": stats.hubs,
            "ledger_rows": stats.rows_read,
        },
        "newest_html": render("kb/partials/newest.html").render(records=newest, links=links, site=site),
        "hubs_html": render("kb/partials/hubs.html").render(hubs=sorted(site.hubs), links=links, site=site),
    }
