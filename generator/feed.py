"""Placeholder: filled in by its owner."""

from __future__ import annotations

from .render import Output, Renderer


def build_feed(renderer: Renderer, output: Output) -> None:
    """Not implemented yet."""
