"""MkDocs hooks: plain `mkdocs build` and `mkdocs serve` run the same pipeline as `kb build`.

Generated pages enter as virtual files with an empty Markdown body, and the title
and table of contents are set from our own page objects. Their finished HTML and
head metadata wait on disk (pipeline/spool.py): MkDocs holds a short placeholder
for each (`on_page_content`), which `on_post_page` replaces in the themed page,
so no more than one page's HTML is in memory at a time. Generated files are
linked from the spool. Titles are HTML-escaped here because Material prints
`page.meta.title` into <title> and the header unescaped.

Material's template costs about 2 ms a page, and 10,000 paper pages differ in it only by their title,
description, URL and toc. So a generated page outside the nav is themed once per kind, section, depth
and shape (`on_page_context`), with markers where those go, and every page of the same shape is filled
into that shell (`on_post_page`): the same HTML, without the template per page.
"""

from __future__ import annotations

import functools
import heapq
import logging
import operator
import os
import re
import secrets
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import jinja2
from markupsafe import escape
from mkdocs import utils as mkdocs_utils
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import Abort
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import AnchorLink, TableOfContents

from generator.commands.build import PROBLEM_LOGGER, PROBLEM_RECORD
from generator.model.records import Claim, Paper, Synthesis
from generator.model.site import Site
from generator.pipeline import forked
from generator.pipeline.build import build, read_inputs, render_cache
from generator.pipeline.cache import served_claims, served_files, theme_templates
from generator.pipeline.render import Output, RenderedPage, Renderer, plain_text
from generator.pipeline.spool import Spooled
from generator.publish import claim_pages, compact, content_guard, search_early
from generator.publish.claim_pages import Shell, ShellTheme
from generator.publish.search import (
    BackgroundIndexer,
    SearchIndexError,
    SearchIndexReport,
    index_site,
    stop_indexing,
)
from generator.urls import page_source

log = logging.getLogger(PROBLEM_LOGGER)

# Their text already appears on paper pages; indexing it again would only
# multiply the search index and the build time (overrides/main.html reads this).
# Index pages (/papers/, /syntheses/, /taxonomy/) are lists of those pages' titles: at
# 10,000 papers /papers/ alone would be a 170 KB search fragment fetched by most queries.
UNSEARCHED_KINDS = frozenset({"claim", "category", "explorer", "index"})

_PLACEHOLDER = f"<!-- kb {secrets.token_hex(8)}"
"""Marks where a spooled head or body goes; unguessable, so no page text can stand in for it."""
HEAD_PLACEHOLDER = f"{_PLACEHOLDER} head -->"
BODY_PLACEHOLDER = f"{_PLACEHOLDER} body -->"
BODY_WITH_H1_PLACEHOLDER = f"{_PLACEHOLDER} body <h1 -->"
"""Material adds an <h1> to content that has none, so the placeholder shows whether the body has one."""

SHELL_TEMPLATE = "kb-shelled-page.html"
"""The template of a generated page outside the nav: its body alone. `on_post_page` puts it into the
Material page that its kind's first page was themed into (its shell), with this page's title and toc."""
_SLOT_MARK = f"kbslot{secrets.token_hex(6)}"
_SLOT = re.compile(f"{re.escape(_PLACEHOLDER)} (head|body)(?: <h1)? -->|{_SLOT_MARK}(\\w+?){_SLOT_MARK}")
"""A slot of a shell: the head or body placeholder, or a marker standing for the title, description,
canonical URL or a toc entry; letters, digits and `_` only, so no Jinja filter of Material changes it."""


@dataclass
class _BuildState:
    command: str = "build"
    dirty: bool = False
    """`kb serve`: rebuilds keep the site directory and MkDocs rebuilds only the files `is_modified` names."""
    site: Site | None = None
    output: Output | None = None
    pages: dict[str, RenderedPage] = field(default_factory=dict)
    shell_theme: ShellTheme | None = None
    claim_writer: claim_pages.ClaimPageWriter | None = None
    """Writing the claim pages since the citations stage (`kb build`) or `on_files`; `on_post_build` finishes it."""
    env: jinja2.Environment | None = None
    shells: dict[tuple[Any, ...], Shell] = field(default_factory=dict)
    """One Material page per kind of generated page, section, depth and shape of head, title and toc."""
    early_index: search_early.EarlyIndex | None = None
    """`kb build`: Pagefind indexing the generated pages since `on_config`; `on_post_build` finishes it."""


_state = _BuildState()


class _GeneratedFile(File):
    """A generated page or file that a dirty rebuild (`kb serve`) rewrites only when what it shows changed."""

    changed: bool = True
    spooled: Spooled | None = None
    """A generated file's content, in the spool (a page's is filled in by `on_post_page`)."""

    def is_modified(self) -> bool:
        return self.changed

    def copy_file(self, dirty: bool = False) -> None:
        """A file spooled on its own is linked into the site, not copied: a spool file is never written again (a
        new build spools a new one), and the site's copy keeps the content once the spool is removed. One in a
        pack file (a JSON twin) is written from there."""
        spooled = self.spooled
        if spooled is None or (dirty and not self.is_modified()):
            return super().copy_file(dirty)
        if spooled.offset is not None:  # read once, though the first file of a folder is opened twice
            data = spooled.read_bytes()
            _into_site(self.abs_dest_path, lambda target: claim_pages.write_file(target, data))
            return None
        try:
            _into_site(self.abs_dest_path, functools.partial(_replacing_link, spooled.path))
        except OSError:  # the spool is on another file system (TMPDIR on tmpfs, say), or links are refused: copy
            super().copy_file(dirty)
        return None


def _into_site(target: str, write: Callable[[str], object]) -> None:
    try:
        write(target)
    except FileNotFoundError:  # the first file of its folder
        os.makedirs(os.path.dirname(target), exist_ok=True)
        write(target)


def _replacing_link(source: Path, target: str) -> None:
    try:
        os.link(source, target)
    except FileExistsError:  # `kb serve`: the last build's
        os.unlink(target)
        os.link(source, target)


class _GeneratedPage(Page):
    """A generated page outside the nav: its HTML is finished, so no Markdown is converted for it, and it is
    filled into the Material page its kind was themed into once (`on_page_context`)."""

    def render(self, config: MkDocsConfig, files: Files) -> None:
        self.content, self.present_anchor_ids, self.links_to_anchors = "", set(), {}


def on_startup(command: str, dirty: bool) -> None:
    _state.command, _state.dirty = command, dirty


@event_priority(100)  # before mkdocs-macros reads `extra`, so the home page sees live counts
def on_config(config: MkDocsConfig) -> MkDocsConfig:
    root = Path(config.config_file_path).parent
    if _state.dirty:
        _keep_theme_listing(config)
    result = build(root, read_inputs(root))  # the edge for plain `mkdocs build` and `mkdocs serve`
    site, output = result.site, result.output
    assert output is not None
    for problem in site.problems:  # `kb build` filters these out: it printed them already
        (log.error if problem.severity == "error" else log.warning)(problem.format_text(), extra={PROBLEM_RECORD: True})
    if site.problems.error_count and _state.command != "serve":
        raise Abort(f"kb: aborted with {site.problems.error_count} data error(s); run `kb validate` for details")
    _state.site, _state.output = site, output
    _state.pages = {page_source(p.url): p for p in output.pages}
    _state.early_index = _start_early_index(Path(config.site_dir), output)
    config.extra["kb"] = {**config.extra.get("kb", {}), **home_variables(site)}
    return config


@dataclass(frozen=True)
class _ThemeListing:
    folders: dict[str, int]
    """Every folder of the theme with its mtime: a file added, removed or renamed changes its folder's."""
    names: list[str]


_theme_listings: dict[tuple[Any, ...], _ThemeListing] = {}


def _keep_theme_listing(config: MkDocsConfig) -> None:
    """`kb serve`: MkDocs lists every theme file on each build to copy the static ones, and tests each name
    against a dozen patterns (Material has 14,000 files: about 0.15 s a rebuild). The list is kept while no folder
    of the theme changed and the filter's inputs (theme folders, static templates, Markdown suffixes) are the same."""
    theme = config.theme
    make_env = theme.get_env
    inputs = (tuple(theme.dirs), tuple(sorted(theme.static_templates)), tuple(mkdocs_utils.markdown_extensions))

    def env_keeping_the_listing() -> jinja2.Environment:
        env = make_env()
        list_templates = env.list_templates

        def listed(extensions: Any = None, filter_func: Any = None) -> list[str]:
            key = (inputs, extensions)
            kept = _theme_listings.get(key)
            if kept is None or not _unchanged(kept.folders):
                folders = _folder_stamps(theme.dirs)  # before listing: a change meanwhile lists again next time
                kept = _theme_listings[key] = _ThemeListing(folders, list_templates(extensions, filter_func))
            return list(kept.names)

        env.list_templates = listed  # type: ignore[method-assign]
        return env

    theme.get_env = env_keeping_the_listing  # type: ignore[method-assign]


def _folder_stamps(roots: list[str]) -> dict[str, int]:
    stamps = {}
    for root in roots:
        for folder, _, _ in os.walk(root):
            stamps[folder] = os.stat(folder).st_mtime_ns
    return stamps


def _unchanged(stamps: dict[str, int]) -> bool:
    try:
        return all(os.stat(folder).st_mtime_ns == stamp for folder, stamp in stamps.items())
    except OSError:  # a folder went away
        return False


def _start_early_index(site_dir: Path, output: Output) -> search_early.EarlyIndex | None:
    """`kb build` at scale: Pagefind indexes the generated pages from now on, while MkDocs writes the site
    (publish/search_early.py). Not under `kb serve`: no fork beside the live server's threads."""
    if _state.early_index is not None:
        _state.early_index.discard()
    if _state.command == "serve" or _state.dirty or not forked.can_fork():
        return None
    pages = {
        f"{page.url}index.html": page.body
        for page in output.pages
        if page.kind not in UNSEARCHED_KINDS
        and page.has_h1
        and page.url.endswith("/")
        and isinstance(page.body, Spooled)
    }
    if len(pages) < search_early.EARLY_FROM_PAGES:
        return None
    try:
        return search_early.EarlyIndex(site_dir, pages)
    except OSError:  # no room beside the site, or no fork: the site is indexed once written, which says what fails
        return None


def on_pre_build(config: MkDocsConfig) -> None:
    """Macro pages render in a sandbox: a template cannot reach Python internals (`lipsum.__globals__`)."""
    macros = config.plugins.get("macros")
    if macros is not None:
        macros._env = content_guard.sandbox(macros.env)  # type: ignore[attr-defined]
        _macros_pass_generated_pages(config, macros)


def _macros_pass_generated_pages(config: MkDocsConfig, macros: Any) -> None:
    """mkdocs-macros copies each page and its variables before it decides not to render one, and a generated
    page never asks it to: its Markdown is empty and its meta is ours. While no page is rendered by default
    and no module hooks every page, generated pages skip it (about 1.0 of 15.9 s in a profile of MkDocs at
    2,000 papers); a page `force_render_paths` names still goes through it."""
    events = config.plugins.events["page_markdown"]
    run, forced = getattr(macros, "on_page_markdown", None), getattr(macros, "force_page_rendering", None)
    if run not in events or forced is None or macros.config.get("render_by_default", True):
        return  # another version of mkdocs-macros, or pages rendered by default: every page goes through it
    if getattr(macros, "pre_macro_functions", True) or getattr(macros, "post_macro_functions", True):
        return

    def on_page_markdown(markdown: str, page: Page, **kwargs: Any) -> Any:
        if markdown or page.file.src_uri not in _state.pages or forced(page.file.src_path):
            return run(markdown, page=page, **kwargs)
        return markdown

    events[events.index(run)] = on_page_markdown
    origins = getattr(config.plugins, "_event_origins", None)  # which plugin an error came from, for MkDocs' log
    if isinstance(origins, dict):
        origins[on_page_markdown] = "macros"


def on_files(files: Files, config: MkDocsConfig) -> Files:
    assert _state.output is not None
    _refuse_shadowing(config)
    generated: dict[str, Any] = {}
    for src_uri, page in _state.pages.items():
        existing = files.src_uris.get(src_uri)  # already a POSIX path, which `get_file_from_path` would make it
        if existing is not None:  # reported by _refuse_shadowing; `kb serve` keeps going with the generated page
            files.remove(existing)
        generated[src_uri] = (page.kind, page.title, page.description, page.head_body, page.toc, page.body)
    for static in _state.output.files:
        generated[static.path] = static.data
    contributing = Path(config.config_file_path).parent / "CONTRIBUTING.md"
    if contributing.exists() and files.get_file_from_path("contributing.md") is None:
        # One text for GitHub and the site: the maintainers' guide becomes the Contributing page.
        files.append(File.generated(config, "contributing.md", content=contributing.read_text(encoding="utf-8")))
    changed = _changed_since_served(files, generated, config) if _state.dirty else None
    for src_uri in _state.pages:
        if changed is None or src_uri in changed.keep:
            file = _GeneratedFile.generated(config, src_uri, content="")
            assert isinstance(file, _GeneratedFile)  # typed as File by MkDocs
            file.changed = changed is None or src_uri in changed.rewrite
            files.append(file)
    for static in _state.output.files:
        if changed is None or static.path in changed.rewrite:
            file = _GeneratedFile.generated(config, static.path, abs_src_path=str(static.data.path))
            assert isinstance(file, _GeneratedFile)
            file.spooled = static.data
            files.append(file)
    _state.shell_theme = ShellTheme.from_mkdocs(config, [file.dest_uri for file in files])
    if _state.command != "serve" and not _state.dirty and _state.site is not None:
        # Claim pages are written on the other cores while MkDocs builds its pages on this one: since the
        # citations stage under `kb build`, else from here on (the site directory is clean by now). Not under
        # `kb serve`: no fork beside the live server's threads.
        _state.claim_writer = claim_pages.take_early(_state.site, _state.shell_theme)
        if _state.claim_writer is None:
            renderer = Renderer(_state.site)  # not cached: 100,000 claim fragments would stay in memory
            _state.claim_writer = claim_pages.ClaimPageWriter(
                renderer, Path(config.site_dir), _state.shell_theme, renderer.all_claims(), claim_pages.cores() - 1
            )
    return files


@dataclass(frozen=True)
class _Changed:
    rewrite: set[str]
    """Generated pages and files whose inputs changed since they were last written."""
    keep: set[str]
    """Generated pages MkDocs is given: those rewritten, and those of the nav, which every page links to."""


def _changed_since_served(files: Files, generated: dict[str, Any], config: MkDocsConfig) -> _Changed:
    """`kb serve`: only files whose inputs changed are rebuilt; every file when what all pages show changed.

    A generated page or file that did not change is not even given to MkDocs: it stays in the site
    directory as the last build wrote it, and MkDocs' per-page work (about 5 s for 12,000 pages at 10,000
    papers) is spent on the pages an edit touched. The sitemap, which lists every page, is written again
    only when the set of pages changed, and then every page is given. Content pages (the home page and
    other Markdown) are few and read `extra.kb` (live counts, newest records): they are always rebuilt, by
    removing their output, which a dirty build then writes again.
    """
    theme_extra = {key: value for key, value in config.extra.items() if key != "kb"}  # what Material reads
    site_wide = (
        frozenset([*(file.src_uri for file in files), *generated]), theme_extra, config.nav, config.theme.dirs,
        render_cache.shared,
    )  # fmt: skip
    if site_wide == served_files.site_wide:  # the same pages as last time: the sitemap MkDocs wrote then holds
        config.theme.static_templates.discard("sitemap.xml")
    rewrite = served_files.changed(site_wide, generated)
    for file in files:
        if file.is_documentation_page() and Path(file.abs_dest_path).exists():
            Path(file.abs_dest_path).unlink()
    in_nav = {page for page in _nav_sources(config.nav) if page in generated}
    return _Changed(rewrite, rewrite | in_nav)


def _nav_sources(nav: Any) -> Iterator[str]:
    """The source paths the `nav:` setting names, at any depth."""
    if isinstance(nav, str):
        yield nav
    elif isinstance(nav, dict):
        for value in nav.values():
            yield from _nav_sources(value)
    elif isinstance(nav, list):
        for item in nav:
            yield from _nav_sources(item)


def _refuse_shadowing(config: MkDocsConfig) -> None:
    """A content/ file may not take the path of a theme, override or generated file."""
    assert _state.output is not None
    root = Path(config.config_file_path).parent
    docs = Path(config.docs_dir)
    content_files = [p.relative_to(docs).as_posix() for p in docs.rglob("*") if p.is_file()] if docs.is_dir() else []
    clashes = content_guard.shadowing(content_files, _generated_owners(content_files), config.theme.dirs, root)
    for problem in clashes:
        log.error(problem.format_text())
    if clashes and _state.command != "serve":
        raise Abort(f"kb: aborted: {len(clashes)} content file(s) shadow theme, override or generated files")


def _generated_owners(names: list[str]) -> dict[str, str]:
    """Which of `names` (content/ paths) a generated page or file also has, and how to name it: looked up name by
    name, since the 100,000 claim pages' sources would cost more to list than the few content files."""
    assert _state.output is not None
    streamed = set(_state.output.streamed)
    static = {file.path for file in _state.output.files}
    owners = {}
    for name in names:
        url = name.removesuffix("index.md")  # the page this would be the source of
        if name in _state.pages:
            owners[name] = f"the generated page /{_state.pages[name].url}"
        elif url in streamed and page_source(url) == name:
            owners[name] = f"the generated page /{url}"
        elif name in static:
            owners[name] = f"the generated file /{name}"
        elif name == "contributing.md":
            owners[name] = "CONTRIBUTING.md"
    return owners


def on_nav(nav: Navigation, config: MkDocsConfig, files: Files) -> Navigation:
    """Pages of the nav are themed one by one: Material marks their tab active. Every other generated page
    becomes a `_GeneratedPage` in place: MkDocs made its `Page(None, file, config)` already, and making a second
    one cost as much again (urljoin, the build date; 12,700 pages at 10,000 papers)."""
    in_nav = {page.file.src_uri for page in nav.pages}
    for file in files.documentation_pages():
        if isinstance(file, _GeneratedFile) and file.src_uri not in in_nav:
            if type(file.page) is Page:  # MkDocs' own `Page(None, file, config)`
                file.page.__class__ = _GeneratedPage
            else:  # a plugin's page: replaced, as before
                _GeneratedPage(None, file, config)
    return nav


def on_env(env: jinja2.Environment, config: MkDocsConfig, files: Files) -> jinja2.Environment:
    """A shelled page's template prints only its body: Material themes its kind once (`on_page_context`)."""
    assert env.loader is not None
    env.loader = jinja2.ChoiceLoader([jinja2.DictLoader({SHELL_TEMPLATE: "{{ page.content }}"}), env.loader])
    if _state.dirty:
        env.bytecode_cache = theme_templates
    _state.env, _state.shells = env, {}
    return env


@event_priority(50)  # before mkdocs-macros, so a page not listed in extra.kb.macro_pages never renders macros
def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    generated = _state.pages.get(page.file.src_uri)
    if generated is None:
        macro_pages = content_guard.page_list(config.extra.get("kb", {}), content_guard.MACRO_PAGES_KEY)
        if page.file.src_uri not in macro_pages:
            page.meta["render_macros"] = False  # reported by `kb validate` as content-macros-not-allowed
        return markdown
    page.meta = {
        "title": str(escape(plain_text(generated.title))),
        "description": str(escape(plain_text(generated.description))),
        "kb_head": HEAD_PLACEHOLDER if generated.head_body else "",
        "kb_kind": generated.kind,
    }
    if generated.kind in UNSEARCHED_KINDS:
        page.meta["search"] = {"exclude": True}
    if isinstance(page, _GeneratedPage) and not page.edit_url:
        page.meta["template"] = SHELL_TEMPLATE
    return ""


def on_page_content(html: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    generated = _state.pages.get(page.file.src_uri)
    if generated is None:
        raw_pages = content_guard.page_list(config.extra.get("kb", {}), content_guard.RAW_HTML_PAGES_KEY)
        return html if page.file.src_uri in raw_pages else content_guard.sanitise_html(html)
    page.toc = TableOfContents(
        [AnchorLink(str(escape(entry.title)), entry.anchor, entry.level) for entry in generated.toc]
    )
    return BODY_WITH_H1_PLACEHOLDER if generated.has_h1 else BODY_PLACEHOLDER


def on_page_context(context: dict[str, Any], page: Page, config: MkDocsConfig, nav: Navigation) -> dict[str, Any]:
    generated = _state.pages.get(page.file.src_uri)
    if generated is not None and page.meta.get("template") == SHELL_TEMPLATE:
        key = _shell_key(page, generated)
        if key not in _state.shells:
            _state.shells[key] = _themed_shell(context, page, generated)
    return context


def _shell_key(page: Page, generated: RenderedPage) -> tuple[Any, ...]:
    """What Material's page depends on besides the slots: links to the nav's pages are relative, and the
    same from every page of a section at one depth; an empty title, description or URL falls back."""
    meta = page.meta
    toc_levels = tuple(link.level for link in page.toc)
    return (
        generated.kind, page.url.split("/", 1)[0], page.url.count("/"), generated.has_h1, bool(generated.head_body),
        bool(meta["title"]), bool(meta["description"]), bool(page.canonical_url), toc_levels,
    )  # fmt: skip


def _slot(name: str) -> str:
    return f"{_SLOT_MARK}{name}{_SLOT_MARK}"


def _themed_shell(context: dict[str, Any], page: Page, generated: RenderedPage) -> Shell:
    """Material's page (main.html) around this page, rendered with slots for what differs between pages."""
    assert _state.env is not None
    saved = page.meta, page.canonical_url, page.toc
    page.meta = {**page.meta, **{name: _slot(name) for name in ("title", "description") if page.meta[name]}}
    del page.meta["template"]
    page.canonical_url = _slot("canonical") if page.canonical_url else page.canonical_url
    page.toc = TableOfContents(
        [AnchorLink(_slot(f"toc{i}_title"), _slot(f"toc{i}_id"), link.level) for i, link in enumerate(saved[2])]
    )
    try:
        html = _state.env.get_template("main.html").render(context)
    finally:
        page.meta, page.canonical_url, page.toc = saved
    shell = Shell.split(compact.compact_html(html), _SLOT)
    for part in ("head", "body") if generated.head_body else ("body",):
        if part not in shell.slots:
            _missing(part, page)
    return shell


def _shelled(page: Page, generated: RenderedPage, body: str) -> str:
    """A page filled into its kind's shell: what Material prints of its title, description and toc, folded as
    `compact_html` folds the rest of the theme, then its spooled head and body."""
    values = {
        "title": _compact(page.meta["title"]),
        "description": _compact(page.meta["description"]),
        "canonical": page.canonical_url or "",
        "head": generated.head if generated.head_body else "",
        "body": body,
    }
    for i, link in enumerate(page.toc):
        values[f"toc{i}_title"], values[f"toc{i}_id"] = _compact(link.title), link.id
    return _state.shells[_shell_key(page, generated)].fill(values)


def _compact(text: str) -> str:
    """`compact_html` folds only line breaks, which a title or toc entry seldom has: most skip its regexes."""
    return compact.compact_html(text) if "\n" in text else text


def on_post_page(output: str, page: Page, config: MkDocsConfig) -> str:
    """The themed page gets its spooled head and body, read from disk one page at a time."""
    generated = _state.pages.get(page.file.src_uri)
    if generated is None:
        return output
    body = generated.html
    if page.meta.get("template") == SHELL_TEMPLATE:
        output = _shelled(page, generated, body)
    else:
        output = compact.compact_html(output)  # the theme's indentation (4 KB a page); the generated parts are compact
        if generated.head_body:
            output = _fill(output, HEAD_PLACEHOLDER, generated.head, page)
        output = _fill(output, BODY_WITH_H1_PLACEHOLDER if generated.has_h1 else BODY_PLACEHOLDER, body, page)
    if _state.early_index is not None:
        _state.early_index.written(page.file.dest_uri, output, body)
    return output


def _fill(output: str, placeholder: str, text: str, page: Page) -> str:
    before, found, after = output.partition(placeholder)
    if not found:
        _missing("head" if placeholder == HEAD_PLACEHOLDER else "body", page)
    return before + text + after


def _missing(part: str, page: Page) -> NoReturn:
    """A theme override that leaves out page.content or page.meta.kb_head would lose it silently."""
    what = "head metadata (page.meta.kb_head)" if part == "head" else "HTML (page.content)"
    raise Abort(f"kb: the theme did not print the generated {what} of /{page.url}")


def on_post_build(config: MkDocsConfig) -> None:
    """Nothing is lost silently: say what was read and what was rendered."""
    site = _state.site
    if site is None:
        return
    assert _state.output is not None
    claims, rendered_claims = site.stats.claims, _state.output.rendered_claims
    log.info(site.stats.summary())
    log.info(f"kb: rendered {_state.output.rendered_pages} generated pages, {rendered_claims} of {claims} claims")
    if rendered_claims != claims:
        raise Abort(f"kb: {claims} claims were read but {rendered_claims} rendered")
    writer, _state.claim_writer = _state.claim_writer, None
    if writer is None:  # `kb serve` (and --dirty): only the claims an edit changed, in this process
        assert _state.shell_theme is not None
        renderer = Renderer(site)
        to_write = _changed_claims(renderer) if _state.dirty else renderer.all_claims()
        writer = claim_pages.ClaimPageWriter(renderer, Path(config.site_dir), _state.shell_theme, to_write)
    # Pagefind (it never reads claims/) indexes the site meanwhile, so no core idles while either ends.
    site_dir = Path(config.site_dir)
    try:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="kb-search-index") as indexer:
            search_index = indexer.submit(index_search, site_dir)
            written = writer.finish(stop=False)
            if written != len(writer.claims) or (not _state.dirty and written != len(_state.output.streamed)):
                raise Abort(f"kb: {len(_state.output.streamed)} claim pages were planned but {written} written")
            if writer.staged:  # written beside the site before MkDocs cleaned it
                try:
                    claim_pages.place_staged(writer.out_dir, site_dir)
                except OSError as error:
                    raise Abort(f"kb: the claim pages could not be moved into the site: {error}") from error
            log.info(f"kb: wrote {written} claim pages straight to {config.site_dir}")
            search_index.result()
    finally:
        claim_pages.discard(writer)  # its idle helpers; after a failure, the pages it wrote beside the site


def on_shutdown() -> None:
    """A build that failed before `on_post_build` leaves no helper running and no half-written claim pages; a
    server that stops, no search index child reading the site MkDocs is about to remove."""
    writer, _state.claim_writer = _state.claim_writer, None
    if writer is not None:
        claim_pages.discard(writer)
    early, _state.early_index = _state.early_index, None
    if early is not None:
        early.discard()
    stop_indexing()


_claim_id = operator.attrgetter("claim_id")


def _changed_claims(renderer: Renderer) -> list[Claim]:
    """`kb serve`: the claims whose page shows something new: the claim, its paper or its quote check.

    What every page shares (settings, taxonomy, templates) is in `served_files.site_wide`; a claim's
    citation is made from the claim, its paper and the settings (on demand: comparing citations would
    make them all).
    """
    site, checks = renderer.site, renderer.site.quote_checks
    claims_of, papers = site.claims_by_paper.entries(), site.papers
    inputs = {}  # by paper: a paper's claims are compared at once, most of them by identity
    for pid in sorted(claims_of):
        claims = claims_of[pid]
        paper = papers.get(pid)
        inputs[pid] = (claims, paper.record if paper else None, tuple(map(checks.get, map(_claim_id, claims))))
    changed = served_claims.changed(served_files.site_wide, inputs)
    return [claim for pid in inputs if pid in changed for claim in claims_of[pid]]


def index_search(site_dir: Path) -> None:
    """The Pagefind index: part of the build; under `kb serve`, in the background after each rebuild."""
    if _state.command == "serve":
        _background_indexer.request(site_dir)
        return
    early, _state.early_index = _state.early_index, None
    try:
        report = early.finish() if early is not None else None
        if early is not None and report is None:
            log.info(f"kb: search: /{early.unlike} was not written as it was indexed; indexing the site again")
        log.info((report or index_site(site_dir)).summary())
    except SearchIndexError as error:
        raise Abort(f"kb: {error}") from error


def _log_search_index(outcome: SearchIndexReport | SearchIndexError) -> None:
    if isinstance(outcome, SearchIndexError):
        log.warning(f"kb: {outcome}")
    else:
        log.info(outcome.summary())


_background_indexer = BackgroundIndexer(_log_search_index)


HOME_HUBS = 20
"""Hubs listed on the home page: the most cited, so the page stays small at any corpus size."""


_citing = operator.attrgetter("citing")


def citing_papers(site: Site, pid: str) -> int:
    """How many corpus papers cite `pid` (a paper citing two of its sections counts once)."""
    return len(set(map(_citing, site.cited_by.get(pid, ()))))


def most_cited_hubs(site: Site, limit: int) -> list[str]:
    """The `limit` works with hub sections cited by the most corpus papers, plus every one the maintainers
    marked canonical (an editorial choice the home page must not hide)."""

    ranked = sorted(site.hubs, key=lambda pid: (-citing_papers(site, pid), pid))
    canonical = [pid for pid in ranked[limit:] if pid in site.papers and site.papers[pid].record.canonical]
    return ranked[:limit] + canonical


def home_variables(site: Site) -> dict[str, Any]:
    """What content/index.md may use through mkdocs-macros. Lists arrive as escaped HTML."""
    stats = site.stats
    records: list[Paper | Synthesis] = [
        *(loaded.record for loaded in site.corpus.papers.values()),
        *(loaded.record for loaded in site.corpus.syntheses.values()),
    ]
    newest = heapq.nlargest(8, records, key=lambda record: (record.added or "", record.id))
    shown_hubs = most_cited_hubs(site, HOME_HUBS)
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
        "newest_html": render("kb/partials/newest.html").render(records=newest, links=links, site=renderer.view),
        "hubs_html": render("kb/partials/hubs.html").render(
            hubs=shown_hubs,
            citing={pid: citing_papers(site, pid) for pid in shown_hubs},
            more=len(site.hubs) - len(shown_hubs),
            links=links,
            site=renderer.view,
        ),
        "hub_threshold": site.settings.hub_threshold,
    }
