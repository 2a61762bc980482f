"""Pagefind is given generated pages without the elements it leaves out of the index, and writes the same bundle.

`search.without_unindexed` removes from a generated page's copy every element UNINDEXED_SELECTORS names
whose content Pagefind reads nothing of (and the theme after the indexed part), so Pagefind parses half
the elements. Here the same pages are indexed from today's copies and from the stripped ones, written in
the same order: the bundles must be equal byte for byte, including pages whose ignored elements hold what
Pagefind does read (an h1, an image, an anchor), which must be left in place.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from generator.publish import search
from tests.test_search_bundle import read_bundle, shell_page


def generated(title: str, body: str) -> str:
    """A generated page as overrides/main.html and the kb templates write it into Material's shell."""
    return shell_page(title, f'\n<article class="kb-page kb-paper" data-kb-kind="paper">\n{body}</article>\n')


BADGE = '<a class="kb-badge" href="../../methodology/#status-supported">supported</a>'
PAPER = generated(
    "Paper A",
    "<h1>Paper A: Zorblax routing</h1>\n"
    '<dl class="kb-facts">\n<dt>Authors</dt><dd>Ada Haddad <span class="kb-note kb-editorial">editorial '
    "wobblegrade</span></dd>\n</dl>\n"
    '<h2 id="summary">Summary</h2>\n<p class="kb-summary">Sparse routing halves the perplexity.</p>\n'
    '<p class="kb-abstract">An abstract about quibbleflux &amp; more.</p>\n'
    '<table class="kb-claims"><thead><tr><th scope="col">Claim</th><th scope="col">Status</th></tr></thead>\n'
    '<tbody><tr id="c-1"><td data-label="Claim">Experts halve latency.'
    f'<span class="kb-claim-meta">c-1</span></td><td data-label="Status">{BADGE}</td>'
    '<td data-label="Quote" class="kb-quote"><blockquote>quoted frobnitz</blockquote>'
    '<span class="kb-quote-check">quote verified</span></td><td data-label="Page">p2</td>'
    '<td data-label="Audit">Alpha<span class="kb-note">report: <code>audit.md</code></span>Beta<br>Gamma</td>'
    "</tr></tbody></table>\n"
    f'<ul class="kb-edges"><li><a href="../b/">Paper B title</a> — {BADGE}<blockquote>cited '
    "snorkelwax</blockquote></li></ul>\n"
    '<div class="kb-cite" data-kb-cite>\n<p class="kb-cite-apa">Cite as grommet.</p>\n'
    '<dl class="kb-facts kb-cite-urls"><dt>Living URL</dt><dd><a href="https://x.invalid/">x</a></dd></dl>\n'
    '<details><summary>BibTeX</summary><pre><code class="kb-copy-target">@misc{kb:a,\n}\n</code></pre></details>\n'
    '<p class="kb-explain">This cites the page.</p>\n</div>\n'
    '<p class="kb-edit"><a href="https://x.invalid/edit" rel="nofollow">Edit this record</a></p>\n',
)
# Ignored elements holding what Pagefind reads of them: a result title, an image, a filter, its own anchor
# (an id inside one makes none).
READ_WHEN_IGNORED = generated(
    "Paper C",
    '<p>Before <span class="kb-note"><h1>Title inside a note</h1></span> after.</p>\n'
    '<p>Image <span class="kb-note">see <img src="c.png" alt="chart"></span> here.</p>\n'
    '<p>Anchor <span class="kb-note" id="own">own anchor</span> and <span class="kb-note">at <span id="deep">'
    "the anchor</span></span> text.</p>\n"
    '<p>Filter <span class="kb-note" data-pagefind-filter="kind:note">x</span> text.</p>\n'
    '<p>Deep <span class="kb-note"><b><i><b><i><b><i><b>seven deep</b></i></b></i></b></i></b></span> text.</p>\n',
)
PAGES = {
    "papers/a/index.html": PAPER,
    "papers/c/index.html": READ_WHEN_IGNORED,
    # Given as they are: a hand-written page, and a generated one holding a textarea (raw text).
    "about/index.html": shell_page("About", f"<h1>About</h1><p>Hand-written {BADGE} page.</p>").replace(
        "</article></div>",
        "</article>\n</div>",  # as Material closes its content
    ),
    "papers/d/index.html": generated("Paper D", f"<h1>Paper D</h1><textarea>{BADGE}</textarea>\n"),
    "papers/g/index.html": generated("Paper G", f"<h1>Paper G</h1><TEXTAREA>{BADGE}</TEXTAREA>\n"),
    # And one where removing the note would put the `<` before it next to what follows: a comment that would
    # hide the rest of the page (markup parsed otherwise is looked for in what is left once removed).
    "papers/f/index.html": generated(
        "Paper F", '<h1>Paper F</h1><p>less <<span class="kb-note">mooncalf</span>!-- than zeppelin</p>\n'
    ),
    # An image in the theme after the indexed part is the result's image: that part is given too.
    "papers/e/index.html": generated("Paper E", f"<h1>Paper E</h1><p>E {BADGE}</p>\n").replace(
        "Made with care", '<img src="logo.png">'
    ),
}


def bundle_files(tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch, *, strip: bool) -> dict[str, bytes]:
    """Every file of the bundle Pagefind writes from the pages' search copies, made today's way or stripped."""
    with monkeypatch.context() as patch:
        if not strip:
            patch.setattr(search, "without_unindexed", lambda copy: copy)
        copies = tmp_path / f"{name}-copies"
        for path, markup in PAGES.items():
            copy = search.search_copy(markup.encode())
            assert copy is not None
            (copies / path).parent.mkdir(parents=True, exist_ok=True)
            (copies / path).write_bytes(copy)
    bundle = tmp_path / f"{name}-bundle"
    search._run_pagefind(search._pagefind_command(), copies, bundle)
    return {str(path.relative_to(bundle)): path.read_bytes() for path in bundle.rglob("*") if path.is_file()}


def test_pagefind_writes_the_same_bundle_from_stripped_copies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What a reader's search fetches, ranks and shows is byte for byte what it was; what Pagefind reads of an
    ignored element (a title, an image, an anchor, a filter) and elements nested too deep stay in the copy."""
    today = bundle_files(tmp_path, "today", monkeypatch, strip=False)
    stripped = bundle_files(tmp_path, "stripped", monkeypatch, strip=True)

    assert stripped.keys() == today.keys()
    assert [name for name in today if stripped[name] != today[name]] == []
    index = read_bundle(tmp_path / "stripped-bundle")
    titles = {url: fragment["meta"]["title"] for url, fragment in index["fragments"].items()}
    assert titles["/papers/c/"] == "Title inside a note"
    assert index["fragments"]["/papers/c/"]["meta"]["image"] == "c.png"
    assert index["fragments"]["/papers/c/"]["filters"] == {"kind": ["note"]}
    assert [anchor["id"] for anchor in index["fragments"]["/papers/c/"]["anchors"]] == ["own"]
    assert index["fragments"]["/papers/e/"]["meta"]["image"] == "logo.png"
    assert "alphabeta" in index["words"], "text on either side of a removed element no longer joins"
    assert "zeppelin" in index["words"]


def test_a_generated_page_loses_its_unindexed_elements_and_the_theme_after_it() -> None:
    copy = search.search_copy(PAPER.encode())
    assert copy is not None
    for left_out in ("wobblegrade", "quibbleflux", "frobnitz", "snorkelwax", "grommet", "Edit this record", "<th"):
        assert left_out.encode() not in copy
    for kept in ("Zorblax", "Sparse routing halves", "Experts halve latency.", "AlphaBeta<br>Gamma", "Authors"):
        assert kept.encode() in copy, kept
    assert copy.endswith(b"</article>\n</div>"), "the theme after the indexed part is still given to Pagefind"
    assert b'data-label="Status"' not in copy, "a cell left empty by the removals is given to Pagefind"
    assert b'<td data-label="Audit">' in copy, "a cell that still holds text was removed"

    kept_whole = search.search_copy(READ_WHEN_IGNORED.encode())
    assert kept_whole is not None
    for kept in ("Title inside a note", "c.png", 'id="own"', "data-pagefind-filter", "seven deep"):
        assert kept.encode() in kept_whole, kept
    assert b'id="deep"' not in kept_whole
    assert b"logo.png" in (search.search_copy(PAGES["papers/e/index.html"].encode()) or b"")
    for path in ("about/index.html", "papers/d/index.html", "papers/g/index.html"):
        page = PAGES[path].encode()
        assert BADGE.encode() in (search.search_copy(page) or b""), f"{path} was stripped"
    assert b"mooncalf" in (search.search_copy(PAGES["papers/f/index.html"].encode()) or b""), "papers/f was stripped"


@pytest.mark.parametrize("selector", [s for s in search.UNINDEXED_SELECTORS if ">" not in s])
def test_every_unindexed_selector_but_a_child_one_is_removed(selector: str) -> None:
    """A selector that the copy cannot remove is still left out by Pagefind, but costs its time again."""
    parts = re.fullmatch(r"([a-z]*)(?:\.([\w-]+))?(?:\[(.+)\])?", selector)
    assert parts is not None, selector
    tag, css_class, attribute = parts[1] or "span", parts[2], parts[3]
    attributes = (f' class="x {css_class}"' if css_class else "") + (f" {attribute}" if attribute else "")
    page = generated("P", f"<h1>P</h1><p>kept <{tag}{attributes}>zapped</{tag}></p>\n").encode()
    copy = search.search_copy(page)
    assert copy is not None and b"zapped" not in copy and b"kept" in copy


def test_selectors_the_copy_cannot_remove_are_left_to_pagefind() -> None:
    """A child selector, or one naming an element Pagefind reads even when ignored (an h1 is a result title),
    removes nothing: Pagefind's --exclude-selectors still leaves it out."""
    page = generated("P", '<h1 class="kb-x">P</h1><dl class="kb-facts"><dt>Authors</dt><dd>A</dd></dl>\n').encode()
    assert search._ignored_elements(("h1.kb-x", "dl.kb-facts > dt", "img")).sub(b"", page) == page
