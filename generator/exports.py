"""Placeholder: filled in by its owner."""

from __future__ import annotations

from .render import Output, Renderer


def build_data_release(renderer: Renderer, output: Output) -> None:
    """Not implemented yet."""
