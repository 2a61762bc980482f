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
from typing import Any

import numpy as np

from generator import input_caps
from generator.model.records import Claim
from generator.model.site import QuoteCheck, Site
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


GRAM = 12
"""Characters per piece in a source's index; a quote shorter than this is always compared in full."""
_GRAM_BASE = np.uint64(1_000_003)


def _gram_hashes(text: str) -> np.ndarray:
    """A 64-bit rolling hash of every GRAM-character piece of `text`, computed in GRAM vector passes."""
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    count = len(codes) - GRAM + 1
    hashes = np.zeros(max(count, 0), dtype=np.uint64)
    for offset in range(GRAM if count > 0 else 0):
        hashes = hashes * _GRAM_BASE + codes[offset : offset + count]  # wraps modulo 2**64, as intended
    return hashes


@dataclass
class SourceText:
    """One source, normalised once, with a sorted index of its pieces.

    The index makes the quote check linear in the size of the text: it is built once per
    source, and a quote with a piece the source does not have is refused by hash lookups
    alone, without scanning the text. Exact matches imply loose ones, so the index is
    built on the loose form and serves both comparisons.
    """

    name: str  # what to call the source in messages
    normalised: str
    loose: str
    pieces: np.ndarray

    @classmethod
    def of(cls, name: str, text: str) -> SourceText:
        normalised = normalise(text)
        loose_text = loose(normalised)
        return cls(name, normalised, loose_text, np.sort(_gram_hashes(loose_text)))

    def may_contain(self, part: str) -> bool:
        """False only when some piece of `part` (spaces and hyphens ignored) occurs nowhere in the source."""
        wanted = _gram_hashes(loose(part))
        if not len(wanted) or not len(self.pieces):
            return len(self.pieces) > 0 or len(loose(part)) < GRAM
        found = self.pieces[np.minimum(np.searchsorted(self.pieces, wanted), len(self.pieces) - 1)]
        return bool(np.all(found == wanted))


MAX_SCANNED_CHARS = 3_000_000_000
"""Characters of source text the quote check may scan in one build (a few seconds). Only a quote whose every
piece occurs in its source costs a scan; past the limit, quotes are reported as not checked."""


@dataclass
class ScanBudget:
    left: int

    def spend(self, chars: int) -> None:
        self.left -= chars

    @property
    def exhausted(self) -> bool:
        return self.left <= 0


def match(quote: str, source: SourceText, budget: ScanBudget | None = None) -> str | None:
    """ "exact", "loose" or None."""
    parts = _parts(quote)
    if not parts or not all(source.may_contain(part) for part in parts):
        return None
    if budget is not None:
        budget.spend(len(source.normalised) + len(source.loose))
    if _in_order(parts, source.normalised):
        return "exact"
    if _in_order([loose(part) for part in parts], source.loose):
        return "loose"
    return None


def divergence(quote: str, source: SourceText, budget: ScanBudget | None = None) -> str:
    """How much of the quote's first part occurs in the source, and where it stops matching."""
    parts = _parts(quote)
    first = parts[0] if parts else ""
    low, high = 0, len(first)
    while low < high:  # the longest prefix of `first` found in the source; presence is monotone
        middle = (low + high + 1) // 2
        if source.may_contain(first[:middle]) and _spent(budget, source) and first[:middle] in source.normalised:
            low = middle
        else:
            high = middle - 1
    if low < 8:
        return "no part of it occurs there"
    rest = first[low : low + 40]
    return f"the first {low} of {len(first)} characters match, then it differs at “{rest}”"


def _spent(budget: ScanBudget | None, source: SourceText) -> bool:
    """Count one scan of the source against the budget; always True, so it can sit in a condition."""
    if budget is not None:
        budget.spend(len(source.normalised))
    return True


def _source_file(root: Path, claim: Claim) -> Path | None:
    folder = root.joinpath(*SOURCES_DIR)
    for name in dict.fromkeys((claim.paper_id, claim.paper_base)):
        candidate = folder / f"{name.replace('/', '_')}.txt"
        if candidate.is_file() and not candidate.is_symlink() and not input_caps.oversized_source(candidate):
            return candidate  # an oversized source is reported by validation and not read
    return None


def _read(path: Path, root: Path, cache: dict[Path, SourceText]) -> SourceText:
    if path not in cache:
        text = path.read_bytes().decode("utf-8-sig", errors="replace")
        cache[path] = SourceText.of(path.relative_to(root).as_posix(), text)
    return cache[path]


def check_claim(site: Site, claim: Claim, cache: dict[Path, SourceText], budget: ScanBudget) -> QuoteCheck:
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
    if budget.exhausted:
        return QuoteCheck(
            "no-source", "not checked",
            f"Not checked: this build reached the quote check's limit of {MAX_SCANNED_CHARS:,} characters scanned.",
        )  # fmt: skip
    result = match(claim.source_quote, source, budget)
    if result == "exact":
        return QuoteCheck("verified", "quote verified", f"Found in {source.name}, comparing {NORMALISATION} alike.")
    if result == "loose":
        return QuoteCheck(
            "verified", "quote verified",
            f"Found in {source.name} when spaces and hyphens are ignored (text extraction split or joined words).",
        )  # fmt: skip
    return QuoteCheck(
        "not-found", "quote not found", f"Not found in {source.name}: {divergence(claim.source_quote, source, budget)}."
    )


_remembered: dict[tuple[Any, ...], tuple[QuoteCheck, int]] = {}
"""Checks made earlier in this process (`kb serve` rebuilds), by everything a check reads, with the characters
it scanned: an unchanged claim and source are not normalised and scanned again."""


def _remembered_check(site: Site, claim: Claim, cache: dict[Path, SourceText], budget: ScanBudget) -> QuoteCheck:
    """`check_claim`, reused when its inputs are unchanged. The budget is spent as the check spent it, and a check
    depends on the budget only through `exhausted` before it starts, so the outcome is the same as checking again."""
    path = _source_file(site.root, claim)
    paper = site.papers.get(claim.paper_base)
    stat = path.stat() if path is not None else None
    source = (path, stat.st_mtime_ns, stat.st_size) if stat is not None else None
    abstract = (paper.doc.path, paper.record.abstract) if paper is not None else None
    key = (site.root, claim.source_quote, claim.source_depth, claim.paper_id, claim.paper_base, source, abstract)
    if budget.exhausted:
        return check_claim(site, claim, cache, budget)
    if key in _remembered:
        check, scanned = _remembered[key]
        budget.spend(scanned)
        return check
    left = budget.left
    check = check_claim(site, claim, cache, budget)
    if len(_remembered) > 4 * len(site.corpus.claims):  # edits come and go: keep memory in step with the corpus
        _remembered.clear()
    _remembered[key] = (check, left - budget.left)
    return check


def check_quotes(site: Site) -> dict[str, QuoteCheck]:
    """The check of every claim's quote, by claim id; a quote missing from its source is a warning."""
    cache: dict[Path, SourceText] = {}
    checks: dict[str, QuoteCheck] = {}
    budget = ScanBudget(MAX_SCANNED_CHARS)
    limit_reported = False
    for claim in site.corpus.claims:
        check = _remembered_check(site, claim, cache, budget)
        checks[claim.claim_id] = check
        if check.label == "not checked" and not limit_reported:
            limit_reported = True
            site.problems.add(
                "quote-check-limit", Location(claim.ledger, claim.row), "source_quote",
                f"the quote check reached its limit of {MAX_SCANNED_CHARS:,} characters scanned; from here on, "
                "quotes are not checked",
                "this needs very many quotes that almost match very long sources: check the ledgers and records/sources/",
                Severity.WARNING,
            )  # fmt: skip
        if check.state == "not-found":
            site.problems.add(
                "quote-not-found", Location(claim.ledger, claim.row), "source_quote",
                f"the quote of claim `{claim.claim_id}` is not in the source text. {check.detail}",
                f"copy the passage exactly from the source; {NORMALISATION} are already ignored",
                Severity.WARNING,
            )  # fmt: skip
    return checks


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
