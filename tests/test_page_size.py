"""Pages stay small however large the corpus: output grows with what a page shows (issue #11).

A `kb synth` corpus, generated (`kb generate`, no MkDocs) once for the module: category pages list
papers a page at a time and never a claim table, the explorer and its static listing pages hold
one page of claims, claim permalinks are light whole pages, and nothing is lost on the way: every
claim is in the explorer's data and has its page and JSON twin.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

from generator.pipeline.build import build_site
from generator.pipeline.listings import CITED_BY_SHOWN, PAGE_SIZE, SHARD_SIZE, cited_by_url, page_url
from generator.publish.cite import ApaFormatter
from generator.publish.permanence import url_state
from tests.conftest import REPO
from tests.helpers import HEADER, add_site_config, kb, row

PAPERS = 600
CLAIMS = 2500
KB = 1024
CLAIM_PAGE_BUDGET = 6 * KB
"""A claim page besides its quote: the shell, the claim, its badges, its citation and its links (7.5 KB before
the claim page said nothing twice: 5.6 KB)."""


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("synth") / "kb"
    made = kb(REPO, "synth", "--papers", str(PAPERS), "--claims", str(CLAIMS), "--seed", "3", "--out", str(root))
    assert made.returncode == 0, made.stderr
    out = root / "generated"
    result = kb(root, "generate", "--out", str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    return out


def fragment(out: Path, url: str) -> str:
    return (out / url / "index.html").read_text(encoding="utf-8")


def test_category_pages_list_papers_a_page_at_a_time(generated: Path) -> None:
    categories = sorted(p for p in (generated / "taxonomy").iterdir() if p.is_dir())
    sizes = {p.name: (p / "index.html").stat().st_size for p in categories}
    assert max(sizes.values()) < 40 * KB, f"largest category page: {max(sizes.items(), key=lambda i: i[1])}"
    paged = [p for p in categories if (p / "page" / "2" / "index.html").is_file()]
    assert paged, f"no category of {PAPERS} papers has a second page"
    for folder in paged:
        twin = json.loads((folder / "index.json").read_text(encoding="utf-8"))
        pages = math.ceil(len(twin["papers"]) / PAGE_SIZE)
        assert twin["pages"] == pages and (folder / "page" / str(pages) / "index.html").is_file()
        assert not (folder / "page" / str(pages + 1)).exists()
        for number in range(1, pages + 1):
            html = fragment(generated, f"taxonomy/{folder.name}/" + (f"page/{number}/" if number > 1 else ""))
            assert html.count("<li><a ") <= PAGE_SIZE + 50  # papers, subcategories and syntheses
            assert "kb-claims" not in html, "a category page repeats a claim table"
            assert f"?category={folder.name}" in html  # its claims are one explorer link away


def test_explorer_shows_one_page_and_shards_the_rest(generated: Path) -> None:
    explorer = fragment(generated, "claims/")
    assert len(explorer.encode()) < 150 * KB
    assert explorer.count('<tr id="c-') == PAGE_SIZE
    listing = sorted(int(p.name) for p in (generated / "claims" / "page").iterdir())
    assert listing == list(range(2, math.ceil(CLAIMS / PAGE_SIZE) + 1))
    last = fragment(generated, f"claims/page/{listing[-1]}/")
    assert last.count('<tr id="c-') == CLAIMS - PAGE_SIZE * (listing[-1] - 1)
    data = generated / "claims" / "data"
    index = json.loads((data / "facets.json").read_text(encoding="utf-8"))
    assert (data / "facets.json").stat().st_size < 200 * KB
    assert len(index["shards"]) == math.ceil(CLAIMS / SHARD_SIZE)
    ids = [row[0] for shard in index["shards"] for row in json.loads((data / shard).read_text())["claims"]]
    assert len(ids) == len(set(ids)) == CLAIMS == index["total"]


def test_claim_pages_are_light_and_complete(generated: Path) -> None:
    data = generated / "claims" / "data"
    shards = json.loads((data / "facets.json").read_text(encoding="utf-8"))["shards"]
    ids = {row[0] for shard in shards for row in json.loads((data / shard).read_text(encoding="utf-8"))["claims"]}
    pages = sorted(generated / "claims" / claim_id / "index.html" for claim_id in ids)
    assert all(page.is_file() for page in pages) and len(pages) == CLAIMS
    largest = max(pages, key=lambda p: p.stat().st_size)
    assert largest.stat().st_size < 20 * KB, f"{largest}: {largest.stat().st_size} bytes"
    html = pages[0].read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>") and 'class="md-header' in html and "kb.css" in html
    twin = json.loads((pages[0].parent / "index.json").read_text(encoding="utf-8"))
    assert twin["claim_id"] == pages[0].parent.name and twin["claim"] and twin["kind"] == "claim"
    assert f'id="{twin["claim_id"]}"' in html and "Cite this" in html


def test_apa_strings_are_the_same_as_one_citeproc_run_each() -> None:
    """Formatting once per shape gives exactly what citeproc gives item by item, odd text included."""
    apa = ApaFormatter()
    items = [
        {"id": f"k{n}", "type": kind, "title": title, "genre": f"Evidence-ledger claim about arXiv:2401.{n:05d}",
         "author": [{"literal": "Site maintainers"}], "container-title": "Site", "URL": f"https://x.test/claims/c-{n:08x}/",
         **({"issued": {"date-parts": [[2026, 1, n % 28 + 1]]}} if n % 3 else {}), **({"version": "1.0"} if n % 2 else {})}
        for n, (kind, title) in enumerate(
            (kind, title)
            for kind in ("webpage", "dataset")
            for title in ("Claim c-0000abcd", "Ends with a period.", "“Quoted” title", "A <span class=\"nocase\">x</span>",
                          "KBSLOT0X in text", "Ünïcode — dash", "Why?", "x")
        )
    ]  # fmt: skip
    assert [apa.format(item) for item in items] == [apa.format_each(item) for item in items]


def test_a_listing_page_published_once_stays_when_the_list_shrinks(tmp_path: Path) -> None:
    """urls.lock holds page 3 of a list that now has one page: the page stays, saying where the list ends."""
    root = tmp_path / "kb"
    assert kb(REPO, "synth", "--papers", "30", "--claims", "60", "--seed", "2", "--out", str(root)).returncode == 0
    slug = _first_category(root)
    paper = sorted((root / "records" / "papers").glob("*.yaml"))[0].read_text(encoding="utf-8")
    cited_by = cited_by_url(paper.split("id:", 1)[1].split()[0].strip("\"'"))
    retired = ["claims/page/3/", f"taxonomy/{slug}/page/4/", "papers/page/2/", f"{cited_by}page/3/", cited_by]
    with (root / "urls.lock").open("a", encoding="utf-8") as lock:
        lock.writelines(f"{url}\n" for url in retired)
    out = tmp_path / "generated"
    result = kb(root, "generate", "--out", str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "url-lost" not in result.stderr
    for url in retired[:-1]:
        html = fragment(out, url)
        assert "past the end of the list" in html or "now ends on" in html, url
        assert "keep working" in html
    assert "Papers citing" in fragment(out, cited_by)  # a cited-by list that shrank under the cap keeps its page


def _first_category(root: Path) -> str:
    text = (root / "records" / "taxonomy.yaml").read_text(encoding="utf-8")
    return text.split("slug:", 1)[1].split()[0].strip("\"'")


CITERS = 420


def _hub_corpus(root: Path, citers: int = CITERS) -> Path:
    """One paper cited by `citers` others, with roles and polarities, a few left unclassified."""
    papers = root / "records" / "papers"
    papers.mkdir(parents=True)
    (root / "mkdocs.yml").write_text((REPO / "mkdocs.yml").read_text(encoding="utf-8"), encoding="utf-8")
    (root / "records" / "taxonomy.yaml").write_text("categories:\n  - slug: hubs\n    title: Hubs\n", encoding="utf-8")
    (papers / "9912.00001.yaml").write_text('id: "9912.00001"\ntitle: "The hub"\n', encoding="utf-8")
    roles, polarities = ("background", "comparison", "method-basis"), ("supporting", "neutral", "contrasting")
    for n in range(citers):
        edge = f'  - target: "9912.00001"\n    role: {roles[n % 3]}\n' + (
            f"    polarity: {polarities[n % 3]}\n" if n % 7 else ""
        )
        text = f'id: "9912.{n + 100:05d}"\ntitle: "Citing paper number {n} with a long enough title"\ncites:\n{edge}'
        (papers / f"9912.{n + 100:05d}.yaml").write_text(text, encoding="utf-8")
    return root


def test_a_hub_page_stays_small_and_its_citations_are_paginated_in_full(tmp_path: Path) -> None:
    site, output = build_site(_hub_corpus(tmp_path / "kb"))
    assert not site.problems.errors, site.problems.report()
    pages = {page.url: page for page in output.pages}
    hub = pages["papers/9912.00001/"]
    # uncapped: 115 KB, a line per citing paper in each list
    assert len(hub.html.encode()) + len(hub.head.encode()) < 40 * KB
    text = " ".join(re.sub(r"<[^>]+>", "", hub.html).split())
    assert f"The first {CITED_BY_SHOWN} of {CITERS} citations" in text
    assert f"140 of {CITERS} citing papers: background" in text  # shares keep their whole denominators
    assert 'href="cited-by/"' in hub.html
    listing = [pages[page_url("papers/9912.00001/cited-by/", n)] for n in range(1, math.ceil(CITERS / PAGE_SIZE) + 1)]
    assert page_url("papers/9912.00001/cited-by/", len(listing) + 1) not in pages
    citing = [
        pid for page in listing for pid in re.findall(r'href="\.\./\.\./(?:\.\./){0,2}9912\.(\d{5})/"', page.html)
    ]
    assert len(citing) == len(set(citing)) == CITERS  # every citing paper once, across the pages
    assert all(len(page.html.encode()) < 60 * KB for page in listing)
    assert {page.url for page in listing} <= url_state(site).pages  # planned, so locked and permanent


def test_the_papers_index_is_paginated(tmp_path: Path) -> None:
    site, output = build_site(_hub_corpus(tmp_path / "kb"))
    pages = {page.url: page for page in output.pages}
    count = math.ceil((CITERS + 1) / PAGE_SIZE)
    index = [pages[page_url("papers/", n)] for n in range(1, count + 1)]
    assert page_url("papers/", count + 1) not in pages
    assert all(page.html.count("<tr><td><code>") <= PAGE_SIZE for page in index)
    assert sum(page.html.count("<tr><td><code>") for page in index) == CITERS + 1
    assert "kb-sortable" in index[0].html and 'href="page/2/"' in index[0].html
    assert {page.url for page in index} <= url_state(site).pages


LONG_QUOTES = 30
QUOTE_CHARS = 2500


def test_a_hub_with_thirty_long_quotes_is_under_100_kb_and_its_claim_pages_are_light(tmp_path: Path) -> None:
    """Issue #11's heaviest paper page, built through MkDocs: a hub whose 30 claims each quote 2,500 characters.

    The paper page shows each quote's opening and links the claim page, which has it whole; nothing is lost.
    """
    root = add_site_config(_hub_corpus(tmp_path / "kb", citers=CITED_BY_SHOWN + 10))
    sentence = "Sentence {}.{}: the router sends each token to its top two experts, and the rest idle."
    quotes = {
        f"c-7e57{n:04x}": " ".join(sentence.format(n, k) for k in range(40))[:QUOTE_CHARS] for n in range(LONG_QUOTES)
    }
    rows = [
        row(paper_id="9912.00001v1", claim=f"Claim {n} about routing.", source_quote=quote, claim_id=claim_id)
        for n, (claim_id, quote) in enumerate(quotes.items())
    ]
    (root / "ledgers").mkdir(exist_ok=True)
    (root / "ledgers" / "hub.csv").write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    site = tmp_path / "site"
    result = kb(root, "build", "--site-dir", str(site))
    assert result.returncode == 0, result.stderr[-3000:]

    paper = (site / "papers" / "9912.00001" / "index.html").read_text(encoding="utf-8")
    assert len(paper.encode()) <= 100 * KB, f"paper page: {len(paper.encode())} bytes"  # 158 KB before
    assert 'id="hub"' in paper and paper.count('<tr id="c-7e57') == LONG_QUOTES
    for claim_id, quote in quotes.items():
        assert quote[:250] in paper and quote not in paper  # the opening, cut at a word break
        assert f'href="../../claims/{claim_id}/">Full quote ({QUOTE_CHARS} characters) on the claim page</a>' in paper
        folder = site / "claims" / claim_id
        claim = (folder / "index.html").read_text(encoding="utf-8")
        assert quote in claim  # whole, in its table (and in the JSON-LD review)
        rest = len(claim.encode()) - 2 * len(quote.encode())
        assert rest <= CLAIM_PAGE_BUDGET, f"{claim_id}: {rest} bytes besides its quote"
        assert '<a href="index.json">BibTeX and CSL-JSON</a>' in claim and "@misc{" not in claim
        assert 'href="../../methodology/#citing"' in claim  # what a living page and a release are, explained once
        head = claim[: claim.index("</head>")]  # the title, description and canonical link, said once
        assert head.count("<title>") == head.count('name="description"') == head.count('rel="canonical"') == 1
        assert "og:" not in head and "application/atom+xml" not in head
        assert head.count('"@type":"ClaimReview"') == 1
        twin = json.loads((folder / "index.json").read_text(encoding="utf-8"))
        assert twin["source_quote"] == quote  # complete data
        assert twin["cite"]["bibtex"].startswith(f"@misc{{kb:claim:{claim_id},")
        assert twin["cite"]["csl"][0]["id"] == f"kb:claim:{claim_id}" and twin["cite"]["csl"][0]["type"] == "dataset"
