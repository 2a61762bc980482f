"""Release archives: each release's built site, kept whole outside the Pages site.

A version-pinned citation must resolve to the page as it was published in that release,
for every release ever made. Keeping every release under `releases/<name>/` on Pages does
not fit its limits at scale (1 GB per site; GitLab: 200,000 files): one build of 1,000
papers is already about 160 MB. So each release's built site is packed into one
deterministic zip, `site-<release>.zip`, attached to the GitHub release of the same name
(`.github/workflows/release.yml`), where it costs the Pages site nothing. A pinned citation
names that archive and the page's file inside it, e.g.
`https://github.com/<owner>/<repo>/releases/download/0.2.0/site-0.2.0.zip` and
`papers/2503.23007/index.html`; the pages link to each other relatively, so the unpacked
archive browses offline.

A page offers a pinned citation only for a release listed in `extra.kb.archived_releases`
(the deploy workflow fills it from the repository's releases that carry an archive), so
no page names an archive that does not exist.
"""

from __future__ import annotations

import urllib.parse
import zipfile
from pathlib import Path

from generator.model.site import Settings

_SAFE = "._-+~"
_EPOCH = (1980, 1, 1, 0, 0, 0)  # zip's earliest date: the archive's bytes depend on the site alone


def archive_name(release: str) -> str:
    return f"site-{urllib.parse.quote(release, safe=_SAFE)}.zip"


def archive_url(settings: Settings, release: str) -> str:
    """The download URL of a release's archive on its GitHub release, or "" when it is not archived."""
    repo = settings.repo_url.strip().rstrip("/")
    if not repo or not release or release not in settings.archived_releases:
        return ""
    return f"{repo}/releases/download/{urllib.parse.quote(release, safe=_SAFE)}/{archive_name(release)}"


def page_file(page_url: str) -> str:
    """The file of a page inside an archive: `papers/x/` -> `papers/x/index.html`."""
    return f"{page_url}index.html" if page_url.endswith("/") or not page_url else page_url


def write_archive(site_dir: Path, out_dir: Path, release: str) -> Path:
    """Pack a built site into `out_dir/site-<release>.zip`, byte for byte the same for the same site."""
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / archive_name(release)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for path in sorted(p for p in site_dir.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(path.relative_to(site_dir).as_posix(), date_time=_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, path.read_bytes())
    return target
