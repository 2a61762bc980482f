"""Head metadata for generated pages: Highwire/Google Scholar tags, OpenGraph and JSON-LD.

* Paper pages describe the arXiv paper the way reference managers expect
  (`citation_title`, one `citation_author` per author, `citation_arxiv_id`,
  `citation_pdf_url`, ...), and carry a JSON-LD graph: the ScholarlyArticle,
  the WebPage about it, and a reference (`@id`, on the claim's page) to the
  ClaimReview of each of its claims.
* Claim pages carry their claim's whole ClaimReview, whose `itemReviewed` is a
  schema.org Claim appearing in the article.
* Synthesis pages are a CreativeWork with its correction history as
  schema.org `correction` entries (CorrectionComment).
* Every generated page but a claim page gets OpenGraph tags and the Atom feed link. A claim
  page (100,000 of them) would repeat in them its `<title>`, description and canonical link,
  which link previews fall back to; its ClaimReview names the site as its author.

All of it goes through `templates/kb/partials/head.html` with autoescape on,
and JSON-LD through `json_for_script`, so contributor text cannot leave its
attribute or script. Tags already set by an earlier builder are kept.
"""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Iterable
from typing import Any

from generator import urls
from generator.model.paper_ids import external_link, paper_iri, paper_label, paper_scheme, scheme_doi, scheme_value
from generator.model.records import Claim, ClaimStatus, Paper, Synthesis, arxiv_base, marked_text
from generator.model.site import Site
from generator.pipeline.render import Output, RenderedPage, Renderer, escape_text, json_for_script, plain_text
from generator.publish.cite import absolute_url, maintainers, site_base

SCHEMA_ORG = "https://schema.org"
FEED_PATH = "feed.xml"
ARTICLE_KINDS = frozenset({"paper", "synthesis", "claim"})
PLAIN_KINDS = frozenset({"index", "category", "explorer", "methodology", "data"})


def arxiv_abs(identifier: str) -> str:
    return f"https://arxiv.org/abs/{identifier}"


def arxiv_pdf(identifier: str) -> str:
    return f"https://arxiv.org/pdf/{identifier}"


def scholar_date(iso: str | None) -> str:
    """Google Scholar wants `YYYY/MM/DD` (or just `YYYY`)."""
    return iso.replace("-", "/") if iso else ""


# --- JSON-LD pieces ------------------------------------------------------------------------


def website(site: Site) -> dict[str, Any]:
    node: dict[str, Any] = {"@type": "WebSite", "name": site.settings.site_name}
    if site_base(site.settings):
        node["url"] = site_base(site.settings)
    return node


def organisation(name: str) -> dict[str, Any]:
    return {"@type": "Organization", "name": name}


def defined_terms(site: Site, slugs: list[str]) -> list[dict[str, Any]]:
    """Taxonomy categories as schema.org DefinedTerms of the knowledge base's term set."""
    term_set = {
        "@type": "DefinedTermSet",
        "name": f"{site.settings.site_name} taxonomy",
        "url": absolute_url(site.settings, "taxonomy/"),
    }
    terms = []
    for slug in slugs:
        category = site.corpus.categories.get(slug)
        if category is None:
            continue
        terms.append({
            "@type": "DefinedTerm", "termCode": slug, "name": category.title,
            "url": absolute_url(site.settings, urls.category_url(slug)), "inDefinedTermSet": term_set,
        })  # fmt: skip
    return terms


def article_reference(paper: Paper | None, paper_id: str) -> dict[str, Any]:
    """A pointer to the ScholarlyArticle a claim appears in (by its versionless arXiv IRI)."""
    node: dict[str, Any] = {"@type": "ScholarlyArticle", "@id": paper_iri(arxiv_base(paper_id))}
    if paper is not None:
        node["name"] = paper.title
    return node


def claim_review(site: Site, claim: Claim, appearance: dict[str, Any]) -> dict[str, Any]:
    """A claim's ClaimReview, as its own page carries it."""
    url = absolute_url(site.settings, urls.claim_url(claim.claim_id))
    review: dict[str, Any] = {
        "@type": "ClaimReview",
        "@id": f"{url}#review",
        "url": url,
        "identifier": claim.claim_id,
        "claimReviewed": claim.claim,
        "author": organisation(maintainers(site.settings)),
        "reviewRating": {
            "@type": "Rating",
            "alternateName": claim.claim_status,
            "ratingExplanation": ClaimStatus.describe(claim.claim_status),
        },
        "itemReviewed": {"@type": "Claim", "@id": f"{url}#claim", "appearance": appearance},  # its text: claimReviewed
    }
    if claim.source_quote:
        where = f" ({claim.page_or_section})" if claim.page_or_section else ""
        review["reviewBody"] = f"Evidence quoted from {paper_label(claim.paper_id)}{where}: {claim.source_quote}"
    if claim.paper_base in site.retracted_papers:
        review["reviewAspect"] = "The paper this claim appears in is retracted or withdrawn."
    return review


def paper_jsonld(site: Site, paper: Paper, page_url: str) -> dict[str, Any]:
    article_id = paper_iri(paper.id)
    identifiers: list[dict[str, Any]] = [
        {"@type": "PropertyValue", "propertyID": external_link(paper.id)[0], "value": scheme_value(paper.id)}
    ]
    article: dict[str, Any] = {
        "@type": "ScholarlyArticle",
        "@id": article_id,
        "url": article_id,
        "name": paper.title,
        "headline": paper.title,
        "identifier": identifiers,
        "author": [{"@type": "Person", "name": name} for name in paper.authors],
        "about": defined_terms(site, list(paper.taxonomy)),
    }
    if paper_scheme(paper.id) == "arxiv":
        article["encoding"] = {
            "@type": "MediaObject",
            "contentUrl": arxiv_pdf(paper.id),
            "encodingFormat": "application/pdf",
        }
    if paper.links.doi and not scheme_doi(paper.id):  # a DOI paper names its DOI once, as its id
        identifiers.append({"@type": "PropertyValue", "propertyID": "DOI", "value": paper.links.doi})
        article["sameAs"] = f"https://doi.org/{paper.links.doi}"
    if paper.year:
        article["datePublished"] = str(paper.year)
    if paper.summary:
        article["description"] = paper.summary
    if paper.abstract:
        article["abstract"] = paper.abstract
    if paper.venue:
        article["publisher"] = organisation(paper.venue)
    reference = {"@id": article_id}
    living = absolute_url(site.settings, page_url)
    webpage: dict[str, Any] = {
        "@type": "WebPage",
        "@id": living,
        "url": living,
        "name": paper.title,
        "mainEntity": reference,
        "isPartOf": website(site),
        "author": organisation(maintainers(site.settings)),
    }
    if paper.added:
        webpage["dateCreated"] = paper.added
    # Pointers only: each claim's page carries its whole ClaimReview (30 of them were a third of a paper page).
    reviews = [review_reference(site, claim) for claim in site.claims_by_paper.get(paper.id, [])]
    return {"@context": SCHEMA_ORG, "@graph": [article, webpage, *reviews]}


def review_reference(site: Site, claim: Claim) -> dict[str, Any]:
    """A claim's ClaimReview by reference: its `@id`, on the claim page that describes it in full."""
    return {"@type": "ClaimReview", "@id": absolute_url(site.settings, urls.claim_url(claim.claim_id)) + "#review"}


def synthesis_jsonld(site: Site, synthesis: Synthesis, page_url: str) -> dict[str, Any]:
    living = absolute_url(site.settings, page_url)
    record = synthesis.correction_record
    publisher = organisation(synthesis.provenance.publisher)
    work: dict[str, Any] = {
        "@context": SCHEMA_ORG,
        "@type": "CreativeWork",
        "@id": living,
        "url": living,
        "name": synthesis.title,
        "identifier": synthesis.id,
        "author": publisher,
        "publisher": publisher,
        "about": defined_terms(site, list(synthesis.taxonomy)),
        "creativeWorkStatus": record.status,
        "isPartOf": website(site),
        "isBasedOn": [
            {"@type": "ScholarlyArticle", "@id": arxiv_abs(pid), "name": site.title_of(pid)} for pid in synthesis.papers
        ],
        "correction": [
            {
                "@type": "CorrectionComment",
                "@id": f"{living}#correction-{event.id}",
                "identifier": event.id,
                "datePublished": event.date,
                "genre": event.type,
                "text": event.description,
                **({"about": {"@type": "Claim", "@id": absolute_url(site.settings, urls.claim_url(event.claim_id)) + "#claim"}}
                   if event.claim_id and _valid_claim_id(event.claim_id) else {}),
            }
            for event in record.corrections
        ],
    }  # fmt: skip
    if synthesis.abstract:
        work["abstract"] = synthesis.abstract
    if synthesis.research_question:
        work["description"] = synthesis.research_question
    if synthesis.added:
        work["datePublished"] = synthesis.added
    return work


def claim_jsonld(site: Site, claim: Claim) -> dict[str, Any]:
    loaded = site.papers.get(claim.paper_base)
    paper = loaded.record if loaded else None
    appearance = article_reference(paper, claim.paper_base)
    appearance["identifier"] = {
        "@type": "PropertyValue",
        "propertyID": external_link(claim.paper_id)[0],
        "value": scheme_value(claim.paper_id),
    }
    return {"@context": SCHEMA_ORG, **claim_review(site, claim, appearance)}


def _valid_claim_id(claim_id: str) -> bool:
    try:
        urls.claim_url(claim_id)
    except urls.UnsafeIdError:
        return False
    return True


# --- meta tags ------------------------------------------------------------------------------


def paper_meta(site: Site, paper: Paper, living: str) -> list[tuple[str, str]]:
    meta: list[tuple[str, str]] = [("citation_title", marked_text(paper, "title"))]
    meta += [("citation_author", name) for name in paper.authors]
    if paper.year:
        meta += [("citation_publication_date", str(paper.year)), ("citation_date", str(paper.year))]
    if paper_scheme(paper.id) == "arxiv":
        meta += [
            ("citation_arxiv_id", paper.id),
            ("citation_technical_report_institution", "arXiv"),
            ("citation_technical_report_number", f"arXiv:{paper.id}"),
            ("citation_abstract_html_url", arxiv_abs(paper.id)),
            ("citation_pdf_url", arxiv_pdf(paper.id)),
        ]
    else:
        meta.append(("citation_abstract_html_url", paper_iri(paper.id)))
    if paper.links.doi or scheme_doi(paper.id):
        meta.append(("citation_doi", paper.links.doi or scheme_doi(paper.id)))
    if living:
        meta.append(("citation_public_url", living))
    meta += [
        ("citation_keywords", site.corpus.categories[s].title) for s in paper.taxonomy if s in site.corpus.categories
    ]
    return meta


def synthesis_meta(site: Site, synthesis: Synthesis, living: str) -> list[tuple[str, str]]:
    publisher = synthesis.provenance.publisher
    meta: list[tuple[str, str]] = [("citation_title", marked_text(synthesis, "title")), ("citation_author", publisher)]
    if synthesis.added:
        meta += [
            ("citation_publication_date", scholar_date(synthesis.added)),
            ("citation_date", scholar_date(synthesis.added)),
        ]
    meta += [
        ("citation_technical_report_institution", publisher),
        ("citation_technical_report_number", synthesis.id),
        ("citation_publisher", publisher),
    ]
    if living:
        meta.append(("citation_public_url", living))
    meta += [
        ("citation_keywords", site.corpus.categories[s].title)
        for s in synthesis.taxonomy
        if s in site.corpus.categories
    ]
    return meta


# --- the builder ----------------------------------------------------------------------------


def head_context(
    renderer: Renderer, page: RenderedPage, claims: dict[str, Claim], records: dict[str, Any]
) -> dict[str, Any]:
    site = renderer.site
    settings = site.settings
    living = absolute_url(settings, page.url) if site_base(settings) else ""
    claim_page = page.kind == "claim"
    opengraph: list[tuple[str, str]] = [] if claim_page else [
        ("og:title", page.title),
        ("og:description", page.description),
        ("og:type", "article" if page.kind in ARTICLE_KINDS else "website"),
        ("og:site_name", settings.site_name),
        ("og:url", living),
    ]  # fmt: skip
    meta: list[tuple[str, str]] = []
    jsonld: dict[str, Any] | None = None
    record = records.get(page.url)
    if page.kind == "paper" and isinstance(record, Paper):
        meta, jsonld = paper_meta(site, record, living), paper_jsonld(site, record, page.url)
    elif page.kind == "synthesis" and isinstance(record, Synthesis):
        meta, jsonld = synthesis_meta(site, record, living), synthesis_jsonld(site, record, page.url)
    elif page.kind == "claim" and page.url in claims:
        jsonld = claim_jsonld(site, claims[page.url])
    # Relative on purpose: Material fetches a sitemap beside every rel=alternate link, and an
    # absolute URL would send a local build or a mirror to the published host.
    # Not on the explorer: that fetch (the whole sitemap, 1.4 MB at 10,000 papers) would be most of its first load.
    feed_url = "" if page.kind == "explorer" or claim_page else renderer.links(page.url).to(FEED_PATH)
    return {
        "meta": [(name, value) for name, value in meta if value],
        "opengraph": [(prop, value) for prop, value in opengraph if value],
        "feed_url": feed_url,
        "feed_title": f"{settings.site_name}: new records and corrections",
        "jsonld": jsonld,
    }


HEAD = "kb/partials/head.html"


def head_tags(values: dict[str, Any]) -> str:
    """head.html's tags for `values` (a `head_context`), made in Python while head.html is the bundled one, the
    same bytes (tests/test_render_cpu.py): a Jinja render per page, with a filter call and two escapes per tag,
    was most of the head pass."""
    lines = [
        f'<meta name="{escape_text(name)}" content="{escape_text(plain_text(value))}">'
        for name, value in values["meta"]
    ]
    lines += [
        f'<meta property="{escape_text(prop)}" content="{escape_text(plain_text(value))}">'
        for prop, value in values["opengraph"]
    ]
    if values["feed_url"]:
        title, href = escape_text(plain_text(values["feed_title"])), escape_text(values["feed_url"])
        lines.append(f'<link rel="alternate" type="application/atom+xml" title="{title}" href="{href}">')
    if values["jsonld"]:
        lines.append(f'<script type="application/ld+json">{json_for_script(values["jsonld"])}</script>')
    return "\n".join(lines)


def _records(renderer: Renderer, pages: Iterable[RenderedPage]) -> tuple[dict[str, Any], dict[str, Claim]]:
    """The records of paper and synthesis pages, and the claims of the claim pages among `pages`, by URL: claim
    pages are mostly written apart (claim_pages.py), and indexing 100,000 claims for none cost 0.3 s a build."""
    site = renderer.site
    records: dict[str, Any] = {urls.paper_url(pid): loaded.record for pid, loaded in site.papers.items()}
    records.update({urls.synthesis_url(sid): loaded.record for sid, loaded in site.corpus.syntheses.items()})
    claim_pages = {page.url for page in pages if page.kind == "claim"}
    claims = {}
    if claim_pages:
        claims = {
            url: claim for claim in renderer.all_claims() if (url := urls.claim_url(claim.claim_id)) in claim_pages
        }
    return records, claims


KnownHeads = dict[str, tuple[Any, Any]]
"""`kb serve`: the head each page got last build, by URL, with a digest of what it was made from."""


def render_head(
    renderer: Renderer,
    page: RenderedPage,
    context: tuple[dict[str, Any], dict[str, Claim]] | None = None,
    known: KnownHeads | None = None,
) -> None:
    """Add the head metadata of one page, keeping whatever an earlier builder put there. With `known`, a page
    whose head is made from what it was made from last build gets that head back instead of a new one."""
    if page.kind not in ARTICLE_KINDS and page.kind not in PLAIN_KINDS:
        return
    records, claims = context if context is not None else _records(renderer, [page])
    values = None
    if known is not None:
        inputs = _head_inputs(renderer.site, page, records)
        if inputs is None:
            values = head_context(renderer, page, claims, records)
            inputs = _head_digest(page, values)
        last = known.get(page.url)
        if last is not None and last[0] == inputs:
            page.head_body = last[1]
            return
    values = values or head_context(renderer, page, claims, records)
    if renderer.templates.stands_in((HEAD,)):
        head = head_tags(values)
    else:
        head = renderer.env.get_template(HEAD).render(**values).strip()
    page.head = f"{page.head}\n{head}" if page.head else head
    if known is not None:
        known[page.url] = (inputs, page.head_body)


def _head_inputs(site: Site, page: RenderedPage, records: dict[str, Any]) -> tuple[Any, ...] | None:
    """What the head of a paper page (`paper_meta`, `paper_jsonld`) or of a page that describes no record is made
    from, besides what every page shares (settings, taxonomy, templates: a change there empties `known`). Compared
    record and claims by identity first, so a rebuild need not make and digest the JSON-LD and meta tags of 10,000
    papers and 2,000 listing pages to find the one that changed. None for other pages: their heads are digested."""
    if page.kind in PLAIN_KINDS:
        return page.head_body, page.url, page.title, page.description, page.kind
    record = records.get(page.url)
    if page.kind != "paper" or not isinstance(record, Paper):
        return None
    claims = site.claims_by_paper[record.id]  # the very claims, compared by identity first
    return page.head_body, page.url, page.title, page.description, record, claims


def _head_digest(page: RenderedPage, values: dict[str, Any]) -> tuple[Any, ...]:
    """A digest, not the values, which would stay in memory for every page (5.8 MB pickled at 2,000 papers)."""
    return page.head_body, hashlib.sha256(pickle.dumps(values, protocol=5)).digest()


def add_head_metadata(renderer: Renderer, output: Output, known: KnownHeads | None = None) -> None:
    """Head metadata for every generated page there is so far; later builders call `render_head`."""
    context = _records(renderer, output.pages)
    for page in output.pages:
        render_head(renderer, page, context, known)
