"""The quote check's shortcuts change nothing a reader sees: same outcome, same characters counted.

A small source is scanned before its index is asked, and its index is built only if a quote
is not found; a large one is asked first. Both orders must give the same answer and spend
the same scan budget, or a check's outcome would depend on the length of its source.
"""

from __future__ import annotations

import sys
import unicodedata

import pytest

from generator.publish import quotes
from generator.publish.quotes import ScanBudget, SourceText, match, normalise

SOURCE = (
    "Table 2 shows the results. S2MoE consistently outperforms both baselines, regardless of backbone\n"
    "size  or the number of ex-\nperts activated, demonstrating its potential to scale up e\ufb00ectively.\n"
)
QUOTES = [
    "regardless of backbone size or the number of ex- perts activated",  # exact
    "S2MoE consistently outperforms ... scale up effectively",  # exact, in parts
    "number of ex-perts",  # loose
    "S2MoE consistently underperforms both baselines",  # every piece occurs, the quote does not
    "an unrelated sentence that is nowhere in the source",  # refused by the index alone
    "scale up effectively … S2MoE consistently outperforms",  # parts out of order
    "",
]


@pytest.mark.parametrize("quote", QUOTES)
def test_small_sources_scanned_first_agree_with_the_index(quote: str, monkeypatch: pytest.MonkeyPatch) -> None:
    outcomes = []
    for direct_scan_chars in (0, 10_000):  # the index first; the scan first
        monkeypatch.setattr(quotes, "DIRECT_SCAN_CHARS", direct_scan_chars)
        budget = ScanBudget(10**9)
        outcomes.append((match(quote, SourceText.of("fixture", SOURCE), budget), budget.left))
    assert outcomes[0] == outcomes[1]


def test_the_index_of_a_small_source_is_built_only_when_a_quote_is_not_found() -> None:
    source = SourceText.of("fixture", SOURCE)
    assert match("S2MoE consistently outperforms both baselines", source) == "exact"
    assert "pieces" not in vars(source)
    assert match("S2MoE consistently underperforms both baselines", source) is None
    assert "pieces" in vars(source)


def test_every_format_character_is_dropped() -> None:
    hidden = [chr(code) for code in range(sys.maxunicode + 1) if unicodedata.category(chr(code)) == "Cf"]
    assert len(hidden) > 100
    assert {normalise(f"in{ch}visible") for ch in hidden} == {"invisible"}
