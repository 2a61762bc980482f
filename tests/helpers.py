"""Shared helpers for the hostile-input tests: a minimal valid project on disk, and a run of `collect`.

`make_project` writes one paper, one category and one ledger row that validate cleanly,
so a test changes exactly one thing and asserts the exact diagnostic that thing causes.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest

from generator.commands.init import use_hooks_shim
from generator.model.site import Site
from generator.pipeline import build, link, load, validate
from generator.pipeline.build import BuildOptions, collect
from generator.pipeline.cache import RenderCache
from generator.problems import Problem
from generator.publish import cite, corrections, permanence, quotes
from generator.publish.permanence import url_state, write_lock
from tests.conftest import REPO, copy_project

FIXTURES = Path(__file__).parent / "hostile"

PAPER_ID = "2409.02060"
CLAIM_ID = "c-0123abcd"

TAXONOMY = """\
categories:
- slug: moe
  title: Mixture of experts
  description: Sparse expert layers.
"""

PAPER = f"""\
id: "{PAPER_ID}"
versions: ["v1"]
title: "A paper"
authors:
  - "Ada Lovelace"
year: 2024
summary: "One line."
taxonomy: ["moe"]
"""

SYNTHESIS = """\
id: "SRCH:0000BEEF"
title: "A synthesis"
research_question: "Does it hold?"
taxonomy: ["moe"]
papers: ["2409.02060"]
verification_level:
  paper_level: L2
  label: Source-grounded claims
  source_grounded_claims: 1
  claim_record_source: parsed source sections
quality_tier:
  tier: Standard
  basis: "Meets the thresholds."
quality_dimensions:
  evidence_strength: LOW
  citation_grounding: MEDIUM
  uncertainty_disclosure: MEDIUM
  reproducibility_status: HIGH
correction_record:
  status: CORRECTED
  correction_count: 1
  corrections:
    - id: "e1"
      date: "2026-01-02"
      type: erratum
      description: "Fixed a number."
provenance:
  publisher: Lab
  public_provenance:
    level: L3
    label: Claim aggregate record
  report_artifact: Available
  external_record: Not registered
  claim_lineage: one claim
  review_method: Manual
  provenance_contract: source-provenance-v1
"""

HEADER = ",".join(
    (
        "paper_id",
        "claim",
        "claim_status",
        "evidence_status",
        "source_depth",
        "source_quote",
        "page_or_section",
        "taxonomy_fit",
        "audit_status",
        "claim_id",
    )
)
ROW_FIELDS = {
    "paper_id": f"{PAPER_ID}v1",
    "claim": "Experts specialise.",
    "claim_status": "supported",
    "evidence_status": "has evidence row",
    "source_depth": "full-text",
    "source_quote": "They specialise.",
    "page_or_section": "p1",
    "taxonomy_fit": "in-scope: fits",
    "audit_status": "pass; checked",
    "claim_id": CLAIM_ID,
}
ROW = ",".join(ROW_FIELDS.values())
LEDGER = f"{HEADER}\n{ROW}\n"


def csv_cell(value: str) -> str:
    """Quote a cell the way a spreadsheet would."""
    if any(ch in value for ch in ',"\n\r') or value != value.strip():
        return '"' + value.replace('"', '""') + '"'
    return value


def row(**cells: str) -> str:
    """One ledger line: the valid row with some cells replaced (values quoted as needed)."""
    values = {**ROW_FIELDS, **cells}
    return ",".join(csv_cell(v) for v in values.values())


def make_project(
    root: Path,
    papers: Mapping[str, str] | None = None,
    ledgers: Mapping[str, str | bytes] | None = None,
    files: Mapping[str, str | bytes] | None = None,
    taxonomy: str = TAXONOMY,
) -> Path:
    """A project with records/taxonomy.yaml, records/papers/<name> and ledgers/<name>.

    `papers` maps a file name (relative to records/papers/) to its text; by default one valid paper.
    `ledgers` maps a file name (relative to ledgers/) to its text or bytes; by default one valid row.
    `files` adds any other file relative to the project root.
    """
    root.mkdir(parents=True, exist_ok=True)
    write(root / "records" / "taxonomy.yaml", taxonomy)
    for name, text in (papers if papers is not None else {f"{PAPER_ID}.yaml": PAPER}).items():
        write(root / "records" / "papers" / name, text)
    (root / "ledgers").mkdir(exist_ok=True)
    for name, content in (ledgers if ledgers is not None else {"x.csv": LEDGER}).items():
        write(root / "ledgers" / name, content)
    for name, content in (files or {}).items():
        write(root / name, content)
    return root


def add_site_config(root: Path) -> Path:
    """What a real MkDocs build needs besides the data: mkdocs.yml, content/, overrides/ and the hooks.

    The bundled project is copied without its records and ledgers, and with an empty
    urls.lock, so the data under test is the only data the build sees.
    """
    scratch = root.parent / f".{root.name}-config"
    copy_project(scratch)
    for part in scratch.iterdir():
        if part.name in ("records", "ledgers", "urls.lock") or (root / part.name).exists():
            continue
        shutil.move(str(part), str(root / part.name))
    shutil.rmtree(scratch)
    config = root / "mkdocs.yml"  # a copy of the repository's own names its hooks, not the shim copied here
    config.write_text(use_hooks_shim(config.read_text(encoding="utf-8")), encoding="utf-8")
    if not (root / "urls.lock").exists():
        (root / "urls.lock").write_text("# urls.lock: no URL published yet\n", encoding="utf-8")
    return root


def copy_fixture(name: str, target: Path) -> Path:
    """A disposable copy of `tests/hostile/<name>/` (records/ and ledgers/)."""
    shutil.copytree(FIXTURES / name, target)
    return target


def write(path: Path, content: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        # newline="" keeps \r\n exactly as a test wrote it
        with path.open("w", encoding="utf-8", newline="") as handle:
            handle.write(content)


def run(root: Path) -> Site:
    """Collect `root` as `kb validate` does, for a project taken as already published.

    `kb validate` checks URL permanence too; a test project without urls.lock first gets
    one listing what it serves, so only the problems the test provokes remain.
    """
    if not (root / "urls.lock").exists():
        write_lock(root, url_state(collect(root, BuildOptions())).publishable())
    return collect(root)


def errors(site: Site) -> list[Problem]:
    return site.problems.errors


def warnings(site: Site) -> list[Problem]:
    return site.problems.warnings


def codes(problems: Iterable[Problem]) -> list[str]:
    return [p.code for p in problems]


def only(site: Site, code: str | None = None) -> Problem:
    """The single error of the run (optionally checking its code); fails with the full report otherwise."""
    found = site.problems.errors
    assert len(found) == 1, site.problems.report()
    if code is not None:
        assert found[0].code == code, site.problems.report()
    return found[0]


def diagnostic(problem: Problem) -> tuple[str, str, int | None, str]:
    """(code, path, line, field): what every exact-diagnostic assertion compares."""
    return problem.code, problem.location.path, problem.location.line, problem.field


def kb(
    root: Path, *args: str, env: dict[str, str] | None = None, timeout: int = 600
) -> subprocess.CompletedProcess[str]:
    """Run the real `kb` command line in a fresh process, as a contributor would.

    KB_BASE_REF is dropped unless given, so a CI setting never leaks into a test's git base.
    """
    environment = {k: v for k, v in os.environ.items() if k != "KB_BASE_REF"}
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "generator", "--root", str(root), *args],
        cwd=REPO, capture_output=True, text=True, env=environment, timeout=timeout, check=False,
    )  # fmt: skip


def free_port() -> int:
    """A local port nothing listens on, for a `kb serve` under test."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_serve(project: Path, port: int, **popen: Any) -> subprocess.Popen[Any]:
    """`kb serve` on `project` at 127.0.0.1:`port`, in a process of its own: its output dropped, its errors kept
    as text for the test to show, unless `popen` says otherwise (and where it runs, with which environment)."""
    command = [sys.executable, "-m", "generator", "--root", str(project), "serve", "--dev-addr", f"127.0.0.1:{port}"]
    return subprocess.Popen(command, **{"stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE, "text": True, **popen})


def write_override(project: Path, template: str, *changes: tuple[str, str]) -> None:
    """The project's override of the bundled template `template` (under `overrides/`): the bundled text with every
    occurrence of each (bundled, changed) of `changes` replaced; each bundled text must occur."""
    from generator.pipeline.render import TEMPLATE_DIR

    text = (TEMPLATE_DIR / template).read_text(encoding="utf-8")
    for bundled, changed in changes:
        assert bundled in text, f"{bundled!r} is not in {template}"
        text = text.replace(bundled, changed)
    override = project / "overrides" / template
    override.parent.mkdir(parents=True, exist_ok=True)
    override.write_text(text, encoding="utf-8")


def forget_builds(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forget every earlier build, as a new process would: all that `kb serve` keeps between rebuilds (the render
    cache and each stage's memory of the last build), so a test can compare a rebuild with a fresh build."""
    monkeypatch.setattr(build, "render_cache", RenderCache())
    monkeypatch.setattr(build, "_latest", None)
    monkeypatch.setattr(validate, "_records_checked", {})
    monkeypatch.setattr(validate, "_ledgers_read", {})
    monkeypatch.setattr(validate, "_claim_ids", ((), frozenset()))
    load._read_yaml_once.cache_clear()
    monkeypatch.setattr(quotes, "_remembered", {})
    monkeypatch.setattr(quotes, "_last", quotes._Memory())
    monkeypatch.setattr(link, "_cited_last", {})
    monkeypatch.setattr(corrections, "_last_comparison", None)
    monkeypatch.setattr(permanence, "_last_check", None)
    monkeypatch.setattr(permanence, "_last_lock_lines", None)
    monkeypatch.setattr(cite, "_claims_of", {})
    monkeypatch.setattr(cite, "_made", {})
