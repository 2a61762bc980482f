"""Content pages have rules too (issue #12, finding 1): planted in a scratch copy, built with the real `kb build`."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from generator.publish.content_guard import sanitise_html
from tests.helpers import kb

HOSTILE_PAGE = """\
# Hostile page

<img src="x.png" onerror="alert('img')">
<a href="javascript:alert('js')">javascript link</a>
<a href="data:text/html,<script>alert('data')</script>">data link</a>
<a href="JaVaScRiPt&#58;alert('entity')">entity link</a>
<script>alert('script')</script>
<iframe src="javascript:alert('iframe')"></iframe>
<object data="javascript:alert('object')"></object>
<embed src="javascript:alert('embed')">
<form action="javascript:alert('form')"><button>Send</button></form>
<svg onload="alert('svg')"></svg>
<div style="position:fixed;top:0" onclick="alert('div')">styled</div>

Hover over this paragraph.
{: onmouseover="alert('attr')" .kb-note #hover-me }

[A plain link](https://example.org/ "title kept"){: .kb-link }

!!! note "Kept"
    An admonition survives.

| column | other |
|:-------|------:|
| 1      | 2     |

<details><summary>More</summary><p>Details survive.</p></details>

```sh
echo "code survives"
```
"""
DANGEROUS = re.compile(
    r"\son[a-z]+\s*=|javascript:|data:text|<script|<iframe|<object|<embed|<form|<svg|position:", re.I
)


def article(html: str) -> str:
    """The page's own content, from its heading (Material's scripts and icons around it are not contributor text)."""
    return html[html.index("<h1") : html.index("</article>")]


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.conftest import copy_project

    base = tmp_path_factory.mktemp("trust-content")
    root = copy_project(base / "project")
    (root / "content" / "hostile.md").write_text(HOSTILE_PAGE, encoding="utf-8")
    contributing = root / "CONTRIBUTING.md"
    contributing.write_text(contributing.read_text(encoding="utf-8") + '\n<img src="x" onerror="alert(2)">\n')
    result = kb(root, "build", "--site-dir", str(base / "site"))
    assert result.returncode == 0, result.stderr
    return base / "site"


def test_content_html_keeps_what_material_needs_and_nothing_that_runs(hostile_site: Path) -> None:
    page = article((hostile_site / "hostile" / "index.html").read_text(encoding="utf-8"))
    assert DANGEROUS.search(page) is None, DANGEROUS.search(page)
    assert '<div class="admonition note">' in page and '<p class="admonition-title">Kept</p>' in page
    assert '<p class="kb-note" id="hover-me">Hover over this paragraph.</p>' in page
    assert '<a class="kb-link" href="https://example.org/" title="title kept">A plain link</a>' in page
    assert '<th style="text-align:left">column</th>' in page and '<td style="text-align:right">2</td>' in page
    assert "<div>styled</div>" in page, "a style attribute is dropped, the element kept"
    assert "<details><summary>More</summary>" in page and "code survives" in page
    assert "javascript link</a>" in page, "the text of a refused link stays"


def test_contributing_md_is_sanitised_too(hostile_site: Path) -> None:
    page = article((hostile_site / "contributing" / "index.html").read_text(encoding="utf-8"))
    assert "onerror" not in page and '<img src="x">' in page, page[-500:]


def test_the_home_page_macros_still_render(hostile_site: Path) -> None:
    home = article((hostile_site / "index.html").read_text(encoding="utf-8"))
    assert '<p class="kb-counts"><strong>6</strong> papers' in home
    assert "{{" not in home and '<ul class="kb-hubs">' in home


@pytest.mark.parametrize(
    "sanitised",
    [
        ('<p onclick="x()">t</p>', "<p>t</p>"),
        ('<a href="javascript:x()">t</a>', "<a>t</a>"),
        ('<img src="data:image/svg+xml,<svg onload=x()>">', "<img>"),
        ("<iframe srcdoc='<script>x()</script>'></iframe>t", "t"),
        ('<h2 id="a">A<a class="headerlink" href="#a" title="Permanent link">¶</a></h2>',
         '<h2 id="a">A<a class="headerlink" href="#a" title="Permanent link">¶</a></h2>'),
    ],
)  # fmt: skip
def test_allow_list(sanitised: tuple[str, str]) -> None:
    given, expected = sanitised
    assert sanitise_html(given) == expected


def test_a_raw_html_page_is_a_documented_exception(project: Path, tmp_path: Path) -> None:
    (project / "content" / "raw.md").write_text('# Raw\n\n<p data-x="1" onclick="alert(1)">kept</p>\n')
    config = project / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8").replace("raw_html_pages: []", 'raw_html_pages: ["raw.md"]'))
    assert kb(project, "build", "--site-dir", str(tmp_path / "site")).returncode == 0
    assert 'onclick="alert(1)"' in (tmp_path / "site" / "raw" / "index.html").read_text(encoding="utf-8")


def test_content_may_not_shadow_theme_override_or_generated_files(project: Path, tmp_path: Path) -> None:
    for name in ("assets/kb.js", "feed.xml", "papers/2503.23007/index.md", "claims/c-d9d1c8ac/index.md", "main.html"):
        (project / "content" / name).parent.mkdir(parents=True, exist_ok=True)
        (project / "content" / name).write_text("alert('shadow')\n", encoding="utf-8")
    result = kb(project, "build", "--site-dir", str(tmp_path / "site"))
    assert result.returncode == 1
    for line in (
        "content/assets/kb.js: this file has the same path as overrides/assets/kb.js, which it would replace",
        "content/feed.xml: this file has the same path as the generated file /feed.xml, which it would replace",
        "content/papers/2503.23007/index.md: this file has the same path as the generated page /papers/2503.23007/",
        "content/main.html: this file has the same path as overrides/main.html, which it would replace",
        "content/claims/c-d9d1c8ac/index.md: this file has the same path as the generated page /claims/c-d9d1c8ac/",
    ):
        assert line in result.stderr, result.stderr
    assert result.stderr.count("[content-shadows-file]") == 5


def test_symlinks_in_site_inputs_are_refused(project: Path, tmp_path: Path) -> None:
    os.symlink("/etc/passwd", project / "content" / "passwd")
    os.symlink("/etc/hostname", project / "content" / "host.md")
    os.symlink("/etc/hostname", project / "overrides" / "partials" / "extra.html")
    lock = project / "urls.lock"
    outside = tmp_path / "outside.lock"
    outside.write_text(lock.read_text(encoding="utf-8"), encoding="utf-8")
    lock.unlink()
    os.symlink(outside, lock)
    result = kb(project, "build", "--site-dir", str(tmp_path / "site"))
    assert result.returncode == 1
    for path, target in (
        ("content/host.md", "/etc/hostname"),
        ("content/passwd", "/etc/passwd"),
        ("overrides/partials/extra.html", "/etc/hostname"),
        ("urls.lock", outside.as_posix()),
    ):
        assert f"{path}: symbolic links are not allowed here (points to {target}) [file-symlink]" in result.stderr
    assert not (tmp_path / "site" / "passwd").exists()


def test_macros_only_on_listed_pages(project: Path, tmp_path: Path) -> None:
    (project / "content" / "evil.md").write_text("---\nrender_macros: true\n---\n\n# Evil\n\n{{ 7*7 }}\n")
    result = kb(project, "validate")
    assert result.returncode == 1
    assert (
        "content/evil.md:2: render_macros: this page asks for macros, but `evil.md` is not listed in "
        "extra.kb.macro_pages in mkdocs.yml [content-macros-not-allowed]"
    ) in result.stderr


def test_macro_pages_render_in_a_sandbox(project: Path, tmp_path: Path) -> None:
    marker = tmp_path / "PWNED"
    home = project / "content" / "index.md"
    payload = f"{{{{ lipsum.__globals__['os'].popen('touch {marker}').read() }}}}"
    home.write_text(home.read_text(encoding="utf-8") + f"\n{payload}\n", encoding="utf-8")
    result = kb(project, "build", "--strict", "--site-dir", str(tmp_path / "site"))
    assert not marker.exists(), "a macro page ran a shell command at build time"
    assert result.returncode == 1
    assert "SecurityError: access to attribute '__globals__' of 'function' object is unsafe." in result.stderr


def test_a_data_only_change_injects_no_markup_into_any_page(tmp_path: Path) -> None:
    """The data-only promise, statically over every built page: the injection fixture puts `<script>`, `onerror=`
    and `javascript:` into every text field of records/ and ledgers/; no page's content carries any of it as markup."""
    from tests.helpers import add_site_config, copy_fixture

    root = add_site_config(copy_fixture("injection", tmp_path / "project"))
    result = kb(root, "build", "--site-dir", str(tmp_path / "site"))
    assert result.returncode == 0, result.stderr
    pages = sorted((tmp_path / "site").rglob("*.html"))
    assert len(pages) > 10
    markup = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=|<[a-z][^>]*=\s*[\"']?\s*javascript:|<script>alert", re.I)
    for path in pages:
        html = path.read_text(encoding="utf-8")
        content = html[html.index("<article") : html.index("</article>")] if "<article" in html else html
        assert markup.search(content) is None, f"{path.relative_to(tmp_path)}: {markup.search(content)}"
