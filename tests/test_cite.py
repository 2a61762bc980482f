"""Citations of knowledge-base pages: BibTeX, CSL-JSON, APA via citeproc-py, pinned URLs, CITATION.cff."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import subprocess
import warnings
from pathlib import Path

import bibtexparser
import pytest
import yaml
from citeproc import CitationStylesStyle

from generator.model.site import Settings
from generator.pipeline.build import build_site, collect
from generator.pipeline.render import Renderer
from generator.publish import cite, claim_pages
from generator.sources import git
from tests.conftest import REPO
from tests.test_exports import HOSTILE_ID, HOSTILE_TITLE, SYNTHESIS_ID, add_fixture_records

CITED_KINDS = {"paper", "synthesis", "claim"}


def test_every_record_page_has_a_citation_of_itself(repo_root: Path) -> None:
    site, output = build_site(repo_root)
    renderer = Renderer(site)  # claim pages are written straight to disk; render them as pages here
    claims = [claim_pages.claim_page(renderer, claim) for claim in renderer.all_claims()]
    pages = [page for page in [*output.pages, *claims] if page.kind in CITED_KINDS]
    assert {page.kind for page in pages} == CITED_KINDS
    for page in pages:
        citation = site.citations[page.url]
        living = site.settings.site_url + page.url
        assert citation.living_url == living
        assert living in citation.bibtex and living in citation.apa
        assert citation.bibtex.startswith(f"@misc{{{citation.key},")
        assert citation.title in citation.apa
        csl = json.loads(citation.csl_json)
        assert len(csl) == 1
        item = csl[0]
        assert item["URL"] == living and item["title"] == citation.title
        assert item["container-title"] == site.settings.site_name
        assert item["type"] == ("dataset" if page.kind == "claim" else "webpage")
        assert item["author"] == [{"literal": f"{site.settings.site_name} maintainers"}]
        # The page shows it; the APA string is HTML-escaped like any other text.
        assert 'id="cite"' in page.html and living in page.html


def test_paper_citation_cites_the_page_not_the_paper(repo_root: Path) -> None:
    site = build_site(repo_root)[0]
    citation = site.citations["papers/2503.23007/"]
    paper = site.papers["2503.23007"].record
    assert citation.title == paper.title
    assert citation.key == "kb:paper:2503.23007"
    assert "[Evidence record for arXiv:2503.23007]" in citation.apa
    assert citation.apa.startswith("MoE Evidence Ledger maintainers. (2026, November 25). ")
    assert "Giang Do" not in citation.bibtex  # the paper's authors are not the page's authors
    assert "author       = {{MoE Evidence Ledger maintainers}}" in citation.bibtex
    assert "year         = {2026}" in citation.bibtex


def test_bibtex_escapes_and_parses(project: Path) -> None:
    site = build_site(add_fixture_records(project, release="2026.1"))[0]
    citation = site.citations[f"papers/{HOSTILE_ID}/"]
    assert r"R\&D" in citation.bibtex and r"100\% \_x\_" in citation.bibtex and r"\{braces\}" in citation.bibtex
    library = bibtexparser.parse_string(citation.bibtex)
    assert not library.failed_blocks
    (entry,) = library.entries
    assert entry.key == f"kb:paper:{HOSTILE_ID}" and entry.entry_type == "misc"
    assert entry["url"] == citation.living_url
    assert entry["version"] == "2026.1"
    assert citation.pinned_url in entry["note"]
    # CSL-JSON and APA keep the title exactly; only HTML rendering escapes it.
    assert json.loads(citation.csl_json)[0]["title"] == HOSTILE_TITLE
    assert HOSTILE_TITLE in citation.apa


def test_cite_block_escapes_contributor_text(project: Path) -> None:
    _, output = build_site(add_fixture_records(project, release="2026.1"))
    page = next(p for p in output.pages if p.url == f"papers/{HOSTILE_ID}/")
    block = page.html[page.html.index('id="cite"') :]
    assert "<script>alert(1)</script>" not in block
    assert "R&amp;D &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in block


def archive_release(project: Path, release: str) -> Path:
    """List `release` in extra.kb.archived_releases: its site archive exists on the GitHub release."""
    config = project / "mkdocs.yml"
    text = re.sub(r"(?m)^    archived_releases: .*\n", "", config.read_text(encoding="utf-8"))
    config.write_text(
        text.replace("  kb:\n", f"  kb:\n    archived_releases: [{json.dumps(release)}]\n", 1), encoding="utf-8"
    )
    return project


def test_pinned_url_scheme_uses_the_configured_release(project: Path) -> None:
    site = build_site(archive_release(add_fixture_records(project, release="2026.1"), "2026.1"))[0]
    assert site.settings.release == "2026.1"
    repo = site.settings.repo_url
    for url in (f"papers/{HOSTILE_ID}/", f"syntheses/{SYNTHESIS_ID.replace(':', '-')}/"):
        citation = site.citations[url]
        assert citation.pinned_url == f"{repo}/releases/download/2026.1/site-2026.1.zip#{url}index.html"
        assert citation.release == "2026.1"
        assert "(Release 2026.1)" in citation.apa
        assert json.loads(citation.csl_json)[0]["version"] == "2026.1"


def without_release(project: Path) -> Path:
    config = project / "mkdocs.yml"
    config.write_text(re.sub(r"(?m)^    release: .*\n", "", config.read_text(encoding="utf-8")), encoding="utf-8")
    return project


def test_release_falls_back_to_the_git_commit(project: Path) -> None:
    without_release(project)
    for command in (["git", "init", "-q"], ["git", "add", "-A"], ["git", "commit", "-qm", "fixture"]):
        subprocess.run(command, cwd=project, check=True, capture_output=True)
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=project, capture_output=True, text=True, check=True
    )
    assert git.short_commit(project) == head.stdout.strip()
    assert collect(project).settings.release == head.stdout.strip()


def test_no_git_and_no_release_means_no_pinned_url(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    without_release(project)
    assert git.short_commit(project) == ""
    site = build_site(project)[0]
    assert site.settings.release == ""
    citation = site.citations["papers/2503.23007/"]
    assert citation.pinned_url == "" and citation.release == ""
    assert "version" not in citation.bibtex and "Release" not in citation.apa
    assert "Version-pinned" not in next(p for p in build_site(project)[1].pages if p.url == "papers/2503.23007/").html


def test_git_release_outside_a_repository(tmp_path: Path) -> None:
    assert git.short_commit(tmp_path) == ""


def test_urls_without_site_url() -> None:
    settings = Settings(site_name="KB", site_url="", release="r1", archived_releases=("r1",))
    assert cite.absolute_url(settings, "papers/x/") == "papers/x/"
    assert cite.pinned_url(settings, "r1", "papers/x/") == ""  # no repository, no archive to name
    with_repo = dataclasses.replace(settings, repo_url="https://github.com/o/kb/", archived_releases=("r 1/../x",))
    assert cite.pinned_url(with_repo, "r1", "papers/x/") == ""  # not archived
    assert (
        cite.pinned_url(with_repo, "r 1/../x", "papers/x/")
        == "https://github.com/o/kb/releases/download/r%201%2F..%2Fx/site-r%201%2F..%2Fx.zip#papers/x/index.html"
    )


def test_claim_without_date_is_no_date() -> None:
    settings = Settings(site_name="KB", site_url="https://kb.example/", release="")
    citation = cite.make_citation(
        settings, cite.ApaFormatter(), kind="claim", identifier="c-0123abcd", csl_type="dataset",
        title="Claim c-0123abcd", genre="Evidence-ledger claim", page_url="claims/c-0123abcd/", issued=None,
    )  # fmt: skip
    assert (
        citation.apa
        == "KB maintainers. (n.d.). Claim c-0123abcd [Evidence-ledger claim]. KB. https://kb.example/claims/c-0123abcd/"
    )
    assert "year" not in citation.bibtex


def test_apa_string_keeps_nocase_markup_literal() -> None:
    settings = Settings(site_name="KB", site_url="https://kb.example/")
    citation = cite.make_citation(
        settings, cite.ApaFormatter(), kind="paper", identifier="2503.23007", csl_type="webpage",
        title='A <span class="nocase">title</span>', genre="g", page_url="papers/2503.23007/", issued="2026-01-02",
    )  # fmt: skip
    assert 'A <span class="nocase">title</span>' in citation.apa


def test_apa_lite_style_is_valid_csl() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        CitationStylesStyle(str(cite.STYLE_PATH), validate=True)


def test_citation_cff_describes_the_knowledge_base() -> None:
    data = yaml.safe_load((REPO / "CITATION.cff").read_text(encoding="utf-8"))
    config = yaml.load((REPO / "mkdocs.yml").read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
    assert data["cff-version"] == "1.2.0"
    assert data["type"] == "dataset"
    assert data["title"] == config["site_name"]
    # site_url and repo_url are `!ENV [VARIABLE, default]`: CITATION.cff carries the defaults.
    assert data["url"] == config["site_url"][-1]
    assert data["repository-code"] == config["repo_url"][-1]
    assert data["authors"] == [{"name": f"{config['site_name']} maintainers"}]
    assert data["message"]


def test_citation_cff_validates_against_the_cff_schema() -> None:
    checker = shutil.which("check-jsonschema") or str(Path(REPO / ".venv" / "bin" / "check-jsonschema"))
    if not Path(checker).exists():
        pytest.skip("check-jsonschema is not installed")
    result = subprocess.run(
        [checker, "--builtin-schema", "vendor.citation-file-format", str(REPO / "CITATION.cff")],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
