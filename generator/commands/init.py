"""`kb init DIR`: a new, empty knowledge base that builds at once.

Starting from a copy of another knowledge base carries its urls.lock, whose URLs
the new site never published (and whose hints then ask for tombstones of papers
nobody wrote). `kb init` writes only what a new site needs: the configuration
with placeholders, a one-category taxonomy, empty records/ and ledgers/, a home
page, the theme overrides, the CI workflows, the pre-commit hooks, CONTRIBUTING
and the editor schemas. Its urls.lock holds no URL of any other site: it locks
the new site's own index pages, so `kb build --strict` passes from the start.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
from pathlib import Path

import generator

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2
SOURCE = Path(generator.__file__).resolve().parents[1]
"""The generator's own checkout: its theme overrides, workflows and hooks are the new site's starting point."""
COPIED = (
    "overrides",
    ".github/workflows",
    "requirements/deploy.txt",
    ".pre-commit-config.yaml",
    "CONTRIBUTING.md",
    ".gitignore",
)
PLACEHOLDER_SITE = "https://example-org.github.io/evidence-ledger/"
PLACEHOLDER_REPO = "https://github.com/example-org/evidence-ledger"

TAXONOMY = """\
# The category tree. Rename this first category to your subject and add others: a category names
# one parent with `parent: slug`, or several with `parents: [a, b]` (the taxonomy may be a DAG).
categories:
  - slug: main-topic
    title: Main topic
    description: Rename this category to the subject of your knowledge base.
"""

HOME = """\
---
render_macros: true
---

# {name}

<p class="kb-counts"><strong>{{{{ kb.counts.papers }}}}</strong> papers · <strong>{{{{ kb.counts.claims }}}}</strong> claims · <strong>{{{{ kb.counts.syntheses }}}}</strong> syntheses · <strong>{{{{ kb.counts.categories }}}}</strong> categories</p>

## Start here

- [Claim explorer](claims/index.md): every claim, filterable by status, evidence, depth, audit and category.
- [Taxonomy](taxonomy/index.md): the category tree with counts.
- [All papers](papers/index.md) and [all syntheses](syntheses/index.md).
- [Methodology](methodology/index.md): what every badge means.

## Newest additions

{{{{ kb.newest_html }}}}
"""

HOOKS = """\
# MkDocs loads this file (see `hooks:` in mkdocs.yml); the hooks themselves come with `kb`.
from generator.mkdocs_hooks import *  # noqa: F403
"""
HOOKS_SHIM = "hooks/kb_hooks.py"
"""Where a knowledge base keeps the shim. Not in a `generator/` folder: where the knowledge base's folder comes
first on sys.path (`python -m mkdocs build`), Python would take that folder for the `generator` package, the
shim would import itself, and MkDocs would build the hand-written pages alone, without an error."""


def use_hooks_shim(config: str) -> str:
    """mkdocs.yml's text with its one hook pointed at the shim."""
    return re.sub(r"(?m)^hooks:\n(\s*)- .*$", rf"hooks:\n\1- {HOOKS_SHIM}", config, count=1)


MAKEFILE = """\
# `make install` creates .venv with `kb` in it; the workflows run `make install-locked`, which takes
# kb's dependencies from requirements/deploy.txt (pinned, with hashes) and then kb itself.
# KB_GENERATOR says where `kb` comes from: a path to its checkout, a git URL or a package name.
PYTHON ?= python3
KB_GENERATOR ?= evidence-ledger-kb
BIN := .venv/bin

.PHONY: install install-locked site serve

install:
\t$(PYTHON) -m venv .venv
\t$(BIN)/python -m pip install --quiet --upgrade pip
\t$(BIN)/python -m pip install --quiet "$(KB_GENERATOR)"

install-locked:
\t$(PYTHON) -m venv .venv
\t$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements/deploy.txt
\t$(BIN)/python -m pip install --quiet --no-deps "$(KB_GENERATOR)"

site: install
\t$(BIN)/kb build

serve: install
\t$(BIN)/kb serve
"""


def _mkdocs_yml(name: str, site_url: str, repo_url: str) -> str:
    """The generator's own mkdocs.yml with this site's name and URLs (placeholders unless given)."""
    text = (SOURCE / "mkdocs.yml").read_text(encoding="utf-8")
    replacements = {
        "site_name": json.dumps(name, ensure_ascii=False),  # a JSON string is a YAML string, quoted and escaped
        "site_description": json.dumps(f"{name}: a living, citable evidence ledger.", ensure_ascii=False),
        "site_url": f'!ENV [KB_SITE_URL, "{site_url or PLACEHOLDER_SITE}"]',
        "repo_url": f'!ENV [KB_REPO_URL, "{repo_url or PLACEHOLDER_REPO}"]',
        "repo_name": json.dumps(repo_url.rstrip("/").rsplit("/", 1)[-1] if repo_url else "evidence-ledger"),
    }
    for key, value in replacements.items():
        text = re.sub(rf"(?m)^{key}:.*$", f"{key}: {value}".replace("\\", "\\\\"), text, count=1)
    text = re.sub(r'(?m)^(\s*release:\s*)"[^"]*"', r'\1"0.1.0"', text, count=1)
    return use_hooks_shim(text)


def init_project(target: Path, name: str, site_url: str = "", repo_url: str = "") -> list[str]:
    """Write the new knowledge base into `target` (which must be empty or absent); returns what was written."""
    from generator.model.schema import write_schemas
    from generator.pipeline.build import collect, read_inputs
    from generator.publish.permanence import url_state, write_lock

    written: list[str] = []

    def write(relative: str, text: str) -> None:
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
        written.append(relative)

    for relative in COPIED:
        source = SOURCE / relative
        if source.is_dir():
            shutil.copytree(source, target / relative)
        elif source.is_file():
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / relative)
        else:
            continue
        written.append(relative)
    write("mkdocs.yml", _mkdocs_yml(name, site_url, repo_url))
    write(HOOKS_SHIM, HOOKS)
    write("Makefile", MAKEFILE)
    write("records/taxonomy.yaml", TAXONOMY)
    (target / "ledgers").mkdir()
    write("content/index.md", HOME.format(name=name))
    write("urls.lock", "")
    for path in write_schemas(target / "schema"):
        written.append(Path(path).relative_to(target).as_posix())
    site = collect(target, read_inputs(target))
    if site.problems.errors:
        raise RuntimeError(f"the new knowledge base does not validate (a bug in kb init):\n{site.problems.report()}")
    write_lock(target, sorted(url_state(site).publishable()))  # the new site's own pages, and only those
    return written


def cmd_init(args: argparse.Namespace) -> int:
    target = Path(args.directory).resolve()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        print(f"kb init: {args.directory} exists and is not empty; choose a new folder", file=sys.stderr)
        return EXIT_USAGE
    for url, option in ((args.site_url, "--site-url"), (args.repo_url, "--repo-url")):
        if url and not re.fullmatch(r"https://[^\s\"'<>`]+", url):
            print(f"kb init: {option} must be an https:// address, not {url!r}", file=sys.stderr)
            return EXIT_USAGE
    name = args.name or target.name.replace("-", " ").replace("_", " ").strip().title() or "Evidence ledger"
    written = init_project(target, name, args.site_url or "", args.repo_url or "")
    print(f"kb init: created {len(written)} files in {args.directory}", file=sys.stderr)
    print(
        "next: set site_url and repo_url in mkdocs.yml (or let the deploy workflow fill them), rename the category "
        "in records/taxonomy.yaml, add papers with `kb new paper ID`, `kb import-bib` or `kb import-list`, then "
        "`kb ids`, `kb check-urls --update` and `kb build --strict`",
        file=sys.stderr,
    )
    return EXIT_OK
