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

import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from markupsafe import Markup

from generator import urls
from generator.model.records import CLAIM_ID_RE, CorrectionEvent
from generator.pipeline.link import Site
from generator.pipeline.render import Output, PageLinks, RenderedPage, Renderer, StaticFile, json_for_script
from generator.problems import Location, Problems, Severity

LOCK_NAME = "urls.lock"
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


def url_state(site: Site, output: Output) -> UrlState:
    pages = frozenset(page.url for page in output.pages)
    static = frozenset(
        f.path.removesuffix("index.html")
        for f in output.files
        if f.path == "index.html" or f.path.endswith("/index.html")
    )
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
    tombstones = frozenset(page.url for page in output.pages if page.kind == CLAIM_TOMBSTONE_KIND)
    return UrlState(pages, static, redirects, frozenset(anchors), tombstones, frozenset(provisional))


# --- redirects and tombstones ---------------------------------------------------------------------


def redirect_html(links: PageLinks, target_url: str, old_id: str, new_id: str, title: str, site_url: str) -> bytes:
    """A self-contained page that forwards to `target_url`, keeping any `#claim` anchor."""
    relative = links.to(target_url)
    canonical = (site_url.rstrip("/") + "/" + target_url) if site_url else relative
    page = Markup(
        "<!doctype html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="kb-redirect" content="{new_id}">\n'
        '<meta name="robots" content="noindex">\n'
        "<title>Moved: {title}</title>\n"
        '<link rel="canonical" href="{canonical}">\n'
        '<meta http-equiv="refresh" content="0; url={relative}">\n'
        "<script>location.replace({relative_js} + location.hash);</script>\n"
        "</head>\n<body>\n"
        "<p>The record <code>{old_id}</code> is now <code>{new_id}</code>: "
        '<a href="{relative}">{title}</a>.</p>\n'
        "<p>This address is kept so that links and citations to it keep working.</p>\n"
        "</body>\n</html>\n"
    ).format(
        new_id=new_id,
        old_id=old_id,
        title=title,
        canonical=canonical,
        relative=relative,
        relative_js=json_for_script(relative),
    )
    return str(page).encode("utf-8")


def _retractions(site: Site) -> dict[str, tuple[str, CorrectionEvent]]:
    """Claim id -> (synthesis id, event) for `retraction` events naming a claim no ledger has any more."""
    current = {claim.claim_id for claim in site.corpus.claims}
    found: dict[str, tuple[str, CorrectionEvent]] = {}
    for sid, loaded in sorted(site.corpus.syntheses.items()):
        for event in loaded.record.correction_record.corrections:
            if event.type == "retraction" and CLAIM_ID_RE.fullmatch(event.claim_id) and event.claim_id not in current:
                found.setdefault(event.claim_id, (sid, event))
    return found


def claim_tombstone(renderer: Renderer, claim_id: str, sid: str, event: CorrectionEvent) -> RenderedPage:
    url = urls.claim_url(claim_id)
    links = renderer.links(url)
    synthesis_link = f"{links.record(sid)}#correction-{event.id}"
    html = Markup(
        '<article class="kb-page kb-claim kb-tombstone" data-kb-kind="{kind}" data-kb-id="{claim_id}">\n'
        "<h1>Claim <code>{claim_id}</code> (withdrawn)</h1>\n"
        '<div class="admonition danger kb-banner" role="note"><p class="admonition-title">Withdrawn claim</p>\n'
        "<p>This claim was removed from the ledgers on {date}: {description}</p></div>\n"
        '<p>The removal is recorded as correction event <a href="{synthesis_link}"><code>{event_id}</code></a> '
        "of {synthesis_title}. This page stays so that links and citations to the claim keep working.</p>\n"
        "</article>\n"
    ).format(
        kind=CLAIM_TOMBSTONE_KIND,
        claim_id=claim_id,
        date=event.date,
        description=event.description,
        synthesis_link=synthesis_link,
        event_id=event.id,
        synthesis_title=renderer.site.title_of(sid),
    )
    page = RenderedPage(
        url=url,
        kind=CLAIM_TOMBSTONE_KIND,
        title=f"Claim {claim_id} (withdrawn)",
        description=f"Claim {claim_id} was withdrawn: {event.description}",
        html=str(html),
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
        html = redirect_html(links, alias.url, alias.old_id, alias.record_id, title, site.settings.site_url)
        output.files.append(StaticFile(path, html))
        served.add(path)
    for claim_id, (sid, event) in sorted(_retractions(site).items()):
        if urls.claim_url(claim_id) not in served:
            output.pages.append(claim_tombstone(renderer, claim_id, sid, event))


# --- urls.lock ---------------------------------------------------------------------------------


def read_lock(root: Path) -> list[tuple[int, str]] | None:
    """(line number, URL) for every URL in urls.lock; None when there is no lock yet."""
    path = root / LOCK_NAME
    if not path.exists():
        return None
    entries = []
    for number, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), start=1):
        text = line.strip()
        if text and not text.startswith("#"):
            entries.append((number, text))
    return entries


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
        old = "/".join(parts[1:])
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


def _report(problems: Problems, lost: list[tuple[int, str]], new: list[str], lock_exists: bool) -> None:
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


def check_published_urls(renderer: Renderer, output: Output) -> None:
    """Run in every build: lost locked URLs are errors, unlocked new ones warnings."""
    site = renderer.site
    lock = read_lock(site.root)
    lost, new = compare(url_state(site, output), lock)
    if site.corpus.rejected:
        # A record that failed validation has no page this run; its own errors say why,
        # and the permanence check resumes once it validates again.
        lost = [
            (line, url)
            for line, url in lost
            if not url.startswith("claims/")
            and not any(url.startswith(f"papers/{rid}/") for rid in site.corpus.rejected)
        ]
    _report(site.problems, lost, new, lock is not None)


def check_urls_command(root: Path, update: bool) -> int:
    """`kb check-urls [--update]`: exit 1 when a locked URL is lost; --update adds new URLs."""
    from generator.pipeline.build import build_site

    site, output = build_site(root)
    state = url_state(site, output)
    lock = read_lock(root)
    lost, new = compare(state, lock)
    data_errors = [p for p in site.problems.errors if not p.code.startswith("url-")]
    if update and new:
        write_lock(root, [*(url for _, url in lock or []), *new])
        print(f"kb: added {len(new)} URL(s) to {LOCK_NAME}:")
        for url in new:
            print(f"  + {url}")
    elif update:
        print(f"kb: {LOCK_NAME} already lists every published URL")
    elif new:
        print(
            f"kb: {len(new)} published URL(s) are not in {LOCK_NAME} yet; run `kb check-urls --update`:",
            file=sys.stderr,
        )
        for url in new:
            print(f"  {url}", file=sys.stderr)
    locked = len(lock or [])
    if lost:
        report = Problems()
        _report(report, lost, [], True)
        print(report.report(), file=sys.stderr)
        if data_errors:
            print(
                f"kb: the data also has {len(data_errors)} error(s), which may hide pages; run `kb validate`",
                file=sys.stderr,
            )
        print(f"kb: {len(lost)} of {locked} locked URL(s) are lost", file=sys.stderr)
        return 1
    print(f"kb: all {locked} locked URL(s) resolve", file=sys.stderr)
    return 0
