"""`kb build`: report data problems first (exit 1), then run a real MkDocs build in-process.

MkDocs runs the same pipeline through the hooks (mkdocs_hooks.py) and gets this
build from the cache; the problems `kb` printed are not logged a second time.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from generator.commands import EXIT_OK, EXIT_PROBLEMS
from generator.model.site import Site
from generator.pipeline.build import Build, build, read_inputs, report_problems, stage
from generator.pipeline.progress import Progress, progress_for
from generator.publish import claim_pages

PROBLEM_LOGGER = "mkdocs.plugins.kb"
"""The hooks log each data problem with `extra={PROBLEM_RECORD: True}` on this logger."""
PROBLEM_RECORD = "kb_problem"


def mkdocs_build(root: Path, strict: bool, site_dir: str | None = None) -> int:
    from mkdocs.config import load_config
    from mkdocs.exceptions import ConfigurationError

    progress = progress_for()  # a bar per stage on a terminal, plain `kb: <stage>: … s` lines in CI
    overrides: dict[str, Any] = {"strict": strict}
    if site_dir:
        overrides["site_dir"] = str(Path(site_dir).resolve())
    try:
        config = load_config(str(root / "mkdocs.yml"), **overrides)
    except ConfigurationError as exc:
        print(f"kb: the MkDocs build failed: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    early = _EarlyStart(config, strict)
    try:
        result = build(root, read_inputs(root, strict=strict, progress=progress, on_cited=early, one_shot=True))
        report_problems(result.site)
        if result.failed:
            return EXIT_PROBLEMS
        return _run_mkdocs(config, progress, result)
    finally:
        claim_pages.stop_early()  # started for a build that failed before MkDocs took it
        early.wait()


class _EarlyStart:
    """What `kb build` starts once the citations exist, on the other core, when the build goes on to MkDocs:
    the claim pages (the hooks take the writer in `on_files`) and the removal of the last site."""

    def __init__(self, config: Any, strict: bool) -> None:
        self.config, self.strict = config, strict
        self.remover: multiprocessing.process.BaseProcess | None = None

    def __call__(self, site: Site) -> None:
        if site.problems.fails(self.strict):  # no site is built: the last one stays
            return
        site_dir = Path(self.config.site_dir)
        self.remover = _remove_last_site(site_dir)
        theme = claim_pages.ShellTheme.from_mkdocs(self.config, _theme_stylesheets(self.config.theme.dirs))
        claim_pages.start_early(site, site_dir, theme)

    def wait(self) -> None:
        if self.remover is not None:
            self.remover.join()


def _remove_last_site(site_dir: Path) -> multiprocessing.process.BaseProcess | None:
    """MkDocs empties the site directory before it builds, on this core (235,000 files at 10,000 papers). The
    entries move into a hidden folder beside it instead, which another process removes meanwhile, with any
    such folder a killed build left. Hidden entries stay, as MkDocs keeps them."""
    if "fork" not in multiprocessing.get_all_start_methods() or not site_dir.is_dir():
        return None
    entries = [entry for entry in site_dir.iterdir() if not entry.name.startswith(".")]
    prefix = f".{site_dir.name}-last-"
    try:
        if entries:
            retired = Path(tempfile.mkdtemp(prefix=prefix, dir=site_dir.parent))
            for entry in entries:
                entry.rename(retired / entry.name)
    except OSError:  # a read-only parent, or the site directory is a mount point: MkDocs empties what is left
        pass
    folders = [str(path) for path in site_dir.parent.iterdir() if path.name.startswith(prefix) and path.is_dir()]
    if not folders:
        return None
    remover = multiprocessing.get_context("fork").Process(target=_remove_folders, args=(folders,), daemon=True)
    remover.start()
    return remover


def _remove_folders(folders: list[str]) -> None:
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)


def _theme_stylesheets(theme_dirs: list[str]) -> list[str]:
    """The theme's stylesheets by their path in the site, before MkDocs lists the site's files."""
    found = []
    for folder in theme_dirs:
        stylesheets = os.path.join(folder, "assets", "stylesheets")
        if os.path.isdir(stylesheets):
            found += [f"assets/stylesheets/{name}" for name in os.listdir(stylesheets)]
    return found


def _run_mkdocs(config: Any, progress: Progress, result: Build) -> int:
    from mkdocs.commands.build import build as run_mkdocs
    from mkdocs.exceptions import Abort, BuildError, ConfigurationError

    _show_mkdocs_warnings()
    gc.freeze()  # the built site lives until the process ends: the collector need not rescan it during MkDocs
    try:
        with _problems_already_shown(), stage(progress, "mkdocs build"):
            config.plugins.on_startup(command="build", dirty=False)
            try:
                run_mkdocs(config)
            finally:
                config.plugins.on_shutdown()
    except (Abort, BuildError, ConfigurationError) as exc:
        print(f"kb: the MkDocs build failed: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    assert result.output is not None
    print(
        f"kb: rendered {result.output.rendered_pages} generated pages, {result.output.rendered_claims} of "
        f"{result.site.stats.claims} claims, into {config.site_dir}",
        file=sys.stderr,
    )
    return EXIT_OK


@contextmanager
def _problems_already_shown() -> Iterator[None]:
    """`kb` printed every problem already; the hooks' copies of them are dropped while MkDocs runs."""

    def keep(record: logging.LogRecord) -> bool:
        return not getattr(record, PROBLEM_RECORD, False)

    logger = logging.getLogger(PROBLEM_LOGGER)
    logger.addFilter(keep)
    try:
        yield
    finally:
        logger.removeFilter(keep)


def _show_mkdocs_warnings() -> None:
    """`kb build` runs MkDocs in-process; its warnings must still reach the terminal."""
    logger = logging.getLogger("mkdocs")
    if not any(isinstance(h, logging.StreamHandler) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)-7s -  %(message)s"))
        handler.setLevel(logging.WARNING)
        logger.addHandler(handler)
