"""The layout keeps its promises: layers, no cycles, one git module, a frozen site, a validate that renders nothing."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import grimp
import pytest
from pydantic import BaseModel

from generator.model import records
from generator.pipeline.build import BuildOptions, build, build_site, collect
from generator.pipeline.contexts import CONTEXTS
from generator.pipeline.load import parse_record
from generator.publish.permanence import url_state
from generator.sources import git
from tests.conftest import FIXTURE_CORPUS, REPO, copy_project

BIN = Path(sys.executable).parent
GENERATOR = REPO / "generator"


def test_the_layers_contract_holds() -> None:
    """commands -> orchestrator -> publish -> pipeline stages -> model, lazy imports included (pyproject.toml)."""
    result = subprocess.run([str(BIN / "lint-imports")], cwd=REPO, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr


def test_every_pipeline_stage_is_in_a_layer() -> None:
    """A new module under pipeline/ must be placed in the contract, or the contract would not see it."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    layers = " ".join(config["tool"]["importlinter"]["contracts"][0]["layers"])
    named = set(re.findall(r"generator\.pipeline\.\w+", layers))
    stages = {f"generator.pipeline.{p.stem}" for p in (GENERATOR / "pipeline").glob("*.py") if p.stem != "__init__"}
    assert stages <= named, f"add {sorted(stages - named)} to the layers in pyproject.toml"


def test_no_module_imports_itself_back() -> None:
    """No import cycle of any length, through lazy imports too."""
    graph = grimp.build_graph("generator")
    cycles = []
    for module in sorted(graph.modules):
        for imported in graph.find_modules_directly_imported_by(module):
            if graph.chain_exists(importer=imported, imported=module):
                chain = graph.find_shortest_chain(importer=imported, imported=module) or ()
                cycles.append(" -> ".join((module, *chain)))
    assert not cycles, "\n".join(cycles)


def test_git_runs_in_one_module_only() -> None:
    """Processes are started in two modules only: git's, and search.py for the Pagefind binary (never git)."""
    runners = sorted(
        path.relative_to(REPO).as_posix()
        for path in GENERATOR.rglob("*.py")
        if re.search(r"\bsubprocess\b|[\"']git[\"']", path.read_text(encoding="utf-8"))
    )
    assert runners == ["generator/publish/search.py", "generator/sources/git.py"]
    assert not re.search(r"[\"']git[\"']", (GENERATOR / "publish" / "search.py").read_text(encoding="utf-8"))


VALIDATE_PROBE = """
import json, sys
from generator.pipeline import render

def refuse(*args, **kwargs):
    raise AssertionError("kb validate rendered a page")

render.Renderer.render_all = refuse
render.Renderer.page = refuse
from generator.cli import main
code = main(["--root", sys.argv[1], "validate"])
heavy = sorted({name.split(".")[0] for name in sys.modules} & {"pyarrow", "citeproc", "mkdocs"})
print(json.dumps({"code": code, "heavy": heavy}))
"""


@pytest.mark.parametrize("corpus", [REPO, FIXTURE_CORPUS], ids=["bundled", "fixture"])
def test_validate_renders_nothing_and_loads_no_renderer(corpus: Path, tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project", corpus)
    result = subprocess.run(
        [sys.executable, "-c", VALIDATE_PROBE, str(project)], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["code"] in (0, 1), result.stderr  # 3 would be a crash, e.g. the refused render
    assert outcome["heavy"] == []
    assert "[url-" not in result.stderr or "url-unlocked" in result.stderr  # the URL check ran without pages


@pytest.mark.parametrize("corpus", [REPO, FIXTURE_CORPUS], ids=["bundled", "fixture"])
def test_planned_urls_are_the_rendered_urls(corpus: Path, tmp_path: Path) -> None:
    """`kb validate` checks permanence against URLs planned from the model; a real build serves exactly those."""
    project = copy_project(tmp_path / "project", corpus)
    site, output = build_site(project, BuildOptions())
    planned = url_state(site)
    rendered_pages = {page.url for page in output.pages} | set(getattr(output, "streamed", ()))
    redirects = {f.path.removesuffix("index.html") for f in output.files if f.path.endswith("index.html")}
    assert planned.pages == rendered_pages
    assert planned.static == redirects


def test_the_site_cannot_change_after_collection(tmp_path: Path) -> None:
    site = collect(copy_project(tmp_path / "project", FIXTURE_CORPUS), BuildOptions())
    with pytest.raises(dataclasses.FrozenInstanceError):
        site.hubs = frozenset()  # type: ignore[misc]
    with pytest.raises(TypeError):
        site.aliases["x"] = "y"  # type: ignore[index]
    with pytest.raises(TypeError):
        site.cited_by["x"] = ()  # type: ignore[index]
    some_paper = next(iter(site.claims_by_paper))
    assert isinstance(site.claims_by_paper[some_paper], tuple)
    assert site.claims_by_paper["no-such-paper"] == ()


def test_inputs_are_the_cache_key(tmp_path: Path) -> None:
    """The same tree with the same options gives the same build; another git input gives a fresh one."""
    project = copy_project(tmp_path / "project", FIXTURE_CORPUS)
    config = project / "mkdocs.yml"
    config.write_text(re.sub(r"(?m)^    release: .*\n", "", config.read_text(encoding="utf-8")), encoding="utf-8")
    options = BuildOptions(release="r1", stop_after="check")
    first = build(project, options)
    assert build(project, options).site is first.site
    assert build(project, dataclasses.replace(options, strict=True)).site is first.site  # only the verdict differs
    other = build(project, dataclasses.replace(options, release="r2"))
    assert (first.site.settings.release, other.site.settings.release) == ("r1", "r2")
    base = git.Published(name="origin/main (abc1234)", commit="abc1234" * 5, files={})
    assert build(project, dataclasses.replace(options, base=base)).site is not other.site


def test_no_dead_code(tmp_path: Path) -> None:
    """vulture, with hook entry points and names used only by templates or pydantic allowed (tests/vulture_allowlist.py)."""
    used_in_templates = {
        name
        for template in (GENERATOR / "templates").rglob("*.html")
        for name in re.findall(r"\.([A-Za-z_]\w*)", template.read_text(encoding="utf-8"))
    }
    model_fields = {
        name
        for value in vars(records).values()
        if isinstance(value, type) and issubclass(value, BaseModel)
        for name in value.model_fields
    }
    # Page-context fields are read by name by their templates (tests/test_page_contexts.py checks each one is).
    context_fields = {field.name for context in CONTEXTS.values() for field in dataclasses.fields(context)}
    generated = tmp_path / "generated_allowlist.py"
    names = sorted(used_in_templates | model_fields | context_fields)
    generated.write_text("".join(f"_.{name}\n" for name in names), encoding="utf-8")
    result = subprocess.run(
        [str(BIN / "vulture"), "generator", "tests", "tests/vulture_allowlist.py", str(generated),
         "--ignore-decorators", "@model_validator,@field_validator"],
        cwd=REPO, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_rebuild_parses_only_the_records_that_changed(tmp_path: Path) -> None:
    """`kb serve` rebuilds on every edit; an unchanged record is not parsed again, and its problems are kept."""
    record = tmp_path / "paper.yaml"
    record.write_text("id: '2503.23007'\ntitle: First\n", encoding="utf-8")
    doc, _ = parse_record(record, "records/papers/paper.yaml")
    assert doc is not None and parse_record(record, "records/papers/paper.yaml")[0] is doc
    record.write_text("id: '2503.23007'\ntitle: Edited\n", encoding="utf-8")
    edited, _ = parse_record(record, "records/papers/paper.yaml")
    assert edited is not doc and edited is not None and edited.data["title"] == "Edited"
    broken = tmp_path / "broken.yaml"
    broken.write_text("title: [unclosed\n", encoding="utf-8")
    reports = [parse_record(broken, "records/papers/broken.yaml") for _ in range(2)]
    assert [doc for doc, _ in reports] == [None, None]
    assert [p.code for p in reports[0][1]] == [p.code for p in reports[1][1]] == ["yaml-syntax"]
