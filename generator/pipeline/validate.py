"""Validate stage: raw documents -> typed records and claims, plus located problems.

Nothing here raises on bad data and nothing is dropped silently: a record
that fails is reported and left out, and the counts say so.
"""

from __future__ import annotations

import functools
import types
import typing
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from generator.commands.claim_ids import provisional_claim_id
from generator.model.records import (
    ARXIV_ID_RE,
    CLAIM_ID_RE,
    EXTERNAL_ID_RE,
    RECORD_MODELS,
    SLUG_RE,
    SYNTHESIS_ID_RE,
    VOCABULARIES,
    Audit,
    Category,
    Claim,
    ExternalWork,
    Paper,
    Record,
    Retraction,
    Synthesis,
    TaxonomyFit,
    arxiv_base,
    record_kind,
)
from generator.pipeline import load
from generator.problems import Location, Problems, Severity, did_you_mean

R = TypeVar("R", bound=Record)

INVISIBLE_CATEGORIES = {"Cf"}  # format characters: bidi overrides, zero-width joiners, BOMs
ALLOWED_CONTROLS = {"\t", "\n", "\r"}  # every other control character (category Cc) is refused
ID_COLUMNS = {"paper_id", "claim_id", "category"}


@dataclass(frozen=True)
class Loaded(Generic[R]):
    """A validated record with the document it came from, for located cross-reference errors."""

    record: R
    doc: load.RawDocument

    def location(self, *key_path: str | int) -> Location:
        return self.doc.location(key_path)


@dataclass
class Corpus:
    papers: dict[str, Loaded[Paper]] = field(default_factory=dict)
    syntheses: dict[str, Loaded[Synthesis]] = field(default_factory=dict)
    externals: dict[str, Loaded[ExternalWork]] = field(default_factory=dict)
    categories: dict[str, Category] = field(default_factory=dict)
    category_docs: dict[str, Location] = field(default_factory=dict)
    retractions: dict[str, Retraction] = field(default_factory=dict)
    claims: list[Claim] = field(default_factory=list)
    bib_files: list[str] = field(default_factory=list)
    rejected: dict[str, str] = field(default_factory=dict)
    """Record id (versionless for papers) -> file, for records that exist but failed validation.
    Linking uses it to say "that record has errors" instead of "unknown paper"."""
    files_read: int = 0
    records_read: int = 0
    rows_read: int = 0


def discover(root: Path, problems: Problems) -> tuple[list[Path], list[Path], list[Path]]:
    """Every file under records/ and ledgers/ is either used or reported; links are refused."""
    yaml_files: list[Path] = []
    bib_files: list[Path] = []
    csv_files: list[Path] = []
    for folder, allowed in (("records", {".yaml", ".yml", ".bib", ".txt"}), ("ledgers", {".csv"})):
        base = root / folder
        if base.is_symlink():
            problems.add(
                "file-symlink",
                Location(folder),
                "",
                f"`{folder}/` is a symbolic link ({_link_target(base)})",
                f"make `{folder}/` a real folder inside the repository",
            )
            continue
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*")):
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                problems.add(
                    "file-symlink",
                    Location(rel),
                    "",
                    f"symbolic links are not allowed here ({_link_target(path)})",
                    "commit the file itself",
                )
                continue
            if path.is_dir() or path.name.startswith("."):
                continue
            suffix = path.suffix.lower()
            if suffix not in allowed or (suffix == ".txt" and path.parent.name != "sources"):
                problems.add(
                    "file-unknown-type",
                    Location(rel),
                    "",
                    f"`{path.name}` is not a record, ledger or bibliography",
                    "records are .yaml, ledgers .csv, bibliographies .bib, source texts records/sources/*.txt",
                )
                continue
            if suffix == ".yml":
                problems.add(
                    "file-yml-extension",
                    Location(rel),
                    "",
                    "record uses the `.yml` extension",
                    "rename it to `.yaml`; it is read all the same",
                    Severity.WARNING,
                )
            {".yaml": yaml_files, ".yml": yaml_files, ".bib": bib_files, ".csv": csv_files}.get(suffix, []).append(path)
    return yaml_files, bib_files, csv_files


def _link_target(path: Path) -> str:
    """Say where a link points, and whether that is outside the project, without following it further."""
    try:
        target = path.readlink()
    except OSError:
        return "unreadable link"
    return f"points to {target.as_posix()}"


def validate_corpus(root: Path, problems: Problems) -> Corpus:
    corpus = Corpus()
    yaml_files, bib_files, csv_files = discover(root, problems)
    corpus.bib_files = [p.relative_to(root).as_posix() for p in bib_files]
    for path in yaml_files:
        corpus.files_read += 1
        doc = load.read_yaml(path, path.relative_to(root).as_posix(), problems)
        if doc is not None:
            _validate_record(doc, corpus, problems)
    for path in csv_files:
        corpus.files_read += 1
        ledger = load.read_ledger(path, path.relative_to(root).as_posix(), problems)
        if ledger is not None:
            corpus.rows_read += len(ledger.rows)
            corpus.claims.extend(_validate_rows(ledger, problems))
    _check_claim_ids(corpus.claims, problems)
    return corpus


# --- records ---------------------------------------------------------------------


def _validate_record(doc: load.RawDocument, corpus: Corpus, problems: Problems) -> None:
    corpus.records_read += 1
    kind = record_kind(doc.data, doc.path)
    if not isinstance(doc.data, dict):
        problems.add(
            "record-not-mapping",
            doc.location(()),
            "",
            "a record must be a mapping of `field: value` lines",
            'start with the id, e.g. `id: "2503.23007"`',
        )
        return
    if kind is None:
        _report_unusable_id(doc, problems)
        return
    if kind == "paper" and not _check_paper_id(doc, problems):
        _remember_rejected(doc, corpus)
        return
    text_ok = _check_text(doc, problems)
    record = _schema_validate(doc, RECORD_MODELS[kind], problems)
    if record is None or not text_ok or not _check_record_refs(doc, record, problems):
        _remember_rejected(doc, corpus)
        return
    if isinstance(record, Paper | Synthesis | ExternalWork):
        registries: dict[str, dict[str, Any]] = {
            "paper": corpus.papers,
            "synthesis": corpus.syntheses,
            "external": corpus.externals,
        }
        registry = registries[kind]
        if record.id in registry:
            problems.add(
                "id-duplicate",
                doc.location(("id",)),
                "id",
                f"id `{record.id}` is also used by {registry[record.id].doc.path}",
                "each record needs its own id",
            )
            return
        registry[record.id] = Loaded(record, doc)
    elif kind == "taxonomy":
        for index, category in enumerate(record.categories):  # type: ignore[attr-defined]
            location = doc.location(("categories", index, "slug"))
            if category.slug in corpus.categories:
                problems.add("category-duplicate", location, "slug", f"category `{category.slug}` is defined twice", "")
                continue
            corpus.categories[category.slug] = category
            corpus.category_docs[category.slug] = location
    elif kind == "retractions":
        for retraction in record.retractions:  # type: ignore[attr-defined]
            corpus.retractions[retraction.id] = retraction


def _remember_rejected(doc: load.RawDocument, corpus: Corpus) -> None:
    identifier = doc.data.get("id") if isinstance(doc.data, dict) else None
    if isinstance(identifier, str) and is_record_id(identifier):
        corpus.rejected.setdefault(arxiv_base(identifier), doc.path)


def is_record_id(value: str) -> bool:
    """A paper, synthesis or external-work id: the only strings that may become a record's URL."""
    return any(pattern.fullmatch(value) for pattern in (ARXIV_ID_RE, SYNTHESIS_ID_RE, EXTERNAL_ID_RE))


def _check_record_refs(doc: load.RawDocument, record: Record, problems: Problems) -> bool:
    """Ids a page links to directly must have an id's form (whether they exist is checked when linking)."""
    if isinstance(record, Paper) and record.tombstone and record.tombstone.see_instead:
        target = record.tombstone.see_instead
        if not is_record_id(target):
            problems.add(
                "field-pattern",
                doc.location(("tombstone", "see_instead")),
                "tombstone.see_instead",
                f"{target!a} is not a record id",
                'name the record readers should use now, e.g. "2503.23007", "SRCH:7693EED1" or "ext:slug"',
            )
            return False
    return True


def _report_unusable_id(doc: load.RawDocument, problems: Problems) -> None:
    """The id is missing, empty or not text, so the record's kind is unknown."""
    if "id" not in doc.data:
        problems.add(
            "field-missing", doc.location(()), "id", "required field `id` is missing", 'add `id: "2503.23007"`'
        )
        return
    identifier = doc.data["id"]
    location = doc.location(("id",))
    raw = doc.implicit.get(("id",))
    if identifier is None:
        problems.add("field-null", location, "id", "`id` is empty", 'give the record its id, e.g. `id: "2503.23007"`')
    elif raw is not None and ARXIV_ID_RE.fullmatch(raw):
        problems.add(
            "id-unquoted", location, "id", f"YAML reads the unquoted id `{raw}` as a number", f'quote it: id: "{raw}"'
        )
    else:
        shown = f"`{raw}`" if raw is not None else _describe(identifier)
        problems.add(
            "id-invalid",
            location,
            "id",
            f"the id must be text, not {shown}",
            'write the id in quotes, e.g. `id: "2503.23007"`, `id: "SRCH:7693EED1"` or `id: "ext:slug"`',
        )


def _check_paper_id(doc: load.RawDocument, problems: Problems) -> bool:
    """Identity errors come first and alone: a bad id must never become a path."""
    identifier = doc.data.get("id")
    location = doc.location(("id",))
    if ("id",) in doc.implicit:
        problems.add(
            "id-unquoted",
            location,
            "id",
            f"YAML reads the unquoted id `{doc.implicit[('id',)]}` as a number",
            f'quote it: id: "{doc.implicit[("id",)]}"',
        )
        return False
    if not isinstance(identifier, str) or not ARXIV_ID_RE.fullmatch(identifier):
        shown = ascii(identifier) if isinstance(identifier, str) else repr(identifier)
        problems.add(
            "id-invalid",
            location,
            "id",
            f"{shown} is not an arXiv id",
            "use `2503.23007` (new style) or `hep-th/9901001` (old style); external works use `ext:slug`",
        )
        return False
    match = ARXIV_ID_RE.fullmatch(identifier)
    if match and match.group("version"):
        problems.add(
            "id-versioned",
            location,
            "id",
            f"paper id `{identifier}` carries a version",
            f'one record per paper: id: "{match.group("base")}" and versions: ["{match.group("version")}"]',
        )
        return False
    return True


def _schema_validate(doc: load.RawDocument, model: type[R], problems: Problems) -> R | None:
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        for error in exc.errors():
            _report_schema_error(doc, model, error, problems)
        return None


_EXPECTED = {
    "string_type": "text",
    "int_type": "a whole number",
    "float_type": "a number",
    "bool_type": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping of `field: value` lines",
    "model_type": "a mapping of `field: value` lines",
    "model_attributes_type": "a mapping of `field: value` lines",
}


def _dotted(loc: tuple[str | int, ...]) -> str:
    """('cites', 0, 'role') -> `cites[0].role`, the way problems name a field."""
    return ".".join(str(part) if isinstance(part, str) else f"[{part}]" for part in loc).replace(".[", "[")


def _describe(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return "text"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def _report_schema_error(doc: load.RawDocument, model: type[BaseModel], error: Any, problems: Problems) -> None:
    loc: tuple[str | int, ...] = tuple(error["loc"])
    dotted = _dotted(loc)
    kind: str = error["type"]
    value = error.get("input")
    raw = doc.implicit.get(loc)
    if kind == "missing":
        problems.add(
            "field-missing",
            doc.location(loc[:-1]),
            dotted,
            f"required field `{loc[-1]}` is missing",
            f"add `{loc[-1]}:`",
        )
    elif kind == "extra_forbidden":
        allowed = _fields_at(model, loc[:-1])
        problems.add(
            "field-unknown",
            doc.location(loc),
            dotted,
            f"unknown field `{loc[-1]}`",
            did_you_mean(str(loc[-1]), allowed),
        )
    elif kind == "literal_error":
        expected = [v.strip("'") for v in error["ctx"]["expected"].replace(" or ", ", ").split(", ")]
        shown = repr(value) if isinstance(value, str) else f"`{raw}`" if raw is not None else repr(value)
        problems.add(
            "enum-invalid",
            doc.location(loc),
            dotted,
            f"{shown} is not an allowed value",
            did_you_mean(str(raw or value), expected),
        )
    elif raw is not None and kind == "string_type":
        problems.add(
            "yaml-implicit-type",
            doc.location(loc),
            dotted,
            f"YAML reads the unquoted value `{raw}` as a {type(value).__name__}",
            f'quote it: "{raw}"',
        )
    elif value is None and kind.endswith("_type"):
        problems.add(
            "field-null",
            doc.location(loc),
            dotted,
            f"`{loc[-1]}` is empty",
            "give it a value, or remove the line if it is optional",
        )
    elif kind == "list_type":
        problems.add(
            "field-type",
            doc.location(loc),
            dotted,
            f"`{loc[-1]}` must be a list, not {_describe(value)}",
            f"write it as a list:\n      {loc[-1]}:\n        - …",
        )
    elif kind in _EXPECTED:
        name = loc[-1] if isinstance(loc[-1], str) else dotted
        got = f"`{raw}`" if raw is not None else _describe(value)
        hint = "remove the quotes" if isinstance(value, str) and kind in ("int_type", "float_type", "bool_type") else ""
        problems.add("field-type", doc.location(loc), dotted, f"`{name}` must be {_EXPECTED[kind]}, not {got}", hint)
    elif kind.endswith("_type"):
        problems.add("field-type", doc.location(loc), dotted, error["msg"], "")
    elif kind == "string_too_short" and value == "":
        problems.add("field-empty", doc.location(loc), dotted, f"`{loc[-1]}` is empty", "give it a value")
    elif kind == "string_pattern_mismatch":
        shown = ascii(value) if isinstance(value, str) else repr(value)
        problems.add(
            "field-pattern",
            doc.location(loc),
            dotted,
            f"{shown} does not have the required form",
            _pattern_hint(dotted, model),
        )
    elif kind == "value_error" and "YYYY-MM-DD" in str(error.get("msg")):
        problems.add(
            "date-invalid",
            doc.location(loc),
            dotted,
            str(error["msg"]).removeprefix("Value error, "),
            'write a real date, quoted, as "YYYY-MM-DD"',
        )
    elif kind == "value_error" and "correction_count" in str(error.get("msg")):
        problems.add(
            "correction-count-mismatch",
            doc.location((*loc, "correction_count")),
            f"{dotted}.correction_count",
            error["msg"].removeprefix("Value error, "),
            "set correction_count to the number of events",
        )
    else:
        problems.add("field-invalid", doc.location(loc), dotted, str(error["msg"]).removeprefix("Value error, "), "")


def _pattern_hint(dotted: str, model: type[BaseModel]) -> str:
    if dotted == "links.doi":
        return "write the DOI without the resolver, e.g. `10.48550/arXiv.1701.06538`"
    if dotted.startswith("links."):
        return "links must start with https:// (javascript:, data: and http: are refused)"
    if "taxonomy" in dotted or dotted.endswith("slug") or dotted.endswith("parent"):
        return "slugs are lower-case words joined by hyphens, e.g. `moe-routing`"
    if dotted.startswith("versions"):
        return "versions look like `v1`"
    if dotted == "id" and model is Synthesis:
        return "synthesis ids look like `SRCH:7693EED1`"
    if dotted == "id" and model is ExternalWork:
        return "external work ids look like `ext:` and a slug, e.g. `ext:attention-is-all-you-need`"
    return ""


def _fields_at(model: type[BaseModel], loc: tuple[str | int, ...]) -> list[str]:
    """The allowed field names of the (nested) model that `loc` points into."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        info = current.model_fields.get(part) if isinstance(current, type) and issubclass(current, BaseModel) else None
        if info is None:
            return []
        current = _inner_model(info.annotation)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _inner_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) in (typing.Union, list):
        for arg in typing.get_args(annotation):
            found = _inner_model(arg)
            if found is not None:
                return found
    return None


def _check_text(doc: load.RawDocument, problems: Problems) -> bool:
    """Control characters are refused; bidi overrides and zero-width characters are shown visibly, with a warning."""
    ok = True
    for key_path, value in _walk_strings(doc.data, ()):
        ok = check_string(value, doc.location(key_path), _dotted(key_path), problems) and ok
    return ok


def check_string(value: str, location: Location, field_name: str, problems: Problems) -> bool:
    """One text value: False (and an error) on control characters; a warning on invisible ones."""
    controls = sorted(
        {f"U+{ord(ch):04X}" for ch in value if unicodedata.category(ch) == "Cc" and ch not in ALLOWED_CONTROLS}
    )
    if controls:
        problems.add(
            "text-control-char",
            location,
            field_name,
            f"text contains control characters ({', '.join(controls)})",
            "delete them; they are invisible in editors and invalid on web pages",
        )
        return False
    hidden = sorted({f"U+{ord(ch):04X}" for ch in value if unicodedata.category(ch) in INVISIBLE_CATEGORIES})
    if hidden:
        problems.add(
            "text-invisible-char",
            location,
            field_name,
            f"text contains invisible control characters ({', '.join(hidden)})",
            "they are shown as visible codes on the site; delete them unless they are intended",
            Severity.WARNING,
        )
    return True


def _walk_strings(data: Any, key_path: tuple[str | int, ...]) -> typing.Iterator[tuple[tuple[str | int, ...], str]]:
    if isinstance(data, str):
        yield key_path, data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from _walk_strings(value, (*key_path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _walk_strings(value, (*key_path, index))


# --- ledgers ---------------------------------------------------------------------


def _validate_rows(ledger: load.RawLedger, problems: Problems) -> list[Claim]:
    claims: list[Claim] = []
    for row in ledger.rows:
        claim = _validate_row(ledger.path, row, problems)
        if claim is not None:
            claims.append(claim)
    return claims


def _validate_row(path: str, row: load.RawRow, problems: Problems) -> Claim | None:
    cells = row.cells
    before = len(problems.errors)

    def bad(column: str, code: str, message: str, hint: str) -> None:
        problems.add(code, Location(path, row.line, _column_number(cells, column)), column, message, hint)

    for column, value in cells.items():
        if column not in ID_COLUMNS:  # ids are checked against their patterns below
            check_string(value, Location(path, row.line, _column_number(cells, column)), column, problems)
    paper_id = cells["paper_id"]
    if not ARXIV_ID_RE.fullmatch(paper_id):
        bad(
            "paper_id",
            "id-invalid",
            f"{paper_id!a} is not an arXiv id",
            "write the id with its version, e.g. `2503.23007v1`",
        )
    for column in ("claim",):
        if not cells[column].strip():
            bad(column, "cell-empty", f"`{column}` is empty", "every row states one claim")
    for column, vocab_name in (
        ("claim_status", "claim_status"),
        ("evidence_status", "evidence_status"),
        ("source_depth", "source_depth"),
    ):
        _check_vocab(cells[column], vocab_name, functools.partial(_bad_enum, bad, column))
    fit_verdict, _, fit_reason = cells["taxonomy_fit"].partition(":")
    _check_vocab(
        fit_verdict,
        "taxonomy_fit",
        lambda m, h: bad("taxonomy_fit", "enum-invalid", m, h + " (written `verdict: reason`)"),
    )
    audit = parse_audit(cells["audit_status"])
    _check_vocab(
        audit.result,
        "audit_status",
        lambda m, h: bad("audit_status", "enum-invalid", m, h + " (written `result; note; key=value`)"),
    )
    claim_id = cells.get("claim_id", "")
    if claim_id and not CLAIM_ID_RE.fullmatch(claim_id):
        bad(
            "claim_id",
            "claim-id-invalid",
            f"{claim_id!a} is not a claim id",
            "claim ids look like `c-1a2b3c4d`; run `kb ids` to assign one",
        )
    category = cells.get("category", "")
    if category and not SLUG_RE.fullmatch(category):
        bad(
            "category",
            "field-pattern",
            f"{category!a} is not a category slug",
            "use a slug from records/taxonomy.yaml",
        )
    if len(problems.errors) > before:
        return None
    if not claim_id:
        claim_id = provisional_claim_id(paper_id, cells["claim"])
        problems.add(
            "claim-id-missing",
            Location(path, row.line),
            "claim_id",
            "row has no permanent claim_id yet",
            "run `kb ids` to assign one; until then its anchor may change when the text changes",
            Severity.WARNING,
        )
    return Claim(
        claim_id=claim_id,
        paper_id=paper_id,
        claim=cells["claim"],
        claim_status=cells["claim_status"],
        evidence_status=cells["evidence_status"],
        source_depth=cells["source_depth"],
        source_quote=cells["source_quote"],
        page_or_section=cells["page_or_section"],
        taxonomy_fit=TaxonomyFit(fit_verdict, fit_reason.strip()),
        taxonomy_fit_raw=cells["taxonomy_fit"],
        audit=audit,
        audit_raw=cells["audit_status"],
        category=category,
        ledger=path,
        row=row.line,
    )


def _bad_enum(bad: typing.Callable[[str, str, str, str], None], column: str, message: str, hint: str) -> None:
    bad(column, "enum-invalid", message, hint)


def _column_number(cells: dict[str, str], column: str) -> int | None:
    names = list(cells)
    return names.index(column) + 1 if column in names else None


def _check_vocab(value: str, vocab_name: str, report: typing.Callable[[str, str], None]) -> None:
    allowed = VOCABULARIES[vocab_name].values
    if value not in allowed:
        shown = f"{value!r}" if value else "an empty value"
        report(f"{shown} is not an allowed value", did_you_mean(value, allowed))


def parse_audit(text: str) -> Audit:
    """`pass; full-text verified; report=audit_report.md` -> result, notes, attributes."""
    parts = [part.strip() for part in text.split(";")]
    result, rest = parts[0], parts[1:]
    notes = tuple(p for p in rest if p and "=" not in p)
    attributes = tuple((k.strip(), v.strip()) for k, _, v in (p.partition("=") for p in rest if "=" in p))
    return Audit(result, notes, attributes)


def _check_claim_ids(claims: list[Claim], problems: Problems) -> None:
    seen: dict[str, Claim] = {}
    for claim in claims:
        first = seen.setdefault(claim.claim_id, claim)
        if first is not claim:
            problems.add(
                "claim-id-duplicate",
                Location(claim.ledger, claim.row),
                "claim_id",
                f"claim id `{claim.claim_id}` is also used at {first.ledger}:{first.row}",
                "claim ids are never reused: clear this cell and run `kb ids`",
            )
