"""`qualdsl fmt`: rewrite policies in the canonical layout (see printer.py).

A file is only ever written when it compiles (a policy) or parses (an
included fragment, which has no `policy` line), and when re-parsing the
formatted text gives the same AST: formatting never changes a decision.
"""

from __future__ import annotations

import difflib
import os
import sys
import tempfile
from pathlib import Path

import attrs
import click

from . import nodes as n
from .build import parse_module
from .diagnostics import Diagnostic
from .errors import QualError
from .printer import format_module
from .source import Source, decode_source, read_source

STDIN = "-"


class FormatterBug(Exception):
    """The formatted text does not mean what the original meant (never written)."""


def format_source(source: Source) -> str:
    """The canonical text of a policy or fragment; raises QualError when it does
    not compile (a policy) or parse (a fragment), FormatterBug if the layout
    would change its meaning."""
    from .api import compile_source

    module = parse_module(source)
    if module.first(n.PolicyDecl) is not None:
        compile_source(source)  # refuse to format what does not compile
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

    @property
    def changed(self) -> bool:
        return self.formatted is not None and self.formatted != self.original


def find_policy_files(paths: tuple[str, ...]) -> list[str]:
    """Files as given; directories searched for *.qual (fragments included)."""
    files: list[str] = []
    for path in paths:
        p = Path(path)
        if p.is_dir():
            for found in sorted(p.rglob("*.qual")):
                if not any(part.startswith(".") for part in found.relative_to(p).parts):
                    files.append(str(found))
        else:
            files.append(path)
    return files


def _format_file(path: str, text: str | None = None) -> Outcome:
    try:
        source = read_source(path) if text is None else Source(text, path)
        return Outcome(path, source.text, format_source(source))
    except QualError as error:
        return Outcome(path, None, None, error.diagnostics)
    except FormatterBug as error:
        message = f"internal error: {error}; please report it"
        return Outcome(path, None, None, (Diagnostic.error(message, path),), bug=True)


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


def _write(path: str, text: str) -> None:
    """Replace the file atomically, keeping its permissions."""
    target = Path(path)
    mode = target.stat().st_mode & 0o7777
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@click.command("fmt")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--check", is_flag=True, help="Write nothing; exit 1 listing the files that would change.")
@click.option("--diff", "show_diff", is_flag=True, help="Write nothing; print a unified diff of the changes (exit 1 if any).")
@click.pass_context
def fmt_command(ctx: click.Context, paths: tuple[str, ...], check: bool, show_diff: bool) -> None:
    """Rewrite policies (and included fragments) in the canonical layout.

    PATH is a *.qual file, a directory (every *.qual under it), or `-` to
    format stdin to stdout. A file that does not compile is reported and left
    untouched. Exit 0 when all is well, 1 when a file does not compile or,
    with --check/--diff, would change.
    """
    from .cli import Exit, print_diagnostics

    if STDIN in paths:
        if len(paths) > 1:
            raise click.UsageError("`-` (stdin) cannot be combined with other paths")
        _format_stdin(ctx, check, show_diff)
        return
    files = find_policy_files(paths)
    if not files:
        raise click.UsageError(f"no policy files (*.qual) found in {', '.join(paths)}")
    outcomes = [_format_file(path) for path in files]
    failed = [o for o in outcomes if o.diagnostics]
    changed = [o for o in outcomes if o.changed]
    for outcome in failed:
        print_diagnostics(ctx, outcome.diagnostics)
    for outcome in changed:
        if show_diff:
            click.echo(_diff(outcome), nl=False)
        elif check:
            click.echo(f"would reformat {outcome.path}")
        else:
            _write(outcome.path, outcome.formatted)  # type: ignore[arg-type]
    click.echo(_summary(len(outcomes), len(changed), len(failed), dry=check or show_diff), err=True)
    if any(o.bug for o in failed):
        ctx.exit(Exit.INTERNAL)
    if failed or ((check or show_diff) and changed):
        ctx.exit(Exit.FINDINGS)


def _format_stdin(ctx: click.Context, check: bool, show_diff: bool) -> None:
    from .cli import Exit, print_diagnostics

    text, problem = decode_source(sys.stdin.buffer.read(), "<stdin>")
    if problem is not None:
        print_diagnostics(ctx, [Diagnostic.error(problem, "<stdin>")])
        ctx.exit(Exit.FINDINGS)
    outcome = _format_file("<stdin>", text)
    if outcome.diagnostics:
        print_diagnostics(ctx, outcome.diagnostics)
        ctx.exit(Exit.INTERNAL if outcome.bug else Exit.FINDINGS)
    if show_diff:
        click.echo(_diff(outcome), nl=False)
    elif not check:
        click.echo(outcome.formatted, nl=False)
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
