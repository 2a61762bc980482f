"""Citations of the knowledge base's own pages: BibTeX, CSL-JSON and an APA-like string.

What is cited is the knowledge-base page (the evidence record), never the
arXiv paper it describes; the paper's own metadata goes into <head> (see
metadata.py), where reference managers look for it.

Release. `extra.kb.release` in mkdocs.yml names the release; when it is empty
the short commit of the working tree (`git rev-parse --short HEAD`, no
network) stands in, and with no git either the release stays empty and no
version-pinned URL is offered. `attach_citations` writes the resolved value
back into `site.settings.release`, so the data release, the feed and the head
metadata all name the same release.

URL scheme (documented for readers on every "Cite this page" block):

* living URL:         `<site_url><page url>`, e.g. `…/papers/2503.23007/`; always
                      shows the current state of the record.
* version-pinned URL: `<site_url>releases/<release>/<page url>`, e.g.
                      `…/releases/2026.1/papers/2503.23007/`. Pages link to each
                      other relatively, so a release's built site works unchanged
                      when the deploy job copies it under `releases/<release>/`;
                      a pinned URL is therefore stable for as long as that
                      archive is kept. Query strings (`?release=`) were rejected:
                      a static host ignores them and would silently serve the
                      living page under a "pinned" address.

Dates. A page's issued date is the `added` date of its record (a claim takes
its paper's); without one the APA string says "n.d." and BibTeX has no year.
Nothing depends on the clock, so the citations of a release never change.
"""

from __future__ import annotations

import json
import re
import subprocess
import urllib.parse
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
from citeproc.source.json import CiteProcJSON

from generator import urls
from generator.model.records import Claim, Paper, Synthesis
from generator.pipeline.link import Settings, Site

STYLE_PATH = Path(__file__).parents[1] / "assets" / "apa-lite.csl"
RELEASES_PREFIX = "releases/"
_RELEASE_SAFE = "._-+~"


# --- release and URLs ----------------------------------------------------------------


def git_release(root: Path) -> str:
    """The short commit of the working tree at `root`, or "" without git or a repository."""
    try:
        result = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    commit = result.stdout.strip()
    return commit if result.returncode == 0 and re.fullmatch(r"[0-9a-f]{4,40}", commit) else ""


def resolve_release(site: Site) -> str:
    """The release this build is: the configured one, else the git commit, else ""."""
    return site.settings.release.strip() or git_release(site.root)


def site_base(settings: Settings) -> str:
    """site_url with exactly one trailing slash, or "" when no site_url is configured."""
    base = settings.site_url.strip()
    return base.rstrip("/") + "/" if base else ""


def absolute_url(settings: Settings, page_url: str) -> str:
    """The living URL of a page; relative (the page URL itself) when no site_url is set."""
    return site_base(settings) + page_url


def pinned_url(settings: Settings, release: str, page_url: str) -> str:
    """`<site_url>releases/<release>/<page url>`, or "" without a site_url or a release."""
    base = site_base(settings)
    if not base or not release:
        return ""
    return f"{base}{RELEASES_PREFIX}{urllib.parse.quote(release, safe=_RELEASE_SAFE)}/{page_url}"


def maintainers(settings: Settings) -> str:
    """The author of every knowledge-base page: its maintainers, as an entity, never invented people."""
    return f"{settings.site_name} maintainers"


# --- the citation of one page ---------------------------------------------------------------


@dataclass(frozen=True)
class PageCitation:
    """Everything the "Cite this page" block and the head metadata need for one page."""

    key: str
    kind: str
    title: str
    genre: str
    living_url: str
    pinned_url: str
    release: str
    issued: str | None
    csl: dict[str, Any] = field(compare=False)
    csl_json: str
    bibtex: str
    apa: str


def bibtex_key(kind: str, identifier: str) -> str:
    """`kb:paper:2503.23007`, `kb:synthesis:SRCH-1244B894`, `kb:claim:c-d9d1c8ac`: ids never change."""
    return f"kb:{kind}:" + re.sub(r"[^A-Za-z0-9.:-]", "-", identifier)


_LATEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def latex_escape(text: str) -> str:
    """Contributor text as a BibTeX field value: LaTeX specials escaped, line breaks folded."""
    text = " ".join(text.split())
    return "".join(_LATEX_SPECIALS.get(ch, ch) for ch in text)


def _bibtex_url(url: str) -> str:
    """A URL inside `\\url{}` or `url = {}`: braces, percent and backslash can break the entry."""
    return "".join(f"%{ord(ch):02X}" if ch in "{}\\ " else ch for ch in url)


def render_bibtex(cite: dict[str, Any], settings: Settings) -> str:
    living, pinned = _bibtex_url(cite["living_url"]), _bibtex_url(cite["pinned_url"])
    note = f"{cite['genre']}, {settings.site_name}"
    note = latex_escape(note) + (f", release {latex_escape(cite['release'])}" if cite["release"] else "")
    if pinned:
        note += rf". Version-pinned URL: \url{{{pinned}}}"
    fields: list[tuple[str, str]] = [
        ("author", "{" + latex_escape(maintainers(settings)) + "}"),
        ("title", "{" + latex_escape(cite["title"]) + "}"),
        ("howpublished", rf"\url{{{living}}}"),
        ("url", living),
        ("organization", latex_escape(settings.site_name)),
    ]
    if cite["release"]:
        fields.append(("version", latex_escape(cite["release"])))
    if cite["issued"]:
        fields.append(("year", cite["issued"][:4]))
    fields.append(("note", note))
    width = max(len(name) for name, _ in fields)
    body = ",\n".join(f"  {name.ljust(width)} = {{{value}}}" for name, value in fields)
    return f"@misc{{{cite['key']},\n{body}\n}}\n"


def render_csl(cite: dict[str, Any], settings: Settings) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": cite["key"],
        "type": cite["csl_type"],
        "title": cite["title"],
        "genre": cite["genre"],
        "author": [{"literal": maintainers(settings)}],
        "container-title": settings.site_name,
        "publisher": settings.site_name,
        "URL": cite["living_url"],
    }
    if cite["release"]:
        item["version"] = cite["release"]
    if cite["issued"]:
        item["issued"] = {"date-parts": [[int(part) for part in cite["issued"].split("-")]]}
    if cite["pinned_url"]:
        item["note"] = f"Version-pinned URL: {cite['pinned_url']}"
    return item


class ApaFormatter:
    """citeproc-py with the bundled APA-lite CSL style and the plain-text formatter."""

    def __init__(self, style_path: Path = STYLE_PATH) -> None:
        self.style = CitationStylesStyle(str(style_path), validate=False)

    def format(self, item: dict[str, Any]) -> str:
        # citeproc-py reads `<span class="nocase">` in strings as markup; contributor
        # text must stay literal, so the opening tag is neutralised before parsing.
        safe = {k: (v.replace("<span", "<\u200bspan") if isinstance(v, str) else v) for k, v in item.items()}
        source = CiteProcJSON([safe])
        bibliography = CitationStylesBibliography(self.style, source, formatter.plain)
        bibliography.register(Citation([CitationItem(str(item["id"]).lower())]))
        text = str(bibliography.bibliography()[0])
        return text.replace("<\u200bspan", "<span")


def make_citation(
    settings: Settings, apa: ApaFormatter, *, kind: str, identifier: str, csl_type: str,
    title: str, genre: str, page_url: str, issued: str | None,
) -> PageCitation:  # fmt: skip
    release = settings.release
    cite: dict[str, Any] = {
        "key": bibtex_key(kind, identifier),
        "csl_type": csl_type,
        "title": title,
        "genre": genre,
        "living_url": absolute_url(settings, page_url),
        "pinned_url": pinned_url(settings, release, page_url),
        "release": release,
        "issued": issued,
    }
    csl = render_csl(cite, settings)
    return PageCitation(
        key=cite["key"],
        kind=kind,
        title=title,
        genre=genre,
        living_url=cite["living_url"],
        pinned_url=cite["pinned_url"],
        release=release,
        issued=issued,
        csl=csl,
        csl_json=json.dumps([csl], ensure_ascii=False, indent=2),
        bibtex=render_bibtex(cite, settings),
        apa=apa.format(csl),
    )


def paper_citation(settings: Settings, apa: ApaFormatter, paper: Paper) -> PageCitation:
    return make_citation(
        settings, apa, kind="paper", identifier=paper.id, csl_type="webpage", title=paper.title,
        genre=f"Evidence record for arXiv:{paper.id}", page_url=urls.paper_url(paper.id), issued=paper.added,
    )  # fmt: skip


def synthesis_citation(settings: Settings, apa: ApaFormatter, synthesis: Synthesis) -> PageCitation:
    return make_citation(
        settings, apa, kind="synthesis", identifier=synthesis.id.replace(":", "-"), csl_type="webpage",
        title=synthesis.title, genre=f"Synthesis record {synthesis.id}", page_url=urls.synthesis_url(synthesis.id),
        issued=synthesis.added,
    )  # fmt: skip


def claim_citation(settings: Settings, apa: ApaFormatter, claim: Claim, paper: Paper | None) -> PageCitation:
    return make_citation(
        settings, apa, kind="claim", identifier=claim.claim_id, csl_type="dataset", title=f"Claim {claim.claim_id}",
        genre=f"Evidence-ledger claim about arXiv:{claim.paper_id}", page_url=urls.claim_url(claim.claim_id),
        issued=paper.added if paper else None,
    )  # fmt: skip


def attach_citations(site: Site) -> None:
    """Fill `site.citations[page_url]` for every paper, synthesis and claim page."""
    site.settings = replace(site.settings, release=resolve_release(site))
    settings = site.settings
    apa = ApaFormatter()
    for pid, loaded in sorted(site.papers.items()):
        site.citations[urls.paper_url(pid)] = paper_citation(settings, apa, loaded.record)
    for _sid, loaded_synthesis in sorted(site.corpus.syntheses.items()):
        synthesis = loaded_synthesis.record
        site.citations[urls.synthesis_url(synthesis.id)] = synthesis_citation(settings, apa, synthesis)
    for pid in sorted(site.claims_by_paper):
        paper = site.papers.get(pid)
        for claim in site.claims_by_paper[pid]:
            site.citations[urls.claim_url(claim.claim_id)] = claim_citation(
                settings, apa, claim, paper.record if paper else None
            )
