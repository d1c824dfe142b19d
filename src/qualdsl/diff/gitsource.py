"""Reading the old version of a policy from git: `qualdsl diff --rev REV PATH`.

The policy and its includes must all come from REV. Includes are resolved by
the checker from disk, relative to the policy file, so the `.qual` files of
the policy's directory tree at REV are written into a temporary mirror and
the old policy is compiled there; diagnostics are then renamed `REV:path`.
Git runs as a subprocess with an argument list (no shell).
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import attrs

from ..api import Policy, compile_source
from ..errors import QualError
from ..source import Source, decode_source


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


def read_old_version(rev: str, path: str) -> OldVersion:
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
    commit_id = commit.decode().strip()
    directory = os.path.dirname(relative)
    files = _qual_files(top, commit_id, directory)
    if relative not in files:
        return OldVersion(label, None)  # not in REV: every item is "added"
    with tempfile.TemporaryDirectory(prefix="qualdsl-diff-") as mirror:
        mirror = os.path.realpath(mirror)
        for name, data in files.items():
            target = Path(mirror, *name.split("/"))
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        policy_file = os.path.join(mirror, *relative.split("/"))
        text, problem = decode_source(files[relative], label)
        try:
            if problem is not None:
                from ..diagnostics import Diagnostic
                from ..errors import SourceError

                raise SourceError([Diagnostic.error(problem, label)])
            assert text is not None
            policy = compile_source(Source(text, policy_file))
        except QualError as error:
            raise _relabel(error, mirror, rev) from None
        policy.checked.source = Source(text, label)
    return OldVersion(label, policy)


def _qual_files(top: str, commit: str, directory: str) -> dict[str, bytes]:
    """The `.qual` files under `directory` at `commit`, by repository path."""
    spec = directory + "/" if directory else "."
    listing = _git(top, "ls-tree", "-r", "-z", "--full-tree", commit, "--", spec)
    blobs: list[tuple[str, str]] = []
    for entry in listing.split(b"\0"):
        if not entry:
            continue
        meta, name = entry.split(b"\t", 1)
        mode, kind, sha = meta.decode().split()
        path = name.decode("utf-8", "surrogateescape")
        # Symlinks (mode 120000) are not followed: includes may not leave the tree anyway.
        if kind == "blob" and mode != "120000" and path.endswith(".qual"):
            blobs.append((path, sha))
    if not blobs:
        return {}
    # One `cat-file --batch` for all blobs instead of one `git show` per file.
    output = _git(top, "cat-file", "--batch", input="".join(f"{sha}\n" for _, sha in blobs).encode())
    files: dict[str, bytes] = {}
    position = 0
    for path, _ in blobs:
        header_end = output.index(b"\n", position)
        size = int(output[position:header_end].split()[2])
        start = header_end + 1
        files[path] = output[start : start + size]
        position = start + size + 1  # the content is followed by a newline
    return files


def _relabel(error: QualError, mirror: str, rev: str) -> QualError:
    """The same error, with paths in the temporary mirror shown as `REV:path`."""
    diagnostics = []
    for diagnostic in error.diagnostics:
        path = diagnostic.path
        if path.startswith(mirror + os.sep):
            path = f"{rev}:" + Path(os.path.relpath(path, mirror)).as_posix()
        help = diagnostic.help.replace(mirror, f"{rev}:") if diagnostic.help else None
        message = diagnostic.message.replace(mirror + os.sep, f"{rev}:")
        diagnostics.append(attrs.evolve(diagnostic, path=path, help=help, message=message))
    return type(error)(diagnostics)
