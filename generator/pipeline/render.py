"""Render stage: the linked site -> HTML fragments, one per page, through Jinja.

Pages reach MkDocs as finished HTML (see mkdocs_hooks), which builds far
faster than sending generated Markdown through Python-Markdown and means no
contributor text is ever parsed as Markdown. Autoescape is on, undefined
variables are errors, and templates in `overrides/kb/` win over the bundled ones.
"""

from __future__ import annotations

import functools
import json
import posixpath
import unicodedata
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape

from generator import urls
from generator.model.records import (
    LEDGER_COLUMN_DOCS,
    LEDGER_COLUMNS,
    OPTIONAL_LEDGER_COLUMNS,
    VOCABULARIES,
    Claim,
    Paper,
    Synthesis,
)
from generator.pipeline.link import Site

TEMPLATE_DIR = Path(__file__).parents[1] / "templates"


@dataclass(frozen=True)
class TocEntry:
    title: str
    anchor: str
    level: int = 2


@dataclass
class RenderedPage:
    """One generated page, as MkDocs and `kb generate` receive it."""

    url: str
    kind: str
    title: str
    description: str
    html: str
    toc: tuple[TocEntry, ...] = ()
    head: str = ""
    record_file: str = ""
    record_json: dict[str, Any] | None = None


@dataclass(frozen=True)
class StaticFile:
    """A file copied into the site as is (JSON twins, data releases, redirects)."""

    path: str
    content: bytes


@dataclass
class Output:
    pages: list[RenderedPage] = field(default_factory=list)
    files: list[StaticFile] = field(default_factory=list)


# --- text safety ------------------------------------------------------------------


def visible_text(value: object) -> Markup:
    """Escape contributor text and show invisible format characters as visible codes."""
    text = "" if value is None else str(value)
    if not text.isascii() and any(unicodedata.category(ch) == "Cf" for ch in text):
        parts = [
            Markup('<span class="kb-invisible" title="invisible character">U+{:04X}</span>').format(ord(ch))
            if unicodedata.category(ch) == "Cf"
            else escape(ch)
            for ch in text
        ]
        return Markup("").join(parts)
    return escape(text)


def plain_text(value: object) -> str:
    """Text for attributes and titles: invisible characters made visible, nothing else changed."""
    text = "" if value is None else str(value)
    if text.isascii():  # ASCII has no format characters: the common case stays fast
        return text
    return "".join(f"[U+{ord(ch):04X}]" if unicodedata.category(ch) == "Cf" else ch for ch in text)


def json_for_script(data: object) -> Markup:
    """JSON safe inside <script>: `<`, `>` and `&` are escaped so `</script>` cannot close it."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return Markup(text)


def make_environment(root: Path) -> jinja2.Environment:
    """Overrides first (`overrides/kb/...`), then the bundled templates."""
    loader = jinja2.ChoiceLoader(
        [jinja2.FileSystemLoader(str(root / "overrides")), jinja2.FileSystemLoader(str(TEMPLATE_DIR))]
    )
    env = jinja2.Environment(
        loader=loader,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["text"] = visible_text
    env.filters["plain"] = plain_text
    env.filters["tojson_script"] = json_for_script
    env.globals["vocabularies"] = VOCABULARIES
    return env


# --- page-relative links ---------------------------------------------------------------


@dataclass(frozen=True)
class PageLinks:
    """Relative links from one page, so the site works under any base path and from file://."""

    page_url: str
    settings_repo: str
    edit_base: str

    def to(self, target_url: str) -> str:
        return relative_url(self.page_url, target_url)

    def record(self, record_id: str) -> str:
        return self.to(urls.record_url(record_id))

    def badge(self, vocab: str, value: str) -> str:
        return self.to(f"methodology/#{vocab}-{slugify(value)}")

    def edit(self, repo_path: str) -> str:
        return f"{self.edit_base}{repo_path}" if self.edit_base else ""

    def view_row(self, repo_path: str, line: int) -> str:
        if not self.settings_repo:
            return ""
        return f"{self.settings_repo.rstrip('/')}/blob/main/{repo_path}#L{line}"

    def report(self, what: str, page_url: str) -> str:
        if not self.settings_repo:
            return ""
        query = urllib.parse.urlencode({"title": f"Problem with {what}", "body": f"Page: {page_url}\nWhat is wrong:\n"})
        return f"{self.settings_repo.rstrip('/')}/issues/new?{query}"


@functools.lru_cache(maxsize=65536)
def relative_url(page_url: str, target_url: str) -> str:
    """`papers/1/` -> `taxonomy/x/` gives `../../taxonomy/x/`; anchors are kept."""
    anchor = ""
    if "#" in target_url:
        target_url, anchor = target_url.split("#", 1)
        anchor = "#" + anchor
    relative = posixpath.relpath(target_url or ".", page_url or ".")
    if target_url.endswith("/") and not relative.endswith("/"):
        relative += "/"
    return relative + anchor


@functools.lru_cache(maxsize=4096)
def slugify(value: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in value.casefold()).strip("-")


# --- view helpers ------------------------------------------------------------------------


@dataclass(frozen=True)
class Badge:
    vocab: str
    value: str
    label: str

    @property
    def css(self) -> str:
        return f"kb-badge kb-badge--{slugify(self.vocab)} kb-v-{slugify(self.value) or 'empty'}"

    @property
    def tooltip(self) -> str:
        vocabulary = VOCABULARIES[self.vocab]
        return f"{vocabulary.name}: {self.value} — {vocabulary.describe(self.value)}"


def badge(vocab: str, value: str, label: str = "") -> Badge:
    return Badge(vocab, value, label or value)


# --- page builders ------------------------------------------------------------------------


class Renderer:
    def __init__(self, site: Site) -> None:
        self.site = site
        self.env = make_environment(site.root)
        edit_uri = site.settings.edit_uri.strip("/")
        repo = site.settings.repo_url.rstrip("/")
        edit_root = edit_uri.rsplit("/", 1)[0] if edit_uri.endswith("content") else edit_uri
        self.edit_base = f"{repo}/{edit_root}/" if repo and edit_root else ""

    def links(self, url: str) -> PageLinks:
        return PageLinks(url, self.site.settings.repo_url, self.edit_base)

    def page(self, template: str, url: str, kind: str, title: str, description: str, **context: Any) -> RenderedPage:
        links = self.links(url)
        html = self.env.get_template(f"kb/{template}").render(
            site=self.site, links=links, badge=badge, page_url=url, title=title, **context
        )
        toc = tuple(TocEntry(t, a) for t, a in context.get("toc", ()))
        return RenderedPage(url=url, kind=kind, title=title, description=description, html=html, toc=toc)

    def badge_macro(self) -> Callable[[Badge], Markup]:
        """The badge macro bound to the methodology page, so the methodology shows each badge as readers see it."""
        macro = self.env.get_template("kb/partials/macros.html").module.show_badge  # type: ignore[attr-defined]
        links = self.links("methodology/")
        return lambda b: Markup(macro(links, b))

    def render_all(self, extra_builders: Iterable[Callable[[Renderer, Output], None]] = ()) -> Output:
        output = Output()
        for pid in sorted(self.site.papers):
            output.pages.append(self.paper_page(pid))
        for sid in sorted(self.site.corpus.syntheses):
            output.pages.append(self.synthesis_page(sid))
        for eid in sorted(self.site.corpus.externals):
            output.pages.append(self.external_page(eid))
        for slug in sorted(self.site.corpus.categories):
            output.pages.append(self.category_page(slug))
        claims = self.all_claims()
        for claim in claims:
            output.pages.append(self.claim_page(claim))
        output.pages.extend(self.index_pages(claims))
        for builder in extra_builders:
            builder(self, output)
        self.site.stats.rendered_pages = len(output.pages)
        self.site.stats.rendered_claims = sum(1 for p in output.pages if p.kind == "claim")
        return output

    def all_claims(self) -> list[Claim]:
        return [claim for pid in sorted(self.site.claims_by_paper) for claim in self.site.claims_by_paper[pid]]

    def paper_page(self, pid: str) -> RenderedPage:
        site = self.site
        loaded = site.papers[pid]
        paper: Paper = loaded.record
        claims = site.claims_by_paper.get(pid, [])
        is_hub = pid in site.hubs
        toc = [("Summary", "summary"), ("Claims", "claims")]
        if is_hub:
            toc.append(("Hub", "hub"))
        if paper.reported:
            toc.append(("Reported by other sources", "reported"))
        toc += [("Citations", "citations"), ("Cite this page", "cite")]
        page = self.page(
            "paper.html",
            urls.paper_url(pid),
            "paper",
            paper.title,
            paper.summary or f"Claims and citations recorded for arXiv:{pid}.",
            paper=paper,
            pid=pid,
            record_file=loaded.doc.path,
            claims=claims,
            cites=site.cites.get(pid, []),
            cited_by=site.cited_by.get(pid, []),
            syntheses=site.syntheses_by_paper.get(pid, []),
            is_hub=is_hub,
            roles=site.role_summary(pid) if is_hub else [],
            polarities=site.polarity_summary(pid) if is_hub else [],
            co_cited=site.co_cited(pid) if is_hub else [],
            retraction=site.corpus.retractions.get(pid),
            toc=toc,
        )
        page.record_file = loaded.doc.path
        page.record_json = {"record": paper.model_dump(mode="json"), "claims": [claim_json(c) for c in claims]}
        return page

    def synthesis_page(self, sid: str) -> RenderedPage:
        loaded = self.site.corpus.syntheses[sid]
        synthesis: Synthesis = loaded.record
        toc = [
            ("Research question", "research-question"),
            ("Verification level", "verification-level"),
            ("Quality tier", "quality-tier"),
            ("Quality dimensions", "quality-dimensions"),
            ("Correction record", "correction-record"),
            ("Provenance", "provenance"),
            ("Cite this page", "cite"),
        ]
        page = self.page(
            "synthesis.html",
            urls.synthesis_url(sid),
            "synthesis",
            synthesis.title,
            synthesis.research_question,
            synthesis=synthesis,
            record_file=loaded.doc.path,
            toc=toc,
        )
        page.record_file = loaded.doc.path
        page.record_json = {"record": synthesis.model_dump(mode="json")}
        return page

    def external_page(self, eid: str) -> RenderedPage:
        loaded = self.site.corpus.externals[eid]
        work = loaded.record
        page = self.page(
            "external.html",
            urls.external_url(eid),
            "external",
            work.title,
            f"A cited work outside arXiv: {work.title}.",
            work=work,
            record_file=loaded.doc.path,
            cited_by=self.site.cited_by.get(eid, []),
            toc=[("Cited by", "cited-by")],
        )
        page.record_file = loaded.doc.path
        page.record_json = {"record": work.model_dump(mode="json")}
        return page

    def category_page(self, slug: str) -> RenderedPage:
        site = self.site
        category = site.corpus.categories[slug]
        subtree = site.descendants(slug)
        papers = sorted({pid for s in subtree for pid in site.papers_by_category.get(s, [])})
        syntheses = sorted({sid for s in subtree for sid in site.syntheses_by_category.get(s, [])})
        claims = [c for pid in papers for c in site.claims_by_paper.get(pid, [])]
        ancestors: list[str] = []
        parent = category.parent
        while parent and parent in site.corpus.categories and parent not in ancestors:
            ancestors.insert(0, parent)
            parent = site.corpus.categories[parent].parent
        page = self.page(
            "category.html",
            urls.category_url(slug),
            "category",
            category.title,
            category.description or f"Papers, claims and syntheses in {category.title}.",
            category=category,
            ancestors=ancestors,
            subcategories=site.children.get(slug, []),
            papers=papers,
            syntheses=syntheses,
            claims=claims,
            toc=[("Papers", "papers"), ("Claims", "claims"), ("Syntheses", "syntheses")],
        )
        page.record_json = {"category": category.model_dump(mode="json"), "papers": papers, "syntheses": syntheses}
        return page

    def claim_page(self, claim: Claim) -> RenderedPage:
        paper = self.site.papers.get(claim.paper_base)
        title = f"Claim {claim.claim_id}"
        page = self.page(
            "claim.html",
            urls.claim_url(claim.claim_id),
            "claim",
            title,
            claim.claim,
            claim=claim,
            paper=paper.record if paper else None,
            toc=[("Claim", "claim"), ("Cite this claim", "cite")],
        )
        page.record_file = claim.ledger
        page.record_json = claim_json(claim)
        return page

    def index_pages(self, claims: list[Claim]) -> list[RenderedPage]:
        site = self.site
        rows = facet_rows(site, claims)
        pages = [
            self.page(
                "papers_index.html", "papers/", "index", "All papers", "Every paper in the knowledge base.",
                papers=sorted(site.papers.values(), key=lambda p: p.record.id),
            ),
            self.page(
                "syntheses_index.html", "syntheses/", "index", "All syntheses",
                "Synthesis reports grouped by quality tier and verification level.",
                groups=group_syntheses(site),
            ),
            self.page(
                "taxonomy_index.html", "taxonomy/", "index", "Taxonomy", "The category tree with counts.",
                roots=site.children.get(None, []), counts=category_counts(site),
            ),
            self.page(
                "claims_index.html", "claims/", "explorer", "Claim explorer",
                "Every claim across all ledgers, with filters.",
                claims=claims, facets=claim_facets(rows), facet_data=rows,
            ),
            self.page(
                "methodology.html", "methodology/", "methodology", "Methodology",
                "What every badge and vocabulary means.",
                toc=[(v.name, key) for key, v in VOCABULARIES.items()],
                ledger_columns=LEDGER_COLUMNS, ledger_column_docs={**LEDGER_COLUMN_DOCS, **OPTIONAL_LEDGER_COLUMNS},
                slug=slugify, show=self.badge_macro(),
            ),
        ]  # fmt: skip
        pages[0].record_json = {"papers": sorted(site.papers)}
        return pages


def claim_json(claim: Claim) -> dict[str, Any]:
    return {
        "claim_id": claim.claim_id,
        "paper_id": claim.paper_id,
        "claim": claim.claim,
        "claim_status": claim.claim_status,
        "evidence_status": claim.evidence_status,
        "source_depth": claim.source_depth,
        "source_quote": claim.source_quote,
        "page_or_section": claim.page_or_section,
        "taxonomy_fit": claim.taxonomy_fit_raw,
        "audit_status": claim.audit_raw,
        "ledger": claim.ledger,
        "row": claim.row,
    }


@dataclass(frozen=True)
class SynthesisGroup:
    tier: str
    level: str
    ids: tuple[str, ...]


def group_syntheses(site: Site) -> list[SynthesisGroup]:
    tiers = list(VOCABULARIES["tier"].values)
    groups: dict[tuple[str, str], list[str]] = {}
    for sid, loaded in site.corpus.syntheses.items():
        key = (loaded.record.quality_tier.tier, loaded.record.verification_level.paper_level)
        groups.setdefault(key, []).append(sid)
    return [
        SynthesisGroup(tier, level, tuple(sorted(ids)))
        for (tier, level), ids in sorted(groups.items(), key=lambda item: (tiers.index(item[0][0]), item[0][1]))
    ]


@dataclass(frozen=True)
class Facet:
    key: str
    label: str
    values: tuple[tuple[str, int], ...]


FACET_LABELS = {
    "claim_status": "Claim status",
    "evidence_status": "Evidence",
    "source_depth": "Source depth",
    "audit": "Audit",
    "fit": "Taxonomy fit",
    "category": "Category",
    "paper": "Paper",
}


def claim_facets(rows: dict[str, dict[str, list[str]]]) -> list[Facet]:
    facets = []
    for key, label in FACET_LABELS.items():
        counts: dict[str, int] = {}
        for row in rows.values():
            for value in row[key]:
                counts[value] = counts.get(value, 0) + 1
        facets.append(Facet(key, label, tuple(sorted(counts.items()))))
    return facets


@dataclass(frozen=True)
class CategoryCount:
    papers: int
    claims: int
    syntheses: int


def category_counts(site: Site) -> dict[str, CategoryCount]:
    counts = {}
    for slug in site.corpus.categories:
        subtree = site.descendants(slug)
        papers = {pid for s in subtree for pid in site.papers_by_category.get(s, [])}
        syntheses = {sid for s in subtree for sid in site.syntheses_by_category.get(s, [])}
        claims = sum(len(site.claims_by_paper.get(pid, [])) for pid in papers)
        counts[slug] = CategoryCount(len(papers), claims, len(syntheses))
    return counts


def facet_rows(site: Site, claims: list[Claim]) -> dict[str, dict[str, list[str]]]:
    """Per claim id, the facet values the explorer filters on (categories are per paper)."""
    rows: dict[str, dict[str, list[str]]] = {}
    for claim in claims:
        paper = site.papers.get(claim.paper_base)
        categories = [claim.category] if claim.category else list(paper.record.taxonomy) if paper else []
        rows[claim.claim_id] = {
            "claim_status": [claim.claim_status],
            "evidence_status": [claim.evidence_status],
            "source_depth": [claim.source_depth],
            "audit": [claim.audit.result],
            "fit": [claim.taxonomy_fit.verdict],
            "category": categories,
            "paper": [claim.paper_base],
        }
    return rows
