"""Hand-written pages (content/, CONTRIBUTING.md) are checked like data: no script, no shadowing, no links out.

A pull request that touches only records/ and ledgers/ cannot run code or inject script;
content pages are reviewed by a maintainer (see CODEOWNERS), and these rules keep
even a reviewed page from doing what a page never needs to:

* their HTML goes through an allow-list (nh3, the Ammonia binding) keeping what Markdown
  and Material produce (headings, tables, code, admonitions, details, `attr_list` classes
  and ids) and dropping event handlers, `javascript:`/`data:` URLs, `<script>`, `<iframe>`,
  `<object>`, `<form>` and the like; a page named in `extra.kb.raw_html_pages` is kept as written;
* a file in content/ may not have the path of a theme, override or generated file;
* symbolic links under content/, overrides/ (records/ and ledgers/ are checked by validation)
  and a symlinked urls.lock or CONTRIBUTING.md are refused;
* macros (mkdocs-macros) run only on the pages named in `extra.kb.macro_pages`, in a
  sandboxed Jinja environment, so a template cannot reach Python internals.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import nh3
import yaml
from jinja2 import Environment
from jinja2.sandbox import SandboxedEnvironment

from generator.problems import Location, Problem, Problems
from generator.sources.config import load_mkdocs_yml

CONTENT_DIR = "content"
LINK_CHECKED = ("content", "overrides")
LINK_CHECKED_FILES = ("urls.lock", "CONTRIBUTING.md", "mkdocs.yml")
MACRO_PAGES_KEY = "macro_pages"
RAW_HTML_PAGES_KEY = "raw_html_pages"

ALLOWED_TAGS = {
    *("h1", "h2", "h3", "h4", "h5", "h6", "p", "br", "hr", "div", "span", "blockquote"),
    *("a", "img", "figure", "figcaption", "abbr", "sup", "sub", "small", "mark", "kbd", "del", "ins", "s"),
    *("em", "strong", "b", "i", "u", "code", "pre", "samp", "var", "q", "cite", "dfn", "time"),
    *("ul", "ol", "li", "dl", "dt", "dd", "details", "summary"),
    *("table", "caption", "colgroup", "col", "thead", "tbody", "tfoot", "tr", "th", "td"),
}
ALLOWED_ATTRIBUTES = {
    "*": {"class", "id", "title", "lang"},
    "a": {"href", "hreflang"},
    "img": {"src", "alt", "width", "height", "loading"},
    "ol": {"start", "reversed"},
    "th": {"align", "colspan", "rowspan", "style", "scope"},
    "td": {"align", "colspan", "rowspan", "style"},
    "col": {"span"},
    "details": {"open"},
    "time": {"datetime"},
}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}
REMOVED_WITH_CONTENT = {"script", "style", "iframe", "object", "embed", "form", "template", "noscript", "svg", "math"}
ALLOWED_STYLES = {"text-align"}  # what the tables extension writes for aligned columns

_FRONT_MATTER = re.compile(r"\A(?:\ufeff)?---[ \t]*\r?\n(.*?\r?\n)(?:---|\.\.\.)[ \t]*\r?$", re.DOTALL | re.MULTILINE)


def sanitise_html(html: str) -> str:
    """The page's HTML with everything outside the allow-list removed (text is kept, escaped)."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags=REMOVED_WITH_CONTENT,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        filter_style_properties=ALLOWED_STYLES,
        link_rel=None,
        strip_comments=True,
    )


def page_list(kb_extra: dict[str, Any], key: str) -> frozenset[str]:
    """Pages named under `extra.kb.<key>` in mkdocs.yml, as paths relative to content/."""
    value = kb_extra.get(key) or []
    return frozenset(str(item) for item in value) if isinstance(value, list) else frozenset()


def _kb_extra(root: Path) -> dict[str, Any]:
    if (root / "mkdocs.yml").is_symlink():
        return {}  # refused by _check_links; never read through a link
    extra = (load_mkdocs_yml(root) or {}).get("extra")
    kb = extra.get("kb") if isinstance(extra, dict) else None
    return kb if isinstance(kb, dict) else {}


def check_project(root: Path, problems: Problems) -> None:
    """The checks that need no MkDocs: links in the site's inputs, and who may use macros."""
    _check_links(root, problems)
    kb_extra = _kb_extra(root)
    for key in (MACRO_PAGES_KEY, RAW_HTML_PAGES_KEY):
        if not isinstance(kb_extra.get(key) or [], list):
            problems.add(
                "config-invalid", Location("mkdocs.yml"), f"extra.kb.{key}", "must be a list of pages",
                'paths relative to content/, e.g. ["index.md"]',
            )  # fmt: skip
    _check_macro_requests(root, page_list(kb_extra, MACRO_PAGES_KEY), problems)


def _check_links(root: Path, problems: Problems) -> None:
    for folder in LINK_CHECKED:
        base = root / folder
        candidates = [base] if base.is_symlink() else sorted(base.rglob("*")) if base.is_dir() else []
        for path in candidates:
            if path.is_symlink():
                _refuse_link(root, path, problems)
    for name in LINK_CHECKED_FILES:
        if (root / name).is_symlink():
            _refuse_link(root, root / name, problems)


def _refuse_link(root: Path, path: Path, problems: Problems) -> None:
    try:
        target = path.readlink().as_posix()
    except OSError:
        target = "an unreadable target"
    problems.add(
        "file-symlink", Location(path.relative_to(root).as_posix()), "",
        f"symbolic links are not allowed here (points to {target})", "commit the file itself",
    )  # fmt: skip


def _content_pages(root: Path) -> Iterable[tuple[str, Path]]:
    """(name relative to content/, path) of every Markdown page, CONTRIBUTING.md as `contributing.md`."""
    content = root / CONTENT_DIR
    if content.is_dir() and not content.is_symlink():
        for path in sorted(content.rglob("*.md")):
            if path.is_file() and not path.is_symlink():
                yield path.relative_to(content).as_posix(), path
    contributing = root / "CONTRIBUTING.md"
    if contributing.is_file() and not contributing.is_symlink():
        yield "contributing.md", contributing


def front_matter(text: str) -> dict[str, Any]:
    """The YAML front matter of a Markdown page (empty when there is none or it is not a mapping)."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}
    try:
        data = yaml.safe_load(match.group(1))
    except yaml.YAMLError:
        return {}
    return data if isinstance(data, dict) else {}


def _check_macro_requests(root: Path, macro_pages: frozenset[str], problems: Problems) -> None:
    for name, path in _content_pages(root):
        if name in macro_pages:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if front_matter(text).get("render_macros"):
            line = next((n for n, row in enumerate(text.splitlines(), 1) if row.startswith("render_macros")), 1)
            problems.add(
                "content-macros-not-allowed", Location(path.relative_to(root).as_posix(), line), "render_macros",
                f"this page asks for macros, but `{name}` is not listed in extra.kb.{MACRO_PAGES_KEY} in mkdocs.yml",
                f"remove `render_macros` (page text is shown as written), or have a maintainer add `{name}` "
                f"to extra.kb.{MACRO_PAGES_KEY}",
            )  # fmt: skip


def shadowing(
    content_files: Iterable[str], generated: dict[str, str], theme_dirs: Iterable[str], root: Path
) -> list[Problem]:
    """A problem for each content/ path that a generated file (`generated`: path -> how to name it) or a
    theme file (overrides first) also has."""
    folders = [Path(folder) for folder in theme_dirs]
    problems = Problems()
    for name in sorted(content_files):
        owner = generated.get(name) or next(
            (_shown_theme_file(folder, name, root) for folder in folders if (folder / name).is_file()), ""
        )
        if owner:
            problems.add(
                "content-shadows-file", Location(f"{CONTENT_DIR}/{name}"), "",
                f"this file has the same path as {owner}, which it would replace",
                "rename or move the content file; theme, override and generated files cannot be replaced from content/",
            )  # fmt: skip
    return problems.sorted()


def _shown_theme_file(folder: Path, name: str, root: Path) -> str:
    path = folder / name
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else f"theme file {folder.parent.name}/{name}"


def sandbox(env: Environment) -> SandboxedEnvironment:
    """A sandboxed copy of a Jinja environment: same loader, delimiters, globals and filters."""
    safe = SandboxedEnvironment(
        loader=env.loader,
        undefined=env.undefined,
        block_start_string=env.block_start_string,
        block_end_string=env.block_end_string,
        variable_start_string=env.variable_start_string,
        variable_end_string=env.variable_end_string,
        comment_start_string=env.comment_start_string,
        comment_end_string=env.comment_end_string,
    )
    safe.globals.update(env.globals)
    safe.filters.update(env.filters)
    return safe
