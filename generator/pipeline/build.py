"""Build stage: runs load -> validate -> link -> render, and hands pages to MkDocs.

`collect` is the whole data pipeline and needs no MkDocs; `generate` renders;
`write_generated` is `kb generate --out DIR`; `mkdocs_build` is `kb build`.
The MkDocs hooks (mkdocs_hooks.py) call `collect` and `generate` too, so
plain `mkdocs build` and `mkdocs serve` produce the same site.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

import yaml

from generator.pipeline.link import Settings, Site, link
from generator.pipeline.render import Output, Renderer
from generator.pipeline.validate import validate_corpus
from generator.problems import Location, Problems
from generator.publish import quotes
from generator.publish import registry as publish
from generator.urls import page_source, safe_join


class _TolerantLoader(yaml.SafeLoader):
    """mkdocs.yml may carry tags such as !ENV or !!python/name; settings never need them."""


_TolerantLoader.add_multi_constructor("", lambda loader, suffix, node: None)


def read_settings(root: Path, problems: Problems) -> Settings:
    config_path = root / "mkdocs.yml"
    if not config_path.exists():
        return Settings()
    config = yaml.load(config_path.read_text(encoding="utf-8"), Loader=_TolerantLoader) or {}
    kb: dict[str, Any] = (config.get("extra") or {}).get("kb") or {}
    threshold = kb.get("hub_threshold", Settings.hub_threshold)
    if not isinstance(threshold, int) or threshold < 1:
        problems.add(
            "config-invalid",
            Location("mkdocs.yml"),
            "extra.kb.hub_threshold",
            "must be a whole number of at least 1",
            "e.g. 3",
        )
        threshold = Settings.hub_threshold
    return Settings(
        site_name=str(config.get("site_name") or Settings.site_name),
        site_url=str(config.get("site_url") or ""),
        repo_url=str(config.get("repo_url") or ""),
        edit_uri=str(config.get("edit_uri") or ""),
        hub_threshold=threshold,
        release=str(kb.get("release") or ""),
    )


def collect(root: Path) -> Site:
    """Load, validate and link everything; every problem is collected, none raised."""
    problems = Problems()
    settings = read_settings(root, problems)
    corpus = validate_corpus(root, problems)
    site = link(root, settings, corpus, problems)
    publish.enrich(site)
    return site


def generate(site: Site) -> Output:
    output = Renderer(site).render_all(publish.BUILDERS)
    for page in output.pages:
        if page.record_json is not None:
            output.files.append(publish.json_twin(page))
    return output


_WATCHED = ("records", "ledgers", "overrides", "generator/templates")
_cache: dict[Path, tuple[tuple[Any, ...], Site, Output]] = {}


def _fingerprint(root: Path) -> tuple[Any, ...]:
    """Names, sizes and mtimes of every input: cheap, and changes on any edit."""
    entries: list[Any] = []
    for folder in _WATCHED:
        for path in sorted((root / folder).rglob("*")):
            if path.is_file():
                stat = path.stat()
                entries.append((path.as_posix(), stat.st_size, stat.st_mtime_ns))
    for name in ("mkdocs.yml", "urls.lock"):
        single = root / name
        if single.exists():
            entries.append((name, single.stat().st_mtime_ns, single.stat().st_size))
    return tuple(entries)


def build_site(root: Path) -> tuple[Site, Output]:
    """Collect and generate once per input state; `kb build` and the MkDocs hooks share the result."""
    root = root.resolve()
    fingerprint = _fingerprint(root)
    cached = _cache.get(root)
    if cached is not None and cached[0] == fingerprint:
        return cached[1], cached[2]
    site = collect(root)
    output = generate(site)
    _cache[root] = (fingerprint, site, output)
    return site, output


def write_generated(site: Site, out_dir: Path, output: Output | None = None) -> int:
    """`kb generate --out DIR`: each page's HTML fragment plus a manifest, no MkDocs involved."""
    output = output if output is not None else generate(site)
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest = []
    for page in output.pages:
        target = safe_join(out_dir, page_source(page.url).removesuffix(".md") + ".html")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(page.html, encoding="utf-8")
        manifest.append({"url": page.url, "kind": page.kind, "title": page.title, "toc": [t.anchor for t in page.toc]})
    for file in output.files:
        target = safe_join(out_dir, file.path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(file.content)
    (out_dir / "pages.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False), encoding="utf-8")
    return len(output.pages)


def mkdocs_build(root: Path, strict: bool, site_dir: str | None = None) -> int:
    """`kb build`: report data problems first (exit 1), then run a real MkDocs build."""
    site, _ = build_site(root)
    report_problems(site)
    if site.problems.fails(strict):
        return 1
    from mkdocs.commands.build import build as run_mkdocs
    from mkdocs.config import load_config
    from mkdocs.exceptions import Abort, BuildError, ConfigurationError

    _show_mkdocs_warnings()
    overrides: dict[str, Any] = {"strict": strict}
    if site_dir:
        overrides["site_dir"] = str(Path(site_dir).resolve())
    try:
        config = load_config(str(root / "mkdocs.yml"), **overrides)
        config.plugins.on_startup(command="build", dirty=False)
        try:
            run_mkdocs(config)
        finally:
            config.plugins.on_shutdown()
    except (Abort, BuildError, ConfigurationError) as exc:
        print(f"kb: the MkDocs build failed: {exc}", file=sys.stderr)
        return 1
    stats = site.stats
    print(
        f"kb: rendered {stats.rendered_pages} generated pages, {stats.rendered_claims} of {stats.claims} claims, "
        f"into {config.site_dir}",
        file=sys.stderr,
    )
    return 0


def report_problems(site: Site, fmt: str = "text") -> None:
    """Every problem, then what was read: the same report for `kb validate`, `generate` and `build`."""
    if len(site.problems):
        print(site.problems.report(fmt), file=sys.stdout if fmt == "github" else sys.stderr)
    site.problems.shown = True
    print(site.stats.summary(), file=sys.stderr)
    print(quotes.quote_summary(site), file=sys.stderr)


def _show_mkdocs_warnings() -> None:
    """`kb build` runs MkDocs in-process; its warnings must still reach the terminal."""
    logger = logging.getLogger("mkdocs")
    if not any(isinstance(h, logging.StreamHandler) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)-7s -  %(message)s"))
        handler.setLevel(logging.WARNING)
        logger.addHandler(handler)
