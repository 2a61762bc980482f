"""The search index built in batches is the index Pagefind writes in one run, and holds what pages say.

`index_site` has Pagefind index a site's pages a batch at a time (its memory follows the pages it
holds) and joins the bundles (generator/publish/search_bundle.py). Here the same pages are indexed
in one batch and in batches of two, and both bundles are read back with a CBOR reader of this file's
own: every word must lead to the same pages at the same locations, with the same variants, the
same fragments and the same chunks of the word index (which decide what a query fetches).
"""

from __future__ import annotations

import gzip
import json
import os
import random
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from generator.publish import search, search_bundle

CLAIM = "Sparse expert routing halves the perplexity of Zorblax models."
QUOTE = "quibbleflux measured on four nodes"
NOTE = "editorial wobblegrade note"


def page(title: str, body: str, *, indexed: bool = True) -> str:
    marker = " data-pagefind-body" if indexed else ""
    return (
        f'<!doctype html><html lang="en"><head><title>{title}</title></head><body><nav>menu sidebar</nav>'
        f'<div{marker}><h1 id="top">{title}</h1>{body}</div></body></html>'
    )


def claim_row(statement: str, quote: str) -> str:
    return (
        f'<table><thead><tr><th>Status</th></tr></thead><tr id="c-1"><td>{statement}</td>'
        f'<td data-label="Quote">{quote}</td></tr></table><p class="kb-note">{NOTE}</p>'
    )


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """Seven indexed pages (titles, a claim table, accented names, a word said 30 times, long prose) and one page
    Pagefind must skip."""
    words = [f"w{n}" for n in range(900)] + ["routing", "expert", "Amélie", "Zoë", "naïve"]
    prose = random.Random(7)
    root = tmp_path / "site"
    pages = {
        "index.html": page("Home", "<p>Welcome to the routing ledger, Amélie.</p>"),
        "papers/a/index.html": page("Paper A: Zorblax routing", claim_row(CLAIM, QUOTE)),
        "papers/b/index.html": page("Paper B", "<p>" + " ".join(prose.choices(words, k=6000)) + "</p>"),
        "papers/c/index.html": page("Paper C naïve", "<p>" + " ".join(prose.choices(words, k=6000)) + "</p>"),
        "papers/d/index.html": page("Paper D", "<p>" + " ".join(prose.choices(words, k=6000)) + "</p>"),
        # more than 23 locations of one word on one page: a CBOR array whose length is not in its head byte
        "papers/e/index.html": page("Paper E", "<p>Zoë and Zoe route experts." + " expert" * 30 + ".</p>"),
        "papers/f/index.html": page("Paper F", "<p>" + " ".join(prose.choices(words, k=6000)) + "</p>"),
        "claims/c-1/index.html": page("Claim c-1", f"<p>{CLAIM}</p>"),
        "about/index.html": page("About", "<p>unindexedword about page</p>", indexed=False),
    }
    for path, markup in pages.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(markup, encoding="utf-8")
    return root


def test_index_built_in_batches_is_the_index_of_one_run(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pages = tmp_path / "pages"
    shutil.copytree(site, pages, ignore=lambda folder, _: ["claims"] if Path(folder) == site else [])
    search._run_pagefind(
        search._pagefind_command(), pages, tmp_path / "one-run"
    )  # Pagefind's own bundle, written in one run
    one_run = read_bundle(tmp_path / "one-run")
    batched = indexed(site, monkeypatch, pages_per_index=2)
    assert len(batched["fragments"]) == 7, "every indexed page is in the joined index"
    assert len(one_run["chunks"]) > 1, "the pages are too short to test how the word index is split"
    assert batched == one_run


def test_batches_keep_what_a_page_says_and_leave_out_what_it_repeats(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = indexed(site, monkeypatch, pages_per_index=2)
    paper = index["fragments"]["/papers/a/"]
    assert paper["meta"]["title"] == "Paper A: Zorblax routing"
    assert CLAIM in paper["content"]
    assert QUOTE not in paper["content"] and NOTE not in paper["content"] and "Status" not in paper["content"]
    assert set(index["words"]["zorblax"][0]) == {"/papers/a/"}, "a claim statement's word finds its paper"
    assert "quibbleflux" not in index["words"] and "wobblegrad" not in index["words"], "a quote or note is indexed"
    assert "unindexedword" not in index["words"] and "menu" not in index["words"], "text outside the body is indexed"
    assert "/claims/c-1/" not in index["fragments"], "claim pages are not read"
    plain, accented = index["words"]["zoe"]
    assert "/papers/e/" in plain and "/papers/e/" in accented["zoë"], "the accented spelling is kept as a variant"


def shell_page(title: str, body: str, *, header: str = "Ledger") -> str:
    """A page in a theme's shell, as MkDocs Material writes it: head, header and navigation before the indexed
    part, the footer and scripts after it."""
    return (
        f'<!doctype html><html lang="en" class="no-js"><head><meta charset="utf-8"><title>{title} - Site</title>'
        f'<script>var md="<nav>";</script></head><body><header><span>{header}</span></header><nav>menu sidebar</nav>'
        f'<div class="md-content"><article class="md-typeset"><div data-pagefind-body>{body}</div></article></div>'
        "<footer>Made with care</footer><script>var after=1;</script></body></html>"
    )


def test_pagefind_is_given_the_indexed_part_and_finds_what_the_whole_page_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pagefind reads only what it needs of each page (a third less to parse), and the index is the one it
    makes of whole pages: result titles from an h1, from <title> when the indexed part has none, or from an
    h1 in the theme's shell."""
    pages = {
        "index.html": shell_page("Home", "<h1>Ledger home</h1><p>Welcome, routing readers.</p>"),
        "papers/a/index.html": shell_page("Paper A", f"<h1>Paper A: Zorblax</h1>{claim_row(CLAIM, QUOTE)}"),
        "papers/b/index.html": shell_page("Untitled paper B", '<p>No heading here, routing <img src="b.png"></p>'),
        "papers/c/index.html": shell_page(
            "Paper C", "<p>Body of C about routing.</p>", header="<h1>Shell heading C</h1> data-pagefind-body"
        ),
    }
    whole = tmp_path / "whole"
    for path, markup in pages.items():
        (whole / path).parent.mkdir(parents=True, exist_ok=True)
        (whole / path).write_text(markup, encoding="utf-8")
    site = tmp_path / "site"
    shutil.copytree(whole, site)
    search._run_pagefind(search._pagefind_command(), whole, tmp_path / "whole-bundle")

    index = indexed(site, monkeypatch, pages_per_index=2, files=4)

    assert index == read_bundle(tmp_path / "whole-bundle")
    titles = {url: fragment["meta"]["title"] for url, fragment in index["fragments"].items()}
    assert titles == {
        "/": "Ledger home",
        "/papers/a/": "Paper A: Zorblax",
        "/papers/b/": "Untitled paper B - Site",
        "/papers/c/": "Shell heading C",
    }
    assert "menu" not in index["words"] and "care" not in index["words"], "the shell's text is indexed"
    copy = search.search_copy((site / "papers/a/index.html").read_bytes())
    assert copy is not None and b"menu sidebar" not in copy, "Pagefind is given the whole page"
    shell_h1 = (site / "papers/c/index.html").read_bytes()
    assert search.search_copy(shell_h1) == shell_h1


@pytest.mark.parametrize("memory", ["room", "no room", "missing"])
def test_page_copies_go_to_memory_when_it_has_room_and_never_stay(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, memory: str
) -> None:
    """The copies Pagefind reads are written to a file system in memory (/dev/shm) when it has room for them,
    beside the site when not (Docker gives containers 64 MB), and removed once their batch is indexed."""
    memory_dir = tmp_path / "shm"
    if memory != "missing":
        memory_dir.mkdir()
    monkeypatch.setattr(search, "MEMORY_DIR", memory_dir)
    monkeypatch.setattr(search, "MEMORY_DIR_ROOM", 0 if memory == "room" else 2**62)
    read_from: list[Path] = []
    real_run = search._run_pagefind

    def run_and_record(command: list[str], pages: Path, bundle: Path) -> None:
        read_from.append(pages.parent.parent)
        real_run(command, pages, bundle)

    monkeypatch.setattr(search, "_run_pagefind", run_and_record)
    index = indexed(site, monkeypatch, pages_per_index=2)

    assert len(index["fragments"]) == 7
    assert set(read_from) == {memory_dir if memory == "room" else site.parent}
    assert not [p for p in site.parent.iterdir() if p.name.startswith(".")], "a temporary folder was left behind"
    assert memory == "missing" or not list(memory_dir.iterdir()), "page copies were left in memory"


def test_a_page_that_goes_missing_is_a_clear_error(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`kb serve` may rebuild the site while it is indexed: the indexer reports it and tries again later."""
    real_walk = search.html_files

    def walk_then_remove_a_page(site_dir: Path) -> Iterator[Path]:
        for page in real_walk(site_dir):
            if page == Path("papers/f/index.html"):
                (site_dir / page).unlink()
            yield page

    monkeypatch.setattr(search, "PAGES_PER_INDEX", 2)
    monkeypatch.setattr(search, "html_files", walk_then_remove_a_page)
    with pytest.raises(search.SearchIndexError, match=r"could not index .*papers/f/index\.html"):
        search.index_site(site)
    assert not (site / search.BUNDLE_DIR).exists()
    assert not [p for p in site.parent.iterdir() if p.name.startswith(".")], "a temporary folder was left behind"


def test_two_batches_may_give_different_pages_the_same_fragment_name(site: Path, tmp_path: Path) -> None:
    """Fragment names are 7 hex digits of a hash, unique within one Pagefind run only (at 10,000 pages two
    runs share one about every fifth build): the joined index must still lead each page to its own record."""
    batches = []
    for name, pages in (("one", ["papers/a", "papers/b"]), ("two", ["papers/e", "index.html"])):
        for path in pages:
            source = site / path if path.endswith(".html") else site / path / "index.html"
            (tmp_path / name / source.relative_to(site)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, tmp_path / name / source.relative_to(site))
        search._run_pagefind(search._pagefind_command(), tmp_path / name, tmp_path / f"bundle-{name}")
        batches.append(tmp_path / f"bundle-{name}")
    taken = sorted((batches[0] / "fragment").iterdir())[0].name
    renamed = sorted((batches[1] / "fragment").iterdir())[0]
    entry = json.loads((batches[1] / "pagefind-entry.json").read_text(encoding="utf-8"))
    meta_file = batches[1] / f"pagefind.{entry['languages']['en']['hash']}.pf_meta"
    meta = decode(unpack(meta_file))
    meta[1] = [[taken.removesuffix(".pf_fragment") if f"{h}.pf_fragment" == renamed.name else h, n] for h, n in meta[1]]
    meta_file.write_bytes(gzip.compress(b"pagefind_dcd" + encode(meta)))
    renamed.rename(renamed.with_name(taken))

    joiner = search_bundle.BundleJoiner(tmp_path / "joined")
    for batch in batches:
        joiner.add(batch)
    joiner.write()

    index = read_bundle(tmp_path / "joined")
    assert sorted(index["fragments"]) == ["/", "/papers/a/", "/papers/b/", "/papers/e/"]
    assert all(url == fragment["url"] for url, fragment in index["fragments"].items())
    assert set(index["words"]["zorblax"][0]) == {"/papers/a/"} and "/papers/e/" in index["words"]["zoe"][0]


def indexed(site: Path, monkeypatch: pytest.MonkeyPatch, *, pages_per_index: int, files: int = 8) -> dict[str, Any]:
    """Index `site` in batches of `pages_per_index` and read the bundle back, keyed by URL, not page number."""
    monkeypatch.setattr(search, "PAGES_PER_INDEX", pages_per_index)
    report = search.index_site(site)
    assert report.files_read == files, "claim pages are not read; every other HTML page is"
    return read_bundle(site / search.BUNDLE_DIR)


def read_bundle(bundle: Path) -> dict[str, Any]:
    entry = json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))
    ((language, about),) = entry["languages"].items()
    meta = decode(unpack(bundle / f"pagefind.{about['hash']}.pf_meta"))
    fragments = [json.loads(unpack(bundle / "fragment" / f"{name}.pf_fragment")) for name, _ in meta[1]]
    urls = [fragment["url"] for fragment in fragments]
    assert about["page_count"] == len(urls)

    def by_url(pages: list[list[Any]]) -> dict[str, Any]:
        located, number = {}, 0
        for step, locations, meta_locations in pages:
            number += step
            located[urls[number]] = (locations, meta_locations)
        return located

    words, chunks = {}, []
    for first, last, name in meta[2]:
        (chunk,) = decode(unpack(bundle / "index" / f"{name}.pf_index"))
        chunks.append((first, last, [word for word, _, _ in chunk]))
        for word, pages, variants in chunk:
            words[word] = (by_url(pages), {spelling: by_url(at) for spelling, at in variants})
    word_counts = {url: count for url, (_, count) in zip(urls, meta[1], strict=True)}
    return {
        "language": language,
        "meta": [meta[0], meta[3], meta[4], meta[5]],
        "fragments": dict(zip(urls, fragments, strict=True)),
        "word_counts": word_counts,
        "words": words,
        "chunks": chunks,
    }


def unpack(path: Path) -> bytes:
    data = gzip.decompress(path.read_bytes())
    assert data.startswith(b"pagefind_dcd"), path
    return data.removeprefix(b"pagefind_dcd")


def encode(value: Any) -> bytes:
    """CBOR for what `decode` reads, with the shortest heads."""

    def head(major: int, number: int) -> bytes:
        if number < 24:
            return bytes([major << 5 | number])
        width = next(w for w in (1, 2, 4, 8) if number < 1 << (8 * w))
        return bytes([major << 5 | (24 + (1, 2, 4, 8).index(width))]) + number.to_bytes(width, "big")

    if isinstance(value, int):
        return head(0, value) if value >= 0 else head(1, -1 - value)
    if isinstance(value, str):
        return head(3, len(value.encode())) + value.encode()
    return head(4, len(value)) + b"".join(encode(item) for item in value)


def decode(data: bytes) -> Any:
    """CBOR (RFC 8949) as Pagefind writes it: unsigned and negative integers, text, definite arrays."""

    def item(at: int) -> tuple[Any, int]:
        major, extra = data[at] >> 5, data[at] & 31
        at += 1
        if extra >= 24:
            width = 1 << (extra - 24)
            extra, at = int.from_bytes(data[at : at + width], "big"), at + width
        if major == 0:
            return extra, at
        if major == 1:
            return -1 - extra, at
        if major == 3:
            return data[at : at + extra].decode("utf-8"), at + extra
        assert major == 4, f"unexpected CBOR major type {major}"
        values = []
        for _ in range(extra):
            value, at = item(at)
            values.append(value)
        return values, at

    value, end = item(0)
    assert end == len(data)
    return value


def test_page_copies_a_killed_build_left_are_removed(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGKILL runs no clean-up: the next index removes copies whose process has ended, and no other's."""
    memory_dir = tmp_path / "shm"
    monkeypatch.setattr(search, "MEMORY_DIR", memory_dir)
    monkeypatch.setattr(search, "MEMORY_DIR_ROOM", 0)
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    left = memory_dir / f"{search.COPIES_PREFIX}{int(ended.stdout)}-0123abcd" / "0" / "papers" / "a"
    left.mkdir(parents=True)
    (left / "index.html").write_text("<p>left behind</p>", encoding="utf-8")
    running = memory_dir / f"{search.COPIES_PREFIX}{os.getppid()}-4567cdef"  # a live process: another build's
    running.mkdir()

    indexed(site, monkeypatch, pages_per_index=2)

    assert sorted(path.name for path in memory_dir.iterdir()) == [running.name]
