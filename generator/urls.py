"""The URL scheme and the record file layout, in one place.

Published URLs are permanent (see README, "URL scheme"). Every id becomes a
path only through these functions, which validate the id first, so no record
can make the generator write outside its output directory.
"""

from __future__ import annotations

import functools
from pathlib import Path, PurePosixPath

from generator.file_names import FileStamp, file_stamp
from generator.model.ids import ClaimId, RecordId
from generator.model.paper_ids import doi_from_path, is_paper_id, paper_file_stem, paper_path
from generator.model.records import CLAIM_ID_RE, EXTERNAL_ID_RE, SLUG_RE, SYNTHESIS_ID_RE


class UnsafeIdError(ValueError):
    """An id that does not match its kind's pattern never becomes a path."""


@functools.cache  # pure, and asked about 150,000 times a build at 10,000 papers
def paper_url(paper_id: str) -> str:
    """`papers/2503.23007/`, `papers/doi/10.1145/3219819.3220007/`, `papers/openreview/<id>/`, `papers/acl/<id>/`."""
    if not is_paper_id(paper_id):
        raise UnsafeIdError(paper_id)
    return f"papers/{paper_path(paper_id)}/"


def synthesis_url(synthesis_id: str) -> str:
    match = SYNTHESIS_ID_RE.fullmatch(synthesis_id)
    if not match:
        raise UnsafeIdError(synthesis_id)
    return f"syntheses/SRCH-{match.group('code')}/"


def external_url(external_id: str) -> str:
    match = EXTERNAL_ID_RE.fullmatch(external_id)
    if not match:
        raise UnsafeIdError(external_id)
    return f"works/{match.group('slug')}/"


def category_url(slug: str) -> str:
    if not SLUG_RE.fullmatch(slug):
        raise UnsafeIdError(slug)
    return f"taxonomy/{slug}/"


def claim_url(claim_id: ClaimId) -> str:
    if not CLAIM_ID_RE.fullmatch(claim_id):
        raise UnsafeIdError(claim_id)
    return f"claims/{claim_id}/"


def record_url(record_id: RecordId) -> str:
    """The page URL of any record id (paper, synthesis or external work)."""
    if record_id.startswith("SRCH:"):
        return synthesis_url(record_id)
    if record_id.startswith("ext:"):
        return external_url(record_id)
    return paper_url(record_id)


INDEX_URLS: dict[str, str] = {
    "papers": "papers/",
    "syntheses": "syntheses/",
    "taxonomy": "taxonomy/",
    "claims": "claims/",
    "methodology": "methodology/",
    "problems": "methodology/problems/",
    "data": "data/",
}
"""The fixed pages, by name: the claim explorer is `claims`, the problem-code reference `problems`."""


def index_url(name: str) -> str:
    return INDEX_URLS[name]


def page_source(url: str) -> str:
    """`papers/2503.23007/` -> `papers/2503.23007/index.md`, the virtual source MkDocs sees."""
    return f"{url}index.md" if url else "index.md"


def record_file_stem(record_id: str) -> str:
    """The file name a record must have, without `.yaml`: its id with `:` -> `-` and `/` -> `_`
    (`SRCH-7693EED1`, `ext-slug`, `hep-th_9901001`, `doi-10.1145_3219819.3220007`; see paper_ids)."""
    if record_id.startswith("SRCH:"):
        return synthesis_url(record_id).split("/")[1]
    if record_id.startswith("ext:"):
        return f"ext-{external_url(record_id).split('/')[1]}"
    paper_url(record_id)
    return paper_file_stem(record_id)


def id_from_file_stem(stem: str) -> str:
    """The record id a file name stands for (inverse of `record_file_stem`); empty when it names none."""
    for prefix, scheme in (("SRCH-", "SRCH:"), ("ext-", "ext:"), ("openreview-", "openreview:"), ("acl-", "acl:")):
        if stem.startswith(prefix):
            candidate = scheme + stem[len(prefix) :]
            break
    else:
        if stem.startswith("doi-") and "_" in stem:
            candidate = doi_from_path("doi/" + stem[4:].replace("_", "/", 1))
        else:
            candidate = stem.replace("_", "/")
    try:
        return candidate if record_file_stem(candidate) == stem else ""
    except UnsafeIdError:
        return ""


def record_filename(record_id: str) -> str:
    """Where `kb new` and the importers put a record, relative to `records/`."""
    folder = "syntheses" if record_id.startswith("SRCH:") else "external" if record_id.startswith("ext:") else "papers"
    return f"{folder}/{record_file_stem(record_id)}.yaml"


def safe_join(root: Path, relative: str) -> Path:
    """Join and prove the result stays inside `root` (no `..`, no absolute parts)."""
    rel = PurePosixPath(relative)
    if rel.is_absolute() or ".." in rel.parts or "\\" in relative:
        raise UnsafeIdError(relative)
    target = (root / rel).resolve()
    if not target.is_relative_to(root.resolve()):
        raise UnsafeIdError(relative)
    return target


# --- urls.lock: every URL the site has published (checked and written by publish/permanence.py) -------

LOCK_NAME = "urls.lock"


def read_lock(root: Path) -> list[tuple[int, str]] | None:
    """(line number, URL) for every URL in urls.lock; None when there is no lock yet."""
    lock = _lock(root)
    return None if lock is None else list(lock[0])


def locked_urls(root: Path) -> frozenset[str]:
    """The URLs urls.lock lists (none without a lock)."""
    lock = _lock(root)
    return frozenset() if lock is None else lock[1]


def locked_listing_pages(root: Path) -> tuple[tuple[int, str], ...]:
    """The lock's entries that are page N of a listing (`.../page/N/`), in the lock's order: found once while the
    lock is unchanged, since most of its lines are claims."""
    lock = _lock(root)
    if lock is None:
        return ()
    known = _listing_pages_read.get(root)
    if known is None or known[0] is not lock[0]:
        known = _listing_pages_read[root] = (lock[0], tuple(entry for entry in lock[0] if "/page/" in entry[1]))
    return known[1]


_listing_pages_read: dict[Path, tuple[tuple[tuple[int, str], ...], tuple[tuple[int, str], ...]]] = {}


def _lock(root: Path) -> tuple[tuple[tuple[int, str], ...], frozenset[str]] | None:
    """The lock's entries and URL set, parsed once while the file is unchanged: a build reads it four times, and a
    `kb serve` rebuild again."""
    path = root / LOCK_NAME
    try:
        stamp = file_stamp(path)
    except FileNotFoundError:
        return None
    known = _locks_read.get(path)
    if known is None or known[0] != stamp:
        entries = tuple(parse_lock(path.read_text(encoding="utf-8-sig")))
        known = _locks_read[path] = (stamp, (entries, frozenset(url for _, url in entries)))
    return known[1]


_locks_read: dict[Path, tuple[FileStamp, tuple[tuple[tuple[int, str], ...], frozenset[str]]]] = {}


def parse_lock(text: str) -> list[tuple[int, str]]:
    """(line number, URL) for every URL line of a urls.lock text."""
    entries = []
    for number, line in enumerate(text.splitlines(), start=1):
        url = line.strip()
        if url and not url.startswith("#"):
            entries.append((number, url))
    return entries
