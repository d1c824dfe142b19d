"""The served policies: discovered in a directory, compiled, hot-reloaded.

The directory is polled (file sizes, mtimes and inodes) rather than watched
with inotify: polling works the same on every OS, in containers over bind
mounts and on network filesystems where inotify events never arrive, and it
needs no extra dependency. A scan of a policy directory is a few `stat` calls.

Any change anywhere in the directory recompiles every policy (a changed
fragment changes every policy that includes it, and finding which ones would
mean parsing them anyway). A policy whose hash did not change keeps its
`loaded_at`; one that fails to compile keeps serving its last good version.
The new table is built aside and swapped in with one assignment, so a
request sees either the old table or the new one, never half of each.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs

from ..api import Policy, load
from ..diagnostics import Diagnostic
from ..errors import QualError
from ..loader import find_policy_files

Clock = Callable[[], dt.datetime]
Signature = tuple[tuple[str, int, int, int], ...]


def discover_policies(directory: Path) -> list[Path]:
    """The policy files under `directory`: `*.qual` with a `policy` line
    (fragments are includes), hidden files and folders, symlinked folders
    and non-regular files skipped, sorted. The same search as every command."""
    return [Path(path) for path in find_policy_files([str(directory)], fragments=False)]


def scan(directory: Path) -> Signature:
    """What the poller compares: every `.qual` file's size, mtime and inode
    (an editor that saves by renaming changes the inode)."""
    rows = []
    for path in directory.rglob("*.qual"):
        try:
            stat = path.stat()
        except OSError:
            continue
        rows.append((str(path), stat.st_size, stat.st_mtime_ns, stat.st_ino))
    return tuple(sorted(rows))


@attrs.frozen
class Entry:
    """One policy file: the version serving (if any compiled) and the last error."""

    name: str
    path: str
    policy: Policy | None
    loaded_at: dt.datetime | None
    error: tuple[Diagnostic, ...] = ()

    def summary(self) -> dict[str, Any]:
        from ..api import format_as_of

        return {
            "name": self.name,
            "title": self.policy.title if self.policy else None,
            "hash": self.policy.hash if self.policy else None,
            "path": self.path,
            "loaded_at": format_as_of(self.loaded_at) if self.loaded_at else None,
            "error": [d.to_dict() for d in self.error] if self.error else None,
        }


@attrs.frozen
class Change:
    """What one reload did to one policy file, for the log and the metrics."""

    name: str
    path: str
    result: str  # "loaded", "failed" (the last good version, if any, serving), "removed"
    hash: str | None
    error: tuple[Diagnostic, ...] = ()


def _compile(path: Path) -> Policy | tuple[Diagnostic, ...]:
    try:
        return load(path)
    except QualError as error:
        return tuple(error.diagnostics)


def compile_all(
    files: Iterable[Path], previous: Mapping[str, Entry], now: dt.datetime
) -> tuple[dict[str, Entry], list[Change]]:
    """A new table (path -> Entry) and what changed; runs in a worker thread."""
    table: dict[str, Entry] = {}
    changes: list[Change] = []
    names: dict[str, str] = {}
    for path in files:
        key = str(path)
        old = previous.get(key)
        result = _compile(path)
        duplicate = None
        if isinstance(result, Policy) and result.name in names:
            duplicate = result.name
            result = (Diagnostic.error(
                f"policy `{result.name}` is also defined in {names[result.name]}; names must be unique", key),)
        if isinstance(result, Policy):
            names[result.name] = key
            same = old is not None and old.policy is not None and old.policy.hash == result.hash
            loaded_at = old.loaded_at if same and old is not None else now
            table[key] = Entry(result.name, key, result, loaded_at)
            if not same or (old is not None and old.error):
                changes.append(Change(result.name, key, "loaded", result.hash))
        else:
            kept = old.policy if old is not None else None
            name = kept.name if kept is not None else duplicate or path.stem
            table[key] = Entry(name, key, kept, old.loaded_at if old is not None else None, result)
            if old is None or old.error != result:
                changes.append(Change(name, key, "failed", kept.hash if kept else None, result))
    for key, old in previous.items():
        if key not in table:
            changes.append(Change(old.name, key, "removed", None))
    return table, changes


class PolicyStore:
    """The table of served policies, replaced whole on every reload."""

    def __init__(self, directory: Path, clock: Clock):
        self.directory = directory
        self.clock = clock
        # (path -> Entry, name -> Entry of those serving), replaced as one tuple.
        self.table: tuple[dict[str, Entry], dict[str, Entry]] = ({}, {})
        self.signature: Signature | None = None
        self.loaded = False

    def reload(self) -> list[Change]:
        """Scan, recompile if anything changed, swap. Blocking: call it in a thread."""
        signature = scan(self.directory)
        if signature == self.signature:
            return []
        table, changes = compile_all(discover_policies(self.directory), self.entries, self.clock())
        by_name = {entry.name: entry for entry in table.values() if entry.policy is not None}
        self.table = (table, by_name)  # the swap: one assignment
        self.signature, self.loaded = signature, True
        return changes

    @property
    def entries(self) -> dict[str, Entry]:
        return self.table[0]

    @property
    def by_name(self) -> dict[str, Entry]:
        return self.table[1]

    def ready(self) -> bool:
        entries = self.entries
        return self.loaded and bool(entries) and all(e.policy is not None for e in entries.values())
