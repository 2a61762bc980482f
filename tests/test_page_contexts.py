"""Typed page contexts: every template reads only its context's fields, and reads all of them.

Checked two ways: statically (the variables a template and the partials it includes leave undeclared,
against the fields of its context class) and by rendering real pages, where StrictUndefined turns any
variable a context lacks into an error.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import jinja2
import pytest
from jinja2 import meta

from generator.pipeline.build import collect
from generator.pipeline.contexts import COMMON, CONTEXTS, SiteView, template_vars
from generator.pipeline.render import TEMPLATE_DIR, PageLinks, Renderer, make_environment
from generator.publish.permanence import redirect_html
from tests.helpers import make_project

STANDALONE = {"redirect.html", "tombstone.html"}  # rendered outside Renderer.page: no COMMON variables
CONSUMED_BY_RENDERER = {"toc"}  # becomes the page's table of contents; a template may also show it
PAGE_TEMPLATES = sorted(p.name for p in (TEMPLATE_DIR / "kb").glob("*.html") if p.name != "claim_shell.html")


def undeclared(env: jinja2.Environment, name: str, seen: set[str] | None = None) -> set[str]:
    """Variables `name` reads from its context, including those of the templates it includes."""
    seen = set() if seen is None else seen
    seen.add(name)
    source = env.loader.get_source(env, name)[0]  # type: ignore[union-attr]
    tree = env.parse(source)
    assigned = {node.name for node in tree.find_all(jinja2.nodes.Name) if node.ctx == "store"}
    found = set(meta.find_undeclared_variables(tree)) - assigned  # a `set` inside an `if` is still the template's own
    for node in tree.find_all(jinja2.nodes.Include):
        target = node.template
        if isinstance(target, jinja2.nodes.Const) and target.value not in seen:
            found |= undeclared(env, target.value, seen) - assigned  # an include sees the includer's `set`s
    return found


def optional_variables(env: jinja2.Environment, name: str, seen: set[str] | None = None) -> set[str]:
    """Variables `name` (or a template it includes) only reads after testing `is defined`."""
    seen = set() if seen is None else seen
    seen.add(name)
    tree = env.parse(env.loader.get_source(env, name)[0])  # type: ignore[union-attr]
    found = {
        test.node.name
        for test in tree.find_all(jinja2.nodes.Test)
        if test.name == "defined" and isinstance(test.node, jinja2.nodes.Name)
    }
    for node in tree.find_all(jinja2.nodes.Include):
        if isinstance(node.template, jinja2.nodes.Const) and node.template.value not in seen:
            found |= optional_variables(env, node.template.value, seen)
    return found


@pytest.mark.parametrize("template", PAGE_TEMPLATES)
def test_template_reads_exactly_its_context(template: str) -> None:
    env = make_environment(Path("/nonexistent"))
    assert template in CONTEXTS, f"kb/{template} has no context class in generator/pipeline/contexts.py"
    context_fields = {f.name for f in dataclasses.fields(CONTEXTS[template])}
    given = context_fields | (set() if template in STANDALONE else set(COMMON))
    read = undeclared(env, f"kb/{template}") - set(env.globals)
    optional = optional_variables(env, f"kb/{template}")  # `x if x is defined`: a partial shared by several pages
    assert read - given - optional == set(), f"kb/{template} reads variables its context does not declare"
    assert context_fields - read - CONSUMED_BY_RENDERER == set(), f"kb/{template} is given fields it never reads"


def test_a_context_refuses_an_undeclared_variable() -> None:
    with pytest.raises(TypeError, match="surprise"):
        template_vars("papers_index.html", {"papers": [], "surprise": 1})
    with pytest.raises(TypeError, match="groups"):
        template_vars("syntheses_index.html", {})


def test_no_template_spells_a_url() -> None:
    """Links go through `links.record/claim/category/index/data_file/asset`, so urls.py stays the one scheme."""
    spelled = re.compile(r"""['"/](?:papers|syntheses|claims|taxonomy|works|methodology|data)/""")
    offenders = []
    for path in sorted((TEMPLATE_DIR / "kb").rglob("*.html")):
        text = re.sub(
            r"\{#.*?#\}", lambda m: "\n" * m.group().count("\n"), path.read_text(encoding="utf-8"), flags=re.S
        )
        offenders += [f"{path.name}:{n}" for n, line in enumerate(text.splitlines(), start=1) if spelled.search(line)]
    assert offenders == []


def test_pages_render_with_their_contexts_and_no_site(tmp_path: Path) -> None:
    site = collect(make_project(tmp_path / "project"))
    renderer = Renderer(site)
    output = renderer.render_all()
    kinds = {page.kind for page in output.pages}
    assert {"paper", "category", "index", "explorer", "methodology"} <= kinds
    assert any(page.url == "methodology/problems/" and 'id="encoding"' in page.html for page in output.pages)
    probe = renderer.env.from_string("{{ site.problems }}")
    with pytest.raises(jinja2.UndefinedError):
        probe.render(site=SiteView.of(site))
    assert not {"problems", "root", "corpus_files"} & {f.name for f in dataclasses.fields(SiteView)}


def test_redirect_and_tombstone_templates_can_be_overridden(tmp_path: Path) -> None:
    root = make_project(tmp_path / "project")
    override = root / "overrides" / "kb" / "redirect.html"
    override.parent.mkdir(parents=True)
    override.write_text("<p>moved to {{ target }} ({{ record_title }})</p>", encoding="utf-8")
    html = redirect_html(make_environment(root), PageLinks("papers/1/", "", ""), "papers/2/", "1", "2", "<T>", "")
    assert html.decode() == "<p>moved to ../2/ (&lt;T&gt;)</p>"
