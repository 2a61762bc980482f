"""`kb import-list FILE.md`: paper records and categories from a Markdown "awesome" paper list.

Such lists are written by hand, in several layouts (see `shared/real/lists/ORIGIN.md`):
headings by topic (sometimes by year below them), and entries that are either a
bullet (`+ **Title** [[pdf]](link) Venue Year`, `- [Title](link)`) or a block of
lines joined by `\\` line breaks (bold title, italic authors, venue and links, a date).

Headings become categories, nested as in the list; a heading that is only a year is a
date for the entries below it, and the list's own title and its table of contents are
neither. Every entry is reported as created, updated, merged or skipped, with its line.
Nothing is invented: a record holds only the title, authors, venue, year and links
the list prints. Where two entries disagree about a paper, the first is kept and
the others are noted in the report and as a comment in the record.
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

from pydantic import ValidationError
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from generator.commands.fmt import dump_yaml, round_trip_yaml
from generator.commands.import_bib import (
    check_record_text,
    insert_in_model_order,
    new_record_text,
    normalised_title,
    validation_text,
    yaml_value,
)
from generator.model.paper_ids import doi_id, is_paper_id
from generator.pipeline.validate import validate_corpus
from generator.problems import Problems
from generator.urls import UnsafeIdError, record_filename, safe_join

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2
CONTENTS_HEADINGS = {"contents", "table of contents", "toc"}

# --- reading the list --------------------------------------------------------------

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_BULLET = re.compile(r"^(\s*)[-+*]\s+(.*)$")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_LINK = re.compile(r"\]\((https?://[^)\s]+)\)")
_LINKED_TITLE = re.compile(r"^\[([^\]]+)\]\((https?://[^)\s]+)\)")
_ANNOTATION = re.compile(r"^(?:_[^_]+_\s*(?:&|,|and)?\s*)+[-–—:]\s+")
_ITALIC_LINE = re.compile(r"^\s*(?:\*([^*]+)\*|_([^_]+)_)\s*\\?\s*$")
_LINK_TOKENS = re.compile(
    r"\[\[[^\]]*\]\]\([^)]*\)|\[\[[^\]]*\]\([^)]*\)\]|!?\[(?:!\[[^\]]*\]\([^)]*\)|[^\]])*\]\([^)]*\)"
)
_YEAR = re.compile(r"(?<!\d)(19\d{2}|20\d{2})(?!\d)")
_DATE_LINE = re.compile(r"^(?:\d{1,2}\s+)?(?:[A-Z][a-z]+\.?\s+)?(?:\d{1,2},\s+)?(19\d{2}|20\d{2})$")

_ARXIV_LINK = re.compile(r"(?i)arxiv\.org/(?:abs|pdf)/(?P<id>\d{4}\.\d{4,5}|[a-z][a-z-]*(?:\.[A-Z]{2})?/\d{7})")
_DOI_LINK = re.compile(
    r"(?i)(?:doi\.org/|dl\.acm\.org/doi/(?:abs/|pdf/|full/|epdf/)?|link\.springer\.com/(?:article|chapter|book)/)"
    r"(?P<doi>10\.\d{4,9}/[^\s?#)]+)"
)
_OPENREVIEW_LINK = re.compile(r"(?i)openreview\.net/(?:forum|pdf)\?id=(?P<id>[A-Za-z0-9_-]+)")
_ACL_LINK = re.compile(
    r"(?i)(?:aclanthology\.org/|aclweb\.org/anthology/)(?P<id>[A-Z]\d{2}-\d{4}|\d{4}\.[a-z0-9-]+\.\d+)"
)
_CODE_LINK = re.compile(r"^https://(?:www\.)?(?:github\.com|gitlab\.com)/[^\s<>\"'`]+$")


@dataclass
class Entry:
    """One entry of the list, as printed."""

    line: int
    title: str
    heading: tuple[str, ...]  # the category headings above the entry, outermost first; empty for none
    year_heading: int | None
    paper_id: str = ""
    links: dict[str, str] = field(default_factory=dict)
    authors: list[str] = field(default_factory=list)
    authors_complete: bool = True
    venue: str = ""
    year: int | None = None
    annotation: str = ""
    """A note printed before the title in some lists (`**_Load Balance Loss_ - Title**`); not part of the title."""


@dataclass
class ParsedList:
    headings: dict[tuple[str, ...], int] = field(default_factory=dict)
    """The path of each category heading (outermost first) -> the line it is on."""
    entries: list[Entry] = field(default_factory=list)


def plain_heading(text: str) -> str:
    """Heading text without Markdown decoration: links keep their text, emphasis and code marks go."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"<[^>]+>", "", text)
    return " ".join(text.replace("`", "").replace("**", "").strip("*_ ").split())


def parse_list(text: str) -> ParsedList:
    """Headings and entries of a Markdown paper list, with 1-based line numbers."""
    parsed = ParsedList()
    stack: list[tuple[int, str | None]] = []  # (level, title or None for a year / title / contents heading)
    year: int | None = None
    year_level = 0
    skipping_level: int | None = None  # inside a table of contents
    first_heading = True
    lines = text.splitlines()
    in_fence = False
    index = 0
    while index < len(lines):
        raw = lines[index]
        if _FENCE.match(raw):
            in_fence = not in_fence
            index += 1
            continue
        if in_fence:
            index += 1
            continue
        heading = _HEADING.match(raw)
        if heading:
            level, title = len(heading.group(1)), plain_heading(heading.group(2))
            if skipping_level is not None and level <= skipping_level:
                skipping_level = None
            while stack and stack[-1][0] >= level:
                stack.pop()
            if level <= year_level:
                year, year_level = None, 0
            if re.fullmatch(r"\d{4}", title):
                year, year_level = int(title), level
                stack.append((level, None))
            elif first_heading and level == 1:
                stack.append((level, None))  # the list's own title
            elif title.casefold() in CONTENTS_HEADINGS:
                skipping_level = level
                stack.append((level, None))
            else:
                stack.append((level, title))
                parsed.headings.setdefault(tuple(t for _, t in stack if t is not None), index + 1)
            first_heading = False
            index += 1
            continue
        if skipping_level is not None:
            index += 1
            continue
        block, after = _entry_block(lines, index)
        if block:
            entry = _read_entry(index + 1, block, tuple(t for _, t in stack if t is not None), year)
            if entry is not None:
                parsed.entries.append(entry)
            index = after
            continue
        index += 1
    return parsed


def _entry_block(lines: list[str], start: int) -> tuple[list[str], int]:
    """The lines of the entry starting at `start` (empty when none starts there), and the next index."""
    line = lines[start]
    bullet = _BULLET.match(line)
    if bullet:
        content = bullet.group(2).lstrip()
        if not (content.startswith("**") or _LINKED_TITLE.match(content)):
            return [], start + 1
        indent = len(bullet.group(1).expandtabs())
        block = [content]
        index = start + 1
        while index < len(lines):
            following = lines[index]
            if not following.strip():
                index += 1
                continue
            if _HEADING.match(following) or (_BULLET.match(following) and _indent(following) <= indent):
                break
            if _indent(following) <= indent and not following.startswith((" ", "\t")):
                break
            block.append(following.strip())
            index += 1
        return block, index
    if line.lstrip().startswith("**") and _BOLD.search(line):
        block = []
        index = start
        while index < len(lines) and lines[index].strip() and not _HEADING.match(lines[index]):
            block.append(lines[index].strip())
            index += 1
            if not block[-1].endswith("\\") and index < len(lines) and lines[index].lstrip().startswith("**"):
                break
        return block, index
    return [], start + 1


def _indent(line: str) -> int:
    return len(line.expandtabs()) - len(line.expandtabs().lstrip())


def _read_entry(line: int, block: list[str], heading: tuple[str, ...], year: int | None) -> Entry | None:
    first = block[0]
    bold = _BOLD.search(first)
    linked = _LINKED_TITLE.match(first)
    if bold and (not linked or bold.start() < linked.start()):
        title, rest = bold.group(1).strip(), first[bold.end() :]
    elif linked:
        title, rest = linked.group(1).strip(), first
    else:
        return None
    entry = Entry(line=line, title=title, heading=heading, year_heading=year)
    annotation = _ANNOTATION.match(entry.title)
    if annotation:
        entry.annotation = " ".join(annotation.group(0).replace("_", "").split()).rstrip(" -–—:")
        entry.title = entry.title[annotation.end() :].strip()
    entry.title = entry.title.strip().strip("*_").strip()
    urls = [m.group(1) for text in block for m in _LINK.finditer(text)]
    entry.paper_id, entry.links = _identify(urls)
    residues: list[str] = []
    for number, text in enumerate([rest, *block[1:]]):
        italic = _ITALIC_LINE.match(text)
        if number and italic and not entry.authors:
            entry.authors, entry.authors_complete = _authors(italic.group(1) or italic.group(2))
            continue
        residue = _LINK_TOKENS.sub(" ", text).replace("\\", " ")
        residue = " ".join(residue.replace("**", " ").split()).strip(" ,;|-–—()[]")
        if re.search(r"\w", residue):
            residues.append(residue)
    _venue_and_year(entry, residues)
    return entry


def _identify(urls: list[str]) -> tuple[str, dict[str, str]]:
    """The paper id from the entry's links (arXiv first, then DOI, OpenReview, ACL) and the links to keep."""
    found: dict[str, str] = {}
    links: dict[str, str] = {}
    for url in urls:
        if (match := _ARXIV_LINK.search(url)) and "arxiv" not in found:
            found["arxiv"] = match.group("id")
        elif (match := _DOI_LINK.search(url)) and "doi" not in found:
            found["doi"] = match.group("doi").rstrip(".")
        elif (match := _OPENREVIEW_LINK.search(url)) and "openreview" not in found:
            found["openreview"] = f"openreview:{match.group('id')}"
            links["openreview"] = f"https://openreview.net/forum?id={match.group('id')}"
        elif (match := _ACL_LINK.search(url)) and "acl" not in found:
            found["acl"] = f"acl:{match.group('id')}"
        elif _CODE_LINK.match(url) and "code" not in links:
            links["code"] = url
    if "doi" in found:
        links["doi"] = found["doi"]
    for scheme in ("arxiv", "doi", "openreview", "acl"):
        if scheme in found:
            candidate = doi_id(found[scheme]) if scheme == "doi" else found[scheme]
            if is_paper_id(candidate):
                return candidate, links
    return "", links


def _authors(text: str) -> tuple[list[str], bool]:
    names = [" ".join(name.split()) for name in re.split(r",\s*|\s+and\s+", text.strip()) if name.strip()]
    complete = True
    while names and re.fullmatch(r"(?i)et\.?\s*al\.?|others|\.\.\.|…", names[-1]):
        names.pop()
        complete = False
    if names and re.search(r"(?i)\s+et\.?\s*al\.?$", names[-1]):
        names[-1] = re.sub(r"(?i)\s+et\.?\s*al\.?$", "", names[-1])
        complete = False
    return names, complete


def _venue_and_year(entry: Entry, residues: list[str]) -> None:
    """Venue and year only as printed: `ICLR 2022`, or `arXiv` then a date line `8 Aug 2024`."""
    for residue in residues:
        date = _DATE_LINE.match(residue)
        if date:
            entry.year = entry.year or int(date.group(1))
            continue
        if not entry.venue:
            trailing = re.match(r"^(.*?)[\s,]*\b(19\d{2}|20\d{2})$", residue)
            if trailing and trailing.group(1):
                entry.venue, entry.year = trailing.group(1).strip(" ,"), entry.year or int(trailing.group(2))
            else:
                entry.venue = residue
                year = _YEAR.search(residue)
                if year and entry.year is None:
                    entry.year = int(year.group(1))
    if entry.year is None:
        entry.year = entry.year_heading


# --- categories ---------------------------------------------------------------------


def slug_candidates(title: str) -> list[str]:
    """Slugs for a heading within `SLUG_PATTERN` (six words of at most 40 characters): its first six
    words, else its last six (`…-in-transformer` and `…-in-lstm` differ at the end), else numbered."""
    ascii_text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = [word[:40] for word in re.split(r"[^a-z0-9]+", ascii_text.lower()) if word] or ["category"]
    first, last = "-".join(words[:6]), "-".join(words[-6:])
    numbered = ["-".join([*words[:5], str(number)]) for number in range(2, 100)]
    return list(dict.fromkeys([first, last, *numbered]))


@dataclass
class Taxonomy:
    """records/taxonomy.yaml as a ruamel round trip, so its comments and order stay."""

    path: Path
    data: CommentedMap
    by_slug: dict[str, CommentedMap]
    changed: bool = False

    @classmethod
    def read(cls, root: Path) -> Taxonomy:
        path = root / "records" / "taxonomy.yaml"
        data = round_trip_yaml().load(path.read_text(encoding="utf-8")) if path.exists() else None
        if not isinstance(data, CommentedMap):
            data = CommentedMap(categories=CommentedSeq())
        if not isinstance(data.get("categories"), list):
            data["categories"] = CommentedSeq()
        by_slug: dict[str, CommentedMap] = {
            c["slug"]: c for c in data["categories"] if isinstance(c, CommentedMap) and isinstance(c.get("slug"), str)
        }
        return cls(path, data, by_slug)

    def parents(self, slug: str) -> list[str]:
        category = self.by_slug[slug]
        found = [category["parent"]] if isinstance(category.get("parent"), str) else []
        return found + [p for p in category.get("parents") or [] if isinstance(p, str)]

    def place(self, title: str, parent: str | None) -> str:
        """The slug of the category with this title under this parent, made if needed (a DAG: a
        category of the same title elsewhere gains this parent too)."""
        candidates = slug_candidates(title)
        for slug in candidates:
            category = self.by_slug.get(slug)
            if category is not None and str(category.get("title", "")).casefold() == title.casefold():
                if parent and parent not in self.parents(slug) and parent != slug:
                    parents = category.get("parents")
                    if isinstance(parents, list):
                        parents.append(parent)
                    else:
                        insert_in_model_order(category, "parents", CommentedSeq([parent]))
                    self.changed = True
                return slug
        slug = next(candidate for candidate in candidates if candidate not in self.by_slug)
        category = CommentedMap(slug=slug, title=yaml_value(title))
        if parent:
            category["parent"] = parent
        self.data["categories"].append(category)
        self.by_slug[slug] = category
        self.changed = True
        return slug

    def write(self) -> None:
        if self.changed:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(dump_yaml(self.data), encoding="utf-8", newline="\n")


# --- records ------------------------------------------------------------------------


@dataclass
class Outcome:
    status: str  # created | updated | merged | skipped
    line: int
    title: str
    detail: str


@dataclass
class Pending:
    """A record this run creates or changes, written once every entry has been read."""

    paper_id: str
    path: Path
    record: CommentedMap
    new: bool
    first_line: int
    changed: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)


@dataclass
class Importer:
    root: Path
    shown: str
    taxonomy: Taxonomy
    existing: dict[str, Path]
    existing_titles: dict[str, str]
    today: dt.date
    pending: dict[str, Pending] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)  # normalised title -> paper id, this run
    outcomes: list[Outcome] = field(default_factory=list)

    def category_slugs(self, entry: Entry) -> list[str]:
        """The slug of the entry's innermost heading, placing every heading above it in the taxonomy."""
        slug: str | None = None
        for title in entry.heading:
            slug = self.taxonomy.place(title, slug)
        return [slug] if slug else []

    def add(self, entry: Entry) -> None:
        paper_id = entry.paper_id or self.titles.get(normalised_title(entry.title), "")
        if not paper_id and normalised_title(entry.title) in self.existing_titles:
            paper_id = self.existing_titles[normalised_title(entry.title)]
        if not paper_id:
            self.outcomes.append(
                Outcome("skipped", entry.line, entry.title, "no arXiv, DOI, OpenReview or ACL Anthology link")
            )
            return
        slugs = self.category_slugs(entry)
        if paper_id in self.pending:
            self._merge(self.pending[paper_id], entry, slugs, by_title=not entry.paper_id)
            return
        path = self.existing.get(paper_id)
        if path is not None:
            self._update(paper_id, path, entry, slugs)
            return
        self._create(paper_id, entry, slugs)

    def _fields(self, entry: Entry, slugs: list[str]) -> dict[str, Any]:
        data: dict[str, Any] = {"id": entry.paper_id, "title": entry.title}
        if entry.authors:
            data["authors"] = entry.authors
            if not entry.authors_complete:
                data["authors_complete"] = False
        if entry.year is not None and 1990 <= entry.year <= 2100:
            data["year"] = entry.year
        if entry.venue:
            data["venue"] = entry.venue
        if slugs:
            data["taxonomy"] = list(dict.fromkeys(slugs))
        if entry.links:
            data["links"] = {k: entry.links[k] for k in ("doi", "code", "openreview") if k in entry.links}
        return data

    def _create(self, paper_id: str, entry: Entry, slugs: list[str]) -> None:
        try:
            path = safe_join(self.root / "records", record_filename(paper_id))
        except UnsafeIdError:
            self.outcomes.append(Outcome("skipped", entry.line, entry.title, f"`{paper_id}` cannot name a record file"))
            return
        if path.exists():
            self.outcomes.append(
                Outcome("skipped", entry.line, entry.title, f"{self._rel(path)} exists but does not validate")
            )
            return
        data = self._fields(entry, slugs)
        text = new_record_text(data, path, self.root, self.today)
        try:
            check_record_text(text)
        except ValidationError as exc:
            self.outcomes.append(
                Outcome("skipped", entry.line, entry.title, f"would not be a valid record: {validation_text(exc)}")
            )
            return
        record = round_trip_yaml().load(text)
        self.pending[paper_id] = Pending(paper_id, path, record, True, entry.line)
        self.titles.setdefault(normalised_title(entry.title), paper_id)
        where = f" in {', '.join(slugs)}" if slugs else ""
        note = f"; `{entry.annotation}` before the title is not part of it" if entry.annotation else ""
        self.outcomes.append(
            Outcome("created", entry.line, entry.title, f"{self._rel(path)} ({paper_id}){where}{note}")
        )

    def _update(self, paper_id: str, path: Path, entry: Entry, slugs: list[str]) -> None:
        try:
            record = round_trip_yaml().load(path.read_text(encoding="utf-8-sig"))
        except (OSError, UnicodeDecodeError, YAMLError) as exc:
            self.outcomes.append(Outcome("skipped", entry.line, entry.title, f"cannot read {self._rel(path)}: {exc}"))
            return
        pending = Pending(paper_id, path, record, False, entry.line)
        self.pending[paper_id] = pending
        self.titles.setdefault(normalised_title(entry.title), paper_id)
        self._fill(pending, entry, slugs)
        detail = f"{self._rel(path)}: " + (", ".join(sorted(pending.changed)) or "nothing new")
        status = "updated" if pending.changed else "skipped"
        if not pending.changed:
            detail = f"already recorded in {self._rel(path)}"
        self.outcomes.append(Outcome(status, entry.line, entry.title, detail))

    def _merge(self, pending: Pending, entry: Entry, slugs: list[str], by_title: bool) -> None:
        before = set(pending.changed)
        self._fill(pending, entry, slugs)
        added = sorted(pending.changed - before)
        how = "same title" if by_title else "same id"
        detail = f"{how} as line {pending.first_line} ({pending.paper_id})" + (
            f"; added {', '.join(added)}" if added else ""
        )
        notes = self._disagreements(pending, entry)
        if notes:
            detail += "; " + "; ".join(notes)
        self.outcomes.append(Outcome("merged", entry.line, entry.title, detail))

    def _fill(self, pending: Pending, entry: Entry, slugs: list[str]) -> None:
        """Add categories; fill fields the record leaves empty. Never overwrite what is there."""
        record = pending.record
        taxonomy = record.get("taxonomy")
        new_slugs = [s for s in dict.fromkeys(slugs) if not isinstance(taxonomy, list) or s not in taxonomy]
        if new_slugs:
            if isinstance(taxonomy, list):
                taxonomy.extend(new_slugs)
            else:
                insert_in_model_order(record, "taxonomy", CommentedSeq(new_slugs))
            pending.changed.add("taxonomy")
        data = self._fields(entry, [])
        for name in ("authors", "authors_complete", "year", "venue"):
            if name in data and not record.get(name) and not (name == "authors_complete" and "authors" in record):
                insert_in_model_order(record, name, yaml_value(data[name], key=name))
                pending.changed.add(name)
        links = data.get("links") or {}
        current = record.get("links")
        for name, value in links.items():
            if isinstance(current, dict) and current.get(name):
                continue
            if not isinstance(current, dict):
                current = CommentedMap()
                insert_in_model_order(record, "links", current)
            current[name] = yaml_value(value, key=name)
            pending.changed.add(f"links.{name}")

    def _disagreements(self, pending: Pending, entry: Entry) -> list[str]:
        """What this entry prints differently from the record; noted, never applied."""
        record = pending.record
        notes = []
        where = f"{self.shown}:{entry.line}"
        if normalised_title(str(record.get("title", ""))) != normalised_title(entry.title):
            notes.append(f"title printed as {entry.title!r} at {where}")
        if entry.venue and record.get("venue") and str(record["venue"]) != entry.venue:
            notes.append(f"venue printed as {entry.venue!r} at {where}")
        if entry.year and record.get("year") and record["year"] != entry.year:
            notes.append(f"year printed as {entry.year} at {where}")
        for note in notes:
            if note not in pending.notes:
                pending.notes.append(note)
        return notes

    def write(self) -> list[str]:
        """Write every pending record; returns the problems that stopped one (there should be none)."""
        failures = []
        for pending in self.pending.values():
            if not pending.new and not pending.changed and not pending.notes:
                continue
            if pending.notes:
                comment = "import-list: " + "; ".join(pending.notes)
                pending.record.yaml_set_comment_before_after_key("title", before=comment, indent=0)
            text = dump_yaml(pending.record)
            try:
                check_record_text(text)
            except ValidationError as exc:
                failures.append(f"{self._rel(pending.path)}: {validation_text(exc)}")
                continue
            pending.path.parent.mkdir(parents=True, exist_ok=True)
            pending.path.write_text(text, encoding="utf-8", newline="\n")
        self.taxonomy.write()
        return failures

    def _rel(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix() if path.is_relative_to(self.root) else str(path)


def _existing(root: Path) -> tuple[dict[str, Path], dict[str, str]]:
    """Paper id -> record file, and normalised title -> paper id, for the records that validate now."""
    corpus = validate_corpus(root, Problems())
    paths = {pid: root / loaded.doc.path for pid, loaded in corpus.papers.items()}
    titles = {normalised_title(loaded.record.title): pid for pid, loaded in corpus.papers.items()}
    return paths, titles


# --- the command ------------------------------------------------------------------------


def report(shown: str, parsed: ParsedList, outcomes: list[Outcome]) -> str:
    counts = {
        status: sum(1 for o in outcomes if o.status == status) for status in ("created", "updated", "merged", "skipped")
    }
    lines = [f"kb import-list: {shown}: {len(parsed.entries)} entries under {len(parsed.headings)} headings"]
    for status in counts:
        group = [o for o in outcomes if o.status == status]
        if group:
            lines.append(f"{status}:")
        lines += [f"  line {o.line}: {o.title!r}: {o.detail}" for o in group]
    lines.append(", ".join(f"{status} {count}" for status, count in counts.items()))
    return "\n".join(lines)


def import_list(
    root: Path, text: str, shown: str, taxonomy: Taxonomy, today: dt.date
) -> tuple[ParsedList, list[Outcome], list[str]]:
    """Import one list's text into the records under `root`; returns what was read, every outcome and
    the records that could not be written."""
    parsed = parse_list(text)
    existing, titles = _existing(root)
    importer = Importer(root, shown, taxonomy, existing, titles, today)
    for entry in parsed.entries:
        importer.add(entry)
    failures = importer.write()
    return parsed, importer.outcomes, failures


def cmd_import_list(args: argparse.Namespace) -> int:
    root = Path(args.root).resolve()
    list_path = Path(args.listfile)
    if not list_path.is_file() and not list_path.is_absolute() and (root / list_path).is_file():
        list_path = root / list_path
    if not list_path.is_file():
        print(f"kb import-list: {args.listfile}: no such file", file=sys.stderr)
        return EXIT_USAGE
    try:
        text = list_path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        print(f"kb import-list: {args.listfile}: not UTF-8 (byte {exc.start}); nothing was imported", file=sys.stderr)
        return EXIT_PROBLEMS
    try:
        taxonomy = Taxonomy.read(root)
    except (UnicodeDecodeError, YAMLError) as exc:
        print(
            f"kb import-list: records/taxonomy.yaml cannot be read ({str(exc).splitlines()[0]}); fix it first "
            "(`kb validate` says where); nothing was imported",
            file=sys.stderr,
        )
        return EXIT_PROBLEMS
    parsed, outcomes, failures = import_list(root, text, list_path.name, taxonomy, dt.date.today())
    print(report(list_path.name, parsed, outcomes))
    for failure in failures:
        print(f"kb import-list: not written: {failure}", file=sys.stderr)
    return EXIT_PROBLEMS if failures else EXIT_OK
