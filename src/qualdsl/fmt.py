"""`qualdsl fmt`: rewrite policies in the canonical layout (see printer.py).

A file is only ever written when it compiles (a policy) or parses (an
included fragment, which has no `policy` line), and when re-parsing the
formatted text gives the same AST: formatting never changes a decision.
"""

from __future__ import annotations

import difflib
import errno
import os
import stat
import sys
import tempfile
from pathlib import Path

import attrs
import click

from . import nodes as n
from .build import parse_module
from .diagnostics import Diagnostic
from .errors import QualError
from .loader import find_policy_files, source_at
from .printer import format_module
from .source import (
    MAX_SOURCE_BYTES,
    Source,
    UnreadableFile,
    decode_policy,
    read_file_bytes,
)

STDIN = "-"


class FormatterBug(Exception):
    """The formatted text does not mean what the original meant (never written)."""


def format_source(source: Source) -> str:
    """The canonical text of a policy or fragment; raises QualError when it does
    not compile (a policy) or parse (a fragment), FormatterBug if the layout
    would change its meaning."""
    from .check import check

    module = parse_module(source)
    if module.first(n.PolicyDecl) is not None:
        # Refuse to format what does not compile. Checking is what decides that
        # (code generation accepts every checked policy), and it reuses this
        # parse: a second parse and code generation tripled fmt's time.
        check(module, source)
    formatted = format_module(module)
    again = parse_module(Source(formatted, source.path))
    if again != module or len(again.comments) != len(module.comments):
        raise FormatterBug("formatting would change the policy, so it was left untouched")
    return formatted


def format_text(text: str, path: str = "<string>") -> str:
    """Format policy text (the Python API of `qualdsl fmt -`)."""
    return format_source(Source(text, path))


@attrs.frozen
class Outcome:
    """What formatting one file found."""

    path: str
    original: str | None
    formatted: str | None
    diagnostics: tuple[Diagnostic, ...] = ()
    bug: bool = False  # the formatter, not the policy, is at fault
    data: bytes | None = attrs.field(default=None, eq=False, repr=False)  # the bytes read

    @property
    def changed(self) -> bool:
        return self.formatted is not None and self.formatted != self.original


class WriteError(Exception):
    """A formatted file could not be written; str() says why. The file is untouched."""


BOM = "\ufeff"


def _layout(data: bytes, text: str) -> tuple[bool, str]:
    """The file's byte-order mark and line ending, which formatting keeps:
    CRLF when most of its lines end so."""
    crlf = text.count("\r\n")
    return data.startswith(BOM.encode("utf-8")), "\r\n" if crlf and crlf * 2 >= text.count("\n") else "\n"


def _in_layout(formatted: str, bom: bool, newline: str) -> str:
    text = formatted.replace("\n", newline) if newline != "\n" else formatted
    return BOM + text if bom else text


def _format_data(path: str, data: bytes, source: Source | None = None) -> Outcome:
    """Format the bytes of a file (or stdin) and give the result in the file's own
    layout (BOM, CRLF), so `changed` means a change beyond those."""
    try:
        text = decode_policy(data, path)
        bom, newline = _layout(data, text)
        original = BOM + text if bom else text
        if source is None:
            source = Source(text, path)
        else:
            source = attrs.evolve(source, text=text)
        # LF throughout (a comment keeps the CR of a CRLF line), then the file's layout.
        formatted = format_source(source).replace("\r\n", "\n")
        return Outcome(path, original, _in_layout(formatted, bom, newline), data=data)
    except QualError as error:
        return Outcome(path, None, None, error.diagnostics)
    except FormatterBug as error:
        message = f"internal error: {error}; please report it"
        return Outcome(path, None, None, (Diagnostic.error(message, path),), bug=True)


def _format_file(path: str) -> Outcome:
    try:
        data = read_file_bytes(path, MAX_SOURCE_BYTES, "a policy file")
    except UnreadableFile as problem:
        return Outcome(path, None, None, (Diagnostic.error(str(problem), path),))
    return _format_data(path, data)


def _diff(outcome: Outcome) -> str:
    assert outcome.original is not None and outcome.formatted is not None
    return "".join(
        difflib.unified_diff(
            outcome.original.splitlines(keepends=True),
            outcome.formatted.splitlines(keepends=True),
            fromfile=f"{outcome.path}\t(original)",
            tofile=f"{outcome.path}\t(formatted)",
        )
    )


def _why(error: OSError) -> str:
    if error.errno == errno.ENOSPC:
        return "no space left on the device"
    if error.errno == errno.EDQUOT:
        return "disk quota exceeded"
    if isinstance(error, PermissionError) or error.errno == errno.EROFS:
        return "permission denied (a read-only folder or file system?)"
    return error.strerror or str(error)


def _write(path: str, text: str, expected: bytes) -> None:
    """Replace the file's content with `text`, or raise WriteError and leave it as it was.

    A symlink is followed (its target is rewritten, the link kept). The file
    is replaced atomically, with its mode and owner, unless that would break
    a hard link or change its owner: then it is rewritten in place. Either
    way the file must still hold `expected` (what was formatted) just before
    it is replaced, so an edit made meanwhile is never lost."""
    target = os.path.realpath(path)
    data = text.encode("utf-8")
    try:
        info = os.stat(target)
    except OSError as error:
        raise WriteError(f"cannot write: {_why(error)}") from None
    if not info.st_mode & 0o222 or not os.access(target, os.W_OK):
        raise WriteError("is read-only; not rewritten (make it writable to format it)")
    if info.st_nlink > 1:
        _write_in_place(target, data, expected)
        return
    folder = os.path.dirname(target)
    try:
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(target)}.", suffix=".tmp")
    except OSError as error:
        raise WriteError(f"cannot write in `{folder}`: {_why(error)}; the file is untouched") from None
    try:
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
                out.flush()
                os.fchmod(out.fileno(), stat.S_IMODE(info.st_mode))
                if (info.st_uid, info.st_gid) != (os.geteuid(), os.getegid()):
                    try:
                        os.fchown(out.fileno(), info.st_uid, info.st_gid)
                    except PermissionError:  # replacing would change the owner: rewrite in place
                        raise _KeepOwner() from None
                os.fsync(out.fileno())
        except OSError as error:
            raise WriteError(f"cannot write: {_why(error)}; the file is untouched") from None
        _unchanged(target, expected)
        try:
            os.replace(temporary, target)
        except OSError as error:
            raise WriteError(f"cannot write: {_why(error)}; the file is untouched") from None
    except _KeepOwner:
        Path(temporary).unlink(missing_ok=True)
        _write_in_place(target, data, expected)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class _KeepOwner(Exception):
    """Internal: the atomic replacement cannot keep the owner."""


def _unchanged(target: str, expected: bytes) -> None:
    try:
        now = read_file_bytes(target, MAX_SOURCE_BYTES)
    except UnreadableFile as problem:
        raise WriteError(f"changed while it was being formatted ({problem}); not rewritten") from None
    if now != expected:
        raise WriteError("changed while it was being formatted; not rewritten (run fmt again)")


def _write_in_place(target: str, data: bytes, expected: bytes) -> None:
    """Rewrite a file's bytes through its own inode (hard links and owner kept).
    The space is reserved first, so a full disk fails before anything changes."""
    try:
        descriptor = os.open(target, os.O_RDWR | getattr(os, "O_CLOEXEC", 0))
    except OSError as error:
        raise WriteError(f"cannot write: {_why(error)}") from None
    try:
        _unchanged(target, expected)
        try:
            if len(data) > len(expected) and hasattr(os, "posix_fallocate"):
                os.posix_fallocate(descriptor, 0, len(data))
            os.pwrite(descriptor, data, 0)
            os.ftruncate(descriptor, len(data))
            os.fsync(descriptor)
        except OSError as error:
            raise WriteError(f"cannot write: {_why(error)}") from None
    finally:
        os.close(descriptor)


@click.command("fmt")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--check", is_flag=True, help="Write nothing; exit 1 listing the files that would change.")
@click.option("--diff", "show_diff", is_flag=True,
              help="Write nothing; print a unified diff of the changes (exit 1 if any).")
@click.option("--stdin-filename", "stdin_filename", metavar="PATH",
              help="Format stdin to stdout as the file PATH: its includes resolve from PATH, "
                   "errors name PATH (for editors formatting an unsaved buffer).")
@click.pass_context
def fmt_command(ctx: click.Context, paths: tuple[str, ...], check: bool, show_diff: bool,
                stdin_filename: str | None) -> None:
    """Rewrite policies (and included fragments) in the canonical layout.

    PATH is a *.qual file, a directory (every *.qual under it), or `-` to
    format stdin to stdout. A file that does not compile is reported and left
    untouched. Exit 0 when all is well, 1 when a file does not compile or
    cannot be written or, with --check/--diff, would change.
    """
    from .cli import Exit, print_diagnostics

    if stdin_filename is not None and not paths:
        paths = (STDIN,)
    if not paths:
        raise click.UsageError("give the files or folders to format, or `-` for stdin")
    if STDIN in paths:
        if len(paths) > 1:
            raise click.UsageError("`-` (stdin) cannot be combined with other paths")
        _format_stdin(ctx, check, show_diff, stdin_filename)
        return
    if stdin_filename is not None:
        raise click.UsageError("--stdin-filename goes with `-` (stdin), not with files")
    files = find_policy_files(paths)
    if not files:
        raise click.UsageError(f"no policy files (*.qual) found in {', '.join(paths)}")
    outcomes = [_format_file(path) for path in files]
    failed = [o for o in outcomes if o.diagnostics]
    changed = [o for o in outcomes if o.changed]
    for outcome in failed:
        print_diagnostics(ctx, outcome.diagnostics)
    unwritten = 0
    for outcome in changed:
        if show_diff:
            click.echo(_diff(outcome), nl=False)
        elif check:
            click.echo(f"would reformat {outcome.path}")
        else:
            assert outcome.formatted is not None and outcome.data is not None
            try:
                _write(outcome.path, outcome.formatted, outcome.data)
            except WriteError as error:
                unwritten += 1
                print_diagnostics(ctx, [Diagnostic.error(str(error), outcome.path)])
    click.echo(_summary(len(outcomes), len(changed) - unwritten, len(failed) + unwritten,
                        dry=check or show_diff), err=True)
    if any(o.bug for o in failed):
        ctx.exit(Exit.INTERNAL)
    if failed or unwritten or ((check or show_diff) and changed):
        ctx.exit(Exit.FINDINGS)


def _format_stdin(ctx: click.Context, check: bool, show_diff: bool, filename: str | None) -> None:
    from .cli import Exit, print_diagnostics, read_stdin_bytes

    display = filename or "<stdin>"
    try:
        data = read_stdin_bytes()
    except QualError as error:
        print_diagnostics(ctx, error.diagnostics)
        ctx.exit(Exit.FINDINGS)
    outcome = _format_data(display, data, source_at("", filename) if filename is not None else None)
    if outcome.diagnostics:
        print_diagnostics(ctx, outcome.diagnostics)
        ctx.exit(Exit.INTERNAL if outcome.bug else Exit.FINDINGS)
    if show_diff:
        click.echo(_diff(outcome), nl=False)
    elif not check:
        assert outcome.formatted is not None
        sys.stdout.buffer.write(outcome.formatted.encode("utf-8"))  # as is: no newline translation
        sys.stdout.buffer.flush()
    if (check or show_diff) and outcome.changed:
        ctx.exit(Exit.FINDINGS)


def _summary(total: int, changed: int, failed: int, *, dry: bool) -> str:
    def files(count: int) -> str:
        return f"{count} file{'s' if count != 1 else ''}"

    parts = []
    if changed:
        parts.append(f"{files(changed)} {'would be reformatted' if dry else 'reformatted'}")
    unchanged = total - changed - failed
    if unchanged:
        parts.append(f"{files(unchanged)} already formatted")
    if failed:
        parts.append(f"{files(failed)} not formatted (errors)")
    return ", ".join(parts)
