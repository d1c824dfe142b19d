"""Where policy text comes from: loaders name files and read them.

A loader turns the name an `include` writes into a Source, relative to the
file that includes it (the model is Jinja2's `BaseLoader.get_source`).
`FileSystemLoader` reads a folder on disk and keeps includes inside it;
`DictLoader` reads a mapping in memory (an editor's unsaved buffers, a
service's store), so `loads()` can follow includes without a disk.

A loader never parses: it reads, confines and decodes. Cycles and files
included twice are found by `check.load_modules`, which keys on
`Source.name` (the loader's own name for a file: its real path on disk).
"""

from __future__ import annotations

import fnmatch
import os
import posixpath
import stat
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Protocol, runtime_checkable

from .errors import SourceError
from .source import (
    MAX_SOURCE_BYTES,
    Source,
    UnreadableFile,
    decode_policy,
    is_policy_file,
    path_problem,
    read_file_bytes,
    source_error,
)

# The file whose folder is a project's root: includes may reach anywhere inside it.
PROJECT_FILE = "qualdsl.toml"


@runtime_checkable
class Loader(Protocol):
    """Reads policy files by name."""

    def get_source(self, name: str, relative_to: str | None = None) -> Source:
        """The file `name` written in the file `relative_to` (a name this
        loader returned, or None: relative to the loader's root). Raises
        SourceError whose message starts with the name in backticks."""
        ...


def shown(name: str) -> str:
    """A name as it can be printed: control characters and lone surrogates escaped."""
    if name.isprintable() and path_problem(name) is None:
        return name
    return "".join(
        char if char.isprintable() and not 0xD800 <= ord(char) <= 0xDFFF else f"\\u{ord(char):04x}"
        for char in name
    )


def _refuse(name: str, reason: str, help: str | None = None, separator: str = ": ") -> SourceError:
    error = source_error(f"`{shown(name)}`{separator}{reason}", shown(name), help=help)
    assert isinstance(error, SourceError)
    return error


def project_root(folder: str | Path) -> str | None:
    """The nearest folder at or above `folder` holding a qualdsl.toml (real path)."""
    current = os.path.realpath(folder)
    while True:
        if os.path.isfile(os.path.join(current, PROJECT_FILE)):  # False on a symlink loop
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


class FileSystemLoader:
    """Policy files under one folder on disk.

    A name is relative to the including file; absolute names are refused,
    symlinks are resolved and the result must stay inside `root`. Only
    regular files are read, within MAX_SOURCE_BYTES (see source.py)."""

    def __init__(self, root: str | Path, *, relative_paths: bool = True, project: bool = False):
        self.root = os.path.realpath(root)
        # Diagnostics show paths relative to the working directory when the
        # policy was named that way, absolute otherwise.
        self.relative_paths = relative_paths
        self.project = project

    @classmethod
    def for_policy(cls, path: str | Path) -> FileSystemLoader:
        """The loader for a policy file: its project's root when a qualdsl.toml
        is found at or above its folder, else the policy's own folder."""
        folder = os.path.dirname(os.path.abspath(path))
        root = project_root(folder)
        return cls(root or folder, relative_paths=not os.path.isabs(path), project=root is not None)

    def name_of(self, path: str | Path) -> str:
        """This loader's name for a file: its real, absolute path."""
        return os.path.realpath(os.path.abspath(path))

    def display(self, target: str) -> str:
        if not self.relative_paths:
            return target
        try:
            return os.path.relpath(target)
        except (OSError, ValueError):  # no working directory, or another drive
            return target

    def get_source(self, name: str, relative_to: str | None = None) -> Source:
        problem = path_problem(name)
        if problem is not None:
            raise _refuse(name, problem)
        if os.path.isabs(name):
            raise _refuse(name, "is an absolute path", "write a path relative to this file", " ")
        base = os.path.dirname(relative_to) if relative_to is not None else self.root
        target = os.path.realpath(os.path.join(base, name))
        if os.path.commonpath([self.root, target]) != self.root:
            where = "the project" if self.project else "the policy's directory"
            raise _refuse(name, f"leaves {where}", f"included files must be inside `{self.root}`", " ")
        display = self.display(target)
        try:
            data = read_file_bytes(target, MAX_SOURCE_BYTES, "a policy file")
        except UnreadableFile as error:
            raise _refuse(name, error.reason) from None
        return Source(decode_policy(data, display, f"`{shown(name)}`: "), display, name=target, loader=self)

    def __repr__(self) -> str:
        return f"FileSystemLoader({self.root!r})"


class DictLoader:
    """Policy files held in memory: name -> text (or UTF-8 bytes).

    Names are `/`-separated and relative to the mapping's root; an include
    is resolved against the including file's folder, as on disk, and may not
    climb above the root. The mapping is read at each call, so a caller may
    update it (an editor's buffers change as the user types)."""

    def __init__(self, mapping: Mapping[str, str | bytes]):
        self.mapping = mapping

    def resolve(self, name: str, relative_to: str | None = None) -> str:
        """The key `name` means when written in `relative_to`; SourceError when
        it leaves the root."""
        problem = path_problem(name)
        if problem is not None:
            raise _refuse(name, problem)
        if name.startswith("/"):
            raise _refuse(name, "is an absolute path", "write a path relative to this file", " ")
        folder = posixpath.dirname(relative_to) if relative_to else ""
        key = posixpath.normpath(posixpath.join(folder, name))
        if key == ".." or key.startswith("../"):
            raise _refuse(name, "leaves the policy's directory", "included files must be in the same store", " ")
        return key

    def get_source(self, name: str, relative_to: str | None = None) -> Source:
        key = self.resolve(name, relative_to)
        if key not in self.mapping:
            raise _refuse(name, "no such file")
        value = self.mapping[key]
        if isinstance(value, str):
            if len(value) > MAX_SOURCE_BYTES:
                raise _refuse(name, f"file is too large (over {MAX_SOURCE_BYTES} characters)")
            text = value.removeprefix("\ufeff")
        else:
            text = decode_policy(bytes(value), key, f"`{shown(name)}`: ")
        return Source(text, key, name=key, loader=self)

    def __repr__(self) -> str:
        return f"DictLoader({len(self.mapping)} files)"


# ============================================================== discovery


def _is_special(path: str) -> bool:
    """An existing entry that is not a regular file (a FIFO, a device, a socket)."""
    try:
        return not stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False  # missing or a broken link: reading it says why


def find_policy_files(
    paths: Iterable[str], *, patterns: tuple[str, ...] = ("*.qual",), fragments: bool = True
) -> list[str]:
    """The files `paths` name: a file as given (reading it reports what is
    wrong with it), a directory searched for `patterns`, sorted.

    Hidden folders and files are skipped only *below* the path given (`..`,
    `~/.cache/x` or `./policies` are searched); symlinked folders are not
    followed, and entries that are not regular files (a FIFO named *.qual)
    are skipped, so a scan never blocks. Without `fragments`, files with no
    `policy` line (included fragments) are left out of a directory's files."""
    files: list[str] = []
    for given in paths:
        if not os.path.isdir(given):
            files.append(given)
            continue
        found: list[tuple[tuple[str, ...], str]] = []
        for folder, subfolders, names in os.walk(given):
            subfolders[:] = [d for d in subfolders if not d.startswith(".")]
            for entry in names:
                if entry.startswith(".") or not any(fnmatch.fnmatchcase(entry, p) for p in patterns):
                    continue
                path = str(Path(folder) / entry)
                if _is_special(path) or (not fragments and not is_policy_file(path)):
                    continue
                found.append((Path(path).parts, path))
        files.extend(path for _, path in sorted(found))
    return files


def source_at(text: str, path: str | Path) -> Source:
    """Text that would live at `path` on disk (unsaved, or piped in): shown as
    that path, its includes read from disk around it."""
    files = FileSystemLoader.for_policy(path)
    return Source(text, os.fspath(path), name=files.name_of(path), loader=files)
