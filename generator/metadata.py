"""Placeholder: filled in by its owner."""

from __future__ import annotations

from .render import Output, Renderer


def add_head_metadata(renderer: Renderer, output: Output) -> None:
    """Not implemented yet."""
