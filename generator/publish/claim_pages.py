"""Claim permalink pages (`claims/c-xxxxxxxx/`), written straight to disk.

There is one per claim: 100,000 at scale. As MkDocs pages each cost a full
Material page (about 26 KB with the navigation, and a few ms to build) and
the whole set was held in memory. They are published URLs, so they stay, but
light: a shell rendered once a build (`kb/claim_shell.html`, Material's own
stylesheets and classes, so the site's look), the claim's fragment from
`kb/claim.html`, its head metadata and its JSON twin. Unless those templates
are overridden, fragment and head are made in Python (claim_fragments.py),
the same bytes at a third of the CPU. Pages are written as they are rendered,
by every core when there are many.
"""

from __future__ import annotations

import fnmatch
import functools
import multiprocessing
import os
import posixpath
import re
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from multiprocessing.pool import AsyncResult, Pool
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape

from generator.model.records import Claim
from generator.model.site import Site
from generator.pipeline.render import RenderedPage, Renderer, plain_text, twin_json
from generator.publish import claim_fragments, metadata
from generator.publish.cite import site_base

SLOTS = ("title", "description", "canonical", "head", "content")
SHELL_URL = claim_fragments.SHELL_URL
"""Every claim page is two levels deep (`claims/c-…/`), so one shell, linked from any of them, serves them all."""
KB_SCRIPT = "assets/kb.js"
"""The only script a claim page needs: copy buttons and the palette toggle."""
MATERIAL_STYLESHEETS = ("main.*.min.css", "palette.*.min.css")
PARALLEL_FROM = 2000
"""Fewer claims than this are written in-process: starting workers costs more than it saves."""
CHUNK = 200
"""Claim pages a writer takes at a time: small, so that no core waits long for the last one."""
STAGING = "-claim-pages"
"""`kb build` writes claim pages before MkDocs has cleaned the site directory, into a hidden folder beside it
(`.site-claim-pages`: one file system, so `place_staged` moves them in with a few renames)."""


@dataclass(frozen=True)
class PaletteOption:
    media: str
    scheme: str
    primary: str
    accent: str
    name: str


@dataclass(frozen=True)
class ShellTheme:
    """What the claim shell takes from the theme: its stylesheets, the palette and names."""

    site_name: str
    lang: str = "en"
    stylesheets: tuple[str, ...] = ()
    scripts: tuple[str, ...] = (KB_SCRIPT,)
    palette: tuple[PaletteOption, ...] = ()
    favicon: str = ""

    @classmethod
    def from_mkdocs(cls, config: Any, site_files: Iterable[str]) -> ShellTheme:
        """Material's hashed stylesheets among the site's files (MkDocs' `Files`, by their path in the site),
        the configured palette and extra CSS. Known before MkDocs copies them, so claim pages can be written
        while it builds the other pages."""
        material = sorted(
            path
            for path in site_files
            if posixpath.dirname(path) == "assets/stylesheets"
            and any(fnmatch.fnmatchcase(posixpath.basename(path), pattern) for pattern in MATERIAL_STYLESHEETS)
        )
        theme = config.theme
        palette = theme.get("palette") or []
        options = tuple(
            PaletteOption(
                media=str(option.get("media", "")),
                scheme=str(option.get("scheme", "default")),
                primary=str(option.get("primary", "indigo")).replace(" ", "-"),
                accent=str(option.get("accent", "indigo")).replace(" ", "-"),
                name=str((option.get("toggle") or {}).get("name", "")),
            )
            for option in (palette if isinstance(palette, list) else [palette])
        )
        return cls(
            site_name=str(config.site_name),
            lang=str(theme.get("language") or "en"),
            stylesheets=(*material, *(str(css) for css in config.extra_css)),
            palette=options,
            favicon=str(theme.get("favicon") or ""),
        )


@dataclass(frozen=True)
class Shell:
    """The claim page around its content: fixed text with named slots between."""

    parts: tuple[str, ...]
    slots: tuple[str, ...]

    @classmethod
    def render(cls, renderer: Renderer, theme: ShellTheme) -> Shell:
        markers = {f"slot_{name}": Markup(f"\x00{name}\x00") for name in SLOTS}
        html = renderer.env.get_template("kb/claim_shell.html").render(
            links=renderer.links(SHELL_URL), site_name=theme.site_name, lang=theme.lang, stylesheets=theme.stylesheets,
            scripts=theme.scripts, palette=theme.palette, favicon=theme.favicon, **markers,
        )  # fmt: skip
        return cls.split(html, re.compile("\x00(" + "|".join(SLOTS) + ")\x00"))

    @classmethod
    def split(cls, html: str, marker: re.Pattern[str]) -> Shell:
        """`html` cut at every match of `marker`, whose first group that matched names the slot."""
        parts, slots, start = [], [], 0
        for match in marker.finditer(html):
            parts.append(html[start : match.start()])
            slots.append(next(group for group in match.groups() if group is not None))
            start = match.end()
        return cls((*parts, html[start:]), tuple(slots))

    def fill(self, values: dict[str, str]) -> str:
        out = [self.parts[0]]
        for slot, text in zip(self.slots, self.parts[1:], strict=True):
            out += [values[slot], text]
        return "".join(out)

    @functools.cached_property
    def encoded(self) -> tuple[bytes, ...]:
        return tuple(part.encode() for part in self.parts)

    def fill_encoded(self, values: dict[str, str]) -> bytes:
        """`fill`, in UTF-8, its fixed text encoded once: joined as text, a page holding one character past
        Latin-1 (`≤`) is widened whole, and narrowed again to encode it."""
        out = [self.encoded[0]]
        for slot, text in zip(self.slots, self.encoded[1:], strict=True):
            out += [values[slot].encode(), text]
        return b"".join(out)


def claim_page(renderer: Renderer, claim: Claim) -> RenderedPage:
    """One claim's page fragment with its head metadata, as every other generated page has them: through the
    templates (`page_maker`)."""
    page = renderer.claim_page(claim)
    metadata.render_head(renderer, page, ({}, {page.url: claim}))
    citation = renderer.site.citations.get(page.url)
    if citation is not None:  # the page shows the APA line and links here for BibTeX and CSL-JSON
        page.record_json = {**(page.record_json or {}), "cite": {"bibtex": citation.bibtex, "csl": [citation.csl]}}
    return page


def templated_page(renderer: Renderer, claim: Claim) -> claim_fragments.Page:
    """What `claim_page` fills the shell with, and its twin."""
    page = claim_page(renderer, claim)
    title, description = (str(escape(plain_text(text))) for text in (page.title, page.description))
    return claim_fragments.Page(page.url, title, description, page.head, page.html, twin_json(page))


def page_maker(renderer: Renderer) -> Callable[[Claim], claim_fragments.Page]:
    """How a writer makes each claim's page: in Python (claim_fragments.py), the same bytes several times as
    fast, unless a template it replaces is overridden; then through the templates."""
    if claim_fragments.bundled(renderer.env):
        return claim_fragments.ClaimPages(renderer).page
    return functools.partial(templated_page, renderer)


NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
"""O_BINARY: on Windows a descriptor opened without it would write every newline as CRLF."""


def write_file(path: str, data: bytes) -> None:
    """Three system calls a file: `open()` adds a stat, a terminal check, a seek and two buffer objects, about
    8% of the CPU of writing a claim page (200,000 files at 100,000 claims)."""
    descriptor = os.open(path, NEW_FILE, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(descriptor, view) :]
    finally:
        os.close(descriptor)


class ClaimPageWriter:
    """Writes claim pages CHUNK at a time: forked helpers take chunks from the moment it is made (this process
    renders or MkDocs builds its pages meanwhile, on one core) and `finish` takes the rest here, so every core
    ends at about once."""

    def __init__(
        self, renderer: Renderer, out_dir: Path, theme: ShellTheme, claims: list[Claim], helpers: int = 0
    ) -> None:
        global _writer
        self.renderer, self.out_dir, self.claims, self.theme = renderer, out_dir, claims, theme
        self.staged = False
        """Writing beside the site (`start_early`): `place_staged` moves the pages in."""
        self.shell = Shell.render(renderer, theme)
        self.page = page_maker(renderer)
        self.base = site_base(renderer.site.settings)
        forks = "fork" in multiprocessing.get_all_start_methods()
        self.helpers = helpers if forks and len(claims) >= PARALLEL_FROM else 0
        self.pool: Pool | None = None
        self.results: list[AsyncResult[int]] = []
        if not self.helpers:
            self.next_chunk = None
            return
        context = multiprocessing.get_context("fork")
        self.next_chunk = context.Value("q", 0)
        _writer = self  # inherited by the helpers when the pool forks them, never pickled
        try:
            self.pool = context.Pool(self.helpers)
        finally:
            _writer = None
        self.results = [self.pool.apply_async(_help) for _ in range(self.helpers)]

    def html(self, claim: Claim) -> tuple[str, bytes, bytes]:
        """(URL, HTML, JSON twin) of one claim page."""
        page = self.page(claim)
        # An f-string, not Markup.format (the same escaping): string.Formatter was 3% of writing a claim page.
        canonical = f'<link rel="canonical" href="{escape(self.base + page.url)}">' if self.base else ""
        html = self.shell.fill_encoded({
            "title": page.title,
            "description": page.description,
            "canonical": canonical,
            "head": page.head,
            "content": page.content,
        })  # fmt: skip
        return page.url, html, page.twin

    def write(self, claims: list[Claim]) -> int:
        """Plain os calls: pathlib objects, `resolve()` and text-mode files were a quarter of the writing. Every
        URL is `urls.claim_url` of a claim id, which refuses any id but `c-` and hex, so the folder is inside
        `out_dir`."""
        root = os.path.join(self.out_dir, "")
        for claim in claims:
            url, html, twin = self.html(claim)
            folder = root + url  # ends with "/"; `+`, not os.path.join: three a page
            try:
                os.mkdir(folder)
            except FileExistsError:
                pass
            except FileNotFoundError:  # the first claim page: `claims/` is not there yet
                os.makedirs(folder)
            write_file(folder + "index.html", html)
            write_file(folder + "index.json", twin)
        return len(claims)

    def write_chunks(self) -> int:
        """Take chunks until none is left (all of them without helpers); returns the pages written."""
        if self.next_chunk is None:
            return self.write(self.claims)
        written = 0
        while True:
            with self.next_chunk.get_lock():
                number = self.next_chunk.value
                self.next_chunk.value = number + 1
            chunk = self.claims[number * CHUNK : (number + 1) * CHUNK]
            if not chunk:
                return written
            written += self.write(chunk)

    def finish(self, stop: bool = True) -> int:
        """Write what the helpers have not taken, wait for them; returns how many pages were written in all.
        With `stop=False` the idle helpers stay until `stop` (a child's CPU time is counted once it is reaped:
        the search index, which runs meanwhile, reports its own)."""
        try:
            written = self.write_chunks()
            return written + sum(result.get() for result in self.results)  # a helper's error is raised here
        finally:
            if stop:
                self.stop()

    def stop(self) -> None:
        """End the helpers: they are done, or the build has failed and none may be left running."""
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()


_writer: ClaimPageWriter | None = None
_early: ClaimPageWriter | None = None


def staging_dir(site_dir: Path) -> Path:
    return site_dir.parent / f".{site_dir.name}{STAGING}"


def start_early(site: Site, site_dir: Path, theme: ShellTheme) -> None:
    """`kb build`: claim pages are written from the moment the citations exist, by a helper on the other core
    while this one renders and publishes the rest, beside the site (MkDocs cleans the site directory later)."""
    global _early
    stop_early()
    staging = staging_dir(site_dir)
    shutil.rmtree(staging, ignore_errors=True)  # left by a build that was killed
    if not _made_beside(staging, site_dir):  # the hooks write the claim pages into the site from `on_files`
        return
    renderer = Renderer(site)  # not cached: 100,000 claim fragments would stay in memory
    _early = ClaimPageWriter(renderer, staging, theme, renderer.all_claims(), cores() - 1)
    _early.staged = True


def _made_beside(staging: Path, site_dir: Path) -> bool:
    """Whether claim pages can wait beside the site: a folder can be made there, on the site's file system."""
    try:
        (staging / "claims").mkdir(parents=True)
    except OSError:  # a read-only parent
        return False
    if site_dir.exists() and site_dir.stat().st_dev != staging.stat().st_dev:  # a mount point: no renames
        shutil.rmtree(staging)
        return False
    return True


def take_early(site: Site, theme: ShellTheme) -> ClaimPageWriter | None:
    """The writer `start_early` started, if it writes this site's claims with this theme; else it is stopped."""
    global _early
    writer, _early = _early, None
    if writer is not None and (writer.renderer.site is not site or writer.theme != theme):
        discard(writer)
        return None
    return writer


def stop_early() -> None:
    """A writer started early that no MkDocs build took (the build failed): ended, its pages removed."""
    global _early
    writer, _early = _early, None
    if writer is not None:
        discard(writer)


def discard(writer: ClaimPageWriter) -> None:
    """End a writer's helpers; pages it left beside the site (the build failed before `place_staged`) go too."""
    writer.stop()
    if writer.staged:
        shutil.rmtree(writer.out_dir, ignore_errors=True)


def place_staged(staging: Path, site_dir: Path) -> None:
    """Claim pages written to `staging` before MkDocs built the site: MkDocs' own pages under `claims/` (the
    explorer, its pages and data, tombstones) join them, then the folder takes its place in the site."""
    staged, built = staging / "claims", site_dir / "claims"
    if staged.is_dir():
        if built.is_dir():
            for entry in os.listdir(built):  # a few
                if os.path.lexists(staged / entry):  # os.rename would replace a file silently
                    raise FileExistsError(f"site/claims/{entry} is both a claim page and a page of MkDocs")
                os.rename(built / entry, staged / entry)
            os.rmdir(built)
        os.rename(staged, built)
    if staging.exists():  # not when there are no claims
        shutil.rmtree(staging)


def _help() -> int:
    assert _writer is not None
    return _writer.write_chunks()


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def write_claim_pages(
    renderer: Renderer, out_dir: Path, theme: ShellTheme, workers: int = 1, claims: list[Claim] | None = None
) -> int:
    """Write every claim page (or only `claims`: `kb serve` rewrites those an edit changed) and its twin into
    `out_dir` on `workers` cores; returns how many were written."""
    claims = renderer.all_claims() if claims is None else claims
    return ClaimPageWriter(renderer, out_dir, theme, claims, helpers=workers - 1).finish()
