"""Published URLs are permanent.

`urls.lock`, committed at the project root, lists every URL the site has ever
published: each generated page (`papers/2503.23007/`), each claim page
(`claims/c-d9d1c8ac/`) and each claim anchor (`papers/2503.23007/#c-d9d1c8ac`).
Every build checks that each locked URL is still served by a page, a redirect
(a record's `aliases:`) or a tombstone; a lost URL is an error (`url-lost`),
and a URL not locked yet is a warning (`url-unlocked`) until
`kb check-urls --update` adds it. The lock only grows.

Redirects: each alias becomes a small static page at the old URL that sends
the reader (and the claim anchor in the address) to the record's page.
Tombstones: a withdrawn paper keeps its page, with a banner; a claim removed
from the ledgers keeps its claim page as a tombstone when a correction event
of type `retraction` names its `claim_id`.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from generator import urls
from generator.model.paper_ids import paper_id_from_path
from generator.model.records import CLAIM_ID_RE, Claim, CorrectionEvent
from generator.model.site import Site
from generator.pipeline import listings
from generator.pipeline.contexts import template_vars
from generator.pipeline.render import Output, PageLinks, RenderedPage, Renderer, StaticFile
from generator.pipeline.validate import claim_ids
from generator.problems import Location, Problems, Severity
from generator.sources.git import Published
from generator.urls import LOCK_NAME, locked_urls, parse_lock, read_lock  # the lock is read below the pipeline too

LOCK_HEADER = (
    "# urls.lock: every URL this site has published; written by `kb check-urls --update`. Commit it.\n"
    "# Each URL must keep working: a renamed record lists its old id under `aliases:`, a removed paper\n"
    "# stays as `status: withdrawn` with a `tombstone:`. Lines are only ever added.\n"
)
CLAIM_TOMBSTONE_KIND = "claim-tombstone"


# --- what the build serves -----------------------------------------------------------------------


@dataclass(frozen=True)
class UrlState:
    """The URLs one build serves, and how."""

    pages: frozenset[str]  # served by a generated page
    static: frozenset[str]  # served by a static `<url>index.html` (redirects among them)
    redirects: dict[str, str]  # alias URL -> the URL of the record it now names
    anchors: frozenset[str]  # `papers/<id>/#<claim_id>` for every claim shown on its paper's page
    claim_tombstones: frozenset[str]  # claim page URLs kept as tombstones
    provisional: frozenset[str]  # URLs of claims whose id is not permanent yet (never locked)

    def publishable(self) -> set[str]:
        """What belongs in urls.lock: every page and claim anchor with a permanent id."""
        return {*self.pages, *self.anchors} - self.provisional

    def resolves(self, url: str) -> bool:
        if url in self.pages or url in self.anchors:  # most URLs are served as they are: a set lookup each
            return True
        page, hash_mark, fragment = url.partition("#")
        if not hash_mark:
            return page in self.pages or page in self.static
        target = page if page in self.pages else self.redirects.get(page)
        if target is None:
            return False
        if f"{target}#{fragment}" in self.anchors:
            return True
        return CLAIM_ID_RE.fullmatch(fragment) is not None and urls.claim_url(fragment) in self.claim_tombstones


@dataclass(frozen=True)
class Alias:
    old_id: str
    record_id: str
    old_url: str
    url: str


def aliases(site: Site) -> list[Alias]:
    """Every alias the link stage accepted, with the old URL and the URL of the record it now names."""
    found = []
    for alias, record_id in sorted(site.aliases.items()):
        try:
            found.append(Alias(alias, record_id, urls.record_url(alias), urls.record_url(record_id)))
        except urls.UnsafeIdError:
            continue
    return found


def provisional_rows(site: Site) -> set[tuple[str, int | None]]:
    """(ledger, line) of rows whose claim id is provisional: `kb ids` has not given them one yet."""
    return {(p.location.path, p.location.line) for p in site.problems.sorted() if p.code == "claim-id-missing"}


INDEX_URLS = tuple(urls.INDEX_URLS.values())
"""The listing pages a build renders besides one page per record, category and claim."""


def url_state(site: Site) -> UrlState:
    """The URLs a full build serves, planned from the model alone, so `kb validate` renders nothing.

    tests/test_architecture.py checks the plan against what a real build renders. Whatever of the site it (or a
    listing it asks) reads must be in `planning_inputs`, or a `kb serve` rebuild could miss a lost URL.
    """
    pages = {
        *(urls.paper_url(pid) for pid in site.papers),
        *(urls.synthesis_url(sid) for sid in site.corpus.syntheses),
        *(urls.external_url(eid) for eid in site.corpus.externals),
        *(urls.category_url(slug) for slug in site.corpus.categories),
        *(urls.claim_url(claim.claim_id) for claims in site.claims_by_paper.values() for claim in claims),
        *INDEX_URLS,
        *listings.listing_urls(site),  # page 2 onwards of long category and claim listings
    }
    tombstones = frozenset(urls.claim_url(cid) for cid in _retractions(site) if urls.claim_url(cid) not in pages)
    pages |= tombstones
    static = frozenset(alias.old_url for alias in aliases(site) if alias.old_url not in pages)
    provisional_at = provisional_rows(site)
    anchors: set[str] = set()
    provisional: set[str] = set()
    for pid, claims in site.claims_by_paper.items():
        try:
            paper_url = urls.paper_url(pid)
        except urls.UnsafeIdError:
            continue
        for claim in claims:
            if paper_url in pages:
                anchors.add(f"{paper_url}#{claim.claim_id}")
            if (claim.ledger, claim.row) in provisional_at:
                provisional |= {f"{paper_url}#{claim.claim_id}", urls.claim_url(claim.claim_id)}
    redirects = {a.old_url: a.url for a in aliases(site) if a.old_url not in pages and a.url in pages}
    return UrlState(frozenset(pages), static, redirects, frozenset(anchors), tombstones, frozenset(provisional))


# --- redirects and tombstones ---------------------------------------------------------------------


def redirect_html(
    env: jinja2.Environment, links: PageLinks, target_url: str, old_id: str, new_id: str, title: str, site_url: str
) -> bytes:
    """A self-contained page (template `kb/redirect.html`) that forwards to `target_url`, keeping any `#claim` anchor."""
    relative = links.to(target_url)
    canonical = (site_url.rstrip("/") + "/" + target_url) if site_url else relative
    context = {"old_id": old_id, "new_id": new_id, "record_title": title, "target": relative, "canonical": canonical}
    return env.get_template("kb/redirect.html").render(**template_vars("redirect.html", context)).encode("utf-8")


def _retractions(site: Site) -> dict[str, tuple[str, CorrectionEvent]]:
    """Claim id -> (synthesis id, event) for `retraction` events naming a claim no ledger has any more."""
    current = claim_ids(site.corpus.claims)
    found: dict[str, tuple[str, CorrectionEvent]] = {}
    for sid, loaded in sorted(site.corpus.syntheses.items()):
        for event in loaded.record.correction_record.corrections:
            if event.type == "retraction" and CLAIM_ID_RE.fullmatch(event.claim_id) and event.claim_id not in current:
                found.setdefault(event.claim_id, (sid, event))
    return found


def claim_tombstone(renderer: Renderer, claim_id: str, sid: str, event: CorrectionEvent) -> RenderedPage:
    url = urls.claim_url(claim_id)
    links = renderer.links(url)
    context = {
        "claim_id": claim_id,
        "kind": CLAIM_TOMBSTONE_KIND,
        "date": event.date,
        "description": event.description,
        "event_id": event.id,
        "synthesis_url": f"{links.record(sid)}#correction-{event.id}",
        "synthesis_title": renderer.site.title_of(sid),
    }
    html = renderer.env.get_template("kb/tombstone.html").render(**template_vars("tombstone.html", context))
    page = RenderedPage(
        url=url,
        kind=CLAIM_TOMBSTONE_KIND,
        title=f"Claim {claim_id} (withdrawn)",
        description=f"Claim {claim_id} was withdrawn: {event.description}",
        body=str(html),
    )
    page.record_json = {
        "claim_id": claim_id,
        "withdrawn": {"date": event.date, "event": event.id, "record": sid, "description": event.description},
    }
    return page


def build_redirects_and_tombstones(renderer: Renderer, output: Output) -> None:
    """A redirect page at every alias's URL; a tombstone page for every retracted, removed claim."""
    site = renderer.site
    served = {page.url for page in output.pages} | {f.path for f in output.files}
    for alias in aliases(site):
        path = f"{alias.old_url}index.html"
        if alias.old_url in served or path in served:
            continue
        links = renderer.links(alias.old_url)
        title = site.title_of(alias.record_id)
        html = redirect_html(
            renderer.env, links, alias.url, alias.old_id, alias.record_id, title, site.settings.site_url
        )
        output.files.append(StaticFile.spooled(path, html))
        served.add(path)
    for claim_id, (sid, event) in sorted(_retractions(site).items()):
        if urls.claim_url(claim_id) not in served:
            output.add(claim_tombstone(renderer, claim_id, sid, event))


# --- urls.lock ---------------------------------------------------------------------------------


def write_lock(root: Path, entries: Iterable[str]) -> None:
    body = "".join(f"{url}\n" for url in sorted(set(entries)))
    (root / LOCK_NAME).write_text(LOCK_HEADER + body, encoding="utf-8", newline="\n")


def lost_hint(url: str) -> str:
    page, _, fragment = url.partition("#")
    parts = page.strip("/").split("/")
    if fragment or (parts[0] == "claims" and len(parts) == 2):
        claim_id = fragment or parts[1]
        return (
            f"keep the ledger row of claim `{claim_id}` (change its status with a correction event), or record its "
            f"removal as a correction event of type `retraction` with `claim_id: {claim_id}`; if its paper was "
            "renamed, list the old id under `aliases:` of the new record"
        )
    if parts[0] == "papers" and len(parts) >= 2:
        old = paper_id_from_path("/".join(parts[1:]))
        return (
            f'if the record was renamed, add `aliases: ["{old}"]` to the new record; if it was removed, '
            "restore it with `status: withdrawn` and a `tombstone:` (reason, date, see_instead)"
        )
    if parts[0] == "syntheses" and len(parts) == 2:
        old = parts[1].replace("SRCH-", "SRCH:", 1)
        return (
            f'if the synthesis was renamed, add `aliases: ["{old}"]` to the new record; a replaced synthesis '
            "stays, with correction_record.status: SUPERSEDED"
        )
    if parts[0] == "taxonomy" and len(parts) == 2:
        return f"restore category `{parts[1]}` in records/taxonomy.yaml (a category may stay with no papers)"
    return "restore whatever produced this page; published URLs are never removed from urls.lock"


def compare(state: UrlState, lock: list[tuple[int, str]] | None) -> tuple[list[tuple[int, str]], list[str]]:
    """(lost: locked URLs nothing serves, new: served URLs not locked yet)."""
    locked = lock or []
    lost = [(line, url) for line, url in locked if not state.resolves(url)]
    known = {url for _, url in locked}
    new = sorted(state.publishable() - known)
    return lost, new


def report_url_problems(problems: Problems, lost: list[tuple[int, str]], new: list[str], lock_exists: bool) -> None:
    existing = set(problems.sorted())
    added = Problems()
    for line, url in lost:
        added.add(
            "url-lost", Location(LOCK_NAME, line), "",
            f"published URL `{url}` is no longer served by any page, redirect or tombstone", lost_hint(url), Severity.ERROR,
        )  # fmt: skip
    if new:
        shown = ", ".join(f"`{url}`" for url in new[:12]) + (f" and {len(new) - 12} more" if len(new) > 12 else "")
        what = (
            f"{len(new)} published URL(s) are not in {LOCK_NAME} yet: {shown}"
            if lock_exists
            else (f"{LOCK_NAME} does not exist yet: {len(new)} published URL(s) are not locked")
        )
        added.add(
            "url-unlocked",
            Location(LOCK_NAME),
            "",
            what,
            "run `kb check-urls --update` and commit urls.lock",
            Severity.WARNING,
        )
    problems.extend(p for p in added.sorted() if p not in existing)


def check_planned_urls(site: Site, remember: bool = False) -> None:
    """Run in every build and `kb validate`: lost locked URLs are errors, unlocked new ones warnings. With
    `remember` (`kb serve`), the last build's check is reused while the URLs it planned cannot have moved."""
    found = _url_check(site) if remember else _check_urls(site, read_lock(site.root))
    for cause in found.follow_ons:
        site.problems.follow_on(cause, "published URL(s) of records that did not load (served again once they load)")
    report_url_problems(site.problems, found.lost, found.new, found.lock_exists)


@dataclass(frozen=True)
class UrlCheck:
    """What `check_planned_urls` reports."""

    lost: list[tuple[int, str]]  # lost URLs whose record loaded: errors
    follow_ons: list[str]  # for each lost URL of a record that did not load, the file whose errors say why
    new: list[str]
    lock_exists: bool


@dataclass(frozen=True)
class PlanningInputs:
    """Everything of the site that `url_state`, `compare` and `unloaded_urls` read. The claims are apart: of a
    claim, planning reads only its id, paper, ledger and row, so an edit to a statement or a quote (which makes
    its whole ledger's claims new objects) plans the same URLs."""

    lock: list[tuple[int, str]] | None
    """urls.lock's lines, in order (listings read it as well); the check compares the planned URLs with it."""
    rest: tuple[Any, ...]
    claims: tuple[Claim, ...]
    claims_by_paper: dict[str, tuple[Claim, ...]]

    def plans_as(self, other: PlanningInputs) -> bool:
        """Whether planning from these inputs gives what planning from `other` gave. Claims compare by identity
        first (an unchanged ledger gives back the very same objects); only when some differ are the parts of
        them planning reads compared."""
        if self.lock != other.lock or self.rest != other.rest:
            return False
        theirs = other.claims_by_paper
        return (
            _plan_alike(self.claims, other.claims)
            and self.claims_by_paper.keys() == theirs.keys()
            and all(_plan_alike(claims, theirs[pid]) for pid, claims in self.claims_by_paper.items())
        )


_planned_from = operator.attrgetter("claim_id", "paper_id", "ledger", "row")
"""What URL planning reads of a claim."""


def _plan_alike(ours: tuple[Claim, ...], theirs: tuple[Claim, ...]) -> bool:
    """Whether two runs of claims plan alike: compared by identity, and only the claims that differ by what
    planning reads of them (a ledger edit at 100,000 claims: 0.2 s when every claim was read)."""
    return ours == theirs or (
        len(ours) == len(theirs)
        and all(a is b or _planned_from(a) == _planned_from(b) for a, b in zip(ours, theirs, strict=True))
    )


def planning_inputs(site: Site) -> PlanningInputs:
    """Everything of the site that `url_state`, `compare` and `unloaded_urls` read (see `PlanningInputs`).

    Two builds whose inputs plan alike plan the same URLs and lose the same ones. Records and claims compare by
    identity first (an unchanged file gives back the very same objects), so at 100,000 claims this costs
    milliseconds where planning costs half a second. An edit to a record's text (a title, a summary) or to a
    claim's statement leaves them planning alike; a new, removed or renamed record or claim does not.
    """
    corpus = site.corpus
    rest = (
        site.root,
        tuple(corpus.papers),
        tuple(corpus.syntheses),
        tuple(corpus.externals),
        tuple(corpus.categories),
        dict(site.papers_by_category.items()),
        dict(site.children.items()),
        {pid: len(edges) for pid, edges in site.cited_by.items()},  # listings paginate by these counts
        tuple(site.aliases.items()),
        [
            (sid, [(event.type, event.claim_id) for event in loaded.record.correction_record.corrections])
            for sid, loaded in corpus.syntheses.items()
        ],
        provisional_rows(site),
        dict(corpus.rejected),
        dict(corpus.rejected_categories),
        corpus.unloaded_taxonomy,
    )
    return PlanningInputs(read_lock(site.root), rest, tuple(corpus.claims), dict(site.claims_by_paper.items()))


_last_check: tuple[PlanningInputs, UrlCheck] | None = None
"""The last build's URL check with what it read: a `kb serve` rebuild after an edit that moves no URL reports it
again."""


def _url_check(site: Site) -> UrlCheck:
    global _last_check
    inputs = planning_inputs(site)
    if _last_check is None or not inputs.plans_as(_last_check[0]):
        _last_check = (inputs, _check_urls(site, inputs.lock))
    else:  # the new claims: compared by identity next time
        _last_check = (inputs, _last_check[1])
    return _last_check[1]


def _check_urls(site: Site, lock: list[tuple[int, str]] | None) -> UrlCheck:
    lost, new = compare(url_state(site), lock)
    # A record that failed validation has no page this run; its own errors say why, the lost URL is
    # counted under them, and the permanence check resumes once it validates again.
    causes = unloaded_urls(site) if lost else {}
    kept, follow_ons = [], []
    for line, url in lost:
        page = url.partition("#")[0]
        cause = causes.get(page) or (site.corpus.unloaded_taxonomy if page.startswith("taxonomy/") else "")
        if cause:
            follow_ons.append(cause)
        else:
            kept.append((line, url))
    return UrlCheck(kept, follow_ons, new, lock is not None)


def unloaded_urls(site: Site) -> dict[str, str]:
    """Page URL -> the file whose errors keep that page from being built this run."""
    causes: dict[str, str] = {}
    for record_id, path in site.corpus.rejected.items():
        try:
            causes[urls.record_url(record_id)] = path
        except urls.UnsafeIdError:
            continue
    for slug, path in site.corpus.rejected_categories.items():
        causes[urls.category_url(slug)] = path
    for claim in site.corpus.claims:
        if claim.paper_base in site.corpus.rejected and claim.paper_base not in site.papers:
            causes[urls.claim_url(claim.claim_id)] = site.corpus.rejected[claim.paper_base]
    return causes


def check_base_lock(site: Site, base: Published) -> None:
    """urls.lock only grows: every URL it listed at the published base must still be listed.

    Checked against the base, like corrections: a change that deletes a page together with
    its lock lines would otherwise pass, since the lock is then only compared with itself.
    Whether the URL still resolves is checked for every listed URL by `check_planned_urls`.
    """
    published = base.files.get(LOCK_NAME) if base.exists else None
    if published is None:
        return
    locked_before, removed = _lock_lines_removed(published, locked_urls(site.root))
    _check_merges(site, base, locked_before)
    state: UrlState | None = None  # planned only when a line was removed: `check_planned_urls` plans it too
    for url in removed:
        state = state or url_state(site)
        served = "it still resolves" if state.resolves(url) else "nothing serves it any more"
        site.problems.add(
            "url-lock-line-removed", Location(LOCK_NAME), "",
            f"published URL `{url}` (listed in {LOCK_NAME} at {base.name}) was removed from {LOCK_NAME}; {served}",
            f"restore the line: {LOCK_NAME} only grows. Then: {lost_hint(url)}",
        )  # fmt: skip


def _lock_lines_removed(published: bytes, now: frozenset[str]) -> tuple[frozenset[str], list[str]]:
    """The URLs the published lock lists, and those of them the lock lists no more, in the published order."""
    global _last_lock_lines
    if _last_lock_lines is None or _last_lock_lines[0] != (published, now):
        locked_before = [url for _, url in parse_lock(published.decode("utf-8-sig", errors="replace"))]
        found = (frozenset(locked_before), [url for url in locked_before if url not in now])
        _last_lock_lines = ((published, now), found)
    return _last_lock_lines[1]


_last_lock_lines: tuple[tuple[bytes, frozenset[str]], tuple[frozenset[str], list[str]]] | None = None
"""The last comparison of the two locks: a `kb serve` rebuild reads both again, unchanged (same objects), and
parsing the published one takes a tenth of a second at 10,000 papers."""


def _check_merges(site: Site, base: Published, locked_before: frozenset[str]) -> None:
    """An alias renames a record; it may not point one published record's URL at another published record."""
    for alias in aliases(site):
        if alias.old_url not in locked_before or alias.url not in locked_before:
            continue
        registry = site.corpus.syntheses if alias.record_id.startswith("SRCH:") else site.corpus.papers
        loaded = registry.get(alias.record_id)
        where = loaded.location("aliases") if loaded is not None else Location(LOCK_NAME)
        site.problems.add(
            "alias-merge-uncorrected", where, "aliases",
            f"`{alias.old_id}` was a published record of its own at {base.name}; its URL `{alias.old_url}` now "
            f"redirects to `{alias.record_id}`, which was published separately",
            f"keep `{alias.old_id}` as `status: withdrawn` with a `tombstone:` whose `see_instead: {alias.record_id}` "
            "says why (a replaced synthesis stays, with correction_record.status: SUPERSEDED)",
        )  # fmt: skip
