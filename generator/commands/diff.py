"""`kb diff BASE`: what the working tree changes against a git ref, as Markdown for a pull request.

The base is loaded exactly as the working tree is: its records, ledgers,
urls.lock and mkdocs.yml are written to a temporary folder (through
sources/git.py, no checkout, no network) and run through the same `collect`;
nothing is rendered, the served URLs are planned from the model. Records are compared by id, claims by claim_id and
URLs by the same rules the build's URL-permanence check applies.
Exit 0 whatever changed; 2 when BASE is not a known ref.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.model.records import Claim, CorrectionEvent
from generator.model.site import Site
from generator.pipeline.build import BuildOptions, collect, read_inputs
from generator.publish.permanence import UrlState, aliases, provisional_rows, read_lock, url_state
from generator.sources.git import GitError, open_base

BASE_FILES = ("urls.lock", "mkdocs.yml")
DATA_PATHS = ("records/", "ledgers/", "urls.lock")
"""A pull request that changes only these is data-only: it cannot run code or inject script (README, Security model).
urls.lock is data too: a new record adds lines to it, and the build refuses a removed line."""
REVIEW_REQUIRED = "This pull request changes code, configuration or site content: maintainer review required"
MAX_PATHS = 50
MAX_TEXT = 120


@dataclass
class Snapshot:
    site: Site
    state: UrlState
    lock: set[str]


def _snapshot(site: Site) -> Snapshot:
    return Snapshot(site, url_state(site), {url for _, url in read_lock(site.root) or []})


def _records(site: Site) -> dict[tuple[str, str], dict[str, Any]]:
    found: dict[tuple[str, str], dict[str, Any]] = {}
    corpus = site.corpus
    for kind, registry in (
        ("paper", corpus.papers),
        ("synthesis", corpus.syntheses),
        ("external work", corpus.externals),
    ):
        for rid, loaded in registry.items():
            found[(kind, rid)] = loaded.record.model_dump(mode="json")  # type: ignore[attr-defined]
    for slug, category in corpus.categories.items():
        found[("category", slug)] = category.model_dump(mode="json")
    return found


def _events(site: Site) -> dict[tuple[str, str], tuple[str, CorrectionEvent]]:
    """(record key, event id) -> (synthesis id, event), under the record's own and former ids."""
    found: dict[tuple[str, str], tuple[str, CorrectionEvent]] = {}
    for sid, loaded in site.corpus.syntheses.items():
        for key in (sid, *loaded.record.aliases):
            for event in loaded.record.correction_record.corrections:
                found[(key, event.id)] = (sid, event)
    return found


_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~#])")


def md(text: str, limit: int = MAX_TEXT) -> str:
    """Contributor text made inert in Markdown: no markup, links, HTML or @mentions."""
    text = " ".join(str(text).split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("@", "&#64;")


@dataclass
class Summary:
    base_name: str
    outside_data: list[str] = field(default_factory=list)
    """Changed paths outside records/ and ledgers/: code, configuration or site content."""
    records: list[str] = field(default_factory=list)
    claims: list[str] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def markdown(self) -> str:
        lines = []
        if self.outside_data:
            lines += [f"> **{REVIEW_REQUIRED}**", ">"]
            lines += [f"> - {md(path, 200)}" for path in self.outside_data[:MAX_PATHS]]
            if len(self.outside_data) > MAX_PATHS:
                lines.append(f"> - and {len(self.outside_data) - MAX_PATHS} more")
            lines.append("")
        lines += [f"## Knowledge-base changes against {self.base_name}", ""]
        lines += [f"> {note}" for note in self.notes]
        if self.notes:
            lines.append("")
        for title, items in (
            ("Records", self.records), ("Claims", self.claims), ("Correction events", self.events), ("URLs", self.urls),
        ):  # fmt: skip
            lines.append(f"### {title}")
            lines.append("")
            lines += [f"- {item}" for item in items] or ["No changes."]
            lines.append("")
        return "\n".join(lines).rstrip() + "\n"


def summarise(base: Snapshot, now: Snapshot, base_name: str) -> Summary:
    summary = Summary(base_name)
    _diff_records(base.site, now.site, summary)
    _diff_claims(base.site, now.site, summary)
    _diff_events(base.site, now.site, summary)
    _diff_urls(base, now, summary)
    errors, warnings = len(now.site.problems.errors), len(now.site.problems.warnings)
    if errors or warnings:
        summary.notes.append(
            f"The working tree has {errors} error(s) and {warnings} warning(s); `kb validate` lists them."
        )
    return summary


def _diff_records(base: Site, now: Site, summary: Summary) -> None:
    before, after = _records(base), _records(now)
    renamed: dict[tuple[str, str], str] = {}
    for (kind, rid), data in sorted(after.items()):
        for alias in data.get("aliases") or []:
            if (kind, alias) in before and (kind, alias) not in after and (kind, rid) not in before:
                renamed[(kind, rid)] = alias
    renamed_from = {(kind, alias) for (kind, _), alias in renamed.items()}
    for key in sorted(after):
        kind, rid = key
        title = md(after[key].get("title", ""))
        if key in renamed:
            old = renamed[key]
            summary.records.append(f"Renamed {kind} `{old}` → `{rid}` ({title}); the old URL redirects")
        elif key not in before:
            summary.records.append(f"Added {kind} `{rid}`: {title}")
        elif before[key] != after[key]:
            if kind == "paper" and after[key].get("status") == "withdrawn" and before[key].get("status") != "withdrawn":
                reason = md((after[key].get("tombstone") or {}).get("reason", ""))
                summary.records.append(
                    f"Withdrawn paper `{rid}`: {reason or 'no reason given'}; its page stays as a tombstone"
                )
                continue
            fields = sorted(k for k in {*before[key], *after[key]} if before[key].get(k) != after[key].get(k))
            summary.records.append(f"Changed {kind} `{rid}`: {', '.join(f'`{f}`' for f in fields)}")
    for key in sorted(set(before) - set(after) - renamed_from):
        kind, rid = key
        summary.records.append(f"**Removed** {kind} `{rid}`: {md(before[key].get('title', ''))}")


def _claims(site: Site) -> dict[str, Claim]:
    return {claim.claim_id: claim for claim in site.corpus.claims}


def _diff_claims(base: Site, now: Site, summary: Summary) -> None:
    before, after = _claims(base), _claims(now)
    provisional = provisional_rows(now)
    retracted = {
        event.claim_id: (sid, event)
        for sid, loaded in now.corpus.syntheses.items()
        for event in loaded.record.correction_record.corrections
        if event.type == "retraction" and event.claim_id
    }
    for cid in sorted(set(after) - set(before)):
        claim = after[cid]
        note = " (no permanent id yet: run `kb ids`)" if (claim.ledger, claim.row) in provisional else ""
        summary.claims.append(f"Added `{cid}`{note} on `{claim.paper_id}`: {md(claim.claim)}")
    for cid in sorted(set(before) & set(after)):
        old, new = before[cid], after[cid]
        if old.claim_status != new.claim_status:
            summary.claims.append(f"Status of `{cid}` changed: `{old.claim_status}` → `{new.claim_status}`")
        if " ".join(old.claim.split()) != " ".join(new.claim.split()):
            summary.claims.append(f"Text of `{cid}` changed: {md(new.claim)}")
        if old.paper_base != new.paper_base:
            summary.claims.append(f"`{cid}` moved from paper `{old.paper_base}` to `{new.paper_base}`")
    for cid in sorted(set(before) - set(after)):
        if cid in retracted:
            sid, event = retracted[cid]
            summary.claims.append(
                f"Withdrawn `{cid}` (retraction event `{event.id}` of `{sid}`); its page stays as a tombstone"
            )
        else:
            summary.claims.append(f"**Removed** `{cid}`: {md(before[cid].claim)}")


def _diff_events(base: Site, now: Site, summary: Summary) -> None:
    before, after = _events(base), _events(now)
    shown: set[tuple[str, str]] = set()
    for (_key, eid), (sid, event) in sorted(after.items()):
        if (sid, eid) in shown or any((key, eid) in before for key in (sid, *now.corpus.syntheses[sid].record.aliases)):
            continue
        shown.add((sid, eid))
        claim = f", claim `{event.claim_id}`" if event.claim_id else ""
        summary.events.append(
            f"Added `{sid}` event `{eid}` ({event.date}, `{event.type}`{claim}): {md(event.description)}"
        )
    after_keys = set(after)
    for (key, eid), (sid, _event) in sorted(before.items()):
        if key == sid and (key, eid) not in after_keys:
            summary.events.append(
                f"**Removed** `{sid}` event `{eid}` (corrections are additive: the build refuses this)"
            )


def _diff_urls(base: Snapshot, now: Snapshot, summary: Summary) -> None:
    known_before = base.state.publishable() | base.lock
    added = sorted(now.state.publishable() - known_before)
    pages = [url for url in added if "#" not in url]
    anchors = len(added) - len(pages)
    if pages or anchors:
        listed = ", ".join(f"`{url}`" for url in pages) or "no pages"
        summary.urls.append(
            f"Added {len(pages)} page(s): {listed}" + (f" and {anchors} claim anchor(s)" if anchors else "")
        )
    before_aliases = {a.old_url for a in aliases(base.site)}
    for alias in aliases(now.site):
        if alias.old_url not in before_aliases:
            summary.urls.append(f"Redirected `{alias.old_url}` → `{alias.url}`")
    removed = sorted(base.lock - now.lock)
    if removed:
        summary.urls.append(
            f"**Removed from urls.lock**: {', '.join(f'`{url}`' for url in removed)} "
            "(urls.lock only grows: the build fails until the lines are restored)"
        )
    lost = sorted(url for url in known_before | now.lock if not now.state.resolves(url))
    if lost:
        summary.urls.append(
            f"**Lost** {len(lost)} published URL(s): {', '.join(f'`{url}`' for url in lost)} "
            "(add `aliases:` or a tombstone; the build fails until then)"
        )


def outside_data(changed: list[str], prefix: str = "") -> list[str]:
    """The changed repository paths that are not data: anything but the project's records/, ledgers/ and urls.lock."""
    data = tuple(f"{prefix}{path}" for path in DATA_PATHS)
    return [path for path in changed if not (path.startswith(data[:-1]) or path == data[-1])]


def cmd_diff(args: argparse.Namespace) -> int:
    root = Path(args.root).resolve()
    try:
        base = open_base(root, args.base)
    except GitError as exc:
        print(f"kb diff: {exc}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="kb-diff-") as folder:
        destination = Path(folder)
        base.export(destination, [*base.list_files("records", "ledgers"), *BASE_FILES])
        before = _snapshot(collect(destination, BuildOptions()))  # an export: no git of its own
    now = _snapshot(collect(root, read_inputs(root)))
    name = args.base.replace("`", "")
    summary = summarise(before, now, f"`{name}` ({base.short})")
    summary.outside_data = outside_data(base.changed_paths(), base.prefix)
    print(summary.markdown(), end="")
    return 0
