"""Generated pages and files wait on disk, not in memory: a 10,000-paper build stays under 1 GiB of RAM.

A build keeps only the paths of what it rendered (pipeline/spool.py); MkDocs and `kb generate`
read each page back when they write it, and the site still gets every byte.
"""

from __future__ import annotations

import gc
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from generator.pipeline import build
from generator.pipeline.build import build_site, read_inputs, write_generated
from generator.pipeline.cache import RenderCache
from generator.pipeline.spool import Spool, Spooled
from tests.helpers import forget_builds


def _mkdocs_build(root: Path, site_dir: Path) -> None:
    """Plain `mkdocs build`: the hooks run the pipeline."""
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.config import load_config

    mkdocs_build(load_config(str(root / "mkdocs.yml"), site_dir=str(site_dir)))


def test_a_build_holds_the_paths_of_its_pages_and_files_not_their_content(
    fixture_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    forget_builds(monkeypatch)
    _, output = build_site(fixture_project, read_inputs(fixture_project))

    assert output.pages and output.files
    assert all(isinstance(page.body, Spooled) for page in output.pages), "a page's HTML is held in memory"
    assert all(isinstance(page.head_body, Spooled) for page in output.pages if page.kind == "paper")
    assert all(page.head_body == "" or isinstance(page.head_body, Spooled) for page in output.pages)
    assert all(isinstance(file.data, Spooled) for file in output.files), "a file's bytes are held in memory"
    cached = [entry.page for entry in build.render_cache.entries.values()]
    assert cached and all(isinstance(page.body, Spooled) for page in cached), "the serve cache holds HTML"
    paper = next(page for page in output.pages if page.url == "papers/2402.00003/")
    assert "Comparing Routers" in paper.html and 'name="citation_title"' in paper.head


def test_mkdocs_build_writes_every_spooled_page_and_file_whole(
    fixture_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    forget_builds(monkeypatch)
    site_dir = tmp_path / "site"
    _mkdocs_build(fixture_project, site_dir)
    _, output = build_site(fixture_project, read_inputs(fixture_project))  # the build the hooks ran

    for page in output.pages:
        built = (site_dir / page.url / "index.html").read_text(encoding="utf-8")
        assert page.html in built, page.url
        assert page.head in built[: built.index("</head>")], page.url
        assert built.count("<h1") == 1, page.url  # Material adds no second title to a page that has its own
    for file in output.files:
        assert (site_dir / file.path).read_bytes() == file.content, file.path
    leaked = [path for path in site_dir.rglob("*.html") if "<!-- kb " in path.read_text(encoding="utf-8")]
    assert leaked == []


def test_kb_generate_writes_the_spooled_pages(
    fixture_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    forget_builds(monkeypatch)
    site, output = build_site(fixture_project, read_inputs(fixture_project))
    write_generated(site, tmp_path / "out", output)

    paper = next(page for page in output.pages if page.url == "papers/2402.00003/")
    assert (tmp_path / "out" / "papers" / "2402.00003" / "index.html").read_text(encoding="utf-8") == paper.html
    feed = next(file for file in output.files if file.path == "feed.xml")
    assert (tmp_path / "out" / "feed.xml").read_bytes() == feed.content


def test_spooled_files_are_deleted_once_no_build_refers_to_them(
    fixture_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`kb serve` rebuilds after every save: the pages of old builds must not fill the disk."""
    forget_builds(monkeypatch)
    _, output = build_site(fixture_project, read_inputs(fixture_project))
    paths = [page.body.path for page in output.pages if isinstance(page.body, Spooled)]
    paths += [file.data.path for file in output.files]
    assert paths and all(path.exists() for path in paths)

    del output
    build.render_cache, build._latest = RenderCache(), None  # as a new build replaces them (monkeypatch restores)
    gc.collect()
    assert [path for path in paths if path.exists()] == []


def test_a_build_removes_the_spools_that_killed_builds_left(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`kb serve` stopped by SIGTERM never removes its spool: the next build does, and only spools of ended processes."""
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    orphan = tmp_path / f"kb-spool-{int(ended.stdout)}-abc123"
    live = tmp_path / f"kb-spool-{os.getpid()}-def456"
    for folder in (orphan, live):
        folder.mkdir()
        (folder / "0").write_text("<p>a page</p>", encoding="utf-8")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))

    spool = Spool()

    assert not orphan.exists()
    assert (live / "0").exists() and spool.dir.is_dir()


def test_a_spool_on_another_file_system_still_fills_the_site(fixture_project: Path, tmp_path: Path) -> None:
    """Files spooled on their own (the data release) are hard-linked into the site; where TMPDIR is another file
    system (tmpfs on many Linux systems) a link is refused, and the file is copied instead of the build failing.
    JSON twins are written from the spool's pack files."""
    from tests.helpers import kb

    spool_dir = Path(tempfile.mkdtemp(dir="/dev/shm", prefix="kb-test-spool-"))
    try:
        site_dir = tmp_path / "site"
        site_dir.mkdir()
        assert os.stat(spool_dir).st_dev != os.stat(site_dir).st_dev, "the test needs /dev/shm on its own device"
        result = kb(fixture_project, "build", "--site-dir", str(site_dir), env={"TMPDIR": str(spool_dir)})
        assert result.returncode == 0, result.stderr
        twin = (site_dir / "papers" / "2402.00003" / "index.json").read_text(encoding="utf-8")
        assert '"title":"Comparing Routers' in twin
        assert "Comparing Routers" in (site_dir / "data" / "papers.csv").read_text(encoding="utf-8")
        assert "Comparing Routers" in (site_dir / "papers" / "2402.00003" / "index.html").read_text(encoding="utf-8")
        assert not list(spool_dir.iterdir()), "kb ends without Python's shutdown (cli.run) but removes its spool"
    finally:
        shutil.rmtree(spool_dir, ignore_errors=True)
