"""Pinned deploys and the review rule (issue #12, findings 11 and "two kinds of pull request")."""

from __future__ import annotations

import re
import tomllib

import yaml

from generator.commands.diff import REVIEW_REQUIRED, outside_data
from tests.conftest import REPO

LOCK = REPO / "requirements" / "deploy.txt"
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+) \\$")


def normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked() -> dict[str, list[str]]:
    """Package -> its hashes, from requirements/deploy.txt."""
    pins: dict[str, list[str]] = {}
    current = ""
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        match = _PIN.match(line)
        if match:
            current = normalised(match.group(1))
            pins[current] = []
        elif line.strip().startswith("--hash=sha256:") and current:
            pins[current].append(line.strip().removesuffix(" \\"))
    return pins


def test_the_lock_covers_every_dependency_with_hashes() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = {normalised(re.split(r"[\s<>=!~;\[]", spec, maxsplit=1)[0]) for spec in project["dependencies"]}
    pins = locked()
    missing = sorted(wanted - set(pins))
    assert not missing, f"requirements/deploy.txt lacks {missing}: run `make lock`"
    assert "setuptools" in pins, "the build backend is locked too (install-locked builds without isolation)"
    assert all(re.fullmatch(r"--hash=sha256:[0-9a-f]{64}", h) for hashes in pins.values() for h in hashes)
    assert all(pins.values()), [name for name, hashes in pins.items() if not hashes]


def test_both_workflows_install_from_the_lock_with_hashes_required() -> None:
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.split("\ninstall-locked:\n", 1)[1].split("\n\n", 1)[0]
    assert "pip install --quiet --require-hashes --no-deps -r requirements/deploy.txt" in recipe
    assert "--no-deps --no-build-isolation --no-index -e ." in recipe, "the project itself fetches nothing"
    assert {path.name for path in WORKFLOWS} >= {"deploy.yml", "pull-request.yml"}
    for path in WORKFLOWS:
        steps = [step for job in yaml.safe_load(path.read_text())["jobs"].values() for step in job.get("steps", [])]
        scripts = [step.get("run", "") for step in steps]
        if any("kb " in script for script in scripts):  # a workflow that runs the project installs from the lock
            assert "make install-locked" in scripts, path.name
        assert not any(re.search(r"\bpip install\b|make install$", script) for script in scripts), path.name


def test_codeowners_requires_a_maintainer_outside_the_data() -> None:
    rules = [
        line.split()
        for line in (REPO / ".github" / "CODEOWNERS").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert rules[0][0] == "*" and len(rules[0]) == 2 and rules[0][1].startswith("@")
    assert [rule for rule in rules[1:]] == [["/records/"], ["/ledgers/"], ["/urls.lock"]]


def test_review_rule_matches_codeowners() -> None:
    changed = [
        "records/papers/2503.23007.yaml", "ledgers/moe-ffn.csv", "records/sources/x.txt", "urls.lock",
        "content/index.md", "mkdocs.yml", "generator/cli.py", ".github/workflows/deploy.yml", "CONTRIBUTING.md",
        "recordsx/evil.yaml", "urls.lock.bak",
    ]  # fmt: skip
    assert outside_data(changed) == changed[4:]
    assert outside_data(["sub/records/a.yaml", "records/a.yaml"], prefix="sub/") == ["records/a.yaml"]
    assert (
        REVIEW_REQUIRED == "This pull request changes code, configuration or site content: maintainer review required"
    )
