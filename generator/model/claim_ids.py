"""Claim ids: derived once from the claim's paper and text, then stored in the ledger and never recomputed.

Validation derives a provisional id for a row without one; `kb ids` writes the
shortest id not taken now or ever (urls.lock keeps the ids of deleted claims).
"""

from __future__ import annotations

import hashlib

from generator.model.records import arxiv_base


def provisional_claim_id(paper_id: str, claim: str, length: int = 8) -> str:
    digest = hashlib.sha256(f"{arxiv_base(paper_id)}\n{claim}".encode()).hexdigest()
    return f"c-{digest[:length]}"


def new_claim_id(paper_id: str, claim: str, taken: set[str]) -> str:
    """The shortest content-derived id not yet taken (now or ever, via urls.lock)."""
    for length in (8, 10, 12):
        candidate = provisional_claim_id(paper_id, claim, length)
        if candidate not in taken:
            return candidate
    salt = 1
    while True:
        candidate = provisional_claim_id(paper_id, f"{claim}\n{salt}", 12)
        if candidate not in taken:
            return candidate
        salt += 1
