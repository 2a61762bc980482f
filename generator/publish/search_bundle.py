"""Join Pagefind bundles built from disjoint sets of pages into the one bundle Pagefind would write for all of them.

Pagefind's binary holds every indexed page in memory until it writes the bundle, about 190 KB
per page (1.96 GB for 10,000 papers) whatever the size of the HTML it reads: its memory follows
the words it indexes, not its input. So search.py has it index the pages a batch at a time, each
batch in its own short-lived process, and this module joins the batches' bundles. The result is
what one run over every page writes: one word index split into chunks by Pagefind's own rule, one
metadata file, the batches' fragment files side by side. Results, ranking, snippets and the bytes
a first query fetches are those of a single index; no extra bundle is fetched in the browser
(Pagefind's `mergeIndex` would fetch one more 72 KB wasm file per batch).

search.py hands each batch's bundle to a BundleJoiner as soon as it is written, while the next batches are
indexed: its fragments are moved and its words read once, each word's page entries kept as the bytes Pagefind
wrote with only each batch's first page number written anew. Once the last batch is in, what is left is
sorting the words, concatenating bytes and compressing the chunks: at 10,000 papers about 0.5 s of CPU plus
2.7 s of gzip on two threads, where decoding, merging and re-encoding every batch there took 8-9 s of CPU.

The bundle format is Pagefind 1.x's (checked against 1.5.2 by tests/test_search_bundle.py): gzip
files whose content is `pagefind_dcd` then CBOR. The word index is a list of
`[word, pages, variants]`, each page `[page number minus the previous one, locations, meta
locations]`, each variant (the word with its diacritics) `[spelling, pages]`; the metadata is
`[version, pages as [fragment hash, word count], chunks as [from, to, hash], filters, sorts,
meta fields]`. Locations are per page, so only page numbers change when bundles are joined.
"""

from __future__ import annotations

import concurrent.futures
import functools
import gzip
import hashlib
import itertools
import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MAGIC = b"pagefind_dcd"
ENTRY_FILE = "pagefind-entry.json"
# Pagefind closes a word-index chunk once the locations in it (plus one per page) reach this
# (chunk_index in pagefind/src/index/mod.rs): a query fetches one chunk per word it searches.
CHUNK_LOCATIONS = 20_000


class BundleFormatError(ValueError):
    """A batch bundle holds something this module cannot join (a newer format, filters, sorts)."""


class _Pages:
    """A word's (or a variant's) pages joined so far: the CBOR page entries of each batch, the first with its page
    number shifted to follow the previous batch's last page. Each entry holds its page number minus the one
    before (the first, the page number itself), so the rest of a batch's entries are copied as they are."""

    __slots__ = ("count", "entries", "last")

    def __init__(self) -> None:
        self.count = 0
        self.last = 0  # the last page's number in the joined index
        self.entries: list[bytes] = []

    def add(self, count: int, first: int, last: int, rest: bytes) -> None:
        """Add a batch's `count` pages, numbered `first` to `last` in the joined index; `rest` holds the entries
        from just after the first page number."""
        self.entries += [_ARRAY_OF_3_HEAD, _unsigned(first - self.last), rest]
        self.count += count
        self.last = last

    def encoded(self) -> bytes:
        return _array_head(self.count) + b"".join(self.entries)


class _Word:
    __slots__ = ("pages", "size", "text", "variants")

    def __init__(self, text: bytes) -> None:
        self.text = text  # the word as CBOR text
        self.size = 0  # what its pages count towards CHUNK_LOCATIONS
        self.pages = _Pages()
        self.variants: dict[bytes, _Pages] = {}  # by CBOR text, in the order first met, as Pagefind has them

    def encoded(self) -> bytes:
        encoded = [_ARRAY_OF_3_HEAD, self.text, self.pages.encoded(), _array_head(len(self.variants))]
        for variant, pages in self.variants.items():
            encoded += [_ARRAY_OF_2_HEAD, variant, pages.encoded()]
        return b"".join(encoded)


@dataclass(frozen=True)
class _Part:
    bundle: Path
    language: str
    meta: list[Any]  # the decoded metadata file
    first_page: int  # number of this batch's first page in the joined index


class BundleJoiner:
    """Joins into `out` bundles added in page order. Each is read when added, so that `search.py` reads a batch's
    bundle while the next batches are still being indexed; what is left once the last is added is sorting the
    words and writing the word index."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self._parts: list[_Part] = []
        self._pages: list[list[object]] = []  # the joined metadata page list
        self._words: dict[bytes, _Word] = {}  # by UTF-8, whose order is Pagefind's

    def add(self, bundle: Path) -> None:
        """Take in a bundle: its fragment files are moved, not copied, so it is left incomplete."""
        first = self._parts[0] if self._parts else None
        part = _load_part(bundle, len(self._pages), first)
        self._parts.append(part)
        if first is None:
            self.out.mkdir(parents=True, exist_ok=True)
            (self.out / "fragment").mkdir(exist_ok=True)
        self._pages += _move_fragments(part, self.out / "fragment")
        words = self._words
        for key, text, size, pages, variants in _part_words(part):
            word = words.get(key)
            if word is None:
                word = words[key] = _Word(text)
            word.size += size
            if pages:
                word.pages.add(*pages)
            for variant, variant_pages in variants:
                joined = word.variants.get(variant)
                if joined is None:
                    joined = word.variants[variant] = _Pages()
                if variant_pages:
                    joined.add(*variant_pages)

    def write(self) -> int:
        """Write the rest of the joined bundle; return its page count."""
        if not self._parts:
            raise BundleFormatError("no Pagefind bundle to join")
        first = self._parts[0]
        language = first.language
        for asset in first.bundle.iterdir():
            if asset.is_file() and asset.name != ENTRY_FILE and asset.suffix != ".pf_meta":
                shutil.copyfile(asset, self.out / asset.name)
        chunks = _write_word_index(self._words, self.out / "index", language)
        meta = _encode([first.meta[0], self._pages, chunks, [], [], first.meta[5]])
        meta_hash = f"{language}_{_full_hash(meta)[: len(language) + 8]}"
        _write_gzip(self.out / f"pagefind.{meta_hash}.pf_meta", meta)
        entry = json.loads((first.bundle / ENTRY_FILE).read_text(encoding="utf-8"))
        wasm = entry["languages"][language].get("wasm")
        entry["languages"] = {language: {"hash": meta_hash, "wasm": wasm, "page_count": len(self._pages)}}
        (self.out / ENTRY_FILE).write_text(
            json.dumps(entry, ensure_ascii=False, separators=(",", ":")), encoding="utf-8"
        )
        return len(self._pages)


def _load_part(bundle: Path, first_page: int, first: _Part | None) -> _Part:
    entry = json.loads((bundle / ENTRY_FILE).read_text(encoding="utf-8"))
    if len(entry["languages"]) != 1:
        raise BundleFormatError(f"{bundle}: one language expected, found {sorted(entry['languages'])}")
    ((language, about),) = entry["languages"].items()
    meta = _decode_all(_read_gzip(bundle / f"pagefind.{about['hash']}.pf_meta"))
    if not isinstance(meta, list) or len(meta) != 6:
        raise BundleFormatError(f"{bundle}: unknown Pagefind metadata layout")
    if meta[3] or meta[4]:
        raise BundleFormatError(f"{bundle}: Pagefind filters and sorts cannot be joined")
    if first and (language, meta[0], meta[5]) != (first.language, first.meta[0], first.meta[5]):
        raise BundleFormatError(f"{bundle}: language, version or meta fields differ from {first.bundle}")
    return _Part(bundle, language, meta, first_page)


def _move_fragments(part: _Part, fragments: Path) -> list[list[object]]:
    """Move a part's fragment files into `fragments`; return its pages for the joined metadata page list.

    Fragment names are a 7-digit prefix of a hash of their content, unique within one Pagefind
    run only: a name two batches both use for different pages is lengthened, as Pagefind does."""
    renamed: dict[str, str] = {}
    for source in sorted((part.bundle / "fragment").iterdir()):
        name = source.name.removesuffix(".pf_fragment")
        target = fragments / source.name
        if target.exists():
            content = _read_gzip(source)
            if _read_gzip(target) == content:
                continue
            digest = f"{part.language}_{_full_hash(content)}"
            length = len(name) + 1
            while (fragments / f"{digest[:length]}.pf_fragment").exists():
                length += 1
            renamed[name] = digest[:length]
            target = fragments / f"{renamed[name]}.pf_fragment"
        source.rename(target)
    return [[renamed.get(page_hash, page_hash), word_count] for page_hash, word_count in part.meta[1]]


def _write_word_index(words: dict[bytes, _Word], index: Path, language: str) -> list[list[str]]:
    """Write the joined word index in Pagefind's chunks; return the metadata's chunk list.

    Chunks are compressed (gzip, the slowest step) on a second core while the next is put together."""
    index.mkdir(exist_ok=True)
    chunks: list[list[str]] = []  # [first word, last word, hash] until prefixes are set below
    names: set[str] = set()
    encoded: list[bytes] = []
    first_word = last_word = b""
    size = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as writer:
        writes = []

        def close_chunk() -> None:
            content = _array_head(1) + _array_head(len(encoded)) + b"".join(encoded)
            chunks.append([first_word.decode(), last_word.decode(), _chunk_name(content, language, names)])
            writes.append(writer.submit(_write_gzip, index / f"{chunks[-1][2]}.pf_index", content))

        for key in sorted(words):
            word = words[key]
            if not encoded:
                first_word = key
            encoded.append(word.encoded())
            size += word.size
            last_word = key
            if size >= CHUNK_LOCATIONS:
                close_chunk()
                encoded, size = [], 0
        if encoded:
            close_chunk()
        for write in writes:
            write.result()
    for before, after in itertools.pairwise(chunks):
        last, first = _distinct_prefixes(before[1], after[0])
        # A shortened last word that would sort before the chunk's first stays whole, as Pagefind has it
        # (seen at 10,000 papers: a chunk from "1060" to "10⁵" followed by one from "11").
        before[1] = last if last >= before[0] else before[1]
        after[0] = first
    return chunks


def _distinct_prefixes(a: str, b: str) -> tuple[str, str]:
    """The shortest prefixes telling the last word of a chunk from the first of the next (Pagefind's get_prefixes)."""
    common = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        common += 1
    return a[: common + 1], b[: common + 1]


def _chunk_name(content: bytes, language: str, taken: set[str]) -> str:
    """Pagefind's name for a chunk: the language and 7 digits of its hash, more if another chunk has them."""
    digest = f"{language}_{_full_hash(content)}"
    length = len(language) + 8
    while digest[:length] in taken:
        length += 1
    taken.add(digest[:length])
    return digest[:length]


_BatchPages = tuple[int, int, int, bytes] | None
"""A word's pages in one batch, for _Pages.add: their count, first and last page number in the joined index, the
entries from just after the first page number; None when it has none."""


def _part_words(
    part: _Part,
) -> Iterator[tuple[bytes, bytes, int, _BatchPages, list[tuple[bytes, _BatchPages]]]]:
    """Every word of a part: its UTF-8 (the joined index's sort key), its CBOR text, what its pages count towards
    CHUNK_LOCATIONS, its pages, its variants as (CBOR text, pages)."""
    first_page = part.first_page
    for chunk in part.meta[2]:
        data = _read_gzip(part.bundle / "index" / f"{chunk[2]}.pf_index")
        length, at = _array_at(data, 0)
        if length != 1:
            raise BundleFormatError(f"{part.bundle}: unknown Pagefind word index layout")
        length, at = _array_at(data, at)
        for _ in range(length):
            if data[at] != _ARRAY_OF_3:
                raise BundleFormatError(f"{part.bundle}: unknown Pagefind word layout at byte {at}")
            start, end = _text_at(data, at + 1)
            key, text = data[start:end], data[at + 1 : end]
            pages, size, at = _pages_at(data, end, first_page)
            count, at = _array_at(data, at)
            variants = []
            for _ in range(count):
                if data[at] != _ARRAY_OF_2:
                    raise BundleFormatError(f"{part.bundle}: unknown Pagefind word variant layout at byte {at}")
                _, end = _text_at(data, at + 1)
                variant = data[at + 1 : end]
                variant_pages, _, at = _pages_at(data, end, first_page)
                variants.append((variant, variant_pages))
            yield key, text, size, pages, variants
        if at != len(data):
            raise BundleFormatError(f"{part.bundle}: bytes left after the word index")


def _pages_at(data: bytes, at: int, first_page: int) -> tuple[_BatchPages, int, int]:
    """Read a word's page list at `at`, stepping over the locations without decoding them (the bulk of the index):
    its pages, what they count towards CHUNK_LOCATIONS, where the list ends."""
    count, at = _array_at(data, at)
    if not count:
        return None, 0, at
    page, size, first, start = first_page, 0, first_page, at
    widths = _INTEGER_WIDTH
    for entry in range(count):
        if data[at] != _ARRAY_OF_3:
            raise BundleFormatError(f"unknown Pagefind page layout at byte {at}")
        if data[at + 1] < 24:  # a page number step under 24 fits the head byte, as most do
            page, at = page + data[at + 1], at + 2
        else:
            step, at = _integer_at(data, at + 1)
            page += step
        if entry == 0:
            first, start = page, at
        short = _SHORT_LOCATIONS.match(data, at)
        if short is not None:  # one regular expression steps over both lists, as it does over most
            size += data[at] + data[short.end(1)] - 2 * 0x80 + 1
            at = short.end()
            continue
        for _ in range(2):  # locations, then meta locations
            if 0x80 <= data[at] < 0x98:  # an array of under 24 items has its length in the head byte
                length, at = data[at] - 0x80, at + 1
            else:
                length, at = _array_at(data, at)
            size += length
            for _ in range(length):
                width = widths[data[at]]
                if not width:
                    raise BundleFormatError(f"CBOR integer expected at byte {at}")
                at += width
        size += 1
    return (count, first, page, data[start:at]), size, at


def _full_hash(data: bytes) -> str:
    """Pagefind's content hash: SHA-1 with each byte in hex without its leading zero."""
    return "".join(f"{byte:x}" for byte in hashlib.sha1(data).digest())


def _read_gzip(path: Path) -> bytes:
    data = gzip.decompress(path.read_bytes())
    if not data.startswith(MAGIC):
        raise BundleFormatError(f"{path}: not a Pagefind data file")
    return data[len(MAGIC) :]


GZIP_LEVEL = 7
"""Joined index files are compressed at level 7, not Pagefind's 9: at 10,000 papers that is 4.3 s less CPU for
1.7 % more bytes (about 0.5 KB more per word-index chunk a query fetches)."""


def _write_gzip(path: Path, content: bytes) -> None:
    path.write_bytes(gzip.compress(MAGIC + content, compresslevel=GZIP_LEVEL, mtime=0))


def _decode_all(data: bytes) -> object:
    value, at = _value_at(data, 0)
    if at != len(data):
        raise BundleFormatError("bytes left after a Pagefind CBOR value")
    return value


# Just enough CBOR (RFC 8949) to read Pagefind's files: integers, text and definite-length arrays.
_ARRAY_OF_2, _ARRAY_OF_3 = 0x82, 0x83
_ARRAY_OF_2_HEAD, _ARRAY_OF_3_HEAD = bytes([_ARRAY_OF_2]), bytes([_ARRAY_OF_3])
# The length in bytes of a CBOR integer, by its first byte; 0 where that byte starts no integer.
_INTEGER_WIDTH = bytes(
    (1 if byte & 31 < 24 else 1 + (1 << ((byte & 31) - 24))) if byte >> 5 in (0, 1) and byte & 31 < 28 else 0
    for byte in range(256)
)

_CBOR_INTEGER = rb"(?:[\x00-\x17\x20-\x37]|[\x18\x38].|[\x19\x39].{2}|[\x1a\x3a].{4}|[\x1b\x3b].{8})"
_SHORT_ARRAY = (
    b"(" + b"|".join(rb"\x%02x" % (0x80 + length) + _CBOR_INTEGER + b"{%d}" % length for length in range(24)) + b")"
)
_SHORT_LOCATIONS = re.compile(_SHORT_ARRAY * 2, re.DOTALL)
"""A page's locations and meta locations when both are arrays of under 24 integers (their length in the head byte)."""


def _head_at(data: bytes, at: int) -> tuple[int, int, int]:
    """(major type, value, position after the head) of the CBOR item at `at`."""
    major, extra = data[at] >> 5, data[at] & 31
    if extra < 24:
        return major, extra, at + 1
    if extra > 27:
        raise BundleFormatError(f"unsupported CBOR item at byte {at}")
    width = 1 << (extra - 24)
    return major, int.from_bytes(data[at + 1 : at + 1 + width], "big"), at + 1 + width


def _array_at(data: bytes, at: int) -> tuple[int, int]:
    major, length, after = _head_at(data, at)
    if major != 4:
        raise BundleFormatError(f"CBOR array expected at byte {at}")
    return length, after


def _integer_at(data: bytes, at: int) -> tuple[int, int]:
    major, value, after = _head_at(data, at)
    if major not in (0, 1):
        raise BundleFormatError(f"CBOR integer expected at byte {at}")
    return (value if major == 0 else -1 - value), after


def _text_at(data: bytes, at: int) -> tuple[int, int]:
    """Where the UTF-8 of the CBOR text at `at` starts and ends."""
    major, length, after = _head_at(data, at)
    if major != 3:
        raise BundleFormatError(f"CBOR text expected at byte {at}")
    return after, after + length


def _value_at(data: bytes, at: int) -> tuple[object, int]:
    major = data[at] >> 5
    if major in (0, 1):
        return _integer_at(data, at)
    if major == 3:
        start, end = _text_at(data, at)
        return data[start:end].decode("utf-8"), end
    length, at = _array_at(data, at)
    values = []
    for _ in range(length):
        value, at = _value_at(data, at)
        values.append(value)
    return values, at


def _head(major: int, value: int) -> bytes:
    if value < 24:
        return bytes([major << 5 | value])
    for extra, width in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if value < 1 << (8 * width):
            return bytes([major << 5 | extra]) + value.to_bytes(width, "big")
    raise BundleFormatError(f"integer too large for CBOR: {value}")


@functools.cache  # page numbers and list lengths: a few thousand values, each met many times
def _unsigned(value: int) -> bytes:
    return _head(0, value)


@functools.cache
def _array_head(length: int) -> bytes:
    return _head(4, length)


def _encode(value: object) -> bytes:
    """CBOR as minicbor writes Pagefind's files: shortest heads, definite lengths."""
    if isinstance(value, bool):
        raise BundleFormatError("booleans do not occur in Pagefind's files")
    if isinstance(value, int):
        return _head(0, value) if value >= 0 else _head(1, -1 - value)
    if isinstance(value, str):
        encoded = value.encode("utf-8")
        return _head(3, len(encoded)) + encoded
    if isinstance(value, list):
        return _array_head(len(value)) + b"".join(_encode(item) for item in value)
    raise BundleFormatError(f"cannot write {type(value).__name__} in a Pagefind file")
