"""Reading the old version of a policy from git: `qualdsl diff --rev REV PATH`.

The policy and its includes must all come from REV: the old policy is
compiled through a GitLoader, which reads each file from the commit as the
checker asks for it (never from the working tree) and names it `REV:path`.
Git runs as a subprocess with an argument list (no shell).
"""

from __future__ import annotations

import os
import posixpath
import subprocess
from collections.abc import Mapping
from pathlib import Path

import attrs

from ..api import Policy, compile_source
from ..loader import PROJECT_FILE, DictLoader, shown
from ..source import MAX_SOURCE_BYTES, Source, decode_policy, source_error


class GitSourceError(Exception):
    """The old version cannot be read: not a repository, unknown revision..."""


@attrs.frozen
class OldVersion:
    """The policy at REV, or None when PATH does not exist there (a new policy)."""

    label: str  # "main:policies/saas_inbound.qual"
    policy: Policy | None


def _git(repo: str, *args: str, input: bytes | None = None) -> bytes:
    try:
        result = subprocess.run(  # noqa: S603 - git from PATH, arguments built here, no shell
            ["git", "-C", repo, *args], input=input, capture_output=True, check=False  # noqa: S607
        )
    except FileNotFoundError:
        raise GitSourceError("git is not installed (needed for --rev)") from None
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitSourceError(message[-1] if message else f"git {args[0]} failed")
    return result.stdout


def repository_of(path: str) -> tuple[str, str]:
    """(repository top directory, PATH relative to it, with `/`)."""
    absolute = os.path.realpath(os.path.abspath(path))
    directory = os.path.dirname(absolute)
    if not os.path.isdir(directory):
        raise GitSourceError(f"{path}: no such directory `{os.path.dirname(path) or '.'}`")
    try:
        top = _git(directory, "rev-parse", "--show-toplevel").decode().strip()
    except GitSourceError:
        raise GitSourceError(f"{path}: not inside a git repository (needed for --rev)") from None
    top = os.path.realpath(top)
    relative = os.path.relpath(absolute, top)
    if relative.startswith(".."):
        raise GitSourceError(f"{path}: outside the git repository at {top}")
    return top, Path(relative).as_posix()


def read_old_version(rev: str, path: str, *, id_field: str | None = None) -> OldVersion:
    """Compile PATH as it is at REV (with its includes from REV too).

    Raises GitSourceError for git problems and QualError (paths shown as
    `REV:path`) when the old policy does not compile."""
    top, relative = repository_of(path)
    label = f"{rev}:{relative}"
    if rev.startswith("-"):
        raise GitSourceError(f"`{rev}` is not a revision")
    try:
        commit = _git(top, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}")
    except GitSourceError:
        raise GitSourceError(f"unknown revision `{rev}`") from None
    loader = GitLoader(top, commit.decode().strip(), rev, posixpath.dirname(relative))
    key = posixpath.relpath(relative, loader.root) if loader.root else relative
    if key not in loader.files:
        return OldVersion(label, None)  # not in REV: every item is "added"
    return OldVersion(label, compile_source(loader.get_source(key), id_field=id_field))


class GitLoader(DictLoader):
    """The files of one commit, read with `git cat-file` as they are needed
    (never the working tree), confined like a FileSystemLoader: to the
    project at that commit (the folder of the nearest qualdsl.toml at or
    above the policy's folder) or else to the policy's folder.

    Names are relative to that root, `/`-separated (DictLoader's rules);
    sources are shown as `REV:path-in-repository`. Symbolic links in the
    commit are not followed."""

    def __init__(self, top: str, commit: str, rev: str, folder: str):
        self.top, self.commit, self.rev = top, commit, rev
        entries = _tree(top, commit)
        self.root = _project_root(folder, entries)
        prefix = self.root + "/" if self.root else ""
        # key (relative to the root) -> (mode, object id, size)
        self.files = {name[len(prefix):]: entry for name, entry in entries.items() if name.startswith(prefix)}
        super().__init__(self.files)  # type: ignore[arg-type]  # resolve() only reads the keys

    def shown_as(self, key: str) -> str:
        return f"{self.rev}:{posixpath.join(self.root, key) if self.root else key}"

    def get_source(self, name: str, relative_to: str | None = None) -> Source:
        key = self.resolve(name, relative_to)
        entry = self.files.get(key)
        if entry is None:
            raise _refused(name, f"no such file at `{self.rev}`")
        mode, object_id, size = entry
        if mode == "120000":
            raise _refused(name, f"is a symbolic link at `{self.rev}` (not followed)")
        if size > MAX_SOURCE_BYTES:
            raise _refused(name, f"file is too large (over the limit of {MAX_SOURCE_BYTES:,} bytes)")
        data = _git(self.top, "cat-file", "blob", object_id)
        shown_path = self.shown_as(key)
        return Source(decode_policy(data, shown_path, f"`{shown(name)}`: " if relative_to else ""), shown_path,
                      name=key, loader=self)

    def __repr__(self) -> str:
        return f"GitLoader({self.rev!r}, {self.root!r})"


def _refused(name: str, reason: str) -> Exception:
    return source_error(f"`{shown(name)}`: {reason}", shown(name))


def _tree(top: str, commit: str) -> dict[str, tuple[str, str, int]]:
    """Every blob of `commit` (files and symbolic links): path -> (mode, id, size)."""
    listing = _git(top, "ls-tree", "-r", "-l", "-z", "--full-tree", commit)
    entries: dict[str, tuple[str, str, int]] = {}
    for entry in listing.split(b"\0"):
        if not entry:
            continue
        meta, name = entry.split(b"\t", 1)
        mode, kind, object_id, size = meta.decode().split()
        if kind == "blob":
            entries[name.decode("utf-8", "surrogateescape")] = (mode, object_id, int(size))
    return entries


def _project_root(folder: str, entries: Mapping[str, object]) -> str:
    """The nearest folder at or above `folder` holding a qualdsl.toml in the
    commit ("" is the repository's top), else `folder` itself."""
    current = folder
    while True:
        if posixpath.join(current, PROJECT_FILE) in entries:
            return current
        if not current:
            return folder
        current = posixpath.dirname(current)
