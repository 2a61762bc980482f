"""Real literatures (issue #14): errors that point at their cause, a taxonomy with several parents, papers
known by DOI, OpenReview or ACL Anthology ids, `kb import-list`, `kb import-bib` ids, claim ids that come
back, file names that match ids, and `kb init`.

The real paper lists and bibliographies are read from ../shared/real/ (never copied here); the
synthetic list in tests/fixtures/lists/ has a third layout and only made-up ids and titles.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from generator.model.paper_ids import doi_from_path, doi_id, paper_path
from generator.urls import id_from_file_stem, paper_url, record_file_stem
from tests.conftest import REPO, copy_project, needs_path
from tests.helpers import codes, diagnostic, kb, make_project, only, run, write

REAL = REPO.parent / "shared" / "real"
LISTS = REAL / "lists"
REAL_LISTS = ("codecaution-awesome-moe-papers.md", "superbrucejia-awesome-moe.md")
needs_lists = needs_path(LISTS, "real paper lists")
needs_bib = needs_path(REAL / "bib", "real BibTeX samples")
SYNTHETIC_LIST = Path(__file__).parent / "fixtures" / "lists" / "linked-titles.md"
LEDGER_HEADER = (
    "paper_id,claim,claim_status,evidence_status,source_depth,source_quote,page_or_section,taxonomy_fit,"
    "audit_status,claim_id\n"
)


def ledger_row(paper_id: str, claim: str, claim_id: str = "", quote: str = "Quoted.") -> str:
    return f'{paper_id},"{claim}",supported,has evidence row,abstract,"{quote}",p1,in-scope: fits,pending,{claim_id}\n'


def counts(report: str) -> tuple[int, int, int, int]:
    """(created, updated, merged, skipped) from the last line of an import-list report."""
    match = re.search(r"^created (\d+), updated (\d+), merged (\d+), skipped (\d+)$", report, re.MULTILINE)
    assert match, report
    created, updated, merged, skipped = (int(n) for n in match.groups())
    return created, updated, merged, skipped


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


# --- 1. errors that point at the cause ------------------------------------------------------------


def test_a_category_typo_is_one_located_error_printed_first(project: Path) -> None:
    edit(project / "records" / "taxonomy.yaml", "    description: How a gate", "    descripton: How a gate")
    result = kb(project, "validate")
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert (
        lines[0] == "records/taxonomy.yaml:14:5: categories[2].descripton: unknown field `descripton` [field-unknown]"
    )
    assert lines[1] == "    hint: did you mean `description`?"
    assert lines[2].startswith("    …and ") and "reference(s) to categories that did not load" in result.stderr
    assert re.search(r"^1 error\(s\), \d+ warning\(s\), and \d+ follow-on problem\(s\)", result.stderr, re.MULTILINE)
    for follow_on in ("[ref-unknown-category]", "[url-lost]", "restore category"):
        assert follow_on not in result.stderr


def test_a_list_in_parent_is_one_located_error_with_the_dag_spelling(project: Path) -> None:
    edit(
        project / "records" / "taxonomy.yaml",
        "    parent: ffn-moe\n  - slug: moe-training-dynamics",
        "    parent: [ffn-moe, sparse-moe-layers]\n  - slug: moe-training-dynamics",
    )
    site = run(project)
    problem = only(site)
    assert diagnostic(problem) == ("field-type", "records/taxonomy.yaml", 15, "categories[2].parent")
    assert problem.hint.startswith("for several parents write `parents: [ffn-moe, sparse-moe-layers]`")
    assert not [p for p in site.problems if p.code.startswith(("ref-", "url-lost"))]


def test_a_cycle_is_refused_once_with_its_path(tmp_path: Path) -> None:
    taxonomy = (
        "categories:\n- slug: moe\n  title: MoE\n- slug: a\n  title: A\n  parents: [moe, b]\n"
        "- slug: b\n  title: B\n  parent: a\n"
    )
    site = run(make_project(tmp_path / "p", taxonomy=taxonomy))
    problem = only(site, "category-cycle")
    assert problem.message == "categories form a cycle: a -> b -> a"
    assert site.children["moe"] == ("a",) and "a" not in site.children.get("b", ())


def test_a_rejected_paper_counts_its_ledger_rows_under_it(tmp_path: Path) -> None:
    ledgers = {"x.csv": LEDGER_HEADER + ledger_row("2409.02060v1", "One.") + ledger_row("2409.02060v1", "Two.")}
    paper = 'id: "2409.02060"\ntitle: A paper\nyear: "2024"\n'
    site = run(make_project(tmp_path / "p", papers={"2409.02060.yaml": paper}, ledgers=ledgers))
    assert codes(site.problems.errors) == ["field-type"]
    assert site.problems.follow_ons("records/papers/2409.02060.yaml") == [
        ("ledger row(s) about papers that did not load", 2)
    ]


# --- 2 and 3. a DAG, and a paper known only by its DOI, in a real build ---------------------------


def test_dag_taxonomy_and_doi_only_paper_build(project: Path) -> None:
    edit(
        project / "records" / "taxonomy.yaml",
        "    parent: ffn-moe\n  - slug: expert-specialization",
        "    parents: [ffn-moe, sparse-moe-layers]\n  - slug: expert-specialization",
    )
    write(
        project / "records" / "papers" / "doi-10.5555_synth.0001.yaml",
        'id: "doi:10.5555/synth.0001"\ntitle: A synthetic paper known only by its DOI\n'
        'authors: ["Ada Example"]\nyear: 2024\ntaxonomy: [moe-routing]\nlinks:\n  doi: "10.5555/synth.0001"\n',
    )
    write(
        project / "records" / "papers" / "2409.02060.yaml",
        'id: "2409.02060"\ntitle: A synthetic preprint with a DOI as well\ntaxonomy: [moe-routing]\n'
        'links:\n  doi: "10.5555/SYNTH.0003"\n',
    )
    write(
        project / "ledgers" / "doi.csv",
        LEDGER_HEADER + ledger_row("doi:10.5555/synth.0001", "A synthetic claim about a DOI-only paper.", "c-5eed0001"),
    )
    result = kb(project, "build")
    assert result.returncode == 0, result.stderr
    site = project / "site"
    page = (site / "papers" / "doi" / "10.5555" / "synth.0001" / "index.html").read_text(encoding="utf-8")
    assert "A synthetic paper known only by its DOI" in page
    assert "A synthetic claim about a DOI-only paper." in page
    assert 'id="cite"' in page and "https://doi.org/10.5555/synth.0001" in page
    assert "taxonomy/moe-routing/" in page
    category = (site / "taxonomy" / "moe-routing" / "index.html").read_text(encoding="utf-8")
    assert "papers/doi/10.5555/synth.0001/" in category
    explorer = "".join(
        p.read_text(encoding="utf-8") for p in (site / "claims").rglob("*") if p.suffix in (".html", ".json")
    )
    assert "doi:10.5555/synth.0001" in explorer
    redirect = (site / "papers" / "doi" / "10.5555" / "synth.0003" / "index.html").read_text(encoding="utf-8")
    assert "2409.02060" in redirect  # the second id of one paper redirects to its record
    index = (site / "taxonomy" / "index.html").read_text(encoding="utf-8")
    assert index.count('href="moe-training-dynamics/"') == 2  # shown under each of its two parents
    dynamics = (site / "taxonomy" / "moe-training-dynamics" / "index.html").read_text(encoding="utf-8")
    assert "FFN and Mixture-of-Experts in LLMs" in dynamics and "Sparse MoE layers" in dynamics


def test_paper_urls_are_permanent_and_collision_free() -> None:
    assert paper_url("2503.23007v2") == "papers/2503.23007/"
    assert paper_url("hep-th/9901001") == "papers/hep-th/9901001/"
    assert paper_url("doi:10.1145/3219819.3220007") == "papers/doi/10.1145/3219819.3220007/"
    assert paper_url("openreview:B1ckMDqlg") == "papers/openreview/B1ckMDqlg/"
    assert paper_url("acl:2020.acl-main.463") == "papers/acl/2020.acl-main.463/"
    odd = ["doi:10.1002/(sici)1097-4636(199706)35:4<417::aid-jbm3>3.0.co;2-m", "doi:10.1234/a/b", "doi:10.1234/a_2fb"]
    paths = [paper_path(d) for d in odd]
    assert len(set(paths)) == 3 and all(re.fullmatch(r"doi/10\.\d+/[a-z0-9._-]+", p) for p in paths)
    assert [doi_from_path(p) for p in paths] == odd
    assert doi_id("10.48550/arXiv.1701.06538") == "1701.06538"
    assert doi_id("10.1109/CVPR.2016.90") == "doi:10.1109/cvpr.2016.90"
    for record_id in ("2503.23007", "hep-th/9901001", "doi:10.1234/a/b", "openreview:B1ckMDqlg", "SRCH:7693EED1"):
        assert id_from_file_stem(record_file_stem(record_id)) == record_id


def test_a_doi_in_upper_case_is_refused_with_its_canonical_form(tmp_path: Path) -> None:
    paper = 'id: "doi:10.1109/CVPR.2016.90"\ntitle: A paper\n'
    problem = only(run(make_project(tmp_path / "p", papers={"doi-10.1109_cvpr.2016.90.yaml": paper}, ledgers={})))
    assert diagnostic(problem) == ("id-not-canonical", "records/papers/doi-10.1109_cvpr.2016.90.yaml", 1, "id")
    assert problem.hint.startswith('write id: "doi:10.1109/cvpr.2016.90"')


def test_kb_new_paper_takes_a_doi(tmp_path: Path) -> None:
    assert kb(tmp_path, "new", "paper", "https://doi.org/10.1145/3219819.3220007").returncode == 0
    assert 'id: "doi:10.1145/3219819.3220007"' in (
        tmp_path / "records" / "papers" / "doi-10.1145_3219819.3220007.yaml"
    ).read_text(encoding="utf-8")
    assert kb(tmp_path, "new", "paper", "10.48550/arXiv.2409.02060").returncode == 0
    assert (tmp_path / "records" / "papers" / "2409.02060.yaml").exists()


# --- 5. import-bib finds ids wherever BibTeX writers put them ---------------------------------------

BIB = r"""@article{doionly, title={Only a DOI}, doi={10.5555/Synth.0010}, year={2024}}
@misc{bareurl, title={A bare arXiv address}, url={arxiv.org/abs/2409.02062}}
@misc{innote, title={On OpenReview}, note={https://openreview.net/forum?id=SynthForum9}}
@article{arxivdoi, title={An arXiv DOI}, doi={10.48550/arXiv.2409.02063}}
@misc{anthology, title={In the Anthology}, howpublished={\url{aclanthology.org/2024.fake-main.3}}}
@book{nothing, title={No identifier at all}}
"""


def test_import_bib_creates_papers_from_any_id(tmp_path: Path) -> None:
    write(tmp_path / "refs.bib", BIB)
    result = kb(tmp_path, "import-bib", "refs.bib")
    assert result.returncode == 0, result.stderr
    made = sorted(p.name for p in (tmp_path / "records" / "papers").iterdir())
    assert made == [
        "2409.02062.yaml",
        "2409.02063.yaml",
        "acl-2024.fake-main.3.yaml",
        "doi-10.5555_synth.0010.yaml",
        "openreview-SynthForum9.yaml",
    ]
    assert "nothing (line 6): no paper id" in result.stdout
    assert "created 5, updated 0, skipped 1, failed 0" in result.stdout


@needs_bib
def test_d2l_imports_kojima_as_its_arxiv_id(tmp_path: Path) -> None:
    result = kb(tmp_path, "import-bib", str(REAL / "bib" / "d2l-ai_d2l-en_d2l.bib"))
    assert "  kojima2022large (line 4386): records/papers/2205.11916.yaml (2205.11916)" in result.stdout.splitlines()


# --- 6. claim ids ---------------------------------------------------------------------------------


def test_same_claim_twice_is_one_warning_and_kb_ids_tells_them_apart(tmp_path: Path) -> None:
    rows = ledger_row("2409.02060v1", "Same text.", quote="First.") + ledger_row(
        "2409.02060v1", "Same text.", quote="Second."
    )
    root = make_project(tmp_path / "p", ledgers={"x.csv": LEDGER_HEADER + rows})
    site = run(root)
    assert not site.problems.errors, site.problems.report()
    (warning,) = [p for p in site.problems if p.code == "claim-text-duplicate"]
    assert warning.message.startswith("rows ledgers/x.csv:2, ledgers/x.csv:3 state the same claim about `2409.02060`")
    assert len({c.claim_id for c in site.corpus.claims}) == 2
    assert kb(root, "ids").returncode == 0
    ids = [line.rsplit(",", 1)[1] for line in (root / "ledgers" / "x.csv").read_text().splitlines()[1:]]
    assert len(set(ids)) == 2 and all(re.fullmatch(r"c-[0-9a-f]{8,12}", i) for i in ids)
    assert "claim-text-duplicate" not in {p.code for p in run(root).problems}


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


def test_kb_ids_gives_back_published_ids_and_reports_ambiguity(tmp_path: Path) -> None:
    published = (
        ledger_row("2409.02060v1", "Kept claim.", "c-0000000a")
        + ledger_row("2409.02060v1", "Twice.", "c-0000000b")
        + ledger_row("2409.02060v1", "Twice.", "c-0000000c")
    )
    root = make_project(tmp_path / "p", ledgers={"x.csv": LEDGER_HEADER + published})
    git(root, "init", "-q")
    git(root, "-c", "user.name=t", "-c", "user.email=t@example.org", "add", ".")
    git(root, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "-m", "published")
    regenerated = LEDGER_HEADER.replace(",claim_id", "") + "".join(
        line.rsplit(",", 1)[0] + "\n" for line in published.splitlines()
    ).replace("Kept claim.", "Kept  CLAIM.")
    (root / "ledgers" / "x.csv").write_text(regenerated, encoding="utf-8")
    result = kb(root, "ids")
    assert result.returncode == 1
    assert (
        "ledgers/x.csv:3: this row matches 2 published claims by paper and text (c-0000000b, c-0000000c)"
        in result.stderr
    )
    lines = (root / "ledgers" / "x.csv").read_text(encoding="utf-8").splitlines()
    assert lines[1].endswith(",c-0000000a")  # same paper, same text once case and spacing are set aside
    assert lines[2].endswith(",") and lines[3].endswith(",")  # ambiguous: nothing minted


# --- 7. file names --------------------------------------------------------------------------------


def test_a_file_named_otherwise_than_its_id_is_a_located_warning(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", papers={"mmoe-kdd2018.yaml": 'id: "2409.02060"\ntitle: A paper\n'}, ledgers={})
    site = run(root)
    (warning,) = [p for p in site.problems if p.code == "file-name-mismatch"]
    assert diagnostic(warning) == ("file-name-mismatch", "records/papers/mmoe-kdd2018.yaml", 1, "id")
    assert warning.hint.startswith("rename it to `2409.02060.yaml`")


# --- 4 and 8. import-list and kb init -------------------------------------------------------------


def test_import_list_reads_a_third_layout(tmp_path: Path) -> None:
    root = tmp_path / "kb"
    assert kb(tmp_path, "init", str(root)).returncode == 0
    result = kb(root, "import-list", str(SYNTHETIC_LIST))
    assert result.returncode == 0, result.stderr
    assert counts(result.stdout) == (5, 0, 1, 1)
    assert "linked-titles.md: 7 entries under 4 headings" in result.stdout
    assert "  line 30: 'A blog post with no paper id': no arXiv, DOI, OpenReview or ACL Anthology link" in result.stdout
    assert "  line 29: 'Synthetic routing paper one': same id as line 15 (2409.02060); added taxonomy" in result.stdout
    papers = root / "records" / "papers"
    assert sorted(p.name for p in papers.iterdir()) == [
        "2409.02060.yaml",
        "2409.02061.yaml",  # linked by its arXiv DOI
        "acl-2024.fake-main.7.yaml",
        "doi-10.5555_synth.0002.yaml",
        "openreview-SynthForum3.yaml",
    ]
    two = (papers / "doi-10.5555_synth.0002.yaml").read_text(encoding="utf-8")
    assert "  - Ada Example\n  - Bo Sample\nauthors_complete: false\nvenue: Journal of Examples\n" in two
    assert "year:" not in two  # the list prints none, so none is invented
    one = (papers / "2409.02060.yaml").read_text(encoding="utf-8")
    assert "# import-list: year printed as 2023 at linked-titles.md:29" in one
    assert "taxonomy:\n  - token-choice\n  - systems\n" in one
    taxonomy = (root / "records" / "taxonomy.yaml").read_text(encoding="utf-8")
    assert "  - slug: expert-choice\n    title: Expert choice\n    parent: token-choice\n" in taxonomy
    assert "Not a heading" not in taxonomy and "Table of Contents" not in taxonomy and "2023" not in taxonomy


@needs_lists
def test_init_import_real_lists_ids_and_strict_build(tmp_path: Path) -> None:
    root = tmp_path / "moe-kb"
    result = kb(tmp_path, "init", str(root), "--name", "MoE literature")
    assert result.returncode == 0, result.stderr
    assert not (root / "site").exists() and (root / "urls.lock").exists()
    built = kb(root, "build", "--strict")
    assert built.returncode == 0, built.stderr  # a new knowledge base builds at once
    reports = [kb(root, "import-list", str(LISTS / name)) for name in REAL_LISTS]
    assert [r.returncode for r in reports] == [0, 0], [r.stderr for r in reports]
    assert "codecaution-awesome-moe-papers.md: 56 entries under 5 headings" in reports[0].stdout
    assert counts(reports[0].stdout) == (45, 0, 7, 4)
    assert "superbrucejia-awesome-moe.md: 65 entries under 29 headings" in reports[1].stdout
    assert counts(reports[1].stdout) == (37, 10, 11, 7)  # 10 papers were already in from the first list
    assert kb(root, "ids").returncode == 0
    assert kb(root, "check-urls", "--update").returncode == 0  # new pages are locked before a strict build
    built = kb(root, "build", "--strict")
    assert built.returncode == 0, built.stderr
    assert "82 papers" in built.stderr
    site = root / "site"
    assert (site / "papers" / "doi" / "10.1145" / "3219819.3220007" / "index.html").exists()
    assert (site / "papers" / "openreview" / "23ZjUGpjcc" / "index.html").exists()
    switch = (root / "records" / "papers" / "2101.03961.yaml").read_text(encoding="utf-8")
    assert "title: 'Switch Transformers: Scaling" in switch  # the first title printed is kept
    assert "# import-list: title printed as 'Scaling Vision with Sparse Mixture of Experts.'" in switch


@pytest.mark.parametrize("name", REAL_LISTS)
@needs_lists
def test_import_list_on_a_real_list_is_idempotent(tmp_path: Path, name: str) -> None:
    root = copy_project(tmp_path / "p")
    first = kb(root, "import-list", str(LISTS / name))
    assert first.returncode == 0, first.stderr
    again = kb(root, "import-list", str(LISTS / name))
    created, updated, merged, skipped = counts(again.stdout)
    assert (created, updated) == (0, 0)
    assert created + updated + merged + skipped == sum(counts(first.stdout))
    assert not run(root).problems.errors


def test_a_rejected_external_work_is_one_error_for_all_its_citations(tmp_path: Path) -> None:
    citing = 'id: "2409.02060"\ntitle: A paper\ncites:\n  - target: ext:broken-work\n  - target: ext:broken-work\n'
    broken = 'id: "ext:broken-work"\ntitle: A work\nyear: "1999"\n'
    root = make_project(tmp_path / "p", papers={"2409.02060.yaml": citing}, ledgers={})
    write(root / "records" / "external" / "ext-broken-work.yaml", broken)
    site = run(root)
    problem = only(site)
    assert diagnostic(problem) == ("field-type", "records/external/ext-broken-work.yaml", 3, "year")
    assert site.problems.follow_ons("records/external/ext-broken-work.yaml") == [
        ("citation(s) of records that did not load", 2)
    ]
    assert site.problems.report().splitlines()[0].startswith("records/external/ext-broken-work.yaml:3")
