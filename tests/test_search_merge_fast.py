"""The search bundle joined from many batches holds, byte for byte, each batch's words and pages in order.

`index_site` has Pagefind index a site a few pages at a time and joins each batch's bundle as it is done
(generator/publish/search_bundle.py copies each word's page entries as bytes, shifting only the first page
number of each batch). Here a site of 80 pages is indexed in batches of 9, each batch's bundle is kept, and
the joined word index is checked against one made the slow way: every batch decoded, its page numbers made
absolute, each word's pages put one batch after the other. Its bytes must be that index's CBOR, so a word
whose pages were dropped, repeated, put in another order or numbered wrongly shows as a difference.

(One Pagefind run over all pages cannot serve as the reference here: Pagefind numbers pages in the order the
file system lists them, which differs between one folder of 80 pages and nine of 9.
tests/test_search_bundle.py compares with one run by URL.)
"""

from __future__ import annotations

import gzip
import json
import random
import shutil
from pathlib import Path
from typing import Any

import pytest

from generator.publish import search, search_bundle
from tests.test_search_bundle import decode, encode, page

PAGES = 80
PAGES_PER_BATCH = 9


def write_site(root: Path) -> None:
    """Pages sharing a vocabulary, so that most words are in every batch: accented spellings (variants), a word
    said over 23 times on a page (a long location list), a word on two pages far apart (a page number step over
    23), words on one page only, and enough text for the word index to take several chunks."""
    rng = random.Random(11)
    vocabulary = [f"w{n}" for n in range(1500)] + ["routing", "Amélie", "Zoë", "zoe", "naïve", "naive"]
    for number in range(PAGES):
        words = rng.choices(vocabulary, k=rng.randint(300, 1500))
        if number % 13 == 0:
            words += ["expert"] * 30 + [f"only{number}"]
        if number in (0, 70):
            words.append("farapart")
        path = root / "papers" / f"p{number:03d}" / "index.html"
        path.parent.mkdir(parents=True)
        path.write_text(page(f"Paper {number}", "<p>" + " ".join(words) + "</p>"), encoding="utf-8")


def unzipped(path: Path) -> Any:
    data = gzip.decompress(path.read_bytes())
    assert data.startswith(search_bundle.MAGIC), path
    return data.removeprefix(search_bundle.MAGIC)


def meta_of(bundle: Path) -> Any:
    entry = json.loads((bundle / search_bundle.ENTRY_FILE).read_text(encoding="utf-8"))
    return decode(unzipped(bundle / f"pagefind.{entry['languages']['en']['hash']}.pf_meta"))


def numbered(pages: list[list[Any]], first_page: int) -> list[tuple[int, Any, Any]]:
    """A page list with absolute page numbers: each entry holds its number minus the one before."""
    absolute, number = [], first_page
    for step, locations, meta_locations in pages:
        number += step
        absolute.append((number, locations, meta_locations))
    return absolute


def stepped(pages: list[tuple[int, Any, Any]]) -> list[list[Any]]:
    previous = 0
    entries = []
    for number, locations, meta_locations in pages:
        entries.append([number - previous, locations, meta_locations])
        previous = number
    return entries


def joined_the_slow_way(batches: list[Path]) -> tuple[list[Any], list[Any]]:
    """The joined words (in Pagefind's order) and page list, from every batch decoded whole."""
    words: dict[str, tuple[list[Any], dict[str, list[Any]]]] = {}
    pages: list[Any] = []
    for batch in batches:
        meta = meta_of(batch)
        for _, _, name in meta[2]:
            (chunk,) = decode(unzipped(batch / "index" / f"{name}.pf_index"))
            for word, word_pages, variants in chunk:
                joined_pages, joined_variants = words.setdefault(word, ([], {}))
                joined_pages.extend(numbered(word_pages, len(pages)))
                for variant, variant_pages in variants:
                    joined_variants.setdefault(variant, []).extend(numbered(variant_pages, len(pages)))
        pages += meta[1]
    return [
        [word, stepped(words[word][0]), [[variant, stepped(at)] for variant, at in words[word][1].items()]]
        for word in sorted(words)
    ], pages


def test_bundle_joined_from_many_batches_holds_every_batch_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    write_site(site)
    batches: list[Path] = []
    add = search_bundle.BundleJoiner.add

    def keep_and_add(joiner: search_bundle.BundleJoiner, bundle: Path) -> None:
        batches.append(tmp_path / "batches" / str(len(batches)))
        shutil.copytree(bundle, batches[-1])
        add(joiner, bundle)

    monkeypatch.setattr(search_bundle.BundleJoiner, "add", keep_and_add)
    monkeypatch.setattr(search, "PAGES_PER_INDEX", PAGES_PER_BATCH)
    report = search.index_site(site)

    bundle = site / search.BUNDLE_DIR
    meta = meta_of(bundle)
    chunks = [unzipped(bundle / "index" / f"{name}.pf_index") for _, _, name in meta[2]]
    words = [word for chunk in chunks for word in decode(chunk)[0]]
    expected_words, expected_pages = joined_the_slow_way(batches)
    assert len(batches) == report.batches == -(-PAGES // PAGES_PER_BATCH) and report.pages == PAGES
    assert len(chunks) >= 3, "the pages are too short to test how the word index is split"
    assert [encode(decode(chunk)) for chunk in chunks] == chunks, "the word index is not CBOR as Pagefind writes it"
    assert meta[1] == expected_pages
    assert [word for word, _, _ in words] == [word for word, _, _ in expected_words]
    assert words == expected_words
    assert any(variants for _, _, variants in words) and any(step >= 24 for _, pages, _ in words for step, *_ in pages)
