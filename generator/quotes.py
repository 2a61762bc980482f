"""Placeholder: filled in by its owner."""

from __future__ import annotations

from .link import Site


def check_quotes(site: Site) -> None:
    """Not implemented yet."""
