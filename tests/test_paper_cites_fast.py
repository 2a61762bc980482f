"""The citation lists of paper pages (Cites, Cited by, a hub's shares and co-cited works), of cited-by pages and
of external works' pages are made in Python (render.py CitationRows) while the templates they stand in for are
the bundled ones: every page must be, byte for byte, what the templates make; an override of any of those
templates is rendered by Jinja."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from generator import urls
from generator.commands.synth import synthesize
from generator.model.records import VOCABULARIES
from generator.model.site import Edge, Index, Site
from generator.pipeline import listings
from generator.pipeline.build import collect
from generator.pipeline.cache import RenderCache
from generator.pipeline.render import MACROS, CitationRows, Renderer
from tests.conftest import FIXTURE_CORPUS, REPO, copy_project
from tests.helpers import write_override
from tests.test_exports import add_fixture_records
from tests.test_paper_rows_fast import HOSTILE

CALLERS = ("kb/paper.html", "kb/cited_by.html", "kb/external.html")
KINDS = tuple((caller, MACROS) for caller in CALLERS)
CITED_BY = "No paper in this corpus records a citation of this work."


def lists_of(renderer: Renderer) -> CitationRows:
    lists = renderer.env.globals["citation_rows"]
    assert isinstance(lists, CitationRows)
    return lists


def pages(site: Site, templates: bool = False, renderer: Renderer | None = None) -> dict[str, str]:
    """URL -> HTML of every paper, cited-by and external work page; with `templates`, their lists made by Jinja."""
    renderer = renderer or Renderer(site)
    lists = lists_of(renderer)
    if templates:
        lists.bundled.update(dict.fromkeys(KINDS, False))  # what an override makes it find
    made = [renderer.paper_page(pid) for pid in sorted(site.papers)]
    made += [page for pid in listings.cited_by_papers(site) for page in renderer.cited_by_pages(pid)]
    made += [renderer.external_page(eid) for eid in sorted(site.corpus.externals)]
    made_here = any(lists.stands_in(kind) for kind in KINDS) and any(site.cited_by.values())
    assert bool(lists.badges) == made_here, "Python made lists only if it may"
    return {page.url: page.html for page in made}


def assert_same_pages(site: Site) -> dict[str, str]:
    assert all(lists_of(Renderer(site)).stands_in(kind) for kind in KINDS), "the Python lists are the ones shown"
    fast, template = pages(site), pages(site, templates=True)
    assert fast.keys() == template.keys()
    for url, html in fast.items():
        assert html == template[url], url
    return fast


ROLES, POLARITIES = list(VOCABULARIES["role"].values), list(VOCABULARIES["polarity"].values)
SHARES = (listings.SHARE_SHOWN, listings.SHARE_SHOWN + 1, listings.SHARE_SHOWN - 1)
"""Papers citing the hub of `cited_more` in its first roles: as many as a share names, one more, fewer."""


def cited_more(site: Site) -> Site:
    """The site with many more citations: its first paper cited by 60 papers outside the corpus, and only by
    them (a hub with cited-by pages, whose shares name all or only some of their papers: `SHARES`); its second
    paper citing every other record and an unknown id; half the contexts hostile text, some roles and
    polarities missing."""
    papers, hub = sorted(site.papers), sorted(site.papers)[0]
    example = next(edge for edges in site.cites.values() for edge in edges)
    hub_roles = [role for role, size in zip(ROLES, SHARES, strict=False) for _ in range(size)]

    def edge(n: int, citing: str, target: str, role: str | None) -> Edge:
        return dataclasses.replace(
            example, citing=citing, target=target, context=HOSTILE if n % 2 else "", role=role,
            polarity=None if n % 4 == 0 else POLARITIES[n % len(POLARITIES)],
        )  # fmt: skip

    targets = [*papers[1:], *sorted(site.corpus.externals), *sorted(site.corpus.syntheses), "2999.99999"]
    cites = {pid: [e for e in edges if e.target != hub] for pid, edges in site.cites.items()}
    cites[papers[1]] = [
        *cites.get(papers[1], ()),
        *(
            edge(n, papers[1], target, None if n % 3 == 0 else ROLES[n % len(ROLES)])
            for n, target in enumerate(targets)
        ),
    ]
    for n in range(60):
        cites[f"2998.{n:05d}"] = [edge(n, f"2998.{n:05d}", hub, hub_roles[n] if n < len(hub_roles) else None)]
    cited_by: dict[str, list[Edge]] = defaultdict(list)
    for e in (e for edges in cites.values() for e in edges):
        cited_by[e.target].append(e)
    return dataclasses.replace(site, cites=Index(cites), cited_by=Index(cited_by), hubs=site.hubs | {hub})


@pytest.fixture(scope="module")
def corpora(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Site]:
    """The fixture corpus (external works), the bundled one, the bundled one with a hostile paper (its title and
    citation context hostile text, citing a hub below the threshold), synthetic ones (hubs, papers no paper
    cites, missing roles and polarities), and two of them with many more citations (`cited_more`)."""
    root = tmp_path_factory.mktemp("paper-cites")
    roots = {
        "fixture": copy_project(root / "fixture", FIXTURE_CORPUS),
        "bundled": REPO,
        "hostile": add_fixture_records(copy_project(root / "hostile")),
    }
    for seed in (3, 11):
        roots[f"synth-{seed}"] = root / f"synth-{seed}"
        synthesize(REPO, roots[f"synth-{seed}"], papers=40, claims=400, seed=seed)
    sites = {name: collect(path) for name, path in roots.items()}
    sites["hostile, cited more"] = cited_more(sites["hostile"])
    sites["synth-11, cited more"] = cited_more(sites["synth-11"])
    return sites


@pytest.mark.parametrize("corpus", ["fixture", "bundled", "synth-3", "synth-11"])
def test_lists_made_in_python_are_the_templates_lists(corpora: dict[str, Site], corpus: str) -> None:
    site = corpora[corpus]
    html = assert_same_pages(site)
    papers = [page for url, page in html.items() if url in {urls.paper_url(pid) for pid in site.papers}]
    if corpus == "bundled":  # no citations at all
        assert all(CITED_BY in page and "Outgoing citations not recorded" in page for page in papers)
        return
    assert any(CITED_BY in page for page in papers), "a paper no paper cites"
    assert any("Outgoing citations not recorded" in page for page in papers), "a paper citing nothing"
    assert any('<h2 id="hub">Hub: how the corpus cites this work</h2>' in page for page in papers), "a hub"
    external = [html[urls.external_url(eid)] for eid in site.corpus.externals if site.cited_by.get(eid)]
    assert external and all('<ul class="kb-edges"><li><a href="../../papers/' in page for page in external)
    if corpus.startswith("synth"):
        assert any("Role not recorded" in page for page in papers), "a citation with no role"
        assert any("Polarity not recorded" in page for page in papers), "a citation with no polarity"
        assert any('<ol class="kb-co-cited"><li>' in page for page in papers), "co-cited works"


@pytest.mark.parametrize("corpus", ["hostile", "hostile, cited more", "synth-11, cited more"])
def test_lists_made_in_python_escape_and_mark_text_as_the_templates_do(corpora: dict[str, Site], corpus: str) -> None:
    """Hostile titles and citation contexts (markup, template syntax, Markdown, invisible characters), unknown
    ids, externals and syntheses cited, hubs by count and by the maintainers' word, cited-by pages."""
    site = corpora[corpus]
    html = assert_same_pages(site)
    if corpus == "hostile":
        assert any("How the corpus cites this work</h2>" in page for page in html.values()), "a canonical hub"
        cited = html[urls.paper_url("2503.23007")]  # cited by the hostile paper
        assert "R&amp;D &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt; &#34;quoted&#34; {braces}" in cited
        return
    hub = sorted(site.papers)[0]
    first, second = (html[urls.paper_url(pid)] for pid in sorted(site.papers)[:2])
    assert "all 60 citations</a> are listed on their own pages" in first
    assert "The first 5 by id; the other 1 are in" in first and "The first 5 by id; the other 40 are in" in first
    named_all = first.split("<strong>5 of 60</strong>")[1].split("</details>")[0]
    assert named_all.count("<li>") == 5 and "The first" not in named_all, "a share of 5 names them all"
    assert html[listings.cited_by_url(hub)].count("<li>") == len(site.cited_by[hub])
    assert "<blockquote>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; {{ 7*7 }} {% if true %}" in second
    assert ">2999.99999</a>" in second and "<script>alert" not in second
    assert "U+200B" in second, "invisible characters shown"


def test_lists_made_in_python_record_the_lookups_the_templates_make(corpora: dict[str, Site]) -> None:
    """`kb serve` makes a page again when a lookup it made (a record's title) answers otherwise: the Python
    lists must make the same lookups, page by page, or an edit would leave a page stale."""

    def lookups(site: Site, templates: bool) -> dict[str, frozenset[Any]]:
        cache = RenderCache()
        pages(site, templates, cache.renderer(site))
        return {url: entry.reads for url, entry in cache.entries.items()}

    urls_seen = set()
    for name in ("hostile, cited more", "synth-11, cited more"):
        site = corpora[name]
        made, expected = lookups(site, templates=False), lookups(site, templates=True)
        assert made == expected, name
        urls_seen |= made.keys()
    assert any("/cited-by/" in url for url in urls_seen) and any(url.startswith("works/") for url in urls_seen)


# A change to each template that shows in the citation lists it makes or calls for.
OVERRIDES = {
    "kb/paper.html": [
        ('<ul class="kb-edges">{% for edge in cites %}', '<ul class="kb-edges kb-overridden">{% for edge in cites %}'),
        ('<ol class="kb-co-cited">', '<ol class="kb-co-cited kb-overridden">'),
        ("citing_list(links, site, cited_by)", "citing_list(links, site, cited_by | reverse | list)"),
    ],
    "kb/cited_by.html": [("citing_list(links, site, edges)", "citing_list(links, site, edges | reverse | list)")],
    "kb/external.html": [('<ul class="kb-edges">', '<ul class="kb-edges kb-overridden">')],
    MACROS: [
        ('<a href="{{ links.record(record_id) }}">', '<a class="kb-overridden" href="{{ links.record(record_id) }}">'),
        ('<ul class="kb-shares">', '<ul class="kb-shares kb-overridden">'),
        (
            '<ul class="kb-edges">{% for edge in edges %}',
            '<ul class="kb-edges kb-reversed">{% for edge in edges | reverse %}',
        ),
    ],
}


@pytest.mark.parametrize("template", sorted(OVERRIDES))
def test_an_overridden_template_makes_the_lists_through_jinja(tmp_path: Path, template: str) -> None:
    project = tmp_path / "project"
    synthesize(REPO, project, papers=40, claims=400, seed=5)
    before = pages(cited_more(collect(project)))
    write_override(project, template, *OVERRIDES[template])
    site = cited_more(collect(project))
    lists = lists_of(Renderer(site))
    assert {kind: lists.stands_in(kind) for kind in KINDS} == {kind: template not in kind for kind in KINDS}
    made = pages(site)
    assert made == pages(site, templates=True), "the lists are the overriding templates' own"
    changed = {url for url in made if made[url] != before[url]}
    kinds = {url: "kb/cited_by.html" if "/cited-by/" in url else "kb/paper.html" for url in made}
    kinds.update({urls.external_url(eid): "kb/external.html" for eid in site.corpus.externals})
    assert all(template in (MACROS, kinds[url]) for url in changed), "only the pages of the overridden template"
    shown = {  # pages that show each override's change
        "kb/paper.html": {urls.paper_url(pid) for pid in site.papers if site.cites.get(pid)},
        "kb/cited_by.html": {url for url in made if "/cited-by/" in url},
        "kb/external.html": {urls.external_url(eid) for eid in site.corpus.externals if site.cited_by.get(eid)},
    }
    expected = set().union(*shown.values()) if template == MACROS else shown[template]
    assert expected and expected <= changed
