"""Head metadata: Google Scholar/Highwire tags, OpenGraph, the feed link and JSON-LD, escaped."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from generator.commands.build import mkdocs_build
from generator.pipeline.build import build_site
from generator.pipeline.render import RenderedPage, Renderer, relative_url
from generator.publish import claim_pages
from tests.test_exports import (
    CORRECTION_ID,
    CORRECTION_TEXT,
    FORMULA_CLAIMS,
    HOSTILE_AUTHORS,
    HOSTILE_ID,
    HOSTILE_TITLE,
    SYNTHESIS_ID,
    add_fixture_records,
)


class HeadParser(HTMLParser):
    """Collects <meta>, <link> and the text of every <script type="application/ld+json">."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: list[tuple[str, str]] = []
        self.properties: list[tuple[str, str]] = []
        self.links: list[dict[str, str]] = []
        self.scripts: list[str] = []
        self.script_starts = 0
        self._in_jsonld = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        if tag == "meta" and "name" in attributes:
            self.meta.append((attributes["name"], attributes.get("content", "")))
        elif tag == "meta" and "property" in attributes:
            self.properties.append((attributes["property"], attributes.get("content", "")))
        elif tag == "link":
            self.links.append(attributes)
        elif tag == "script":
            self.script_starts += 1
            self._in_jsonld = attributes.get("type") == "application/ld+json"
            if self._in_jsonld:
                self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_jsonld = False

    def handle_data(self, data: str) -> None:
        if self._in_jsonld:
            self.scripts[-1] += data

    def values(self, name: str) -> list[str]:
        return [content for key, content in self.meta if key == name]

    def prop(self, name: str) -> str:
        return next(content for key, content in self.properties if key == name)

    def jsonld(self) -> list[dict[str, Any]]:
        return [json.loads(text) for text in self.scripts]


def parse_head(html: str) -> HeadParser:
    parser = HeadParser()
    parser.feed(html)
    parser.close()
    return parser


def graph_nodes(data: dict[str, Any]) -> list[dict[str, Any]]:
    nodes: list[dict[str, Any]] = data.get("@graph", [data])
    return nodes


def by_type(nodes: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [node for node in nodes if node.get("@type") == kind]


@pytest.fixture
def fixture_pages(project: Path) -> tuple[Any, dict[str, RenderedPage]]:
    site, output = build_site(add_fixture_records(project, release="2026.1"))
    renderer = Renderer(site)  # claim pages are written straight to disk; render them as pages here
    claims = [claim_pages.claim_page(renderer, claim) for claim in renderer.all_claims()]
    return site, {page.url: page for page in [*output.pages, *claims]}


# --- bundled corpus -------------------------------------------------------------------------


def test_every_paper_page_has_scholar_tags_and_jsonld(repo_root: Path) -> None:
    site, output = build_site(repo_root)
    papers = [page for page in output.pages if page.kind == "paper"]
    assert len(papers) == len(site.papers)
    for page in papers:
        paper = site.papers[page.url.split("/")[1]].record
        head = parse_head(page.head)
        assert head.values("citation_title") == [paper.title]
        assert head.values("citation_author") == list(paper.authors)
        assert head.values("citation_arxiv_id") == [paper.id]
        assert head.values("citation_pdf_url") == [f"https://arxiv.org/pdf/{paper.id}"]
        assert head.values("citation_public_url") == [site.settings.site_url + page.url]
        if paper.year:
            assert head.values("citation_publication_date") == [str(paper.year)]
            assert head.values("citation_date") == [str(paper.year)]
        assert head.prop("og:title") == paper.title
        assert head.prop("og:url") == site.settings.site_url + page.url
        assert head.prop("og:description") == page.description
        (data,) = head.jsonld()
        nodes = graph_nodes(data)
        (article,) = by_type(nodes, "ScholarlyArticle")
        assert article["@id"] == f"https://arxiv.org/abs/{paper.id}"
        assert {"@type": "PropertyValue", "propertyID": "arXiv", "value": paper.id} in article["identifier"]
        assert [a["name"] for a in article["author"]] == list(paper.authors)
        assert [t["termCode"] for t in article["about"]] == list(paper.taxonomy)
        reviews = by_type(nodes, "ClaimReview")
        claims = site.claims_by_paper.get(paper.id, [])
        assert len(reviews) == len(claims)
        for review, claim in zip(reviews, claims, strict=True):  # pointers: each claim page has its whole review
            claim_url = f"{site.settings.site_url}claims/{claim.claim_id}/"
            assert review == {"@type": "ClaimReview", "@id": f"{claim_url}#review"}


def test_claim_and_synthesis_pages_have_jsonld(repo_root: Path) -> None:
    site, output = build_site(repo_root)
    for page in output.pages:
        if page.kind == "claim":
            (data,) = parse_head(page.head).jsonld()
            assert data["@type"] == "ClaimReview" and data["itemReviewed"]["@type"] == "Claim"
            assert data["url"] == site.settings.site_url + page.url and data["@id"] == data["url"] + "#review"
            assert data["itemReviewed"]["appearance"]["@type"] == "ScholarlyArticle"
            (claim,) = [
                c for claims in site.claims_by_paper.values() for c in claims if c.claim_id == data["identifier"]
            ]
            assert data["reviewRating"]["alternateName"] == claim.claim_status
            assert data["claimReviewed"] == claim.claim
            assert data["itemReviewed"]["appearance"]["@id"] == f"https://arxiv.org/abs/{claim.paper_base}"
        elif page.kind == "synthesis":
            head = parse_head(page.head)
            (data,) = head.jsonld()
            assert data["@type"] == "CreativeWork" and data["url"] == site.settings.site_url + page.url
            assert isinstance(data["correction"], list)
            assert head.values("citation_title") == [page.title]
            assert head.values("citation_technical_report_number") == [data["identifier"]]


def test_every_generated_page_links_the_feed(repo_root: Path) -> None:
    _, output = build_site(repo_root)
    assert any(page.kind == "data" for page in output.pages)
    for page in output.pages:
        feeds = [link for link in parse_head(page.head).links if link.get("type") == "application/atom+xml"]
        if page.kind == "explorer":  # Material fetches the whole sitemap beside an alternate link: not here
            assert feeds == [], page.url
        elif page.kind in {"paper", "synthesis", "claim", "index", "category", "methodology", "data"}:
            assert [link["href"] for link in feeds] == [relative_url(page.url, "feed.xml")], (
                page.url
            )  # relative: no off-host fetch
            assert feeds[0]["rel"] == "alternate"


# --- fixtures: corrections, retraction, hostile text ----------------------------------------------------


def test_synthesis_jsonld_lists_corrections(fixture_pages: tuple[Any, dict[str, RenderedPage]]) -> None:
    site, pages = fixture_pages
    url = f"syntheses/{SYNTHESIS_ID.replace(':', '-')}/"
    (data,) = parse_head(pages[url].head).jsonld()
    assert data["@type"] == "CreativeWork" and data["creativeWorkStatus"] == "CORRECTED"
    (correction,) = data["correction"]
    assert correction["@type"] == "CorrectionComment"
    assert correction["text"] == CORRECTION_TEXT
    assert correction["datePublished"] == "2026-12-01"
    assert correction["@id"] == f"{site.settings.site_url}{url}#correction-{CORRECTION_ID}"
    assert data["isBasedOn"][0]["@id"] == f"https://arxiv.org/abs/{HOSTILE_ID}"


def test_hostile_title_produces_safe_head(fixture_pages: tuple[Any, dict[str, RenderedPage]]) -> None:
    _, pages = fixture_pages
    page = pages[f"papers/{HOSTILE_ID}/"]
    source = page.head
    # Nothing in the title opens or closes an element: one JSON-LD script, closed once.
    assert source.count("<script") == 1 and source.count("</script>") == 1
    assert "alert(1)</script>" not in source
    # R&D is R&amp;D in the attribute source, which a browser reads back as R&D.
    assert 'content="R&amp;D &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt; &#34;quoted&#34;' in source
    head = parse_head(source)
    assert head.script_starts == 1
    assert head.values("citation_title") == [HOSTILE_TITLE]
    assert head.values("citation_author") == HOSTILE_AUTHORS
    assert head.prop("og:title") == HOSTILE_TITLE
    (data,) = head.jsonld()
    nodes = graph_nodes(data)
    assert by_type(nodes, "ScholarlyArticle")[0]["name"] == HOSTILE_TITLE
    assert "\\u003c/script\\u003e" in source and "R\\u0026D" in source
    assert len(by_type(nodes, "ClaimReview")) == len(FORMULA_CLAIMS)  # pointers to the claim pages' reviews


def test_hostile_claim_page_head(fixture_pages: tuple[Any, dict[str, RenderedPage]]) -> None:
    _, pages = fixture_pages
    claim_pages = [p for p in pages.values() if p.kind == "claim" and HOSTILE_ID in json.dumps(p.record_json)]
    assert len(claim_pages) == len(FORMULA_CLAIMS)
    for page in claim_pages:
        head = parse_head(page.head)
        assert head.script_starts == 1
        (data,) = head.jsonld()
        assert data["itemReviewed"]["appearance"]["name"] == HOSTILE_TITLE
        assert data["claimReviewed"] in FORMULA_CLAIMS
        assert "reviewAspect" in data  # the paper is retracted


def test_head_reaches_the_built_html(project: Path) -> None:
    """Through MkDocs: overrides/main.html prints the head metadata into <head>."""
    add_fixture_records(project, release="2026.1")
    assert mkdocs_build(project, strict=False, site_dir=str(project / "site")) == 0
    html = (project / "site" / "papers" / HOSTILE_ID / "index.html").read_text(encoding="utf-8")
    head_html = html[: html.index("</head>")]
    head = parse_head(head_html)
    assert head.values("citation_title") == [HOSTILE_TITLE]
    (data,) = head.jsonld()
    assert by_type(graph_nodes(data), "ScholarlyArticle")[0]["name"] == HOSTILE_TITLE
    assert any(link.get("type") == "application/atom+xml" for link in head.links)
    assert "<script>alert(1)</script>" not in html
