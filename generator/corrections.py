"""Placeholder: filled in by its owner."""

from __future__ import annotations

from .link import Site


def check_corrections(site: Site) -> None:
    """Not implemented yet."""
