"""`kb import-bib FILE.bib [--update]`: paper records from a BibTeX file.

Only entries that name a paper id become records: an arXiv id, else a DOI
(`doi:…`), else an OpenReview or ACL Anthology address; every other entry is
reported as skipped with its reason. Every entry and every
unreadable block ends up in exactly one of created / updated / skipped /
failed, so the summary always adds up to what the file holds.

Existing records are hand-edited: without --update they are never touched,
and with it only the bibliographic fields the entry supplies are changed; the
rest of the file, comments included, is kept by a ruamel.yaml round trip.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml as pyyaml
from pydantic import ValidationError
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from generator.commands import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE
from generator.commands.fmt import dump_yaml, round_trip_yaml, yaml_str
from generator.commands.scaffold import modeline
from generator.model.records import Paper
from generator.problems import Problems
from generator.sources.bibtex import BibEntry, read_bibtex_file
from generator.urls import UnsafeIdError, record_filename, safe_join

# Fields an import may set; everything else in a record belongs to its editors.
MANAGED = ("versions", "title", "authors", "authors_complete", "year", "venue", "abstract", "links")
FIELD_ORDER = tuple(Paper.model_fields)


@dataclass
class Outcome:
    status: str  # created | updated | skipped | failed
    key: str
    line: int | None
    detail: str


@dataclass
class Summary:
    outcomes: list[Outcome] = field(default_factory=list)

    def add(self, status: str, key: str, line: int | None, detail: str) -> None:
        self.outcomes.append(Outcome(status, key, line, detail))

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    def text(self, shown: str, entries: int, failed_blocks: int) -> str:
        lines = [f"kb import-bib: {shown}: {entries} entries, {failed_blocks} unreadable block(s)"]
        for status in ("created", "updated", "skipped", "failed"):
            group = [o for o in self.outcomes if o.status == status]
            if group:
                lines.append(f"{status}:")
            for o in group:
                where = f"line {o.line}" if o.line else "line ?"
                who = f"{o.key} ({where})" if o.key else where
                lines.append(f"  {who}: {o.detail}")
        lines.append(
            f"created {self.count('created')}, updated {self.count('updated')}, "
            f"skipped {self.count('skipped')}, failed {self.count('failed')}"
        )
        return "\n".join(lines)


def normalised_title(title: str) -> str:
    """Case, accents, punctuation and spacing removed, so trivially different copies match."""
    decomposed = unicodedata.normalize("NFKD", title.casefold())
    return re.sub(r"[\W_]+", "", "".join(c for c in decomposed if not unicodedata.combining(c)))


def bib_fields(entry: BibEntry) -> dict[str, Any]:
    """The record fields an entry supplies, in model order; empty values are left out."""
    data: dict[str, Any] = {"id": entry.paper_id}
    if entry.arxiv_version:
        data["versions"] = [entry.arxiv_version]
    data["title"] = entry.title
    data.update(entry.record_fields())
    if data.get("authors_complete") is True:
        del data["authors_complete"]  # the default; a record says so only when the list is cut short
    return data


def yaml_value(value: Any, *, key: str = "") -> Any:
    """Plain data to ruamel nodes, quoting every string a YAML 1.1 reader would retype."""
    if isinstance(value, dict):
        node = CommentedMap()
        for k, v in value.items():
            node[k] = yaml_value(v, key=k)
        return node
    if isinstance(value, list):
        return CommentedSeq(yaml_value(v, key=key) for v in value)
    if isinstance(value, str):
        return yaml_str(value, force_quotes=key in ("id", "versions", "added", "doi"))
    return value


def validation_text(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors()[:3]:
        where = ".".join(str(p) for p in error["loc"]) or "record"
        parts.append(f"{where}: {error['msg']}")
    return "; ".join(parts)


def check_record_text(text: str) -> Paper:
    """Read the text back the way the project's PyYAML loader will, and validate it."""
    return Paper.model_validate(pyyaml.safe_load(text))


def new_record_text(data: dict[str, Any], path: Path, root: Path, today: dt.date) -> str:
    data = {**data, "added": today.isoformat()}
    node = CommentedMap()
    for name in FIELD_ORDER:
        if name in data:
            node[name] = yaml_value(data[name], key=name)
    return modeline(path, root, "paper") + "\n" + dump_yaml(node)


def insert_in_model_order(record: CommentedMap, name: str, value: Any) -> None:
    """A new key goes after the last existing key that precedes it in the model."""
    position = 0
    rank = FIELD_ORDER.index(name) if name in FIELD_ORDER else len(FIELD_ORDER)
    for index, existing in enumerate(record):
        if existing in FIELD_ORDER and FIELD_ORDER.index(existing) < rank:
            position = index + 1
    record.insert(position, name, value)


def _apply_update(record: CommentedMap, data: dict[str, Any]) -> list[str]:
    """Set each bib-supplied field that differs; never remove anything. Returns the changed names."""
    changed: list[str] = []
    for name in MANAGED:
        if name not in data:
            continue
        new = data[name]
        if name == "versions":
            current = list(record.get("versions") or [])
            missing = [v for v in new if v not in current]
            if not missing:
                continue
            if isinstance(record.get("versions"), list):
                record["versions"].extend(yaml_value(missing, key="versions"))
            else:
                _set(record, "versions", yaml_value(current + missing, key="versions"))
        elif name == "links":
            links = record.get("links")
            if isinstance(links, dict):
                if links.get("doi") == new["doi"]:
                    continue
                links["doi"] = yaml_value(new["doi"], key="doi")
            else:
                _set(record, "links", yaml_value(new, key="links"))
        elif name == "authors":
            complete = data.get("authors_complete", True)
            if list(record.get("authors") or []) != new:
                _set(record, "authors", yaml_value(new, key="authors"))
                changed.append("authors")
            if record.get("authors_complete", True) != complete:
                _set(record, "authors_complete", complete)
                changed.append("authors_complete")
            continue
        elif name == "authors_complete":
            continue  # set together with the authors
        else:
            if record.get(name) == new:
                continue
            _set(record, name, yaml_value(new, key=name))
        changed.append(name)
    return list(dict.fromkeys(changed))


def _set(record: CommentedMap, name: str, value: Any) -> None:
    if name in record:
        record[name] = value
    else:
        insert_in_model_order(record, name, value)


@dataclass
class _Seen:
    """First entry (with an arXiv id) for each identity, for de-duplication within the file."""

    arxiv: dict[str, BibEntry] = field(default_factory=dict)
    doi: dict[str, BibEntry] = field(default_factory=dict)
    title: dict[str, BibEntry] = field(default_factory=dict)

    def register(self, entry: BibEntry) -> None:
        self.arxiv.setdefault(entry.paper_id, entry)
        if entry.doi:
            self.doi.setdefault(entry.doi.casefold(), entry)
        if normalised_title(entry.title):
            self.title.setdefault(normalised_title(entry.title), entry)

    def original(self, entry: BibEntry) -> BibEntry | None:
        """The earlier entry this one duplicates; entries with different arXiv ids are different papers."""
        candidates = [
            self.arxiv.get(entry.paper_id) if entry.paper_id else None,
            self.doi.get(entry.doi.casefold()) if entry.doi else None,
            self.title.get(normalised_title(entry.title)) if normalised_title(entry.title) else None,
        ]
        for found in candidates:
            if found is None or found is entry:
                continue
            if entry.arxiv_id and found.arxiv_id != entry.arxiv_id:
                continue
            if entry.arxiv_id and found.line > entry.line:
                continue
            return found
        return None


def _existing_records(root: Path) -> dict[str, Path]:
    """File name -> path for every record under records/, wherever it was put by hand."""
    records = root / "records"
    found: dict[str, Path] = {}
    if records.is_dir():
        for path in sorted(records.rglob("*.yaml")):
            found.setdefault(path.name, path)
    return found


def import_entries(
    entries: list[BibEntry],
    root: Path,
    update: bool,
    summary: Summary,
    today: dt.date,
) -> None:
    """Create or update one record per distinct paper; report every entry."""
    seen = _Seen()
    for entry in entries:
        if entry.paper_id and seen.original(entry) is None:
            seen.register(entry)
    existing = _existing_records(root)
    for entry in entries:
        original = seen.original(entry)
        if original is not None:
            summary.add("skipped", entry.key, entry.line, f"duplicate of {original.key} (line {original.line})")
            continue
        if not entry.paper_id:
            summary.add("skipped", entry.key, entry.line, _no_arxiv_reason(entry))
            continue
        _import_one(entry, root, update, summary, today, existing)


def _no_arxiv_reason(entry: BibEntry) -> str:
    archive = entry.fields.get("archiveprefix", "").strip().strip("{}").lower()
    if archive == "arxiv" and not entry.fields.get("eprint", "").strip():
        return "no arXiv id (archivePrefix is arXiv but there is no eprint field)"
    return "no paper id (no arXiv id, DOI, OpenReview or ACL Anthology link)"


def _import_one(
    entry: BibEntry,
    root: Path,
    update: bool,
    summary: Summary,
    today: dt.date,
    existing: dict[str, Path],
) -> None:
    data = bib_fields(entry)
    try:
        relative = record_filename(entry.paper_id)
        default_path = safe_join(root / "records", relative)
    except UnsafeIdError:
        summary.add("failed", entry.key, entry.line, f"paper id `{entry.paper_id}` cannot name a record file")
        return
    path = existing.get(default_path.name, default_path)
    shown = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
    if not path.exists():
        try:
            text = new_record_text(data, default_path, root, today)
            check_record_text(text)
        except ValidationError as exc:
            summary.add("failed", entry.key, entry.line, f"would not be a valid record: {validation_text(exc)}")
            return
        default_path.parent.mkdir(parents=True, exist_ok=True)
        default_path.write_text(text, encoding="utf-8", newline="\n")
        existing[default_path.name] = default_path
        summary.add("created", entry.key, entry.line, f"{shown} ({entry.paper_id})")
        return
    if not update:
        summary.add("skipped", entry.key, entry.line, f"exists ({shown}); use --update")
        return
    _update_one(entry, data, path, shown, summary)


def _update_one(entry: BibEntry, data: dict[str, Any], path: Path, shown: str, summary: Summary) -> None:
    try:
        original = path.read_text(encoding="utf-8-sig")
        yaml = round_trip_yaml()
        record = yaml.load(original)
    except (OSError, UnicodeDecodeError, YAMLError) as exc:
        summary.add("failed", entry.key, entry.line, f"cannot read {shown}: {str(exc).splitlines()[0]}")
        return
    if not isinstance(record, CommentedMap):
        summary.add("failed", entry.key, entry.line, f"{shown} does not hold a record mapping")
        return
    changed = _apply_update(record, data)
    if not changed:
        summary.add("skipped", entry.key, entry.line, f"exists ({shown}); already up to date")
        return
    text = dump_yaml(record)
    try:
        check_record_text(text)
    except ValidationError as exc:
        summary.add(
            "failed", entry.key, entry.line, f"{shown} would not validate after the update: {validation_text(exc)}"
        )
        return
    path.write_text(text, encoding="utf-8", newline="\n")
    summary.add("updated", entry.key, entry.line, f"{shown}: fields {', '.join(changed)}")


def cmd_import_bib(args: argparse.Namespace) -> int:
    """Import one BibTeX file into records/; exit 1 if any entry or block failed."""
    root = Path(args.root).resolve()
    bibfile = Path(args.bibfile)
    if not bibfile.is_file() and not bibfile.is_absolute() and (root / bibfile).is_file():
        bibfile = root / bibfile
    if not bibfile.is_file():
        print(f"kb import-bib: {args.bibfile}: no such file", file=sys.stderr)
        return EXIT_USAGE
    resolved = bibfile.resolve()
    shown = resolved.relative_to(root).as_posix() if resolved.is_relative_to(root) else str(bibfile)
    problems = Problems()
    parsed = read_bibtex_file(bibfile, shown, problems)
    if not parsed.entries and not parsed.failed and problems.errors:
        print(problems.report(), file=sys.stderr)
        return EXIT_PROBLEMS
    summary = Summary()
    import_entries(list(parsed.entries), root, bool(args.update), summary, dt.date.today())
    for block in parsed.failed:
        summary.add("failed", block.key, block.line, f"{block.message} [{block.code}]")
    summary.outcomes.sort(key=lambda o: o.line or 0)
    if len(problems):
        print(problems.report(), file=sys.stderr)
    print(summary.text(shown, len(parsed.entries), len(parsed.failed)))
    return EXIT_PROBLEMS if summary.count("failed") else EXIT_OK
