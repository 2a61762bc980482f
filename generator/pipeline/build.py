"""The pipeline, top to bottom: `build(root, options)` is the only place that orders the stages.

`kb validate` stops after checking (nothing is rendered); `kb generate`,
`kb build`, `kb serve` and the MkDocs hooks (so plain `mkdocs build` too) run
it to the end. Everything a build reads from outside the tree (the published
git base, the release, the build date) arrives in `BuildOptions`, read at the edge by
`read_inputs`, so the same tree with the same options gives the same output.
"""

from __future__ import annotations

import dataclasses
import datetime
import gc
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from generator.model.site import Site
from generator.pipeline import forked, load
from generator.pipeline.cache import RenderCache
from generator.pipeline.link import apply_bibliography, link
from generator.pipeline.progress import NullProgress, Progress
from generator.pipeline.render import TWINS_FORK_FROM_PAGES, Output, Renderer, json_twin, json_twins
from generator.pipeline.spool import spool
from generator.pipeline.validate import cycle_collector_paused, validate_corpus
from generator.problems import Problems
from generator.publish import (
    cite,
    content_guard,
    corrections,
    exports,
    feed,
    metadata,
    permanence,
    quotes,
    source_text,
)
from generator.sources import datapackage, git
from generator.sources.config import read_settings
from generator.urls import page_source, safe_join

Stop = Literal["check", "render"]


@dataclass(frozen=True)
class BuildOptions:
    base: git.Published = dataclasses.field(default_factory=git.Published)
    """The published state that corrections are checked against; none by default."""
    release: str = ""
    """The working tree's commit: the release when mkdocs.yml names none."""
    build_date: str = ""
    """Today (YYYY-MM-DD), read once at the edge: later event and `added` dates are errors. "" skips the check."""
    stop_after: Stop = "render"
    """"check" (`kb validate`) collects and checks everything but renders nothing."""
    strict: bool = dataclasses.field(default=False, compare=False)
    """Warnings fail too. It changes only the verdict, never the build, so it is no part of the cache key."""
    progress: Progress = dataclasses.field(default_factory=NullProgress, compare=False)
    """Where each phase reports its time (pipeline/progress.py); the edge picks one."""
    on_cited: Callable[[Site], object] | None = dataclasses.field(default=None, compare=False)
    """Called with the site once its citations exist: `kb build` starts writing claim pages there, on the
    other core, while this one renders and publishes the rest."""
    one_shot: bool = dataclasses.field(default=False, compare=False)
    """No rebuild follows (`kb build`, `kb validate`): pages, heads, twins and tables are not kept for reuse,
    which at 10,000 papers is a few hundred MB the build's peak need not hold; and with no server threads
    beside it, collecting may fork to use the other core (pipeline/forked.py)."""


@dataclass(frozen=True)
class Build:
    site: Site
    output: Output | None  # None when the build stopped before rendering
    options: BuildOptions

    @property
    def problems(self) -> Problems:
        return self.site.problems

    @property
    def failed(self) -> bool:
        return self.problems.fails(self.options.strict)


def build(root: Path, options: BuildOptions) -> Build:
    """Collect, check, render and publish; every problem is collected, none raised."""
    root = root.resolve()
    listing = load.Listing(root)
    if options.one_shot and options.stop_after == "check":  # `kb validate`: no later build reuses this one
        _keep_the_collector_off_earlier_builds()
        return _run(root, options, listing)
    key = (root, _fingerprint(listing), options)
    if _latest is not None and _latest[0] == key:
        return dataclasses.replace(_latest[1], options=options)

    _keep_the_collector_off_earlier_builds()
    return _remember(key, _run(root, options, listing))


FULL_COLLECTION_EVERY = 20
"""`kb serve` rebuilds between two full collections; see `_keep_the_collector_off_earlier_builds`."""
_builds = 0


def _keep_the_collector_off_earlier_builds() -> None:
    """What earlier builds left alive (under `kb serve`, the last site and the render caches) is frozen, out
    of the cycle collector's sight: scanning it took two full collections of about a second each per rebuild
    at 10,000 papers. Objects freed by reference counting go as before; what only the collector frees (about
    8,500 objects a rebuild at 2,000 papers) waits for the full collection every FULL_COLLECTION_EVERY builds."""
    global _builds
    _builds += 1
    if _builds % FULL_COLLECTION_EVERY == 0:
        gc.unfreeze()
        gc.collect()
    gc.freeze()


def _run(root: Path, options: BuildOptions, listing: load.Listing) -> Build:
    """The phases of `build`, in order (the cache and the collector's bookkeeping are `build`'s)."""
    progress, problems = options.progress, Problems()
    # 1. Collect. Settings first: the release they name is final before anything prints it.
    with stage(progress, "validate"):
        settings = read_settings(root, problems)
        settings = dataclasses.replace(settings, release=settings.release.strip() or options.release)
        content_guard.check_project(root, problems)  # content pages: no links out, macros only where listed
        # Load and validate every record and ledger row.
        corpus = validate_corpus(root, problems, options.one_shot, listing)
        ledgers = datapackage.read_ledger_package(root, problems)  # each ledger's own title and sources
        corpus = apply_bibliography(root, corpus, problems)  # records/*.bib fills what paper records leave empty
    # Millions of objects now live until the build ends (records, claims, marks). Left to the cycle
    # collector, every full collection would rescan them all: a third of `kb validate` at 10,000 papers.
    gc.freeze()
    # The quote checks read the claims, the cached sources and the papers' abstracts, nothing linking makes:
    # they start now, and with `one_shot` a forked process checks most quotes while this one links and checks.
    with (
        cycle_collector_paused(),
        quotes.checking_quotes(root, corpus, problems, fork=options.one_shot) as quote_checks,
    ):
        # 2. Link: citations form a graph, so the whole corpus is linked before any page exists.
        with stage(progress, "link"):
            site = link(root, settings, corpus, problems)
        # 3. Enrich: values pages show, computed once from the linked site. They read no
        #    rendered output, so `kb validate` reports their problems too.
        with stage(progress, "checks"):
            corrections.check_corrections(site, options.base)  # published history may not change
            source_text.check_duplicate_abstracts(site)  # two syntheses, one abstract: say so until flagged
            # 4. Permanence against the PLANNED URLs (from the model, not from rendered files),
            #    so validate and build report the same lost and unlocked URLs.
            permanence.check_planned_urls(site, remember=not options.one_shot)
            permanence.check_base_lock(site, options.base)  # urls.lock only grows, compared with the published lock
            feed.check_dates(site, options.build_date)  # no entry dated after the build
        with stage(progress, "quotes"):  # claim rows show them
            site = dataclasses.replace(site, quote_checks=quote_checks(), ledgers=ledgers)  # frozen from here on
    if options.stop_after == "check":
        return Build(site, None, options)
    gc.freeze()  # the linked site too
    return Build(*render_and_publish(site, progress, options.on_cited, options.one_shot), options)


def render_and_publish(
    site: Site,
    progress: Progress | None = None,
    on_cited: Callable[[Site], object] | None = None,
    one_shot: bool = False,
) -> tuple[Site, Output]:
    """Phases 5 to 7 of `build`: they add no problems, so `kb validate` has stopped before them."""
    progress = progress or NullProgress()
    if not one_shot and render_cache.release is None:
        render_cache.release, render_cache.feed = exports.KnownRelease(), feed.KnownFeed()
    # The data release reads only the site, not its citations: with `one_shot` a forked process makes it from here
    # on, before the claim pages' writer starts (forking once its threads run would be unsafe).
    with exports.releasing(site, None if one_shot else render_cache.release, fork=one_shot) as release:
        # 5. Citations: shown on pages and in <head>; they raise no problems, and citeproc
        #    is slow to load, so they are computed only to render.
        with stage(progress, "citations"):
            site = dataclasses.replace(site, citations=cite.attach_citations(site))
        if on_cited is not None:
            on_cited(site)
        # 6. Render one page per record, claim, category and index.
        with stage(progress, "render"):
            spool().next_pack()
            render_cache.rendered.clear()
            # `kb serve` reuses the pages of the last build that no edit touched; `kb build` keeps nothing for later
            renderer = Renderer(site) if one_shot else render_cache.renderer(site)
            output = renderer.render_all()
        # 7. Publish. Order matters:
        with stage(progress, "publish"):
            # With `one_shot` the other core, idle once the claim pages are written, spools the JSON twins of
            # the pages rendered so far while this one makes the heads; pages made below get theirs here.
            forking = one_shot and forked.can_fork() and len(output.pages) >= TWINS_FORK_FROM_PAGES
            beside = tuple(output.pages) if forking else ()
            with forked.part_beside(beside, json_twins) as twins_beside:
                permanence.build_redirects_and_tombstones(renderer, output)  # pages the later builders describe too
                metadata.add_head_metadata(renderer, output, None if one_shot else render_cache.heads)  # every <head>
                exports.build_data_release(renderer, output, release())  # after the head pass: it renders its own
                feed.build_feed(renderer, output, None if one_shot else render_cache.feed)
                output.files.extend(twins_beside())
            twin = json_twin if one_shot else render_cache.json_twin
            output.files.extend(twin(page) for page in output.pages[len(beside) :] if page.record_json is not None)
    return site, output


@contextmanager
def stage(progress: Progress, name: str) -> Iterator[None]:
    progress.start(name)
    try:
        yield
    finally:
        progress.finish()


def read_inputs(root: Path, **options: Any) -> BuildOptions:
    """The edge: read git once (the published base and the release) into build options."""
    today = datetime.date.today().isoformat()
    return BuildOptions(base=git.read_published(root), release=git.short_commit(root), build_date=today, **options)


render_cache = RenderCache()
"""Pages of the last build, for `kb serve`: a rebuild renders only the pages an edit touched (pipeline/cache.py)."""

_latest: tuple[tuple[Any, ...], Build] | None = None
"""The last build only: `kb build` then its MkDocs hooks, or one `kb serve` rebuild after another."""


def _remember(key: tuple[Any, ...], result: Build) -> Build:
    global _latest
    _latest = (key, result)
    return result


_WATCHED = ("records", "ledgers", "overrides", "content", "generator/templates")


def _fingerprint(listing: load.Listing) -> tuple[Any, ...]:
    """Names, sizes and mtimes of every input: cheap, and changes on any edit."""
    root, entries = listing.root, list[Any]()
    for folder in _WATCHED:
        for entry in listing.tree(folder):
            if entry.is_file():
                stat = entry.stat()
                entries.append((entry.path, stat.st_size, stat.st_mtime_ns))
    for name in ("mkdocs.yml", "urls.lock", "CONTRIBUTING.md"):
        single = root / name
        if single.exists():
            entries.append((name, single.stat().st_mtime_ns, single.stat().st_size))
    return tuple(entries)


# --- shorthands for tests and commands that read one tree ------------------------------------------


def collect(root: Path, options: BuildOptions | None = None) -> Site:
    """The checked site, nothing rendered (`kb validate`)."""
    options = options or read_inputs(root)
    return build(root, dataclasses.replace(options, stop_after="check")).site


def generate(site: Site) -> Output:
    return render_and_publish(site)[1]


def build_site(root: Path, options: BuildOptions | None = None) -> tuple[Site, Output]:
    result = build(root, options or read_inputs(root))
    assert result.output is not None
    return result.site, result.output


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
    # Claim permalink pages are written whole, straight to disk (publish/claim_pages.py).
    from generator.publish import claim_pages

    theme = claim_pages.ShellTheme(site.settings.site_name, stylesheets=("assets/kb.css",))
    claim_pages.write_claim_pages(Renderer(site), out_dir, theme, workers=claim_pages.cores())
    manifest += [{"url": url, "kind": "claim"} for url in output.streamed]
    (out_dir / "pages.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False), encoding="utf-8")
    return len(output.pages) + len(output.streamed)


def report_problems(site: Site, fmt: str = "text") -> None:
    """Every problem, then what was read: the same report for `kb validate`, `generate` and `build`."""
    if len(site.problems):
        print(site.problems.report(fmt), file=sys.stdout if fmt == "github" else sys.stderr)
    print(site.stats.summary(), file=sys.stderr)
    print(quotes.quote_summary(site), file=sys.stderr)
