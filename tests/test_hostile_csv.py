"""Hostile and broken claim ledgers: exact diagnostics with the physical row (header = line 1) and column.

Cells are never type-inferred: ids such as `2409.02060` and words such as `NA` stay the text
the contributor wrote. Rows that cannot be read are reported, never dropped silently.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from generator.pipeline.load import MAX_CELL_CHARS
from tests.helpers import CLAIM_ID, HEADER, LEDGER, ROW, codes, diagnostic, make_project, only, row, run, warnings

LEDGER_PATH = "ledgers/x.csv"


def check(tmp_path: Path, content: str | bytes):  # type: ignore[no-untyped-def]
    return run(make_project(tmp_path / "project", ledgers={"x.csv": content}))


def claims(site) -> list:  # type: ignore[no-untyped-def]
    return site.corpus.claims


# --- encodings and line endings ------------------------------------------------------------------


@pytest.mark.parametrize("content", ["\ufeff" + LEDGER, b"\xef\xbb\xbf" + LEDGER.encode()])
def test_bom_is_accepted(tmp_path: Path, content: str | bytes) -> None:
    site = check(tmp_path, content)
    assert not len(site.problems), site.problems.report()
    assert [c.paper_id for c in claims(site)] == ["2409.02060v1"]


@pytest.mark.parametrize("ending", ["\r\n", "\r"])
def test_crlf_and_cr_are_read_with_a_warning(tmp_path: Path, ending: str) -> None:
    site = check(tmp_path, LEDGER.replace("\n", ending))
    assert not site.problems.errors
    (warning,) = warnings(site)
    assert diagnostic(warning) == ("csv-line-endings", LEDGER_PATH, 1, "")
    assert warning.hint == "run `kb fmt` to rewrite it with \\n line endings"
    assert site.problems.fails(strict=True)
    assert [c.claim for c in claims(site)] == ["Experts specialise."]


def test_windows_1252_is_refused_with_the_byte_offset(tmp_path: Path) -> None:
    content = (HEADER + "\n" + row(claim="Experts \u201cspecialise\u201d \u2014 a lot.") + "\n").encode("cp1252")
    problem = only(check(tmp_path, content))
    offset = content.index(b"\x93")
    assert diagnostic(problem) == ("encoding", LEDGER_PATH, 2, "")  # formerly csv-encoding, now its alias
    assert problem.message == f"not UTF-8: byte 0x93 at byte offset {offset}"
    assert "Windows-1252" in problem.hint


# --- shape ----------------------------------------------------------------------------------------


def test_short_row(tmp_path: Path) -> None:
    problem = only(check(tmp_path, HEADER + "\n" + ROW.rsplit(",", 1)[0] + "\n"))
    assert diagnostic(problem) == ("csv-field-count", LEDGER_PATH, 2, "")
    assert problem.message == "row has 9 field(s), the header has 10"
    assert problem.hint == "every row needs a value (possibly empty) for every column"


def test_long_row(tmp_path: Path) -> None:
    problem = only(check(tmp_path, HEADER + "\n" + ROW + ",surplus\n"))
    assert diagnostic(problem) == ("csv-field-count", LEDGER_PATH, 2, "")
    assert problem.message == "row has 11 field(s), the header has 10"
    assert problem.hint == 'a cell containing a comma must be quoted: "like, this"'


def test_ragged_rows_are_each_reported_and_the_rest_kept(tmp_path: Path) -> None:
    text = "\n".join(
        [HEADER, row(claim_id="c-0000000a"), ROW.rsplit(",", 1)[0], row(claim_id="c-0000000b"), ROW + ",x"]
    )
    site = check(tmp_path, text + "\n")
    assert [(p.code, p.location.line) for p in site.problems.errors] == [("csv-field-count", 3), ("csv-field-count", 5)]
    assert [c.row for c in claims(site)] == [2, 4]
    assert site.stats.rows_read == 2


def test_unbalanced_quote_running_to_the_end(tmp_path: Path) -> None:
    text = "\n".join(
        [HEADER, row(claim_id="c-0000000a"), ROW.replace("Experts", '"Experts'), row(claim_id="c-0000000b")]
    )
    problem = only(check(tmp_path, text + "\n"))
    assert diagnostic(problem) == ("csv-syntax", LEDGER_PATH, 3, "")
    assert problem.message == "cannot read the CSV row starting on this line: unexpected end of data"
    assert problem.hint == "a quoted cell in this row is never closed (the file ends at line 4); close it with a quote"


def test_stray_quote_inside_a_quoted_cell(tmp_path: Path) -> None:
    bad = row(claim='He said "hi", then left').replace('""hi""', '"hi"')
    text = "\n".join([HEADER, row(claim="one\ntwo", claim_id="c-0000000a"), bad])
    problem = only(check(tmp_path, text + "\n"))
    assert diagnostic(problem) == ("csv-syntax", LEDGER_PATH, 4, "")
    assert problem.message == "cannot read the CSV row starting on this line: ',' expected after '\"'"


def test_quotes_inside_an_unquoted_cell_are_literal_text(tmp_path: Path) -> None:
    site = check(tmp_path, HEADER + "\n" + ROW.replace("Experts specialise.", 'Experts "specialise".') + "\n")
    assert not len(site.problems), site.problems.report()
    assert claims(site)[0].claim == 'Experts "specialise".'


def test_embedded_newlines_keep_physical_row_numbers(tmp_path: Path) -> None:
    multi = 'line one\nline "two", with a comma\n\nline four'
    text = "\n".join(
        [
            HEADER,
            row(claim=multi, claim_id="c-0000000a"),
            row(source_quote="a\nb", claim_id="c-0000000b"),
            row(claim_status="bogus", claim_id="c-0000000c"),
        ]
    )
    site = check(tmp_path, text + "\n")
    problem = only(site)
    assert diagnostic(problem) == ("enum-invalid", LEDGER_PATH, 8, "claim_status")
    assert problem.location.col == 3
    assert [(c.row, c.claim) for c in claims(site)] == [(2, multi), (6, "Experts specialise.")]
    assert claims(site)[1].source_quote == "a\nb"


def test_blank_lines_are_skipped_without_shifting_rows(tmp_path: Path) -> None:
    text = HEADER + "\n\n" + row(claim_id="c-0000000a") + "\n\n\n" + row(claim_status="nope") + "\n"
    site = check(tmp_path, text)
    assert diagnostic(only(site)) == ("enum-invalid", LEDGER_PATH, 6, "claim_status")
    assert [c.row for c in claims(site)] == [3]


# --- header ---------------------------------------------------------------------------------------


def test_header_typo(tmp_path: Path) -> None:
    site = check(tmp_path, LEDGER.replace("claim_status", "claim_stauts", 1))
    unknown, missing = (
        next(p for p in site.problems.errors if p.code == code) for code in ("csv-unknown-column", "csv-missing-column")
    )
    assert diagnostic(unknown) == ("csv-unknown-column", LEDGER_PATH, 1, "claim_stauts")
    assert unknown.location.col == 3
    assert unknown.hint == "did you mean `claim_status`?"
    assert diagnostic(missing) == ("csv-missing-column", LEDGER_PATH, 1, "claim_status")
    assert len(site.problems.errors) == 2
    assert site.stats.rows_read == 0


def test_header_with_surrounding_spaces_is_a_warning(tmp_path: Path) -> None:
    site = check(tmp_path, LEDGER.replace("claim_status", " claim_status ", 1))
    assert not site.problems.errors
    (warning,) = warnings(site)
    assert diagnostic(warning) == ("csv-header-whitespace", LEDGER_PATH, 1, "claim_status")
    assert len(claims(site)) == 1


def test_trailing_comma_in_header(tmp_path: Path) -> None:
    problem = only(check(tmp_path, HEADER + ",\n" + ROW + ",\n"))
    assert diagnostic(problem) == ("csv-unknown-column", LEDGER_PATH, 1, "")
    assert problem.location.col == 11
    assert problem.message == "column 11 of the header has no name"


def test_duplicate_column(tmp_path: Path) -> None:
    problem = only(check(tmp_path, HEADER + ",claim\n" + ROW + ",again\n"))
    assert diagnostic(problem) == ("csv-duplicate-column", LEDGER_PATH, 1, "claim")


def test_reordered_columns_are_accepted(tmp_path: Path) -> None:
    columns, values = HEADER.split(","), ROW.split(",")
    order = [9, 2, 0, 1, 8, 7, 6, 5, 4, 3]
    text = ",".join(columns[i] for i in order) + "\n" + ",".join(values[i] for i in order) + "\n"
    site = check(tmp_path, text)
    assert not len(site.problems), site.problems.report()
    (claim,) = claims(site)
    assert (claim.claim_id, claim.paper_id, claim.claim_status) == (CLAIM_ID, "2409.02060v1", "supported")


def test_semicolon_delimiter(tmp_path: Path) -> None:
    problem = only(check(tmp_path, HEADER.replace(",", ";") + "\n" + ROW.replace(",", ";") + "\n"))
    assert diagnostic(problem) == ("csv-delimiter", LEDGER_PATH, 1, "")
    assert problem.message == "the header uses `;` as delimiter"
    assert problem.hint == "ledgers are comma-separated"


def test_empty_ledger(tmp_path: Path) -> None:
    problem = only(check(tmp_path, ""))
    assert diagnostic(problem) == ("csv-empty", LEDGER_PATH, 1, "")


# --- cells are text ---------------------------------------------------------------------------------


def test_ids_stay_text(tmp_path: Path) -> None:
    """`2409.02060` would be the float 2409.0206 in a type-inferring reader."""
    site = check(tmp_path, LEDGER)
    assert claims(site)[0].paper_id == "2409.02060v1"
    assert claims(site)[0].paper_base == "2409.02060"
    page = "\n".join([HEADER, row(paper_id="2409.0206v1")]) + "\n"
    problem = only(check(tmp_path / "b", page))
    assert diagnostic(problem) == ("ref-unknown-paper", LEDGER_PATH, 2, "paper_id")
    assert problem.message == "unknown paper `2409.0206v1`"


@pytest.mark.parametrize("word", ["NA", "N/A", "null", "None", "nan", "#N/A"])
def test_missing_value_words_are_kept_as_text_in_free_text_columns(tmp_path: Path, word: str) -> None:
    site = check(tmp_path, HEADER + "\n" + row(claim=word, source_quote=word, page_or_section=word) + "\n")
    assert not len(site.problems), site.problems.report()
    (claim,) = claims(site)
    assert (claim.claim, claim.source_quote, claim.page_or_section) == (word, word, word)


@pytest.mark.parametrize(("column", "col"), [("claim_status", 3), ("evidence_status", 4), ("source_depth", 5)])
@pytest.mark.parametrize("word", ["NA", "N/A", "null"])
def test_missing_value_words_are_invalid_in_status_columns(tmp_path: Path, column: str, col: int, word: str) -> None:
    problem = only(check(tmp_path, HEADER + "\n" + row(**{column: word}) + "\n"))
    assert diagnostic(problem) == ("enum-invalid", LEDGER_PATH, 2, column)
    assert problem.location.col == col
    assert problem.message == f"{word!r} is not an allowed value"


@pytest.mark.parametrize(
    ("cells", "column", "hint"),
    [
        ({"claim_status": "Supported"}, "claim_status", "did you mean `supported`? (check case and spaces)"),
        ({"claim_status": "supported "}, "claim_status", "did you mean `supported`? (check case and spaces)"),
        ({"claim_status": "suported"}, "claim_status", "did you mean `supported`?"),
        ({"source_depth": "fulltext"}, "source_depth", "did you mean `full-text`?"),
    ],
)
def test_vocabulary_typos(tmp_path: Path, cells: dict[str, str], column: str, hint: str) -> None:
    problem = only(check(tmp_path, HEADER + "\n" + row(**cells) + "\n"))
    assert diagnostic(problem) == ("enum-invalid", LEDGER_PATH, 2, column)
    assert problem.hint == hint


def test_empty_claim(tmp_path: Path) -> None:
    problem = only(check(tmp_path, HEADER + "\n" + row(claim="  ") + "\n"))
    assert diagnostic(problem) == ("cell-empty", LEDGER_PATH, 2, "claim")


def test_control_character_in_a_cell(tmp_path: Path) -> None:
    problem = only(check(tmp_path, HEADER + "\n" + row(claim="a\x00b\x1bc") + "\n"))
    assert diagnostic(problem) == ("text-control-char", LEDGER_PATH, 2, "claim")
    assert problem.location.col == 2
    assert problem.message == "text contains control characters (U+0000, U+001B)"


def test_invisible_characters_in_a_claim_are_a_warning(tmp_path: Path) -> None:
    site = check(tmp_path, HEADER + "\n" + row(claim="safe\u202eevil") + "\n")
    assert not site.problems.errors
    (warning,) = warnings(site)
    assert diagnostic(warning) == ("text-invisible-char", LEDGER_PATH, 2, "claim")
    assert warning.message == "text contains invisible control characters (U+202E)"
    assert claims(site)[0].claim == "safe\u202eevil"


@pytest.mark.parametrize(
    ("cells", "column", "code", "message"),
    [
        ({"paper_id": "2409.02060v1\u202e"}, "paper_id", "id-invalid", "'2409.02060v1\\u202e' is not a paper id"),
        ({"paper_id": "24\u200b09.02060v1"}, "paper_id", "id-invalid", "'24\\u200b09.02060v1' is not a paper id"),
        ({"claim_id": "c-0123abcd\u200b"}, "claim_id", "claim-id-invalid", "'c-0123abcd\\u200b' is not a claim id"),
        ({"paper_id": " 2409.02060v1"}, "paper_id", "id-invalid", "' 2409.02060v1' is not a paper id"),
        ({"paper_id": "../../etc/passwd"}, "paper_id", "id-invalid", "'../../etc/passwd' is not a paper id"),
    ],
)
def test_hidden_characters_in_ids_are_refused(
    tmp_path: Path, cells: dict[str, str], column: str, code: str, message: str
) -> None:
    problem = only(check(tmp_path, HEADER + "\n" + row(**cells) + "\n"))
    assert diagnostic(problem) == (code, LEDGER_PATH, 2, column)
    assert problem.message == message


# --- limits ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [MAX_CELL_CHARS + 1, 100_000, 400_000])
def test_huge_cell_is_refused_with_a_limit_message(tmp_path: Path, size: int) -> None:
    started = time.perf_counter()
    text = "\n".join([HEADER, row(source_quote="x" * size, claim_id="c-0000000a"), row(claim_id="c-0000000b")])
    site = check(tmp_path, text + "\n")
    assert time.perf_counter() - started < 5
    problem = only(site)
    assert diagnostic(problem) == ("csv-cell-too-large", LEDGER_PATH, 2, "source_quote")
    assert problem.location.col == 6
    assert problem.message == f"cell is {size:,} characters long; the limit is {MAX_CELL_CHARS:,}"
    assert [c.claim_id for c in claims(site)] == ["c-0000000b"]


def test_cell_at_the_limit_is_accepted(tmp_path: Path) -> None:
    site = check(tmp_path, HEADER + "\n" + row(source_quote="x" * MAX_CELL_CHARS) + "\n")
    assert not site.problems.errors, site.problems.report()


def test_the_csv_module_limit_is_restored(tmp_path: Path) -> None:
    import csv

    before = csv.field_size_limit()
    check(tmp_path, HEADER + "\n" + row(source_quote="x" * 200_000) + "\n")
    assert csv.field_size_limit() == before


# --- claim ids ----------------------------------------------------------------------------------------


def test_duplicate_claim_id_across_rows(tmp_path: Path) -> None:
    site = check(tmp_path, LEDGER + row(claim="Another claim.") + "\n")
    problem = only(site)
    assert diagnostic(problem) == ("claim-id-duplicate", LEDGER_PATH, 3, "claim_id")
    assert problem.message == f"claim id `{CLAIM_ID}` is also used at {LEDGER_PATH}:2"


def test_missing_claim_id_is_a_warning(tmp_path: Path) -> None:
    site = check(tmp_path, HEADER + "\n" + row(claim_id="") + "\n")
    assert not site.problems.errors
    assert codes(warnings(site)) == ["claim-id-missing"]
    assert len(claims(site)) == 1


def test_row_of_empty_cells_is_skipped_with_a_warning(tmp_path: Path) -> None:
    site = check(tmp_path, LEDGER + ",,,,,,,,,\n" + " , ,,,,,,,,\n")
    assert not site.problems.errors
    assert [diagnostic(w) for w in warnings(site)] == [
        ("csv-blank-row", LEDGER_PATH, 3, ""),
        ("csv-blank-row", LEDGER_PATH, 4, ""),
    ]
    assert len(claims(site)) == 1
