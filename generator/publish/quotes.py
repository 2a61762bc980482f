"""Quote checks: is each claim's `source_quote` really in the source?

The source text is a cached plain-text copy committed at
`records/sources/<arXiv id, / as _>.txt` (the versioned id, e.g.
`2503.23007v1.txt`, is tried before the bare one). Without one, a claim read
at `source_depth: abstract` is checked against its paper record's abstract;
any other claim is reported as having no source text: nothing is guessed and
nothing is fetched.

Both sides are normalised before comparing: Unicode NFKC (ligatures such as
`ﬁ` become `fi`), invisible format characters dropped, curly quotes and
dashes made plain, line-break hyphenation joined (`ex- perts`, `ex-\\nperts`
-> `experts`), whitespace collapsed, case folded. An ellipsis (`...`, `…`,
`[...]`) in a quote stands for omitted text: the parts must occur in order.
If that fails, a looser comparison that ignores all spaces and hyphens is
tried (PDF extraction splits and joins words unpredictably); the detail says
which one matched.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from generator.model.records import Claim
from generator.pipeline.link import Site
from generator.problems import Location, Severity

SOURCES_DIR = ("records", "sources")
NORMALISATION = "Unicode, ligatures, quote and dash styles, line-break hyphens, spacing and case"

_PLAIN = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u0060": "'", "\u00b4": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
        "\u2043": "-", "\ufe58": "-", "\ufe63": "-", "\uff0d": "-",
    }
)  # fmt: skip
_SOFT_HYPHEN_BREAK = re.compile("\u00ad\\s*")
_LINE_BREAK_HYPHEN = re.compile(r"(?<=\w)-\s+(?=\w)")
_ELLIPSIS = re.compile(r"\s*(?:\[\s*\.\.\.\s*\]|\(\s*\.\.\.\s*\)|\.\.\.)\s*")
_LOOSE_DROP = re.compile(r"[\s-]+")


@dataclass(frozen=True)
class QuoteCheck:
    """The outcome shown next to a quote: state (a CSS modifier), a short label and a tooltip."""

    state: str  # "verified" | "not-found" | "no-source" | "no-quote"
    label: str
    detail: str


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = _SOFT_HYPHEN_BREAK.sub("", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    text = text.translate(_PLAIN)
    text = _LINE_BREAK_HYPHEN.sub("", text)
    return " ".join(text.split()).casefold()


def loose(normalised: str) -> str:
    return _LOOSE_DROP.sub("", normalised)


def _in_order(parts: list[str], haystack: str) -> bool:
    position = 0
    for part in parts:
        found = haystack.find(part, position)
        if found < 0:
            return False
        position = found + len(part)
    return True


def _parts(quote: str) -> list[str]:
    return [part for part in _ELLIPSIS.split(normalise(quote)) if part.strip()]


@dataclass
class SourceText:
    name: str  # what to call the source in messages
    normalised: str
    loose: str

    @classmethod
    def of(cls, name: str, text: str) -> SourceText:
        normalised = normalise(text)
        return cls(name, normalised, loose(normalised))


def match(quote: str, source: SourceText) -> str | None:
    """ "exact", "loose" or None."""
    parts = _parts(quote)
    if not parts:
        return None
    if _in_order(parts, source.normalised):
        return "exact"
    if _in_order([loose(part) for part in parts], source.loose):
        return "loose"
    return None


def divergence(quote: str, source: SourceText) -> str:
    """How much of the quote's first part occurs in the source, and where it stops matching."""
    parts = _parts(quote)
    first = parts[0] if parts else ""
    low, high = 0, len(first)
    while low < high:  # the longest prefix of `first` found in the source; presence is monotone
        middle = (low + high + 1) // 2
        if first[:middle] in source.normalised:
            low = middle
        else:
            high = middle - 1
    if low < 8:
        return "no part of it occurs there"
    rest = first[low : low + 40]
    return f"the first {low} of {len(first)} characters match, then it differs at “{rest}”"


def _source_file(root: Path, claim: Claim) -> Path | None:
    folder = root.joinpath(*SOURCES_DIR)
    for name in dict.fromkeys((claim.paper_id, claim.paper_base)):
        candidate = folder / f"{name.replace('/', '_')}.txt"
        if candidate.is_file() and not candidate.is_symlink():
            return candidate
    return None


def _read(path: Path, root: Path, cache: dict[Path, SourceText]) -> SourceText:
    if path not in cache:
        text = path.read_bytes().decode("utf-8-sig", errors="replace")
        cache[path] = SourceText.of(path.relative_to(root).as_posix(), text)
    return cache[path]


def check_claim(site: Site, claim: Claim, cache: dict[Path, SourceText]) -> QuoteCheck:
    if not claim.source_quote.strip():
        return QuoteCheck("no-quote", "no quote recorded", "The ledger row has no source_quote to check.")
    path = _source_file(site.root, claim)
    if path is not None:
        source = _read(path, site.root, cache)
    elif claim.source_depth == "abstract":
        paper = site.papers.get(claim.paper_base)
        if paper is None or not paper.record.abstract.strip():
            return QuoteCheck(
                "no-source", "no source text",
                "source_depth is abstract, but the paper's record has no abstract to check the quote against.",
            )  # fmt: skip
        source = SourceText.of(f"the abstract in {paper.doc.path}", paper.record.abstract)
    else:
        wanted = f"records/sources/{claim.paper_base.replace('/', '_')}.txt"
        return QuoteCheck(
            "no-source", "no source text",
            f"Not checked: no cached source text ({wanted}) is committed, and the row's source_depth is {claim.source_depth}.",
        )  # fmt: skip
    result = match(claim.source_quote, source)
    if result == "exact":
        return QuoteCheck("verified", "quote verified", f"Found in {source.name}, comparing {NORMALISATION} alike.")
    if result == "loose":
        return QuoteCheck(
            "verified", "quote verified",
            f"Found in {source.name} when spaces and hyphens are ignored (text extraction split or joined words).",
        )  # fmt: skip
    return QuoteCheck(
        "not-found", "quote not found", f"Not found in {source.name}: {divergence(claim.source_quote, source)}."
    )


def check_quotes(site: Site) -> None:
    """Fill `site.quote_checks[claim_id]`; a quote missing from its source is a warning."""
    cache: dict[Path, SourceText] = {}
    for claim in site.corpus.claims:
        check = check_claim(site, claim, cache)
        site.quote_checks[claim.claim_id] = check
        if check.state == "not-found":
            site.problems.add(
                "quote-not-found", Location(claim.ledger, claim.row), "source_quote",
                f"the quote of claim `{claim.claim_id}` is not in the source text. {check.detail}",
                f"copy the passage exactly from the source; {NORMALISATION} are already ignored",
                Severity.WARNING,
            )  # fmt: skip


def quote_summary(site: Site) -> str:
    """One line for the build log, e.g. `kb: quotes: 3 verified, 1 not found, 5 with no source text`."""
    counts = Counter(check.state for check in site.quote_checks.values() if isinstance(check, QuoteCheck))
    text = (
        f"kb: quotes: {counts['verified']} verified, {counts['not-found']} not found, "
        f"{counts['no-source']} with no source text"
    )
    if counts["no-quote"]:
        text += f", {counts['no-quote']} without a quote"
    return text
