"""Issue #13: the site says exactly what its sources say.

Each test reads what a reader sees in a real `kb build` of the bundled (seed) corpus: rendered
text, link targets and tooltips, the search index, the data release, and the exit status of a
strict build. Variants that need a changed corpus render it through the same pipeline.
"""

from __future__ import annotations

import gzip
import html
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
import yaml

from generator.model.records import NOT_DEFINED, TRUNCATED_MARK, VOCABULARIES, Definition
from generator.pipeline.build import build_site
from generator.problems import Problems
from generator.sources.config import read_settings
from tests.conftest import REPO, copy_project, needs_path
from tests.helpers import codes, kb, run

SEEDS = REPO.parent / "shared" / "seeds"
HUB = "papers/1701.06538/"
TRUNCATED_SYNTHESIS = "syntheses/SRCH-7693EED1/"
LEDGER_TITLE = "Evidence-Ledger Synthesis of FFN and Mixture-of-Experts in LLMs — Claim ledger"
LEDGER_DESCRIPTION = "CSV-backed claim ledger tying paper claims to paper IDs and evidence status."


@pytest.fixture(scope="module")
def site_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled corpus, built for real by `kb build` (site and repo URLs from the environment)."""
    project = copy_project(tmp_path_factory.mktemp("fidelity") / "project")
    out = project / "site"
    result = kb(project, "build", "--site-dir", str(out))
    assert result.returncode == 0, result.stderr
    return out


def page(site_dir: Path, url: str) -> str:
    return (site_dir / url / "index.html").read_text(encoding="utf-8")


BLOCK_TAG = re.compile(
    r"</?(?:p|li|ol|ul|dl|dt|dd|h[1-6]|td|th|tr|br|div|blockquote|details|summary|pre|section)\b[^>]*>"
)


def text_of(markup: str) -> str:
    """What a reader reads: block tags break words apart, inline tags do not; entities decoded, spaces folded."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", BLOCK_TAG.sub(" ", markup))).split())


def article(site_dir: Path, url: str) -> str:
    markup = page(site_dir, url)
    return markup[markup.index("<article") : markup.index("</article>")]


def badge_titles(markup: str, vocab: str) -> list[str]:
    return [
        html.unescape(t) for t in re.findall(rf'class="kb-badge" href="[^"#]*#{vocab}-[^"]*" title="([^"]*)"', markup)
    ]


# --- 1. every definition comes from a source or is marked as ours -------------------------------


def test_every_vocabulary_value_is_quoted_editorial_or_undefined() -> None:
    for vocab in VOCABULARIES.values():
        for value, definition in vocab.values.items():
            assert isinstance(definition, Definition), (vocab.name, value)
            if definition.provenance == "quoted":
                assert definition.source, (vocab.name, value)
    levels = VOCABULARIES["paper_level"]
    assert [v for v, d in levels.values.items() if d.provenance != "undefined"] == ["L2"]
    assert levels.describe("L7") == NOT_DEFINED
    provenance = VOCABULARIES["public_provenance"]
    assert provenance.definition("L3").text == "Claim aggregate record"
    assert provenance.definition("L4").text == "External archival record"


def test_methodology_says_not_defined_by_the_source_and_invents_no_level(site_dir: Path) -> None:
    markup = article(site_dir, "methodology/")
    section = markup[markup.index('id="paper_level"') : markup.index('id="public_provenance"')]
    assert section.count("not defined by the source") == 7  # L0, L1, L3–L7: only L2 has a label
    assert "Source-grounded claims</q>" in section and "quoted from" in section
    text = text_of(markup)
    for invented in ("independently replicated", "Human reviewed", "Quotes verified", "from L0 (none) to L7"):
        assert invented not in text
    provenance = markup[markup.index('id="public_provenance"') : markup.index('id="tier"')]
    assert "Claim aggregate record</q>" in provenance and "External archival record</q>" in provenance
    assert "editorial" in text_of(markup[markup.index('id="claim_status"') : markup.index('id="evidence_status"')])


def test_synthesis_page_uses_the_sources_own_words(site_dir: Path) -> None:
    markup = article(site_dir, TRUNCATED_SYNTHESIS)
    text = text_of(markup)
    assert "scale from L0" not in text and "independently replicated" not in text
    assert "Descriptive public verification status only; aggregate claim counts are public" in text
    # The provenance level links to the provenance vocabulary, not to the verification levels.
    assert 'href="../../methodology/#public_provenance-l3"' in markup
    assert "#paper_level-l3" not in markup
    # "Quality guide" names the publisher's guide: no link to our own methodology page.
    row = re.search(r"<th scope=\"row\">Quality guide</th><td>(.*?)</td>", markup)
    assert row is not None and "<a " not in row.group(1)
    assert "the publisher's guide; the source gives no link to it" in text_of(row.group(1))


def test_l2_tooltip_claims_nothing_the_record_does_not_say(site_dir: Path) -> None:
    markup = article(site_dir, "syntheses/SRCH-1244B894/")
    assert "not publicly specified" in text_of(markup)
    titles = badge_titles(markup, "paper_level")
    assert titles and all("parsed source sections" not in t for t in titles)
    assert all("Source-grounded claims" in t for t in titles)


def test_badges_say_what_the_ledger_records(site_dir: Path) -> None:
    markup = article(site_dir, "papers/2503.23007/")
    # A claim table's badges link to their definitions; the methodology shows each badge with it as its tooltip.
    assert '<a class="kb-badge" href="../../methodology/#claim_status-supported">supported</a>' in markup
    definitions = article(site_dir, "methodology/")
    status = badge_titles(definitions, "claim_status")
    audit = badge_titles(definitions, "audit_status")
    assert "ClaimStatus: supported — Marked supported in the ledger. (editorial)" in status
    assert any(t.startswith("AuditResult: pass — ") and "does not say what the audit checked" in t for t in audit)
    text = text_of(markup)
    assert "the quoted evidence backs it" not in " ".join(status) and "re-checked" not in " ".join(audit)
    assert "the quoted evidence backs it" not in text


# --- 2. source text flags -------------------------------------------------------------------------


def test_truncated_titles_are_marked_everywhere_they_appear(site_dir: Path) -> None:
    title = "dense baselines when"
    marked = f"{title}{TRUNCATED_MARK}"
    assert marked in text_of(article(site_dir, TRUNCATED_SYNTHESIS))  # the page
    assert "<title>Can AnyExperts" in page(site_dir, TRUNCATED_SYNTHESIS)
    assert marked in text_of(re.search(r"<title>(.*?)</title>", page(site_dir, TRUNCATED_SYNTHESIS)).group(1))  # type: ignore[union-attr]
    assert marked in text_of(page(site_dir, ""))  # home page, newest additions
    assert marked in text_of(article(site_dir, "syntheses/"))  # the index
    cite = article(site_dir, TRUNCATED_SYNTHESIS).split('id="cite"', 1)[1]
    assert marked in text_of(cite)  # APA, BibTeX and CSL-JSON all carry the mark
    assert "while prompts… — cut off in the source" in text_of(article(site_dir, "syntheses/SRCH-1244B894/"))
    assert "in zero-shot se" + TRUNCATED_MARK in text_of(article(site_dir, "syntheses/SRCH-75389E75/"))


def test_search_index_carries_the_mark(site_dir: Path) -> None:
    found = []
    for fragment in (site_dir / "pagefind" / "fragment").iterdir():
        raw = gzip.decompress(fragment.read_bytes()).removeprefix(b"pagefind_dcd")
        data = json.loads(raw)
        if data["url"].endswith(f"/{TRUNCATED_SYNTHESIS}"):
            found.append(data)
    assert len(found) == 1
    assert TRUNCATED_MARK in found[0]["meta"]["title"] and TRUNCATED_MARK in found[0]["content"]


def test_pages_say_when_two_syntheses_share_an_abstract(site_dir: Path) -> None:
    for url, other in (("syntheses/SRCH-7693EED1/", "SRCH:1244B894"), ("syntheses/SRCH-1244B894/", "SRCH:7693EED1")):
        text = text_of(article(site_dir, url))
        assert "The same abstract, word for word, is given for" in text and f"({other})" in text
    assert "same abstract" not in text_of(article(site_dir, "syntheses/SRCH-75389E75/"))


def test_a_shared_abstract_warns_until_flagged(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    path = project / "records" / "syntheses" / "SRCH-7693EED1.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"(?m)^    suspect: .*\n", "", text), encoding="utf-8")
    site = run(project)
    (problem,) = [p for p in site.problems if p.code == "abstract-duplicate"]
    assert problem.location.path == "records/syntheses/SRCH-7693EED1.yaml" and problem.location.line
    assert "SRCH:7693EED1 has the same abstract as SRCH:1244B894" in problem.message
    assert "abstract-duplicate" not in codes(run(copy_project(tmp_path / "flagged")).problems)


def test_a_source_flag_needs_a_reason_and_a_known_field(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    path = project / "records" / "syntheses" / "SRCH-75389E75.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace(
        "source_flags:\n", "source_flags:\n  provenance:\n    truncated: x\n  research_question: {}\n", 1
    )
    path.write_text(text, encoding="utf-8")
    errors = [p for p in run(project).problems if p.location.path.endswith("SRCH-75389E75.yaml")]
    fields = {p.field for p in errors}
    assert any("provenance" in f for f in fields), errors
    assert any("research_question" in f for f in fields), errors
    assert all(p.location.line for p in errors)


# --- 3. an honest hub -----------------------------------------------------------------------------


def test_the_hub_page_wording_matches_its_counts(site_dir: Path) -> None:
    text = text_of(article(site_dir, HUB))
    assert "cited by several corpus papers" not in text
    assert "By our own count it is not a hub: 0 corpus papers record a citation of it" in text
    assert "marked this record canonical (an editorial choice)" in text
    assert "Labels Pith gives this work: super hub Canonical reference (per Pith)" in text
    assert "75% of citing Pith papers cite this work as background. — Pith Pith gives no denominator" in text
    assert "Pith lists 50 citing papers; 13 further representative summaries without titles." in text
    assert "All 63" not in text and "Title not recorded" not in text
    toc = page(site_dir, HUB).split('data-md-component="toc"', 1)[-1]
    assert "How the corpus cites it" in text_of(toc) and ">Hub<" not in toc.replace(" ", "")


def test_the_hub_keeps_the_sources_order(site_dir: Path) -> None:
    record = yaml.safe_load((REPO / "records" / "papers" / "1701.06538.yaml").read_text(encoding="utf-8"))
    report = record["reported"][0]
    markup = article(site_dir, HUB)
    lists = re.findall(r'<ol class="kb-reported-citing">(.*?)</ol>', markup, re.S)
    representative = [text_of(li).split(" — listed below as ")[0] for li in re.findall(r"<li>(.*?)</li>", lists[0])]
    titled = [text_of(t) for t in re.findall(r"<li><strong>(.*?)</strong>", lists[1])]
    assert representative == [" ".join(s.split()) for s in report["representative_summaries"]]
    assert titled == [" ".join(item["title"].split()) for item in report["citing_papers"]]


@needs_path(SEEDS, "the user's seed documents (../shared/seeds)")
def test_the_hub_record_is_the_seed_page_in_its_order() -> None:
    seed = (next(SEEDS.glob("001_*.txt"))).read_text(encoding="utf-8").splitlines()
    start, explorer = seed.index("representative citing papers"), seed.index("citing papers explorer")
    listed = seed[explorer + 1 :]
    titles = [listed[i + 1] for i in range(0, len(listed), 3)]
    record = yaml.safe_load((REPO / "records" / "papers" / "1701.06538.yaml").read_text(encoding="utf-8"))
    report = record["reported"][0]
    assert report["representative_summaries"] == seed[start + 1 : explorer]
    assert [item["title"] for item in report["citing_papers"]] == titles
    assert (
        len(titles) == 50
        and len(set(report["representative_summaries"]) - {i["summary"] for i in report["citing_papers"]}) == 13
    )


def test_home_page_calls_a_work_a_hub_only_on_our_count(site_dir: Path) -> None:
    text = text_of(page(site_dir, ""))
    assert "Canonical references that many corpus papers cite" not in text
    assert "cited by 0 corpus papers; not a hub by our count, shown because the maintainers marked it canonical" in text
    assert "labelled “super hub” and “Canonical reference” by Pith" in text
    assert '<span class="kb-chip"' not in article(site_dir, "papers/").split("1701.06538", 2)[-1].split("</tr>")[0]


def test_no_maintainer_note_reaches_a_page(site_dir: Path) -> None:
    for path in site_dir.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert "seed document" not in text and not re.search(r"\bseed 00\d", text), path


# --- 4. citations that resolve ----------------------------------------------------------------------


def test_no_page_offers_a_pinned_url_before_a_release_is_archived(site_dir: Path) -> None:
    for path in site_dir.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert "Version-pinned" not in text and "/releases/" not in text, path
    assert not (site_dir / "releases").exists()


def test_site_and_repo_urls_come_from_the_environment(site_dir: Path) -> None:
    markup = article(site_dir, "papers/2503.23007/")
    assert f"{os.environ['KB_SITE_URL']}papers/2503.23007/" in markup
    assert f"{os.environ['KB_REPO_URL']}/edit/main/records/papers/2503.23007.yaml" in markup
    links = re.compile(r'(?:href|src|content)="[^"]*example-org')
    assert not [p for p in site_dir.rglob("*.html") if links.search(p.read_text(encoding="utf-8"))]


def test_strict_build_fails_while_urls_are_placeholders(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    without = {k: v for k, v in os.environ.items() if k not in ("KB_SITE_URL", "KB_REPO_URL", "KB_BASE_REF")}

    def validate(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "generator", "--root", str(project), "validate", *args]
        return subprocess.run(command, cwd=REPO, env=without, capture_output=True, text=True, timeout=300, check=False)

    strict, lenient = validate("--strict"), validate()
    assert strict.returncode == 1 and lenient.returncode == 0, (strict.stderr, lenient.stderr)
    assert (
        "mkdocs.yml: warning: site_url: still the placeholder `https://example-org.github.io/evidence-ledger/`"
        in strict.stderr
    )
    assert "[config-placeholder]" in strict.stderr and "repo_url" in strict.stderr
    assert kb(project, "validate", "--strict").returncode == 0  # with the URLs the workflow sets


def _pinned_copies(site: Path) -> dict[str, tuple[str, str]]:
    """Page file -> (archive URL, file in the archive) for every version-pinned copy a page offers."""
    found = {}
    for path in site.rglob("index.html"):
        match = re.search(
            r"<dt>Version-pinned copy</dt><dd><a href=\"([^\"]+)\">[^<]*</a>, file <code>([^<]+)</code>",
            path.read_text(encoding="utf-8"),
        )
        if match:
            found[path.relative_to(site).as_posix()] = (html.unescape(match.group(1)), match.group(2))
    return found


def test_two_releases_each_pinned_copy_resolves_to_the_page_as_published(tmp_path: Path) -> None:
    """Build release 1.0, change a title, build 2.0; every pinned copy either build offers opens, from
    the archive its URL names, exactly the page that release published."""
    project = copy_project(tmp_path / "project")
    downloads = f"{os.environ['KB_REPO_URL']}/releases/download/"
    assets = tmp_path / "github-releases"  # what the release workflow uploads, by tag
    sites: dict[str, Path] = {}
    paper = project / "records" / "papers" / "2503.23007.yaml"
    for release, archived, title in (("1.0", "1.0", None), ("2.0", "1.0,2.0", "S2MoE, retitled in release 2.0")):
        if title:
            paper.write_text(
                re.sub(r"(?m)^title: .*$", f"title: '{title}'", paper.read_text(encoding="utf-8")), encoding="utf-8"
            )
        sites[release] = tmp_path / f"site-{release}"
        env = {"KB_RELEASE": release, "KB_ARCHIVED_RELEASES": archived}
        result = kb(project, "build", "--site-dir", str(sites[release]), env=env)
        assert result.returncode == 0, result.stderr
        assert (
            kb(
                project, "archive", release, "--site-dir", str(sites[release]), "--out", str(assets / release)
            ).returncode
            == 0
        )
    for release, site in sites.items():
        copies = _pinned_copies(site)
        assert "papers/2503.23007/index.html" in copies and len(copies) >= 9  # papers and syntheses
        for page_file, (url, inner) in copies.items():
            assert url == f"{downloads}{release}/site-{release}.zip" and inner == page_file
            with zipfile.ZipFile(assets / url.removeprefix(downloads)) as archive:
                assert archive.read(inner) == (site / page_file).read_bytes()
    old = zipfile.ZipFile(assets / "1.0" / "site-1.0.zip").read("papers/2503.23007/index.html").decode()
    new = zipfile.ZipFile(assets / "2.0" / "site-2.0.zip").read("papers/2503.23007/index.html").decode()
    assert "S2MoE: Robust Sparse Mixture of Experts via Stochastic Learning" in old and "retitled in release 2.0" in new
    # The archive is deterministic: the same site packs to the same bytes.
    again = tmp_path / "again"
    assert kb(project, "archive", "2.0", "--site-dir", str(sites["2.0"]), "--out", str(again)).returncode == 0
    assert (again / "site-2.0.zip").read_bytes() == (assets / "2.0" / "site-2.0.zip").read_bytes()


def test_release_names_from_the_environment_stay_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KB_RELEASE", "2.10")
    monkeypatch.setenv("KB_ARCHIVED_RELEASES", "1.0, 2.10")
    settings = read_settings(REPO, Problems())
    assert settings.release == "2.10" and settings.archived_releases == ("1.0", "2.10")


# --- 5. a complete, consistent data release -------------------------------------------------------------


def _values(rows: list[dict[str, Any]]) -> list[Any]:
    return [value for row in rows for value in row.values()]


def test_unknown_is_null_in_json_and_parquet(site_dir: Path) -> None:
    data = site_dir / "data"
    for table in ("papers", "syntheses", "claims", "citations", "taxonomy", "source_reports", "source_flags"):
        rows = json.loads((data / f"{table}.json").read_text(encoding="utf-8"))
        assert "" not in _values(rows), table
        parquet = pq.read_table(data / f"{table}.parquet").to_pylist()
        assert "" not in _values(parquet) and parquet == rows, table
    papers = {row["id"]: row for row in json.loads((data / "papers.json").read_text(encoding="utf-8"))}
    assert papers["2510.16411"]["authors"] is None and papers["1701.06538"]["summary"] is None
    text = text_of(article(site_dir, "data/"))
    assert "In JSON and Parquet a value that is not recorded (an empty text or an empty list) is null" in text


def test_syntheses_carry_every_field_of_the_record(site_dir: Path) -> None:
    rows = {r["id"]: r for r in json.loads((site_dir / "data" / "syntheses.json").read_text(encoding="utf-8"))}
    row = rows["SRCH:7693EED1"]
    record = yaml.safe_load((REPO / "records" / "syntheses" / "SRCH-7693EED1.yaml").read_text(encoding="utf-8"))
    assert row["abstract"] == record["abstract"] and row["source_grounded_claims"] == 7
    assert row["quality_tier_basis"] == record["quality_tier"]["basis"]
    assert {k: row[k] for k in record["quality_dimensions"]} == record["quality_dimensions"]
    assert row["public_provenance_level"] == "L3" and row["public_provenance_label"] == "Claim aggregate record"
    assert row["manifest_contract"] == "paper-manifest-v1.1" and row["provenance_contract"] == "source-provenance-v1"
    flags = json.loads((site_dir / "data" / "source_flags.json").read_text(encoding="utf-8"))
    assert {(f["record_id"], f["field"]) for f in flags} >= {("SRCH:7693EED1", "title"), ("SRCH:7693EED1", "abstract")}


def test_source_reports_are_a_table_of_their_own(site_dir: Path) -> None:
    rows = json.loads((site_dir / "data" / "source_reports.json").read_text(encoding="utf-8"))
    kinds = [row["kind"] for row in rows if row["paper_id"] == "1701.06538" and row["source"] == "Pith"]
    assert kinds.count("citing_paper") == 50 and kinds.count("representative_summary") == 23
    (statement,) = [row for row in rows if row["kind"] == "statement"]
    assert (
        statement["text"].startswith("Canonical reference. 75% of citing Pith papers")
        and statement["denominator"] is None
    )
    positions = [row["position"] for row in rows if row["kind"] == "citing_paper"]
    assert positions == list(range(1, 51))


def test_index_pages_have_json_twins(site_dir: Path) -> None:
    for url in ("papers/", "syntheses/", "taxonomy/", "claims/", "methodology/"):
        twin = json.loads((site_dir / url / "index.json").read_text(encoding="utf-8"))
        assert twin["url"] == url
    methodology = json.loads((site_dir / "methodology" / "index.json").read_text(encoding="utf-8"))
    assert methodology["vocabularies"]["paper_level"]["values"]["L7"]["provenance"] == "undefined"
    assert json.loads((site_dir / "taxonomy" / "index.json").read_text(encoding="utf-8"))["editorial"] is True


# --- 6. editorial marks and ledger metadata ------------------------------------------------------------


def test_taxonomy_is_marked_editorial(site_dir: Path) -> None:
    assert "are editorial: chosen by this knowledge base's maintainers" in text_of(
        article(site_dir, "taxonomy/moe-routing/")
    )
    assert "Categories and their assignment are editorial" in text_of(article(site_dir, "papers/2503.23007/"))


def test_ledger_title_and_description_show_on_explorer_and_data_page(site_dir: Path) -> None:
    for url in ("claims/", "data/"):
        text = text_of(article(site_dir, url))
        assert LEDGER_TITLE in text and LEDGER_DESCRIPTION in text and "Source: Evidence-ledger draft." in text


@needs_path(SEEDS, "the user's seed documents (../shared/seeds)")
def test_ledger_metadata_is_seed_000_verbatim() -> None:
    seed = next(SEEDS.glob("000_*.txt")).read_text(encoding="utf-8").splitlines()
    package = json.loads((REPO / "ledgers" / "datapackage.json").read_text(encoding="utf-8"))
    (resource,) = package["resources"]
    assert [resource["title"], resource["description"], resource["sources"][0]["title"]] == [seed[2], seed[4], seed[0]]
    assert (REPO / "schema" / "ledger.table-schema.json").is_file()
    assert (REPO / "ledgers" / resource["schema"]).resolve() == (REPO / "schema" / "ledger.table-schema.json")


def test_a_broken_ledger_descriptor_is_a_located_error(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    (project / "ledgers" / "datapackage.json").write_text('{"resources": [{"path": "nope.csv"}]', encoding="utf-8")
    (problem,) = [p for p in run(project).problems if p.code == "ledger-package-invalid"]
    assert problem.location.path == "ledgers/datapackage.json" and problem.location.line == 1
    (project / "ledgers" / "datapackage.json").write_text('{"resources": [{"path": "nope.csv"}]}', encoding="utf-8")
    (problem,) = [p for p in run(project).problems if p.code == "ledger-package-invalid"]
    assert "`ledgers/nope.csv` does not exist" in problem.message


def test_category_chips_show_their_path(site_dir: Path) -> None:
    markup = article(site_dir, "papers/2503.23007/")
    assert re.search(r'class="kb-chip" href="[^"]*" title="FFN and Mixture-of-Experts in LLMs › [^"]+"', markup)


def test_chips_with_colliding_titles_show_the_path_in_the_text(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    taxonomy = project / "records" / "taxonomy.yaml"
    taxonomy.write_text(
        taxonomy.read_text(encoding="utf-8")
        + "  - slug: routing-system\n    title: System\n    parent: moe-routing\n"
        + "  - slug: layers-system\n    title: System\n    parent: sparse-moe-layers\n",
        encoding="utf-8",
    )
    paper = project / "records" / "papers" / "2503.23007.yaml"
    text = paper.read_text(encoding="utf-8")
    paper.write_text(
        re.sub(r"(?m)^taxonomy:\n", "taxonomy:\n  - routing-system\n  - layers-system\n", text, count=1),
        encoding="utf-8",
    )
    _, output = build_site(project)
    markup = next(p.html for p in output.pages if p.url == "papers/2503.23007/")
    chips = [text_of(c) for c in re.findall(r'<a class="kb-chip"[^>]*>(.*?)</a>', markup)]
    assert "FFN and Mixture-of-Experts in LLMs › Routing and gating › System" in chips
    assert "FFN and Mixture-of-Experts in LLMs › Sparse MoE layers › System" in chips
    assert "System" not in chips
