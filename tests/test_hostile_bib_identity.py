"""Identity (ids, files, paths, links, hidden characters) and hostile BibTeX.

An id becomes a URL and a file path, so a bad id is refused before anything else is
checked, and no id, however written, makes the generator write outside its output folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from generator.cli import main
from generator.pipeline.build import generate, write_generated
from generator.problems import Problems
from generator.sources.bibtex import read_bibtex
from tests.helpers import (
    HEADER,
    PAPER,
    SYNTHESIS,
    TAXONOMY,
    codes,
    diagnostic,
    make_project,
    only,
    row,
    run,
    warnings,
)

RECORD = "records/papers/p.yaml"


def with_id(identifier: str) -> str:
    return PAPER.replace('id: "2409.02060"', f"id: {identifier}")


def check(tmp_path: Path, text: str, **kwargs):  # type: ignore[no-untyped-def]
    return run(make_project(tmp_path / "project", papers={"p.yaml": text}, ledgers={}, **kwargs))


# --- malformed ids ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "shown"),
    [
        ('"2409.206"', "'2409.206'"),
        ('"arXiv:2409.02060"', "'arXiv:2409.02060'"),
        ('"2409.02060 "', "'2409.02060 '"),
        ('"HEP-TH/9901001"', "'HEP-TH/9901001'"),
        ('"hep-th/990100"', "'hep-th/990100'"),
        ('"2409.02060v0"', "'2409.02060v0'"),
        ('"../../etc/passwd"', "'../../etc/passwd'"),
        ('"/etc/passwd"', "'/etc/passwd'"),
        ('"..\\\\..\\\\windows\\\\win.ini"', "'..\\\\..\\\\windows\\\\win.ini'"),
        ('"C:\\\\x"', "'C:\\\\x'"),
        ('"hep-th/9901001/../../x"', "'hep-th/9901001/../../x'"),
        ('"2409.02060\\u202e"', "'2409.02060\\u202e'"),
        ('"24\\u200b09.02060"', "'24\\u200b09.02060'"),
        ('"\\uff12\\uff14\\uff10\\uff19.02060"', "'\\uff12\\uff14\\uff10\\uff19.02060'"),
        ('"\\u0662\\u0664\\u0660\\u0669.02060"', "'\\u0662\\u0664\\u0660\\u0669.02060'"),
    ],
)
def test_malformed_paper_ids(tmp_path: Path, written: str, shown: str) -> None:
    problem = only(check(tmp_path, with_id(written)))
    assert diagnostic(problem) == ("id-invalid", RECORD, 1, "id")
    assert problem.message == f"{shown} is not a paper id"
    assert problem.hint == (
        "use an arXiv id (`2503.23007`, old style `hep-th/9901001`), `doi:10.1145/…`, `openreview:<id>` "
        "or `acl:<Anthology id>`; external works use `ext:slug`"
    )


@pytest.mark.parametrize(
    ("path", "text", "field", "hint"),
    [
        (
            "records/syntheses/s.yaml",
            SYNTHESIS.replace('"SRCH:0000BEEF"', '"SRCH:../../x"'),
            "id",
            "synthesis ids look like `SRCH:7693EED1`",
        ),
        (
            "records/external/e.yaml",
            'id: "ext:../escape"\ntitle: "X"\n',
            "id",
            "external work ids look like `ext:` and a slug, e.g. `ext:attention-is-all-you-need`",
        ),
    ],
)
def test_malformed_synthesis_and_external_ids(tmp_path: Path, path: str, text: str, field: str, hint: str) -> None:
    problem = only(check(tmp_path, PAPER, files={path: text}))
    assert diagnostic(problem) == ("field-pattern", path, 1, field)
    assert problem.hint == hint


def test_malformed_category_slug(tmp_path: Path) -> None:
    site = run(make_project(tmp_path / "p", ledgers={}, taxonomy=TAXONOMY.replace("slug: moe", "slug: ../moe")))
    slug_error = next(p for p in site.problems.errors if p.location.path == "records/taxonomy.yaml")
    assert diagnostic(slug_error) == ("field-pattern", "records/taxonomy.yaml", 2, "categories[0].slug")
    assert slug_error.message == "'../moe' does not have the required form"


# --- old-style ids ------------------------------------------------------------------------------------


def test_old_style_id_with_a_slash_works(tmp_path: Path) -> None:
    paper = with_id('"hep-th/9901001"')
    root = make_project(
        tmp_path / "project",
        papers={"hep-th_9901001.yaml": paper},
        ledgers={"x.csv": HEADER + "\n" + row(paper_id="hep-th/9901001v1") + "\n"},
    )
    site = run(root)
    assert not site.problems.errors, site.problems.report()
    assert [c.paper_base for c in site.claims_by_paper["hep-th/9901001"]] == ["hep-th/9901001"]
    out = tmp_path / "out"
    write_generated(site, out)
    page = out / "papers" / "hep-th" / "9901001" / "index.html"
    assert page.is_file()
    assert "<code>hep-th/9901001</code>" in page.read_text(encoding="utf-8")
    assert {p.url for p in generate(site).pages} >= {"papers/hep-th/9901001/"}


def test_old_style_id_with_subject_class(tmp_path: Path) -> None:
    site = check(tmp_path, with_id('"math.AG/0101001"'))
    assert not site.problems.errors, site.problems.report()
    assert "math.AG/0101001" in site.papers


# --- one paper, one record ----------------------------------------------------------------------------


def test_same_id_in_two_files(tmp_path: Path) -> None:
    root = make_project(tmp_path / "project", papers={"a.yaml": PAPER, "b.yaml": PAPER}, ledgers={})
    problem = only(run(root))
    assert diagnostic(problem) == ("id-duplicate", "records/papers/b.yaml", 1, "id")
    assert (
        problem.message
        == "id `2409.02060` is used by both records/papers/a.yaml and records/papers/b.yaml; records/papers/b.yaml is left out"
    )
    assert problem.hint == "each record needs its own id; the record with this id belongs in `2409.02060.yaml`"


def test_same_paper_under_two_versions(tmp_path: Path) -> None:
    papers = {"a.yaml": PAPER, "b.yaml": with_id('"2409.02060v2"')}
    problem = only(run(make_project(tmp_path / "project", papers=papers, ledgers={})))
    assert diagnostic(problem) == ("id-versioned", "records/papers/b.yaml", 1, "id")
    assert problem.message == "paper id `2409.02060v2` carries a version"
    assert problem.hint == 'one record per paper: id: "2409.02060" and versions: ["v2"]'


def test_claim_on_a_version_the_record_does_not_list(tmp_path: Path) -> None:
    site = run(make_project(tmp_path / "p", ledgers={"x.csv": HEADER + "\n" + row(paper_id="2409.02060v2") + "\n"}))
    assert not site.problems.errors
    (warning,) = warnings(site)
    assert diagnostic(warning) == ("claim-version-unknown", "ledgers/x.csv", 2, "paper_id")
    assert warning.message == "version `v2` is not in the record's versions (v1)"


# --- paths and links ----------------------------------------------------------------------------------


def tree(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


def test_nothing_is_written_outside_the_output_folder_whatever_the_ids(tmp_path: Path) -> None:
    hostile = ['"../../escape"', '"/tmp/escape"', '"..\\\\escape"', '"hep-th/9901001/../../../escape"']
    papers = {f"p{i}.yaml": with_id(identifier) for i, identifier in enumerate(hostile)}
    papers["good.yaml"] = PAPER
    ledger = HEADER + "\n" + "\n".join(row(paper_id=f"../../{i}v1", claim_id=f"c-0000000{i}") for i in range(3)) + "\n"
    root = make_project(tmp_path / "project", papers=papers, ledgers={"x.csv": ledger})
    site = run(root)
    assert codes(site.problems.errors).count("id-invalid") == len(hostile) + 3
    before = tree(tmp_path)
    out = tmp_path / "project" / "out"
    write_generated(site, out)  # even with errors, nothing the bad ids say becomes a path
    created = tree(tmp_path) - before
    assert created, "nothing was generated"
    assert all(path.startswith("project/out") for path in created), sorted(created)
    assert not (tmp_path / "escape").exists() and not Path("/tmp/escape").exists()


def test_symlinked_record_pointing_outside_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text(with_id('"2409.02061"'), encoding="utf-8")
    root = make_project(tmp_path / "project", ledgers={})
    os.symlink(outside, root / "records" / "papers" / "link.yaml")
    site = run(root)
    problem = only(site)
    assert diagnostic(problem) == ("file-symlink", "records/papers/link.yaml", None, "")
    assert problem.message == f"symbolic links are not allowed here (points to {outside.as_posix()})"
    assert "2409.02061" not in site.papers


def test_symlinked_folder_inside_records_is_refused(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "x.yaml").write_text(with_id('"2409.02061"'), encoding="utf-8")
    root = make_project(tmp_path / "project", ledgers={})
    os.symlink(elsewhere, root / "records" / "more", target_is_directory=True)
    site = run(root)
    assert diagnostic(only(site)) == ("file-symlink", "records/more", None, "")
    assert "2409.02061" not in site.papers


@pytest.mark.parametrize("folder", ["records", "ledgers"])
def test_symlinked_top_folder_is_refused(tmp_path: Path, folder: str) -> None:
    root = make_project(tmp_path / "project")
    real = tmp_path / f"real-{folder}"
    (root / folder).rename(real)
    os.symlink(real, root / folder, target_is_directory=True)
    site = run(root)
    problems = [p for p in site.problems.errors if p.code == "file-symlink"]
    assert [diagnostic(p) for p in problems] == [("file-symlink", folder, None, "")]
    assert problems[0].message == f"`{folder}/` is a symbolic link (points to {real.as_posix()})"


# --- invisible characters ------------------------------------------------------------------------------


def test_bidi_and_zero_width_in_a_title_are_shown_and_warned(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    title = "Safe \u202eevil\u202c zero\u200bwidth"
    root = make_project(tmp_path / "project", papers={"2409.02060.yaml": PAPER.replace("A paper", title)})
    site = run(root)
    assert not site.problems.errors
    (warning,) = [w for w in warnings(site) if w.code != "url-unlocked"]
    assert diagnostic(warning) == ("text-invisible-char", RECORD.replace("p.yaml", "2409.02060.yaml"), 3, "title")
    assert warning.message == "text contains invisible control characters (U+200B, U+202C, U+202E)"
    page = next(p for p in generate(site).pages if p.url == "papers/2409.02060/")
    span = '<span class="kb-invisible" title="invisible character">U+{}</span>'
    assert f"<h1>Safe {span.format('202E')}evil{span.format('202C')} zero{span.format('200B')}width</h1>" in page.html
    assert main(["--root", str(root), "validate"]) == 0
    assert main(["--root", str(root), "validate", "--strict"]) == 1
    assert "records/papers/2409.02060.yaml:3:1: warning: title: text contains invisible" in capsys.readouterr().err


# --- BibTeX --------------------------------------------------------------------------------------------

HOSTILE_BIB = r"""@article{dup,
  title = {First},
  year = {2020},
}

@article{dup,
  title = {Second},
  year = {2021},
}

@article{broken,
  title = {Unbalanced {braces},
  year = {2022},
}

@article{latex,
  title = {{\"U}ber {S}parse {M}ixture-of-{E}xperts: $\alpha$-routing \& R\&D --- a {\em study}},
  author = {M{\"u}ller, J{\"o}rg and Dvo{\v{r}}{\'a}k, Anton{\'\i}n},
  abstract = {<script>alert('bib')</script> {{ 7*7 }}},
  year = {2023},
  url = {javascript:alert(1)},
}

@misc{data,
  title = {Data URL},
  howpublished = {data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==},
  url = {data:text/html,<script>alert(1)</script>},
  year = {2024},
}
"""


@pytest.fixture
def bib(tmp_path: Path) -> Path:
    path = tmp_path / "hostile.bib"
    path.write_text(HOSTILE_BIB, encoding="utf-8")
    return path


def test_bibtex_duplicate_keys_and_unbalanced_braces_are_located(bib: Path) -> None:
    problems = Problems()
    entries = read_bibtex(bib, "records/hostile.bib", problems)
    assert [(p.code, p.location.path, p.location.line) for p in problems.errors] == [
        ("bib-duplicate-key", "records/hostile.bib", 6),
        ("bib-parse", "records/hostile.bib", 11),
    ]
    assert problems.errors[0].message == "duplicate entry key `dup` (first used on line 1); this entry is ignored"
    assert problems.errors[1].hint == "check that braces are balanced and that fields are separated by commas"
    assert [e.key for e in entries] == ["dup", "latex", "data"]
    assert entries[0].title == "First"


def test_bibtex_latex_is_decoded_to_unicode(bib: Path) -> None:
    latex = next(e for e in read_bibtex(bib, "records/hostile.bib", Problems()) if e.key == "latex")
    assert latex.title == "Über Sparse Mixture-of-Experts: α-routing & R&D — a study"
    assert latex.authors == ["Jörg Müller", "Antonín Dvořák"]


def test_bibtex_javascript_and_data_urls_are_dropped_with_warnings(bib: Path) -> None:
    problems = Problems()
    entries = {e.key: e for e in read_bibtex(bib, "records/hostile.bib", problems)}
    assert entries["latex"].url == "" and entries["data"].url == ""
    unsafe = [(p.location.line, p.field) for p in problems.warnings if p.code == "bib-unsafe-url"]
    assert unsafe == [(21, "url"), (26, "howpublished"), (27, "url")]
    assert (
        problems.warnings[0].message
        == "entry `latex`: link `javascript:alert(1)` is not an http(s) URL and is not kept"
    )


def test_bibtex_problems_reach_the_pipeline_and_its_text_is_escaped(tmp_path: Path) -> None:
    paper = PAPER.replace('authors:\n  - "Ada Lovelace"\n', "").replace("year: 2024\n", "") + 'bibtex_key: "latex"\n'
    root = make_project(tmp_path / "project", papers={"p.yaml": paper}, files={"records/refs.bib": HOSTILE_BIB})
    site = run(root)
    assert [(p.code, p.location.path, p.location.line) for p in site.problems.errors] == [
        ("bib-duplicate-key", "records/refs.bib", 6),
        ("bib-parse", "records/refs.bib", 11),
    ]
    record = site.papers["2409.02060"].record
    assert record.authors == ["Jörg Müller", "Antonín Dvořák"]
    assert record.year == 2023
    html = next(p for p in generate(site).pages if p.url == "papers/2409.02060/").html
    assert "&lt;script&gt;alert(&#39;bib&#39;)&lt;/script&gt;" in html
    assert "<script>alert" not in html
