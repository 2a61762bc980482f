"""`kb build`: report data problems first (exit 1), then run a real MkDocs build in-process.

MkDocs runs the same pipeline through the hooks (mkdocs_hooks.py) and gets this
build from the cache; the problems `kb` printed are not logged a second time.
"""

from __future__ import annotations

import gc
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from generator.commands import EXIT_OK, EXIT_PROBLEMS
from generator.pipeline.build import build, read_inputs, report_problems, stage
from generator.pipeline.progress import progress_for

PROBLEM_LOGGER = "mkdocs.plugins.kb"
"""The hooks log each data problem with `extra={PROBLEM_RECORD: True}` on this logger."""
PROBLEM_RECORD = "kb_problem"


def mkdocs_build(root: Path, strict: bool, site_dir: str | None = None) -> int:
    progress = progress_for()  # a bar per stage on a terminal, plain `kb: <stage>: … s` lines in CI
    result = build(root, read_inputs(root, strict=strict, progress=progress))
    report_problems(result.site)
    if result.failed:
        return EXIT_PROBLEMS
    from mkdocs.commands.build import build as run_mkdocs
    from mkdocs.config import load_config
    from mkdocs.exceptions import Abort, BuildError, ConfigurationError

    _show_mkdocs_warnings()
    gc.freeze()  # the built site lives until the process ends: the collector need not rescan it during MkDocs
    overrides: dict[str, Any] = {"strict": strict}
    if site_dir:
        overrides["site_dir"] = str(Path(site_dir).resolve())
    try:
        with _problems_already_shown(), stage(progress, "mkdocs build"):
            config = load_config(str(root / "mkdocs.yml"), **overrides)
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
