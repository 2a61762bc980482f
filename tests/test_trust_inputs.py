"""Hostile files and values at the trust boundary (issue #12, findings 3, 5, 6, 7, 8, 9, 10).

Each test plants one hostile file in a scratch project and asserts the exact diagnostic.
"""

from __future__ import annotations

import os
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from generator import input_caps
from generator.commands.fmt import targets
from generator.file_names import data_kind, name_problem
from generator.pipeline.build import BuildOptions, build_site, collect
from generator.pipeline.render import repo_path_url
from generator.publish import feed, quotes
from tests.helpers import (
    LEDGER,
    PAPER,
    PAPER_ID,
    SYNTHESIS,
    add_site_config,
    diagnostic,
    kb,
    make_project,
    only,
    row,
    write,
)

# --- one rule for file names ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("records/papers/X.YAML", "file-extension-case"),
        ("ledgers/x.Csv", "file-extension-case"),
        ("records/refs.BIB", "file-extension-case"),
        ("ledgers/.hidden.csv", "file-name-hidden"),
        ("ledgers/a\n::notice title=forged::hi.csv", "file-name-control-char"),
        ("ledgers/bell\x07.csv", "file-name-control-char"),
        ("ledgers/rtl\u202ecsv.csv", "file-name-control-char"),
    ],
)
def test_one_file_name_rule(name: str, code: str, tmp_path: Path) -> None:
    problem = name_problem(name)
    assert problem is not None and problem.code == code
    assert data_kind(name) is None
    root = make_project(tmp_path / "p", files={name: LEDGER if name.endswith(("csv", "Csv")) else PAPER})
    assert code in [p.code for p in collect(root).problems.errors]
    assert all(path.relative_to(root).as_posix() != name for path in targets(root)), "kb fmt must skip it too"


def test_a_forged_workflow_command_stays_on_the_problem_line(tmp_path: Path) -> None:
    """Finding 5: a newline in a ledger name must not start a `::notice` line in `kb build`'s output."""
    root = make_project(tmp_path / "p", ledgers={"x.csv": LEDGER, "a\n::notice title=forged::hi.csv": LEDGER})
    result = kb(root, "validate")
    assert result.returncode == 1
    assert not any(line.startswith("::") for line in (result.stdout + result.stderr).splitlines())
    assert (
        "ledgers/a\\u000a::notice title=forged::hi.csv: the name `a\\u000a::notice title=forged::hi.csv` contains "
        "control or invisible characters (U+000A) [file-name-control-char]"
    ) in result.stderr


def test_kb_ids_never_follows_a_symlinked_ledger(tmp_path: Path) -> None:
    """Finding 10: `kb ids` wrote through a link to a file outside the repository."""
    outside = tmp_path / "outside.csv"
    outside.write_text(LEDGER.replace(",c-0123abcd", ","), encoding="utf-8")
    before = outside.read_bytes()
    root = make_project(tmp_path / "p")
    os.symlink(outside, root / "ledgers" / "linked.csv")
    result = kb(root, "ids")
    assert result.returncode == 1
    assert (
        "ledgers/linked.csv: symbolic links are not allowed here; nothing was written [file-symlink]" in result.stderr
    )
    assert outside.read_bytes() == before


def test_kb_ids_follows_the_file_name_rule(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", ledgers={"x.csv": LEDGER, "y.CSV": LEDGER.replace(",c-0123abcd", ",")})
    result = kb(root, "ids")
    assert result.returncode == 1
    assert "ledgers/y.CSV: `y.CSV` has an upper-case extension `.CSV` [file-extension-case]" in result.stderr
    assert (root / "ledgers" / "y.CSV").read_text(encoding="utf-8").endswith(",\n"), "no id was written"


# --- located errors for every id field ----------------------------------------------------------


@pytest.mark.parametrize(
    ("files", "field"),
    [
        ({"records/syntheses/SRCH-0000BEEF.yaml": SYNTHESIS.replace('papers: ["2409.02060"]', 'papers: ["../../../etc/passwd"]')}, "papers[0]"),
        ({"records/papers/2409.02060.yaml": PAPER + 'aliases: ["../../../etc/passwd"]\n'}, "aliases[0]"),
        ({"records/papers/2409.02060.yaml": PAPER + 'aliases: ["' + "a" * 290 + '/9901001"]\n'}, "aliases[0]"),
        ({"records/papers/2409.02060.yaml": PAPER + 'status: withdrawn\ntombstone:\n  reason: "x"\n  date: "2026-01-01"\n  see_instead: "../x"\n'}, "tombstone.see_instead"),
    ],
)  # fmt: skip
def test_malformed_ids_are_located_errors_not_tracebacks(files: dict[str, str], field: str, tmp_path: Path) -> None:
    root = add_site_config(make_project(tmp_path / "p", files=files))
    result = kb(root, "build", "--site-dir", str(tmp_path / "site"))
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert f": {field}: " in result.stderr, result.stderr


def test_ids_have_a_length_limit(tmp_path: Path) -> None:
    """Finding 7: a 300-character old-style id validated, then failed the build with ENAMETOOLONG."""
    long_id = "a" * 290 + "/9901001"
    paper = PAPER.replace(f'id: "{PAPER_ID}"', f'id: "{long_id}"')
    root = make_project(tmp_path / "p", papers={"x.yaml": paper}, ledgers={})
    problem = only(collect(root))
    assert diagnostic(problem) == ("id-invalid", "records/papers/x.yaml", 1, "id")


# --- clean text ----------------------------------------------------------------------------------

BIB = """\
@article{hostile,
  title = {A paper},
  author = {Lovelace, Ada},
  journal = {Proceedings\x07 of \x1b[31mRed},
  eprint = {2409.02060},
  archivePrefix = {arXiv},
  year = {2024},
}
"""


def test_bibtex_values_get_the_same_checks_as_yaml(tmp_path: Path) -> None:
    """Finding 5: BEL and ESC from BibTeX reached the HTML and data/papers.csv."""
    root = make_project(tmp_path / "p", files={"records/refs.bib": BIB})
    site, output = build_site(root)
    [problem] = [p for p in site.problems.errors if p.code == "text-control-char"]
    assert diagnostic(problem) == ("text-control-char", "records/refs.bib", 1, "venue (BibTeX entry `hostile`)")
    assert problem.message == "text contains control characters (U+0007, U+001B)"
    assert site.papers[PAPER_ID].record.venue == ""
    text_files = [f.content.decode("utf-8") for f in output.files if not f.path.endswith(".parquet")]
    assert any(f.path == "data/papers.csv" for f in output.files)
    written = [page.html for page in output.pages] + text_files
    assert not any("\x07" in text or "\x1b" in text for text in written)


@pytest.mark.parametrize(
    ("path", "url"),
    [
        ("records/papers/2409.02060.yaml", "records/papers/2409.02060.yaml"),
        ("records/%2e%2e/%2e%2e/x.yaml", "records/%252e%252e/%252e%252e/x.yaml"),
        ("records/a b/#x?.yaml", "records/a%20b/%23x%3F.yaml"),
        ("records/../../evil/x.yaml", ""),
        ("records//x.yaml", ""),
        ("records/a\\b.yaml", ""),
    ],
)
def test_edit_links_encode_each_segment_and_refuse_odd_ones(path: str, url: str) -> None:
    assert repo_path_url(path) == url


def test_edit_link_of_a_percent_named_folder_stays_in_the_repository(tmp_path: Path) -> None:
    """Finding 6: folders named `%2e%2e` made "Edit this record" point anywhere on github.com."""
    root = make_project(tmp_path / "p", papers={"%2e%2e/%2e%2e/%2e%2e/2409.02060.yaml": PAPER})
    write(
        root / "mkdocs.yml", "site_name: X\nrepo_url: https://github.com/example-org/kb\nedit_uri: edit/main/content/\n"
    )
    _, output = build_site(root)
    [paper] = [page for page in output.pages if page.url == f"papers/{PAPER_ID}/"]
    assert (
        'href="https://github.com/example-org/kb/edit/main/records/papers/%252e%252e/%252e%252e/%252e%252e/2409.02060.yaml"'
        in paper.html
    )


# --- dates and the feed --------------------------------------------------------------------------


def test_dates_after_the_build_date_are_errors(tmp_path: Path) -> None:
    """Finding 8: an event dated 2099 pinned the top of the Atom feed."""
    synthesis = SYNTHESIS.replace('date: "2026-01-02"', 'date: "2099-01-01"')
    root = make_project(tmp_path / "p", files={"records/syntheses/SRCH-0000BEEF.yaml": synthesis})
    site = collect(root, BuildOptions(build_date="2026-12-02"))
    [problem] = [p for p in site.problems.errors if p.code == "date-in-future"]
    line = synthesis.splitlines().index('      date: "2099-01-01"') + 1
    assert diagnostic(problem) == (
        "date-in-future", "records/syntheses/SRCH-0000BEEF.yaml", line, "correction_record.corrections[0].date",
    )  # fmt: skip
    assert problem.message == "2099-01-01 is later than the build date 2026-12-02"
    assert "date-in-future" in kb(root, "validate").stderr, "the CLI passes today's date in"


def test_every_correction_stays_in_the_feed_however_many_papers_are_added(tmp_path: Path) -> None:
    """Finding 8: a backdated retraction fell out of the 200-entry feed."""
    papers = {
        f"2409.{n:05d}.yaml": PAPER.replace(PAPER_ID, f"2409.{n:05d}") + 'added: "2026-06-01"\n'
        for n in range(feed.MAX_ENTRIES + 5)
    }
    synthesis = SYNTHESIS.replace('date: "2026-01-02"', 'date: "2001-01-01"').replace(
        'papers: ["2409.02060"]', 'papers: ["2409.00000"]'
    )
    root = make_project(
        tmp_path / "p", papers=papers, ledgers={}, files={"records/syntheses/SRCH-0000BEEF.yaml": synthesis}
    )
    _, output = build_site(root)
    [xml] = [f.content for f in output.files if f.path == feed.FEED_PATH]
    entries = ET.fromstring(xml).findall("{http://www.w3.org/2005/Atom}entry")
    kinds = [entry.find("{http://www.w3.org/2005/Atom}title").text or "" for entry in entries]  # type: ignore[union-attr]
    assert sum(title.startswith("New paper") for title in kinds) == feed.MAX_ENTRIES
    assert kinds[-1] == "Correction (erratum) to A synthesis"


# --- bounded cost --------------------------------------------------------------------------------


def test_an_oversized_source_text_is_refused_with_the_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(input_caps, "MAX_SOURCE_TEXT_BYTES", 1000)
    root = make_project(tmp_path / "p", files={f"records/sources/{PAPER_ID}.txt": "They specialise. " * 100})
    site = collect(root)
    problem = only(site, "input-too-large")
    assert diagnostic(problem) == ("input-too-large", f"records/sources/{PAPER_ID}.txt", None, "")
    assert problem.message == "source text is 1,700 bytes; the limit is 1,000"
    assert site.quote_checks["c-0123abcd"].state == "no-source"


def test_too_many_ledgers_stop_the_build_before_parsing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(input_caps, "MAX_LEDGERS", 3)
    root = make_project(tmp_path / "p", ledgers={f"l{n}.csv": LEDGER for n in range(4)})
    problem = only(collect(root), "input-too-large")
    assert diagnostic(problem) == ("input-too-large", "ledgers", None, "")
    assert problem.message == "there are 4 ledger files; the limit is 3"


def test_the_total_input_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(input_caps, "MAX_TOTAL_INPUT_BYTES", 100)
    problem = only(collect(make_project(tmp_path / "p")), "input-too-large")
    assert problem.location.path == "records" and problem.message.endswith("the limit is 100")


def test_the_quote_check_is_linear_in_the_text() -> None:
    """Finding 9: quotes x source size. The index refuses a quote with a piece the source lacks without a scan."""
    words = [f"w{n}x" for n in range(4000)]
    text = " ".join(words[(n * 7919) % len(words)] for n in range(200_000))  # ~1.2 MB
    source = quotes.SourceText.of("big", text)
    missing = [" ".join(words[(n * 31 + k) % len(words)] for k in range(30)) + " zz" for n in range(300)]
    started = time.perf_counter()
    assert all(quotes.match(quote, source) is None for quote in missing)
    elapsed = time.perf_counter() - started
    assert quotes.match(text[5000:5400], source) == "exact"
    assert elapsed < 2.0, f"300 absent quotes took {elapsed:.2f}s against a 1.2 MB source"


def test_near_matches_have_a_scan_budget(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only quotes whose every piece is in the source cost a scan; their total is capped, and the cap is reported."""
    monkeypatch.setattr(quotes, "MAX_SCANNED_CHARS", 1)
    second = row(claim="Experts specialise again.", claim_id="c-0123abce", source_quote="specialise.")
    root = make_project(
        tmp_path / "p",
        ledgers={"x.csv": f"{LEDGER}{second}\n"},
        files={f"records/sources/{PAPER_ID}.txt": "They specialise."},
    )
    site = collect(root)
    assert site.quote_checks["c-0123abcd"].state == "verified"
    assert site.quote_checks["c-0123abce"].label == "not checked"
    [problem] = [p for p in site.problems.warnings if p.code == "quote-check-limit"]
    assert diagnostic(problem) == ("quote-check-limit", "ledgers/x.csv", 3, "source_quote")
