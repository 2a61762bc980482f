"""`kb new` skeletons and `kb fmt` canonical formatting."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel, ValidationError

from generator.cli import main
from generator.commands.fmt import FormatError, format_csv_text, format_yaml_text
from generator.model.records import Paper, Synthesis


def kb(root: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["--root", str(root), *args])
    out, err = capsys.readouterr()
    return code, out, err


def error_fields(model: type[BaseModel], data: Any) -> set[str]:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    return {".".join(str(p) for p in e["loc"]) for e in caught.value.errors()}


# --- kb new ------------------------------------------------------------------------


def test_new_paper_skeleton(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = kb(tmp_path, capsys, "new", "paper", "arXiv:2503.23007v2")
    assert code == 0
    path = tmp_path / "records" / "papers" / "2503.23007.yaml"
    assert "wrote records/papers/2503.23007.yaml" in err
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[0] == "# yaml-language-server: $schema=../../schema/paper.schema.json"
    assert 'id: "2503.23007"' in lines
    # Every field line has an explanatory comment right above it (or above its comment block).
    for index, line in enumerate(lines):
        if re.match(r"^\s*\w+:", line):
            assert lines[index - 1].lstrip().startswith("#"), line
    assert "# Paper id without version; the page URL is `/papers/<id>/` (see README, URL scheme)." in lines
    data = yaml.safe_load(text)
    assert (data["versions"], data["added"]) == (["v2"], dt.date.today().isoformat())
    # Unfilled: fails on the title only. Filled: valid.
    assert error_fields(Paper, data) == {"title"}
    data["title"] = "A filled-in title"
    assert Paper.model_validate(data).id == "2503.23007"


def test_new_synthesis_skeleton(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = kb(tmp_path, capsys, "new", "synthesis", "SRCH-0a1b2c3d")
    assert code == 0
    path = tmp_path / "records" / "syntheses" / "SRCH-0A1B2C3D.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[0] == "# yaml-language-server: $schema=../../schema/synthesis.schema.json"
    assert 'id: "SRCH:0A1B2C3D"' in text
    assert "  #   L5: Not defined by the source." in text  # no source defines it, and the skeleton does not guess
    assert "    #   L3: “Claim aggregate record” (the synthesis report pages (publisher: Assignee Research))" in text
    data = yaml.safe_load(text)
    assert error_fields(Synthesis, data) == {
        "title",
        "research_question",
        "verification_level.paper_level",
        "verification_level.label",
        "verification_level.source_grounded_claims",
        "verification_level.claim_record_source",
        "quality_tier.tier",
        "quality_tier.basis",
        "quality_dimensions.evidence_strength",
        "quality_dimensions.citation_grounding",
        "quality_dimensions.uncertainty_disclosure",
        "quality_dimensions.reproducibility_status",
        "provenance.publisher",
        "provenance.public_provenance.level",
        "provenance.public_provenance.label",
        "provenance.report_artifact",
        "provenance.external_record",
        "provenance.claim_lineage",
        "provenance.review_method",
        "provenance.provenance_contract",
    }
    data.update(title="T", research_question="Q?")
    data["verification_level"].update(paper_level="L2", label="x", source_grounded_claims=3, claim_record_source="x")
    data["quality_tier"].update(tier="Standard", basis="b")
    data["quality_dimensions"] = dict.fromkeys(data["quality_dimensions"], "MEDIUM")
    data["provenance"].update(
        publisher="p",
        public_provenance={"level": "L1", "label": "l"},
        report_artifact="a",
        external_record="e",
        claim_lineage="c",
        review_method="r",
        provenance_contract="pc",
    )
    assert Synthesis.model_validate(data).id == "SRCH:0A1B2C3D"


def test_new_old_style_arxiv_id(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert kb(tmp_path, capsys, "new", "paper", "hep-th/9901001")[0] == 0
    assert 'id: "hep-th/9901001"' in (tmp_path / "records" / "papers" / "hep-th_9901001.yaml").read_text()


@pytest.mark.parametrize(
    ("kind", "identifier"),
    [("paper", "2503.230"), ("paper", "../../etc/passwd"), ("paper", "2503.23007v0"), ("synthesis", "SRCH:XYZ")],
)
def test_new_rejects_malformed_ids(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str, identifier: str
) -> None:
    code, _, err = kb(tmp_path, capsys, "new", kind, identifier)
    assert code == 2
    assert f"`{identifier}` is not a" in err
    assert not (tmp_path / "records").exists()


def test_new_never_overwrites(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert kb(tmp_path, capsys, "new", "paper", "2503.23007")[0] == 0
    path = tmp_path / "records" / "papers" / "2503.23007.yaml"
    path.write_text("# hand-edited\n", encoding="utf-8")
    code, _, err = kb(tmp_path, capsys, "new", "paper", "2503.23007v3")
    assert code == 1
    assert "records/papers/2503.23007.yaml already exists; not overwritten" in err
    assert path.read_text(encoding="utf-8") == "# hand-edited\n"
    # The same file name anywhere under records/ counts as existing.
    moved = tmp_path / "records" / "papers" / "moe" / "2401.04088.yaml"
    moved.parent.mkdir()
    moved.write_text("x: 1\n", encoding="utf-8")
    assert kb(tmp_path, capsys, "new", "paper", "2401.04088")[0] == 1


def test_skeletons_are_already_formatted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    kb(tmp_path, capsys, "new", "paper", "2503.23007")
    kb(tmp_path, capsys, "new", "synthesis", "SRCH:0A1B2C3D")
    code, out, _ = kb(tmp_path, capsys, "fmt", "--check")
    assert (code, out) == (0, "")


# --- kb fmt ------------------------------------------------------------------------

MESSY = """# yaml-language-server: $schema=../../schema/paper.schema.json
# A hand-written note at the top.
id:   "2409.02060"   # keep the quotes
versions: ['v1']
title: A title long enough that a narrow emitter would wrap it somewhere around here, but kb fmt must not do that ever
authors:
- Ada Lovelace    # first author
- Alan Turing

# links follow
links:
    doi: ''
    code:   https://github.com/example/repo
year:
canonical: yes
"""

# ruamel keeps an inline comment at its original column.
CANONICAL = """# yaml-language-server: $schema=../../schema/paper.schema.json
# A hand-written note at the top.
id: "2409.02060"     # keep the quotes
versions: ['v1']
title: A title long enough that a narrow emitter would wrap it somewhere around here, but kb fmt must not do that ever
authors:
  - Ada Lovelace  # first author
  - Alan Turing

# links follow
links:
  doi: ''
  code: https://github.com/example/repo
year: null
canonical: yes
"""


def test_format_yaml_text() -> None:
    assert format_yaml_text(MESSY) == CANONICAL
    assert format_yaml_text(CANONICAL) == CANONICAL


@pytest.mark.parametrize(
    "text",
    [
        "# modeline\n---\nid: x\n",
        "a:\n- 1\n# between items\n- 2\nb: |\n  # not a comment\n  text\n",
        "x: 1\nz: !!str 12\n",
        "empty: ~\nflow: {a: [1, 2]}\n",
        "",
        "# only a comment\n",
    ],
)
def test_format_yaml_is_idempotent_and_keeps_comments(text: str) -> None:
    once = format_yaml_text(text)
    assert format_yaml_text(once) == once
    for line in text.splitlines():
        if line.strip().startswith("#"):
            assert line.strip() in [s.strip() for s in once.splitlines()]
    assert yaml.safe_load(once) == yaml.safe_load(text)


@pytest.mark.parametrize("text", ["x: &a 1\ny: *a\n", "a: &a [1, 1]\nb: &b [*a, *a]\nc: [*b, *b]\n", "a: [" * 5000])
def test_format_yaml_refuses_aliases_and_garbage(text: str) -> None:
    with pytest.raises(FormatError):
        format_yaml_text(text)


def test_format_csv_text() -> None:
    text = (
        'paper_id,claim,note\r\n"2409.02060v1","plain","has, comma"\r\n\r\n2409.02060v1,"say ""hi""","two\r\nlines"\r\n'
    )
    expected = 'paper_id,claim,note\n2409.02060v1,plain,"has, comma"\n2409.02060v1,"say ""hi""","two\nlines"\n'
    assert format_csv_text(text) == expected
    assert format_csv_text(expected) == expected


def make_project(root: Path) -> tuple[Path, Path, Path]:
    record = root / "records" / "papers" / "2409.02060.yaml"
    record.parent.mkdir(parents=True)
    record.write_text(MESSY, encoding="utf-8")
    ledger = root / "ledgers" / "claims.csv"
    ledger.parent.mkdir()
    ledger.write_bytes(b'\xef\xbb\xbfpaper_id,claim\r\n"2409.02060v1","A claim"\r\n')
    broken = root / "records" / "papers" / "broken.yaml"
    broken.write_text("id: [unclosed\n", encoding="utf-8")
    return record, ledger, broken


def test_fmt_check_changes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    record, ledger, broken = make_project(tmp_path)
    before = {p: p.read_bytes() for p in (record, ledger, broken)}
    code, out, err = kb(tmp_path, capsys, "fmt", "--check")
    assert code == 1
    assert out.splitlines() == ["would reformat records/papers/2409.02060.yaml", "would reformat ledgers/claims.csv"]
    assert "records/papers/broken.yaml:" in err and "[fmt-parse]" in err
    assert {p: p.read_bytes() for p in before} == before


def test_fmt_rewrites_then_is_idempotent(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    record, ledger, broken = make_project(tmp_path)
    code, out, _ = kb(tmp_path, capsys, "fmt")
    assert code == 1  # the broken file is a data problem; the others are still formatted
    assert "reformatted records/papers/2409.02060.yaml" in out
    assert record.read_text(encoding="utf-8") == CANONICAL
    assert ledger.read_bytes() == b"paper_id,claim\n2409.02060v1,A claim\n"
    assert broken.read_text(encoding="utf-8") == "id: [unclosed\n"
    broken.unlink()
    assert kb(tmp_path, capsys, "fmt", "--check")[:2] == (0, "")
    assert kb(tmp_path, capsys, "fmt")[:2] == (0, "")


def test_fmt_leaves_bad_csv_and_non_utf8_alone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ledgers = tmp_path / "ledgers"
    ledgers.mkdir()
    (ledgers / "bad.csv").write_text('a,b\n"unclosed,x\n', encoding="utf-8")
    (ledgers / "latin.csv").write_bytes(b"a,b\nx,caf\xe9\n")
    code, _, err = kb(tmp_path, capsys, "fmt")
    assert code == 1
    assert "ledgers/bad.csv: not valid CSV" in err
    assert "ledgers/latin.csv:2: not UTF-8; left alone [fmt-encoding]" in err
    assert (ledgers / "bad.csv").read_text(encoding="utf-8") == 'a,b\n"unclosed,x\n'


def test_fmt_refuses_to_follow_symlinks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text("a:   1\n", encoding="utf-8")
    (tmp_path / "records").mkdir()
    (tmp_path / "records" / "link.yaml").symlink_to(outside)
    code, _, err = kb(tmp_path, capsys, "fmt")
    assert code == 1 and "[fmt-symlink]" in err
    assert outside.read_text(encoding="utf-8") == "a:   1\n"
