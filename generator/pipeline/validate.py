"""Validate stage: raw documents -> typed records and claims, plus located problems.

Nothing here raises on bad data and nothing is dropped silently: a record
that fails is reported and left out, and the counts say so.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import gc
import os
import re
import types
import typing
import unicodedata
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from generator import file_names, input_caps
from generator.model.claim_ids import new_claim_id, provisional_claim_id
from generator.model.ids import is_record_id
from generator.model.paper_ids import canonical_paper_id, is_paper_id
from generator.model.records import (
    ARXIV_ID_RE,
    RECORD_MODELS,
    SLUG_RE,
    VOCABULARIES,
    Audit,
    Category,
    Claim,
    ExternalWork,
    LedgerRow,
    Paper,
    Record,
    Synthesis,
    Taxonomy,
    TaxonomyFit,
    arxiv_base,
    record_kind,
)
from generator.model.site import Corpus, Loaded
from generator.pipeline import forked, load
from generator.problem_codes import CODES
from generator.problems import Location, Problem, Problems, Severity, did_you_mean
from generator.sources.datapackage import LEDGER_PACKAGE
from generator.urls import id_from_file_stem, record_file_stem

R = TypeVar("R", bound=Record)

INVISIBLE_CATEGORIES = {"Cf"}  # format characters: bidi overrides, zero-width joiners, BOMs
ALLOWED_CONTROLS = {"\t", "\n", "\r"}  # every other control character (category Cc) is refused
ID_COLUMNS = {"paper_id", "claim_id", "category"}


Found = list[tuple[Path, str, file_names.FileStamp]]
"""Files to read, each with its project-relative path as problems show it and its `file_stamp`."""

_KINDS = {".yaml": "records", ".yml": "records", ".bib": "bibliographies", ".csv": "ledgers"}
"""Which of `discover`'s lists a file goes to, by suffix."""


def discover(listing: load.Listing, problems: Problems) -> tuple[Found, Found, Found]:
    """Every file under records/ and ledgers/ is either used or reported; links are refused. Names are taken
    apart as text: `kb serve` walks the 11,000 files of 10,000 papers on every rebuild."""
    found: dict[str, Found] = {"records": [], "bibliographies": [], "ledgers": []}
    for folder, allowed in (("records", {".yaml", ".yml", ".bib", ".txt"}), ("ledgers", {".csv"})):
        base = listing.root / folder
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
        inside = len(str(base)) + 1
        for entry in listing.take(folder):
            rel = f"{folder}/{entry.path[inside:]}"
            if entry.is_symlink():
                problems.add(
                    "file-symlink",
                    Location(rel),
                    "",
                    f"symbolic links are not allowed here ({_link_target(Path(entry.path))})",
                    "commit the file itself",
                )
                continue
            if entry.is_dir(follow_symlinks=False):
                continue
            bad_name = _name_problem(rel)
            if bad_name is not None:
                problems.add(bad_name.code, Location(file_names.shown(rel)), "", bad_name.message, bad_name.hint)
                continue
            if rel == LEDGER_PACKAGE:  # read by sources/datapackage.py
                continue
            dot = entry.name.rfind(".")  # `PurePath.suffix`, without making a path
            suffix = entry.name[dot:] if 0 < dot < len(entry.name) - 1 else ""
            if suffix not in allowed or (suffix == ".txt" and rel.rsplit("/", 2)[-2] != "sources"):
                problems.add(
                    "file-unknown-type",
                    Location(rel),
                    "",
                    f"`{entry.name}` is not a record, ledger or bibliography",
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
            if suffix in _KINDS:  # the source texts are read by the quote check
                stat = entry.stat(follow_symlinks=False)  # not a link: the file's own `file_stamp`
                found[_KINDS[suffix]].append((_path(entry.path), rel, file_names.stamp_of(stat)))
    return found["records"], found["bibliographies"], found["ledgers"]


_path = functools.lru_cache(maxsize=65536)(Path)
"""A path made once per process, like a name's check below."""

_name_problem = functools.lru_cache(maxsize=65536)(file_names.name_problem)
"""A name is checked once per process: `kb serve` discovers every file again on each rebuild."""


def _link_target(path: Path) -> str:
    """Say where a link points, and whether that is outside the project, without following it further."""
    try:
        target = path.readlink()
    except OSError:
        return "unreadable link"
    return f"points to {target.as_posix()}"


@contextlib.contextmanager
def cycle_collector_paused() -> typing.Iterator[None]:
    """Collecting makes millions of objects that all stay alive and form no garbage cycles: left running, the cycle
    collector would scan the growing heap again and again for nothing (15 % of the quote checks' time). On the way out they join the oldest
    generation unscanned (freeze, then unfreeze), instead of all being scanned by the next young collection."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.unfreeze()
        if was_enabled:
            gc.enable()


def validate_corpus(root: Path, problems: Problems, fork: bool = False, listing: load.Listing | None = None) -> Corpus:
    """Every record and ledger row, typed and checked. With `fork` (no server threads run beside this one),
    most records are parsed in a forked process while this one reads the ledgers. `listing` is the build's, when
    it has listed the folders already."""
    with cycle_collector_paused():
        return _validate_corpus(root, problems, fork, listing or load.Listing(root))


def _validate_corpus(root: Path, problems: Problems, fork: bool, listing: load.Listing) -> Corpus:
    corpus = Corpus()
    records, bib_files, ledgers = discover(listing, problems)
    sizes = {path: stamp[0] for path, _, stamp in [*records, *bib_files, *ledgers]}
    if not input_caps.check_caps(root, sizes, [path for path, _, _ in ledgers], problems):
        return corpus  # beyond the caps nothing is parsed: the build stays bounded
    corpus.bib_files = [shown for _, shown, _ in bib_files]
    here = _records_parsed_here(records, ledgers) if fork and forked.can_fork() else len(records)
    ledger_problems = Problems()  # kept apart, so that problems are added in file order as one core would
    with forked.part_beside(records[here:], _parsed) as parsed_there:
        _take_records(records[:here], _parsed(records[:here]), corpus, problems)
        read_ledgers = [_ledger_claims(path, shown, stamp, ledger_problems) for path, shown, stamp in ledgers]
        _take_records(records[here:], parsed_there(), corpus, problems)
    problems.extend(ledger_problems.since(0))
    for read in read_ledgers:
        corpus.files_read += 1
        if read is not None:
            corpus.rows_read += read[0]
            corpus.claims.extend(read[1])
    corpus.claims = _check_claim_ids(corpus.claims, problems)
    return corpus


FORK_FROM_BYTES = 2_000_000
"""Records below this size (about 1,300 papers) are parsed on one core: a fork would cost more than it saves."""
RECORD_BYTE_COST = 5
"""A record byte costs about five times as much CPU as a ledger byte to read and check, whether this process
parses and validates it or the fork parses and pickles it (measured at 10,000 papers: 4.1 s to parse 16.2 MB of
records, 0.4 s to validate them, 0.4 s to pickle them; 2.6 s for 48 MB of ledgers). The fork's records are
validated here once it is done."""


def _records_parsed_here(records: Found, ledgers: Found) -> int:
    """How many records this process parses and validates, besides reading every ledger, so that both cores
    finish together (the fork parses the rest, which are validated here after)."""
    record_sizes = [stamp[0] for _, _, stamp in records]
    if sum(record_sizes) < FORK_FROM_BYTES:
        return len(records)
    ledger_cost = sum(stamp[0] for _, _, stamp in ledgers)
    share = (RECORD_BYTE_COST * sum(record_sizes) - ledger_cost) / 2  # this core's record cost, in ledger bytes
    here, cost = 0, 0
    while here < len(record_sizes) and cost + RECORD_BYTE_COST * record_sizes[here] <= share:
        cost += RECORD_BYTE_COST * record_sizes[here]
        here += 1
    return here


def _parsed(records: typing.Sequence[tuple[Path, str, file_names.FileStamp]]) -> list[load.ParsedRecord]:
    return [load.parse_record(path, shown, stamp) for path, shown, stamp in records]


def _take_records(records: Found, parsed: list[load.ParsedRecord], corpus: Corpus, problems: Problems) -> None:
    """Validate parsed records into the corpus, in file order: the records this process parsed as soon as they
    are read, while the fork parses the rest."""
    registries: dict[str, dict[str, Any]] = {
        "paper": corpus.papers,
        "synthesis": corpus.syntheses,
        "external": corpus.externals,
    }
    corpus.files_read += len(records)
    for (_, shown, _), (doc, found) in zip(records, parsed, strict=True):
        if found:
            problems.extend(found)
        if doc is not None:
            _validate_record(doc, corpus, registries, problems)
        else:
            _remember_unreadable(shown, corpus)


_LedgerClaims = tuple[int, tuple[Claim, ...]] | None
_ledgers_read: dict[tuple[str, str], tuple[file_names.FileStamp, _LedgerClaims, tuple[Problem, ...]]] = {}
"""Each ledger's rows read and claims, by file, while its `file_stamp` stays the same: a `kb serve` rebuild
reads and checks again only the ledgers that were edited. Its problems are replayed."""


def _ledger_claims(path: Path, display_path: str, stamp: file_names.FileStamp, problems: Problems) -> _LedgerClaims:
    """(rows read, valid claims) of one ledger, or None after reporting why it cannot be read."""
    key = (os.path.abspath(path), display_path)
    known = _ledgers_read.get(key)
    if known is not None and known[0] == stamp:
        problems.extend(known[2])
        return known[1]
    before = len(problems)
    ledger = load.read_ledger(path, display_path, problems)
    claims = None if ledger is None else (len(ledger.rows), tuple(_validate_rows(ledger, problems)))
    _ledgers_read[key] = (stamp, claims, problems.since(before))
    return claims


# --- records ---------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Verdict:
    """What one record document gives the corpus, decided once per document: the problems it raises by itself,
    then where it goes. What reads other records too (a duplicate id, the taxonomy) is decided every build."""

    problems: tuple[Problem, ...]
    kind: str | None = None
    """"paper", "synthesis", "external", "retractions" or "taxonomy"; None when the record is left out."""
    loaded: Loaded[Any] | None = None
    rejected: str | None = None
    """The versionless id of a record that failed, so that links to it say so."""


_records_checked: dict[str, tuple[load.RawDocument, _Verdict]] = {}
"""Each file's verdict while `load.parse_record` gives back the same document (the file is unchanged): a `kb serve`
rebuild replays it with the very same record objects, which the render cache compares by identity."""


def _validate_record(
    doc: load.RawDocument, corpus: Corpus, registries: dict[str, dict[str, Any]], problems: Problems
) -> None:
    """Into the corpus, by its verdict; an unchanged file's verdict is replayed, not made again."""
    corpus.records_read += 1
    known = _records_checked.get(doc.path)
    if known is None or known[0] is not doc:
        known = _records_checked[doc.path] = (doc, _verdict(doc))
    verdict = known[1]
    if verdict.problems:
        problems.extend(verdict.problems)
    if verdict.rejected is not None:
        corpus.rejected.setdefault(verdict.rejected, doc.path)
    elif verdict.kind == "taxonomy":
        _validate_taxonomy(doc, corpus, problems)
    elif verdict.kind == "retractions" and verdict.loaded is not None:
        for retraction in verdict.loaded.record.retractions:
            corpus.retractions[retraction.id] = retraction
    elif verdict.kind is not None and verdict.loaded is not None:
        registry = registries[verdict.kind]
        record_id = verdict.loaded.record.id
        if record_id in registry:
            first = registry[record_id].doc.path
            problems.add(
                "id-duplicate",
                doc.location(("id",)),
                "id",
                f"id `{record_id}` is used by both {first} and {doc.path}; {doc.path} is left out",
                f"each record needs its own id; the record with this id belongs in `{record_file_stem(record_id)}.yaml`",
            )
            return
        registry[record_id] = verdict.loaded


def _verdict(doc: load.RawDocument) -> _Verdict:
    """The record, if its id, its texts, its schema and the form of the ids it links to pass, and the problems."""
    found = Problems()
    kind = record_kind(doc.data, doc.path)
    if not isinstance(doc.data, dict):
        found.add(
            "record-not-mapping",
            doc.location(()),
            "",
            "a record must be a mapping of `field: value` lines",
            'start with the id, e.g. `id: "2503.23007"`',
        )
        return _Verdict(found.since(0))
    if kind is None:
        _report_unusable_id(doc, found)
        return _Verdict(found.since(0))
    if kind == "paper" and not _check_paper_id(doc, found):
        return _Verdict(found.since(0), rejected=_rejected_id(doc))
    if kind == "taxonomy":
        return _Verdict((), kind)
    text_ok = _check_text(doc, found)
    record = _schema_validate(doc, RECORD_MODELS[kind], found)
    if record is None or not text_ok or not _check_record_refs(doc, record, found):
        return _Verdict(found.since(0), rejected=_rejected_id(doc))
    if isinstance(record, Paper | Synthesis | ExternalWork):
        _check_file_name(doc, record.id, found)
    return _Verdict(found.since(0), kind, Loaded(record, doc))


def _validate_taxonomy(doc: load.RawDocument, corpus: Corpus, problems: Problems) -> None:
    """Each category stands alone: one bad entry is refused by itself, and its slug is remembered
    so that references to it are counted under its error instead of each being reported."""
    try:
        Taxonomy.model_validate(doc.data)
        failed: set[int] = set()
    except ValidationError as exc:
        errors = exc.errors()
        for error in errors:
            _report_schema_error(doc, Taxonomy, error, problems)
        failed = {e["loc"][1] for e in errors if len(e["loc"]) > 1 and isinstance(e["loc"][1], int)}
        if any(len(e["loc"]) < 2 or not isinstance(e["loc"][1], int) for e in errors):
            corpus.unloaded_taxonomy = doc.path
            return
    for index, raw in enumerate(doc.data["categories"]):
        key_path = ("categories", index)
        text_ok = all(
            check_string(value, doc.location(path), _dotted(path), problems)
            for path, value in _walk_strings(raw, key_path)
        )
        slug = raw.get("slug") if isinstance(raw, dict) else None
        if index in failed or not text_ok:
            if isinstance(slug, str) and SLUG_RE.fullmatch(slug):
                corpus.rejected_categories.setdefault(slug, doc.path)
            continue
        category = Category.model_validate(raw)
        location = doc.location((*key_path, "slug"))
        if category.slug in corpus.categories:
            problems.add("category-duplicate", location, "slug", f"category `{category.slug}` is defined twice", "")
            continue
        corpus.categories[category.slug] = category
        corpus.category_docs[category.slug] = location


def _check_file_name(doc: load.RawDocument, record_id: str, problems: Problems) -> None:
    """A record's file is named after its id, so that finding one from the other needs no search."""
    expected = record_file_stem(record_id)
    name = doc.path.rsplit("/", 1)[-1]
    stem = name.rsplit(".", 1)[0]
    if stem != expected:
        problems.add(
            "file-name-mismatch",
            doc.location(("id",)),
            "id",
            f"the file of the record `{record_id}` is named `{name}`",
            f"rename it to `{expected}.yaml` (a record's file is its id, `:` written `-` and `/` written `_`)",
            Severity.WARNING,
        )


def _remember_unreadable(path: str, corpus: Corpus) -> None:
    """A file that could not be read at all still names its record: by convention its name is the id."""
    stem = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    if stem == "taxonomy":
        corpus.unloaded_taxonomy = path
        return
    identifier = id_from_file_stem(stem)
    if identifier:
        corpus.rejected.setdefault(arxiv_base(identifier), path)


def _rejected_id(doc: load.RawDocument) -> str | None:
    identifier = doc.data.get("id") if isinstance(doc.data, dict) else None
    return arxiv_base(identifier) if isinstance(identifier, str) and is_record_id(identifier) else None


def _check_record_refs(doc: load.RawDocument, record: Record, problems: Problems) -> bool:
    """Ids a page links to directly must have an id's form (whether they exist is checked when linking)."""
    if isinstance(record, Synthesis):
        unusable = [(index, pid) for index, pid in enumerate(record.papers) if not is_paper_id(pid)]
        for index, pid in unusable:
            problems.add(
                "field-pattern", doc.location(("papers", index)), f"papers[{index}]", f"{pid!a} is not a paper id",
                'list the papers by their record ids, e.g. "2503.23007"',
            )  # fmt: skip
        return not unusable
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
    if isinstance(identifier, str) and not is_paper_id(identifier) and is_paper_id(canonical_paper_id(identifier)):
        problems.add(
            "id-not-canonical",
            location,
            "id",
            f"{identifier!a} is not written in its canonical form",
            f'write id: "{canonical_paper_id(identifier)}" (DOIs are case-insensitive and kept in lower case; '
            "an arXiv DOI is its arXiv id)",
        )
        return False
    if not isinstance(identifier, str) or not is_paper_id(identifier):
        shown = ascii(identifier) if isinstance(identifier, str) else repr(identifier)
        problems.add(
            "id-invalid",
            location,
            "id",
            f"{shown} is not a paper id",
            "use an arXiv id (`2503.23007`, old style `hep-th/9901001`), `doi:10.1145/…`, `openreview:<id>` "
            "or `acl:<Anthology id>`; external works use `ext:slug`",
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
        expected = _literal_choices(model, loc)
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
    elif loc[-1] == "parent" and isinstance(value, list):
        problems.add(
            "field-type", doc.location(loc), dotted, "`parent` names one category, not a list",
            f"for several parents write `parents: [{', '.join(str(v) for v in value)}]`: a category may sit under each",
        )  # fmt: skip
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
    elif kind == "date-invalid":
        problems.add(kind, doc.location(loc), dotted, error["msg"], 'write a real date, quoted, as "YYYY-MM-DD"')
    elif kind == "correction-count-mismatch":
        problems.add(
            kind,
            doc.location((*loc, "correction_count")),
            f"{dotted}.correction_count",
            error["msg"],
            "set correction_count to the number of events",
        )
    elif kind in CODES:  # a validator's PydanticCustomError names its problem code, e.g. field-pattern for a record id
        problems.add(kind, doc.location(loc), dotted, error["msg"], _pattern_hint(dotted, model))
    else:
        problems.add("field-invalid", doc.location(loc), dotted, str(error["msg"]).removeprefix("Value error, "), "")


def _pattern_hint(dotted: str, model: type[BaseModel]) -> str:
    if dotted == "tombstone.see_instead":
        return 'name the record readers should use now, e.g. "2503.23007", "SRCH:7693EED1" or "ext:slug"'
    if dotted == "links.doi":
        return "write the DOI without the resolver, e.g. `10.48550/arXiv.1701.06538`"
    if dotted.startswith("links."):
        return "links must start with https:// (javascript:, data: and http: are refused)"
    if "taxonomy" in dotted or dotted.endswith("slug") or re.search(r"\.parents?(?:\[\d+\])?$", dotted):
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


def _literal_choices(model: type[BaseModel], loc: tuple[str | int, ...]) -> list[str]:
    """The values the `Literal` field at `loc` allows, read from the model (not from pydantic's message)."""
    annotation: Any = model
    for part in loc:
        owner = _inner_model(annotation)
        if isinstance(part, int) or owner is None or part not in owner.model_fields:
            continue  # a list index, or a dict key whose type is the annotation reached so far
        annotation = owner.model_fields[part].annotation
    return [str(value) for literal in _literals(annotation) for value in typing.get_args(literal)]


def _literals(annotation: Any) -> list[Any]:
    if typing.get_origin(annotation) is typing.Literal:
        return [annotation]
    return [found for arg in typing.get_args(annotation) for found in _literals(arg)]


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
    if doc.printable:  # the loader saw every value: nothing to report
        return True
    ok = True
    for key_path, value in _walk_strings(doc.data, ()):
        if not value.isprintable():  # most texts pass in C; only the others need their location worked out
            ok = check_string(value, doc.location(key_path), _dotted(key_path), problems) and ok
    return ok


def check_string(value: str, location: Location, field_name: str, problems: Problems) -> bool:
    """One text value: False (and an error) on control characters; a warning on invisible ones."""
    if value.isprintable():  # no control (Cc) or format (Cf) character: most texts, checked in C
        return True
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
    columns = {name: index for index, name in enumerate(ledger.columns, start=1)}  # every row has these cells
    checked_columns = [name for name in ledger.columns if name not in ID_COLUMNS]  # ids: by the model's patterns
    for row in ledger.rows:
        claim = _validate_row(ledger.path, row, columns, checked_columns, problems)
        if claim is not None:
            claims.append(claim)
    return claims


# How a failed check of one ledger cell is reported, by pydantic error type and column.
_ROW_VALUE_ERRORS: dict[tuple[str, str], tuple[str, str, str]] = {
    ("value_error", "paper_id"): (
        "id-invalid",
        "{shown} is not a paper id",
        "write an arXiv id with its version, e.g. `2503.23007v1`, or `doi:…`, `openreview:…`, `acl:…`",
    ),
    ("string_pattern_mismatch", "claim"): ("cell-empty", "`claim` is empty", "every row states one claim"),
    ("string_pattern_mismatch", "claim_id"): (
        "claim-id-invalid",
        "{shown} is not a claim id",
        "claim ids look like `c-1a2b3c4d`; run `kb ids` to assign one",
    ),
    ("string_pattern_mismatch", "category"): (
        "field-pattern",
        "{shown} is not a category slug",
        "use a slug from records/taxonomy.yaml",
    ),
}


def _validate_row(
    path: str, row: load.RawRow, columns: dict[str, int], checked_columns: list[str], problems: Problems
) -> Claim | None:
    cells = row.cells
    text_ok = True
    for column in checked_columns:
        value = cells[column]
        if not value.isprintable():  # most cells pass in C; only the others need a location
            text_ok = check_string(value, Location(path, row.line, columns[column]), column, problems) and text_ok
    try:
        checked = LedgerRow.model_validate(cells)
    except ValidationError as exc:
        for error in exc.errors():
            _report_row_error(path, row.line, columns, error, problems)
        return None
    if not text_ok:
        return None
    claim_id = checked.claim_id
    if not claim_id:
        claim_id = provisional_claim_id(checked.paper_id, checked.claim)
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
        paper_id=checked.paper_id,
        claim=checked.claim,
        claim_status=checked.claim_status,
        evidence_status=checked.evidence_status,
        source_depth=checked.source_depth,
        source_quote=checked.source_quote,
        page_or_section=checked.page_or_section,
        taxonomy_fit=_parse_taxonomy_fit(checked.taxonomy_fit),
        taxonomy_fit_raw=checked.taxonomy_fit,
        audit=parse_audit(checked.audit_status),
        audit_raw=checked.audit_status,
        category=checked.category,
        ledger=path,
        row=row.line,
    )


def _report_row_error(path: str, line: int, columns: dict[str, int], error: Any, problems: Problems) -> None:
    """One pydantic error of a ledger row -> a problem at the cell's row and column, by error type."""
    column = str(error["loc"][0]) if error["loc"] else ""
    location = Location(path, line, columns.get(column))
    kind: str = error["type"]
    if kind == "literal_error":
        value = str(error.get("ctx", {}).get("value", error["input"]))
        shown = f"{value!r}" if value else "an empty value"
        extra = LedgerRow.model_fields[column].json_schema_extra
        written = extra.get("written") if isinstance(extra, dict) else None
        hint = did_you_mean(value, VOCABULARIES[column].values) + (f" (written `{written}`)" if written else "")
        problems.add("enum-invalid", location, column, f"{shown} is not an allowed value", hint)
    elif (kind, column) in _ROW_VALUE_ERRORS:
        code, message, hint = _ROW_VALUE_ERRORS[(kind, column)]
        problems.add(code, location, column, message.format(shown=ascii(error["input"])), hint)
    else:  # a column the header check lets through always has a rule above; this keeps any surprise located
        problems.add("field-invalid", location, column, str(error["msg"]), "")


@functools.lru_cache(maxsize=4096)
def _parse_taxonomy_fit(text: str) -> TaxonomyFit:
    """`in-scope: routing-specific result` -> verdict and reason; remembered like `parse_audit`."""
    verdict, _, reason = text.partition(":")
    return TaxonomyFit(verdict, reason.strip())


@functools.lru_cache(maxsize=4096)
def parse_audit(text: str) -> Audit:
    """`pass; full-text verified; report=audit_report.md` -> result, notes, attributes.

    Remembered: ledgers repeat a few audit texts over thousands of rows, and an Audit is immutable."""
    parts = [part.strip() for part in text.split(";")]
    result, rest = parts[0], parts[1:]
    notes = tuple(p for p in rest if p and "=" not in p)
    attributes = tuple((k.strip(), v.strip()) for k, _, v in (p.partition("=") for p in rest if "=" in p))
    return Audit(result, notes, attributes)


def claim_ids(claims: typing.Sequence[Claim]) -> frozenset[str]:
    """The id of every claim. Kept while the claims are the same objects (an unchanged ledger gives them back): a
    `kb serve` rebuild asks for the set of 100,000 ids three times (here, corrections, tombstones), and making it
    costs more than all the other checks of a rebuild together."""
    global _claim_ids
    if len(claims) != len(_claim_ids[0]) or tuple(claims) != _claim_ids[0]:
        _claim_ids = (tuple(claims), frozenset(claim.claim_id for claim in claims))
    return _claim_ids[1]


_claim_ids: tuple[tuple[Claim, ...], frozenset[str]] = ((), frozenset())


def _check_claim_ids(claims: list[Claim], problems: Problems) -> list[Claim]:
    """A stored id used twice is an error; rows that only share a provisional id (same paper, same text,
    no `claim_id` yet) get one warning per group and, for this run, the distinct ids `kb ids` would give."""
    if len(claim_ids(claims)) == len(claims):  # the usual case
        return claims
    provisional = {(p.location.path, p.location.line) for p in problems.sorted() if p.code == "claim-id-missing"}
    groups: dict[str, list[Claim]] = {}
    for claim in claims:
        groups.setdefault(claim.claim_id, []).append(claim)
    taken = set(groups)
    renamed: dict[tuple[str, int], str] = {}
    for claim_id, group in groups.items():
        if len(group) < 2:
            continue
        stored = [c for c in group if (c.ledger, c.row) not in provisional]
        for claim in stored[1:]:
            problems.add(
                "claim-id-duplicate",
                Location(claim.ledger, claim.row),
                "claim_id",
                f"claim id `{claim_id}` is also used at {stored[0].ledger}:{stored[0].row}",
                "claim ids are never reused: clear this cell and run `kb ids`",
            )
        waiting = [c for c in group if (c.ledger, c.row) in provisional]
        for claim in waiting[1:] if not stored else waiting:
            renamed[(claim.ledger, claim.row)] = new_claim_id(claim.paper_id, claim.claim, taken)
            taken.add(renamed[(claim.ledger, claim.row)])
        if waiting:
            rows = ", ".join(f"{c.ledger}:{c.row}" for c in group)
            problems.add(
                "claim-text-duplicate",
                Location(waiting[-1].ledger, waiting[-1].row),
                "claim",
                f"rows {rows} state the same claim about `{group[0].paper_base}`; without claim ids they share "
                f"the anchor {claim_id}",
                "run `kb ids`: it gives each row its own permanent id (or delete the copy if it is a mistake)",
                Severity.WARNING,
            )
    return [
        dataclasses.replace(c, claim_id=renamed[(c.ledger, c.row)]) if (c.ledger, c.row) in renamed else c
        for c in claims
    ]
