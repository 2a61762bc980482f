"""Property-based fuzzing of the load -> validate -> link -> render pipeline, and the CLI invariants.

Whatever the records and ledgers hold: `collect` never raises, every problem names a file
and a line, every ledger row is either a claim or a located problem, and whatever validates
also renders. Ordinary bad input never reaches the CLI's "internal error" path.
"""

from __future__ import annotations

import csv
import io
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from generator.cli import main
from generator.model.records import LEDGER_COLUMNS, VOCABULARIES
from generator.model.site import Site
from generator.pipeline.build import collect, generate
from generator.problems import Severity
from tests.helpers import HEADER, LEDGER, PAPER, ROW, ROW_FIELDS, SYNTHESIS, make_project, row

FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)

NASTY = [
    "",
    " ",
    "no",
    "off",
    "yes",
    "~",
    "null",
    "NA",
    "N/A",
    "2409.02060",
    "2409.02060v1",
    "hep-th/9901001",
    "../../etc/passwd",
    "C:\\x",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{ 7*7 }}",
    "{% raw %}{% endraw %}",
    "---",
    "- item",
    "key: value",
    "# not a comment",
    "&anchor",
    "*alias",
    "!!python/object:os.system",
    "R&D",
    "a,b",
    'say "hi"',
    "line\nbreak",
    "tab\there",
    "\u202eevil",
    "zero\u200bwidth",
    "\x00",
    "\x1b[31m",
    "\ufeff",
    "é" * 3,
    "💥",
    "2025-02-30",
    "=cmd|'/C calc'!A0",
]
TEXT = st.one_of(
    st.sampled_from(NASTY),
    st.text(st.characters(exclude_categories=["Cs"]), max_size=30),
    st.text(alphabet="ab ,:\"'\n-#{}[]&*!|>%@`", max_size=15),
)
SCALAR = st.one_of(st.none(), st.booleans(), st.integers(-(10**20), 10**20), st.floats(), TEXT)
VALUE = st.recursive(
    SCALAR, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3), max_leaves=8
)
PAPER_FIELDS = [*yaml.safe_load(PAPER), "abstract", "venue", "links", "cites", "status", "added", "titel", "extra"]

# url-unlocked is about the whole urls.lock (a fuzzed project has none), so it has no line
LOCATION_FREE = {"file-yml-extension", "file-symlink", "file-unknown-type", "url-unlocked"}


def check_invariants(site: Site) -> None:
    """Every problem is located and printable; a clean corpus renders every record and claim."""
    for problem in site.problems:
        assert problem.location.path, problem
        if problem.code not in LOCATION_FREE:
            assert problem.location.line is not None and problem.location.line >= 1, problem
        assert problem.format_text() and problem.format_github()
    if site.problems.errors:
        event("refused")
        return
    event("rendered")
    output = generate(site)
    urls = {page.url for page in output.pages}
    assert {f"papers/{pid}/" for pid in site.papers} <= urls
    assert output.rendered_claims == site.stats.claims == len(site.corpus.claims)


class DoubleQuoted(yaml.SafeDumper):
    """Writes every string in double quotes (with escapes), as careful contributors do."""


class SingleQuoted(yaml.SafeDumper):
    """Writes every string in single quotes."""


def _quoted(style: str):  # type: ignore[no-untyped-def]
    return lambda dumper, value: dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


DoubleQuoted.add_representer(str, _quoted('"'))
SingleQuoted.add_representer(str, _quoted("'"))


@st.composite
def paper_records(draw: st.DrawFn) -> str:
    """A valid paper with hostile text (mostly still valid), wrong types, or garbled YAML."""
    data: dict[str, Any] = yaml.safe_load(PAPER)
    mode = draw(st.sampled_from(["text", "text", "types", "garbled"]))
    for key in draw(st.lists(st.sampled_from(["title", "summary", "abstract", "venue"]), max_size=4, unique=True)):
        data[key] = draw(TEXT)
    if draw(st.booleans()):
        data["authors"] = draw(st.lists(TEXT, max_size=3))
    if mode == "text":  # keep required text non-empty, so that most of these validate and render
        data["title"] = data["title"] or "t"
        data["summary"] = str(data["summary"]).replace("\n", " ").replace("\r", " ")
    if mode == "types":
        for key in draw(st.lists(st.sampled_from(PAPER_FIELDS), min_size=1, max_size=3, unique=True)):
            data[key] = draw(VALUE)
    text = yaml.dump(
        data,
        Dumper=draw(st.sampled_from([yaml.SafeDumper, DoubleQuoted, SingleQuoted])),
        allow_unicode=draw(st.booleans()),
        sort_keys=False,
        width=draw(st.sampled_from([80, 10**6])),
    )
    if mode == "garbled":  # insert, delete or duplicate at a random place
        at = draw(st.integers(0, len(text)))
        snippet = draw(
            st.sampled_from([": ", "\t", '"', "'", "\n- ", "&a ", "*a", "!!python/object ", "---\n", "{", "]"])
        )
        text = draw(st.sampled_from([text[:at] + snippet + text[at:], text[:at] + text[at + 1 :], text + text[at:]]))
    return text


@given(record=paper_records())
@FUZZ
def test_fuzzed_records_never_crash_and_are_always_located(record: str) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        root = make_project(Path(scratch) / "p", papers={"2409.02060.yaml": record})
        check_invariants(collect(root))


@given(content=st.one_of(st.binary(max_size=200), st.text(max_size=200).map(str.encode)))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
def test_arbitrary_bytes_as_a_record_or_a_ledger(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        root = make_project(Path(scratch) / "p", papers={"2409.02060.yaml": PAPER, "x.yaml": content})
        check_invariants(collect(root))
        root = make_project(Path(scratch) / "q", ledgers={"x.csv": content})
        check_invariants(collect(root))


CELL = st.one_of(
    st.sampled_from(NASTY), TEXT, st.sampled_from([v for vocab in VOCABULARIES.values() for v in vocab.values])
)


@st.composite
def ledgers(draw: st.DrawFn) -> tuple[bytes, bool]:
    """(file bytes, whether the csv module's own quoting was used)."""
    columns = [*LEDGER_COLUMNS, "claim_id"]
    if draw(st.booleans()):
        columns = draw(st.permutations(columns))
    rows = []
    for index in range(draw(st.integers(0, 4))):
        cells = {**ROW_FIELDS, "claim_id": f"c-{index:08x}"}
        for column in draw(st.lists(st.sampled_from(columns), max_size=3, unique=True)):
            cells[column] = draw(CELL)
        rows.append([cells[c] for c in columns])
    proper = draw(st.booleans())
    ending = draw(st.sampled_from(["\n", "\r\n"]))
    if proper:
        buffer = io.StringIO()
        quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
        csv.writer(buffer, quoting=quoting, lineterminator=ending).writerows([columns, *rows])
        text = buffer.getvalue()
    else:  # hand-made, as an editor would: no quoting at all
        text = ending.join(",".join(r) for r in [columns, *rows]) + ending
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig"]))
    return text.encode(encoding, errors="surrogatepass"), proper


def physical_rows(text: str) -> list[tuple[int, list[str]]]:
    """Start line and cells of every CSV record, header included, computed independently of the loader."""
    found, start = [], 1
    reader = csv.reader(io.StringIO(text, newline=""))
    for cells in reader:
        found.append((start, cells))
        start = reader.line_num + 1
    return found


FILE_LEVEL = {"csv-syntax", "encoding", "csv-empty", "csv-delimiter", "file-too-large"}


@given(ledger=ledgers())
@FUZZ
def test_fuzzed_ledgers_lose_no_row(ledger: tuple[bytes, bool]) -> None:
    content, proper = ledger
    with tempfile.TemporaryDirectory() as scratch:
        root = make_project(Path(scratch) / "p", ledgers={"x.csv": content})
        site = collect(root)
        check_invariants(site)
        problems = [p for p in site.problems if p.location.path == "ledgers/x.csv"]
        if any(p.code in FILE_LEVEL or (p.location.line == 1 and p.severity is Severity.ERROR) for p in problems):
            event("ledger refused as a whole")
            assert not site.corpus.claims
            return
        event("some claims valid" if site.corpus.claims else "no valid claim")
        text = content.decode("utf-8-sig")
        claim_rows = {c.row for c in site.corpus.claims}
        located = {p.location.line for p in problems}
        for line, cells in physical_rows(text)[1:]:
            if not cells:
                continue
            assert line in claim_rows or line in located, f"row on line {line} vanished: {cells!r}"
        if proper:
            assert site.stats.rows_read == sum(
                1 for _, cells in physical_rows(text)[1:] if any(c.strip() for c in cells)
            )


# --- the CLI never answers ordinary bad input with "internal error" --------------------------------------

PAPER_FILE = "records/papers/2409.02060.yaml"  # replaces the project's one valid paper
WITH_CATEGORY = "paper_id,claim,claim_status,evidence_status,source_depth,source_quote,page_or_section,taxonomy_fit,"
WITH_CATEGORY += "audit_status,claim_id,category"
HOSTILE_INPUTS: dict[str, dict[str, str | bytes]] = {
    # YAML syntax and structure
    "colon": {PAPER_FILE: 'id: "2409.02060"\ntitle: A: B\n'},
    "tab": {PAPER_FILE: 'id: "2409.02060"\n\ttitle: x\n'},
    "unclosed": {PAPER_FILE: 'id: "2409.02060\n'},
    "documents": {PAPER_FILE: PAPER + "---\n" + PAPER},
    "duplicate": {PAPER_FILE: PAPER + 'title: "again"\n'},
    "python-tag": {PAPER_FILE: "id: !!python/object/apply:os.system ['true']\n"},
    "alias-bomb": {PAPER_FILE: "a: &a [1,1,1,1,1,1,1,1,1]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"},
    "deep": {PAPER_FILE: "x: " + "[" * 20_000},
    "control": {PAPER_FILE: "title: a\x07b\n"},
    "float-id": {PAPER_FILE: PAPER.replace('"2409.02060"', "2409.02060")},
    "bad-date": {PAPER_FILE: PAPER + "added: 2025-02-30\n"},
    "empty": {PAPER_FILE: ""},
    "binary": {PAPER_FILE: bytes(range(256))},
    "huge-yaml": {PAPER_FILE: "title: " + "x" * 5_000_000},
    "list-root": {PAPER_FILE: "- 1\n"},
    # schema and identity
    "authors-string": {PAPER_FILE: PAPER.replace('authors:\n  - "Ada Lovelace"', "authors: Ada")},
    "escape-id": {PAPER_FILE: PAPER.replace("2409.02060", "../../x")},
    "bidi-id": {PAPER_FILE: PAPER.replace("2409.02060", "2409.02060\u202e")},
    "versioned-id": {PAPER_FILE: PAPER.replace("2409.02060", "2409.02060v2")},
    "two-files": {"records/papers/copy.yaml": PAPER},
    "synthesis-count": {"records/syntheses/s.yaml": SYNTHESIS.replace("correction_count: 1", "correction_count: 9")},
    "synthesis-list": {"records/syntheses/s.yaml": 'id: "SRCH:0000BEEF"\ncorrection_record: []\n'},
    "taxonomy-scalar": {"records/taxonomy.yaml": "categories: 3\n"},
    "retractions-bad": {"records/retractions.yaml": "retractions:\n- {id: x, kind: gone}\n"},
    "unknown-file": {"records/notes.md": "# notes\n"},
    # references between records (found when linking; the pages must still not crash)
    "unknown-category": {PAPER_FILE: PAPER.replace('taxonomy: ["moe"]', 'taxonomy: ["nope"]')},
    "unknown-parent": {"records/taxonomy.yaml": "categories:\n- {slug: moe, title: M, parent: nope}\n"},
    "unknown-cite": {PAPER_FILE: PAPER + "cites:\n  - target: '2401.00001'\n"},
    "self-cite": {PAPER_FILE: PAPER + "cites:\n  - target: '2409.02060'\n"},
    "bad-alias": {PAPER_FILE: PAPER + "aliases: ['../x', '2409.02060']\n"},
    "bad-tombstone": {
        PAPER_FILE: PAPER + "status: withdrawn\ntombstone: {reason: r, date: '2026-01-01', see_instead: ../x}\n"
    },
    "no-tombstone": {PAPER_FILE: PAPER + "status: withdrawn\n"},
    "unknown-bibtex-key": {PAPER_FILE: PAPER + "bibtex_key: nope\n"},
    "synthesis-unknown-paper": {
        "records/syntheses/s.yaml": SYNTHESIS.replace('papers: ["2409.02060"]', 'papers: ["2401.00001"]')
    },
    "synthesis-unknown-category": {
        "records/syntheses/s.yaml": SYNTHESIS.replace('taxonomy: ["moe"]', 'taxonomy: ["nope"]')
    },
    "ledger-unknown-paper": {"ledgers/x.csv": HEADER + "\n" + row(paper_id="2401.00001v1") + "\n"},
    "ledger-unknown-category": {"ledgers/x.csv": WITH_CATEGORY + "\n" + ROW + ",nope\n"},
    # BibTeX
    "bib-broken": {"records/refs.bib": "@article{x, title = {unbalanced\n"},
    "bib-binary": {"records/refs.bib": b"\xff\xfe@\x00a\x00"},
    # CSV
    "cp1252": {"ledgers/x.csv": (HEADER + "\n" + row(claim="\u201cq\u201d") + "\n").encode("cp1252")},
    "ragged": {"ledgers/x.csv": HEADER + "\n" + ROW + ",x\n"},
    "quote": {"ledgers/x.csv": HEADER + "\n" + ROW.replace("Experts", '"Experts') + "\n"},
    "semicolon": {"ledgers/x.csv": LEDGER.replace(",", ";")},
    "huge-cell": {"ledgers/x.csv": HEADER + "\n" + row(source_quote="x" * 300_000) + "\n"},
    "header-only-typo": {"ledgers/x.csv": "paper_idd\n"},
    "utf16": {"ledgers/x.csv": LEDGER.encode("utf-16")},
    "nul": {"ledgers/x.csv": LEDGER.replace("Experts", "Ex\x00perts")},
    "duplicate-claim-id": {"ledgers/x.csv": LEDGER + row(claim="Another.") + "\n"},
}


PROBLEM_LINE = re.compile(r"^\S.* \[(?P<code>[a-z][a-z0-9-]*)\]$")
UNLINED = {"file-symlink", "file-unknown-type", "file-yml-extension", "url-unlocked"}


KNOWN_BUGS: dict[str, str] = {}


def hostile_cases() -> list[object]:
    return [
        pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[name]))
        if name in KNOWN_BUGS
        else name
        for name in sorted(HOSTILE_INPUTS)
    ]


@pytest.mark.parametrize("name", hostile_cases())
def test_bad_input_never_reaches_internal_error(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_project(tmp_path / "p", files=HOSTILE_INPUTS[name])
    started = time.perf_counter()
    code = main(["--root", str(root), "validate"])
    err = capsys.readouterr().err
    assert time.perf_counter() - started < 10
    assert "internal error" not in err and "Traceback" not in err, err
    assert code == 1, err
    assert "error(s)" in err and "kb: read " in err
    reported = [line for line in err.splitlines() if PROBLEM_LINE.match(line)]
    assert reported, err
    for line in reported:
        code = PROBLEM_LINE.match(line).group("code")  # type: ignore[union-attr]
        assert code in UNLINED or re.match(r"^[^\s:]+:\d+[:\s]", line), f"no line number: {line}"


def limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


def test_category_cycle_is_reported_not_looped_on(tmp_path: Path) -> None:
    """In a subprocess with a timeout: a cycle in the category tree must not hang validate or build."""
    cycle = "categories:\n- {slug: moe, title: M, parent: b}\n- {slug: b, title: B, parent: moe}\n"
    root = make_project(tmp_path / "p", files={"records/taxonomy.yaml": cycle})
    try:
        result = subprocess.run(
            [sys.executable, "-m", "generator", "--root", str(root), "validate"],
            capture_output=True,
            text=True,
            timeout=20,
            preexec_fn=limit_memory,  # a runaway loop must not take the machine's memory
        )
    except subprocess.TimeoutExpired:
        pytest.fail("`kb validate` did not finish within 20 s on a category cycle")
    assert result.returncode == 1, result.stderr
    assert "internal error" not in result.stderr
    assert (
        "records/taxonomy.yaml:2:4: parents: categories form a cycle: moe -> b -> moe [category-cycle]" in result.stderr
    )
