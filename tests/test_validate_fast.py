"""Shortcuts of `kb validate` give what the long way gives. The text checks skip what the loader already saw: a
record whose values are all printable is not walked value by value again (a quarter of validating a record), and a
contributor sees the problems the full walk reports. Format characters are looked for only where Unicode has any."""

from __future__ import annotations

import dataclasses
import sys
import unicodedata
from pathlib import Path

import pytest

from generator.model import characters
from generator.pipeline import load, validate
from generator.problems import Problems

RECORDS = {
    "plain": ('id: "2409.02060"\ntitle: "A paper"\nyear: 2024\nauthors: [Ada, "Bo"]\n', True),
    "a format character": ('title: "A \\u200b paper"\n', False),
    "a control character in a list": ('authors: ["Ada", "B\\ao"]\n', False),
    "a bidi override deep down": ('cites:\n  - target: "x"\n    context: "said \\u202e so"\n', False),
    "a date beside a format character": ('added: 2025-10-21\nnote: "\\u2060"\n', False),
    "a line break in a quoted text": ('abstract: "one\\ntwo"\n', False),
    "plain, read by the strict loader": ('title: "R & D"\n', True),  # `&` could start an anchor: not libyaml
    "a format character, read by the strict loader": ('title: "R & D\\u200b"\n', False),
    "a key that is not printable": ('"ti\\u200btle": "A paper"\n', True),  # keys are checked as field names
}


@pytest.mark.parametrize(("text", "printable"), RECORDS.values(), ids=RECORDS)
def test_a_record_is_walked_unless_the_loader_saw_every_value_printable(
    tmp_path: Path, text: str, printable: bool
) -> None:
    path = tmp_path / "record.yaml"
    path.write_text(text, encoding="utf-8")
    doc, found = load.parse_record(path, "records/record.yaml")
    assert doc is not None, found
    assert doc.printable is printable
    assert _text_problems(doc) == _text_problems(dataclasses.replace(doc, printable=False)), "as the full walk"


def _text_problems(doc: load.RawDocument) -> list[str]:
    problems = Problems()
    validate._check_text(doc, problems)
    return problems.report("text").splitlines()


def test_the_format_characters_are_every_format_character_of_this_python() -> None:
    """Only some planes are asked about, to save a sixth of a second on every start: none other may have one."""
    every = {chr(code) for code in range(sys.maxunicode + 1) if unicodedata.category(chr(code)) == "Cf"}
    assert characters.format_characters() == every
