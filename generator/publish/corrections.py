"""Corrections are additive: nothing published is silently rewritten.

The published state is a git commit, the *base*: `KB_BASE_REF` when set,
else `git merge-base HEAD origin/main` when `origin/main` exists, else there
is no base and only the checks that need none run. Against the base:

* a published correction event may not disappear (`correction-removed`) or
  change (`correction-rewritten`);
* a published claim (same `claim_id`) whose text or `claim_status` changed
  needs a correction event, added since the base, whose `claim_id` names it,
  in any synthesis record (`claim-change-uncorrected`).

All git access of the generator's permanence checks goes through `GitBase`
below (also used by `kb diff`); git runs locally and never touches the network.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from generator.model.records import CLAIM_ID_RE, Claim, CorrectionEvent, Synthesis
from generator.pipeline.link import Site
from generator.pipeline.validate import Corpus, Loaded, validate_corpus
from generator.problems import Location, Problems, Severity

BASE_ENV = "KB_BASE_REF"
DEFAULT_REMOTE_BRANCH = "origin/main"
GIT_TIMEOUT = 60

# --- git: the one helper ------------------------------------------------------------------


class GitError(Exception):
    """git is missing, the folder is not in a repository, or a ref is unknown."""


def _git(cwd: Path, *args: str, stdin: bytes | None = None) -> bytes:
    try:
        result = subprocess.run(
            ["git", *args],
            cwd=cwd,
            input=stdin,
            capture_output=True,
            timeout=GIT_TIMEOUT,
            check=False,
            env={**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0"},
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise GitError(f"cannot run git: {exc}") from exc
    if result.returncode != 0:
        raise GitError(result.stderr.decode("utf-8", "replace").strip() or f"git {args[0]} failed")
    return result.stdout


@dataclass(frozen=True)
class GitBase:
    """One commit of the repository holding a project, read without touching the working tree."""

    root: Path  # the project folder (holds records/, ledgers/)
    top: Path  # the repository's top level
    prefix: str  # the project folder relative to `top`, "" or "sub/dir/"
    commit: str  # full commit id
    name: str  # how to name the base to people, e.g. "origin/main (1a2b3c4)"

    @property
    def short(self) -> str:
        return self.commit[:7]

    def list_files(self, *folders: str) -> list[str]:
        """Project-relative paths of the regular files under `folders` at the base commit."""
        specs = [f"{self.prefix}{folder}" for folder in folders]
        raw = _git(self.top, "ls-tree", "-r", "-z", "--full-tree", self.commit, "--", *specs)
        paths = []
        for entry in raw.decode("utf-8", "surrogateescape").split("\0"):
            if not entry:
                continue
            meta, _, path = entry.partition("\t")
            mode, kind = meta.split(" ")[:2]
            if kind == "blob" and mode in ("100644", "100755") and path.startswith(self.prefix) and "\n" not in path:
                paths.append(path[len(self.prefix) :])
        return sorted(paths)

    def read_files(self, paths: Iterable[str]) -> dict[str, bytes]:
        """The content of each project-relative path at the base; missing paths are left out."""
        wanted = [p for p in paths if "\n" not in p]
        if not wanted:
            return {}
        request = "".join(f"{self.commit}:{self.prefix}{p}\n" for p in wanted).encode("utf-8", "surrogateescape")
        raw = _git(self.top, "cat-file", "--batch", stdin=request)
        found: dict[str, bytes] = {}
        offset = 0
        for path in wanted:
            end = raw.index(b"\n", offset)
            header = raw[offset:end].split(b" ")
            offset = end + 1
            if len(header) != 3 or not header[2].isdigit():
                continue  # `<name> missing` or `<name> ambiguous`: no content follows
            size = int(header[2])
            if header[1] == b"blob":
                found[path] = raw[offset : offset + size]
            offset += size + 1
        return found

    def export(self, destination: Path, paths: Iterable[str]) -> None:
        """Write the base version of `paths` under `destination`, keeping their relative paths."""
        for path, content in self.read_files(paths).items():
            relative = PurePosixPath(path)
            if relative.is_absolute() or ".." in relative.parts:
                continue
            target = destination / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)


def open_base(root: Path, ref: str, name: str = "") -> GitBase:
    """The commit `ref` names in the repository holding `root`; GitError if there is none."""
    if not ref or ref.startswith("-") or any(ch.isspace() for ch in ref):
        raise GitError(f"`{ref}` is not a git ref")
    root = root.resolve()
    top = Path(_git(root, "rev-parse", "--show-toplevel").decode().strip())
    prefix = _git(root, "rev-parse", "--show-prefix").decode().strip()
    try:
        commit = _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").decode().strip()
    except GitError:
        raise GitError(f"`{ref}` is not a known commit, branch or tag here") from None
    return GitBase(root, top, prefix, commit, name or f"{ref} ({commit[:7]})")


def default_base(root: Path) -> tuple[GitBase | None, str]:
    """The published state to compare against, and an error text when KB_BASE_REF is unusable.

    KB_BASE_REF wins; otherwise `git merge-base HEAD origin/main`; otherwise no base (not
    a repository, no origin/main, no commits): the comparison is skipped without a problem.
    """
    ref = os.environ.get(BASE_ENV, "").strip()
    if ref:
        try:
            return open_base(root, ref), ""
        except GitError as exc:
            return None, str(exc)
    try:
        _git(root.resolve(), "rev-parse", "--verify", "--quiet", f"{DEFAULT_REMOTE_BRANCH}^{{commit}}")
        merge_base = _git(root.resolve(), "merge-base", "HEAD", DEFAULT_REMOTE_BRANCH).decode().strip()
        return open_base(root, merge_base, f"merge-base with {DEFAULT_REMOTE_BRANCH} ({merge_base[:7]})"), ""
    except GitError:
        return None, ""


def load_base_corpus(base: GitBase, everything: bool = False) -> Corpus:
    """The base's records and ledgers through the same validation as the working tree.

    Problems of the base are not ours to report and are dropped. Unless `everything`,
    only synthesis records (the files holding a correction_record) and ledgers are read.
    """
    paths = [p for p in base.list_files("records", "ledgers") if p.endswith((".yaml", ".yml", ".csv"))]
    with tempfile.TemporaryDirectory(prefix="kb-base-") as folder:
        destination = Path(folder)
        contents = base.read_files(paths)
        for path, content in contents.items():
            if not everything and not path.endswith(".csv") and b"correction_record" not in content:
                continue
            relative = PurePosixPath(path)
            if ".." in relative.parts or relative.is_absolute():
                continue
            target = destination / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        return validate_corpus(destination, Problems())


# --- the checks ---------------------------------------------------------------------------------


def _event_fields(event: CorrectionEvent) -> dict[str, str]:
    return {"date": event.date, "type": event.type, "description": event.description, "claim_id": event.claim_id}


def _same_text(a: str, b: str) -> bool:
    """Whitespace-only reformatting (e.g. by `kb fmt`) is not a change of a claim."""
    return " ".join(a.split()) == " ".join(b.split())


def check_corrections(site: Site) -> None:
    _check_event_shape(site)
    base, error = default_base(site.root)
    if error:
        site.problems.add(
            "base-ref-unknown", Location(BASE_ENV), BASE_ENV, f"{BASE_ENV} is set but unusable: {error}",
            "fetch the published branch (`git fetch origin main`) or unset KB_BASE_REF", Severity.ERROR,
        )  # fmt: skip
        return
    if base is None:
        return
    try:
        published = load_base_corpus(base)
    except GitError as exc:
        site.problems.add(
            "base-unreadable", Location(BASE_ENV), "", f"cannot read the published state {base.name}: {exc}",
            "check the repository (`git status`), or set KB_BASE_REF to a commit that exists", Severity.WARNING,
        )  # fmt: skip
        return
    new_event_claims = _check_events(site, published, base)
    _check_claims(site, published, base, new_event_claims)


def _check_event_shape(site: Site) -> None:
    """Checks that need no base: event ids unique in a record, claim ids well formed and known."""
    current_claims = {claim.claim_id for claim in site.corpus.claims}
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


def _check_events(site: Site, published: Corpus, base: GitBase) -> set[str]:
    """Report removed or rewritten events; return the claim ids named by events new since the base."""
    current_by_key: dict[str, Loaded[Synthesis]] = {}
    for loaded in site.corpus.syntheses.values():
        for key in _record_keys(loaded):
            current_by_key.setdefault(key, loaded)
    for sid, old in sorted(published.syntheses.items()):
        old_events = old.record.correction_record.corrections
        if not old_events:
            continue
        current = current_by_key.get(sid)
        if current is None:
            names = ", ".join(f"`{e.id}`" for e in old_events)
            site.problems.add(
                "correction-removed", Location(old.doc.path), "correction_record.corrections",
                f"synthesis {sid}, published in {base.name} with correction event(s) {names}, was removed with its history",
                "restore the record; a replaced synthesis stays, with correction_record.status: SUPERSEDED",
            )  # fmt: skip
            continue
        now = {e.id: (i, e) for i, e in enumerate(current.record.correction_record.corrections)}
        for event in old_events:
            if event.id not in now:
                site.problems.add(
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
                site.problems.add(
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
    for loaded in site.corpus.syntheses.values():
        keys = _record_keys(loaded)
        for event in loaded.record.correction_record.corrections:
            if event.claim_id and not any((key, event.id) in published_events for key in keys):
                new_claims.add(event.claim_id)
    return new_claims


def _check_claims(site: Site, published: Corpus, base: GitBase, corrected: set[str]) -> None:
    before: dict[str, Claim] = {claim.claim_id: claim for claim in published.claims}
    for claim in site.corpus.claims:
        old = before.get(claim.claim_id)
        if old is None or claim.claim_id in corrected:
            continue
        changes = []
        if not _same_text(old.claim, claim.claim):
            changes.append(("claim", "its text"))
        if old.claim_status != claim.claim_status:
            changes.append(("claim_status", f"claim_status `{old.claim_status}` → `{claim.claim_status}`"))
        if not changes:
            continue
        kind = "`claim-status-change`" if changes[-1][0] == "claim_status" else "`erratum` or `clarification`"
        site.problems.add(
            "claim-change-uncorrected", Location(claim.ledger, claim.row), changes[0][0],
            f"published claim `{claim.claim_id}` changed ({'; '.join(text for _, text in changes)}) since {base.name} "
            "without a correction event",
            f"add an event with `claim_id: {claim.claim_id}` (type {kind}) to the correction_record.corrections "
            "of a synthesis record; corrections are additive",
        )  # fmt: skip
