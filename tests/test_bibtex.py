"""The BibTeX reader against the quirks of real files (shared/real/bib/ORIGIN.md) and hostile input."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.problems import Problems, Severity
from generator.sources.bibtex import BibIndex, latex_to_text, parse_authors, parse_bibtex, read_bibtex, read_bibtex_file
from tests.conftest import needs_path

REAL = Path(__file__).resolve().parents[1].parent / "shared" / "real" / "bib"
needs_real = needs_path(REAL, "real BibTeX samples")
D2L = REAL / "d2l-ai_d2l-en_d2l.bib"
PMQ9 = REAL / "PMQ9_Mixture-of-Experts_Research_paper_references_saiv2026.bib"
BLOCKS = REAL / "readme_blocks"


def parse(text: str) -> tuple[list, Problems]:  # type: ignore[type-arg]
    problems = Problems()
    return list(parse_bibtex(text, "test.bib", problems).entries), problems


def by_key(path: Path) -> dict:  # type: ignore[type-arg]
    return {e.key: e for e in read_bibtex(path, path.name, Problems())}


# --- LaTeX -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("latex", "text"),
    [
        (r"{\"u}", "ü"),
        (r"Schmidhuber, J{\"u}rgen", "Schmidhuber, Jürgen"),
        (r"{BERT}: Pre-training", "BERT: Pre-training"),
        (r"Vuli\'{c}", "Vulić"),
        (r"Mart{\'\i}n", "Martín"),
        (r"F.~P. Cantelli", "F. P. Cantelli"),
        (r"An image is worth $16\times 16$ words", "An image is worth 16×16 words"),
        (r"Rend.\ {A}ccad.\ {L}incei", "Rend. Accad. Lincei"),
        (r"{{GL}a{M}: Efficient}", "GLaM: Efficient"),
        (r"12th {USENIX} {S}ymposium", "12th USENIX Symposium"),
        (r"``quoted'' --- pages 1--2", "“quoted” — pages 1–2"),
        (r"\texttt{torch.cond()} control flow", "torch.cond() control flow"),
        (r"50% of \& more", "50% of & more"),
        ("Field values\n\t\t  wrap   here", "Field values wrap here"),
        ("hidden\u202eorder\u200b", "hiddenorder"),
        ("", ""),
    ],
)
def test_latex_to_text(latex: str, text: str) -> None:
    assert latex_to_text(latex) == text


# --- authors ---------------------------------------------------------------------


def test_authors_last_first_corporate_and_others() -> None:
    authors, complete = parse_authors(r"Jiang, Albert Q. and {{DeepSeek-AI}} and L{\'e}on Bottou and others")
    assert authors == ["Albert Q. Jiang", "DeepSeek-AI", "Léon Bottou"]
    assert complete is False


def test_authors_corporate_name_with_and_is_kept_whole() -> None:
    assert parse_authors("{Barnes and Noble} and Smith, Jo") == (["Barnes and Noble", "Jo Smith"], True)


def test_authors_suffix_and_et_al() -> None:
    authors, complete = parse_authors("King, Jr., Martin Luther and Isard, Michael and et al.")
    assert authors == ["Martin Luther King Jr.", "Michael Isard"]
    assert complete is False


def test_authors_stray_comma_before_and() -> None:
    # d2l.bib, Cajal.Azoulay.1894
    assert parse_authors(r"Ram{\'o}n y {C}ajal, Santiago, and Azoulay, L.")[0] == [
        "Santiago Ramón y Cajal",
        "L. Azoulay",
    ]


# --- failed blocks: every one is a problem with a 1-based line -------------------------


def test_duplicate_key_and_unbalanced_braces_are_reported_with_lines() -> None:
    text = (
        "@article{a, title={One}}\n"  # line 1
        "@article{a, title={Two}}\n"  # line 2
        "\n"
        "@article{b, title={Unbalanced}\n"  # line 4
        "@article{c, title={Fine}}\n"  # line 5
    )
    problems = Problems()
    parsed = parse_bibtex(text, "x.bib", problems)
    assert [e.key for e in parsed.entries] == ["a", "c"]
    assert [(f.code, f.line) for f in parsed.failed] == [("bib-duplicate-key", 2), ("bib-parse", 4)]
    reported = [(p.code, p.location.line, p.severity) for p in problems]
    assert reported == [("bib-duplicate-key", 2, Severity.ERROR), ("bib-parse", 4, Severity.ERROR)]
    assert "first used on line 1" in problems.errors[0].message


def test_duplicate_field_is_reported() -> None:
    entries, problems = parse("\n@article{t, title={A}, title={B}}\n")
    assert entries == []
    assert [(p.code, p.location.line) for p in problems] == [("bib-duplicate-field", 2)]


def test_bibtexparser_logging_is_silenced(capfd: pytest.CaptureFixture[str]) -> None:
    parse("@article{b, title={x}\n@article{c, title={y}}\n")
    assert capfd.readouterr().err == ""


def test_not_utf8_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "latin1.bib"
    path.write_bytes(b"@article{a,\n  title={Caf\xe9}}\n")
    problems = Problems()
    assert read_bibtex(path, "latin1.bib", problems) == []
    assert [(p.code, p.location.line) for p in problems] == [("bib-encoding", 2)]


def test_missing_file_is_reported(tmp_path: Path) -> None:
    problems = Problems()
    assert read_bibtex(tmp_path / "none.bib", "none.bib", problems) == []
    assert [p.code for p in problems] == ["bib-read"]


# --- identifiers and links ------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "arxiv", "version"),
    [
        ("eprint={2401.06066v2}, archivePrefix={arXiv}", "2401.06066", "v2"),
        ("eprint={arXiv:hep-th/9901001}", "hep-th/9901001", ""),
        ("journal={Ar{X}iv:1607.06450}", "1607.06450", ""),
        ("journal={arXiv preprint arXiv:2401.06066}", "2401.06066", ""),
        ("journal={CoRR}, volume={abs/1701.06538}", "1701.06538", ""),
        ("doi={10.48550/arXiv.1701.06538}", "1701.06538", ""),
        ("url={https://arxiv.org/pdf/1706.03762v7.pdf}", "1706.03762", "v7"),
        ("note={Preprint at arXiv:2503.23007v1.}", "2503.23007", "v1"),
        ("journal={arXiv preprint}", "", ""),
        ("eprint={1234.5678}, archivePrefix={PubMed}", "", ""),
        ("journal={arXiv:2401.060661}", "", ""),
    ],
)
def test_arxiv_id_sources(fields: str, arxiv: str, version: str) -> None:
    entries, _ = parse(f"@article{{k, title={{T}}, {fields}}}")
    assert (entries[0].arxiv_id, entries[0].arxiv_version) == (arxiv, version)


def test_invalid_eprint_is_warned() -> None:
    _, problems = parse("@article{k, title={T}, eprint={not-an-id}}")
    assert [(p.code, p.severity) for p in problems] == [("bib-arxiv-id", Severity.WARNING)]


@pytest.mark.parametrize(
    "link",
    [r"url={javascript:alert(1)}", r"howpublished={\url{data:text/html,<b>x</b>}}", r"url={ftp://example.org/x}"],
)
def test_unsafe_urls_are_dropped_with_a_warning(link: str) -> None:
    entries, problems = parse(f"@misc{{k,\n  title={{T}},\n  {link}\n}}")
    assert entries[0].url == ""
    assert [(p.code, p.location.line, p.severity) for p in problems] == [("bib-unsafe-url", 3, Severity.WARNING)]


def test_urls_and_dois_are_cleaned() -> None:
    entries, problems = parse(
        r"@misc{k, title={T}, url={https://example.org/a\_b}, doi={https://doi.org/10.1145/3544903}}"
    )
    assert (entries[0].url, entries[0].doi) == ("https://example.org/a_b", "10.1145/3544903")
    assert len(problems) == 0


def test_bad_doi_and_year_are_warned() -> None:
    entries, problems = parse("@misc{k, title={T}, doi={not a doi}, year={forthcoming}}")
    assert (entries[0].doi, entries[0].year) == ("", None)
    assert sorted(p.code for p in problems) == ["bib-doi", "bib-year"]


def test_field_name_case_and_bare_values() -> None:
    entries, _ = parse("@BOOK{Silverman86,\n  Author = {B.~W. Silverman},\n  Title = {Density},\n  Year = 1986\n}")
    entry = entries[0]
    assert (entry.entry_type, entry.authors, entry.title, entry.year) == ("book", ["B. W. Silverman"], "Density", 1986)


def test_index_and_cache(tmp_path: Path) -> None:
    path = tmp_path / "refs.bib"
    path.write_text("@article{k, title={T}, eprint={2401.06066}}\n@article{d, title={T}, title={U}}\n")
    first, second = Problems(), Problems()
    assert read_bibtex(path, "refs.bib", first) == read_bibtex(path, "refs.bib", second)
    assert len(first) == len(second) == 1  # cached reads still report their problems
    index = BibIndex.build(read_bibtex(path, "refs.bib", Problems()))
    assert index.by_arxiv["2401.06066"].key == "k"
    path.write_text("@article{k, title={Changed}, eprint={2401.06066}}\n")
    assert read_bibtex(path, "refs.bib", Problems())[0].title == "Changed"


# --- the real files -----------------------------------------------------------------


@needs_real
def test_real_d2l() -> None:
    problems = Problems()
    parsed = read_bibtex_file(D2L, D2L.name, problems)
    assert (len(parsed.entries), len(parsed.failed), len(problems.errors)) == (488, 0, 0)
    assert {e.entry_type for e in parsed.entries} <= {
        "inproceedings",
        "article",
        "book",
        "incollection",
        "phdthesis",
        "techreport",
        "misc",
    }
    assert sum(1 for e in parsed.entries if e.arxiv_id) == 128  # kojima2022large: journal = {arxiv.org/abs/2205.11916}
    entries = {e.key: e for e in parsed.entries}
    layer_norm = entries["Ba.Kiros.Hinton.2016"]
    assert (layer_norm.arxiv_id, layer_norm.venue, layer_norm.year) == ("1607.06450", "arXiv", 2016)
    assert layer_norm.authors == ["Jimmy Lei Ba", "Jamie Ryan Kiros", "Geoffrey E Hinton"]
    abadi = entries["Abadi.Barham.Chen.ea.2016"]
    assert abadi.title == "TensorFlow: A system for large-scale machine learning"
    assert abadi.authors[0] == "Martín Abadi" and abadi.authors_complete is False
    assert abadi.venue == "12th USENIX Symposium on Operating Systems Design and Implementation (OSDI 16)"
    assert entries["Dosovitskiy.Beyer.Kolesnikov.ea.2021*1"].title.startswith("An image is worth 16×16 words:")
    assert entries["Cantelli.1933"].authors == ["F. P. Cantelli"]
    assert entries["Graves.Schmidhuber.2005"].authors == ["Alex Graves", "Jürgen Schmidhuber"]
    assert entries["Silverman86"].year == 1986  # `Year =\t 1986`: capitalised, unbraced
    assert entries["hutter-book19a"].authors == []  # editors only
    assert "Vapnik.Chervonenkis.1974*1" in entries and "Bay.Tuytelaars.Van-Gool.2006" in entries
    assert entries["Cajal.Azoulay.1894"].authors == ["Santiago Ramón y Cajal", "L. Azoulay"]
    assert len(problems) == 0


@needs_real
def test_real_pmq9() -> None:
    entries = by_key(PMQ9)
    assert len(entries) == 46
    assert sorted(e.arxiv_id for e in entries.values() if e.arxiv_id) == [
        "2401.04088",
        "2401.06066",
        "2412.19437",
        "2509.05086",
        "2512.19007",
    ]
    assert entries["deepseek2024"].authors == ["DeepSeek-AI"]
    assert entries["deepseekv4"].arxiv_id == "" and entries["deepseekv4"].year == 2026
    assert entries["jiang2024"].authors_complete is False and entries["jiang2024"].authors[-1] == "Florian Bressand"
    assert entries["pytorchonnx"].authors == ["PyTorch Contributors"]
    assert entries["pytorchonnx"].url == "https://pytorch.org/docs/stable/onnx.html"
    assert entries["pytorchonnx"].title == "torch.onnx — PyTorch Documentation"
    assert "Ivan Vulić" in entries["pfeiffer2023"].authors
    assert "J. Marius Zöllner" in entries["pavlitska2025robust"].authors
    assert entries["wang2021"].title.startswith("Beta-CROWN: Efficient")
    assert entries["li2023sok"].venue == "IEEE Symposium on Security and Privacy"
    assert entries["ptsd"].venue == "Kaggle"


@needs_real
def test_real_readme_blocks() -> None:
    survey = by_key(BLOCKS / "withinmiaov_A-Survey-on-Mixture-of-Experts_README_L35-40.bib")["cai2024survey"]
    assert (survey.arxiv_id, survey.venue, survey.authors[0]) == ("2407.06204", "arXiv", "Weilin Cai")
    moe_inf = by_key(BLOCKS / "MoE-Inf_awesome-moe-inference_README_L456-461.bib")["liu2024moeinf"]
    assert moe_inf.arxiv_id == ""
    assert moe_inf.title == "A Survey on Inference Optimization Techniques for Mixture of Experts Models"
    assert len(moe_inf.authors) == 8


@needs_real
def test_real_healthver_comma_separated_authors() -> None:
    path = BLOCKS / "sarrouti_HealthVer_README_L22-27.bib"
    problems = Problems()
    (entry,) = read_bibtex(path, "healthver.bib", problems)
    assert entry.authors == ["Mourad Sarrouti", "Asma Ben Abacha", "Yassine Mrabet", "Dina Demner-Fushman"]
    assert (entry.venue, entry.year, entry.entry_type) == ("EMNLP", 2021, "inproceedings")
    assert [(p.code, p.location.line, p.severity) for p in problems] == [("bib-author-commas", 3, Severity.WARNING)]
