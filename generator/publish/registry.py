"""Publication extras that hang off the core pipeline, in one visible registry.

`enrich` runs after linking and may add problems (quote checks, citations,
correction history). Each builder runs after the pages are rendered and may
add pages, static files, head metadata or problems (redirects, tombstones,
data releases, the feed, the URL-permanence check).
"""

from __future__ import annotations

import json
from collections.abc import Callable

from generator.pipeline.link import Site
from generator.pipeline.render import Output, RenderedPage, Renderer, StaticFile
from generator.publish import cite, corrections, exports, feed, metadata, permanence, quotes

BUILDERS: list[Callable[[Renderer, Output], None]] = [
    permanence.build_redirects_and_tombstones,
    metadata.add_head_metadata,
    exports.build_data_release,
    feed.build_feed,
    permanence.check_published_urls,
]


def enrich(site: Site) -> None:
    quotes.check_quotes(site)
    corrections.check_corrections(site)
    cite.attach_citations(site)


def json_twin(page: RenderedPage) -> StaticFile:
    """`papers/2503.23007/` -> `papers/2503.23007/index.json`: the page's record as data."""
    data = {"url": page.url, "kind": page.kind, "title": page.title, **(page.record_json or {})}
    return StaticFile(f"{page.url}index.json", json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True).encode())
