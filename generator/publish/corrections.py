"""Corrections are additive: nothing published is silently rewritten.

The published state is a git commit, the *base*: `KB_BASE_REF` when set,
else `git merge-base HEAD origin/main` when `origin/main` exists, else there
is no base and only the checks that need none run. Against the base:

* a published correction event may not disappear (`correction-removed`) or
  change (`correction-rewritten`);
* a published claim (same `claim_id`) whose text or `claim_status` changed
  needs a correction event, added since the base, whose `claim_id` names it,
  in any synthesis record (`claim-change-uncorrected`).

The base arrives as a `Published` value read at the edge by sources/git.py;
this module runs no git.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from generator.model.records import CLAIM_ID_RE, Claim, CorrectionEvent, Synthesis
from generator.model.site import Corpus, Loaded, Site
from generator.pipeline.validate import claim_ids, validate_corpus
from generator.problems import Location, Problem, Problems, Severity
from generator.sources.git import BASE_ENV, Published, write_tree


def load_base_corpus(published: Published) -> Corpus:
    """The base's records and ledgers through the same validation as the working tree.

    Problems of the base are not ours to report and are dropped. Only synthesis records
    (the files holding a correction_record) and ledgers are read.
    """
    wanted = {
        path: content
        for path, content in published.files.items()
        if path.endswith(".csv") or b"correction_record" in content
    }
    with tempfile.TemporaryDirectory(prefix="kb-base-") as folder:
        write_tree(Path(folder), wanted)
        return validate_corpus(Path(folder), Problems())


# --- the checks ---------------------------------------------------------------------------------


def _event_fields(event: CorrectionEvent) -> dict[str, str]:
    return {"date": event.date, "type": event.type, "description": event.description, "claim_id": event.claim_id}


def _same_text(a: str, b: str) -> bool:
    """Whitespace-only reformatting (e.g. by `kb fmt`) is not a change of a claim."""
    return a == b or " ".join(a.split()) == " ".join(b.split())


def check_corrections(site: Site, base: Published) -> None:
    """Compare with the published state, read from git at the edge (see sources/git.py)."""
    _check_event_shape(site)
    if base.error:
        site.problems.add(
            "base-ref-unknown", Location(BASE_ENV), BASE_ENV, f"{BASE_ENV} is set but unusable: {base.error}",
            "fetch the published branch (`git fetch origin main`) or unset KB_BASE_REF", Severity.ERROR,
        )  # fmt: skip
        return
    if base.unreadable:
        site.problems.add(
            "base-unreadable", Location(BASE_ENV), "", f"cannot read the published state {base.name}: {base.unreadable}",
            "check the repository (`git status`), or set KB_BASE_REF to a commit that exists", Severity.WARNING,
        )  # fmt: skip
        return
    if not base.exists:
        return
    inputs = (base.name, base.commit, base.files, tuple(site.corpus.syntheses.items()), tuple(site.corpus.claims))
    global _last_comparison
    if _last_comparison is None or _last_comparison[0] != inputs:
        found = Problems()
        published = load_base_corpus(base)
        _check_claims(found, site.corpus, published, base, _check_events(found, site.corpus, published, base))
        _last_comparison = (inputs, found.since(0))
    site.problems.extend(_last_comparison[1])


_last_comparison: tuple[tuple[Any, ...], tuple[Problem, ...]] | None = None
"""The last comparison with the base and what it found. The base's records and ledgers are validated again for
each comparison (seconds at 100,000 claims), so a `kb serve` rebuild reports it again while the base, the syntheses
and the claims are the same (an unchanged file gives back the very same objects: compared at C speed)."""


def _check_event_shape(site: Site) -> None:
    """Checks that need no base: event ids unique in a record, claim ids well formed and known."""
    current_claims = claim_ids(site.corpus.claims)
    for sid, loaded in sorted(site.corpus.syntheses.items()):
        seen: set[str] = set()
        for index, event in enumerate(loaded.record.correction_record.corrections):
            where = ("correction_record", "corrections", index)
            if event.id in seen:
                site.problems.add(
                    "correction-id-duplicate", loaded.location(*where, "id"), f"correction_record.corrections[{index}].id",
                    f"correction event id `{event.id}` is used twice in {sid}", "event ids are never reused: give this event a new id",
                )  # fmt: skip
            seen.add(event.id)
            if event.claim_id and not CLAIM_ID_RE.fullmatch(event.claim_id):
                site.problems.add(
                    "field-pattern", loaded.location(*where, "claim_id"), f"correction_record.corrections[{index}].claim_id",
                    f"{event.claim_id!a} is not a claim id", "claim ids look like `c-1a2b3c4d` (see the ledger's claim_id column)",
                )  # fmt: skip
            elif event.claim_id and event.type != "retraction" and event.claim_id not in current_claims:
                site.problems.add(
                    "correction-claim-unknown", loaded.location(*where, "claim_id"), f"correction_record.corrections[{index}].claim_id",
                    f"correction event `{event.id}` names claim `{event.claim_id}`, which no ledger row has",
                    "check the id against the ledger's claim_id column", Severity.WARNING,
                )  # fmt: skip


def _record_keys(loaded: Loaded[Synthesis]) -> set[str]:
    """The ids a current synthesis answers to: its own and its former ones."""
    return {loaded.record.id, *loaded.record.aliases}


def _check_events(problems: Problems, corpus: Corpus, published: Corpus, base: Published) -> set[str]:
    """Report removed or rewritten events; return the claim ids named by events new since the base."""
    current_by_key: dict[str, Loaded[Synthesis]] = {}
    for loaded in corpus.syntheses.values():
        for key in _record_keys(loaded):
            current_by_key.setdefault(key, loaded)
    for sid, old in sorted(published.syntheses.items()):
        old_events = old.record.correction_record.corrections
        if not old_events:
            continue
        current = current_by_key.get(sid)
        if current is None:
            names = ", ".join(f"`{e.id}`" for e in old_events)
            problems.add(
                "correction-removed", Location(old.doc.path), "correction_record.corrections",
                f"synthesis {sid}, published in {base.name} with correction event(s) {names}, was removed with its history",
                "restore the record; a replaced synthesis stays, with correction_record.status: SUPERSEDED",
            )  # fmt: skip
            continue
        now = {e.id: (i, e) for i, e in enumerate(current.record.correction_record.corrections)}
        for event in old_events:
            if event.id not in now:
                problems.add(
                    "correction-removed", current.location("correction_record", "corrections"), "correction_record.corrections",
                    f"correction event `{event.id}` ({event.date}, {event.type}) of {sid} was published in {base.name} "
                    "and is missing now",
                    "corrections are additive: restore the event as published; to amend it, add a new event",
                )  # fmt: skip
                continue
            index, new = now[event.id]
            before, after = _event_fields(event), _event_fields(new)
            changed = [key for key in before if before[key] != after[key]]
            if changed:
                problems.add(
                    "correction-rewritten", current.location("correction_record", "corrections", index),
                    f"correction_record.corrections[{index}]",
                    f"correction event `{event.id}` of {sid} was changed after publication in {base.name}; "
                    f"changed: {', '.join(changed)}",
                    "restore the published event and add a new event (e.g. type `clarification`) that corrects it",
                )  # fmt: skip
    published_events = {
        (key, event.id)
        for sid, old in published.syntheses.items()
        for key in {sid, *old.record.aliases}
        for event in old.record.correction_record.corrections
    }
    new_claims: set[str] = set()
    for loaded in corpus.syntheses.values():
        keys = _record_keys(loaded)
        for event in loaded.record.correction_record.corrections:
            if event.claim_id and not any((key, event.id) in published_events for key in keys):
                new_claims.add(event.claim_id)
    return new_claims


PROTECTED_FIELDS: tuple[tuple[str, str], ...] = (
    ("paper_id", "paper_id"),
    ("claim", "claim"),
    ("claim_status", "claim_status"),
    ("evidence_status", "evidence_status"),
    ("source_depth", "source_depth"),
    ("source_quote", "source_quote"),
    ("page_or_section", "page_or_section"),
    ("taxonomy_fit", "taxonomy_fit_raw"),
    ("audit_status", "audit_raw"),
)
"""Every published cell of a claim row (column, Claim attribute): none changes without a correction event."""


def claim_changes(old: Claim, new: Claim) -> list[str]:
    """The columns of a published claim whose value changed (whitespace-only edits are no change)."""
    return [
        column
        for column, attribute in PROTECTED_FIELDS
        if not _same_text(str(getattr(old, attribute)), str(getattr(new, attribute)))
    ]


def _check_claims(problems: Problems, corpus: Corpus, published: Corpus, base: Published, corrected: set[str]) -> None:
    before: dict[str, Claim] = {claim.claim_id: claim for claim in published.claims}
    for claim in corpus.claims:
        old = before.get(claim.claim_id)
        if old is None or claim.claim_id in corrected:
            continue
        changed = claim_changes(old, claim)
        if not changed:
            continue
        shown = [
            f"{column} `{_short(getattr(old, attribute))}` → `{_short(getattr(claim, attribute))}`"
            if column != "claim" else "its text"
            for column, attribute in PROTECTED_FIELDS if column in changed
        ]  # fmt: skip
        kind = "`claim-status-change`" if changed == ["claim_status"] else "`erratum` or `clarification`"
        problems.add(
            "claim-change-uncorrected", Location(claim.ledger, claim.row), changed[0],
            f"published claim `{claim.claim_id}` changed ({'; '.join(shown)}) since {base.name} "
            "without a correction event",
            f"add an event with `claim_id: {claim.claim_id}` (type {kind}) to the correction_record.corrections "
            "of a synthesis record; corrections are additive",
        )  # fmt: skip


def _short(value: object, limit: int = 60) -> str:
    text = " ".join(str(value).split()).replace("`", "'")
    return text if len(text) <= limit else text[: limit - 1] + "…"
