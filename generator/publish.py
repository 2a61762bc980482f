"""Publication extras that hang off the core pipeline: per-page JSON twins now,
and the registry where citation, quote checks, redirects and data releases plug in.

`enrich` runs after linking (it may add problems); each builder runs after the
pages are rendered and may add pages or static files.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from .link import Site
from .render import Output, RenderedPage, Renderer, StaticFile

BUILDERS: list[Callable[[Renderer, Output], None]] = []


def enrich(site: Site) -> None:
    """Derived facts that need the whole linked site (none yet beyond linking)."""


def json_twin(page: RenderedPage) -> StaticFile:
    """`papers/2503.23007/` -> `papers/2503.23007/index.json`: the page's record as data."""
    data = {"url": page.url, "kind": page.kind, "title": page.title, **(page.record_json or {})}
    return StaticFile(f"{page.url}index.json", json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True).encode())
