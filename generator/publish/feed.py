"""The Atom feed (`feed.xml`): new records and published corrections, newest first.

* A new paper or synthesis is an entry dated by its record's `added` date.
* Each correction event of a synthesis (`correction_record.corrections`) is an
  entry dated by the event, linking to its anchor in the correction history.

The length cap (`MAX_ENTRIES`) applies to new records only: every correction
event is always in the feed, so a backdated retraction is still announced.
Dates later than the build date are refused (`check_dates`), so no entry can
pin the top of the feed.

The XML is built with xml.etree, so every text and attribute is escaped by the
serialiser; characters XML 1.0 cannot carry at all are dropped. Links are
absolute from `site_url`; without one they are relative to the feed. Entry ids
are the entries' permanent URLs (or `urn:` names without a site_url), and the
feed's `updated` is the newest entry's date, never the build time, so the feed
of an unchanged corpus is byte-for-byte the same.
"""

from __future__ import annotations

import heapq
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

from generator import urls
from generator.model.records import Paper, marked_text
from generator.model.site import Site
from generator.pipeline.render import Output, Renderer, StaticFile
from generator.problems import Location
from generator.publish.cite import absolute_url, maintainers, site_base

FEED_PATH = "feed.xml"
ATOM_NS = "http://www.w3.org/2005/Atom"
MAX_ENTRIES = 200
"""The newest new-record entries kept; correction entries are never cut."""
EPOCH = "1970-01-01"
_XML_INVALID = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: str) -> str:
    """Text XML 1.0 can carry: control characters other than TAB, LF and CR are removed."""
    return _XML_INVALID.sub("", value)


@dataclass(frozen=True)
class FeedEntry:
    date: str  # YYYY-MM-DD
    kind: str  # "paper", "synthesis" or "correction"
    key: str  # stable, unique: the entry's path
    title: str
    summary: str
    page_url: str  # site-relative, may carry a #fragment
    categories: tuple[str, ...]


def _paper_entry(pid: str, paper: Paper) -> FeedEntry | None:
    if not paper.added:
        return None
    url = urls.paper_url(pid)
    summary = paper.summary or f"Record of arXiv:{pid} added to the knowledge base."
    return FeedEntry(
        paper.added, "paper", url, f"New paper: {marked_text(paper, 'title')}", summary, url, ("new-record", "paper")
    )


@dataclass
class KnownFeed:
    """`kb serve`: what earlier builds made of the feed, reused while what it is made from is the same."""

    papers: dict[str, tuple[Paper, FeedEntry | None]] = field(default_factory=dict)
    """Each paper's entry with the record it was made from: only edited papers' entries are made again."""
    rendered: tuple[list[FeedEntry], Any, bytes] | None = None
    """The last feed with its entries and settings; its bytes, not its spooled file, which lives only while a build
    refers to it (tests/test_streaming.py)."""


def collect_entries(site: Site, known: KnownFeed | None = None) -> list[FeedEntry]:
    entries: list[FeedEntry] = []
    last = known.papers if known is not None else {}
    made: dict[str, tuple[Paper, FeedEntry | None]] = {}
    for pid, loaded in site.papers.items():
        kept = last.get(pid)
        if kept is None or kept[0] is not loaded.record:
            kept = (loaded.record, _paper_entry(pid, loaded.record))
        made[pid] = kept
        if kept[1] is not None:
            entries.append(kept[1])
    if known is not None:
        known.papers = made
    for sid, loaded_synthesis in site.corpus.syntheses.items():
        synthesis = loaded_synthesis.record
        url = urls.synthesis_url(sid)
        if synthesis.added:
            entries.append(FeedEntry(
                synthesis.added, "synthesis", url, f"New synthesis: {marked_text(synthesis, 'title')}", synthesis.research_question, url,
                ("new-record", "synthesis"),
            ))  # fmt: skip
        for event in synthesis.correction_record.corrections:
            anchor = f"{url}#correction-{event.id}"
            summary = event.description + (f" (claim {event.claim_id})" if event.claim_id else "")
            entries.append(FeedEntry(
                event.date, "correction", anchor, f"Correction ({event.type}) to {marked_text(synthesis, 'title')}", summary, anchor,
                ("correction", event.type),
            ))  # fmt: skip

    def newest_first(entry: FeedEntry) -> tuple[str, str, str]:
        return entry.date, entry.kind, entry.key

    # The cap keeps the newest new records only: every correction is announced, however old its date.
    new_records = heapq.nlargest(MAX_ENTRIES, (e for e in entries if e.kind != "correction"), key=newest_first)
    corrections = [e for e in entries if e.kind == "correction"]
    return sorted([*new_records, *corrections], key=newest_first, reverse=True)


def check_dates(site: Site, build_date: str) -> None:
    """Record `added` dates and correction event dates may not lie after the build date.

    A date in the future would pin its entry to the top of the feed and misdate the history.
    """
    if not build_date:
        return
    late: list[tuple[str, Location, str]] = []  # located only when late: 10,000 lookups a build otherwise
    for loaded in site.papers.values():
        if (loaded.record.added or "") > build_date:
            late.append((loaded.record.added or "", loaded.location("added"), "added"))
    for loaded_synthesis in site.corpus.syntheses.values():
        if (loaded_synthesis.record.added or "") > build_date:
            late.append((loaded_synthesis.record.added or "", loaded_synthesis.location("added"), "added"))
        for index, event in enumerate(loaded_synthesis.record.correction_record.corrections):
            if event.date > build_date:
                where = ("correction_record", "corrections", index, "date")
                late.append(
                    (event.date, loaded_synthesis.location(*where), f"correction_record.corrections[{index}].date")
                )
    for date, location, field_name in late:
        site.problems.add(
            "date-in-future", location, field_name, f"{date} is later than the build date {build_date}",
            "use the date the change was made",
        )  # fmt: skip


def _timestamp(date: str) -> str:
    return f"{date}T00:00:00Z"


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: xml_text(v) for k, v in attributes.items()})
    if text is not None:
        element.text = xml_text(text)
    return element


def render_feed(site: Site, entries: list[FeedEntry]) -> bytes:
    settings = site.settings
    base = site_base(settings)

    def href(url: str) -> str:
        return absolute_url(settings, url) if base else url

    def entry_id(url: str) -> str:
        return absolute_url(settings, url) if base else "urn:x-evidence-ledger:" + url

    feed = ET.Element("feed", {"xmlns": ATOM_NS})
    _sub(feed, "id", base or "urn:x-evidence-ledger:feed")
    _sub(feed, "title", settings.site_name)
    _sub(feed, "subtitle", f"New records and corrections in {settings.site_name}.")
    _sub(feed, "updated", _timestamp(entries[0].date if entries else EPOCH))
    _sub(feed, "link", rel="self", type="application/atom+xml", href=href(FEED_PATH))
    _sub(feed, "link", rel="alternate", type="text/html", href=base or "./")
    author = _sub(feed, "author")
    _sub(author, "name", maintainers(settings))
    _sub(feed, "generator", "evidence-ledger-kb")
    for item in entries:
        entry = _sub(feed, "entry")
        _sub(entry, "id", entry_id(item.key))
        _sub(entry, "title", item.title)
        _sub(entry, "updated", _timestamp(item.date))
        _sub(entry, "published", _timestamp(item.date))
        _sub(entry, "link", rel="alternate", type="text/html", href=href(item.page_url))
        for term in item.categories:
            _sub(entry, "category", term=term)
        _sub(entry, "summary", item.summary, type="text")
    ET.indent(feed, space=" ")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True) + b"\n"


def build_feed(renderer: Renderer, output: Output, known: KnownFeed | None = None) -> None:
    """The feed; with `known` (`kb serve`), rendered again only when its entries or the settings changed."""
    site = renderer.site
    entries = collect_entries(site, known)
    rendered = known.rendered if known is not None else None
    if rendered is None or rendered[0] != entries or rendered[1] != site.settings:
        rendered = (entries, site.settings, render_feed(site, entries))
        if known is not None:
            known.rendered = rendered
    output.files.append(StaticFile.spooled(FEED_PATH, rendered[2]))
