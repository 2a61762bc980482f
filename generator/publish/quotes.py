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

import contextlib
import functools
import itertools
import operator
import os
import re
import stat
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from generator import input_caps
from generator.file_names import stamp_of
from generator.model.characters import format_characters
from generator.model.records import Claim, Paper
from generator.model.site import Corpus, Loaded, QuoteCheck, Site
from generator.pipeline import forked
from generator.problems import Location, Problem, Problems, Severity

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
_LINE_BREAK_HYPHEN = re.compile(r"-(?<=\w-)\s+(?=\w)")  # starts with `-`: the regex engine looks for it fast
_ELLIPSIS = re.compile(r"\s*(?:\[\s*\.\.\.\s*\]|\(\s*\.\.\.\s*\)|\.\.\.)\s*")


@functools.cache
def _changed_characters() -> re.Pattern[str]:
    """Every character `normalise` deletes or replaces: invisible format characters (`format_characters`) and
    the quote and dash styles of `_PLAIN`, as one class of code point ranges."""
    codes = sorted({ord(character) for character in format_characters()} | {*_PLAIN})
    ranges: list[list[int]] = []
    for code in codes:
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    spans = (re.escape(chr(low)) + (f"-{re.escape(chr(high))}" if high > low else "") for low, high in ranges)
    return re.compile(f"[{''.join(spans)}]")


def _visible_and_plain(text: str) -> str:
    """Format characters dropped, quotes and dashes made plain: one scan in C, Python only where one occurs."""
    return _changed_characters().sub(lambda found: _PLAIN.get(ord(found.group()), ""), text)


def normalise(text: str) -> str:
    if text.isascii():  # no ligatures, soft hyphens or format characters; translating ASCII is fast
        text = text.translate(_PLAIN)
    else:
        text = unicodedata.normalize("NFKC", text)
        text = _SOFT_HYPHEN_BREAK.sub("", text)
        text = _visible_and_plain(text)
    text = _LINE_BREAK_HYPHEN.sub("", text)
    return " ".join(text.split()).casefold()


def loose(normalised: str) -> str:
    """Spaces and hyphens dropped. In normalised text every run of whitespace is one space."""
    return normalised.replace(" ", "").replace("-", "")


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


DIRECT_SCAN_CHARS = 4_096
"""A source up to this long (an abstract, say) is scanned for a quote straight away, which costs less than asking
its index; the index is then built only if some quote is not found."""


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

    @classmethod
    def of(cls, name: str, text: str) -> SourceText:
        normalised = normalise(text)
        return cls(name, normalised, loose(normalised))

    @functools.cached_property
    def pieces(self) -> np.ndarray:
        """The index, built when first asked for."""
        return np.sort(_gram_hashes(self.loose))

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
    """ "exact", "loose" or None.

    A large source is scanned only when its index shows every piece of the quote occurs in it; a small one is
    scanned first. Either way the scan is counted exactly when the index allows it (a match implies it does)."""
    parts = _parts(quote)
    if not parts:
        return None
    small = len(source.normalised) <= DIRECT_SCAN_CHARS
    found = _scan(parts, source) if small else None
    if found is None and not all(source.may_contain(part) for part in parts):
        return None
    if budget is not None:
        budget.spend(len(source.normalised) + len(source.loose))
    return found if small else _scan(parts, source)


def _scan(parts: list[str], source: SourceText) -> str | None:
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


Papers = Mapping[str, Loaded[Paper]]
"""Paper records by versionless id, their abstracts completed from BibTeX: what a check reads of them."""

SourceFile = tuple[str, int, int]
"""A cached source text on disk: its path, modification time and size (what a remembered check depends on).
The path is text: a remembered check is found by comparing keys, and paths compare in Python, text in C."""


@dataclass
class SourceCache:
    """What one run of the quote check has looked up, each once: a paper's source file and every normalised text.

    Many claims share a paper, so per claim this costs dictionary lookups instead of file system calls; and the
    folder is listed once, so a paper without a source text costs no file system call at all."""

    root: Path
    root_text: str = field(init=False)
    """The root in a remembered check's key: made once here, not once per claim."""
    files: dict[str, SourceFile | None] = field(default_factory=dict)
    texts: dict[str, SourceText] = field(default_factory=dict)
    listed: set[str] | None = None  # the source folder's file names, case-folded
    outcomes: dict[QuoteCheck, QuoteCheck] = field(default_factory=dict)  # one object per distinct outcome

    def __post_init__(self) -> None:
        self.root_text = self.root.as_posix()

    def source_file(self, claim: Claim) -> SourceFile | None:
        if claim.paper_id not in self.files:
            folder = os.path.join(self.root_text, *SOURCES_DIR)
            if self.listed is None:
                self.listed = _listed(folder)
            self.files[claim.paper_id] = _source_file(folder, claim, self.listed)
        return self.files[claim.paper_id]

    def text(self, key: str, make: Callable[[], SourceText]) -> SourceText:
        """The source known by `key` (a file's path, or the abstract in one record), made when first asked for."""
        if key not in self.texts:
            self.texts[key] = make()
        return self.texts[key]


def _listed(folder: str) -> set[str]:
    try:
        return {name.casefold() for name in os.listdir(folder)}
    except OSError:  # no folder, or not one that can be read: no source texts, as when each file is looked for
        return set()


def _source_file(folder: str, claim: Claim, listed: set[str]) -> SourceFile | None:
    """The claim's cached source text: a regular file, not a link, within the size cap (an oversized source is
    reported by validation). One `lstat` a paper: 13,000 papers with sources at 10,000."""
    for name in dict.fromkeys((claim.paper_id, claim.paper_base)):
        file_name = _file_name(name)
        if file_name.casefold() not in listed:  # case-folded: a case-insensitive file system would find it
            continue
        candidate = os.path.join(folder, file_name)
        try:
            found = os.lstat(candidate)
        except OSError:
            continue
        if stat.S_ISREG(found.st_mode) and found.st_size <= input_caps.MAX_SOURCE_TEXT_BYTES:
            return candidate, found.st_mtime_ns, found.st_size
    return None


def _file_name(paper_id: str) -> str:
    return f"{paper_id.replace('/', '_')}.txt"


def check_claim(papers: Papers, claim: Claim, cache: SourceCache, budget: ScanBudget) -> QuoteCheck:
    if not claim.source_quote.strip():
        return QuoteCheck("no-quote", "no quote recorded", "The ledger row has no source_quote to check.")
    found = cache.source_file(claim)
    if found is not None:
        source = cache.text(found[0], lambda: _source_text(Path(found[0]), cache.root))
    elif claim.source_depth == "abstract":
        paper = papers.get(claim.paper_base)
        if paper is None or not paper.record.abstract.strip():
            return QuoteCheck(
                "no-source", "no source text",
                "source_depth is abstract, but the paper's record has no abstract to check the quote against.",
            )  # fmt: skip
        name, abstract = f"the abstract in {paper.doc.path}", paper.record.abstract
        source = cache.text(name, lambda: SourceText.of(name, abstract))
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


def _source_text(path: Path, root: Path) -> SourceText:
    return SourceText.of(path.relative_to(root).as_posix(), path.read_bytes().decode("utf-8-sig", errors="replace"))


_remembered: dict[tuple[Any, ...], tuple[QuoteCheck, int]] = {}
"""Checks made earlier in this process (`kb serve` rebuilds), by everything a check reads, with the characters
it scanned: an unchanged claim and source are not normalised and scanned again."""


def _remembered_check(corpus: Corpus, claim: Claim, cache: SourceCache, budget: ScanBudget) -> QuoteCheck:
    """`check_claim`, reused when its inputs are unchanged. The budget is spent as the check spent it, and a check
    depends on the budget only through `exhausted` before it starts, so the outcome is the same as checking again."""
    key = (
        cache.root_text,
        claim.source_quote,
        claim.source_depth,
        claim.paper_id,
        claim.paper_base,
        cache.source_file(claim),
        _abstract(corpus.papers.get(claim.paper_base)),
    )
    if budget.exhausted:
        return check_claim(corpus.papers, claim, cache, budget)
    if key in _remembered:
        check, scanned = _remembered[key]
        budget.spend(scanned)
        return check
    left = budget.left
    check = check_claim(corpus.papers, claim, cache, budget)
    check = cache.outcomes.setdefault(check, check)  # claims of one paper share an outcome: keep it once
    if len(_remembered) > 4 * len(corpus.claims):  # edits come and go: keep memory in step with the corpus
        _remembered.clear()
    _remembered[key] = (check, left - budget.left)
    return check


def _abstract(paper: Loaded[Paper] | None) -> tuple[str, str] | None:
    """What a check may read of a paper record: the abstract, and the file it is in."""
    return (paper.doc.path, paper.record.abstract) if paper is not None else None


@dataclass(frozen=True)
class _Read:
    """What the checks of one build read besides the claims: the root, the paper records by versionless id, and
    each entry of the source folder with its `lstat` (mode, size, modification time, inode)."""

    root: str
    papers: Papers
    sources: dict[str, tuple[int, int, int, int]]


def _read(root: str, corpus: Corpus) -> _Read:
    try:
        with os.scandir(os.path.join(root, *SOURCES_DIR)) as entries:
            found = {entry.name: entry.stat(follow_symlinks=False) for entry in entries}
    except OSError:  # no folder, or it changes while listed: every source counts as changed
        found = {}
    sources = {name: (got.st_mode, *stamp_of(got)) for name, got in found.items()}
    return _Read(root, corpus.papers, sources)


Changed = tuple[set[str], set[str]]
"""Since the last build: the versionless ids of the papers whose abstract (or its file) is another, and the
source file names, case-folded, of the entries added, removed or changed."""


def _changed(last: _Read, now: _Read) -> Changed | None:
    """None when the last build read another root, or none ran yet."""
    if last.root != now.root:
        return None
    other = itertools.compress(now.papers, map(operator.is_not, now.papers.values(), map(last.papers.get, now.papers)))
    papers = {base for base in other if _abstract(last.papers.get(base)) != _abstract(now.papers[base])}
    papers |= last.papers.keys() - now.papers.keys()
    return papers, {name.casefold() for name, _ in now.sources.items() ^ last.sources.items()}


@dataclass(frozen=True)
class _Run:
    """One ledger's claims as a build checked them, with what they reported and what their checks read."""

    claims: list[Claim]
    papers: frozenset[str]
    """The papers' versionless ids: each check reads its paper's abstract."""
    names: frozenset[str]
    """The source file names, case-folded, each check looks for (with and without version)."""
    scanned: int
    checks: dict[str, QuoteCheck]
    problems: tuple[Problem, ...]

    def holds(self, claims: list[Claim], changed: Changed | None, budget: ScanBudget) -> bool:
        """Whether checking `claims` again would give these checks: the claims are equal (the very same objects
        while the ledger is unchanged), nothing they read has changed, and the budget lasts through them, so
        that no check among them would meet the limit."""
        return (
            changed is not None
            and budget.left > self.scanned
            and self.claims == claims
            and changed[0].isdisjoint(self.papers)
            and changed[1].isdisjoint(self.names)
        )


@dataclass
class _Memory:
    """The last build's runs by ledger and what it read (`kb serve`): a rebuild takes the checks and problems of
    an unchanged ledger whole, instead of looking up 100,000 claims one by one."""

    read: _Read = field(default_factory=lambda: _Read("", {}, {}))
    runs: dict[str, _Run] = field(default_factory=dict)
    checks: tuple[list[_Run], dict[str, QuoteCheck]] = ([], {})
    """All runs of the last build in order, and their checks together: 100,000 of them, made once."""


_last = _Memory()


def _run_checked(
    corpus: Corpus,
    claims: list[Claim],
    cache: SourceCache,
    budget: ScanBudget,
    changed: Changed | None,
    report: _Report,
) -> _Run:
    """The checks of one ledger's claims, taken from the last build when they hold."""
    known = _last.runs.get(claims[0].ledger)
    if known is not None and known.holds(claims, changed, budget):
        budget.spend(known.scanned)
        return known
    left = budget.left
    outcomes = [_remembered_check(corpus, claim, cache, budget) for claim in claims]
    ids = {claim.paper_id: claim.paper_base for claim in claims}
    names = frozenset(_file_name(name).casefold() for pair in ids.items() for name in pair)
    return _Run(claims, frozenset(ids.values()), names, left - budget.left, *report(claims, outcomes))


FORK_FROM_CLAIMS = 5_000
"""Fewer claims than this are checked on one core: a fork would cost more than it saves."""
SHARE_HERE = 0.2
"""With a fork, the share of the claims this process checks: meanwhile it also links the corpus and runs the
build's other checks, which together take about two thirds as long as the quote checks."""


@contextlib.contextmanager
def checking_quotes(
    root: Path, corpus: Corpus, problems: Problems, fork: bool = False
) -> Iterator[Callable[[], dict[str, QuoteCheck]]]:
    """A function that gives the check of every claim's quote, by claim id; a quote missing from its source
    is a warning, added to `problems` when the function is called.

    The checks read the claims, the cached source texts and the papers' abstracts (completed from BibTeX), so
    they need no linking. With `fork` (no server threads run beside this one), a forked process starts now on
    the last claims, so the caller can link and check the rest before asking. The outcome is the same as on one
    core: a check depends on the budget only through `exhausted` before it starts, and a claim the budget would
    not have reached is checked again here."""
    claims = corpus.claims
    forking = fork and forked.can_fork() and len(claims) >= FORK_FROM_CLAIMS
    here = int(len(claims) * SHARE_HERE) if forking else len(claims)
    if forking:
        _changed_characters()  # made once, before the fork that inherits it
    with forked.part_beside(claims[here:], functools.partial(_checked_with_scans, root, corpus)) as checked_there:
        yield lambda: _all_checked(root, corpus, problems, here, checked_there, remember=not fork)


def _all_checked(
    root: Path,
    corpus: Corpus,
    problems: Problems,
    here: int,
    checked_there: Callable[[], list[tuple[QuoteCheck, int]]],
    remember: bool,
) -> dict[str, QuoteCheck]:
    """The first `here` claims checked in this process, ledger by ledger, the rest as `checked_there` gives them,
    all against one budget, and every problem reported in claim order. With `remember` (`kb serve`), each ledger's
    run is kept for the next build, which takes it whole while nothing it read changed."""
    cache = SourceCache(root)
    budget = ScanBudget(MAX_SCANNED_CHARS)
    report = _Report()
    claims = corpus.claims
    read = _read(cache.root_text, corpus) if remember else None  # before any check reads: a later change shows
    changed = _changed(_last.read, read) if read is not None else None  # as one next build
    runs, kept = [], {}
    for ledger_claims in _by_ledger(claims[:here], _last.runs):
        run = _run_checked(corpus, ledger_claims, cache, budget, changed, report)
        runs.append(run)
        if not budget.exhausted:  # no claim of the run met the limit: its checks hold whenever the budget lasts
            kept[ledger_claims[0].ledger] = run
    outcomes = []
    for claim, (check, scanned) in zip(claims[here:], checked_there(), strict=True):
        if budget.exhausted:
            check = check_claim(corpus.papers, claim, cache, budget)  # past the limit on one core too: not checked
        else:
            budget.spend(scanned)
        outcomes.append(check)
    last_runs, together = _last.checks
    if len(runs) != len(last_runs) or not all(map(operator.is_, runs, last_runs)):
        together = {}
        for run in runs:
            together.update(run.checks)
    if read is not None:
        _last.read, _last.runs, _last.checks = read, kept, (runs, together)
    for run in runs:
        problems.extend(run.problems)
    checks = dict(together)  # the caller's own: what is remembered is never handed out
    checked, found = report(claims[here:], outcomes)
    checks.update(checked)
    problems.extend(found)
    return checks


def _by_ledger(claims: list[Claim], known: dict[str, _Run]) -> Iterator[list[Claim]]:
    """The claims in runs of one ledger each (a ledger's claims follow one another). Where the last build's run of
    a ledger ended is tried first, so that an unchanged ledger's claims are not looked at one by one."""
    start = 0
    while start < len(claims):
        ledger = claims[start].ledger
        end = start + len(known[ledger].claims) if ledger in known else start + 1
        if (
            end > len(claims)
            or claims[end - 1].ledger != ledger
            or (end < len(claims) and claims[end].ledger == ledger)
        ):
            end = start + 1
            while end < len(claims) and claims[end].ledger == ledger:
                end += 1
        yield claims[start:end]
        start = end


class _Report:
    """Checks by claim id and the problems they raise, in claim order; the scan limit is reported once, at the
    first claim it left unchecked."""

    def __init__(self) -> None:
        self.limit_reported = False

    def __call__(
        self, claims: Sequence[Claim], outcomes: Sequence[QuoteCheck]
    ) -> tuple[dict[str, QuoteCheck], tuple[Problem, ...]]:
        found = Problems()
        for claim, check in zip(claims, outcomes, strict=True):
            if check.label == "not checked" and not self.limit_reported:
                self.limit_reported = True
                found.add(
                    "quote-check-limit", Location(claim.ledger, claim.row), "source_quote",
                    f"the quote check reached its limit of {MAX_SCANNED_CHARS:,} characters scanned; from here on, "
                    "quotes are not checked",
                    "this needs very many quotes that almost match very long sources: check the ledgers and records/sources/",
                    Severity.WARNING,
                )  # fmt: skip
            if check.state == "not-found":
                found.add(
                    "quote-not-found", Location(claim.ledger, claim.row), "source_quote",
                    f"the quote of claim `{claim.claim_id}` is not in the source text. {check.detail}",
                    f"copy the passage exactly from the source; {NORMALISATION} are already ignored",
                    Severity.WARNING,
                )  # fmt: skip
        return dict(zip(map(operator.attrgetter("claim_id"), claims), outcomes, strict=True)), found.since(0)


def _checked_with_scans(root: Path, corpus: Corpus, claims: Sequence[Claim]) -> list[tuple[QuoteCheck, int]]:
    """Each of `claims` checked with a budget of its own, with the characters its check scanned."""
    cache, budget, checked = SourceCache(root), ScanBudget(MAX_SCANNED_CHARS), []
    for claim in claims:
        left = budget.left
        checked.append((_remembered_check(corpus, claim, cache, budget), left - budget.left))
    return checked


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
