"""Scale benchmark: `kb synth` corpora built end to end, against bare MkDocs Material.

For each size it writes a synthetic corpus with `kb synth`, then measures
`kb validate` and `kb build` (wall time, CPU and the peak RSS of that process),
pages per second, the site's size and file count, the size of the site as
the deflated tar GitHub's Pages deploy uploads and checks, the largest page of each
kind, what a browser fetches to open the claim explorer, and what the first
search query fetches (both in Debian Chromium through Playwright, from a
local server). In the same run it times bare Material (same theme, nav
trimmed) building one plain Markdown page per paper with a 10-row table.
It prints one Markdown table, a column per size.

    python benchmarks/bench_scale.py                          # 1,000/10,000 and 10,000/100,000
    python benchmarks/bench_scale.py --sizes 1000:10000       # papers:claims, comma-separated
    python benchmarks/bench_scale.py --sizes 1000:10000 --profile 15   # also cProfile the build

Figures are wall-clock on whatever else the machine is doing: run it on an idle machine.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.server
import io
import os
import pstats
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
SEARCH_QUERY = "routing"
PAGE_KINDS = ("paper", "claim", "category", "explorer", "synthesis", "index")
BARE_MKDOCS = """\
site_name: Bare Material
use_directory_urls: true
theme:
  name: material
  font: false
  features: [navigation.tabs, navigation.top, navigation.indexes, toc.follow, search.suggest, search.highlight]
plugins: [search]
markdown_extensions: [tables, attr_list, admonition, toc]
nav:
  - Home: index.md
"""


@dataclass
class Run:
    seconds: float
    peak_mb: float  # the largest single process (wait4's ru_maxrss: the child or one of its descendants)
    returncode: int
    log: str
    tree_peak_mb: float = 0.0  # the whole process tree at its peak (PSS summed: shared pages counted once)
    user_s: float = 0.0  # CPU of the child and every descendant it waited for (wait4's rusage)
    system_s: float = 0.0

    @property
    def cpu(self) -> str:
        return f"{self.user_s:,.0f} s user + {self.system_s:,.0f} s system"


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                todo += [int(child) for child in task.read_text().split()]
    return found


def _pss_mb(pid: int) -> float:
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0.0
    match = re.search(r"^Pss:\s+(\d+) kB", rollup, re.MULTILINE)
    return int(match.group(1)) / 1024 if match else 0.0


class TreeMemory:
    """Samples the memory of a process and all its descendants (forked writers, Pagefind) every 0.2 s:
    a machine with 1 GiB must hold them all at once, which one process's ru_maxrss does not show."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak_mb = pid, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.2):
            self.peak_mb = max(self.peak_mb, sum(_pss_mb(pid) for pid in _descendants(self.pid)))

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak_mb


class Figures(dict[str, str]):
    """The measures of one size, echoed to stderr as each is taken, so a long run that is stopped still says something."""

    def __setitem__(self, key: str, value: str) -> None:
        print(f"  {key}: {value}", file=sys.stderr, flush=True)
        super().__setitem__(key, value)

    def update(self, other: dict[str, str]) -> None:  # type: ignore[override]
        for key, value in other.items():
            self[key] = value


@dataclass
class Result:
    papers: int
    claims: int
    figures: Figures = field(default_factory=Figures)


def run(args: list[str], nice: int = 0) -> Run:
    """Run a child and measure its wall time and its own peak RSS (wait4 gives the child's rusage)."""
    with tempfile.TemporaryFile("w+", encoding="utf-8") as log:
        started = time.perf_counter()
        # cwd is neutral so that `-m generator` imports the installed package (or PYTHONPATH's)
        child = subprocess.Popen(
            args, cwd=tempfile.gettempdir(), stdout=log, stderr=subprocess.STDOUT, preexec_fn=lambda: os.nice(nice)
        )
        tree = TreeMemory(child.pid)
        _, status, usage = os.wait4(child.pid, 0)
        elapsed = time.perf_counter() - started
        tree_peak = tree.stop()
        child.returncode = os.waitstatus_to_exitcode(status)
        log.seek(0)
        return Run(
            elapsed, usage.ru_maxrss / 1024, child.returncode, log.read(), tree_peak, usage.ru_utime, usage.ru_stime
        )


def kb(root: Path, *args: str, nice: int = 0) -> Run:
    return run([sys.executable, "-m", "generator", "--root", str(root), *args], nice=nice)


def page_kind(relative: str) -> str | None:
    """The kind of a generated page from its path under site/ (None: not a page we rank)."""
    parts = relative.split("/")[:-1]  # drop index.html
    if len(parts) >= 2 and parts[-2] == "page" and parts[-1].isdigit():
        parts = parts[:-2]  # page N of a listing counts as that listing
    if parts == ["claims"]:
        return "explorer"
    if not parts or parts in (["papers"], ["syntheses"], ["taxonomy"], ["methodology"], ["data"]):
        return "index"
    return {"papers": "paper", "claims": "claim", "taxonomy": "category", "syntheses": "synthesis"}.get(parts[0])


def site_figures(site: Path) -> dict[str, str]:
    total = files = pages = 0
    largest: dict[str, tuple[int, str]] = {}
    for path in site.rglob("*"):
        if not path.is_file():
            continue
        size = path.stat().st_size
        total += size
        files += 1
        if path.name == "index.html":
            pages += 1
            relative = path.relative_to(site).as_posix()
            kind = page_kind(relative)
            if kind and size > largest.get(kind, (0, ""))[0]:
                largest[kind] = (size, relative.removesuffix("index.html") or "/")
    folders = sum(1 for path in site.rglob("*") if path.is_dir())
    figures = {
        "pages (index.html)": f"{pages:,}",
        "site size": f"{total / 1e6:,.1f} MB",
        "site files": f"{files:,} (and {folders:,} folders)",
    }
    for kind in PAGE_KINDS:
        size, url = largest.get(kind, (0, "-"))
        figures[f"largest {kind} page"] = f"{size / 1e3:,.0f} KB `{url}`"
    figures["_pages"] = str(pages)
    return figures


def pages_artifact_mb(site: Path) -> float:
    """The size GitHub's Pages deploy checks against its 1 GB limit, in MB.

    `actions/upload-pages-artifact` tars the site and uploads the tar with `actions/upload-artifact`,
    which deflates it (level 6 by default); `actions/deploy-pages` then compares the uploaded artifact's
    size with 1 GB. A tar piped through `gzip -6` is the same deflate stream give or take a header.
    """
    tar = subprocess.Popen(["tar", "--directory", str(site), "-cf", "-", "."], stdout=subprocess.PIPE)
    gzip = subprocess.Popen(["gzip", "-6", "-c"], stdin=tar.stdout, stdout=subprocess.PIPE)
    assert tar.stdout is not None and gzip.stdout is not None
    tar.stdout.close()  # gzip holds the pipe now
    size = sum(len(chunk) for chunk in iter(functools.partial(gzip.stdout.read, 1 << 20), b""))
    if tar.wait() or gzip.wait():
        raise SystemExit(f"tar | gzip of {site} failed")
    return size / 1e6


@contextlib.contextmanager
def serve(site: Path) -> Iterator[str]:
    """A quiet local HTTP server for site/ on a free port."""
    handler = functools.partial(QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def browser_figures(site: Path) -> dict[str, str]:
    """Bytes Chromium fetches to open the explorer, and for the first search query."""
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        return {"explorer first load": "playwright missing", "first search query": "playwright missing"}
    figures: dict[str, str] = {}
    with serve(site) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM)
        try:
            page = browser.new_page()
            fetched: list[tuple[str, int]] = []
            page.on("requestfinished", lambda request: fetched.append((request.url, _body_size(request))))
            started = time.perf_counter()
            try:
                page.goto(base + "claims/", wait_until="load", timeout=120_000)
                loaded = time.perf_counter() - started
                page.wait_for_load_state("networkidle", timeout=60_000)
                total = sum(size for _, size in fetched)
                figures["explorer first load"] = (
                    f"{total / 1e6:,.2f} MB in {len(fetched)} requests, load {loaded:.1f} s"
                )
            except Error as exc:
                figures["explorer first load"] = f"did not load: {str(exc).splitlines()[0]}"
            figures["first search query"] = search_bytes(browser, base, site)
        finally:
            browser.close()
    return figures


def _body_size(request: object) -> int:
    try:
        sizes = request.sizes()  # type: ignore[attr-defined]
        return int(sizes["responseBodySize"])
    except Exception:  # noqa: BLE001 - a request without a body counts as 0 bytes
        return 0


def search_bytes(browser: object, base: str, site: Path) -> str:
    """Open the home page, then type a query in the header search box; count what search fetches."""
    from playwright.sync_api import Error

    engine = "Pagefind" if (site / "pagefind").is_dir() else "Material lunr"
    page = browser.new_page()  # type: ignore[attr-defined]
    fetched: list[tuple[str, int]] = []
    page.on("requestfinished", lambda request: fetched.append((request.url, _body_size(request))))
    try:
        page.goto(base, wait_until="networkidle", timeout=120_000)
        on_load = sum(size for url, size in fetched if re.search(r"search|pagefind", url))
        fetched.clear()
        page.locator("label.md-search__icon, .md-search__input").first.click()
        page.keyboard.type(SEARCH_QUERY, delay=50)
        results_shown = page.locator(".md-search-result__item")
        with contextlib.suppress(Error):  # no result is a figure too; what was fetched still counts
            results_shown.first.wait_for(timeout=30_000)
        page.wait_for_load_state("networkidle", timeout=60_000)
        after = sum(size for _, size in fetched)
        results = results_shown.count()
        return f"{(on_load + after) / 1e3:,.0f} KB ({engine}; {results} results for “{SEARCH_QUERY}”)"
    except Error as exc:
        return f"not measured ({engine}): {str(exc).splitlines()[0]}"
    finally:
        page.close()


def creation_cost(folder: Path, count: int = 2000) -> str:
    """System CPU to create a folder and a file in it, in the benchmark's folder: a site is mostly that, so a
    slow file system adds to `kb build` in proportion to its files, where bare Material makes one per paper."""
    probe = folder / "creation-probe"
    probe.mkdir()
    before = os.times().system
    for index in range(count):
        (probe / str(index)).mkdir()
        (probe / str(index) / "index.html").write_bytes(b"x" * 6000)
    each = (os.times().system - before) / (2 * count)
    return f"{each * 1000:.2f} ms of system CPU"  # the probe goes with the run's folder, at the end (`main`)


def interpreter_speed(additions: int = 20_000_000) -> str:
    """CPU time of a plain Python loop: how fast this machine runs Python at the moment of the run, so figures
    from machines (or moments: a shared VM's host varies) can be compared."""
    before, total = time.process_time(), 0
    for number in range(additions):
        total += number
    return f"{time.process_time() - before:.2f} s of CPU for {additions:,} additions in a Python loop"


def bare_material(papers: int, workdir: Path, nice: int, name: str = "bare") -> Run:
    """Bare Material: one Markdown page per paper with a 10-row table, nav trimmed to the home page."""
    project = workdir / name
    docs = project / "docs" / "papers"
    docs.mkdir(parents=True)
    (project / "mkdocs.yml").write_text(BARE_MKDOCS, encoding="utf-8")
    (project / "docs" / "index.md").write_text("# Bare Material\n\nOne page per paper.\n", encoding="utf-8")
    rows = "".join(f"| c-{k:08x} | Claim number {k} about sparse routing. | supported | p{k} |\n" for k in range(10))
    table = "| claim | text | status | place |\n|---|---|---|---|\n" + rows
    for index in range(papers):
        (docs / f"p{index:05d}.md").write_text(f"# Paper {index}\n\nA plain page.\n\n{table}", encoding="utf-8")
    return run([sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(project / "mkdocs.yml")], nice=nice)


def profile_build(root: Path, top: int) -> str:
    """cProfile of `kb build`: the `top` hot spots by cumulative time (entry-point wrappers left out),
    then by own time."""
    shutil.rmtree(root / "site", ignore_errors=True)  # profile a first build, not MkDocs emptying the last one
    stats_file = root / "build.prof"
    run([sys.executable, "-m", "cProfile", "-o", str(stats_file), "-m", "generator", "--root", str(root), "build"])
    out = io.StringIO()
    stats = pstats.Stats(str(stats_file), stream=out)
    stats.sort_stats("cumulative").print_stats(r"^(?!.*(runpy|__main__|cli\.py|builtins\.exec|<string>))", top)
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()


def measure(
    project: Path, workdir: Path, papers: int, claims: int, seed: int, nice: int, profile: int, pairs: int = 1
) -> Result:
    """One size, in a folder of its own under `workdir`, which is kept until every size is measured. With `pairs`
    over 1, `kb build` and bare Material are run again, one after the other, that many times in all."""
    result = Result(papers, claims)
    print(f"{papers:,} papers / {claims:,} claims:", file=sys.stderr, flush=True)
    figures = result.figures
    folder = workdir / f"{papers}-{claims}"
    folder.mkdir()
    root = folder / "kb"
    synth = kb(project, "synth", "--papers", str(papers), "--claims", str(claims), "--seed", str(seed),
               "--out", str(root), nice=nice)  # fmt: skip
    if synth.returncode:
        raise SystemExit(f"kb synth failed:\n{synth.log[-3000:]}")
    figures["kb synth"] = f"{synth.seconds:.1f} s"
    validate = kb(root, "validate", nice=nice)
    figures["kb validate"] = f"{validate.seconds:.1f} s (exit {validate.returncode}, {validate.peak_mb:,.0f} MB)"
    build = kb(root, "build", nice=nice)
    if build.returncode:
        figures["kb build"] = f"failed (exit {build.returncode})"
        print(build.log[-3000:], file=sys.stderr)
        return result
    figures["kb build"] = f"{build.seconds:.1f} s"
    figures["kb build CPU, all processes"] = build.cpu
    figures["peak RSS (kb build, largest process)"] = f"{build.peak_mb:,.0f} MB"
    figures["peak memory (kb build, all processes at once, PSS)"] = f"{build.tree_peak_mb:,.0f} MB"
    figures["kb build stages"] = "; ".join(re.findall(r"^kb: ([a-z ]+: [\d.]+ s)", build.log, re.MULTILINE))
    site = site_figures(root / "site")
    pages = int(site.pop("_pages"))
    figures.update(site)
    figures["site as a Pages artifact (tar, deflated)"] = f"{pages_artifact_mb(root / 'site'):,.1f} MB"
    figures["pages/s (kb build)"] = f"{pages / build.seconds:,.0f}"
    figures.update(browser_figures(root / "site"))
    bare = bare_material(papers, folder, nice)
    figures["bare Material, 1 page/paper"] = (
        f"{bare.seconds:.1f} s ({papers / bare.seconds:,.0f} pages/s)" if not bare.returncode else "failed"
    )
    figures["bare Material CPU"] = bare.cpu
    figures["kb build / bare Material"] = f"{build.seconds / bare.seconds:.2f}×"
    if pairs > 1:
        figures["kb build / bare Material, alternated"] = alternated(root, folder, papers, nice, pairs, build, bare)
    figures["creating a file or folder here"] = creation_cost(folder)
    figures["Python speed"] = interpreter_speed()
    if profile:
        print(
            f"\n### cProfile of kb build, {papers:,} papers / {claims:,} claims\n\n```\n{profile_build(root, profile)}```\n"
        )
    return result


def alternated(root: Path, folder: Path, papers: int, nice: int, pairs: int, build: Run, bare: Run) -> str:
    """Each pair's ratio and their median: the machine's speed drifts during a run, and a pair run back to back
    shares the drift. Every site is kept until the end (on this machine's ext4, deleting one slows the next)."""
    ratios = [build.seconds / bare.seconds]
    for pair in range(2, pairs + 1):
        (root / "site").rename(root / f"site-{pair - 1}")
        again = kb(root, "build", nice=nice)
        if again.returncode:
            return f"failed (exit {again.returncode})"
        ratios.append(again.seconds / bare_material(papers, folder, nice, f"bare-{pair}").seconds)
    return f"{', '.join(f'{ratio:.2f}×' for ratio in ratios)} (median {statistics.median(ratios):.2f}×)"


def table(results: list[Result]) -> str:
    header = "| measure | " + " | ".join(f"{r.papers:,} papers / {r.claims:,} claims" for r in results) + " |"
    lines = [header, "|---|" + "---:|" * len(results)]
    for key in results[0].figures:
        lines.append(f"| {key} | " + " | ".join(r.figures.get(key, "-") for r in results) + " |")
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000:10000,10000:100000", help="papers:claims pairs, comma-separated")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--project", type=Path, default=REPO, help="project whose site configuration kb synth copies")
    parser.add_argument("--nice", type=int, default=0, help="run the measured children at this niceness")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="print the N top cProfile entries")
    parser.add_argument(
        "--pairs", type=int, default=1, metavar="N", help="run kb build and bare Material N times each, alternated"
    )
    args = parser.parse_args(argv)
    results = []
    # Every size's files are removed at the end, not before the next size: on an ext4 without a journal (this
    # machine's), creating files is up to ten times slower for minutes after many were deleted (see README), which
    # would bill the 1,000-paper run's clean-up to the 10,000-paper build.
    with tempfile.TemporaryDirectory(prefix="kb-bench-") as workdir:
        for pair in args.sizes.split(","):
            papers, claims = (int(x) for x in pair.split(":"))
            results.append(
                measure(
                    args.project.resolve(),
                    Path(workdir),
                    papers,
                    claims,
                    args.seed,
                    args.nice,
                    args.profile,
                    args.pairs,
                )
            )
            print(table(results), flush=True)  # a partial table after each size, in case a large one is stopped
    print(f"\nmachine: {os.cpu_count()} cores; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")


if __name__ == "__main__":
    main(sys.argv[1:])
