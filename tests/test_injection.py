"""Injection: contributor text is data, never markup, template or Markdown.

`tests/hostile/injection/` holds a project whose every text field carries `<script>`,
event-handler attributes, attribute breakouts, Jinja syntax, Markdown and front-matter
markers. A real `kb build` must succeed, and each string must appear on the site as the
visible literal text written in the record: in the page body, <title>, meta tags, the
search index and the JSON twin. Also here: no network during validate and build, and
nothing written outside the site folder.
"""

from __future__ import annotations

import csv
import gzip
import json
import re
import socket
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.commands.build import mkdocs_build
from generator.pipeline.build import collect, generate
from generator.pipeline.render import plain_text
from tests.helpers import FIXTURES, PAPER, add_site_config, copy_fixture, diagnostic, kb, make_project, only, run

FIXTURE = FIXTURES / "injection"
SITE_NAME = "MoE Evidence Ledger"
SUMMARY_LINE = (
    "kb: read 5 files: 4 records (2 papers, 1 syntheses, 0 external works, 1 categories) "
    "and 3 ledger rows (3 valid claims)"
)


def fixture_record(relative: str) -> dict[str, Any]:
    """The record as plain PyYAML reads it: the exact strings the site must show."""
    data = yaml.safe_load((FIXTURE / relative).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


PAPER_DATA = fixture_record("records/papers/2409.02060.yaml")
OLD_STYLE = fixture_record("records/papers/hep-th_9901001.yaml")
SYNTHESIS_DATA = fixture_record("records/syntheses/SRCH-0000BEEF.yaml")
CATEGORY = fixture_record("records/taxonomy.yaml")["categories"][0]
CLAIM_TEXT = "<script>alert('claim')</script> {{ 7*7 }} \"><img src=x onerror=alert('claim')>"
QUOTE_TEXT = "| pipe | table |\n# heading\n---\n{% raw %}{{ 7*7 }}{% endraw %}"


# --- reading built HTML ----------------------------------------------------------------------------


class Page(HTMLParser):
    """Elements, attributes, script bodies and visible text of one HTML document."""

    VOID = frozenset(
        {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
    )

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.source = source
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.texts: dict[str, list[str]] = {}
        self._open: list[tuple[str, dict[str, str | None]]] = []
        self._capture: list[tuple[str, list[str]]] = []
        self._script: tuple[dict[str, str | None], list[str]] | None = None
        self._hidden = 0
        self.visible: list[str] = []
        self.feed(source)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag == "script":
            self._script = (attributes, [])
        if tag in ("script", "style", "svg"):
            self._hidden += 1
        if tag not in self.VOID:
            self._open.append((tag, attributes))
            self._capture.append((tag, []))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            self.scripts.append((self._script[0], "".join(self._script[1])))
            self._script = None
        if tag in ("script", "style", "svg"):
            self._hidden = max(0, self._hidden - 1)
        while self._open:
            open_tag, _ = self._open.pop()
            name, parts = self._capture.pop()
            text = "".join(parts)
            self.texts.setdefault(name, []).append(text)
            if self._capture:
                self._capture[-1][1].append(text)
            if open_tag == tag:
                break

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._script[1].append(data)
        if self._capture:
            self._capture[-1][1].append(data)
        if not self._hidden:
            self.visible.append(data)

    def text(self) -> str:
        return squash("".join(self.visible))

    def first(self, tag: str) -> str:
        return self.texts[tag][0]

    def meta(self, key: str) -> str | None:
        for tag, attributes in self.tags:
            if tag == "meta" and key in (attributes.get("name"), attributes.get("property")):
                return attributes.get("content")
        return None


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def page(site: Path, url: str) -> Page:
    return Page((site / url / "index.html").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """A real `kb build` of the injection fixture, as a contributor would run it."""
    base = tmp_path_factory.mktemp("injection")
    root = add_site_config(copy_fixture("injection", base / "project"))
    site = base / "site"
    result = kb(root, "build", "--site-dir", str(site))
    assert result.returncode == 0, result.stderr
    return root, site, result.stderr


# --- the data pipeline -------------------------------------------------------------------------------


def test_fixture_validates_with_only_the_invisible_character_warning() -> None:
    site = collect(FIXTURE)
    assert not site.problems.errors, site.problems.report()
    (warning,) = [w for w in site.problems.warnings if w.code != "url-unlocked"]  # the fixture has no urls.lock
    assert diagnostic(warning) == ("text-invisible-char", "records/papers/hep-th_9901001.yaml", 4, "title")


@pytest.mark.parametrize("field", ["code", "openreview", "homepage"])
@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "http://example.org/",
        'https://example.org/" onmouseover="alert(1)',
        "https://example.org/'><script>alert(1)</script>",
        "//evil.example/",
    ],
)
def test_non_https_links_are_rejected(tmp_path: Path, field: str, url: str) -> None:
    text = PAPER + f"links:\n  {field}: {json.dumps(url)}\n"
    problem = only(run(make_project(tmp_path / "p", papers={"p.yaml": text}, ledgers={})))
    assert diagnostic(problem) == ("field-pattern", "records/papers/p.yaml", 10, f"links.{field}")
    assert problem.message == f"{url!a} does not have the required form"
    assert problem.hint == "links must start with https:// (javascript:, data: and http: are refused)"


def test_template_text_in_records_is_not_evaluated_by_the_renderer() -> None:
    output = generate(collect(FIXTURE))
    paper = next(p for p in output.pages if p.url == "papers/2409.02060/")
    assert "{{ 7*7 }}" in paper.html
    assert "{% raw %}{% if true %}VENUE{% endif %}{% endraw %}" in paper.html
    assert "{{ config }}" in paper.html
    assert ">49<" not in paper.html and " 49 " not in Page(paper.html).text()


# --- the built site ----------------------------------------------------------------------------------


def test_the_html_checker_sees_what_it_must_refuse() -> None:
    """Guard against a checker that passes because it sees nothing."""
    parsed = Page('<p>x<img src=x onerror=alert(1)></p><a href=" JAVASCRIPT:x">y</a><script>alert(2)</script>')
    assert ("img", {"src": "x", "onerror": "alert(1)"}) in parsed.tags
    assert parsed.scripts == [({}, "alert(2)")]
    assert parsed.text() == "xy"
    escaped = Page("<p>&lt;img src=x onerror=alert(1)&gt;</p>")
    assert [tag for tag, _ in escaped.tags] == ["p"]
    assert escaped.text() == "<img src=x onerror=alert(1)>"


def test_build_succeeds_and_reports_what_it_read(built: tuple[Path, Path, str]) -> None:
    _, site, stderr = built
    assert SUMMARY_LINE in stderr
    assert "internal error" not in stderr and "Traceback" not in stderr
    assert (site / "papers" / "hep-th" / "9901001" / "index.html").is_file()
    claim_pages = sorted(p.parent.name for p in (site / "claims").glob("c-*/index.html"))
    assert claim_pages == ["c-0123abcd", "c-0123abce", "c-0123abcf"]


def test_no_element_attribute_or_script_comes_from_data(built: tuple[Path, Path, str]) -> None:
    _, site, _ = built
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 10
    for path in pages:
        parsed = Page(path.read_text(encoding="utf-8"))
        where = path.relative_to(site)
        for tag, attributes in parsed.tags:
            handlers = [name for name in attributes if name.startswith("on")]
            assert not handlers, f"{where}: <{tag}> has event handler(s) {handlers}"
            for name in ("href", "src", "action", "formaction", "xlink:href"):
                value = (attributes.get(name) or "").strip().lower()
                assert not value.startswith(("javascript:", "data:", "vbscript:")), f"{where}: {tag} {name}={value}"
            assert not (tag == "img" and attributes.get("src") in ("x", "https://evil.example/x.png")), where
        for attributes, body in parsed.scripts:
            if attributes.get("type") == "application/ld+json":
                json.loads(body)  # data stays inside a JSON string: `</script>` cannot close it
            else:
                assert "alert(" not in body, f"{where}: data reached a script"


def test_titles_are_visible_literal_text(built: tuple[Path, Path, str]) -> None:
    _, site, _ = built
    paper = page(site, "papers/2409.02060")
    title = PAPER_DATA["title"]
    assert paper.first("h1") == title
    assert paper.first("title") == f"{title} - {SITE_NAME}"
    assert paper.meta("og:title") == title
    assert paper.meta("description") == PAPER_DATA["summary"]
    synthesis = page(site, "syntheses/SRCH-0000BEEF")
    assert synthesis.first("h1") == SYNTHESIS_DATA["title"]
    assert synthesis.first("title") == f"{SYNTHESIS_DATA['title']} - {SITE_NAME}"
    category = page(site, "taxonomy/moe")
    assert category.first("h1") == CATEGORY["title"]
    assert CATEGORY["description"] in category.text()


def test_every_text_field_appears_literally_in_the_body(built: tuple[Path, Path, str]) -> None:
    _, site, _ = built
    paper = page(site, "papers/2409.02060").text()
    for expected in (
        *PAPER_DATA["authors"],
        PAPER_DATA["venue"],
        PAPER_DATA["summary"],
        PAPER_DATA["abstract"],
        PAPER_DATA["cites"][0]["context"],
        CATEGORY["title"],
        CLAIM_TEXT,
        QUOTE_TEXT,
        "p1 <b>",
        "<i onclick=alert('fit')>fits</i>",
        "<script>alert('audit')</script>",
        "javascript:alert('report')",
    ):
        assert squash(expected) in paper, expected
    claim = page(site, "claims/c-0123abcd").text()
    assert squash(CLAIM_TEXT) in claim and squash(QUOTE_TEXT) in claim
    synthesis = page(site, "syntheses/SRCH-0000BEEF").text()
    for key in ("abstract", "research_question"):
        assert squash(SYNTHESIS_DATA[key]) in synthesis, key
    provenance = SYNTHESIS_DATA["provenance"]
    for value in (provenance["report_artifact"], provenance["claim_lineage"], provenance["review_method"]):
        assert value in synthesis, value


def test_missing_value_words_render_as_text(built: tuple[Path, Path, str]) -> None:
    _, site, _ = built
    claim = page(site, "claims/c-0123abce").text()
    assert "NA" in claim and "N/A" in claim and "null" in claim


def test_template_syntax_is_never_evaluated(built: tuple[Path, Path, str]) -> None:
    _, site, _ = built
    for url in ("papers/2409.02060", "claims/c-0123abcd", "syntheses/SRCH-0000BEEF", "taxonomy/moe", ""):
        text = page(site, url).text() if url else Page((site / "index.html").read_text(encoding="utf-8")).text()
        assert "{{ 7*7 }}" in text, url
        assert " 49 " not in f" {text} ", url
    paper = page(site, "papers/2409.02060").text()
    assert "{% raw %}{% if true %}VENUE{% endif %}{% endraw %}" in paper
    assert "{{ config }}" in paper
    assert "{% include 'x' %}" in paper


def test_markdown_and_front_matter_are_not_interpreted(built: tuple[Path, Path, str]) -> None:
    _, site, _ = built
    paper = page(site, "papers/2409.02060")
    headings = [squash(t) for level in ("h1", "h2", "h3", "h4") for t in paper.texts.get(level, [])]
    assert "Heading in abstract" not in headings and "heading" not in headings
    assert "front matter" not in paper.first("title")
    text = paper.text()
    assert "--- title: front matter --- # Heading in abstract" in text
    assert "![image](https://evil.example/x.png) and [click](javascript:alert('abstract'))" in text
    assert "| col | col | |-----|-----| | a | b |" in text
    tables = paper.source.count("<table")
    assert tables == 1, "only the claims table; no table from Markdown pipes"


def test_ampersands_are_escaped_exactly_once(built: tuple[Path, Path, str]) -> None:
    _, site, _ = built
    source = (site / "papers" / "2409.02060" / "index.html").read_text(encoding="utf-8")
    assert "R&amp;D" in source
    assert "R&D" in page(site, "papers/2409.02060").text()
    for path in site.rglob("*.html"):
        assert "&amp;amp;" not in path.read_text(encoding="utf-8"), path


def test_invisible_characters_in_a_title_are_shown_visibly(built: tuple[Path, Path, str]) -> None:
    _, site, _ = built
    old = page(site, "papers/hep-th/9901001")
    assert old.first("h1") == "Old style id U+202EevilU+202C and zeroU+200Bwidth"
    assert old.first("title") == f"{plain_text(OLD_STYLE['title'])} - {SITE_NAME}"
    assert "[U+202E]" in old.first("title")
    for text in (old.first("h1"), old.first("title"), old.meta("og:title") or ""):
        assert "\u202e" not in text and "\u200b" not in text


def test_json_twin_holds_the_exact_strings(built: tuple[Path, Path, str]) -> None:
    _, site, _ = built
    twin = json.loads((site / "papers" / "2409.02060" / "index.json").read_text(encoding="utf-8"))
    assert twin["title"] == PAPER_DATA["title"]
    for key in ("title", "authors", "venue", "summary", "abstract"):
        assert twin["record"][key] == PAPER_DATA[key], key
    assert [c["claim"] for c in twin["claims"]] == [CLAIM_TEXT, "NA"]
    assert twin["claims"][0]["source_quote"] == QUOTE_TEXT
    claim = json.loads((site / "claims" / "c-0123abcd" / "index.json").read_text(encoding="utf-8"))
    assert claim["claim"] == CLAIM_TEXT
    old = json.loads((site / "papers" / "hep-th" / "9901001" / "index.json").read_text(encoding="utf-8"))
    assert old["record"]["id"] == "hep-th/9901001"


def test_search_index_holds_the_text_readers_see(built: tuple[Path, Path, str]) -> None:
    """Pagefind's per-page records (gzip, a `pagefind_dcd` signature, JSON) are the page's visible text.

    Payloads are in them as the characters a reader saw, not as markup that ran: Pagefind escapes `<` and `>`
    before it marks hits, and overrides/assets/search.js keeps only text and <mark> (test_injection_browser).
    """
    _, site, _ = built
    records = {}
    for path in (site / "pagefind" / "fragment").iterdir():
        record = json.loads(gzip.decompress(path.read_bytes()).removeprefix(b"pagefind_dcd"))
        records[record["url"]] = record
    paper = records["/papers/2409.02060/"]
    assert paper["meta"]["title"] == PAPER_DATA["title"]
    assert "{{ 7*7 }}" in paper["content"] and "<b onmouseover=alert('summary')>bold</b>" in paper["content"]
    old_style = records["/papers/hep-th/9901001/"]["meta"]["title"]  # the page's <h1>: invisible characters shown
    assert "U+202E" in old_style and not set("\u202e\u202c\u200b") & set(old_style)


# --- no network, nothing outside the site, nothing lost ------------------------------------------------


def test_validate_and_build_use_no_network(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    attempts: list[Any] = []

    def refuse(self: socket.socket, address: Any) -> None:
        attempts.append(address)
        raise OSError("network access during a build")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: refuse(None, a))  # type: ignore[arg-type]
    root = add_site_config(copy_fixture("injection", tmp_path / "project"))
    before = {p for p in tmp_path.rglob("*")}
    site = collect(root)
    generate(site)
    assert mkdocs_build(root, strict=False, site_dir=str(tmp_path / "site")) == 0
    assert attempts == []
    created = {p for p in tmp_path.rglob("*")} - before
    outside = sorted(str(p) for p in created if not p.is_relative_to(tmp_path / "site"))
    assert outside == [], "the build wrote outside its site folder"


def test_nothing_read_is_lost(built: tuple[Path, Path, str]) -> None:
    root, site, stderr = built
    data = collect(root)
    stats = data.stats
    records = list((root / "records").rglob("*.yaml"))
    with (root / "ledgers" / "injection.csv").open(encoding="utf-8", newline="") as handle:
        ledger_rows = len(list(csv.reader(handle))) - 1
    assert stats.records_read == len(records) == 4
    assert stats.rows_read == ledger_rows == stats.claims == 3
    output = generate(data)
    assert output.rendered_claims == stats.claims
    assert {p.url for p in output.pages if p.kind == "paper"} == {"papers/2409.02060/", "papers/hep-th/9901001/"}
    assert len(list((site / "claims").glob("c-*/index.html"))) == stats.claims
    assert SUMMARY_LINE in stderr
