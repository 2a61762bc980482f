"""The URL scheme and the record file layout, in one place.

Published URLs are permanent (see README, "URL scheme"). Every id becomes a
path only through these functions, which validate the id first, so no record
can make the generator write outside its output directory.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from generator.model.records import ARXIV_ID_RE, CLAIM_ID_RE, EXTERNAL_ID_RE, SLUG_RE, SYNTHESIS_ID_RE, arxiv_base


class UnsafeIdError(ValueError):
    """An id that does not match its kind's pattern never becomes a path."""


def paper_url(paper_id: str) -> str:
    if not ARXIV_ID_RE.fullmatch(paper_id):
        raise UnsafeIdError(paper_id)
    return f"papers/{arxiv_base(paper_id)}/"


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


def claim_url(claim_id: str) -> str:
    if not CLAIM_ID_RE.fullmatch(claim_id):
        raise UnsafeIdError(claim_id)
    return f"claims/{claim_id}/"


def record_url(record_id: str) -> str:
    """The page URL of any record id (paper, synthesis or external work)."""
    if record_id.startswith("SRCH:"):
        return synthesis_url(record_id)
    if record_id.startswith("ext:"):
        return external_url(record_id)
    return paper_url(record_id)


def page_source(url: str) -> str:
    """`papers/2503.23007/` -> `papers/2503.23007/index.md`, the virtual source MkDocs sees."""
    return f"{url}index.md" if url else "index.md"


def record_filename(record_id: str) -> str:
    """Where `kb new` and `kb import-bib` put a record, relative to `records/`."""
    if record_id.startswith("SRCH:"):
        return f"syntheses/{synthesis_url(record_id).split('/')[1]}.yaml"
    if record_id.startswith("ext:"):
        return f"external/ext-{external_url(record_id).split('/')[1]}.yaml"
    paper_url(record_id)
    return f"papers/{arxiv_base(record_id).replace('/', '_')}.yaml"


def safe_join(root: Path, relative: str) -> Path:
    """Join and prove the result stays inside `root` (no `..`, no absolute parts)."""
    rel = PurePosixPath(relative)
    if rel.is_absolute() or ".." in rel.parts or "\\" in relative:
        raise UnsafeIdError(relative)
    target = (root / rel).resolve()
    if not target.is_relative_to(root.resolve()):
        raise UnsafeIdError(relative)
    return target
