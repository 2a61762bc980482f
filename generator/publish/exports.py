"""The data release: the whole corpus as CSV, JSON and Parquet, CiTO Turtle and a checksummed manifest.

Everything lands under `data/` in the built site, plus a generated page
`data/` that lists the files with sizes and SHA-256 checksums.

* Tables: papers, syntheses, claims, citations and taxonomy. Each table is
  built once as rows of plain values and written three ways from the same
  rows, so the CSV, JSON and Parquet files always agree.
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

import csv
import hashlib
import io
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from generator import urls
from generator.model.records import LEDGER_COLUMN_DOCS, LEDGER_COLUMNS, OPTIONAL_LEDGER_COLUMNS
from generator.model.schema import render_schemas
from generator.pipeline.link import Site
from generator.pipeline.render import Output, Renderer, StaticFile
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


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    columns: tuple[Column, ...]
    rows: tuple[dict[str, Any], ...]


_ARROW_TYPES: dict[str, pa.DataType] = {"string": pa.string(), "int": pa.int64(), "bool": pa.bool_()}


def _s(name: str, doc: str) -> Column:
    return Column(name, "string", doc)


PAPER_COLUMNS = (
    _s("id", "arXiv id without version; the page is papers/<id>/."),
    _s("title", "Title."),
    _s("authors", "Authors in order, separated by `; `."),
    Column("authors_complete", "bool", "False when only some authors are known."),
    Column("year", "int", "Year of publication, when known."),
    _s("venue", "Venue."),
    _s("summary", "One line saying what the paper does."),
    _s("abstract", "Abstract."),
    _s("taxonomy", "Category slugs, separated by `; `."),
    _s("versions", "arXiv versions the corpus refers to, separated by `; `."),
    _s("doi", "DOI without resolver."),
    _s("status", "Record status (active or withdrawn)."),
    Column("retracted", "bool", "True when the retraction snapshot lists the paper."),
    _s("added", "Date the record entered the corpus."),
    _s("url", "Page URL in the knowledge base."),
)
SYNTHESIS_COLUMNS = (
    _s("id", "Synthesis id (`SRCH:` and eight hex digits)."),
    _s("title", "Title."),
    _s("research_question", "Research question."),
    _s("taxonomy", "Category slugs, separated by `; `."),
    _s("papers", "Corpus papers it concerns, separated by `; `."),
    _s("verification_level", "Verification level, L0 to L7."),
    _s("quality_tier", "Quality tier."),
    _s("correction_status", "CURRENT, CORRECTED or SUPERSEDED."),
    Column("correction_count", "int", "Number of published correction events."),
    _s("publisher", "Publisher named in the provenance record."),
    _s("added", "Date the record entered the corpus."),
    _s("url", "Page URL in the knowledge base."),
)
CLAIM_COLUMNS = (
    _s("claim_id", "Permanent claim id; the page is claims/<claim_id>/."),
    *(_s(name, LEDGER_COLUMN_DOCS[name]) for name in LEDGER_COLUMNS),
    _s("category", OPTIONAL_LEDGER_COLUMNS["category"]),
    _s("ledger", "Ledger file the row is in."),
    Column("row", "int", "Line of the row in its ledger (header is line 1)."),
    Column("retracted", "bool", "True when the claim's paper is retracted or withdrawn."),
)
CITATION_COLUMNS = (
    _s("citing", "arXiv id of the citing paper."),
    _s("target", "The cited work: an arXiv id or `ext:slug`."),
    _s("role", "Why it is cited (CitationRole); empty when no source says."),
    _s("polarity", "Whether it agrees (CitationPolarity); empty when no source says."),
    _s("context", "The citing sentence, quoted."),
)
TAXONOMY_COLUMNS = (
    _s("slug", "Category slug."),
    _s("title", "Title."),
    _s("description", "Description."),
    _s("parent", "Parent slug; empty for a root."),
    _s("url", "Page URL in the knowledge base."),
)


def _join(values: Iterable[str]) -> str:
    return "; ".join(values)


def build_tables(site: Site) -> list[Table]:
    settings = site.settings
    papers = [
        {
            "id": pid, "title": p.title, "authors": _join(p.authors), "authors_complete": p.authors_complete,
            "year": p.year, "venue": p.venue, "summary": p.summary, "abstract": p.abstract,
            "taxonomy": _join(p.taxonomy), "versions": _join(p.versions), "doi": p.links.doi, "status": p.status,
            "retracted": pid in site.retracted_papers, "added": p.added or "",
            "url": absolute_url(settings, urls.paper_url(pid)),
        }
        for pid, p in ((pid, site.papers[pid].record) for pid in sorted(site.papers))
    ]  # fmt: skip
    syntheses = [
        {
            "id": sid, "title": s.title, "research_question": s.research_question, "taxonomy": _join(s.taxonomy),
            "papers": _join(s.papers), "verification_level": s.verification_level.paper_level,
            "quality_tier": s.quality_tier.tier, "correction_status": s.correction_record.status,
            "correction_count": s.correction_record.correction_count, "publisher": s.provenance.publisher,
            "added": s.added or "", "url": absolute_url(settings, urls.synthesis_url(sid)),
        }
        for sid, s in ((sid, site.corpus.syntheses[sid].record) for sid in sorted(site.corpus.syntheses))
    ]  # fmt: skip
    claims = [
        {
            "claim_id": c.claim_id, "paper_id": c.paper_id, "claim": c.claim, "claim_status": c.claim_status,
            "evidence_status": c.evidence_status, "source_depth": c.source_depth, "source_quote": c.source_quote,
            "page_or_section": c.page_or_section, "taxonomy_fit": c.taxonomy_fit_raw, "audit_status": c.audit_raw,
            "category": c.category, "ledger": c.ledger, "row": c.row, "retracted": c.paper_base in site.retracted_papers,
        }
        for c in sorted(
            (c for pid in site.claims_by_paper for c in site.claims_by_paper[pid]), key=lambda c: (c.ledger, c.row, c.claim_id)
        )
    ]  # fmt: skip
    citations = [
        {"citing": e.citing, "target": e.target, "role": e.role, "polarity": e.polarity, "context": e.context}
        for e in sorted(site.edges, key=lambda e: (e.citing, e.target, e.role or "", e.polarity or "", e.context))
    ]
    taxonomy = [
        {
            "slug": slug, "title": c.title, "description": c.description, "parent": c.parent or "",
            "url": absolute_url(settings, urls.category_url(slug)),
        }
        for slug, c in sorted(site.corpus.categories.items())
    ]  # fmt: skip
    return [
        Table("papers", "One row per paper record.", PAPER_COLUMNS, tuple(papers)),
        Table("syntheses", "One row per synthesis record.", SYNTHESIS_COLUMNS, tuple(syntheses)),
        Table(
            "claims",
            "One row per ledger claim: the nine ledger columns and where the row is.",
            CLAIM_COLUMNS,
            tuple(claims),
        ),
        Table("citations", "One row per citation between corpus works.", CITATION_COLUMNS, tuple(citations)),
        Table("taxonomy", "One row per category of the taxonomy.", TAXONOMY_COLUMNS, tuple(taxonomy)),
    ]


# --- writers ----------------------------------------------------------------------------------------


def neutralise_formula(cell: str) -> str:
    """OWASP CSV-injection defence: a cell a spreadsheet would read as a formula becomes text."""
    return "'" + cell if cell.startswith(FORMULA_PREFIXES) else cell


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return neutralise_formula(str(value))


def table_csv(table: Table) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([column.name for column in table.columns])
    for row in table.rows:
        writer.writerow([_csv_cell(row[column.name]) for column in table.columns])
    return buffer.getvalue().encode("utf-8")


def table_json(table: Table) -> bytes:
    rows = [{column.name: row[column.name] for column in table.columns} for row in table.rows]
    return (json.dumps(rows, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def table_parquet(table: Table) -> bytes:
    schema = pa.schema([pa.field(column.name, _ARROW_TYPES[column.type], nullable=True) for column in table.columns])
    arrays = [
        pa.array([row[column.name] for row in table.rows], type=_ARROW_TYPES[column.type]) for column in table.columns
    ]
    sink = io.BytesIO()
    pq.write_table(pa.Table.from_arrays(arrays, schema=schema), sink, compression="snappy", write_statistics=False)
    return sink.getvalue()


# --- CiTO --------------------------------------------------------------------------------------------


def _iri(value: str) -> str:
    """An IRIREF for Turtle: characters Turtle forbids inside <...> are percent-encoded."""
    forbidden = set('<>"{}|^`\\')
    return (
        "<"
        + "".join(
            "".join(f"%{b:02X}" for b in ch.encode("utf-8")) if ch in forbidden or ord(ch) <= 0x20 else ch
            for ch in value
        )
        + ">"
    )


def _literal(value: str) -> str:
    escapes = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}
    out = []
    for ch in value:
        if ch in escapes:
            out.append(escapes[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def work_iri(site: Site, work_id: str) -> str:
    """Papers are named by their arXiv abstract page; external works by DOI or their knowledge-base page."""
    if work_id.startswith("ext:"):
        loaded = site.corpus.externals.get(work_id)
        if loaded is not None and loaded.record.links.doi:
            return f"https://doi.org/{loaded.record.links.doi}"
        return absolute_url(site.settings, urls.external_url(work_id))
    return f"https://arxiv.org/abs/{work_id}"


def citations_turtle(site: Site, citations: Table) -> bytes:
    lines = [
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
    works = sorted({row["citing"] for row in citations.rows} | {row["target"] for row in citations.rows})
    for work in works:
        lines.append(f"{_iri(work_iri(site, work))} dcterms:title {_literal(site.title_of(work))} .")
    if works:
        lines.append("")
    for row in citations.rows:
        target = _iri(work_iri(site, row["target"]))
        properties = ["cites"]
        if row["role"] in CITO_ROLE:
            properties.append(CITO_ROLE[row["role"]])
        polarity = CITO_POLARITY.get(row["polarity"] or "")
        if polarity:
            properties.append(polarity)
        objects = " ;\n    ".join(f"cito:{prop} {target}" for prop in properties)
        lines.append(f"{_iri(work_iri(site, row['citing']))} {objects} .")
    return ("\n".join(lines) + "\n").encode("utf-8")


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
    name: str  # relative to data/
    content: bytes
    description: str

    @property
    def size(self) -> int:
        return len(self.content)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

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
            f"Papers, syntheses, claim ledgers, citations and taxonomy of {settings.site_name}, "
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


def release_files(site: Site, tables: list[Table] | None = None) -> list[DataFile]:
    """Every file of the data release, SHA256SUMS last; deterministic for a given corpus."""
    files: list[DataFile] = []
    tables = build_tables(site) if tables is None else tables
    writers: list[tuple[str, Callable[[Table], bytes], str]] = [
        ("csv", table_csv, "CSV, formula cells neutralised"),
        ("json", table_json, "JSON array of rows, cells exact"),
        ("parquet", table_parquet, "Parquet, cells exact"),
    ]
    for table in tables:
        for suffix, write, what in writers:
            files.append(DataFile(f"{table.name}.{suffix}", write(table), f"{table.description} {what}."))
    citations = next(table for table in tables if table.name == "citations")
    files.append(DataFile("citations-cito.ttl", citations_turtle(site, citations), "Citations in CiTO, as Turtle."))
    for name, text in sorted(render_schemas().items()):
        files.append(
            DataFile(f"schema/{name}", text.encode("utf-8"), f"JSON Schema of the {name.split('.')[0]} record.")
        )
    files.append(
        DataFile("dataset.jsonld", dataset_jsonld(site, files), "schema.org Dataset description of this release.")
    )
    files.append(DataFile(CHECKSUMS, checksums(files), "SHA-256 checksums of every other file, for `sha256sum -c`."))
    return files


def build_data_release(renderer: Renderer, output: Output) -> None:
    site = renderer.site
    tables = build_tables(site)
    files = release_files(site, tables)
    output.files.extend(StaticFile(DATA_DIR + file.name, file.content) for file in files)
    page = renderer.page(
        "data.html",
        DATA_DIR,
        "data",
        "Data releases",
        f"The {site.settings.site_name} corpus as CSV, JSON, Parquet and CiTO, with checksums.",
        files=files,
        tables=tables,
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
    output.pages.append(page)
