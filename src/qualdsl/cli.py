"""The `qualdsl` command line.

Subcommands are imported lazily (see COMMANDS), so `qualdsl --version` does
not pay for lark. Machine output goes to stdout, human chatter to stderr.
Exit codes: 0 ok, 1 findings (a broken policy in check/eval, a failed
test, a lint warning, a diff over --fail-above), 2 usage (and, for `test`
and `diff`, a policy that does not compile: there it stops the run rather
than being the finding), 3 internal error, 5 no tests collected (`test`).
"""

from __future__ import annotations

import contextlib
import enum
import errno
import importlib
import os
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, NoReturn

import click

from . import __version__

if TYPE_CHECKING:
    from .diagnostics import Diagnostic
    from .source import Source


class Exit(enum.IntEnum):
    OK = 0
    FINDINGS = 1
    USAGE = 2
    INTERNAL = 3
    NO_TESTS = 5


# name -> (module:attribute, one-line help). Each issue's command lives in its
# own module; this table is the only place that lists them.
COMMANDS: dict[str, tuple[str, str]] = {
    "check": ("qualdsl.cli:check_command", "Compile policies and report every error."),
    "eval": ("qualdsl.cli:eval_command", "Evaluate leads against a policy."),
    "explain": ("qualdsl.cli:explain_command", "Explain a decision (eval --format text)."),
    "test": ("qualdsl.testing.cli:test_command", "Run policy test suites (*.test.yaml)."),
    "lint": ("qualdsl.lint.cli:lint_command", "Find policy mistakes beyond compile errors."),
    "rule": ("qualdsl.lint.cli:rule_command", "Show the documentation of a lint rule."),
    "diff": ("qualdsl.diff.cli:diff_command", "What a policy change means, and does to leads."),
    "fmt": ("qualdsl.fmt:fmt_command", "Format policies in the canonical layout."),
    "compile": ("qualdsl.targets:compile_command", "Compile a policy to portable JSON, SQL or Python."),
    "backtest": ("qualdsl.backtest.cli:backtest_command", "Measure a policy against real conversion outcomes."),
    "serve": ("qualdsl.serve.cli:serve_command", "Serve policies over HTTP (needs qualdsl[serve])."),
    "score": ("qualdsl.batch.cli:score_command", "Decide every lead of CSV, JSONL or Parquet files."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        target, _ = COMMANDS[name]
        module_name, attribute = target.split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name and error.name.startswith("qualdsl"):
                return None
            raise
        command: click.Command = getattr(module, attribute)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, help) for name, (_, help) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def use_color(ctx: click.Context | None, stream: Any = None) -> bool:
    """Colour when asked, or on a terminal unless NO_COLOR is set."""
    choice = "auto"
    while ctx is not None:
        if ctx.obj and "color" in ctx.obj:
            choice = ctx.obj["color"]
            break
        ctx = ctx.parent
    if choice == "always":
        return True
    if choice == "never":
        return False
    # NO_COLOR (no-color.org) wins over FORCE_COLOR (force-color.org), as in
    # pytest; FORCE_COLOR=0 forces nothing.
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR", "0") not in ("", "0"):
        return True
    stream = stream or sys.stdout
    return bool(getattr(stream, "isatty", lambda: False)())


def printable(text: str) -> str:
    """Text any UTF-8 output can take: lone surrogates (from lead data, or a
    YAML `"\\ud800"`) become `\\ud800` escapes instead of failing the write."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def source_highlighter() -> Any:
    """The policy-line highlighter for diagnostics, when the lexer is installed."""
    try:
        from .highlight import highlight_line
    except ImportError:
        return None
    return highlight_line


def print_diagnostics(ctx: click.Context, diagnostics: Any) -> None:
    from .render import render_all_text

    color = use_color(ctx, sys.stderr)
    # color= keeps click from stripping the codes when --color always meets a pipe.
    click.echo(render_all_text(diagnostics, color=color, highlight=source_highlighter()), err=True, color=color)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="qualdsl")
@click.option(
    "--color",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Colour output (auto: on a terminal, unless NO_COLOR is set).",
)
@click.pass_context
def cli(ctx: click.Context, color: str) -> None:
    """qualdsl: lead-qualification policies as code."""
    ctx.ensure_object(dict)
    ctx.obj["color"] = color


# ----------------------------------------------------------------- check


STDIN = "-"


@click.command("check")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--format", "output", type=click.Choice(["text", "json", "github"]), default="text",
              show_default=True, help="How to print problems.")
@click.option("--stdin-filename", "stdin_filename", metavar="PATH",
              help="With `-`: where the text on stdin lives, so its includes resolve from there.")
@click.pass_context
def check_command(ctx: click.Context, paths: tuple[str, ...], output: str, stdin_filename: str | None) -> None:
    """Compile each policy and report every problem with its line and column.

    Exit 0 when every policy compiles, 1 otherwise. A directory is searched
    for *.qual files (included fragments are checked through their policies);
    `-` reads one policy from stdin. A fragment named on the command line (as
    the pre-commit hook does) is parsed, and checked through its policies.
    """
    from .api import compile_source, load
    from .build import parse_module
    from .diagnostics import Severity
    from .errors import QualError
    from .render import render_github, render_json
    from .source import is_policy_file, read_source

    if stdin_filename is not None and STDIN not in paths:
        raise click.UsageError("--stdin-filename goes with `-` (stdin)")
    files = expand_policy_paths(paths)
    problems: list[Diagnostic] = []
    policies = fragments = 0
    for path in files:
        fragment = path != STDIN and os.path.isfile(path) and not is_policy_file(path)
        fragments += fragment
        policies += not fragment
        try:
            if path == STDIN:
                compile_source(read_stdin_source(stdin_filename))
            elif fragment:
                parse_module(read_source(path))
            else:
                load(path)
        except QualError as error:
            problems.extend(error.diagnostics)
    if output == "json":
        click.echo(render_json(problems))
    elif output == "github":
        if problems:
            click.echo(render_github(problems))
    elif problems:
        print_diagnostics(ctx, problems)
    noun = "policy" if policies == 1 else "policies"
    counted = f"{policies} {noun}" + (f" and {fragments} fragment{'s' if fragments != 1 else ''}" if fragments else "")
    if problems:
        errors = sum(d.severity is not Severity.INFO for d in problems)  # not the note counting hidden ones
        click.echo(f"{errors} error{'s' if errors != 1 else ''} in {counted}", err=True)
        ctx.exit(Exit.FINDINGS)
    click.echo(f"{counted} OK", err=True)


def read_stdin_bytes() -> bytes:
    """The bytes on stdin, within a policy's size limit; SourceError otherwise."""
    from .source import MAX_SOURCE_BYTES, UnreadableFile, read_limited, source_error

    if sys.stdin is None:
        raise click.UsageError("`-` reads stdin, but there is no stdin")
    try:
        return read_limited(sys.stdin.buffer, MAX_SOURCE_BYTES)
    except UnreadableFile as problem:
        raise source_error(str(problem), "<stdin>", code="QE001") from None


def read_stdin_source(filename: str | None = None) -> Source:
    """The policy text on stdin as a Source. With a filename, it is shown as
    that path and its includes resolve from there (loader.source_at)."""
    from .loader import source_at
    from .source import Source, decode_policy

    text = decode_policy(read_stdin_bytes(), filename or "<stdin>")
    return source_at(text, filename) if filename is not None else Source(text, "<stdin>")


def expand_policy_paths(paths: tuple[str, ...] | list[str]) -> list[str]:
    """Files as given (`-` is stdin); directories searched for *.qual
    policies (files with a `policy` line, so included fragments are skipped;
    see loader.find_policy_files)."""
    from .loader import find_policy_files

    files = find_policy_files(paths, fragments=False)
    if not files:
        raise click.UsageError(f"no policy files (*.qual) found in {', '.join(paths)}")
    return files


# ------------------------------------------------------------------ eval


def _load_or_exit(ctx: click.Context, path: str, id_field: str | None = None) -> Any:
    from .api import load
    from .errors import QualError

    try:
        return load(path, id_field=id_field)
    except QualError as error:
        print_diagnostics(ctx, error.diagnostics)
        ctx.exit(Exit.FINDINGS)
    except ValueError as error:  # a malformed --id-field path
        raise click.BadParameter(str(error), param_hint="--id-field") from None


def _evaluate(ctx: click.Context, policy_path: str, lead: str | None, leads: str | None,
              as_of: Any, output: str, *, id_field: str | None = None,
              input_format: str | None = None, strict_warnings: bool = False) -> None:
    """Decide leads as they are read: each decision is printed and flushed
    before the next lead is read, so piped leads are answered as they come
    and memory stays constant however long the input. `as_of`: an asof.AsOf,
    or None for now."""
    from .asof import AsOf, unusable
    from .batch.inputs import InputError, Row, RowError, read_rows, sniff_format
    from .batch.outputs import dumps, finite
    from .explain import explain

    if lead is not None and leads is not None:
        raise click.UsageError("give one of --lead FILE (one lead) or --leads FILE (many), not both")
    if lead is None and leads is None:
        # `qualdsl eval policy.qual < leads.jsonl`: JSONL piped in means --leads -.
        if sys.stdin is None or sys.stdin.isatty():
            raise click.UsageError(
                "give --lead FILE (one lead) or --leads FILE (many), or pipe JSONL leads on stdin"
            )
        leads = "-"
    when = as_of if as_of is not None else AsOf.now()
    policy = _load_or_exit(ctx, policy_path, id_field)
    many = leads is not None
    path = leads if leads is not None else lead
    assert path is not None
    color = use_color(ctx)
    summary = _EvalSummary()
    try:
        kind = "json" if not many and input_format is None else sniff_format(path, input_format)
        for record in read_rows([path], format=kind, schema=policy.schema):
            moment, problem = when.read(record.lead) if type(record) is Row else (None, None)
            if problem is not None:  # --as-of-field: this lead has no moment of its own
                record = RowError(record.source, record.line, unusable(problem), "")
            if not isinstance(record, Row):
                summary.failed += 1
                click.echo(f"{record.location}: error: {record.error}", err=True)
                if output == "json" and many:
                    click.echo(dumps({"error": record.error, "location": record.location}))
                continue
            decision = finite(policy.evaluate(record.lead, as_of=moment))
            summary.add(decision.warnings)
            if output == "json":
                click.echo(dumps(decision.to_dict(), indent=None if many else 2))
            else:
                if summary.decided > 1:
                    click.echo("\n" + "─" * 60 + "\n")
                click.echo(_printable(explain(decision, policy, color=color)), color=color)
    except InputError as error:
        click.echo(f"error: {error}", err=True)
        ctx.exit(Exit.FINDINGS)
    summary.report(many)
    if summary.failed or (strict_warnings and summary.warned):
        ctx.exit(Exit.FINDINGS)


def _printable(text: str) -> str:
    """Text a terminal can show: what UTF-8 cannot encode (lone surrogates) escaped."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


class _EvalSummary:
    """What eval says on stderr at the end: unreadable rows, warnings per field."""

    def __init__(self) -> None:
        import collections

        self.decided = 0
        self.failed = 0
        self.warned = 0
        self.fields: collections.Counter[str] = collections.Counter()

    def add(self, warnings: list[str]) -> None:
        self.decided += 1
        if warnings:
            self.warned += 1
            for warning in warnings:
                self.fields[warning_field(warning)] += 1

    def report(self, many: bool) -> None:
        if self.decided + self.failed == 0:
            click.echo("no leads read", err=True)
            return
        if self.fields:
            noun = "lead" if self.warned == 1 else "leads"
            counts = ", ".join(f"{_printable(field)} {count}" for field, count in self.fields.most_common())
            click.echo(f"warnings in {self.warned} {noun} of {self.decided} (per field: {counts})", err=True)
        if self.failed:
            click.echo(f"{self.failed} lead{'s' if self.failed != 1 else ''} could not be read", err=True)
        elif many and not self.fields:
            click.echo(f"{self.decided} lead{'s' if self.decided != 1 else ''} decided, no warnings", err=True)


def warning_field(warning: str) -> str:
    """The field a decision warning is about: `company.employees: expected
    int, ...` -> company.employees; `events[3]: ...` -> events."""
    field = warning.split(": ", 1)[0]
    if field.endswith("]") and "[" in field:
        field = field[: field.rindex("[")]
    return field


from .asof import as_of_option_list  # noqa: E402  # light (click and attrs only), used from here on

_as_of_option_list = as_of_option_list("Evaluate")
_lead_options = [
    click.argument("policy", type=click.Path()),
    click.option("--lead", "lead", metavar="FILE|-", help="One lead: a JSON object ('-' reads stdin)."),
    click.option("--leads", "leads", metavar="FILE|-",
                 help="Many leads: JSONL, a JSON array or CSV ('-', or nothing with input piped in, "
                      "reads JSONL from stdin)."),
    *_as_of_option_list,
    click.option("--id-field", "id_field", metavar="PATH",
                 help="The field reported as the decision's `lead` (default `id`; e.g. \"Prospect ID\")."),
    click.option("--input-format", "input_format", type=click.Choice(["csv", "jsonl", "json"]),
                 help="The format of --leads (default: from the extension; stdin: JSONL, or a JSON array)."),
    click.option("--strict-warnings", is_flag=True, help="Exit 1 when any decision has a warning."),
]


def _with_lead_options(function: Any) -> Any:
    for option in reversed(_lead_options):
        function = option(function)
    return function


@click.command("eval")
@_with_lead_options
@click.option("--format", "output", type=click.Choice(["text", "json"]), default="json",
              show_default=True, help="json: the decision; text: a readable explanation.")
@click.pass_context
def eval_command(ctx: click.Context, policy: str, lead: str | None, leads: str | None,
                 as_of: str | None, as_of_field: str | None, as_of_offset: str | None,
                 id_field: str | None, input_format: str | None, strict_warnings: bool, output: str) -> None:
    """Evaluate leads against POLICY and print the decisions.

    With --leads, one decision per line (JSONL), each printed as soon as its
    lead is read; a lead that cannot be read is reported on stderr (and as an
    {"error": ...} line) and the exit code is 1. A summary (warnings per
    field, unreadable leads) goes to stderr.

    With --as-of-field each lead is decided as of its own date or datetime
    field (plus --as-of-offset); a lead without a usable one is reported like
    a lead that cannot be read.
    """
    from .asof import from_options

    _evaluate(ctx, policy, lead, leads, from_options(as_of, as_of_field, as_of_offset), output,
              id_field=id_field, input_format=input_format,
              strict_warnings=strict_warnings)


@click.command("explain")
@_with_lead_options
@click.pass_context
def explain_command(ctx: click.Context, policy: str, lead: str | None, leads: str | None,
                    as_of: str | None, as_of_field: str | None, as_of_offset: str | None,
                    id_field: str | None, input_format: str | None, strict_warnings: bool) -> None:
    """Explain how POLICY decides a lead: ICP, every rule's points, tier, route."""
    from .asof import from_options

    _evaluate(ctx, policy, lead, leads, from_options(as_of, as_of_field, as_of_offset), "text",
              id_field=id_field, input_format=input_format,
              strict_warnings=strict_warnings)


# Written by the last-resort handler when memory has run out: built now,
# because then nothing can be allocated (not even this message).
_OUT_OF_MEMORY = b"qualdsl: internal error: out of memory\n"


def _out_of_memory() -> None:
    try:
        try:  # noqa: SIM105 - a plain try: nothing to allocate when memory has run out
            sys.stdout.flush()  # what was already written (decisions) is kept if it can be
        except BaseException:  # noqa: BLE001, S110 - nothing may stop the exit below
            pass
        os.write(2, _OUT_OF_MEMORY)
    finally:
        os._exit(Exit.INTERNAL)  # no cleanup that could allocate, and never exit 1 ("findings")


# A write the machine refused (a full disk or quota, a device error): not a
# bug, and not the input's fault; the command stops with exit 2 and the reason.
_UNWRITABLE = {errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EFBIG, errno.EROFS}


def main(argv: list[str] | None = None) -> None:
    """Entry point: no traceback reaches the user."""
    try:
        try:
            cli.main(args=argv, prog_name="qualdsl", standalone_mode=True)
        finally:
            # Output still buffered fails here, not at exit (where Python
            # would print its own complaint and exit 120).
            _flush_stdout()
    except MemoryError:
        _out_of_memory()
    except SystemExit:
        raise
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except _StdoutFailed as failed:
        _unwritable("standard output", failed.error)
    except OSError as error:
        if error.errno not in _UNWRITABLE:
            _internal(error)
        _unwritable(error.filename or ("standard output" if _echoed_to_stdout(error) else None), error)
    except Exception as error:  # noqa: BLE001 - a bug in qualdsl, not in the user's input
        _internal(error)


class _StdoutFailed(Exception):
    def __init__(self, error: OSError) -> None:
        self.error = error


@contextlib.contextmanager
def _on_stdout() -> Iterator[None]:
    """A write to standard output the machine refuses, as _StdoutFailed
    (main names standard output for it)."""
    try:
        yield
    except OSError as error:
        if error.errno not in _UNWRITABLE:
            raise
        raise _StdoutFailed(error) from None


def write_stdout(text: str) -> None:
    """A command's output as it is (click.echo would strip escape codes from
    it off a terminal); a write the machine refuses names standard output."""
    with _on_stdout():
        sys.stdout.write(text)


def _flush_stdout() -> None:
    try:
        with _on_stdout():
            sys.stdout.flush()
    except BrokenPipeError:  # `| head` closed it: what is left goes nowhere, as click does
        drop_stdout()
    except ValueError:  # closed by the command itself
        pass


def _echoed_to_stdout(error: BaseException) -> bool:
    """Whether the error was raised inside click.echo writing to standard
    output (how the commands print what they make)."""
    trace = error.__traceback__
    while trace is not None:
        frame = trace.tb_frame
        if frame.f_code.co_name == "echo" and frame.f_globals.get("__name__") == "click.utils":
            return not frame.f_locals.get("err")
        trace = trace.tb_next
    return False


def _unwritable(where: object, error: OSError) -> NoReturn:
    """Exit 2 naming the write the machine refused; what is still buffered
    for standard output is dropped, so exiting does not fail again."""
    text = f"cannot write {where}" if where else "cannot write"
    with contextlib.suppress(OSError):  # standard error refuses it too: the exit code says it
        click.echo(f"error: {text}: {error.strerror or error}", err=True)
    drop_stdout()
    sys.exit(Exit.USAGE)


def drop_stdout() -> None:
    """Standard output made /dev/null: what is still buffered for it goes
    nowhere when Python exits, instead of failing again there."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _internal(error: Exception) -> NoReturn:
    """Exit 3: a bug in qualdsl, in one line (the traceback with QUALDSL_DEBUG=1)."""
    if os.environ.get("QUALDSL_DEBUG"):
        raise error
    try:
        message = (
            f"qualdsl: internal error: {type(error).__name__}: {_safe_text(error)}\n"
            "this is a bug in qualdsl; rerun with QUALDSL_DEBUG=1 for the traceback"
        )
        click.echo(message, err=True)
    except MemoryError:
        _out_of_memory()
    except Exception:  # noqa: BLE001 - the error's own text fails (its __str__ raises)
        os.write(2, b"qualdsl: internal error\n")
    sys.exit(Exit.INTERNAL)


def _safe_text(error: BaseException) -> str:
    """An error's text, cut short and printable on any terminal."""
    text = str(error)
    if len(text) > 500:
        text = text[:500] + "..."
    return text.encode("utf-8", "backslashreplace").decode("utf-8")
