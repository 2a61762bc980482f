"""Which characters are invisible: one answer for the quote comparison (which drops them) and for pages
(which show them as codes)."""

from __future__ import annotations

import functools
import unicodedata

FORMAT_PLANES = (0, 1, 14)
"""The Unicode planes that hold format characters; the others hold none (a test asks about every code point of this
Python's Unicode database)."""


@functools.cache
def format_characters() -> frozenset[str]:
    """Every format character (category Cf in Python's Unicode database): bidi overrides, zero-width joiners,
    soft hyphens, BOMs. Made once per process, by asking about the 196,608 code points of FORMAT_PLANES (0.02 s;
    all 1.1 million took 0.16 s, on the one core `kb validate` uses before it forks), so that a text is then tested
    with one set operation in C instead of a lookup per character."""
    return frozenset(
        chr(code)
        for plane in FORMAT_PLANES
        for code in range(plane << 16, (plane + 1) << 16)
        if unicodedata.category(chr(code)) == "Cf"
    )
