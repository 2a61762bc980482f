"""`kb`: the command line. Exit codes: 0 success, 1 problems in the data, 2 usage error.

Each command is a thin wrapper, imported lazily so that `kb validate` starts
fast and never imports MkDocs. This is the edge: the git inputs of a build are
read here (`read_inputs`) and passed to the pipeline as options.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import gc
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import NoReturn

from generator.commands import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE


def _root(args: argparse.Namespace) -> Path:
    return Path(args.root).resolve()


def cmd_validate(args: argparse.Namespace) -> int:
    from generator.pipeline.build import build, read_inputs, report_problems

    root = _root(args)
    result = build(root, read_inputs(root, stop_after="check", strict=args.strict, one_shot=True))  # renders nothing
    report_problems(result.site, args.format)
    return EXIT_PROBLEMS if result.failed else EXIT_OK


def cmd_generate(args: argparse.Namespace) -> int:
    from generator.pipeline.build import build, read_inputs, report_problems, write_generated

    root = _root(args)
    result = build(root, read_inputs(root, strict=args.strict))
    report_problems(result.site)
    if result.failed:
        return EXIT_PROBLEMS
    count = write_generated(result.site, Path(args.out), result.output)
    print(f"kb: wrote {count} generated pages to {args.out}", file=sys.stderr)
    return EXIT_OK


def cmd_build(args: argparse.Namespace) -> int:
    from generator.commands.build import mkdocs_build

    return mkdocs_build(_root(args), strict=args.strict, site_dir=args.site_dir)


def cmd_serve(args: argparse.Namespace) -> int:
    from mkdocs.commands.serve import serve

    root = _root(args)
    # Stopped (by a test, a supervisor, `kill`) as by Ctrl-C: MkDocs removes its temporary site (2.6 GB at 10,000
    # papers), the spool is removed and the search child stopped, where SIGTERM's default left all three behind.
    sigterm = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        with _file_change_events():
            # "dirty": a rebuild keeps the site directory and MkDocs rebuilds only the pages an edit changed
            # (mkdocs_hooks.py).
            serve(
                config_file=str(root / "mkdocs.yml"), dev_addr=args.dev_addr, livereload=True, build_type="dirty",
                watch=[],
            )  # fmt: skip
    finally:
        signal.signal(signal.SIGTERM, sigterm)
    return EXIT_OK


@contextlib.contextmanager
def _file_change_events() -> Iterator[None]:
    """MkDocs' server polls the watched folders twice a second, in a thread that holds the GIL while it lists
    them: at 10,000 papers it was 30 % of py-spy's samples during a rebuild. While `kb serve` runs, the server
    listens to the system's file events instead (watchdog's `Observer`: inotify, FSEvents, kqueue or
    ReadDirectoryChanges; it polls where there are none), for changes only.

    Only changes: MkDocs rebuilds on every event that is not about a folder, and inotify also reports a file
    opened or closed after reading. Each rebuild opens the templates, content pages and mkdocs.yml it watches,
    so with those events every rebuild started the next one at once, without end, and each reloaded the
    browser (tests/test_serve_events.py)."""
    import watchdog.observers.polling as polling
    from watchdog import events
    from watchdog.observers import Observer
    from watchdog.observers.api import BaseObserver, ObservedWatch

    # What the polling observer reports: a file created, changed (content or attributes), removed or renamed.
    changes = [
        events.FileCreatedEvent, events.FileModifiedEvent, events.FileAttribEvent, events.FileDeletedEvent,
        events.FileMovedEvent, events.FileClosedEvent,
    ]  # fmt: skip

    class ChangeObserver(Observer):  # type: ignore[misc,valid-type]  # Observer: the platform's class
        def schedule(
            self,
            event_handler: events.FileSystemEventHandler,
            path: str | Path,
            *,
            recursive: bool = False,
            event_filter: list[type[events.FileSystemEvent]] | None = None,
            follow_symlink: bool = False,
        ) -> ObservedWatch:
            watch: ObservedWatch = super().schedule(
                event_handler, path, recursive=recursive, event_filter=event_filter or changes,
                follow_symlink=follow_symlink,
            )  # fmt: skip
            return watch

    polling_observer = polling.PollingObserver

    def observer(*, timeout: float) -> BaseObserver:
        """What `mkdocs.livereload` makes in place of `PollingObserver`."""
        try:
            made: BaseObserver = ChangeObserver(timeout=timeout)
        except OSError as error:  # e.g. the system's limit of inotify instances reached
            print(f"kb serve: no file events ({error}); polling the watched folders instead", file=sys.stderr)
            made = polling_observer(timeout=timeout)
        return made

    polling.PollingObserver = observer  # type: ignore[assignment,misc]
    try:
        yield
    finally:
        polling.PollingObserver = polling_observer  # type: ignore[misc]


def cmd_schema(args: argparse.Namespace) -> int:
    from generator.commands.docs import write_readme
    from generator.model.schema import write_schemas

    for path in [*write_schemas(Path(args.out)), write_readme(_root(args))]:
        if path is not None:
            print(f"kb: wrote {path}", file=sys.stderr)
    return EXIT_OK


def cmd_ids(args: argparse.Namespace) -> int:
    from generator.commands.claim_ids import fill_claim_ids

    return fill_claim_ids(_root(args), check=args.check)


def cmd_check_urls(args: argparse.Namespace) -> int:
    from generator.commands.check_urls import check_urls_command

    return check_urls_command(_root(args), update=args.update)


def cmd_new(args: argparse.Namespace) -> int:
    from generator.commands.scaffold import cmd_new as run

    return run(args)


def cmd_import_bib(args: argparse.Namespace) -> int:
    from generator.commands.import_bib import cmd_import_bib as run

    return run(args)


def cmd_import_list(args: argparse.Namespace) -> int:
    from generator.commands.import_list import cmd_import_list as run

    return run(args)


def cmd_init(args: argparse.Namespace) -> int:
    from generator.commands.init import cmd_init as run

    return run(args)


def cmd_fmt(args: argparse.Namespace) -> int:
    from generator.commands.fmt import cmd_fmt as run

    return run(args)


def cmd_diff(args: argparse.Namespace) -> int:
    from generator.commands.diff import cmd_diff as run

    return run(args)


def cmd_archive(args: argparse.Namespace) -> int:
    from generator.publish.archive import write_archive

    site_dir = Path(args.site_dir)
    if not (site_dir / "index.html").is_file():
        print(f"kb: {site_dir} holds no built site; run `kb build` first", file=sys.stderr)
        return EXIT_USAGE
    target = write_archive(site_dir, Path(args.out), args.release)
    print(f"kb: wrote {target} ({target.stat().st_size:,} bytes)", file=sys.stderr)
    return EXIT_OK


def cmd_synth(args: argparse.Namespace) -> int:
    from generator.commands.synth import cmd_synth as run

    return run(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kb", description="Evidence-ledger knowledge base generator.")
    parser.add_argument("--root", default=".", help="project folder holding records/, ledgers/ and mkdocs.yml")
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name: str, handler: Callable[[argparse.Namespace], int], help_text: str) -> argparse.ArgumentParser:
        command = sub.add_parser(name, help=help_text, description=help_text)
        command.set_defaults(handler=handler)
        return command

    validate = add("validate", cmd_validate, "Load and check every record and ledger; print every problem.")
    validate.add_argument("--format", choices=["text", "github"], default="text")
    validate.add_argument("--strict", action="store_true", help="treat warnings as failures")

    generate = add("generate", cmd_generate, "Render the generated pages into a folder, without MkDocs.")
    generate.add_argument("--out", required=True)
    generate.add_argument("--strict", action="store_true")

    build = add("build", cmd_build, "Validate, generate and run a real MkDocs Material build into site/.")
    build.add_argument("--strict", action="store_true", help="warnings and lost URLs fail the build")
    build.add_argument("--site-dir", default=None)

    serve = add("serve", cmd_serve, "Live preview; rebuilds when records, ledgers, content or overrides change.")
    serve.add_argument("--dev-addr", default="127.0.0.1:8000")

    schema = add(
        "schema", cmd_schema, "Write the JSON Schema of records, the ledger's Table Schema and README's problem table."
    )
    schema.add_argument("--out", default="schema")

    ids = add("ids", cmd_ids, "Give every ledger row without a claim_id a new permanent id.")
    ids.add_argument("--check", action="store_true", help="only report rows without an id")

    urls = add("check-urls", cmd_check_urls, "Check that every URL in urls.lock still resolves.")
    urls.add_argument("--update", action="store_true", help="add new URLs to urls.lock (never removes)")

    new = add("new", cmd_new, "Write a commented record skeleton.")
    new.add_argument("kind", choices=["paper", "synthesis"])
    new.add_argument("id")

    import_bib = add("import-bib", cmd_import_bib, "Create or update paper records from a BibTeX file.")
    import_bib.add_argument("bibfile")
    import_bib.add_argument("--update", action="store_true", help="overwrite fields that differ")

    import_list = add(
        "import-list", cmd_import_list, "Create or update paper records and categories from a Markdown paper list."
    )
    import_list.add_argument("listfile")

    init = add("init", cmd_init, "Create a new, empty knowledge base that builds at once.")
    init.add_argument("directory")
    init.add_argument("--name", default="", help="the site's name (default: from the folder name)")
    init.add_argument("--site-url", default="", help="where the site will be published (default: a placeholder)")
    init.add_argument("--repo-url", default="", help="the site's repository (default: a placeholder)")

    fmt = add("fmt", cmd_fmt, "Format records and ledgers canonically, keeping comments and key order.")
    fmt.add_argument("--check", action="store_true", help="report files that would change; change nothing")

    synth = add("synth", cmd_synth, "Write a synthetic knowledge base of any size (for benchmarks and scale tests).")
    synth.add_argument("--papers", type=int, default=1000)
    synth.add_argument("--claims", type=int, default=None, help="total claims (default: 10 per paper)")
    synth.add_argument("--seed", type=int, default=1, help="the same seed writes byte-identical files")
    synth.add_argument("--out", required=True, help="a new or empty folder")

    archive = add("archive", cmd_archive, "Pack a built site into site-<release>.zip for its GitHub release.")
    archive.add_argument("release", help="the release name, as in extra.kb.release (the git tag)")
    archive.add_argument("--site-dir", default="site")
    archive.add_argument("--out", default="dist")

    diff = add("diff", cmd_diff, "Summarise in Markdown what the working tree changes against BASE.")
    diff.add_argument("base", nargs="?", default="origin/main")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # The process ends with the command: its last full collection would walk every object of the
    # build (2 s at 10,000 papers) only to free memory the exit frees anyway.
    atexit.register(gc.freeze)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return EXIT_USAGE if exc.code not in (0, None) else EXIT_OK
    try:
        return int(args.handler(args))
    except KeyboardInterrupt:
        return 130
    except Exception:  # noqa: BLE001 - a crash must still say what it is
        traceback.print_exc()
        print(
            "kb: internal error (a bug in kb, not in your data); please report it with the trace above.",
            file=sys.stderr,
        )
        return 3


def run() -> NoReturn:
    """The `kb` program: `main`, then the process ends at once. Python's own shutdown takes apart every module and
    frees what they hold object by object: 0.4 s after `kb validate` at 10,000 papers (a twentieth of it), only to
    free memory the exit frees anyway (mypy ends the same way). The exit handlers still run (the spool's folders
    are removed), and a thread still at work gets the usual exit, which waits for it."""
    code = main()
    with contextlib.suppress(OSError, ValueError):  # a closed pipe or stream: nothing left to flush into
        sys.stdout.flush()
        sys.stderr.flush()
    if threading.active_count() > 1:
        sys.exit(code)
    atexit._run_exitfuncs()
    os._exit(code)


if __name__ == "__main__":
    run()
