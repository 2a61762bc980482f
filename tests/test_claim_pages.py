"""The claim-page writer: forked helpers write exactly the pages one process writes, and every one of them."""

from __future__ import annotations

import json
import posixpath
from pathlib import Path
from types import SimpleNamespace

import pytest

from generator.pipeline.build import build_site
from generator.pipeline.render import Renderer, relative_url
from generator.publish import claim_pages


def _files(root: Path) -> dict[str, bytes]:
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in root.rglob("*") if path.is_file()}


def test_forked_helpers_write_every_claim_page_as_one_process_does(
    repo_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site, _ = build_site(repo_root)
    monkeypatch.setattr(claim_pages, "PARALLEL_FROM", 1)  # the fixture has a few claims, not thousands
    monkeypatch.setattr(claim_pages, "CHUNK", 2)  # several chunks, so the helper and this process share them
    renderer = Renderer(site)
    claims = renderer.all_claims()
    theme = claim_pages.ShellTheme(site.settings.site_name, stylesheets=("assets/kb.css",))
    alone = claim_pages.ClaimPageWriter(renderer, tmp_path / "alone", theme, claims).finish()
    writer = claim_pages.ClaimPageWriter(renderer, tmp_path / "shared", theme, claims, helpers=1)
    assert writer.pool is not None, "a helper process was forked"
    shared = writer.finish()
    assert alone == shared == len(claims) > 2 * claim_pages.CHUNK
    written = _files(tmp_path / "shared")
    assert written == _files(tmp_path / "alone")
    assert set(written) == {f"claims/{c.claim_id}/{name}" for c in claims for name in ("index.html", "index.json")}


def test_the_claim_shell_takes_materials_stylesheets_from_the_site_files() -> None:
    """Known from MkDocs' file list, before MkDocs copies them: the claim pages are written meanwhile."""
    config = SimpleNamespace(site_name="KB", theme={"language": "en"}, extra_css=["assets/kb.css"])
    site_files = [
        "index.html",
        "assets/stylesheets/palette.ab12.min.css",
        "assets/stylesheets/main.cd34.min.css",
        "assets/stylesheets/main.cd34.min.css.map",
        "assets/stylesheets/extra/main.ef56.min.css",
    ]
    theme = claim_pages.ShellTheme.from_mkdocs(config, site_files)
    assert theme.stylesheets == (
        "assets/stylesheets/main.cd34.min.css",
        "assets/stylesheets/palette.ab12.min.css",
        "assets/kb.css",
    )


PAGES = ["", "papers/2503.23007/", "claims/c-d9d1c8ac/", "claims/page/3/", "taxonomy/moe/page/2/", "methodology/"]
TARGETS = [
    *PAGES,
    "papers/2503.23007/cited-by/",
    "claims/",
    "assets/kb.js",
    "feed.xml",
    "methodology/#claim_status-supported",
    "papers/../feed.xml",
    "/absolute/",
    "a//b/./c/",
]


@pytest.mark.parametrize("page_url", PAGES)
def test_relative_links_are_the_shortest_relative_path(page_url: str) -> None:
    for target in TARGETS:
        path, _, anchor = target.partition("#")
        expected = posixpath.relpath(path or ".", page_url or ".")
        expected += "/" if path.endswith("/") and not expected.endswith("/") else ""
        assert relative_url(page_url, target) == expected + (f"#{anchor}" if anchor else ""), target
    assert relative_url("papers/1/", "taxonomy/x/") == "../../taxonomy/x/"
    assert relative_url("papers/1/", "papers/2/#c-1") == "../2/#c-1"


def test_claim_pages_written_beside_the_site_join_the_pages_mkdocs_wrote_under_claims(tmp_path: Path) -> None:
    """`kb build` writes claim pages before MkDocs has cleaned the site; the explorer's pages stay."""
    site = tmp_path / "site"
    (site / "claims" / "page" / "2").mkdir(parents=True)
    (site / "claims" / "index.html").write_text("explorer")
    (site / "claims" / "page" / "2" / "index.html").write_text("explorer, page 2")
    staging = claim_pages.staging_dir(site)
    (staging / "claims" / "c-00000001").mkdir(parents=True)
    (staging / "claims" / "c-00000001" / "index.html").write_text("a claim")

    claim_pages.place_staged(staging, site)

    assert _files(site) == {
        "claims/index.html": b"explorer",
        "claims/page/2/index.html": b"explorer, page 2",
        "claims/c-00000001/index.html": b"a claim",
    }
    assert sorted(path.name for path in tmp_path.iterdir()) == ["site"]


def test_a_claim_page_written_beside_the_site_never_replaces_a_page_of_mkdocs(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "claims" / "c-00000001").mkdir(parents=True)
    (site / "claims" / "c-00000001" / "index.html").write_text("a tombstone")
    staging = claim_pages.staging_dir(site)
    (staging / "claims" / "c-00000001").mkdir(parents=True)

    with pytest.raises(FileExistsError, match="c-00000001 is both a claim page and a page of MkDocs"):
        claim_pages.place_staged(staging, site)
    assert (site / "claims" / "c-00000001" / "index.html").read_text() == "a tombstone"


def test_a_site_without_claims_has_no_claim_pages_to_move(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "claims").mkdir(parents=True)
    (site / "claims" / "index.html").write_text("explorer")
    claim_pages.place_staged(claim_pages.staging_dir(site), site)  # the writer had nothing to write
    assert _files(site) == {"claims/index.html": b"explorer"}


def test_a_claim_page_file_holds_its_head_and_its_twin_its_record(repo_root: Path, tmp_path: Path) -> None:
    """What a reader and a crawler get from the written files: the canonical URL, title and text in the head,
    the claim's own fragment in the body, and beside it the claim as JSON."""
    site, _ = build_site(repo_root)
    renderer = Renderer(site)
    claim = renderer.all_claims()[0]
    theme = claim_pages.ShellTheme(site.settings.site_name, stylesheets=("assets/kb.css",))
    claim_pages.write_claim_pages(renderer, tmp_path, theme, claims=[claim])
    folder = tmp_path / "claims" / claim.claim_id
    html = (folder / "index.html").read_text(encoding="utf-8")
    head, body = html.split("</head>")
    base = site.settings.site_url.rstrip("/")
    assert f'<link rel="canonical" href="{base}/claims/{claim.claim_id}/">' in head
    assert f"<title>Claim {claim.claim_id} - {site.settings.site_name}</title>" in head
    assert f'data-kb-id="{claim.claim_id}"' in body
    twin = json.loads((folder / "index.json").read_bytes())
    assert (twin["url"], twin["kind"], twin["claim_id"]) == (f"claims/{claim.claim_id}/", "claim", claim.claim_id)
