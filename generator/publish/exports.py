"""The data release: the whole corpus as CSV, JSON and Parquet, CiTO Turtle and a checksummed manifest.

Everything lands under `data/` in the built site, plus a generated page
`data/` that lists the files with sizes and SHA-256 checksums.

* Tables: papers, syntheses, synthesis corrections, claims, citations,
  taxonomy, source reports and source flags. Each table is built once as rows
  of plain values and written three ways from the same rows, so the CSV, JSON
  and Parquet files always agree. A value that is not recorded (an empty text
  or list) is null in JSON and Parquet and an empty cell in CSV: rows go
  through `_unknown_is_null`, so no writer can disagree with the data page.
* CSV is for people who open it in a spreadsheet, so it neutralises formula
  injection as OWASP recommends: a text cell starting with `=`, `+`, `-`, `@`,
  TAB or CR gets a leading apostrophe. JSON and Parquet keep every cell exactly
  as written; use them for analysis.
* `citations-cito.ttl` states each citation in CiTO (see CITO_ROLE and
  CITO_POLARITY); `dataset.jsonld` describes the release as a schema.org
  Dataset; `schema/*.schema.json` are the record schemas; `SHA256SUMS` covers
  every other file (check with `sha256sum -c SHA256SUMS` inside `data/`).
* Output is deterministic: rows are sorted, nothing carries a timestamp and
  Parquet is written in memory with fixed settings, so a release's checksums
  only change when its data does.
"""

from __future__ import annotations

import collections
import contextlib
import csv
import functools
import hashlib
import io
import json
import operator
import pickle
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from json.encoder import encode_basestring
from typing import Any, BinaryIO, TextIO

from pydantic import BaseModel

from generator import urls
from generator.model.paper_ids import paper_iri
from generator.model.records import (
    LEDGER_COLUMNS,
    Category,
    Citation,
    Claim,
    CorrectionRecord,
    LedgerRow,
    Links,
    Paper,
    Provenance,
    QualityTierRecord,
    Synthesis,
    VerificationRecord,
)
from generator.model.schema import LEDGER_TABLE_SCHEMA, render_schemas, schema_files
from generator.model.site import Edge, Site
from generator.pipeline import forked
from generator.pipeline.render import Output, Renderer, StaticFile
from generator.pipeline.spool import Spooled, spool
from generator.publish.cite import absolute_url, maintainers, site_base
from generator.publish.metadata import render_head

DATA_DIR = "data/"
CHECKSUMS = "SHA256SUMS"
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

CITO = "http://purl.org/spar/cito/"
# Citation role (model.CitationRole) -> the CiTO property stated in citations-cito.ttl,
# besides the generic cito:cites that every citation gets.
CITO_ROLE: dict[str, str] = {
    "background": "citesForInformation",  # cited as general context
    "method-basis": "usesMethodIn",  # the citing work uses a method described in the target
    "comparison": "citesAsRelated",  # a baseline or point of comparison; CiTO has no "compares with"
    "extension": "extends",
    "data-source": "citesAsDataSource",
    "critique": "critiques",
}
# Citation polarity (model.CitationPolarity) -> CiTO property; neutral states nothing beyond cito:cites.
CITO_POLARITY: dict[str, str | None] = {
    "supporting": "supports",
    "neutral": None,
    "contrasting": "disputes",
}


# --- tables --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # "string", "int" or "bool"
    doc: str


@dataclass(eq=False)
class RowGroup:
    """Rows of a table made from one record (or from everything, for a table made whole), with what they were
    made from. `kb serve` keeps a group while its inputs are the same, and with it the text its rows were written
    as when the table has many groups: an edit to one paper then rewrites the papers table from the others' text."""

    inputs: Any
    rows: tuple[dict[str, Any], ...]
    text: dict[str, bytes] = field(default_factory=dict)
    """The rows as each writer wrote them, by file suffix."""

    @functools.cached_property
    def digest(self) -> bytes:
        """Equal for equal rows: pickling is exact (True is not 1, "1" is not 1)."""
        return hashlib.sha256(pickle.dumps(self.rows, protocol=5)).digest()


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    columns: tuple[Column, ...]
    rows: tuple[dict[str, Any], ...]
    groups: tuple[RowGroup, ...] = ()
    """The rows by the record they come from (`kb serve`); empty when nothing is kept for a rebuild."""
    arrays: dict[str, tuple[list[Any], Any]] | None = field(default=None, compare=False)
    """Its Parquet columns by name, each with the values it holds, shared with the next build's table when groups
    keep their text (`keeps_text`): a title edit then converts the title column only."""

    def summary(self) -> TableSummary:
        return TableSummary(self.name, self.description, self.columns, len(self.rows))

    @property
    def parts(self) -> tuple[RowGroup, ...]:
        return self.groups or (RowGroup(None, self.rows),)

    @property
    def keeps_text(self) -> bool:
        """Whether its groups keep their written text: worth it when an edit changes one group of many."""
        return len(self.groups) > 1


@dataclass(frozen=True)
class TableSummary:
    """What the data page shows of a table: not its rows, which the page's cached context would keep in memory."""

    name: str
    description: str
    columns: tuple[Column, ...]
    row_count: int


def _s(name: str, doc: str) -> Column:
    return Column(name, "string", doc)


def _from(model: type[BaseModel], field: str, column: str = "", kind: str = "string", joined: bool = False) -> Column:
    """A column documented by the model field it comes from, so the release and the schema say the same."""
    doc = model.model_fields[field].description or ""
    return Column(column or field, kind, doc + (" Separated by `; `." if joined else ""))


PAPER_COLUMNS = (
    _from(Paper, "id"),
    _from(Paper, "title"),
    _from(Paper, "authors", joined=True),
    _from(Paper, "authors_complete", kind="bool"),
    _from(Paper, "year", kind="int"),
    _from(Paper, "venue"),
    _from(Paper, "summary"),
    _from(Paper, "abstract"),
    _from(Paper, "taxonomy", joined=True),
    _from(Paper, "versions", joined=True),
    _from(Links, "doi"),
    _from(Paper, "status"),
    Column("retracted", "bool", "True when the retraction snapshot lists the paper."),
    _from(Paper, "added"),
    _s("url", "Page URL in the knowledge base."),
)
SYNTHESIS_COLUMNS = (
    _from(Synthesis, "id"),
    _from(Synthesis, "title"),
    _s("abstract", "Abstract, verbatim; see source_flags for text cut off or doubtful in the source."),
    _from(Synthesis, "research_question"),
    _from(Synthesis, "taxonomy", joined=True),
    _from(Synthesis, "papers", joined=True),
    _from(VerificationRecord, "paper_level", "verification_level"),
    _s("verification_label", "The label the report gives its verification level."),
    Column("source_grounded_claims", "int", "Source-grounded claims, as the report counts them."),
    _s("claim_record_source", "Claim record source, as the report states it."),
    _from(QualityTierRecord, "tier", "quality_tier"),
    _s("quality_tier_basis", "The basis the report gives for its tier."),
    _s("evidence_strength", "Quality dimension, as the report rates it."),
    _s("citation_grounding", "Quality dimension, as the report rates it."),
    _s("uncertainty_disclosure", "Quality dimension, as the report rates it."),
    _s("reproducibility_status", "Quality dimension, as the report rates it."),
    _from(CorrectionRecord, "status", "correction_status"),
    Column("correction_count", "int", "Number of correction events; each is a row of synthesis_corrections."),
    _s("manifest_contract", "Manifest contract named by the report."),
    _s("correction_contract", "Correction contract named by the report."),
    _from(Provenance, "publisher"),
    _s("public_provenance_level", "Public provenance level (not a verification level), e.g. L3."),
    _s("public_provenance_label", "The label the report gives its provenance level."),
    _s("report_artifact", "Report artifact, as the report states it."),
    _s("external_record", "External record, as the report states it."),
    _s("claim_lineage", "Claim lineage, as the report states it."),
    _s("review_method", "Review method, as the report states it."),
    _s("quality_guide", "The title of the publisher's quality guide; the report gives no link."),
    _s("provenance_contract", "Provenance contract named by the report."),
    _s("provenance_note", "The report's provenance note."),
    _s("aliases", "Former ids of the record, separated by `; `."),
    _from(Synthesis, "added"),
    _s("url", "Page URL in the knowledge base."),
)
CORRECTION_COLUMNS = (
    _s("synthesis_id", "The synthesis the event corrects."),
    _s("event_id", "Stable event id."),
    _s("date", "Date of the event."),
    _s("type", "Kind of correction (CorrectionType)."),
    _s("description", "What was corrected."),
    _s("claim_id", "The claim the event changes, if any."),
)
SOURCE_REPORT_COLUMNS = (
    _s("paper_id", "The paper the outside source reports on."),
    _s("source", "Who reports it, e.g. Pith."),
    _s("kind", "`label`, `statement`, `citing_paper` (listed with a title) or `representative_summary`."),
    Column("position", "int", "Place in the source's own list of this kind, from 1: the source's order."),
    _s("title", "Title of a citing paper, as the source gives it."),
    _s("text", "The label, statement or one-line summary, verbatim."),
    _s("denominator", "For a statement: the denominator the source gives; null when it gives none."),
)
SOURCE_FLAG_COLUMNS = (
    _s("record_id", "The paper or synthesis whose text is flagged."),
    _s("field", "The flagged field, e.g. title or abstract."),
    _s("truncated", "Why the text is taken to be cut off in the source."),
    _s("suspect", "Why the text is doubtful as the source gives it."),
)
CLAIM_COLUMNS = (
    _s("claim_id", "Permanent claim id; the page is claims/<claim_id>/."),
    *(_from(LedgerRow, name) for name in LEDGER_COLUMNS),
    _from(LedgerRow, "category"),
    _s("ledger", "Ledger file the row is in."),
    Column("row", "int", "Line of the row in its ledger (header is line 1)."),
    Column("retracted", "bool", "True when the claim's paper is retracted or withdrawn."),
)
CITATION_COLUMNS = (
    _s("citing", "Id of the citing paper (arXiv, `doi:`, `openreview:` or `acl:`)."),
    _from(Citation, "target"),
    _from(Citation, "role"),
    _from(Citation, "polarity"),
    _from(Citation, "context"),
)
TAXONOMY_COLUMNS = (
    _from(Category, "slug"),
    _from(Category, "title"),
    _from(Category, "description"),
    _s("parent", "Parent slugs, separated by `; `; null for a root."),
    _s("url", "Page URL in the knowledge base."),
)


def _join(values: Iterable[str]) -> str:
    return "; ".join(values)


def _unknown_is_null(rows: Iterable[dict[str, Any]]) -> tuple[dict[str, Any], ...]:
    """An empty text or list is a value nobody recorded: null in JSON and Parquet, as the data page says. Set in
    the rows themselves, which a table's `rows` function has just made: a copy of each took twice the CPU."""
    rows = tuple(rows)
    for row in rows:
        for key, value in row.items():
            if value == "":
                row[key] = None
    return rows


def _reporting(site: Site) -> list[tuple[str, Paper]]:
    """The papers some outside source reports on: the others have no rows, so they need no group."""
    return sorted((pid, loaded.record) for pid, loaded in site.papers.items() if loaded.record.reported)


def _source_report_rows(site: Site, pid: str, paper: Paper) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for report in paper.reported:
        lists: list[tuple[str, list[tuple[str, str]]]] = [
            ("label", [("", label) for label in report.labels]),
            ("statement", [("", statement) for statement in report.statements]),
            ("citing_paper", [(item.title, item.summary) for item in report.citing_papers]),
            ("representative_summary", [("", summary) for summary in report.representative_summaries]),
        ]
        for kind, items in lists:
            rows.extend(
                {
                    "paper_id": pid, "source": report.source, "kind": kind, "position": position,
                    "title": title, "text": text,
                    "denominator": report.denominator if kind == "statement" else "",
                }
                for position, (title, text) in enumerate(items, 1)
            )  # fmt: skip
    return rows


def _flagged(site: Site) -> list[tuple[str, Paper | Synthesis]]:
    """The records with a flagged field, by id: the others have no rows, so they need no group."""
    flagged: list[tuple[str, Paper | Synthesis]] = [
        *((pid, loaded.record) for pid, loaded in site.papers.items() if loaded.record.source_flags),
        *((sid, loaded.record) for sid, loaded in site.corpus.syntheses.items() if loaded.record.source_flags),
    ]
    return sorted(flagged, key=lambda item: item[0])


def _source_flag_rows(site: Site, rid: str, record: Paper | Synthesis) -> list[dict[str, Any]]:
    return [
        {"record_id": rid, "field": field, "truncated": flag.truncated, "suspect": flag.suspect}
        for field, flag in sorted(record.source_flags.items())
    ]


@dataclass
class KnownTable:
    """A table as the last build made it: its groups by key, what every row may show, and its files."""

    shared: Any
    groups: dict[Any, RowGroup]
    table: Table
    files: list[DataFile] | None = None


@dataclass
class KnownRelease:
    """`kb serve`: what earlier builds made of the data release, reused while what it is made from is the same.
    Building, digesting and writing every table was a third of a rebuild at 10,000 papers."""

    tables: dict[str, KnownTable] = field(default_factory=dict)
    """Each table, by name."""
    turtle: KnownTurtle | None = None
    """The CiTO file, its parts and what they were made from."""
    schemas: list[DataFile] = field(default_factory=list)
    """The schema files, made from the code alone."""


Rows = Callable[[Site, Any, Any], list[dict[str, Any]]]


@dataclass(frozen=True)
class TableSource:
    """One table of the release, as groups of rows. `groups` gives each group's key and inputs in table order;
    the inputs hold records, claims and edges themselves, so an unchanged file (which gives back the very same
    objects) compares by identity. `rows` makes a group's rows from its key and inputs; `shared` is what any row
    may show besides (when it changes, every group is made again)."""

    name: str
    description: str
    columns: tuple[Column, ...]
    groups: Callable[[Site], Iterable[tuple[Any, Any]]]
    rows: Rows
    shared: Callable[[Site], Any] = lambda site: None


def _paper_rows(site: Site, pid: str, inputs: tuple[Paper, bool]) -> list[dict[str, Any]]:
    p, retracted = inputs
    return [{
        "id": pid, "title": p.title, "authors": _join(p.authors), "authors_complete": p.authors_complete,
        "year": p.year, "venue": p.venue, "summary": p.summary, "abstract": p.abstract,
        "taxonomy": _join(p.taxonomy), "versions": _join(p.versions), "doi": p.links.doi, "status": p.status,
        "retracted": retracted, "added": p.added or "",
        "url": absolute_url(site.settings, urls.paper_url(pid)),
    }]  # fmt: skip


def _per_paper_retracted(site: Site) -> list[tuple[str, tuple[Paper, bool]]]:
    papers, retracted = site.papers, site.retracted_papers
    return [(pid, (papers[pid].record, pid in retracted)) for pid in sorted(papers)]


def _per_synthesis(site: Site) -> list[tuple[str, Synthesis]]:
    return [(sid, site.corpus.syntheses[sid].record) for sid in sorted(site.corpus.syntheses)]


def _synthesis_rows(site: Site, sid: str, s: Synthesis) -> list[dict[str, Any]]:
    return [{
        "id": sid, "title": s.title, "abstract": s.abstract, "research_question": s.research_question,
        "taxonomy": _join(s.taxonomy), "papers": _join(s.papers),
        "verification_level": s.verification_level.paper_level, "verification_label": s.verification_level.label,
        "source_grounded_claims": s.verification_level.source_grounded_claims,
        "claim_record_source": s.verification_level.claim_record_source,
        "quality_tier": s.quality_tier.tier, "quality_tier_basis": s.quality_tier.basis,
        **s.quality_dimensions.model_dump(),
        "correction_status": s.correction_record.status, "correction_count": s.correction_record.correction_count,
        "manifest_contract": s.correction_record.manifest_contract,
        "correction_contract": s.correction_record.correction_contract,
        "publisher": s.provenance.publisher, "public_provenance_level": s.provenance.public_provenance.level,
        "public_provenance_label": s.provenance.public_provenance.label,
        "report_artifact": s.provenance.report_artifact, "external_record": s.provenance.external_record,
        "claim_lineage": s.provenance.claim_lineage, "review_method": s.provenance.review_method,
        "quality_guide": s.provenance.quality_guide, "provenance_contract": s.provenance.provenance_contract,
        "provenance_note": s.provenance.note, "aliases": _join(s.aliases),
        "added": s.added or "", "url": absolute_url(site.settings, urls.synthesis_url(sid)),
    }]  # fmt: skip


def _correction_rows(site: Site, sid: str, s: Synthesis) -> list[dict[str, Any]]:
    return [
        {
            "synthesis_id": sid, "event_id": e.id, "date": e.date, "type": e.type, "description": e.description,
            "claim_id": e.claim_id,
        }
        for e in s.correction_record.corrections
    ]  # fmt: skip


_row_order = operator.attrgetter("row", "claim_id")


def _per_ledger(site: Site) -> list[tuple[str, tuple[tuple[Claim, ...], frozenset[str]]]]:
    """Each ledger's linked claims in row order, with those of their papers that are retracted: the table lists
    claims by ledger and row, so an edit to one ledger makes only its group again."""
    by_ledger: dict[str, list[Claim]] = collections.defaultdict(list)
    for claims in site.claims_by_paper.entries().values():
        for claim in claims:
            by_ledger[claim.ledger].append(claim)
    retracted = site.retracted_papers
    groups = []
    for ledger in sorted(by_ledger):
        claims = tuple(sorted(by_ledger[ledger], key=_row_order))
        groups.append((ledger, (claims, frozenset(c.paper_base for c in claims if c.paper_base in retracted))))
    return groups


def _claim_rows(site: Site, ledger: str, inputs: tuple[tuple[Claim, ...], frozenset[str]]) -> list[dict[str, Any]]:
    claims, retracted = inputs
    return [
        {
            "claim_id": c.claim_id, "paper_id": c.paper_id, "claim": c.claim, "claim_status": c.claim_status,
            "evidence_status": c.evidence_status, "source_depth": c.source_depth, "source_quote": c.source_quote,
            "page_or_section": c.page_or_section, "taxonomy_fit": c.taxonomy_fit_raw, "audit_status": c.audit_raw,
            "category": c.category, "ledger": c.ledger, "row": c.row, "retracted": c.paper_base in retracted,
        }
        for c in claims
    ]  # fmt: skip


def _citation_rows(site: Site, key: None, edges: tuple[Edge, ...]) -> list[dict[str, Any]]:
    """One group: the rows are sorted across citing papers."""
    return [
        {"citing": e.citing, "target": e.target, "role": e.role, "polarity": e.polarity, "context": e.context}
        for e in sorted(edges, key=lambda e: (e.citing, e.target, e.role or "", e.polarity or "", e.context))
    ]


def _taxonomy_rows(site: Site, slug: str, c: Category) -> list[dict[str, Any]]:
    return [{
        "slug": slug, "title": c.title, "description": c.description, "parent": _join(c.parent_slugs),
        "url": absolute_url(site.settings, urls.category_url(slug)),
    }]  # fmt: skip


def _settings(site: Site) -> Any:
    return site.settings


TABLES = (
    TableSource(
        "papers", "One row per paper record.", PAPER_COLUMNS, _per_paper_retracted, _paper_rows, _settings
    ),
    TableSource(
        "syntheses", "One row per synthesis record, every field.", SYNTHESIS_COLUMNS, _per_synthesis,
        _synthesis_rows, _settings,
    ),
    TableSource(
        "synthesis_corrections", "One row per correction event of a synthesis.", CORRECTION_COLUMNS, _per_synthesis,
        _correction_rows,
    ),
    TableSource(
        "claims", "One row per ledger claim: the nine ledger columns and where the row is.", CLAIM_COLUMNS,
        _per_ledger, _claim_rows,
    ),
    TableSource(
        "citations", "One row per citation between corpus works.", CITATION_COLUMNS,
        lambda site: [(None, site.edges)], _citation_rows,
    ),
    TableSource(
        "taxonomy", "One row per category of the taxonomy; categories and descriptions are editorial.",
        TAXONOMY_COLUMNS, lambda site: sorted(site.corpus.categories.items()), _taxonomy_rows, _settings,
    ),
    TableSource(
        "source_reports",
        "What outside sources report about a paper (labels, statements, the papers they list), one row per "
        "item, in each source's order; kept apart from this knowledge base's own counts.",
        SOURCE_REPORT_COLUMNS, _reporting, _source_report_rows,
    ),
    TableSource(
        "source_flags", "One row per record field whose text is cut off or doubtful in its source.",
        SOURCE_FLAG_COLUMNS, _flagged, _source_flag_rows,
    ),
)  # fmt: skip


def build_tables(site: Site, known: KnownRelease | None = None) -> list[Table]:
    """Every table of the release; with `known` (`kb serve`), made from last build's where it can be."""
    if known is None:
        return [
            Table(source.name, source.description, source.columns, _unknown_is_null(
                row for key, inputs in source.groups(site) for row in source.rows(site, key, inputs)
            ))
            for source in TABLES
        ]  # fmt: skip
    return [_kept_table(site, source, known) for source in TABLES]


def _kept_table(site: Site, source: TableSource, known: KnownRelease) -> Table:
    """A group whose inputs are those of last build is last build's group; one made again with the very rows it
    had is still last build's group; and a table all of whose groups are last build's is last build's table, so
    `release_files` reuses its files."""
    shared = source.shared(site)
    last = known.tables.get(source.name)
    kept = last.groups if last is not None and last.shared == shared else {}
    groups: dict[Any, RowGroup] = {}
    ordered: list[RowGroup] = []
    for key, inputs in source.groups(site):
        group = kept.get(key)
        if group is None or group.inputs != inputs:  # the records and claims inside compare by identity first
            fresh = RowGroup(inputs, _unknown_is_null(source.rows(site, key, inputs)))
            if group is None or group.digest != fresh.digest:
                group = fresh
            else:
                group.inputs = inputs  # the new objects: compared by identity next time
        groups[key] = group
        ordered.append(group)
    if (
        last is not None
        and len(ordered) == len(last.table.groups)
        and all(map(operator.is_, ordered, last.table.groups))
    ):
        known.tables[source.name] = KnownTable(shared, groups, last.table, last.files)
        return last.table
    rows = tuple(row for group in ordered for row in group.rows)
    arrays = None
    if len(ordered) > 1:  # as `Table.keeps_text`
        arrays = last.table.arrays if last is not None and last.table.arrays is not None else {}
    table = Table(source.name, source.description, source.columns, rows, tuple(ordered), arrays)
    known.tables[source.name] = KnownTable(shared, groups, table)
    return table


# --- writers ----------------------------------------------------------------------------------------


def neutralise_formula(cell: str) -> str:
    """OWASP CSV-injection defence: a cell a spreadsheet would read as a formula becomes text."""
    return "'" + cell if cell.startswith(FORMULA_PREFIXES) else cell


def _csv_cell(value: Any) -> str:
    if value.__class__ is str:  # most cells: tested first
        return neutralise_formula(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return neutralise_formula(str(value))


def _csv_column(values: Iterable[Any]) -> list[str]:
    """Every value as the cell `csv.writer` writes for `_csv_cell(value)` (the excel dialect, minimal quoting): a
    text is searched in C for what needs quoting, where csv's writer reads each character, and no call is made
    per cell. claims.csv takes half the CPU it took with csv's writer (2.1-2.4 s at 10,000 papers, now 1.0-1.2 s);
    tests/test_writers_cpu.py compares the two."""
    cells = [
        ("'" + value if value.startswith(FORMULA_PREFIXES) else value)
        if value.__class__ is str
        else ("" if value is None else _csv_cell(value))
        for value in values
    ]
    return [
        '"' + cell.replace('"', '""') + '"' if '"' in cell or "," in cell or "\n" in cell or "\r" in cell else cell
        for cell in cells
    ]


RowWriter = Callable[[TextIO, Sequence[dict[str, Any]]], object]
CHUNK_ROWS = 2048
"""Rows converted a column at a time at once: few enough that a chunk's cells take little memory."""


def _chunks(
    table: Table, rows: Sequence[dict[str, Any]], convert: Callable[[Iterable[Any]], list[Any]]
) -> Iterator[Iterator[tuple[Any, ...]]]:
    """The cells of `rows`, a chunk of rows at a time, each column made by `convert` from its values."""
    fetch = [operator.itemgetter(column.name) for column in table.columns]
    for start in range(0, len(rows), CHUNK_ROWS):
        chunk = rows[start : start + CHUNK_ROWS]
        yield zip(*[convert(map(get, chunk)) for get in fetch], strict=True)


def _write_rows(
    out: TextIO, table: Table, groups: Iterable[RowGroup], suffix: str, write: RowWriter, between: str
) -> None:
    """The rows of `groups` as `write` writes them, `between` two groups: straight to `out`, or from the text the
    groups keep (`Table.keeps_text`), each encoded once and written as it is (joined, the claims table's 130 MB
    at 10,000 papers would be made again in memory first)."""
    if table.keeps_text:
        out.flush()
        separator = between.encode("utf-8")
        for index, group in enumerate(groups):
            if index and separator:
                out.buffer.write(separator)
            out.buffer.write(_kept_text(group, suffix, write))
    else:  # one group at most: a table keeps no text for the groups of one record
        write(out, table.rows)


def _kept_text(group: RowGroup, suffix: str, write: RowWriter) -> bytes:
    text = group.text.get(suffix)
    if text is None:
        buffer = io.StringIO()
        write(buffer, group.rows)
        text = group.text[suffix] = buffer.getvalue().encode("utf-8")
    return text


def table_csv(table: Table, out: BinaryIO) -> None:
    text = io.TextIOWrapper(out, encoding="utf-8", newline="")
    csv.writer(text, lineterminator="\r\n").writerow([column.name for column in table.columns])

    def write(into: TextIO, rows: Sequence[dict[str, Any]]) -> None:
        for cells in _chunks(table, rows, _csv_column):  # a record of one empty cell is `""`, as csv writes it
            into.write("".join([(",".join(cell) or '""') + "\r\n" for cell in cells]))

    _write_rows(text, table, table.parts, "csv", write, "")
    text.detach()  # flushes; `out` stays open


def table_json(table: Table, out: BinaryIO) -> None:
    """`json.dumps(rows, indent=1)`, written a chunk of rows at a time: the claims table is the largest file of a
    release.

    Each cell is encoded on its own: an indenting `json.dumps` runs json's pure-Python encoder, five times slower.
    Cells are encoded a column at a time and put in their row by `%`: a call per cell and a join per row took half
    as much CPU again (claims.json at 10,000 papers: 1.6-1.9 s, now 1.1-1.3 s).
    """
    if not table.rows:
        out.write(b"[]\n")
        return
    keys = [encode_basestring(column.name).replace("%", "%%") for column in table.columns]
    row = " {\n" + ",\n".join(f"  {key}: %s" for key in keys) + "\n }"  # a row from its cells, by `%`

    def write(into: TextIO, rows: Sequence[dict[str, Any]]) -> None:
        for index, cells in enumerate(_chunks(table, rows, _json_column)):
            into.write((",\n" if index else "") + ",\n".join([row % cell for cell in cells]))

    text = io.TextIOWrapper(out, encoding="utf-8", newline="")
    text.write("[\n")
    _write_rows(text, table, [group for group in table.parts if group.rows], "json", write, ",\n")
    text.write("\n]\n")
    text.detach()


def _json_cell(value: object) -> str:
    """A cell as `json.dumps(..., ensure_ascii=False)` writes it; columns hold text, whole numbers, booleans or null."""
    if value.__class__ is str:
        return encode_basestring(value)
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    return int.__repr__(value) if value.__class__ is int else json.dumps(value)


def _json_column(values: Iterable[Any]) -> list[str]:
    """`_json_cell` of every value, text encoded inline."""
    return [encode_basestring(value) if value.__class__ is str else _json_cell(value) for value in values]


def table_parquet(table: Table, out: BinaryIO) -> None:
    import pyarrow as pa  # imported by the data release only, never by `kb validate`
    import pyarrow.parquet as pq

    # malloc gives the columns back once the file is written; Arrow's default pool (mimalloc) keeps
    # them for later, as 40 MB of the build's peak memory at 2,000 papers.
    pa.set_memory_pool(pa.system_memory_pool())
    arrow_types = {"string": pa.string(), "int": pa.int64(), "bool": pa.bool_()}
    schema = pa.schema([pa.field(column.name, arrow_types[column.type], nullable=True) for column in table.columns])
    arrays = []
    for column in table.columns:
        values = list(map(operator.itemgetter(column.name), table.rows))
        kept = table.arrays.get(column.name) if table.arrays is not None else None
        if kept is None or kept[0] != values:
            kept = (values, pa.array(values, type=arrow_types[column.type]))
            if table.arrays is not None:
                table.arrays[column.name] = kept
        arrays.append(kept[1])
    pq.write_table(pa.Table.from_arrays(arrays, schema=schema), out, compression="snappy", write_statistics=False)


# --- CiTO --------------------------------------------------------------------------------------------


_IRI_ESCAPES = {code: f"%{code:02X}" for code in [*range(0x21), *map(ord, '<>"{}|^`\\')]}
"""Characters Turtle forbids inside <...>, percent-encoded (all ASCII: one byte each in UTF-8)."""
_LITERAL_ESCAPES = {code: f"\\u{code:04X}" for code in [*range(0x20), 0x7F]} | str.maketrans(
    {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}
)
"""A Turtle string's escapes: the named ones, else \\uXXXX for control characters."""


def _iri(value: str) -> str:
    """An IRIREF for Turtle: characters Turtle forbids inside <...> are percent-encoded."""
    return "<" + value.translate(_IRI_ESCAPES) + ">"


def _literal(value: str) -> str:
    return '"' + value.translate(_LITERAL_ESCAPES) + '"'


def work_iri(site: Site, work_id: str) -> str:
    """Papers are named by their arXiv abstract page; external works by DOI or their knowledge-base page."""
    if work_id.startswith("ext:"):
        loaded = site.corpus.externals.get(work_id)
        if loaded is not None and loaded.record.links.doi:
            return f"https://doi.org/{loaded.record.links.doi}"
        return absolute_url(site.settings, urls.external_url(work_id))
    return paper_iri(work_id)


_TURTLE_PROLOGUE = "".join(
    line + "\n"
    for line in [
        "# Citations between works of this knowledge base, in CiTO (http://purl.org/spar/cito/).",
        "# Every citation is stated as cito:cites; a recorded role and polarity add one property each:",
        *(f"#   role {role} -> cito:{prop}" for role, prop in CITO_ROLE.items()),
        *(
            f"#   polarity {pol} -> {'cito:' + prop if prop else '(cito:cites only)'}"
            for pol, prop in CITO_POLARITY.items()
        ),
        f"@prefix cito: {_iri(CITO)} .",
        f"@prefix dcterms: {_iri('http://purl.org/dc/terms/')} .",
        "",
    ]
)


@dataclass
class KnownTurtle:
    """The CiTO file's parts as the last build made them: the works and their statements, made from the citations
    table and where the works live (`shared`), and each work's title line by its title."""

    citations: Table
    shared: Any
    works: list[str]
    iris: dict[str, str]
    statements: str
    title_lines: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Each work's `dcterms:title` line, with the title it states."""
    titles: list[str] | None = None
    file: DataFile | None = None
    """The file, made from `titles`."""


def _turtle_parts(site: Site, citations: Table, shared: Any) -> KnownTurtle:
    """The works the citations name, their IRIs (once per work, not twice per citation) and the citations."""
    works = sorted({row["citing"] for row in citations.rows} | {row["target"] for row in citations.rows})
    iris = {work: _iri(work_iri(site, work)) for work in works}
    statements = [
        iris[row["citing"]] + " " + iris[row["target"]].join(_cito_objects(row["role"], row["polarity"]))
        for row in citations.rows
    ]
    return KnownTurtle(citations, shared, works, iris, "".join(statements))


@functools.lru_cache(maxsize=256)
def _cito_objects(role: str | None, polarity: str | None) -> tuple[str, ...]:
    """A citation's statement after its subject, cut where the target's IRI goes: made once per role and polarity,
    not for each citation."""
    properties = ["cites"]
    if role in CITO_ROLE:
        properties.append(CITO_ROLE[role])
    stated = CITO_POLARITY.get(polarity or "")
    if stated:
        properties.append(stated)
    return (f"cito:{properties[0]} ", *(f" ;\n    cito:{prop} " for prop in properties[1:]), " .\n")


def _title_line(parts: KnownTurtle, work: str, title: str) -> str:
    known = parts.title_lines.get(work)
    if known is None or known[0] != title:
        known = parts.title_lines[work] = (title, f"{parts.iris[work]} dcterms:title {_literal(title)} .\n")
    return known[1]


def _turtle(parts: KnownTurtle, titles: list[str]) -> bytes:
    if not parts.works:
        return _TURTLE_PROLOGUE.encode("utf-8")
    lines = map(functools.partial(_title_line, parts), parts.works, titles)
    return "".join([_TURTLE_PROLOGUE, *lines, "\n", parts.statements]).encode("utf-8")


def citations_turtle(site: Site, citations: Table) -> bytes:
    parts = _turtle_parts(site, citations, None)
    return _turtle(parts, [site.title_of(work) for work in parts.works])


# --- release manifest and page ------------------------------------------------------------------


MEDIA_TYPES = {
    ".csv": "text/csv",
    ".json": "application/json",
    ".parquet": "application/vnd.apache.parquet",
    ".ttl": "text/turtle",
    ".jsonld": "application/ld+json",
}


@dataclass(frozen=True)
class DataFile:
    """One file of the release, waiting in the spool: the release is the largest thing a build makes."""

    name: str  # relative to data/
    data: Spooled
    sha256: str
    description: str

    @classmethod
    def spooled(cls, name: str, content: bytes, description: str) -> DataFile:
        return cls(name, spool().write(content), hashlib.sha256(content).hexdigest(), description)

    @classmethod
    def streamed(cls, name: str, fill: Callable[[BinaryIO], object], description: str) -> DataFile:
        """A file written piece by piece straight to the spool, then hashed from disk."""
        return cls(name, *spool().write_digested(fill), description)

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def media_type(self) -> str:
        if self.name.endswith(".schema.json"):
            return "application/schema+json"
        suffix = "." + self.name.rsplit(".", 1)[-1] if "." in self.name else ""
        return MEDIA_TYPES.get(suffix, "text/plain")


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB"):
        if value < 1024 or unit == "MiB":
            return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


def dataset_jsonld(site: Site, files: list[DataFile]) -> bytes:
    settings = site.settings
    name = f"{settings.site_name} data release" + (f" {settings.release}" if settings.release else "")
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Dataset",
        "name": name,
        "description": (
            f"Papers, syntheses, claim ledgers, citations, taxonomy and outside sources' reports of {settings.site_name}, "
            "as CSV, JSON and Parquet, with the citations in CiTO and the record JSON Schemas."
        ),
        "creator": {"@type": "Organization", "name": maintainers(settings)},
        "isAccessibleForFree": True,
        "distribution": [
            {
                "@type": "DataDownload",
                "name": file.name,
                "description": file.description,
                "contentUrl": absolute_url(settings, DATA_DIR + file.name),
                "encodingFormat": file.media_type,
                "contentSize": f"{file.size} B",
            }
            for file in files
        ],
    }
    if site_base(settings):
        data["url"] = absolute_url(settings, DATA_DIR)
        data["includedInDataCatalog"] = {"@type": "DataCatalog", "name": settings.site_name, "url": site_base(settings)}
    if settings.release:
        data["version"] = settings.release
    return (json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode("utf-8")


def checksums(files: Iterable[DataFile]) -> bytes:
    """`sha256sum` format, one line per file, sorted by name."""
    return "".join(f"{f.sha256}  {f.name}\n" for f in sorted(files, key=lambda f: f.name)).encode("utf-8")


def release_files(site: Site, tables: list[Table], known: KnownRelease | None = None) -> list[DataFile]:
    """Every file of the data release, SHA256SUMS last; deterministic for a given corpus. With `known`
    (`kb serve`), a table that is last build's keeps last build's files."""
    files: list[DataFile] = []
    writers: list[tuple[str, Callable[[Table, BinaryIO], None], str]] = [
        ("csv", table_csv, "CSV, formula cells neutralised"),
        ("json", table_json, "JSON array of rows, cells exact"),
        ("parquet", table_parquet, "Parquet, cells exact"),
    ]

    def table_files(table: Table) -> list[DataFile]:
        return [
            DataFile.streamed(f"{table.name}.{suffix}", functools.partial(fill, table), f"{table.description} {what}.")
            for suffix, fill, what in writers
        ]

    for table in tables:
        if known is None:
            files.extend(table_files(table))
            continue
        kept = known.tables[table.name]
        if kept.files is None:
            kept.files = table_files(table)
        files.extend(kept.files)
    files.append(_cito_file(site, next(table for table in tables if table.name == "citations"), known))
    if known is None:
        files.extend(_schema_files())
    else:
        known.schemas = known.schemas or _schema_files()
        files.extend(known.schemas)
    files.append(
        DataFile.spooled(
            "dataset.jsonld", dataset_jsonld(site, files), "schema.org Dataset description of this release."
        )
    )
    files.append(
        DataFile.spooled(CHECKSUMS, checksums(files), "SHA-256 checksums of every other file, for `sha256sum -c`.")
    )
    return files


def _schema_files() -> list[DataFile]:
    """The record schemas and the ledgers' Table Schema: made from the code alone."""
    files = [
        DataFile.spooled(f"schema/{name}", text.encode("utf-8"), f"JSON Schema of the {name.split('.')[0]} record.")
        for name, text in sorted(render_schemas().items())
    ]
    table_schema = schema_files()[LEDGER_TABLE_SCHEMA].encode("utf-8")
    description = "Frictionless Table Schema of the claim ledgers."
    return [*files, DataFile.spooled(f"schema/{LEDGER_TABLE_SCHEMA}", table_schema, description)]


def _cito_file(site: Site, citations: Table, known: KnownRelease | None) -> DataFile:
    """The citations as CiTO Turtle: made from the citations table, the works' titles and where they live. With
    `known`, a title edit makes one title line again, not the statements of every citation."""
    description = "Citations in CiTO, as Turtle."
    if known is None:
        return DataFile.spooled("citations-cito.ttl", citations_turtle(site, citations), description)
    shared = (dict(site.corpus.externals), site.settings)
    parts = known.turtle
    if parts is None or parts.citations is not citations or parts.shared != shared:
        parts = known.turtle = _turtle_parts(site, citations, shared)
    titles = [site.title_of(work) for work in parts.works]
    if parts.file is None or parts.titles != titles:
        parts.titles, parts.file = titles, DataFile.spooled("citations-cito.ttl", _turtle(parts, titles), description)
    return parts.file


@dataclass(frozen=True)
class Release:
    """The data release's files, spooled, and what the data page says of its tables."""

    files: list[DataFile]
    tables: list[TableSummary]


def make_release(site: Site, known: KnownRelease | None = None) -> Release:
    tables = build_tables(site, known)
    return Release(release_files(site, tables, known), [table.summary() for table in tables])


FORK_FROM_PAPERS = 1_000
"""Smaller releases are made in the build's own process: a fork would cost more than it saves."""


@contextlib.contextmanager
def releasing(site: Site, known: KnownRelease | None = None, fork: bool = False) -> Iterator[Callable[[], Release]]:
    """A function that gives the release of `site`. With `fork` (`kb build`: no server threads, nothing kept for a
    rebuild), a forked process makes and spools its files from now on, while this one renders (9 s of CPU at
    10,000 papers); only the files' names, spool paths and checksums come back."""
    if not (fork and forked.can_fork() and len(site.papers) >= FORK_FROM_PAPERS):
        yield functools.partial(make_release, site, known)
        return
    spool()  # made here first: the fork's files go into this process's spool, not one of the fork's own, which
    # would be an orphan once the fork ends (removed with the files in it by the next `Spool()`)
    with forked.Forked(functools.partial(make_release, site)) as other:
        yield other.result


def build_data_release(renderer: Renderer, output: Output, release: Release) -> None:
    site, files = renderer.site, release.files
    output.files.extend(StaticFile(DATA_DIR + file.name, file.data) for file in files)
    page = renderer.page(
        "data.html",
        DATA_DIR,
        "data",
        "Data releases",
        f"The {site.settings.site_name} corpus as CSV, JSON, Parquet and CiTO, with checksums.",
        files=files,
        tables=release.tables,
        checksums_name=CHECKSUMS,
        release=site.settings.release,
        human_size=human_size,
        formula_prefixes=["=", "+", "-", "@", "TAB", "CR"],
        cito_role=CITO_ROLE,
        cito_polarity=CITO_POLARITY,
        toc=[
            ("Files", "files"),
            ("Tables", "tables"),
            ("Spreadsheet safety", "spreadsheets"),
            ("CiTO", "cito"),
            ("Checksums", "checksums"),
        ],
    )
    render_head(renderer, page)
    output.add(page)
