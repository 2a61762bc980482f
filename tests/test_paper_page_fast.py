"""A paper page's category chips and source texts are made once per page depth, or in Python for an unflagged
text (render.py `Chips`, `SourceText`), while chips.html and source_text.html are the bundled ones, and a category
page's paper list in Python (`CategoryRows`) while category.html and macros.html are: every page must be, byte for
byte, what the macros make on each call; an override is called for every chip, text and paper."""

from __future__ import annotations

import dataclasses
import urllib.parse
from pathlib import Path
from typing import Any

import jinja2
import pytest
from markupsafe import escape

from generator import urls
from generator.commands.synth import synthesize
from generator.model.records import SourceFlag
from generator.model.site import Site
from generator.pipeline import listings
from generator.pipeline.build import collect
from generator.pipeline.cache import RenderCache
from generator.pipeline.contexts import SiteView
from generator.pipeline.render import (
    CHIPS,
    MACROS,
    SOURCE_TEXT,
    CategoryRows,
    Chips,
    PageLinks,
    Renderer,
    SourceText,
    escape_text,
    repo_path_url,
)
from tests.conftest import FIXTURE_CORPUS, REPO, copy_project
from tests.helpers import write_override
from tests.test_exports import add_fixture_records
from tests.test_paper_rows_fast import HOSTILE

KINDS = ((CHIPS,), (SOURCE_TEXT,), CategoryRows.LIST)


def parts_of(renderer: Renderer) -> tuple[Chips, SourceText, CategoryRows]:
    chips, texts, rows = (renderer.env.globals[name] for name in ("chips", "source_text", "category_rows"))
    assert isinstance(chips, Chips) and isinstance(texts, SourceText) and isinstance(rows, CategoryRows)
    return chips, texts, rows


def pages(site: Site, templates: bool = False, renderer: Renderer | None = None) -> dict[str, str]:
    """URL -> HTML of every paper and category page; with `templates`, each chip, text and category list made by
    its macro on every call."""
    renderer = renderer or Renderer(site)
    chips, *_ = parts = parts_of(renderer)
    if templates:
        for part in parts:
            part.bundled.update(dict.fromkeys(KINDS, False))  # what an override makes them find
    made = {urls.paper_url(pid): renderer.paper_page(pid).html for pid in sorted(site.papers)}
    made.update(
        {page.url: page.html for slug in sorted(site.corpus.categories) for page in renderer.category_pages(slug)}
    )
    kept = not templates and chips.stands_in((CHIPS,))
    assert bool(chips.made) == kept, "chips are kept only while the bundled macro makes them"
    return made


def flagged(site: Site) -> Site:
    """The site with every other paper's title, summary and abstract flagged as cut off, doubtful or both, the
    reasons hostile text; and a category titled like another, so its chips show their paths."""
    flags = [SourceFlag(truncated=HOSTILE), SourceFlag(suspect=HOSTILE), SourceFlag(truncated="cut", suspect=HOSTILE)]
    papers = dict(site.papers)
    for n, pid in enumerate(sorted(papers)[::2]):
        record = papers[pid].record
        fields = [f for f in ("title", "summary", "abstract") if getattr(record, f)][: n % 4]
        update = {"source_flags": {f: flags[(n + i) % 3] for i, f in enumerate(fields)}}
        papers[pid] = dataclasses.replace(papers[pid], record=record.model_copy(update=update))
    categories = dict(site.corpus.categories)
    first, second = sorted(categories)[:2]
    categories[second] = categories[second].model_copy(update={"title": categories[first].title})
    return dataclasses.replace(site, corpus=dataclasses.replace(site.corpus, papers=papers, categories=categories))


@pytest.fixture(scope="module")
def corpora(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Site]:
    """The fixture corpus, the bundled one, the bundled one with a hostile paper, a synthetic one, and the
    hostile and synthetic ones with flagged texts and two categories of one title (`flagged`)."""
    root = tmp_path_factory.mktemp("paper-page")
    roots = {
        "fixture": copy_project(root / "fixture", FIXTURE_CORPUS),
        "bundled": REPO,
        "hostile": add_fixture_records(copy_project(root / "hostile")),
        "synth": root / "synth",
    }
    synthesize(REPO, roots["synth"], papers=40, claims=400, seed=3)
    sites = {name: collect(path) for name, path in roots.items()}
    sites["hostile, flagged"] = flagged(sites["hostile"])
    sites["synth, flagged"] = flagged(sites["synth"])
    return sites


@pytest.mark.parametrize("corpus", ["fixture", "bundled", "hostile", "synth", "hostile, flagged", "synth, flagged"])
def test_parts_made_in_python_or_once_are_the_macros(corpora: dict[str, Site], corpus: str) -> None:
    site = corpora[corpus]
    assert all(part.stands_in(kind) for part in parts_of(Renderer(site)) for kind in KINDS), "the fast parts shown"
    fast, template = pages(site), pages(site, templates=True)
    assert fast.keys() == template.keys()
    for url, html in fast.items():
        assert html == template[url], url
    shown = "".join(fast.values())
    assert '<ul class="kb-paper-list"><li><a href="../../papers/' in shown, "a category lists papers"
    if corpus not in ("fixture", "bundled"):
        assert '</h2>\n<ul><li><a href="../../syntheses/' in shown, "and syntheses"
    assert 'class="kb-chip"' in shown and "Categories and their assignment are editorial" in shown
    if "flagged" in corpus:
        assert "kb-source-flag--truncated" in shown and "kb-source-flag--suspect" in shown
        assert '<ul class="kb-source-flags"' in shown and "&lt;script&gt;alert(&#39;x&#39;)" in shown
        assert " › " in shown, "a chip of a shared title shows its path"


def test_pages_make_each_imported_module_once(corpora: dict[str, Site], monkeypatch: pytest.MonkeyPatch) -> None:
    """paper.html, category.html and cited_by.html import their macros without the page's context, so Jinja makes
    each partial's module once, not on every page (that was 7 % of a paper page); and the templates' globals are
    a plain dict (`make_globals`), which Jinja checks at each import for globals the page adds."""
    site = corpora["synth"]
    renderer = Renderer(site)
    made: list[str | None] = []
    make_module = jinja2.Template.make_module

    def counted(template: jinja2.Template, *args: Any, **kwargs: Any) -> Any:
        made.append(template.name)
        return make_module(template, *args, **kwargs)

    monkeypatch.setattr(jinja2.Template, "make_module", counted)
    pages(site, renderer=renderer)
    for pid in listings.cited_by_papers(site):
        renderer.cited_by_pages(pid)
    assert made and len(made) == len(set(made)), made
    assert type(renderer.env.make_globals(None)) is dict


def test_a_new_taxonomy_gets_new_chips(corpora: dict[str, Site]) -> None:
    """`kb serve` keeps the environment, and its chips, while the taxonomy is equal: a new taxonomy object must
    not be shown an older one's chips."""
    site = corpora["synth"]
    renderer = Renderer(site)
    chips, *_ = parts_of(renderer)
    slug = sorted(site.corpus.categories)[0]
    links = PageLinks("papers/x/", "", "")
    before = chips.chip(links, SiteView.of(site), slug)
    renamed = {**site.corpus.categories, slug: site.corpus.categories[slug].model_copy(update={"title": "Renamed"})}
    site = dataclasses.replace(site, corpus=dataclasses.replace(site.corpus, categories=renamed))
    after = chips.chip(links, SiteView.of(site), slug)
    assert ">Renamed</a>" in after and after != before


def test_parts_record_the_lookups_the_macros_make(corpora: dict[str, Site]) -> None:
    """`kb serve` makes a page again when a lookup it made answers otherwise: the same lookups, page by page."""

    def lookups(site: Site, templates: bool) -> dict[str, frozenset[Any]]:
        cache = RenderCache()
        pages(site, templates, cache.renderer(site))
        return {url: entry.reads for url, entry in cache.entries.items()}

    site = corpora["hostile, flagged"]
    assert lookups(site, templates=False) == lookups(site, templates=True)


# A change to each template that shows on every paper page, or in every category's paper list.
OVERRIDES = {
    CHIPS: ('<a class="{{ css }}" href=', '<a class="{{ css }} kb-overridden" href='),
    SOURCE_TEXT: ("{{ record[field] | text }}", '<span class="kb-overridden">{{ record[field] | text }}</span>'),
    "kb/category.html": ("<code>{{ pid }}</code></li>", '<code class="kb-overridden">{{ pid }}</code></li>'),
    MACROS: (
        '<a href="{{ links.record(record_id) }}">',
        '<a class="kb-overridden" href="{{ links.record(record_id) }}">',
    ),
}


@pytest.mark.parametrize("template", sorted(OVERRIDES))
def test_an_override_is_called_for_every_chip_text_and_paper(tmp_path: Path, template: str) -> None:
    project = tmp_path / "project"
    synthesize(REPO, project, papers=20, claims=100, seed=5)
    write_override(project, template, OVERRIDES[template])
    site = collect(project)
    made = pages(site, templates=False)
    assert made == pages(site, templates=True), "the parts are the overriding template's own"
    papers = [html for url, html in made.items() if url.startswith("papers/")]
    listed = [
        html.split('<ul class="kb-paper-list">')[1].split("</ul>")[0]
        for html in made.values()
        if "kb-paper-list" in html
    ]
    if template == CHIPS:
        chips = [slug for loaded in site.papers.values() for slug in loaded.record.taxonomy]
        assert sum(html.count("kb-chip kb-overridden") for html in papers) == len(chips) > len(papers)
    elif template == SOURCE_TEXT:
        assert all(html.count('<span class="kb-overridden">') >= 2 for html in papers), "title and summary at least"
    else:
        assert listed and all(html.count("<li>") == html.count("kb-overridden") for html in listed)
        parts = [html.split('<h2 id="syntheses">')[1] for html in made.values() if '<h2 id="syntheses">' in html]
        syntheses = [part for part in parts if "<li>" in part]
        overridden = sum(part.count("kb-overridden") == part.count("<li>") for part in syntheses)
        assert syntheses and overridden == (len(syntheses) if template == MACROS else 0), "macros.html's links"


@pytest.mark.parametrize("text", [HOSTILE, "", "plain", "&amp;", "'\"<>&", "\u00ad\u200b\u202e\ufeff 中文 🙂"])
def test_escape_text_is_markupsafe_escape(text: str) -> None:
    assert escape_text(text) == str(escape(text))


@pytest.mark.parametrize(
    "path", ["records/papers/2401.00001.yaml", "records/a b/c%d.yaml", "records/é/x~y_z-1.yaml", "a//b", "a/../b", ""]
)
def test_edit_and_report_links_are_percent_encoded_as_before(path: str) -> None:
    segments = path.split("/")
    odd = any(segment in ("", ".", "..") for segment in segments)
    assert repo_path_url(path) == ("" if odd else "/".join(urllib.parse.quote(s, safe="") for s in segments))
    links = PageLinks("papers/x/", "https://example.org/kb/", "https://example.org/kb/edit/main/")
    query = urllib.parse.urlencode({"title": f"Problem with {path}", "body": "Page: papers/x/\nWhat is wrong:\n"})
    assert links.report(path, "papers/x/") == f"https://example.org/kb/issues/new?{query}"
