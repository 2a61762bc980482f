"""Every git call of the generator, in one place; git runs locally and never touches the network.

A build's git inputs are read once, at the edge (`kb`, the MkDocs hooks), and
handed to the pipeline as plain values:

* the *published state* (the base): `KB_BASE_REF` when set, else
  `git merge-base HEAD origin/main` when `origin/main` exists, else none;
  its records and ledgers are read here so that no stage runs git;
* the *release*: the short commit of the working tree, used when mkdocs.yml
  names none.

`kb diff` reads any commit through `open_base` and `GitBase`.
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
import types
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from generator import file_names

BASE_ENV = "KB_BASE_REF"
DEFAULT_REMOTE_BRANCH = "origin/main"
GIT_TIMEOUT = 60
PUBLISHED_FOLDERS = ("records", "ledgers")
PUBLISHED_LOCK = "urls.lock"  # what the base published: permanence checks every URL it lists


class GitError(Exception):
    """git is missing, the folder is not in a repository, or a ref is unknown."""


def _git(cwd: Path, *args: str, stdin: bytes | None = None) -> bytes:
    try:
        result = subprocess.run(
            ["git", *args],
            cwd=cwd,
            input=stdin,
            capture_output=True,
            timeout=GIT_TIMEOUT,
            check=False,
            env={**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0"},
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise GitError(f"cannot run git: {exc}") from exc
    if result.returncode != 0:
        raise GitError(result.stderr.decode("utf-8", "replace").strip() or f"git {args[0]} failed")
    return result.stdout


@dataclass(frozen=True)
class GitBase:
    """One commit of the repository holding a project, read without touching the working tree."""

    root: Path  # the project folder (holds records/, ledgers/)
    top: Path  # the repository's top level
    prefix: str  # the project folder relative to `top`, "" or "sub/dir/"
    commit: str  # full commit id
    name: str  # how to name the base to people, e.g. "origin/main (1a2b3c4)"

    @property
    def short(self) -> str:
        return self.commit[:7]

    def list_files(self, *folders: str) -> list[str]:
        """Project-relative paths of the regular files under `folders` at the base commit."""
        specs = [f"{self.prefix}{folder}" for folder in folders]
        raw = _git(self.top, "ls-tree", "-r", "-z", "--full-tree", self.commit, "--", *specs)
        paths = []
        for entry in raw.decode("utf-8", "surrogateescape").split("\0"):
            if not entry:
                continue
            meta, _, path = entry.partition("\t")
            mode, kind = meta.split(" ")[:2]
            if kind == "blob" and mode in ("100644", "100755") and path.startswith(self.prefix) and "\n" not in path:
                paths.append(path[len(self.prefix) :])
        return sorted(paths)

    def read_files(self, paths: Iterable[str]) -> dict[str, bytes]:
        """The content of each project-relative path at the base; missing paths are left out."""
        wanted = [p for p in paths if "\n" not in p]
        if not wanted:
            return {}
        request = "".join(f"{self.commit}:{self.prefix}{p}\n" for p in wanted).encode("utf-8", "surrogateescape")
        raw = _git(self.top, "cat-file", "--batch", stdin=request)
        found: dict[str, bytes] = {}
        offset = 0
        for path in wanted:
            end = raw.index(b"\n", offset)
            header = raw[offset:end].split(b" ")
            offset = end + 1
            if len(header) != 3 or not header[2].isdigit():
                continue  # `<name> missing` or `<name> ambiguous`: no content follows
            size = int(header[2])
            if header[1] == b"blob":
                found[path] = raw[offset : offset + size]
            offset += size + 1
        return found

    def changed_paths(self) -> list[str]:
        """Repository paths that differ between this commit and the working tree, untracked files included."""
        tracked = _git(self.top, "diff", "--name-only", "-z", "--no-renames", self.commit, "--")
        untracked = _git(self.top, "ls-files", "-z", "--others", "--exclude-standard")
        names = (tracked + b"\0" + untracked).decode("utf-8", "surrogateescape").split("\0")
        return sorted({name for name in names if name})

    def export(self, destination: Path, paths: Iterable[str]) -> None:
        """Write the base version of `paths` under `destination`, keeping their relative paths."""
        write_tree(destination, self.read_files(paths))


def write_tree(destination: Path, files: Mapping[str, bytes]) -> None:
    """Write project-relative files under `destination`; a path leaving it is skipped."""
    for path, content in files.items():
        relative = PurePosixPath(path)
        if relative.is_absolute() or ".." in relative.parts:
            continue
        target = destination / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)


def open_base(root: Path, ref: str, name: str = "") -> GitBase:
    """The commit `ref` names in the repository holding `root`; GitError if there is none."""
    if not ref or ref.startswith("-") or any(ch.isspace() for ch in ref):
        raise GitError(f"`{ref}` is not a git ref")
    root = root.resolve()
    top = Path(_git(root, "rev-parse", "--show-toplevel").decode().strip())
    prefix = _git(root, "rev-parse", "--show-prefix").decode().strip()
    try:
        commit = _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").decode().strip()
    except GitError:
        raise GitError(f"`{ref}` is not a known commit, branch or tag here") from None
    return GitBase(root, top, prefix, commit, name or f"{ref} ({commit[:7]})")


def default_base(root: Path) -> tuple[GitBase | None, str]:
    """The published state to compare against, and an error text when KB_BASE_REF is unusable.

    KB_BASE_REF wins; otherwise `git merge-base HEAD origin/main`; otherwise no base (not
    a repository, no origin/main, no commits): the comparison is skipped without a problem.
    """
    ref = os.environ.get(BASE_ENV, "").strip()
    if ref:
        try:
            return open_base(root, ref), ""
        except GitError as exc:
            return None, str(exc)
    try:
        _git(root.resolve(), "rev-parse", "--verify", "--quiet", f"{DEFAULT_REMOTE_BRANCH}^{{commit}}")
        merge_base = _git(root.resolve(), "merge-base", "HEAD", DEFAULT_REMOTE_BRANCH).decode().strip()
        return open_base(root, merge_base, f"merge-base with {DEFAULT_REMOTE_BRANCH} ({merge_base[:7]})"), ""
    except GitError:
        return None, ""


@dataclass(frozen=True)
class Published:
    """The published state as plain values: which commit, and its records and ledgers.

    Two values are equal when they name the same commit the same way, so a build's
    cache key can hold one without comparing file contents.
    """

    name: str = ""  # e.g. "origin/main (1a2b3c4)"; "" when there is no base
    commit: str = ""
    files: Mapping[str, bytes] = field(default_factory=lambda: types.MappingProxyType({}), compare=False, hash=False)
    error: str = ""  # KB_BASE_REF is set but unusable
    unreadable: str = ""  # the base exists but its files could not be read

    @property
    def exists(self) -> bool:
        return bool(self.commit) and not self.unreadable


def read_published(root: Path) -> Published:
    """The base of `root` (see `default_base`) with its records and ledgers."""
    base, error = default_base(root)
    if error:
        return Published(error=error)
    if base is None:
        return Published()
    try:
        files = _published_files(base)
    except GitError as exc:
        return Published(name=base.name, commit=base.commit, unreadable=str(exc))
    return Published(name=base.name, commit=base.commit, files=types.MappingProxyType(files))


@functools.lru_cache(maxsize=2)
def _published_files(base: GitBase) -> dict[str, bytes]:
    """One commit's files never change: `kb serve` reads them once per base."""
    paths = [p for p in base.list_files(*PUBLISHED_FOLDERS) if file_names.data_kind(p) in ("yaml", "csv")]
    return base.read_files([*paths, PUBLISHED_LOCK])


def short_commit(root: Path) -> str:
    """The short commit of the working tree at `root`, or "" without git or a repository."""
    try:
        commit = _git(root, "rev-parse", "--short", "HEAD").decode().strip()
    except GitError:
        return ""
    return commit if re.fullmatch(r"[0-9a-f]{4,40}", commit) else ""
