"""The libyaml fast path reads records exactly as StrictLoader does, and leaves anything doubtful to it.

Records are composed in C (libyaml) when a pre-scan shows they use none of the features
StrictLoader refuses; every value, every line/column mark and every implicit type must come
out the same as from the pure-Python loader, or contributors would see different data or
differently located problems depending on which path read their file.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.commands.synth import synthesize
from generator.model.site import RawDocument
from generator.pipeline import load
from generator.problems import Problems
from tests.conftest import REPO
from tests.helpers import PAPER_ID, diagnostic, make_project, only, run

FIXTURE_RECORDS = sorted((REPO / "tests" / "fixtures" / "corpus" / "records").rglob("*.yaml"))

# Columns count characters: astral-plane emoji, CJK, combining marks, right-to-left text and
# no-break spaces sit before values and keys on the same line, in every scalar style.
UNICODE_RECORD = """\
id: "2409.02060"
title: "😀 Ünïcödé — 日本語の題名 😀 with \\u00e9scapes"
名前: 'Grüße ''aus'' Köln 🎉'
authors:
  - "Zoë Çelik 👩‍🔬"
  - Ἀριστοτέλης
  - { name: "عربي", note: 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 }
summary: >
  Ligatures ﬁ ﬂ, combining e\u0301, no-break\u00a0space
  and full-width ＡＢＣ folded onto one line.
notes: |
  😀 line one
    indented 😀 line two
nested:
  日本: [1, 2.5, "三", null, true, 2024-02-30, 1e3]
  deeper: {a: [x, {b: c}], 😀: ok}
empty:
year: 2024
"""


def strict_read(path: Path, display_path: str, monkeypatch: pytest.MonkeyPatch) -> tuple[RawDocument | None, Problems]:
    """What StrictLoader alone makes of the file: the loader as it was before the fast path."""
    with monkeypatch.context() as patched:
        patched.setattr(load, "_compose_with_libyaml", lambda text, display_path: None)
        problems = Problems()
        doc = load._parse_yaml(path, display_path, problems)
    return doc, problems


def assert_same_as_strict(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast = load._compose_with_libyaml(path.read_text(encoding="utf-8-sig"), path.name)
    assert fast is not None, f"{path.name} should take the libyaml path"
    strict, problems = strict_read(path, path.name, monkeypatch)
    assert strict is not None and not list(problems)
    assert fast.data == strict.data
    assert fast.marks == strict.marks
    assert fast.implicit == strict.implicit


@pytest.mark.parametrize("path", FIXTURE_RECORDS, ids=lambda path: path.name)
def test_fixture_records_read_alike_by_both_paths(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert_same_as_strict(path, monkeypatch)


def test_unicode_heavy_record_reads_alike_by_both_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "unicode.yaml"
    path.write_text(UNICODE_RECORD, encoding="utf-8")
    assert_same_as_strict(path, monkeypatch)
    doc = load._compose_with_libyaml(UNICODE_RECORD, "unicode.yaml")
    assert doc is not None
    assert doc.marks[("authors", 2, "note")] == (7, 21)  # after Arabic text: in characters (bytes would give 25)
    assert doc.marks[("nested", "deeper", "😀")] == (16, 28)


def test_synthetic_records_read_alike_by_both_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    synthesize(REPO, tmp_path / "kb", papers=40, claims=40, seed=7)
    records = sorted((tmp_path / "kb" / "records").rglob("*.yaml"))
    assert len(records) > 40 and any(not path.read_text().isascii() for path in records)
    for path in records:
        assert_same_as_strict(path, monkeypatch)


@pytest.mark.parametrize(
    "text",
    [
        'id: "2409.02060"\ntitle: &t "anchored"\n',
        'id: "2409.02060"\ntitle: *t\n',
        'id: "2409.02060"\ntitle: !!str 12\n',
        'id: "2409.02060"\nlist: [!custom x]\n',
        '%YAML 1.1\n---\nid: "2409.02060"\n',
        'id: "2409.02060"\ntitle:\t"tab"\n',
        'id: "2409.02060"\r\ntitle: "crlf"\r\n',
        'id: "2409.02060"\ntitle: "line\u2028separator"\n',
        'id: "2409.02060"\ntitle: "bom \ufeff inside"\n',
        'id: "2409.02060"\ntitle: "control \x07"\n',
        'id: "2409.02060"\ntitle: ' + "[" * 5_000 + "\n",
    ],
    ids=[
        "anchor",
        "alias",
        "tag",
        "tag-in-flow",
        "directive",
        "tab",
        "crlf",
        "line-separator",
        "bom",
        "control",
        "brackets",
    ],
)
def test_doubtful_text_never_reaches_libyaml(text: str) -> None:
    assert load._compose_with_libyaml(text, "r.yaml") is None


def test_text_that_merely_mentions_the_characters_stays_fast() -> None:
    doc = load._compose_with_libyaml('id: "2409.02060"\ntitle: "Q&A, 50% off, wow!"\nnote: a*b\n', "r.yaml")
    assert doc is not None and doc.data["title"] == "Q&A, 50% off, wow!" and doc.data["note"] == "a*b"


@pytest.mark.parametrize(
    ("text", "code", "line"),
    [
        ('id: "2409.02060"\ntitle: ' + "[" * 40 + "]" * 40 + "\n", "yaml-too-deep", 2),  # libyaml reads it whole
        ('id: "2409.02060"\ntitle: "a"\ntitle: "b"\n', "yaml-duplicate-key", 3),
        ('id: "2409.02060"\n<<: {title: "merged"}\n', "yaml-merge-key", 2),
        ('id: "2409.02060"\n? [a, b]\n: value\n', "yaml-key", 2),
        ('id: "2409.02060"\ntitle: "never closed\n', "yaml-syntax", 2),
        ('id: "2409.02060"\n---\nid: "2409.02061"\n', "yaml-multiple-documents", 2),
    ],
    ids=["deep", "duplicate", "merge", "complex-key", "unclosed", "two-documents"],
)
def test_problems_found_on_the_fast_path_are_worded_by_strict_loader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, code: str, line: int
) -> None:
    record = f"records/papers/{PAPER_ID}.yaml"
    problem = only(run(make_project(tmp_path / "project", papers={f"{PAPER_ID}.yaml": text}, ledgers={})))
    assert diagnostic(problem)[:3] == (code, record, line)
    assert list(strict_read(tmp_path / "project" / record, record, monkeypatch)[1]) == [problem]
