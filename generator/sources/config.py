"""mkdocs.yml, read once for the settings a build needs (and for content_guard's page lists).

MkDocs itself is never imported: `kb validate` must start fast.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from generator.model.site import Settings
from generator.problems import Location, Problems, Severity


class _TolerantLoader(yaml.SafeLoader):
    """mkdocs.yml may carry tags such as !ENV or !!python/name; settings never need them."""


_TolerantLoader.add_multi_constructor("", lambda loader, suffix, node: None)


def _env_tag(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    """`!ENV VAR` or `!ENV [VAR, OTHER, default]`, as MkDocs reads it (the first variable that is set,
    else the default), except that a variable's value is kept as text: release `2.10` stays `2.10`."""
    if isinstance(node, yaml.ScalarNode):
        names, default = [str(loader.construct_scalar(node))], None
    elif isinstance(node, yaml.SequenceNode) and node.value:
        children = node.value
        names = [str(loader.construct_scalar(child)) for child in children[:-1] or children]  # type: ignore[arg-type]
        default = loader.construct_object(children[-1], deep=True) if len(children) > 1 else None
    else:
        return None
    for name in names:
        if name in os.environ:
            return os.environ[name]
    return default


_TolerantLoader.add_constructor("!ENV", _env_tag)

PLACEHOLDER_MARK = "example-org"


def load_mkdocs_yml(root: Path) -> dict[str, Any] | None:
    """mkdocs.yml as plain data; None when there is none."""
    path = root / "mkdocs.yml"
    if not path.exists():
        return None
    config = yaml.load(path.read_text(encoding="utf-8"), Loader=_TolerantLoader) or {}
    return config if isinstance(config, dict) else {}


def read_settings(root: Path, problems: Problems) -> Settings:
    config = load_mkdocs_yml(root)
    if config is None:
        return Settings()
    kb: dict[str, Any] = (config.get("extra") or {}).get("kb") or {}
    threshold = kb.get("hub_threshold", Settings.hub_threshold)
    if not isinstance(threshold, int) or threshold < 1:
        problems.add(
            "config-invalid",
            Location("mkdocs.yml"),
            "extra.kb.hub_threshold",
            "must be a whole number of at least 1",
            "e.g. 3",
        )
        threshold = Settings.hub_threshold
    for key in ("site_url", "repo_url"):
        if PLACEHOLDER_MARK in str(config.get(key) or ""):
            problems.add(
                "config-placeholder",
                Location("mkdocs.yml"),
                key,
                f"still the placeholder `{config[key]}`",
                "set it in mkdocs.yml, or let the deploy workflow fill KB_SITE_URL and KB_REPO_URL "
                "from GITHUB_REPOSITORY",
                severity=Severity.WARNING,
            )
    archived = kb.get("archived_releases") or []
    if isinstance(archived, str):  # from the environment (!ENV): names separated by commas or spaces
        archived = archived.replace(",", " ").split()
    return Settings(
        site_name=str(config.get("site_name") or Settings.site_name),
        site_url=str(config.get("site_url") or ""),
        repo_url=str(config.get("repo_url") or ""),
        archived_releases=tuple(str(name) for name in archived) if isinstance(archived, list) else (),
        edit_uri=str(config.get("edit_uri") or ""),
        hub_threshold=threshold,
        release=str(kb.get("release") or ""),
    )
