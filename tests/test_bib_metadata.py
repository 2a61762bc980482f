"""records/*.bib fills what a paper record leaves empty, and never overrides the record."""

from __future__ import annotations

from pathlib import Path

from generator.pipeline.build import collect

BIB = """@article{teo2024,
  title={A {BibTeX} title that must not replace the record's},
  author={Teo, Rachel and Nguyen, Tan M. and others},
  journal={arXiv preprint arXiv:2510.16411},
  year={2025},
  doi={10.48550/arXiv.2510.16411}
}
@article{broken,
  title={Unbalanced {brace},
  year={2020}
"""


def test_bib_fills_empty_fields_only(project: Path) -> None:
    (project / "records" / "refs.bib").write_text(BIB, encoding="utf-8")
    site = collect(project)
    paper = site.papers["2510.16411"].record
    assert paper.authors == ["Rachel Teo", "Tan M. Nguyen"]
    assert paper.authors_complete is False
    assert paper.links.doi == "10.48550/arXiv.2510.16411"
    assert paper.title == "Modeling Expert Interactions in Sparse Mixture of Experts via Graph Structures"
    assert paper.year == 2025
    assert site.from_bibtex["2510.16411"] == ("teo2024", ("Authors", "DOI"))
    failures = [p for p in site.problems if p.location.path == "records/refs.bib"]
    assert failures and failures[0].location.line == 8, [p.format_text() for p in failures]


def test_unknown_bibtex_key_is_reported(project: Path) -> None:
    (project / "records" / "refs.bib").write_text(BIB.split("@article{broken")[0], encoding="utf-8")
    record = project / "records" / "papers" / "2204.09179.yaml"
    record.write_text(record.read_text(encoding="utf-8") + "bibtex_key: teo2O24\n", encoding="utf-8")
    site = collect(project)
    [problem] = [p for p in site.problems if p.code == "ref-unknown-bibtex-key"]
    assert problem.location.path == "records/papers/2204.09179.yaml"
    assert problem.field == "bibtex_key"
    assert "did you mean `teo2024`?" in problem.hint
