"""`kb serve` rebuilds re-render only the pages an edit touches, and give exactly the pages of a full build."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
import pytest

from generator.model.site import Site
from generator.pipeline import build, listings
from generator.pipeline.build import build_site, read_inputs
from generator.pipeline.render import Output, RenderedPage, Renderer
from generator.publish import cite
from tests.helpers import forget_builds

EDITED = "2402.00003"


def _edit(root: Path) -> None:
    """One contributor edit: a paper's title, which its own page, the pages citing it and the listings show."""
    record = root / "records" / "papers" / f"{EDITED}.yaml"
    text = record.read_text(encoding="utf-8")
    assert 'title: "Comparing Routers' in text
    record.write_text(text.replace('title: "Comparing Routers', 'title: "Comparing Edited Routers'), encoding="utf-8")


def _snapshot(output: Output) -> dict[str, Any]:
    pages = {p.url: (p.kind, p.title, p.description, p.html, p.toc, p.head, p.record_json) for p in output.pages}
    files = {f.path: f.content for f in output.files}
    return {"pages": pages, "files": files, "streamed": output.streamed}


def test_a_rebuild_after_an_edit_gives_the_pages_of_a_full_build(
    fixture_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    forget_builds(monkeypatch)
    options = read_inputs(fixture_project)
    _, before = build_site(fixture_project, options)
    _edit(fixture_project)
    _, incremental = build_site(fixture_project, options)
    forget_builds(monkeypatch)
    _, full = build_site(fixture_project, options)

    assert "Comparing Edited Routers" in "".join(p.html for p in incremental.pages)
    assert _snapshot(incremental) == _snapshot(full)
    assert _snapshot(incremental) != _snapshot(before)


def test_an_edit_to_one_paper_re_renders_only_the_pages_that_show_it(
    fixture_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    forget_builds(monkeypatch)
    options = read_inputs(fixture_project)
    _, before = build_site(fixture_project, options)
    assert len(build.render_cache.rendered) == len(before.pages)  # a first build renders every page

    _edit(fixture_project)
    _, after = build_site(fixture_project, options)
    rendered = set(build.render_cache.rendered)
    old_html = {page.url: page.html for page in before.pages}
    changed = {page.url for page in after.pages if old_html.get(page.url) != page.html}

    assert f"papers/{EDITED}/" in changed
    assert changed <= rendered  # every page that shows the edit was rendered again ...
    unrelated_papers = {p.url for p in after.pages if p.kind == "paper" and "Comparing Edited Routers" not in p.html}
    assert unrelated_papers, "the fixture should have papers that do not show the edited title"
    assert not rendered & unrelated_papers  # ... and no paper page that does not show it
    assert len(rendered) < len(after.pages) * 2 / 3


def _cite(root: Path) -> None:
    """One contributor edit to the citation graph: a paper now cites the edited paper too, which changes the
    cited paper's cited-by list, the hub's co-citations and the citing paper's Cites list."""
    record = root / "records" / "papers" / "2403.00004.yaml"
    text = record.read_text(encoding="utf-8")
    assert text.endswith('    polarity: neutral\nadded: "2026-02-02"\n')
    more = f'    polarity: neutral\n  - target: "{EDITED}"\n    role: comparison\n    polarity: supporting\nadded: "2026-02-02"\n'
    record.write_text(text.replace('    polarity: neutral\nadded: "2026-02-02"\n', more), encoding="utf-8")


def test_paper_contexts_are_made_again_only_for_pages_whose_inputs_changed(
    fixture_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rebuild makes no paper page's context (cited-by lists, shares, co-citations) whose own record, claims and
    lookups are unchanged while no citation changed, and makes every one again when one did."""
    forget_builds(monkeypatch)
    made: list[str] = []
    real_paper_page = Renderer.paper_page

    def counted(self: Renderer, pid: str) -> RenderedPage:
        made.append(pid)
        return real_paper_page(self, pid)

    monkeypatch.setattr(Renderer, "paper_page", counted)
    options = read_inputs(fixture_project)
    build_site(fixture_project, options)
    papers = len(made)
    made.clear()
    _edit(fixture_project)
    build_site(fixture_project, options)
    assert EDITED in made and len(made) < papers, made  # the edited paper's page, and those that show its title

    made.clear()
    _cite(fixture_project)
    site, incremental = build_site(fixture_project, options)
    assert not site.problems.errors, site.problems.report()
    assert len(made) == papers, "a citation changed, so every paper page's context is made again"
    forget_builds(monkeypatch)
    _, full = build_site(fixture_project, options)
    assert _snapshot(incremental) == _snapshot(full)
    assert "2403.00004" in next(p.html for p in full.pages if p.url == f"papers/{EDITED}/")


def test_a_rebuild_keeps_the_citation_edges_of_unchanged_papers(
    fixture_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The render cache compares the citation graph of two builds by identity first (field by field, 100,000
    edges cost a third of a second at 10,000 papers): a paper whose file is unchanged keeps its very edges."""
    forget_builds(monkeypatch)
    options = read_inputs(fixture_project)
    before, _ = build_site(fixture_project, options)
    _edit(fixture_project)
    after, _ = build_site(fixture_project, options)
    earlier = {id(edge) for edge in before.edges}
    kept = [edge for edge in after.edges if edge.citing != EDITED]
    assert kept and all(id(edge) in earlier for edge in kept)
    assert any(edge.citing == EDITED for edge in after.edges)
    assert not any(id(edge) in earlier for edge in after.edges if edge.citing == EDITED)  # its record changed


def test_a_rebuild_reports_a_citation_whose_target_went_away(
    fixture_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A paper whose file is unchanged keeps its edges only while every work it cites is still there: once a
    cited record is deleted, the rebuild reports the citation as a full build does."""
    forget_builds(monkeypatch)
    options = read_inputs(fixture_project)
    before, _ = build_site(fixture_project, options)
    edge = next(edge for edge in before.edges if edge.target in before.papers and edge.citing != edge.target)
    (fixture_project / before.papers[edge.target].doc.path).unlink()
    after, _ = build_site(fixture_project, options)
    forget_builds(monkeypatch)
    full, _ = build_site(fixture_project, options)

    unknown = [p for p in after.problems if p.code == "ref-unknown-target"]
    assert any(edge.target in p.message for p in unknown)
    assert after.problems.report() == full.problems.report()
    assert not any(e.target == edge.target for e in after.edges)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (
            "The router sends each token to two experts.,supported",
            "The router sends every token to two experts.,supported",
        ),
        ("to two experts.,supported,", "to two experts.,unverified,"),  # a facet value: the counts change too
    ],
    ids=["a claim's statement", "a claim's status"],
)
def test_a_claim_edit_makes_one_explorer_shard_again(
    fixture_project: Path, monkeypatch: pytest.MonkeyPatch, old: str, new: str
) -> None:
    """The explorer's data comes in shards; an edit to one claim makes its shard again and keeps the others,
    and the facet counts and category tree are counted again only when what they count changed."""
    monkeypatch.setattr(listings, "SHARD_SIZE", 2)  # the fixture's claims in several shards
    forget_builds(monkeypatch)
    options = read_inputs(fixture_project)
    _, before = build_site(fixture_project, options)
    ledger = fixture_project / "ledgers" / "fixture.csv"
    text = ledger.read_text(encoding="utf-8")
    assert old in text
    ledger.write_text(text.replace(old, new, 1), encoding="utf-8")
    _, incremental = build_site(fixture_project, options)
    forget_builds(monkeypatch)
    _, full = build_site(fixture_project, options)

    assert _snapshot(incremental) == _snapshot(full)
    shards = {file.path: file for file in before.files if "/shard-" in file.path}
    assert len(shards) > 2
    remade = [file.path for file in incremental.files if "/shard-" in file.path and shards.get(file.path) is not file]
    assert len(remade) == 1, remade


def test_a_rebuild_cites_claims_as_a_full_build_does(fixture_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A claim's citation is dated by its paper's `added`: an edit to it reaches the claims' citations, though
    a rebuild keeps how every untouched paper's claims are cited."""
    forget_builds(monkeypatch)
    options = read_inputs(fixture_project)
    before, _ = build_site(fixture_project, options)
    record = fixture_project / "records" / "papers" / f"{EDITED}.yaml"
    record.write_text(record.read_text(encoding="utf-8").replace('added: "2026-02-01"', 'added: "2026-02-09"'))
    incremental, _ = build_site(fixture_project, options)
    forget_builds(monkeypatch)
    monkeypatch.setattr(cite, "_claims_of", {})
    full, _ = build_site(fixture_project, options)

    def claims_cited(site: Site) -> dict[str, Any]:
        return {url: site.citations[url] for url in site.citations if url.startswith("claims/")}

    assert claims_cited(incremental) == claims_cited(full)
    assert claims_cited(incremental) != claims_cited(before), "the edit changes how the paper's claims are cited"


def _mkdocs_build(root: Path, site_dir: Path, *, serve: bool) -> None:
    """MkDocs as `kb serve` runs it on each change (a dirty rebuild), or as `kb build` does."""
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.config import load_config

    config = load_config(str(root / "mkdocs.yml"), site_dir=str(site_dir))
    config.plugins.on_startup(command="serve" if serve else "build", dirty=serve)
    try:
        mkdocs_build(config, dirty=serve)
    finally:
        config.plugins.on_startup(command="build", dirty=False)  # the hooks' state outlives this build


def _tree(site_dir: Path) -> dict[str, bytes]:
    """Every file of a built site but the search index, which `kb serve` writes in the background."""
    return {
        path.relative_to(site_dir).as_posix(): path.read_bytes()
        for path in sorted(site_dir.rglob("*"))
        if path.is_file() and not path.relative_to(site_dir).as_posix().startswith("pagefind/")
    }


def test_a_serve_rebuild_rewrites_only_changed_files_and_matches_a_clean_build(
    fixture_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    forget_builds(monkeypatch)
    served, clean = tmp_path / "served", tmp_path / "clean"
    _mkdocs_build(fixture_project, served, serve=True)
    written = {path: path.stat().st_mtime_ns for path in served.rglob("*.html")}
    _edit(fixture_project)
    _mkdocs_build(fixture_project, served, serve=True)
    rewritten = {str(path.relative_to(served)) for path, stamp in written.items() if path.stat().st_mtime_ns != stamp}

    assert f"papers/{EDITED}/index.html" in rewritten
    assert "Comparing Edited Routers" in (served / "papers" / EDITED / "index.html").read_text(encoding="utf-8")
    paper_pages = {page for page in rewritten if page.startswith("papers/") and page != "papers/index.html"}
    for page in paper_pages:  # a paper page is written again only if it shows the edit
        assert "Comparing Edited Routers" in (served / page).read_text(encoding="utf-8"), page
    assert "papers/2404.00005/index.html" not in rewritten
    _mkdocs_build(fixture_project, clean, serve=False)
    assert _tree(served) == _tree(clean)


def test_a_serve_rebuild_keeps_the_theme_listing_until_a_theme_folder_changes(
    fixture_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MkDocs lists every theme file on each build (Material's 14,000); `kb serve` keeps the list between
    rebuilds, yet a file added to overrides/ meanwhile is listed and copied into the site."""
    forget_builds(monkeypatch)
    served = tmp_path / "served"
    _mkdocs_build(fixture_project, served, serve=True)
    listings: list[str] = []
    list_folders = jinja2.FileSystemLoader.list_templates

    def counted(loader: jinja2.FileSystemLoader) -> list[str]:
        listings.append("listed")
        return list_folders(loader)

    monkeypatch.setattr(jinja2.FileSystemLoader, "list_templates", counted)
    _mkdocs_build(fixture_project, served, serve=True)
    assert not listings, "no theme folder changed: the last listing holds"
    added = fixture_project / "overrides" / "assets" / "added-while-serving.txt"
    added.parent.mkdir(parents=True, exist_ok=True)
    added.write_text("new\n", encoding="utf-8")
    _mkdocs_build(fixture_project, served, serve=True)
    assert listings
    assert (served / "assets" / "added-while-serving.txt").read_text(encoding="utf-8") == "new\n"


def test_every_field_templates_read_is_tracked_by_the_render_cache() -> None:
    """A page is reused only if all it read is unchanged: a SiteView field the cache ignores would go stale."""
    from dataclasses import fields

    from generator.pipeline.cache import VIEW_FIELDS
    from generator.pipeline.contexts import SiteView

    assert sorted(VIEW_FIELDS) == sorted(f.name for f in fields(SiteView))
