"""Which characters are invisible: one answer for the quote comparison (which drops them) and for pages
(which show them as codes)."""

from __future__ import annotations

import functools
import sys
import unicodedata


@functools.cache
def format_characters() -> frozenset[str]:
    """Every format character (category Cf in Python's Unicode database): bidi overrides, zero-width joiners,
    soft hyphens, BOMs. Made once per process, by asking about all 1.1 million code points (about 0.2 s), so
    that a text is then tested with one set operation in C instead of a lookup per character."""
    return frozenset(chr(code) for code in range(sys.maxunicode + 1) if unicodedata.category(chr(code)) == "Cf")
