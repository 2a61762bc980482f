"""`kb import-bib`: records from real and hostile BibTeX, counted completely, never clobbering hand edits."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from generator.cli import main
from generator.model.records import Paper
from generator.urls import record_file_stem
from tests.conftest import needs_path

REAL = Path(__file__).resolve().parents[1].parent / "shared" / "real" / "bib"
needs_real = needs_path(REAL, "real BibTeX samples")
MODELINE = "# yaml-language-server: $schema=../../schema/paper.schema.json"
COUNTS = re.compile(r"^created (\d+), updated (\d+), skipped (\d+), failed (\d+)$", re.MULTILINE)


def run(root: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["--root", str(root), "import-bib", *args])
    out, err = capsys.readouterr()
    return code, out, err


def counts(out: str) -> tuple[int, ...]:
    match = COUNTS.search(out)
    assert match, out
    return tuple(int(n) for n in match.groups())


def records(root: Path) -> dict[str, Path]:
    return {p.name: p for p in (root / "records").rglob("*.yaml")}


def load(path: Path) -> Paper:
    """Read a record the way the project does (PyYAML safe loader) and validate it."""
    return Paper.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


@needs_real
@pytest.mark.parametrize(
    ("name", "expected", "entries"),
    [
        ("d2l-ai_d2l-en_d2l.bib", (128, 0, 360, 0), 488),
        ("PMQ9_Mixture-of-Experts_Research_paper_references_saiv2026.bib", (5, 0, 41, 0), 46),
        ("readme_blocks/withinmiaov_A-Survey-on-Mixture-of-Experts_README_L35-40.bib", (1, 0, 0, 0), 1),
        ("readme_blocks/MoE-Inf_awesome-moe-inference_README_L456-461.bib", (0, 0, 1, 0), 1),
        ("readme_blocks/sarrouti_HealthVer_README_L22-27.bib", (0, 0, 1, 0), 1),
    ],
)
def test_real_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, expected: tuple[int, ...], entries: int
) -> None:
    code, out, _ = run(tmp_path, capsys, str(REAL / name))
    assert code == 0
    assert counts(out) == expected
    assert sum(expected) == entries  # every entry is accounted for
    created = records(tmp_path)
    assert len(created) == expected[0]
    for path in created.values():
        text = path.read_text(encoding="utf-8")
        assert text.splitlines()[0] == MODELINE
        paper = load(path)
        assert re.search(rf'^id: "{re.escape(paper.id)}"$', text, re.MULTILINE)  # ids stay quoted strings
        assert path.name == record_file_stem(paper.id) + ".yaml"  # `doi:10.1145/x` -> doi-10.1145_x.yaml


@needs_real
def test_real_d2l_details(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(tmp_path, capsys, str(REAL / "d2l-ai_d2l-en_d2l.bib"))
    assert "  ba2016layer (line 4024): duplicate of Ba.Kiros.Hinton.2016 (line 73)" in out
    assert (
        "  Abadi.Barham.Chen.ea.2016 (line 1): no paper id (no arXiv id, DOI, OpenReview or ACL Anthology link)" in out
    )
    paper = load(tmp_path / "records" / "papers" / "1607.06450.yaml")
    assert (paper.title, paper.venue, paper.year) == ("Layer normalization", "arXiv", 2016)
    assert paper.authors == ["Jimmy Lei Ba", "Jamie Ryan Kiros", "Geoffrey E Hinton"]


@needs_real
def test_real_pmq9_details(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(tmp_path, capsys, str(REAL / "PMQ9_Mixture-of-Experts_Research_paper_references_saiv2026.bib"))
    assert "  deepseekv4 (line 219): no paper id (no arXiv id, DOI, OpenReview or ACL Anthology link)" in out
    deepseek = load(tmp_path / "records" / "papers" / "2412.19437.yaml")
    assert (deepseek.title, deepseek.authors) == ("DeepSeek-V3 Technical Report", ["DeepSeek-AI"])
    mixtral = load(tmp_path / "records" / "papers" / "2401.04088.yaml")
    assert mixtral.authors_complete is False and len(mixtral.authors) == 10


@needs_real
def test_real_moe_inf_reason(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(tmp_path, capsys, str(REAL / "readme_blocks" / "MoE-Inf_awesome-moe-inference_README_L456-461.bib"))
    assert "liu2024moeinf (line 1): no arXiv id (archivePrefix is arXiv but there is no eprint field)" in out


HOSTILE = r"""@article{first, title={Layer Normalization}, eprint={1607.06450v2}, archivePrefix={arXiv}}
@article{first, title={Copy}, eprint={2101.00002}}

@misc{js, title={Evil}, url={javascript:alert(1)}, eprint={2101.00003}}
@article{again, title={Layer normalization.}, journal={Ar{X}iv:1607.06450}}
@article{samedoi, title={Other}, doi={10.5555/abc}, eprint={2101.00004}}
@article{doicopy, title={Different title}, doi={10.5555/ABC}}
@article{titlecopy, title={layer   NORMALIZATION}}
@article{broken, title={Broken {brace}, eprint={2101.00009}
@article{notitle, journal={arXiv:2101.00005}}
@article{early, title={Too early}, journal={arXiv:2101.00006}, year={1985}}
@article{plain, title={Yes}, author={Null, No}, journal={arXiv:2101.00007}, year=2021}
"""


def test_hostile_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bib = tmp_path / "refs.bib"
    bib.write_text(HOSTILE, encoding="utf-8")
    code, out, err = run(tmp_path, capsys, "refs.bib")  # relative to --root
    assert code == 1
    assert counts(out) == (4, 0, 3, 4)
    assert "refs.bib: 9 entries, 2 unreadable block(s)" in out
    assert sum(counts(out)) == 9 + 2  # every entry and every unreadable block is counted once
    for line in [
        "  again (line 5): duplicate of first (line 1)",
        "  doicopy (line 7): duplicate of samedoi (line 6)",
        "  titlecopy (line 8): duplicate of first (line 1)",
        "  first (line 2): duplicate entry key `first` (first used on line 1); this entry is ignored"
        " [bib-duplicate-key]",
        "  notitle (line 10): would not be a valid record: title: String should have at least 1 character",
        "  early (line 11): would not be a valid record: year: Input should be greater than or equal to 1990",
    ]:
        assert line in out.splitlines()
    assert re.search(r"^  line 9: cannot parse this block .*\[bib-parse\]$", out, re.MULTILINE)
    assert "refs.bib:4: warning: url: entry `js`" in err and "[bib-unsafe-url]" in err
    layer_norm = load(tmp_path / "records" / "papers" / "1607.06450.yaml")
    assert layer_norm.versions == ["v2"]
    plain = load(tmp_path / "records" / "papers" / "2101.00007.yaml")
    assert (plain.title, plain.authors) == ("Yes", ["No Null"])  # not True / None for a YAML 1.1 reader
    assert sorted(records(tmp_path)) == ["1607.06450.yaml", "2101.00003.yaml", "2101.00004.yaml", "2101.00007.yaml"]


def test_existing_records_are_kept_unless_update(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bib = tmp_path / "refs.bib"
    bib.write_text(
        "@article{mixtral, title={Mixtral of Experts}, author={Jiang, Albert Q. and others}, "
        "journal={arXiv preprint arXiv:2401.04088}, year={2024}}\n",
        encoding="utf-8",
    )
    assert counts(run(tmp_path, capsys, str(bib))[1]) == (1, 0, 0, 0)
    path = tmp_path / "records" / "papers" / "2401.04088.yaml"
    hand_edited = (
        path.read_text(encoding="utf-8")
        .replace("title: Mixtral of Experts", "title: Mixtral  # shortened by hand\n# reviewer note")
        .replace("venue: arXiv", "venue: arXiv\nsummary: Sparse MoE language model.")
    )
    path.write_text(hand_edited, encoding="utf-8")

    code, out, _ = run(tmp_path, capsys, str(bib))
    assert code == 0 and counts(out) == (0, 0, 1, 0)
    assert "  mixtral (line 1): exists (records/papers/2401.04088.yaml); use --update" in out
    assert path.read_text(encoding="utf-8") == hand_edited

    code, out, _ = run(tmp_path, capsys, str(bib), "--update")
    assert code == 0 and counts(out) == (0, 1, 0, 0)
    assert "  mixtral (line 1): records/papers/2401.04088.yaml: fields title" in out
    text = path.read_text(encoding="utf-8")
    assert text.startswith(MODELINE + "\n")
    assert "title: Mixtral of Experts # shortened by hand\n# reviewer note\n" in text
    paper = load(path)
    assert (paper.title, paper.summary, paper.authors_complete) == (
        "Mixtral of Experts",
        "Sparse MoE language model.",
        False,
    )

    code, out, _ = run(tmp_path, capsys, str(bib), "--update")
    assert counts(out) == (0, 0, 1, 0) and "already up to date" in out


def test_update_adds_missing_fields_in_model_order(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "records" / "papers" / "moe" / "1701.06538.yaml"  # placed by hand in a subfolder
    path.parent.mkdir(parents=True)
    path.write_text(f'{MODELINE}\nid: "1701.06538"\ntitle: Outrageously large\ncanonical: true\n', encoding="utf-8")
    bib = tmp_path / "refs.bib"
    bib.write_text(
        "@article{moe, title={Outrageously Large Neural Networks}, author={Shazeer, Noam}, year={2017},\n"
        "  eprint={1701.06538v1}, doi={10.48550/arXiv.1701.06538}}\n",
        encoding="utf-8",
    )
    code, out, _ = run(tmp_path, capsys, str(bib), "--update")
    assert code == 0 and counts(out) == (0, 1, 0, 0)
    assert "fields versions, title, authors, year, links" in out
    assert not (tmp_path / "records" / "papers" / "1701.06538.yaml").exists()
    keys = [line.split(":")[0] for line in path.read_text(encoding="utf-8").splitlines() if re.match(r"^\w", line)]
    assert keys == ["id", "versions", "title", "authors", "year", "links", "canonical"]
    paper = load(path)
    assert (paper.versions, paper.links.doi, paper.canonical) == (["v1"], "10.48550/arXiv.1701.06538", True)


def test_missing_bib_file_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(tmp_path, capsys, "nope.bib")
    assert code == 2 and "nope.bib: no such file" in err
