"""Paper identifiers: arXiv, DOI, OpenReview and ACL Anthology.

A paper's record id names its page for ever, so every scheme has one written
form and one URL, and no two ids (of the same or different schemes) can share
a URL:

| scheme | record id | page |
|---|---|---|
| arXiv | `2503.23007`, `hep-th/9901001` | `papers/2503.23007/`, `papers/hep-th/9901001/` |
| DOI | `doi:10.1145/3219819.3220007` (lower case) | `papers/doi/10.1145/3219819.3220007/` |
| OpenReview | `openreview:B1ckMDqlg` | `papers/openreview/B1ckMDqlg/` |
| ACL Anthology | `acl:2020.acl-main.463`, `acl:P19-1001` | `papers/acl/2020.acl-main.463/` |

DOIs are case-insensitive, so the record id holds the lower-case form. In the
page path, each byte of the DOI suffix outside `a-z 0-9 . -` (and a leading
dot) is written `_` and two hex digits (`/` -> `_2f`, `_` -> `_5f`), which is
reversible (`doi_from_path`). arXiv archives are lower-case words, never
`doi`, `openreview` or `acl`, and an OpenReview id is never seven digits, so
the folders cannot collide.

Every part of an id has a length limit (about 100 characters in all), so that no id
makes a path segment longer than a file system accepts: a longer id is `id-invalid`.
"""

from __future__ import annotations

import functools
import re

NEW_ARXIV = r"\d{4}\.\d{4,5}"
OLD_ARXIV = r"[a-z][a-z-]{0,15}(?:\.[A-Z]{2})?/\d{7}"
ARXIV_ID_RE = re.compile(rf"(?P<base>{NEW_ARXIV}|{OLD_ARXIV})(?P<version>v[1-9]\d{{0,3}})?", re.ASCII)
DOI_PATTERN = r"10\.\d{4,9}/[!-@\[-~]{1,80}"  # printable ASCII, no upper case (the canonical form)
DOI_ID_RE = re.compile(rf"doi:(?P<doi>{DOI_PATTERN})", re.ASCII)
OPENREVIEW_ID_RE = re.compile(r"openreview:(?P<id>[A-Za-z0-9_-]{0,40}[A-Za-z_-][A-Za-z0-9_-]{0,40})", re.ASCII)
ACL_ID_RE = re.compile(r"acl:(?P<id>[A-Z]\d{2}-\d{4}|\d{4}\.[a-z0-9]{1,20}(?:-[a-z0-9]{1,20}){0,4}\.\d{1,6})", re.ASCII)
OTHER_SCHEMES = {"doi": DOI_ID_RE, "openreview": OPENREVIEW_ID_RE, "acl": ACL_ID_RE}
PAPER_ID_PATTERN = (
    rf"^(?:(?:{NEW_ARXIV}|{OLD_ARXIV})(?:v[1-9][0-9]{{0,3}})?|doi:{DOI_PATTERN}"
    r"|openreview:[A-Za-z0-9_-]{0,40}[A-Za-z_-][A-Za-z0-9_-]{0,40}"
    r"|acl:(?:[A-Z][0-9]{2}-[0-9]{4}|[0-9]{4}\.[a-z0-9]{1,20}(?:-[a-z0-9]{1,20}){0,4}\.[0-9]{1,6}))$"
)
ARXIV_DOI_RE = re.compile(r"(?i)10\.48550/arxiv\.(?P<id>.+)")
_SAFE_DOI_CHARS = re.compile(r"[a-z0-9.-]", re.ASCII)


def paper_scheme(identifier: str) -> str:
    """`arxiv`, `doi`, `openreview` or `acl`; empty when the text is no paper id."""
    if ARXIV_ID_RE.fullmatch(identifier):
        return "arxiv"
    for scheme, pattern in OTHER_SCHEMES.items():
        if pattern.fullmatch(identifier):
            return scheme
    return ""


def is_paper_id(identifier: str) -> bool:
    return bool(paper_scheme(identifier))


@functools.lru_cache(maxsize=65536)
def paper_base(identifier: str) -> str:
    """The id that names the page: an arXiv id without its version; other ids as they are.

    Remembered: linking and the quote check ask for the base of every claim's paper several times."""
    match = ARXIV_ID_RE.fullmatch(identifier)
    return match.group("base") if match else identifier


def doi_id(doi: str) -> str:
    """A DOI as a paper id: an arXiv DOI (`10.48550/arXiv.1701.06538`) is the arXiv id itself."""
    doi = doi.strip()
    arxiv = ARXIV_DOI_RE.fullmatch(doi)
    if arxiv and ARXIV_ID_RE.fullmatch(arxiv.group("id")):
        return paper_base(arxiv.group("id"))
    return f"doi:{doi.lower()}"


def canonical_paper_id(identifier: str) -> str:
    """The form a record id must take: DOIs lower-cased, arXiv DOIs as arXiv ids; else unchanged."""
    if identifier[:4].lower() == "doi:":
        return doi_id(identifier[4:])
    return identifier


def escape_doi_suffix(suffix: str) -> str:
    out = []
    for index, char in enumerate(suffix):
        if _SAFE_DOI_CHARS.fullmatch(char) and not (index == 0 and char == "."):
            out.append(char)
        else:
            out.extend(f"_{byte:02x}" for byte in char.encode())
    return "".join(out)


def unescape_doi_suffix(escaped: str) -> str:
    return re.sub(r"_([0-9a-f]{2})", lambda m: chr(int(m.group(1), 16)), escaped)


def paper_path(identifier: str) -> str:
    """The page folder below `papers/`, e.g. `doi/10.1145/3219819.3220007`; ValueError for a non-id."""
    scheme = paper_scheme(identifier)
    if scheme == "arxiv":
        return paper_base(identifier)
    if scheme == "doi":
        prefix, _, suffix = identifier[4:].partition("/")
        return f"doi/{prefix}/{escape_doi_suffix(suffix)}"
    if scheme:
        return f"{scheme}/{identifier.split(':', 1)[1]}"
    raise ValueError(identifier)


def doi_from_path(path: str) -> str:
    """Inverse of `paper_path` for DOIs: `doi/10.1145/a_2fb` -> `doi:10.1145/a/b`."""
    _, prefix, escaped = path.split("/", 2)
    return f"doi:{prefix}/{unescape_doi_suffix(escaped)}"


def paper_file_stem(identifier: str) -> str:
    """A paper record's file name without `.yaml`: the page folder, `:` -> `-` and `/` -> `_`."""
    scheme = paper_scheme(identifier)
    path = paper_path(identifier)
    if scheme == "arxiv":
        return path.replace("/", "_")
    folder, rest = path.split("/", 1)
    return f"{folder}-{rest.replace('/', '_')}"


def external_link(identifier: str) -> tuple[str, str]:
    """(label, URL) of the paper's page at its home: arXiv abstract, doi.org, OpenReview forum, Anthology."""
    scheme = paper_scheme(identifier)
    value = identifier.split(":", 1)[1] if scheme != "arxiv" else paper_base(identifier)
    return {
        "arxiv": ("arXiv", f"https://arxiv.org/abs/{value}"),
        "doi": ("DOI", f"https://doi.org/{value}"),
        "openreview": ("OpenReview", f"https://openreview.net/forum?id={value}"),
        "acl": ("ACL Anthology", f"https://aclanthology.org/{value}/"),
    }[scheme]


def paper_iri(identifier: str) -> str:
    """The paper's own address at its home, which names it in linked data."""
    return external_link(identifier)[1]


def paper_label(identifier: str) -> str:
    """How a reader is told which paper: `arXiv:2503.23007`, `DOI 10.1145/…`, `OpenReview B1ckMDqlg`."""
    scheme = paper_scheme(identifier)
    if scheme in ("arxiv", ""):
        return f"arXiv:{identifier}"
    return f"{external_link(identifier)[0]} {identifier.split(':', 1)[1]}"


def scheme_doi(identifier: str) -> str:
    """The DOI a `doi:` id names; empty for other schemes."""
    return identifier[4:] if paper_scheme(identifier) == "doi" else ""


def scheme_value(identifier: str) -> str:
    """The id within its scheme: `2503.23007`, `10.1145/3219819.3220007`, `B1ckMDqlg`."""
    return identifier.split(":", 1)[1] if paper_scheme(identifier) not in ("arxiv", "") else identifier


def paper_id_from_path(path: str) -> str:
    """Inverse of `paper_path`: `doi/10.1145/a_2fb` -> `doi:10.1145/a/b`, `openreview/X` -> `openreview:X`."""
    folder, _, rest = path.partition("/")
    if folder == "doi":
        return doi_from_path(path)
    if folder in ("openreview", "acl"):
        return f"{folder}:{rest}"
    return path
