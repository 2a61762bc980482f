"""Hostile and broken YAML records: every case is refused (or warned about) with an exact, located diagnostic.

Each test writes one record into an otherwise valid project with no ledger, runs the
whole pipeline (`collect`) and compares (code, path, line, field), the message and the hint.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from generator.problems import Severity
from tests.helpers import PAPER, SYNTHESIS, codes, diagnostic, make_project, only, run, warnings

RECORD = "records/papers/2409.02060.yaml"


def check(tmp_path: Path, text: str | bytes, files: dict[str, str | bytes] | None = None):  # type: ignore[no-untyped-def]
    root = make_project(tmp_path / "project", papers={"2409.02060.yaml": text}, ledgers={}, files=files)
    return run(root)


# --- syntax -------------------------------------------------------------------------------------

SYNTAX_CASES = [
    pytest.param(
        'id: "2409.02060"\ntitle: Sparse experts: a study\n',
        (2, 22),
        "mapping values are not allowed here",
        'a value containing `: ` must be quoted, e.g. title: "Topic: subtitle"',
        id="unquoted-colon-space",
    ),
    pytest.param(
        'id: "2409.02060"\n\ttitle: "tab-indented"\n',
        (2, 1),
        "while scanning for the next token found character '\\t' that cannot start any token",
        "indent with spaces; YAML does not allow tabs",
        id="tab-indent",
    ),
    pytest.param(
        'id: "2409.02060"\ntitle: "never closed\nyear: 2024\nvenue: x\n',
        (2, 8),
        "this quoted value is never closed (the file ends at line 5)",
        "a quote is not closed",
        id="unclosed-double-quote",
    ),
    pytest.param(
        "id: '2409.02060'\nauthors:\n  - 'Ada\n",
        (3, 5),
        "this quoted value is never closed (the file ends at line 4)",
        "a quote is not closed",
        id="unclosed-single-quote",
    ),
]


@pytest.mark.parametrize(("text", "where", "message", "hint"), SYNTAX_CASES)
def test_syntax_errors_are_located(tmp_path: Path, text: str, where: tuple[int, int], message: str, hint: str) -> None:
    problem = only(check(tmp_path, text), "yaml-syntax")
    assert (problem.location.path, problem.location.line, problem.location.col) == (RECORD, *where)
    assert problem.message == message
    assert problem.hint == hint


def test_several_documents_in_one_file(tmp_path: Path) -> None:
    problem = only(check(tmp_path, 'id: "2409.02060"\ntitle: "A"\n---\nid: "2409.02061"\ntitle: "B"\n'))
    assert diagnostic(problem) == ("yaml-multiple-documents", RECORD, 3, "")
    assert problem.message == "a record file holds exactly one YAML document"
    assert problem.hint == "remove the `---` separator and split the records into files"


def test_leading_document_marker_is_fine(tmp_path: Path) -> None:
    site = check(tmp_path, "---\n" + PAPER)
    assert not site.problems.errors, site.problems.report()


# --- structure ----------------------------------------------------------------------------------


def test_duplicate_top_level_key(tmp_path: Path) -> None:
    problem = only(check(tmp_path, PAPER + 'title: "Second title"\n'))
    assert diagnostic(problem) == ("yaml-duplicate-key", RECORD, 9, "")
    assert problem.location.col == 1
    assert problem.message == "duplicate key `title` (first set on line 3)"
    assert problem.hint == "keep one of the two; YAML would silently use the last"


def test_duplicate_nested_key(tmp_path: Path) -> None:
    text = PAPER + "links:\n  code: https://a.example/\n  homepage: https://b.example/\n  code: https://c.example/\n"
    problem = only(check(tmp_path, text))
    assert diagnostic(problem) == ("yaml-duplicate-key", RECORD, 12, "")
    assert problem.location.col == 3
    assert problem.message == "duplicate key `code` (first set on line 10)"


@pytest.mark.parametrize(
    ("value", "tag"),
    [
        ('!!python/object:os.system "x"', "tag:yaml.org,2002:python/object:os.system"),
        ('!!python/object/apply:os.system ["echo pwned"]', "tag:yaml.org,2002:python/object/apply:os.system"),
        ("!!python/name:builtins.eval ''", "tag:yaml.org,2002:python/name:builtins.eval"),
        ("!!binary aGVsbG8=", "tag:yaml.org,2002:binary"),
        ("!ENV HOME", "!ENV"),
        ('!!str "tagged"', "tag:yaml.org,2002:str"),
    ],
)
def test_tags_are_refused(tmp_path: Path, value: str, tag: str) -> None:
    problem = only(check(tmp_path, f'id: "2409.02060"\ntitle: {value}\n'))
    assert diagnostic(problem) == ("yaml-tag", RECORD, 2, "")
    assert problem.location.col == 8
    assert problem.message == f"tags such as {tag} are not allowed in records"
    assert problem.hint == "remove the tag; quote the value if it must be text"


def test_python_object_tag_is_never_constructed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = f'id: "2409.02060"\ntitle: !!python/object/apply:os.system ["touch {marker}"]\n'
    only(check(tmp_path, text), "yaml-tag")
    assert not marker.exists()


def test_anchor_is_refused(tmp_path: Path) -> None:
    problem = only(check(tmp_path, 'id: "2409.02060"\ntitle: &t "A paper"\nsummary: *t\n'))
    assert diagnostic(problem) == ("yaml-anchor", RECORD, 2, "")
    assert problem.message == "anchors (&t) are not allowed in records"


def test_alias_is_refused(tmp_path: Path) -> None:
    problem = only(check(tmp_path, 'id: "2409.02060"\ntitle: "A"\nsummary: *undefined\n'))
    assert diagnostic(problem) == ("yaml-alias", RECORD, 3, "")
    assert problem.message == "aliases (*name) are not allowed in records"


def test_merge_key_is_refused(tmp_path: Path) -> None:
    problem = only(check(tmp_path, 'id: "2409.02060"\n<<: {title: "A"}\n'))
    assert diagnostic(problem) == ("yaml-merge-key", RECORD, 2, "")


def alias_bomb(levels: int = 12, width: int = 10) -> str:
    lines = ['id: "2409.02060"', "a0: &a0 [" + ", ".join(["lol"] * width) + "]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_refused_at_the_first_anchor_in_bounded_time(tmp_path: Path) -> None:
    started = time.perf_counter()
    problem = only(check(tmp_path, alias_bomb()))  # 10**12 nodes if it were ever expanded
    assert time.perf_counter() - started < 2
    assert diagnostic(problem) == ("yaml-anchor", RECORD, 2, "")
    assert problem.message == "anchors (&a0) are not allowed in records"


def test_deep_nesting_is_refused_before_recursion_fails(tmp_path: Path) -> None:
    started = time.perf_counter()
    problem = only(check(tmp_path, 'id: "2409.02060"\ntitle: ' + "[" * 50_000 + "\n"))
    assert time.perf_counter() - started < 5
    assert diagnostic(problem) == ("yaml-too-deep", RECORD, 2, "")
    assert problem.message == "values are nested more than 16 levels deep"


def test_complex_key_is_refused(tmp_path: Path) -> None:
    problem = only(check(tmp_path, 'id: "2409.02060"\n? [a, b]\n: value\n'))
    assert diagnostic(problem) == ("yaml-key", RECORD, 2, "")


# --- implicit typing ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "field", "raw", "python_type"),
    [
        ("title: no", "title", "no", "bool"),
        ("title: off", "title", "off", "bool"),
        ("title: yes", "title", "yes", "bool"),
        ("title: 3.14", "title", "3.14", "float"),
        ("title: .inf", "title", ".inf", "float"),
        ("title: null_is_fine_but_this_is_int_0x1F", None, None, None),
        ("venue: 2024", "venue", "2024", "int"),
    ],
)
def test_norway_problem_in_string_fields(
    tmp_path: Path, line: str, field: str | None, raw: str | None, python_type: str | None
) -> None:
    key = line.split(":")[0]
    text = "\n".join(row for row in PAPER.splitlines() if not row.startswith(f"{key}:")) + f"\n{line}\n"
    site = check(tmp_path, text)
    if field is None:  # a plain word stays text
        assert not site.problems.errors, site.problems.report()
        return
    problem = only(site)
    assert diagnostic(problem) == ("yaml-implicit-type", RECORD, len(text.splitlines()), field)
    assert problem.message == f"YAML reads the unquoted value `{raw}` as a {python_type}"
    assert problem.hint == f'quote it: "{raw}"'


def test_no_in_a_list_of_strings(tmp_path: Path) -> None:
    problem = only(check(tmp_path, PAPER.replace('  - "Ada Lovelace"', '  - "Ada Lovelace"\n  - No')))
    assert diagnostic(problem) == ("yaml-implicit-type", RECORD, 6, "authors[1]")
    assert problem.location.col == 5


def test_unquoted_arxiv_id_read_as_float(tmp_path: Path) -> None:
    problem = only(check(tmp_path, PAPER.replace('id: "2409.02060"', "id: 2409.02060")))
    assert diagnostic(problem) == ("id-unquoted", RECORD, 1, "id")
    assert problem.message == "YAML reads the unquoted id `2409.02060` as a number"
    assert problem.hint == 'quote it: id: "2409.02060"'


def test_unquoted_integer_id(tmp_path: Path) -> None:
    problem = only(check(tmp_path, PAPER.replace('id: "2409.02060"', "id: 123")))
    assert diagnostic(problem) == ("id-invalid", RECORD, 1, "id")
    assert problem.message == "the id must be text, not `123`"


@pytest.mark.parametrize("value", ["2025-02-30", "'2025-02-30'", "2025-13-01", "'2025-2-3'", "'yesterday'"])
def test_impossible_dates(tmp_path: Path, value: str) -> None:
    problem = only(check(tmp_path, PAPER + f"added: {value}\n"))
    assert diagnostic(problem) == ("date-invalid", RECORD, 9, "added")
    shown = value.strip("'")
    assert problem.message in (
        f"'{shown}' is not a real calendar date (YYYY-MM-DD)",
        f"'{shown}' is not in the form YYYY-MM-DD",
    )
    assert problem.hint == 'write a real date, quoted, as "YYYY-MM-DD"'


def test_unquoted_real_date_is_kept_as_text(tmp_path: Path) -> None:
    site = check(tmp_path, PAPER + "added: 2025-02-28\n")
    assert not site.problems.errors, site.problems.report()
    assert site.papers["2409.02060"].record.added == "2025-02-28"


# --- empty and odd files ------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "\ufeff"])
def test_empty_files(tmp_path: Path, text: str) -> None:
    problem = only(check(tmp_path, text))
    assert diagnostic(problem) == ("yaml-empty", RECORD, 1, "")
    assert problem.message == "the file is empty"


@pytest.mark.parametrize("text", ["~\n", "- a\n- b\n", "just a sentence\n", "42\n"])
def test_record_that_is_not_a_mapping(tmp_path: Path, text: str) -> None:
    problem = only(check(tmp_path, text))
    assert diagnostic(problem) == ("record-not-mapping", RECORD, 1, "")


def test_yml_extension_is_read_with_a_warning(tmp_path: Path) -> None:
    root = make_project(tmp_path / "project", papers={"2409.02060.yml": PAPER}, ledgers={})
    site = run(root)
    assert not site.problems.errors
    (warning,) = warnings(site)
    assert diagnostic(warning) == ("file-yml-extension", "records/papers/2409.02060.yml", None, "")
    assert warning.hint == "rename it to `.yaml`; it is read all the same"
    assert "2409.02060" in site.papers
    assert site.problems.fails(strict=True)


def test_yml_beside_yaml_with_the_same_record(tmp_path: Path) -> None:
    root = make_project(tmp_path / "project", papers={"2409.02060.yaml": PAPER, "2409.02060.yml": PAPER}, ledgers={})
    site = run(root)
    problem = only(site)
    assert diagnostic(problem) == ("id-duplicate", "records/papers/2409.02060.yml", 1, "id")
    assert problem.message == (
        "id `2409.02060` is used by both records/papers/2409.02060.yaml and records/papers/2409.02060.yml; "
        "records/papers/2409.02060.yml is left out"
    )
    assert codes(warnings(site)) == ["file-yml-extension"]


def test_control_character_in_raw_text(tmp_path: Path) -> None:
    problem = only(check(tmp_path, 'id: "2409.02060"\ntitle: ring\x07bell\n'))
    assert (problem.code, problem.location.line, problem.location.col) == ("text-control-char", 2, 12)
    assert problem.message == "control character U+0007 is not allowed"


def test_control_character_from_an_escape(tmp_path: Path) -> None:
    problem = only(check(tmp_path, PAPER.replace('title: "A paper"', 'title: "A\\x00paper"')))
    assert diagnostic(problem) == ("text-control-char", RECORD, 3, "title")
    assert problem.message == "text contains control characters (U+0000)"


def test_not_utf8(tmp_path: Path) -> None:
    problem = only(check(tmp_path, PAPER.replace("A paper", "Caf\u00e9 paper").encode("cp1252")))
    assert diagnostic(problem) == ("encoding", RECORD, 3, "")
    assert problem.message == "not UTF-8: byte 0xe9 at offset 45"


def test_five_megabyte_single_line_is_refused_before_parsing(tmp_path: Path) -> None:
    started = time.perf_counter()
    problem = only(check(tmp_path, 'id: "2409.02060"\ntitle: "' + "x" * 5_000_000 + '"\n'))
    assert time.perf_counter() - started < 2
    assert diagnostic(problem) == ("file-too-large", RECORD, 1, "")
    assert problem.message == "file is 5,000,027 bytes; the limit is 1,000,000"


def test_overlong_value_is_refused(tmp_path: Path) -> None:
    problem = only(check(tmp_path, PAPER + 'abstract: "' + "y" * 60_000 + '"\n'))
    assert diagnostic(problem) == ("yaml-value-too-large", RECORD, 9, "")
    assert problem.message == "value is 60,000 characters long; the limit is 50,000"


# --- schema -------------------------------------------------------------------------------------


def test_required_field_missing(tmp_path: Path) -> None:
    problem = only(check(tmp_path, "# a comment first\n" + PAPER.replace('title: "A paper"\n', "")))
    assert diagnostic(problem) == ("field-missing", RECORD, 2, "title")
    assert problem.message == "required field `title` is missing"
    assert problem.hint == "add `title:`"


def test_required_field_null(tmp_path: Path) -> None:
    problem = only(check(tmp_path, PAPER.replace('title: "A paper"', "title:")))
    assert diagnostic(problem) == ("field-null", RECORD, 3, "title")
    assert problem.message == "`title` is empty"


def test_required_field_empty_string(tmp_path: Path) -> None:
    problem = only(check(tmp_path, PAPER.replace('title: "A paper"', 'title: ""')))
    assert diagnostic(problem) == ("field-empty", RECORD, 3, "title")


def test_id_null(tmp_path: Path) -> None:
    problem = only(check(tmp_path, PAPER.replace('id: "2409.02060"', "id:")))
    assert diagnostic(problem) == ("field-null", RECORD, 1, "id")


def test_id_missing(tmp_path: Path) -> None:
    problem = only(check(tmp_path, PAPER.replace('id: "2409.02060"\n', "")))
    assert diagnostic(problem) == ("field-missing", RECORD, 1, "id")


def test_authors_as_a_string(tmp_path: Path) -> None:
    problem = only(check(tmp_path, PAPER.replace('authors:\n  - "Ada Lovelace"', 'authors: "Ada Lovelace, Bob"')))
    assert diagnostic(problem) == ("field-type", RECORD, 4, "authors")
    assert problem.message == "`authors` must be a list, not text"
    assert problem.hint.startswith("write it as a list:")


@pytest.mark.parametrize(
    ("replacement", "field", "message", "hint"),
    [
        ('year: "2024"', "year", "`year` must be a whole number, not text", "remove the quotes"),
        ("year: 2024.5", "year", "`year` must be a whole number, not `2024.5`", ""),
        ("year: [2024]", "year", "`year` must be a whole number, not a list", ""),
        ('title: {text: "A"}', "title", "`title` must be text, not a mapping", ""),
    ],
)
def test_wrong_types(tmp_path: Path, replacement: str, field: str, message: str, hint: str) -> None:
    key = replacement.split(":")[0]
    text = "\n".join(r if not r.startswith(f"{key}:") else replacement for r in PAPER.splitlines()) + "\n"
    problem = only(check(tmp_path, text))
    assert diagnostic(problem)[::3] == ("field-type", field)
    assert (problem.message, problem.hint) == (message, hint)


def test_links_as_a_string(tmp_path: Path) -> None:
    problem = only(check(tmp_path, PAPER + "links: https://example.org/\n"))
    assert diagnostic(problem) == ("field-type", RECORD, 9, "links")
    assert problem.message == "`links` must be a mapping of `field: value` lines, not text"


def test_unknown_field_with_did_you_mean(tmp_path: Path) -> None:
    problem = only(check(tmp_path, PAPER + 'summery: "typo"\n'))
    assert diagnostic(problem) == ("field-unknown", RECORD, 9, "summery")
    assert problem.message == "unknown field `summery`"
    assert problem.hint == "did you mean `summary`?"


def test_nested_unknown_field_with_did_you_mean(tmp_path: Path) -> None:
    problem = only(check(tmp_path, PAPER + "links:\n  homepag: https://example.org/\n"))
    assert diagnostic(problem) == ("field-unknown", RECORD, 10, "links.homepag")
    assert problem.location.col == 3
    assert problem.hint == "did you mean `homepage`?"


@pytest.mark.parametrize(
    ("value", "hint"),
    [
        ("activ", "did you mean `active`?"),
        ("Active", "did you mean `active`? (check case and spaces)"),
        ("'active '", "did you mean `active`? (check case and spaces)"),
        ("' withdrawn'", "did you mean `withdrawn`? (check case and spaces)"),
    ],
)
def test_enum_typos(tmp_path: Path, value: str, hint: str) -> None:
    problem = only(check(tmp_path, PAPER + f"status: {value}\n"))
    assert diagnostic(problem) == ("enum-invalid", RECORD, 9, "status")
    assert problem.message == f"{value.strip(chr(39))!r} is not an allowed value"
    assert problem.hint == hint


def test_enum_given_a_yaml_boolean(tmp_path: Path) -> None:
    problem = only(check(tmp_path, PAPER + "cites:\n  - target: hep-th/9901001\n    role: no\n"))
    assert diagnostic(problem) == ("enum-invalid", RECORD, 11, "cites[0].role")
    assert problem.message == "`no` is not an allowed value"


def test_nested_enum_typo_in_a_synthesis(tmp_path: Path) -> None:
    site = check(tmp_path, PAPER, {"records/syntheses/s.yaml": SYNTHESIS.replace("tier: Standard", "tier: standard")})
    problem = only(site)
    assert diagnostic(problem) == ("enum-invalid", "records/syntheses/s.yaml", 12, "quality_tier.tier")
    assert problem.hint == "did you mean `Standard`? (check case and spaces)"


@pytest.mark.parametrize(("count", "events"), [(2, 1), (0, 1)])
def test_correction_count_contradicting_the_list(tmp_path: Path, count: int, events: int) -> None:
    synthesis = SYNTHESIS.replace("correction_count: 1", f"correction_count: {count}")
    problem = only(check(tmp_path, PAPER, {"records/syntheses/s.yaml": synthesis}))
    assert diagnostic(problem) == (
        "correction-count-mismatch",
        "records/syntheses/s.yaml",
        21,
        "correction_record.correction_count",
    )
    assert problem.message == f"correction_count is {count} but {events} correction event(s) are listed"
    assert problem.hint == "set correction_count to the number of events"


def test_every_schema_error_of_a_record_is_reported_at_once(tmp_path: Path) -> None:
    text = PAPER.replace("year: 2024", 'year: "2024"') + "summery: x\nstatus: Active\n"
    site = check(tmp_path, text)
    assert sorted(codes(site.problems.errors)) == ["enum-invalid", "field-type", "field-unknown"]
    assert all(p.severity is Severity.ERROR and p.location.line for p in site.problems)


def test_a_rejected_record_is_remembered_for_linking(tmp_path: Path) -> None:
    """Rows about a paper whose record has errors can then say so, instead of "unknown paper"."""
    site = check(tmp_path, PAPER.replace("year: 2024", "year: soon"))
    assert site.corpus.rejected == {"2409.02060": RECORD}
    assert "2409.02060" not in site.papers
