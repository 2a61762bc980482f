"""Claim permalink pages (`claims/c-xxxxxxxx/`), written straight to disk.

There is one per claim: 100,000 at scale. As MkDocs pages each cost a full
Material page (about 26 KB with the navigation, and a few ms to build) and
the whole set was held in memory. They are published URLs, so they stay, but
light: a shell rendered once a build (`kb/claim_shell.html`, Material's own
stylesheets and classes, so the site's look), the claim's fragment from
`kb/claim.html`, its head metadata and its JSON twin. Pages are written as
they are rendered, by every core when there are many.
"""

from __future__ import annotations

import multiprocessing
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape

from generator import urls
from generator.model.records import Claim
from generator.pipeline.render import RenderedPage, Renderer, json_twin, plain_text
from generator.publish import metadata
from generator.publish.cite import absolute_url, site_base
from generator.urls import safe_join

SLOTS = ("title", "description", "canonical", "head", "content")
SHELL_URL = urls.claim_url("c-00000000")
"""Every claim page is two levels deep (`claims/c-…/`), so one shell, linked from any of them, serves them all."""
KB_SCRIPT = "assets/kb.js"
"""The only script a claim page needs: copy buttons and the palette toggle."""
PARALLEL_FROM = 2000
"""Fewer claims than this are written in-process: starting workers costs more than it saves."""


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
    def from_mkdocs(cls, config: Any) -> ShellTheme:
        """Material's hashed stylesheets as the build copied them, the configured palette and extra CSS."""
        site_dir = Path(config.site_dir)
        material = sorted(
            path.relative_to(site_dir).as_posix()
            for pattern in ("main.*.min.css", "palette.*.min.css")
            for path in (site_dir / "assets" / "stylesheets").glob(pattern)
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
        pieces = re.split("\x00(" + "|".join(SLOTS) + ")\x00", html)
        return cls(tuple(pieces[0::2]), tuple(pieces[1::2]))

    def fill(self, values: dict[str, str]) -> str:
        out = [self.parts[0]]
        for slot, text in zip(self.slots, self.parts[1:], strict=True):
            out += [values[slot], text]
        return "".join(out)


def claim_page(renderer: Renderer, claim: Claim) -> RenderedPage:
    """One claim's page fragment with its head metadata, as every other generated page has them."""
    page = renderer.claim_page(claim)
    metadata.render_head(renderer, page, ({}, {page.url: claim}))
    return page


def claim_page_html(renderer: Renderer, shell: Shell, claim: Claim) -> tuple[str, str, bytes]:
    """(URL, HTML, JSON twin) of one claim page."""
    page = claim_page(renderer, claim)
    settings = renderer.site.settings
    canonical = (
        Markup('<link rel="canonical" href="{}">').format(absolute_url(settings, page.url))
        if site_base(settings)
        else ""
    )
    html = shell.fill({
        "title": str(escape(plain_text(page.title))),
        "description": str(escape(plain_text(page.description))),
        "canonical": str(canonical),
        "head": page.head,
        "content": page.html,
    })  # fmt: skip
    return page.url, html, json_twin(page).content


def write_claims(renderer: Renderer, shell: Shell, claims: list[Claim], out_dir: Path) -> int:
    for claim in claims:
        url, html, twin = claim_page_html(renderer, shell, claim)
        folder = safe_join(out_dir, url)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "index.html").write_text(html, encoding="utf-8")
        (folder / "index.json").write_bytes(twin)
    return len(claims)


_job: tuple[Renderer, Shell, list[Claim], Path, int] | None = None
"""The work the forked writers share (inherited by fork, never pickled)."""


def _write_share(index: int) -> int:
    assert _job is not None
    renderer, shell, claims, out_dir, workers = _job
    return write_claims(renderer, shell, claims[index::workers], out_dir)


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def write_claim_pages(
    renderer: Renderer, out_dir: Path, theme: ShellTheme, workers: int = 1, claims: list[Claim] | None = None
) -> int:
    """Write every claim page (or only `claims`: `kb serve` rewrites those an edit changed) and its twin into
    `out_dir`; returns how many were written."""
    global _job
    claims = renderer.all_claims() if claims is None else claims
    shell = Shell.render(renderer, theme)
    if workers < 2 or len(claims) < PARALLEL_FROM or "fork" not in multiprocessing.get_all_start_methods():
        return write_claims(renderer, shell, claims, out_dir)
    _job = (renderer, shell, claims, out_dir, workers)
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            return sum(pool.map(_write_share, range(workers)))
    finally:
        _job = None
