"""Parts of paper pages and of every page's head made in Python while the templates they stand in for are the
bundled ones (render.py PaperParts, metadata.py head_tags; the citation block of claim pages too, render.py
cite_block), and relative links worked out by prefix: each must give what the templates, or posixpath.relpath,
give, byte for byte."""

from __future__ import annotations

import dataclasses
import itertools
import posixpath
from types import SimpleNamespace
from typing import Any

import markupsafe
import pytest

from generator.commands.synth import synthesize
from generator.model.site import PageCitation, Site
from generator.pipeline import render
from generator.pipeline.build import collect
from generator.pipeline.render import CITE, MACROS, PageLinks, PaperParts, Renderer, relative_url
from generator.publish import cite, claim_fragments, metadata
from tests.conftest import REPO
from tests.test_paper_rows_fast import HOSTILE


@pytest.fixture(scope="module")
def corpora(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Site]:
    """The bundled corpus (edit and report links) and a synthetic one (a release, hostile text), with citations."""
    root = tmp_path_factory.mktemp("render-cpu") / "synth"
    synthesize(REPO, root, papers=30, claims=200, seed=5)
    sites = {"bundled": collect(REPO), "synth": collect(root)}
    return {name: dataclasses.replace(site, citations=cite.attach_citations(site)) for name, site in sites.items()}


def paper_parts(renderer: Renderer) -> PaperParts:
    made = renderer.env.globals["paper_parts"]
    assert isinstance(made, PaperParts)
    return made


def paper_pages_and_heads(site: Site, templates: bool) -> list[tuple[str, str, str]]:
    """(URL, HTML, head) of every paper page; with `templates`, as the templates make them (as under an override)."""
    renderer = Renderer(site)
    if templates:
        paper_parts(renderer).bundled.update({(CITE,): False, (MACROS,): False})
        renderer.templates.bundled[(metadata.HEAD,)] = False
    pages = [renderer.paper_page(pid) for pid in sorted(site.papers)]
    for page in pages:
        metadata.render_head(renderer, page)
    return [(page.url, page.html, page.head) for page in pages]


@pytest.mark.parametrize("corpus", ["bundled", "synth"])
def test_paper_pages_and_heads_are_the_templates(corpora: dict[str, Site], corpus: str) -> None:
    site = corpora[corpus]
    fast, slow = paper_pages_and_heads(site, templates=False), paper_pages_and_heads(site, templates=True)
    assert any('<div class="kb-cite"' in html for _, html, _ in fast), "a page shows its citation"
    assert any("application/ld+json" in head for _, _, head in fast), "a head has JSON-LD"
    if corpus == "bundled":
        assert any('class="kb-edit"' in html for _, html, _ in fast), "a page has edit links"
    for made, expected in zip(fast, slow, strict=True):
        assert made == expected, made[0]


CITATION = {"key": "k", "kind": "paper", "title": "t", "genre": "g", "living_url": "https://a.example/p/",
            "pinned_url": "", "release": "0.1", "issued": None, "csl": {"id": "k"}, "bibtex": "@misc{k}",
            "apa": "A. (2025). T."}  # fmt: skip
HOSTILE_CITATION = {"apa": HOSTILE, "bibtex": HOSTILE, "living_url": HOSTILE, "release": HOSTILE, "csl": {"t": HOSTILE}}
PINNED = {"pinned_url": f"https://a.example/{HOSTILE}#f<&>"}
RELEASES = {"released": {"release": "1.0"}, "pinned": PINNED, "no release": {"release": ""}, "hostile": HOSTILE_CITATION,
            "hostile, pinned": HOSTILE_CITATION | PINNED}  # fmt: skip
"""What changes a citation block besides its kind: each branch of cite.html (render.cite_block) for each kind a
page made in Python cites (synthesis pages include cite.html)."""


def cite_html(renderer: Renderer, url: str, citations: dict[str, PageCitation], **context: Any) -> str:
    """cite.html for the page at `url`, as a page includes it."""
    site = SimpleNamespace(citations=citations)
    include = renderer.env.from_string('{% include "kb/partials/cite.html" %}')
    return include.render(site=site, links=renderer.links(url), page_url=url, **context)


@pytest.mark.parametrize("variant", RELEASES)
@pytest.mark.parametrize("home", [("arXiv", "https://arxiv.org/abs/x"), ("DOI <&>", "https://doi.org/x"), None])
def test_a_paper_pages_cite_block_is_cite_html(variant: str, home: tuple[str, str] | None) -> None:
    """paper.html's block (PaperParts.cite), with and without a citation."""
    renderer = Renderer(collect(REPO))
    url = "papers/2401.00001/"
    for citations in ({url: PageCitation(**CITATION | RELEASES[variant])}, {}):
        expected = cite_html(renderer, url, citations, **({"home": home} if home else {}))
        site = SimpleNamespace(citations=citations)
        assert paper_parts(renderer).cite(renderer.links(url), site, url, home) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("variant", RELEASES)
def test_a_synthesis_pages_cite_block_is_cite_html(variant: str) -> None:
    """synthesis.html's block (PaperParts.cite with no home): a synthesis is cited as neither a paper nor a claim."""
    renderer = Renderer(collect(REPO))
    url = "syntheses/SRCH-0000FEED/"
    for citations in ({url: PageCitation(**CITATION | RELEASES[variant] | {"kind": "synthesis"})}, {}):
        site = SimpleNamespace(citations=citations)
        assert paper_parts(renderer).cite(renderer.links(url), site, url, None) == cite_html(renderer, url, citations)  # type: ignore[arg-type]


def test_synthesis_pages_are_the_template(corpora: dict[str, Site]) -> None:
    """A synthesis page made with PaperParts.cite is the page cite.html makes (as under an override)."""
    site = corpora["synth"]
    fast, slow = Renderer(site), Renderer(site)
    paper_parts(slow).bundled[(CITE,)] = False
    assert site.corpus.syntheses, "the corpus has syntheses"
    for sid in sorted(site.corpus.syntheses):
        made = fast.synthesis_page(sid).html
        assert '<div class="kb-cite"' in made
        assert made == slow.synthesis_page(sid).html, sid


@pytest.mark.parametrize("variant", RELEASES)
def test_a_claim_pages_cite_block_is_cite_html(variant: str) -> None:
    """claim.html's block (claim_fragments.ClaimPages), with and without a citation: a claim in no archived
    release links the methodology from the claim's page (test_claim_fast: a corpus's claims, cited by paper)."""
    url = "claims/c-0123abcd/"
    for citations in ({url: PageCitation(**CITATION | RELEASES[variant] | {"kind": "claim"})}, {}):
        renderer = Renderer(dataclasses.replace(collect(REPO), citations=citations))
        block, _ = claim_fragments.ClaimPages(renderer).cited(url)
        assert block == cite_html(renderer, url, citations)


@pytest.mark.parametrize(("repo", "edit_base"), [("https://g.example/o/r", "https://g.example/o/r/edit/main/"),
                                                 ("", "https://g.example/e/"), ("https://g.example/o/r", ""), ("", "")])  # fmt: skip
@pytest.mark.parametrize("record_file", ["records/papers/2401.00001.yaml", "records/a b/<&>.yaml", "../x.yaml"])
def test_edit_links_are_the_macro(repo: str, edit_base: str, record_file: str) -> None:
    renderer = Renderer(collect(REPO))
    links = PageLinks("papers/2401.00001/", repo, edit_base)
    macro = renderer.env.get_template(MACROS).module.edit_links  # type: ignore[attr-defined]
    for what in ("paper 2401.00001", HOSTILE):
        assert paper_parts(renderer).edit(links, record_file, what) == str(macro(links, record_file, what))


def test_head_tags_are_head_html() -> None:
    renderer = Renderer(collect(REPO))
    values: dict[str, Any] = {
        "meta": [("citation_title", HOSTILE), ("citation_author", "A <&> B\u200b")],
        "opengraph": [("og:title", HOSTILE), ("og:url", "https://a.example/?a=1&b=2")],
        "feed_url": "../../feed.xml?x=<&>",
        "feed_title": HOSTILE,
        "jsonld": {"@context": "https://schema.org", "name": f"</script>{HOSTILE}\u2028"},
    }
    empty: dict[str, Any] = {"meta": [], "opengraph": [], "feed_url": "", "feed_title": "t", "jsonld": None}
    for given in (values, empty, {**values, "meta": []}, {**values, "jsonld": None, "feed_url": ""}):
        expected = renderer.env.get_template(metadata.HEAD).render(**given).strip()
        assert metadata.head_tags(given) == expected


def test_relative_url_is_relpath() -> None:
    """Every page and target made of a few segments (empty, `.`, `..`, names sharing a prefix), with a trailing
    slash or a last name with a dash (`a/ab-`), with and without an anchor: what posixpath.relpath gives, a
    trailing slash kept."""

    def relpath(page: str, target: str) -> str:
        target, hash_, anchor = target.partition("#")
        made = posixpath.relpath(target or ".", page or ".")
        return (made + "/" if target.endswith("/") and not made.endswith("/") else made) + hash_ + anchor

    parts = ["", "a", "ab", ".", "..", ".x"]
    made = {
        "/".join(combo) + tail for n in range(4) for combo in itertools.product(parts, repeat=n) for tail in "/-"
    } | {""}
    for page in sorted(made):
        for target in sorted(made):
            for anchor in ("", "#c-1"):
                assert relative_url(page, target + anchor) == relpath(page, target + anchor), (page, target)


def test_escape_text_is_markupsafes_escape() -> None:
    """Both ways of escaping (markupsafe's C function, or str.replace where it has none) escape as `escape`."""
    for text in (HOSTILE, "", "plain", "&&<<>>\"'"):
        assert render.escape_text(text) == render._escape_chain(text) == str(markupsafe.escape(text))


FACTS: dict[str, dict[str, Any]] = {
    "bare": {"authors": [], "year": None, "venue": "", "taxonomy": [], "versions": []},
    "hostile": {
        "authors": [HOSTILE, "B"],
        "authors_complete": False,
        "venue": HOSTILE,
        "versions": ["v1", "v12"],
        "taxonomy": ["no-such-category"],
    },
    "linked": {
        "links": {
            "doi": f"10.1/{HOSTILE}",
            "code": "https://c.example/?a=1&b=<2>",
            "openreview": "x",
            "homepage": HOSTILE,
        }
    },
}


@pytest.mark.parametrize("pid", ["2401.00001", "doi:10.1145/3219819.3220007", "openreview:AbCd-123_x"])
def test_paper_facts_are_the_template(corpora: dict[str, Site], pid: str) -> None:
    """A paper page's facts with every field empty, full of markup, and with each kind of link, at every scheme."""
    site = corpora["synth"]
    loaded = next(iter(site.papers.values()))
    for update in FACTS.values():
        links = loaded.record.links.model_copy(update=update.get("links", {}))
        record = loaded.record.model_copy(update={**update, "id": pid, "links": links})
        papers = {**site.papers, pid: dataclasses.replace(loaded, record=record)}
        changed = dataclasses.replace(site, corpus=dataclasses.replace(site.corpus, papers=papers))
        fast, slow = Renderer(changed), Renderer(changed)
        paper_parts(slow).bundled[(MACROS,)] = False
        assert fast.paper_page(pid).html == slow.paper_page(pid).html, update
