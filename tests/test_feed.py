"""The Atom feed: new records and correction events, parsed back with an XML parser."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET
from pathlib import Path

from generator.pipeline.build import build_site, collect
from generator.pipeline.render import Output
from generator.publish.feed import collect_entries, render_feed, xml_text
from tests.test_exports import (
    CORRECTION_ID,
    CORRECTION_TEXT,
    HOSTILE_ID,
    HOSTILE_TITLE,
    SYNTHESIS_ID,
    add_fixture_records,
)

A = "{http://www.w3.org/2005/Atom}"


def feed_of(output: Output) -> ET.Element:
    content = next(f.content for f in output.files if f.path == "feed.xml")
    assert content.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    return ET.fromstring(content)


def entries(feed: ET.Element) -> dict[str, ET.Element]:
    return {entry.findtext(f"{A}id") or "": entry for entry in feed.findall(f"{A}entry")}


def test_feed_lists_the_bundled_records(repo_root: Path) -> None:
    site, output = build_site(repo_root)
    feed = feed_of(output)
    assert feed.tag == f"{A}feed"
    base = site.settings.site_url
    assert feed.findtext(f"{A}id") == base
    assert feed.findtext(f"{A}title") == site.settings.site_name
    assert feed.findtext(f"{A}author/{A}name") == f"{site.settings.site_name} maintainers"
    self_link = next(link for link in feed.findall(f"{A}link") if link.get("rel") == "self")
    assert self_link.get("href") == base + "feed.xml"
    found = entries(feed)
    dated = [pid for pid, loaded in site.papers.items() if loaded.record.added]
    assert dated
    for pid in dated:
        entry = found[f"{base}papers/{pid}/"]
        assert entry.findtext(f"{A}title") == f"New paper: {site.papers[pid].record.title}"
        assert entry.findtext(f"{A}updated") == f"{site.papers[pid].record.added}T00:00:00Z"
        assert entry.find(f"{A}link").get("href") == f"{base}papers/{pid}/"  # type: ignore[union-attr]
    newest = max(e.findtext(f"{A}updated") or "" for e in found.values())
    assert feed.findtext(f"{A}updated") == newest


def test_feed_lists_correction_events_and_escapes_text(project: Path) -> None:
    site, output = build_site(add_fixture_records(project, release="2026.1"))
    raw = next(f.content for f in output.files if f.path == "feed.xml").decode("utf-8")
    assert "<b>" not in raw and "&lt;b&gt;figure&lt;/b&gt;" in raw and "R&amp;D" in raw
    assert "<script>" not in raw
    feed = feed_of(output)
    base = site.settings.site_url
    synthesis_url = f"{base}syntheses/{SYNTHESIS_ID.replace(':', '-')}/"
    found = entries(feed)
    correction = found[f"{synthesis_url}#correction-{CORRECTION_ID}"]
    assert correction.findtext(f"{A}summary") == CORRECTION_TEXT
    assert correction.findtext(f"{A}title") == "Correction (erratum) to A corrected synthesis about R&D"
    assert correction.findtext(f"{A}updated") == "2026-12-01T00:00:00Z"
    assert {c.get("term") for c in correction.findall(f"{A}category")} == {"correction", "erratum"}
    assert correction.find(f"{A}link").get("href") == f"{synthesis_url}#correction-{CORRECTION_ID}"  # type: ignore[union-attr]
    paper = found[f"{base}papers/{HOSTILE_ID}/"]
    assert paper.findtext(f"{A}title") == f"New paper: {HOSTILE_TITLE}"
    assert found[synthesis_url].findtext(f"{A}title") == "New synthesis: A corrected synthesis about R&D"
    # Newest first: the correction (2026-12-01) leads, and the feed is updated to its date.
    assert feed.findall(f"{A}entry")[0] is correction
    assert feed.findtext(f"{A}updated") == "2026-12-01T00:00:00Z"


def test_feed_without_site_url_uses_relative_links_and_urn_ids(project: Path) -> None:
    site = collect(add_fixture_records(project))
    site = dataclasses.replace(site, settings=dataclasses.replace(site.settings, site_url=""))  # the Site is frozen
    feed = ET.fromstring(render_feed(site, collect_entries(site)))
    assert feed.findtext(f"{A}id") == "urn:x-evidence-ledger:feed"
    for entry in feed.findall(f"{A}entry"):
        assert (entry.findtext(f"{A}id") or "").startswith("urn:x-evidence-ledger:")
        href = entry.find(f"{A}link").get("href") or ""  # type: ignore[union-attr]
        assert href.startswith(("papers/", "syntheses/"))


def test_feed_drops_characters_xml_cannot_carry(repo_root: Path) -> None:
    assert xml_text("a\x00b\x0bc\td\ne\ufffe") == "ab" + "c\td\ne"
    site = collect(repo_root)
    entry = collect_entries(site)[0]
    hostile = dataclasses.replace(entry, title="bad \x0b title & <tag>", summary="\x1b[31m red")
    feed = ET.fromstring(render_feed(site, [hostile]))
    (parsed,) = feed.findall(f"{A}entry")
    assert parsed.findtext(f"{A}title") == "bad  title & <tag>"
    assert parsed.findtext(f"{A}summary") == "[31m red"


def test_empty_feed_is_valid(repo_root: Path) -> None:
    site = collect(repo_root)
    feed = ET.fromstring(render_feed(site, []))
    assert feed.findall(f"{A}entry") == []
    assert feed.findtext(f"{A}updated") == "1970-01-01T00:00:00Z"
