"""The release's tables and the claim pages' ClaimReview are written without the library that defines their
bytes (publish/exports.py writes CSV without csv's writer, claim_fragments.py encodes a claim's text without
json.dumps): their text must still be that library's, byte for byte, for any cell."""

from __future__ import annotations

import csv
import io
from random import Random

from generator.pipeline.render import json_for_script
from generator.publish import exports
from generator.publish.claim_fragments import script_string

HOSTILE = [
    "",
    " ",
    "plain",
    "a,b",
    'quotes " and "" and \\ backslash',
    '"starts quoted',
    "line\nbreak",
    "carriage\rreturn",
    "crlf\r\n",
    "=SUM(A1)",
    "+1",
    "-x",
    "@handle",
    "\ttab first",
    "\rcr first",
    "'already quoted",
    "control \x01\x08\x0b\x0c\x1b\x1f\x7f\x80\x9f",
    "Unicode: Gödel, ≤ 2, 日本語, emoji 🧪, \u200b\u202e\u2028\u2029\ufeff",
    "</script> <!-- & &amp; <b>",
]
CELLS: list[object] = [*HOSTILE, None, 0, -7, 2**70, True, False]


def reference_csv(table: exports.Table) -> bytes:
    """What csv's writer makes of the table: the release's CSV before it was written without it."""
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow([column.name for column in table.columns])
    writer.writerows([exports._csv_cell(row[column.name]) for column in table.columns] for row in table.rows)
    return text.getvalue().encode("utf-8")


def random_table(random: Random, width: int, rows: int) -> exports.Table:
    columns = tuple(exports.Column(f"c{index}", random.choice(["string", "int", "bool"]), "") for index in range(width))
    return exports.Table(
        "t", "", columns, tuple({column.name: random.choice(CELLS) for column in columns} for _ in range(rows))
    )


def test_csv_is_what_csvs_writer_writes() -> None:
    random = Random(5)
    for width in (1, 1, 2, 3, 7):  # a record of one empty cell is quoted
        for rows in (0, 1, 3, exports.CHUNK_ROWS + 5):  # a chunk's cells are made a column at a time
            table = random_table(random, width, rows)
            out = io.BytesIO()
            exports.table_csv(table, out)
            assert out.getvalue() == reference_csv(table)


def test_csv_kept_groups_are_written_as_the_whole_table() -> None:
    """`kb serve` keeps each group's text and joins them: the same file."""
    random = Random(6)
    whole = random_table(random, 4, 50)
    groups = tuple(exports.RowGroup(None, whole.rows[start : start + 10]) for start in range(0, 50, 10))
    kept = exports.Table(whole.name, "", whole.columns, whole.rows, groups)
    for writer in (exports.table_csv, exports.table_json):
        made, expected = io.BytesIO(), io.BytesIO()
        writer(kept, made)
        writer(whole, expected)
        assert made.getvalue() == expected.getvalue()
    out = io.BytesIO()
    exports.table_csv(kept, out)
    assert out.getvalue() == reference_csv(whole)


def test_a_claims_text_in_its_claimreview_is_json_for_script() -> None:
    for text in [*HOSTILE, "lone surrogate \ud800", "</script>" * 3]:
        assert script_string(text) == str(json_for_script(text))
