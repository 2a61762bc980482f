"""Read BibTeX into plain, decoded `BibEntry` values.

Used by `kb import-bib` and by the pipeline, which takes metadata for paper
records from `records/*.bib`. Real bib files are messy (see
`shared/real/bib/ORIGIN.md`): bibtexparser v2 never raises on malformed input,
it parks broken blocks in `library.failed_blocks`, so every one of those is
turned into a Problem with a 1-based line here, and nothing is dropped silently.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import bibtexparser
from bibtexparser.exceptions import BlockAbortedException
from bibtexparser.model import DuplicateBlockKeyBlock, DuplicateFieldKeyBlock, Entry, ParsingFailedBlock
from pylatexenc import latex2text, latexwalker, macrospec

from generator.model.paper_ids import doi_id, is_paper_id
from generator.model.records import ARXIV_ID_RE
from generator.problems import Location, Problem, Problems, Severity

VENUE_FIELDS = ("journal", "booktitle", "publisher", "howpublished", "institution", "school")
DOI_RE = re.compile(r"10\.\d{4,9}/\S+", re.ASCII)


class _Warn(Protocol):
    def __call__(self, code: str, name: str, message: str, hint: str = "") -> None: ...


@dataclass(frozen=True)
class BibEntry:
    """One entry, decoded to plain Unicode text. Treat it as read-only: readers share cached entries."""

    key: str
    entry_type: str
    line: int
    title: str = ""
    authors: list[str] = field(default_factory=list)
    authors_complete: bool = True
    year: int | None = None
    venue: str = ""
    arxiv_id: str = ""
    arxiv_version: str = ""
    doi: str = ""
    other_id: str = ""
    """An OpenReview or ACL Anthology paper id (`openreview:…`, `acl:…`) found in a link, if any."""
    url: str = ""
    abstract: str = ""
    fields: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)
    """Every field as written (lower-cased names, LaTeX not decoded), for callers needing more."""

    def record_fields(self) -> dict[str, Any]:
        """The paper-record fields this entry supplies, in model order; empty ones are left out.

        The one BibTeX -> paper mapping: `kb import-bib` writes these fields, and
        linking fills a record's empty fields from them.
        """
        data: dict[str, Any] = {}
        if self.authors:
            data["authors"], data["authors_complete"] = list(self.authors), self.authors_complete
        if self.year is not None:
            data["year"] = self.year
        if self.venue:
            data["venue"] = self.venue
        if self.abstract:
            data["abstract"] = self.abstract
        if self.doi:
            data["links"] = {"doi": self.doi}
        return data

    @property
    def paper_id(self) -> str:
        """The record id this entry names: its arXiv id, else its DOI (`doi:…`), else an OpenReview or ACL id."""
        if self.arxiv_id:
            return self.arxiv_id
        if self.doi and is_paper_id(doi_id(self.doi)):
            return doi_id(self.doi)
        return self.other_id


@dataclass(frozen=True)
class FailedBlock:
    """A block bibtexparser could not turn into an entry, with the 1-based line it starts on."""

    line: int | None
    code: str
    message: str
    key: str = ""


@dataclass(frozen=True)
class BibFile:
    entries: tuple[BibEntry, ...]
    failed: tuple[FailedBlock, ...]


@dataclass
class BibIndex:
    """Entries looked up the two ways records refer to them: explicit key or arXiv id."""

    by_key: dict[str, BibEntry] = field(default_factory=dict)
    by_arxiv: dict[str, BibEntry] = field(default_factory=dict)

    @classmethod
    def build(cls, entries: Iterable[BibEntry]) -> BibIndex:
        index = cls()
        for entry in entries:
            index.by_key.setdefault(entry.key, entry)
            if entry.arxiv_id:
                index.by_arxiv.setdefault(entry.arxiv_id, entry)
        return index


# --- reading -------------------------------------------------------------------


def read_bibtex(path: Path, display_path: str, problems: Problems) -> list[BibEntry]:
    """The decoded entries of one file; every unreadable block becomes a problem."""
    return list(read_bibtex_file(path, display_path, problems).entries)


def read_bibtex_file(path: Path, display_path: str, problems: Problems) -> BibFile:
    """Like `read_bibtex`, but also returns the failed blocks (the importer counts them)."""
    try:
        stat = path.stat()
    except OSError as exc:
        problems.add("bib-read", Location(display_path), "", f"cannot read the BibTeX file: {exc.strerror or exc}")
        return BibFile((), ())
    parsed, found = _parse_cached(str(path.resolve()), stat.st_mtime_ns, stat.st_size, display_path)
    problems.extend(found)
    return parsed


def parse_bibtex(text: str, display_path: str, problems: Problems) -> BibFile:
    """Parse BibTeX source text (already decoded)."""
    local = Problems()
    parsed = _parse_text(text, display_path, local)
    problems.extend(local.sorted())
    return parsed


@functools.lru_cache(maxsize=32)
def _parse_cached(resolved: str, mtime_ns: int, size: int, display_path: str) -> tuple[BibFile, tuple[Problem, ...]]:
    """Keyed on mtime and size, so the pipeline can ask for the same file from many stages for free."""
    del mtime_ns, size  # only part of the cache key
    local = Problems()
    try:
        raw = Path(resolved).read_bytes()
    except OSError as exc:
        local.add("bib-read", Location(display_path), "", f"cannot read the BibTeX file: {exc.strerror or exc}")
        return BibFile((), ()), tuple(local.sorted())
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        local.add(
            "bib-encoding",
            Location(display_path, line),
            "",
            "the file is not UTF-8; nothing was read from it",
            hint='re-save the file as UTF-8 (or write accents as LaTeX, e.g. {\\"u})',
        )
        return BibFile((), ()), tuple(local.sorted())
    return _parse_text(text, display_path, local), tuple(local.sorted())


@contextlib.contextmanager
def _quiet_bibtexparser() -> Iterator[None]:
    """bibtexparser logs parse failures itself; they are reported as problems instead."""
    names = ["bibtexparser", "bibtexparser.splitter", "bibtexparser.entrypoint"]
    names += [n for n in logging.Logger.manager.loggerDict if n.startswith("bibtexparser.")]
    loggers = [logging.getLogger(name) for name in dict.fromkeys(names)]
    before = [logger.disabled for logger in loggers]
    for logger in loggers:
        logger.disabled = True
    try:
        yield
    finally:
        for logger, disabled in zip(loggers, before, strict=True):
            logger.disabled = disabled


def _parse_text(text: str, display_path: str, problems: Problems) -> BibFile:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    with _quiet_bibtexparser():
        library = bibtexparser.parse_string(text)
    failed = tuple(_failure(block, display_path, problems) for block in library.failed_blocks)
    entries = tuple(_entry(entry, display_path, problems) for entry in library.entries)
    return BibFile(entries, failed)


def _line(zero_based: int | None) -> int | None:
    return None if zero_based is None else zero_based + 1


def _failure(block: ParsingFailedBlock, display_path: str, problems: Problems) -> FailedBlock:
    line = _line(block.start_line)
    where = Location(display_path, line)
    if isinstance(block, DuplicateBlockKeyBlock):
        first = _line(block.previous_block.start_line)
        message = f"duplicate entry key `{block.key}`" + (f" (first used on line {first})" if first else "")
        message += "; this entry is ignored"
        problems.add("bib-duplicate-key", where, "", message, hint="give each entry its own key, or delete the copy")
        return FailedBlock(line, "bib-duplicate-key", message, block.key)
    if isinstance(block, DuplicateFieldKeyBlock):
        entry = block.ignore_error_block
        key = entry.key if isinstance(entry, Entry) else ""
        names = ", ".join(sorted(block.duplicate_keys))
        message = f"entry `{key}` sets the field(s) {names} more than once; the entry is ignored"
        problems.add("bib-duplicate-field", where, "", message, hint="keep one value for each field")
        return FailedBlock(line, "bib-duplicate-field", message, key)
    error = block.error
    reason = error.abort_reason if isinstance(error, BlockAbortedException) else str(error) or type(error).__name__
    first_line = (block.raw or "").lstrip().split("\n", 1)[0][:60]
    message = f"cannot parse this block ({reason.strip()})" + (f": `{first_line}`" if first_line else "")
    problems.add(
        "bib-parse",
        where,
        "",
        message,
        hint="check that braces are balanced and that fields are separated by commas",
    )
    return FailedBlock(line, "bib-parse", message)


# --- one entry -----------------------------------------------------------------


def _entry(entry: Entry, display_path: str, problems: Problems) -> BibEntry:
    line = _line(entry.start_line) or 1
    raw: dict[str, str] = {}
    lines: dict[str, int] = {}
    for item in entry.fields:
        name = item.key.strip().lower()
        value = item.value if isinstance(item.value, str) else str(item.value)
        if name not in raw or (not raw[name].strip() and value.strip()):
            raw[name] = value
            lines[name] = _line(item.start_line) or line

    def warn(code: str, name: str, message: str, hint: str = "") -> None:
        where = Location(display_path, lines.get(name, line))
        problems.add(code, where, name, f"entry `{entry.key}`: {message}", hint, Severity.WARNING)

    authors, complete = parse_authors(raw.get("author", ""), lambda m, h: warn("bib-author-commas", "author", m, h))
    url = _url(raw, warn)
    doi = _doi(raw.get("doi", ""), warn) or _doi_in_links(raw)
    arxiv = find_arxiv_id(raw, url, doi)
    if not arxiv and "eprint" in raw and _is_arxiv_archive(raw):
        warn("bib-arxiv-id", "eprint", f"eprint `{raw['eprint'].strip()}` is not a valid arXiv id")
    base, version = "", ""
    if arxiv:
        match = ARXIV_ID_RE.fullmatch(arxiv)
        assert match is not None
        base, version = match.group("base"), match.group("version") or ""
    return BibEntry(
        key=entry.key,
        entry_type=entry.entry_type.lower(),
        line=line,
        title=latex_to_text(raw.get("title", "")),
        authors=authors,
        authors_complete=complete,
        year=_year(raw, warn),
        venue=_venue(raw),
        arxiv_id=base,
        arxiv_version=version,
        doi=doi,
        other_id=_other_id_in_links(raw),
        url=url,
        abstract=latex_to_text(raw.get("abstract", "")),
        fields=raw,
    )


# --- LaTeX to text -------------------------------------------------------------

_HIDDEN = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
_UNESCAPED_PERCENT = re.compile(r"(?<!\\)%")
_NEEDS_LATEX = re.compile(r"[\\{}$~%&^_#`]|--|''")


@functools.lru_cache(maxsize=1)
def _converter() -> tuple[latex2text.LatexNodes2Text, macrospec.LatexContextDb]:
    """One converter for all calls: `\\texttt`-like macros keep their text, `\\url` its address."""
    keep = "%(1)s"
    text_db = latex2text.get_default_latex_context_db()
    text_db.add_context_category(
        "kb-bibtex",
        prepend=True,
        macros=[
            *(latex2text.MacroTextSpec(name, simplify_repl=keep) for name in ("texttt", "textsc", "textsf", "url")),
            latex2text.MacroTextSpec("href", simplify_repl="%(2)s"),
            latex2text.MacroTextSpec("times", simplify_repl="×"),
            latex2text.MacroTextSpec("S", simplify_repl="§"),
            *(latex2text.MacroTextSpec(name, simplify_repl=name) for name in ("TeX", "LaTeX", "BibTeX")),
        ],
    )
    walker_db = latexwalker.get_default_latex_context_db()
    walker_db.add_context_category("kb-bibtex", prepend=True, macros=[macrospec.MacroSpec("href", "{{")])
    return latex2text.LatexNodes2Text(latex_context=text_db, math_mode="text", strict_latex_spaces=True), walker_db


@functools.lru_cache(maxsize=8192)
def latex_to_text(value: str) -> str:
    """BibTeX field text to one line of Unicode: `{\\"u}` -> ü, `{BERT}` -> BERT, `F.~P.` -> `F. P.`."""
    if not _NEEDS_LATEX.search(value):
        return " ".join(_HIDDEN.sub("", value).split())  # plain text: skip the (slow) LaTeX parser
    # Inside a bib field `%` is a literal character, not a LaTeX comment.
    source = _UNESCAPED_PERCENT.sub(r"\\%", value)
    try:
        converter, walker_db = _converter()
        text = converter.latex_to_text(source, latex_context=walker_db)
    except Exception:  # noqa: BLE001 - pylatexenc is tolerant, but fall back rather than lose the field
        text = re.sub(r"[{}\\$]", "", value)
    text = _HIDDEN.sub("", text)
    text = re.sub(r"(\d)\s*×\s*(\d)", r"\1×\2", text)
    return " ".join(text.split())


# --- authors -------------------------------------------------------------------

_SUFFIX = re.compile(r"(?i)(?:jr|sr|jnr|snr)\.?|[ivx]+|\d+(?:st|nd|rd|th)")
_OTHERS = re.compile(r"(?i)others|et\.?\s*al\.?")


def _split_top(text: str, separator: re.Pattern[str]) -> list[str]:
    """Split where `separator` matches outside braces, as BibTeX does."""
    parts: list[str] = []
    depth = 0
    start = 0
    index = 0
    while index < len(text):
        char = text[index]
        if char == "{":
            depth += 1
        elif char == "}":
            depth = max(0, depth - 1)
        elif depth == 0:
            match = separator.match(text, index)
            if match and match.end() > index:
                parts.append(text[start:index])
                start = index = match.end()
                continue
        index += 1
    parts.append(text[start:])
    return parts


_AND = re.compile(r"(?i)(?<=\s)and(?=\s)")
_COMMA = re.compile(",")


def _is_braced_whole(name: str) -> bool:
    """`{DeepSeek-AI}`: one brace group around the whole name marks a corporate author."""
    if not (name.startswith("{") and name.endswith("}")):
        return False
    depth = 0
    for index, char in enumerate(name):
        depth += char == "{"
        depth -= char == "}"
        if depth == 0 and index < len(name) - 1:
            return False
    return True


def parse_authors(value: str, warn: Callable[[str, str], None] | None = None) -> tuple[list[str], bool]:
    """`Last, First and {Org} and others` -> (["First Last", "Org"], False).

    A name with two commas whose middle part is no suffix like `Jr.` is a
    comma-separated list (the HealthVer quirk); it is split and reported.
    """
    names: list[str] = []
    complete = True
    text = " ".join(value.split())
    if not text:
        return names, complete
    for part in _split_top(f" {text} ", _AND):
        name = part.strip()
        if not name:
            continue
        if _OTHERS.fullmatch(name):
            complete = False
            continue
        if _is_braced_whole(name):
            names.append(latex_to_text(name))
            continue
        pieces = [p.strip() for p in _split_top(name, _COMMA)]
        while len(pieces) > 1 and not pieces[-1]:
            pieces.pop()  # `Cajal, Santiago, and ...`: a stray comma before `and`
        if len(pieces) == 1:
            names.append(latex_to_text(name))
        elif len(pieces) == 2:
            last, first = pieces
            names.append(latex_to_text(f"{first} {last}".strip()))
        elif len(pieces) == 3 and _SUFFIX.fullmatch(latex_to_text(pieces[1])):
            last, suffix, first = pieces
            names.append(latex_to_text(f"{first} {last} {suffix}".strip()))
        else:
            split = [latex_to_text(p) for p in pieces if p]
            names.extend(split)
            if warn is not None:
                warn(
                    f"names are separated by commas, not `and`; this part is read as {len(split)} authors: "
                    + "; ".join(split),
                    "separate authors with ` and `; BibTeX itself reads commas as `Last, First`",
                )
    return [n for n in names if n], complete


# --- identifiers, links, year, venue ---------------------------------------------

_ARXIV_IN_TEXT = re.compile(
    r"(?i)(?:arxiv(?:\s*(?:e-?prints?|preprint))?(?:\s*arxiv)?|corr)\s*[:/]?\s*(?:abs/)?(?P<id>[A-Za-z0-9./-]+)"
)
_ARXIV_URL = re.compile(
    r"(?i)^https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/(?P<id>[A-Za-z0-9./-]+?)(?:\.pdf)?/?$"
)
_ARXIV_DOI = re.compile(r"(?i)^10\.48550/arxiv\.(?P<id>.+)$")
_ARXIV_ONLY = re.compile(r"(?i)(?:arxiv|corr)?\s*(?:e-?prints?|preprint)?\s*(?:arxiv)?")


def _valid_arxiv(candidate: str) -> str:
    candidate = candidate.strip().rstrip(".,;)")
    if candidate.lower().startswith("arxiv:"):
        candidate = candidate[6:]
    if candidate.lower().startswith("abs/"):
        candidate = candidate[4:]
    return candidate if ARXIV_ID_RE.fullmatch(candidate) else ""


def _is_arxiv_archive(raw: Mapping[str, str]) -> bool:
    archive = latex_to_text(raw.get("archiveprefix", raw.get("eprinttype", ""))).lower()
    return archive in ("", "arxiv")


def find_arxiv_id(raw: Mapping[str, str], url: str = "", doi: str = "") -> str:
    """The arXiv id with version, from eprint, DOI, URL, journal/volume (`Ar{X}iv:1607.06450`) or note."""
    if raw.get("eprint") and _is_arxiv_archive(raw):
        found = _valid_arxiv(latex_to_text(raw["eprint"]))
        if found:
            return found
    if doi:
        match = _ARXIV_DOI.match(doi)
        if match and _valid_arxiv(match.group("id")):
            return _valid_arxiv(match.group("id"))
    for candidate in (url, _plain_url(raw.get("url", ""))):
        match = _ARXIV_URL.match(candidate)
        if match and _valid_arxiv(match.group("id")):
            return _valid_arxiv(match.group("id"))
    journal = latex_to_text(raw.get("journal", ""))
    if journal.strip().lower() == "corr" and raw.get("volume"):
        found = _valid_arxiv(latex_to_text(raw["volume"]))
        if found:
            return found
    for name in LINK_FIELDS:  # an address written anywhere, with or without `https://`
        for match in _ARXIV_LINK.finditer(_plain_url(raw.get(name, ""))):
            found = _valid_arxiv(match.group("id"))
            if found:
                return found
    for name in ("journal", "booktitle", "howpublished", "note", "eprint", "volume", "number"):
        text = latex_to_text(raw.get(name, ""))
        for match in _ARXIV_IN_TEXT.finditer(text):
            found = _valid_arxiv(match.group("id"))
            if found:
                return found
    return ""


LINK_FIELDS = ("eprint", "url", "journal", "note", "howpublished", "doi", "booktitle", "volume", "number")
_ARXIV_LINK = re.compile(
    r"(?i)(?<![\w.])(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/(?P<id>[A-Za-z0-9./-]+?)(?:\.pdf)?/?(?![A-Za-z0-9./-])"
)
_DOI_LINK = re.compile(r"(?i)(?<![\w.])(?:https?://)?(?:dx\.)?doi\.org/(?P<doi>10\.\d{4,9}/[^\s,;}]+)")
_OPENREVIEW_LINK = re.compile(r"(?i)(?<![\w.])(?:https?://)?openreview\.net/(?:forum|pdf)\?id=(?P<id>[A-Za-z0-9_-]+)")
_ACL_LINK = re.compile(
    r"(?i)(?<![\w.])(?:https?://)?(?:www\.)?aclanthology\.org/(?P<id>[A-Z]\d{2}-\d{4}|\d{4}\.[a-z0-9-]+\.\d+)(?:\.pdf)?/?"
)


def _doi_in_links(raw: Mapping[str, str]) -> str:
    """A DOI written as a doi.org address in any link-like field, e.g. `url = {doi.org/10.1145/…}`."""
    for name in LINK_FIELDS:
        match = _DOI_LINK.search(_plain_url(raw.get(name, "")))
        if match:
            return match.group("doi").rstrip(".")
    return ""


def _other_id_in_links(raw: Mapping[str, str]) -> str:
    """`openreview:<id>` or `acl:<id>` from an OpenReview forum or ACL Anthology address in any link field."""
    for name in LINK_FIELDS:
        text = _plain_url(raw.get(name, ""))
        if match := _OPENREVIEW_LINK.search(text):
            return f"openreview:{match.group('id')}"
        if match := _ACL_LINK.search(text):
            return f"acl:{match.group('id')}"
    return ""


_URL_MACRO = re.compile(r"\\(?:url|href)\s*\{([^{}]*)\}")


def _plain_url(value: str) -> str:
    """A URL field without `\\url{}` or TeX escapes; URLs are never run through the LaTeX decoder."""
    value = value.strip()
    macro = _URL_MACRO.search(value)
    if macro:
        value = macro.group(1)
    value = value.strip().strip("{}").strip()
    for escaped, plain in (("\\_", "_"), ("\\%", "%"), ("\\&", "&"), ("\\#", "#"), ("\\~{}", "~"), ("\\~", "~")):
        value = value.replace(escaped, plain)
    return value


_LINK_LIKE = re.compile(r"(?i)\s*\{?\s*(?:\\url\b|\\href\b|[a-z][a-z0-9+.-]*://|(?:javascript|data|vbscript|file):)")
_WHOLE_LINK = re.compile(
    r"(?i)\{?\s*(?:\\url\s*\{[^{}]*\}|(?:[a-z][a-z0-9+.-]*://|(?:javascript|data|vbscript|file):)\S*)\s*\}?"
)


def _url(raw: Mapping[str, str], warn: _Warn) -> str:
    """The entry's http(s) link; anything else (`javascript:`, `data:`, `ftp:`) is dropped with a warning."""
    for name in ("url", "howpublished", "note"):
        value = raw.get(name, "")
        if not value.strip() or (name != "url" and not _WHOLE_LINK.fullmatch(value.strip())):
            continue
        url = _plain_url(value)
        if re.fullmatch(r"(?i)https?://[^\s<>\"'`]+", url):
            return url
        warn(
            "bib-unsafe-url",
            name,
            f"link `{url[:80]}` is not an http(s) URL and is not kept",
            "use an https:// address",
        )
    return ""


def _doi(value: str, warn: _Warn) -> str:
    """The bare DOI (`10.1234/x`), without resolver prefix; malformed DOIs are dropped with a warning."""
    doi = _plain_url(value)
    if not doi:
        return ""
    doi = re.sub(r"(?i)^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", "", doi).strip()
    if DOI_RE.fullmatch(doi):
        return doi
    warn("bib-doi", "doi", f"`{doi[:80]}` is not a DOI and is not kept", "write the DOI as `10.1234/abc`")
    return ""


def _year(raw: Mapping[str, str], warn: _Warn) -> int | None:
    text = latex_to_text(raw.get("year", "")) or latex_to_text(raw.get("date", ""))[:4]
    if not text:
        return None
    if re.fullmatch(r"\d{4}", text, re.ASCII):
        return int(text)
    match = re.search(r"(?<!\d)(\d{4})(?!\d)", text, re.ASCII)
    if match:
        return int(match.group(1))
    warn("bib-year", "year", f"year `{text[:40]}` has no four-digit year; it is left empty")
    return None


def _venue(raw: Mapping[str, str]) -> str:
    """Where it appeared, from the first useful venue field; an arXiv pointer becomes `arXiv`."""
    for name in VENUE_FIELDS:
        value = raw.get(name, "")
        if not value.strip() or (name == "howpublished" and _LINK_LIKE.match(value)):
            continue
        text = latex_to_text(value)
        if not text:
            continue
        if name == "journal":
            remainder = _ARXIV_LINK.sub(lambda m: "arxiv" if _valid_arxiv(m.group("id")) else m.group(0), text)
            remainder = _ARXIV_IN_TEXT.sub(lambda m: "" if _valid_arxiv(m.group("id")) else m.group(0), remainder)
            if _ARXIV_ONLY.fullmatch(remainder.strip(" ,.:;")):
                return "arXiv"
        return text
    return ""
