"""Placeholder: filled in by its owner."""

from __future__ import annotations

from .render import Output, Renderer


def build_redirects_and_tombstones(renderer: Renderer, output: Output) -> None:
    """Not implemented yet."""


def check_published_urls(renderer: Renderer, output: Output) -> None:
    """Not implemented yet."""
