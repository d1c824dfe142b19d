"""`qualdsl score`: decide every lead of CRM exports and data files.

Exit codes: 0 done; 1 more unreadable rows than --max-errors (every other
row is still decided and written); 2 usage, a policy that does not
compile, or an input that cannot be read at all.
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from typing import IO, Any, cast

import click

from ..asof import AsOf, as_of_options, from_options
from ..cli import Exit, drop_stdout, print_diagnostics
from ..decision import Decision
from .engines import ENGINES
from .inputs import FORMATS, STDIN, RowError

_PROGRESS_EVERY = 0.2  # seconds between progress bar redraws


# Each worker is a Python process with the policy loaded (tens of MB): more than
# this many is a typo, not a machine (`serve --workers` has the same bound).
MAX_JOBS = 64

@click.command("score")
@click.argument("policy", type=click.Path())
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option("-o", "--output", "output", metavar="OUT",
              help="Write decisions here: *.jsonl (decision JSON), *.csv or *.parquet (flat columns). "
                   "Default: JSONL on stdout.")
@as_of_options()
@click.option("--engine", type=click.Choice(list(ENGINES)), default="python", show_default=True,
              help="What evaluates the policy.")
@click.option("--errors", "errors_path", metavar="FILE",
              help="Write unreadable rows here as JSONL records (default: stderr).")
@click.option("--max-errors", type=click.IntRange(min=0), default=0, show_default=True,
              help="Exit 1 when more rows than this cannot be read.")
@click.option("--id-field", "id_field", metavar="PATH",
              help="The field reported as each decision's `lead` (default `id`; e.g. \"Prospect ID\").")
@click.option("--jobs", type=click.IntRange(min=1, max=MAX_JOBS), default=1, show_default=True,
              help="Worker processes (python engine); output order is kept.")
@click.option("--spark-master", "spark_master", default="local[*]", show_default=True, metavar="URL",
              help="The Spark master the spark engine runs on (e.g. local[4], spark://host:7077).")
@click.option("--no-progress", is_flag=True, help="No progress bar (it is shown only on a terminal anyway).")
@click.option("--input-format", type=click.Choice(FORMATS), default=None,
              help="Read every INPUT in this format (default: from the extension; `-` is JSONL).")
@click.pass_context
def score_command(ctx: click.Context, policy: str, inputs: tuple[str, ...], output: str | None,
                  as_of: str | None, as_of_field: str | None, as_of_offset: str | None, engine: str,
                  errors_path: str | None, max_errors: int,
                  id_field: str | None, jobs: int, spark_master: str, no_progress: bool,
                  input_format: str | None) -> None:
    """Decide every lead in INPUT files (CSV, JSONL, a JSON array, Parquet; `-` reads JSONL from stdin).

    Rows that cannot be read are never dropped: each is written to --errors
    (or stderr) as {"source", "line", "error", "raw"}, and rows read =
    decisions written + error rows. A summary goes to stderr.

    Without --as-of or --as-of-field the leads are decided as of now. With
    --as-of-field, a row whose field is missing or not a datetime is an
    error row.
    """
    from ..api import load, parse_field_path
    from ..errors import QualError
    from .engines import (
        Chunk,
        EngineUnavailable,
        HandOver,
        PythonEngine,
        ScoreJob,
        get_engine,
        handing_over,
        ready_to_take_over,
    )
    from .inputs import InputError, check_input, total_size
    from .inputs import input_format as format_of

    if inputs.count(STDIN) > 1:
        raise click.UsageError("stdin (`-`) can be read only once")
    if id_field is not None:
        try:
            parse_field_path(id_field)
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--id-field") from None
    kind = "jsonl"
    if output is not None:
        from .outputs import output_format

        try:
            kind = output_format(output)
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="-o") from None
    for path in inputs:
        try:
            format_of(path, input_format)
        except InputError as error:
            raise click.BadParameter(str(error), param_hint="INPUT") from None
        try:
            check_input(path)  # before anything is written
        except InputError as error:
            click.echo(f"error: {error}", err=True)
            ctx.exit(Exit.USAGE)
    if engine == "python" and "parquet" in [kind] + [format_of(path, input_format) for path in inputs]:
        import importlib.util

        missing = [name for name in ("pyarrow", "numpy") if importlib.util.find_spec(name) is None]
        if missing:
            raise click.UsageError(f"reading or writing Parquet needs {' and '.join(missing)}: "
                                   "pip install 'qualdsl[parquet]'")
    when = from_options(as_of, as_of_field, as_of_offset) or AsOf.now()
    try:
        runner = get_engine(engine)
    except EngineUnavailable as error:
        raise click.UsageError(str(error)) from None
    if when.per_lead and not getattr(runner, "per_lead_as_of", False):
        raise click.UsageError(f"the {engine} engine cannot decide each lead as of its own time; "
                               "use --as-of, or another --engine with --as-of-field")
    try:
        compiled = load(policy, id_field=id_field)
    except QualError as error:
        print_diagnostics(ctx, error.diagnostics)
        ctx.exit(Exit.USAGE)

    # With --as-of-field the job's one moment is never used: each row has its own.
    moment = when.moment if when.moment is not None else dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    job = ScoreJob(policy, id_field, inputs, input_format, moment, jobs,
                   encoding=(kind, compiled.blocks, compiled.hash), per_lead=when if when.per_lead else None,
                   spark_master=spark_master)
    show_progress = not no_progress and sys.stderr.isatty()
    bar = _ProgressBar(job, total_size(inputs)) if show_progress else None
    started = time.monotonic()
    errors_file: IO[bytes] | None = None
    sink = _Output(output, kind, compiled)
    counts = _Counts()
    try:
        if errors_path is not None:
            try:
                errors_file = open(errors_path, "wb")  # noqa: SIM115 - closed below
            except OSError as error:
                raise click.BadParameter(f"cannot write {errors_path}: {error.strerror}",
                                         param_hint="--errors") from None
        native = getattr(runner, "write_flat", None) if output is not None and kind != "jsonl" else None
        results: Any = ()
        if native is not None and job.per_lead is None:
            # The engine writes the file itself (DuckDB's COPY): no decision
            # passes through this process; the counts come from the file.
            sink.open(native=True)
            try:
                counts.take(native(job, compiled, sink.temp, kind, progress=bar.share if bar is not None else None))
            except HandOver as over:  # nothing was written: the python engine decides it all
                ready_to_take_over(job, over)
                _handed_over(over.note, bar)
                sink.abandon()
                sink.open()
                results = PythonEngine().run(job, compiled)
        else:
            sink.open()
            results = handing_over(runner.run(job, compiled), job, compiled, lambda note: _handed_over(note, bar))
        for result in results:
            if type(result) is RowError:
                counts.errors += 1
                try:
                    _write_error(result, errors_file)
                except OSError as error:
                    where = f"{errors_path} (--errors)" if errors_file is not None else "standard error"
                    raise _Unwritable.of(error, where, output) from None
            else:
                try:  # free unless it raises (Python 3.11)
                    if type(result) is tuple:  # encoded by a worker: (tier, route, row)
                        counts.add(result[0], result[1])
                        sink.writer.write_row(result[2])
                    elif type(result) is Chunk:  # many decisions, encoded
                        counts.add_many(result.tiers, result.routes)
                        sink.writer.write_many(result.rows)
                    else:
                        decision = cast(Decision, result)
                        counts.add(decision.tier, decision.route)
                        sink.writer.write(decision)
                except OSError as error:
                    raise _Unwritable.of(error, output or "standard output", output) from None
            if bar is not None:
                bar.update(counts.rows)
        if errors_file is not None:
            try:  # its last records reach the disk before the decisions are kept
                errors_file.flush()
            except OSError as error:
                raise _Unwritable.of(error, f"{errors_path} (--errors)", output) from None
        try:
            sink.commit()
        except OSError as error:
            raise _Unwritable.of(error, output or "standard output", output) from None
    except _Unwritable as error:  # the disk is full, say: the output is left as it was
        sink.abandon()
        if bar is not None:
            bar.clear()
        click.echo(f"error: {error}", err=True)
        ctx.exit(Exit.USAGE)
    except InputError as error:
        sink.abandon()
        if bar is not None:
            bar.clear()
        click.echo(f"error: {error}", err=True)
        ctx.exit(Exit.USAGE)
    except QualError as error:  # an engine's compile refused the policy (SqlRefused)
        sink.abandon()
        if bar is not None:
            bar.clear()
        print_diagnostics(ctx, error.diagnostics)
        ctx.exit(Exit.USAGE)
    except BrokenPipeError:
        sink.abandon()
        drop_stdout()  # `qualdsl score ... | head`: stop quietly, no complaint at exit
        ctx.exit(Exit.OK)
    except BaseException:
        sink.abandon()
        raise
    finally:
        if errors_file is not None:
            with contextlib.suppress(OSError):  # flushed above when it matters; after a failure, moot
                errors_file.close()
    if bar is not None:
        bar.clear()
    click.echo(counts.summary(time.monotonic() - started, output, errors_path), err=True)
    if counts.errors > max_errors:
        ctx.exit(Exit.FINDINGS)


def _handed_over(note: str, bar: Any) -> None:
    """Say on stderr that the python engine decides the rest, and why (HandOver.note)."""
    if bar is not None:
        bar.clear()
    click.echo(note, err=True)


class _Unwritable(Exception):
    """An output could not be written (no space left, an I/O error): `where`
    names it; `output`, the decisions' file (-o), which is then not written."""

    def __init__(self, where: str, output: str | None, error: OSError) -> None:
        tail = "; nothing was written" if output is not None else ""
        super().__init__(f"cannot write {where}: {error.strerror or error}{tail}")

    @classmethod
    def of(cls, error: OSError, where: str, output: str | None) -> OSError | _Unwritable:
        """What to raise for `error`: a closed pipe as it is (`| head`, stopped
        quietly), any other failure as _Unwritable."""
        return error if isinstance(error, BrokenPipeError) else cls(where, output, error)


def _write_error(error: Any, stream: IO[bytes] | None) -> None:
    from .outputs import dumps

    line = dumps(error.to_dict()).encode("utf-8") + b"\n"
    if stream is None:
        sys.stderr.flush()
        sys.stderr.buffer.write(line)
        sys.stderr.buffer.flush()
    else:
        stream.write(line)


class _Output:
    """The decisions' destination: stdout, or a file written under a
    temporary name and renamed when the run ends, so a run stopped by an
    unreadable input leaves no half-written output."""

    def __init__(self, path: str | None, kind: str, policy: Any) -> None:
        self.path, self.kind, self.policy = path, kind, policy
        self.temp: str | None = None
        self.writer: Any = None
        self.stream: IO[bytes] | None = None

    def open(self, native: bool = False) -> None:
        """`native`: only the temporary file, for an engine that writes it itself."""
        from .outputs import CsvWriter, JsonlWriter, ParquetWriter

        blocks, digest = self.policy.blocks, self.policy.hash
        if self.path is None:
            self.writer = JsonlWriter(sys.stdout.buffer, digest)
            return
        folder = os.path.dirname(os.path.abspath(self.path))
        try:
            handle, self.temp = tempfile.mkstemp(prefix=".qualdsl-", suffix=os.path.basename(self.path), dir=folder)
        except OSError as error:
            raise click.BadParameter(f"cannot write {self.path}: {error.strerror}", param_hint="-o") from None
        if native:
            os.close(handle)
            return
        if self.kind == "parquet":
            os.close(handle)
            self.writer = ParquetWriter(self.temp, blocks, digest)
            return
        self.stream = os.fdopen(handle, "wb")
        if self.kind == "csv":
            self.writer = CsvWriter(self.stream, blocks, digest)
        else:
            self.writer = JsonlWriter(self.stream, digest)

    def commit(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None
        if self.stream is not None:
            self.stream.close()
        if self.temp is not None and self.path is not None:
            mask = os.umask(0)  # mkstemp makes the file private; give it the usual mode
            os.umask(mask)
            os.chmod(self.temp, 0o666 & ~mask)
            os.replace(self.temp, self.path)
            self.temp = None

    def abandon(self) -> None:
        stop = getattr(self.writer, "abandon", None)  # ParquetWriter: its writing thread
        if stop is not None:
            stop()
        try:
            if self.stream is not None:
                self.stream.close()
        except OSError:
            pass
        if self.temp is not None:
            with contextlib.suppress(OSError):
                os.unlink(self.temp)
            self.temp = None


class _Counts:
    def __init__(self) -> None:
        self.decisions = 0
        self.errors = 0
        self.tiers: collections.Counter[str] = collections.Counter()
        self.routes: collections.Counter[str] = collections.Counter()

    @property
    def rows(self) -> int:
        return self.decisions + self.errors

    def add(self, tier: str | None, route: str | None) -> None:
        self.decisions += 1
        self.tiers[tier if tier is not None else "(none)"] += 1
        self.routes[route if route is not None else "(none)"] += 1

    def take(self, written: Any) -> None:
        """The counts of a file an engine wrote itself (duckdb_engine.Written)."""
        self.decisions += written.decisions
        for counter, counted in ((self.tiers, written.tiers), (self.routes, written.routes)):
            for name, count in counted:
                counter[name if name is not None else "(none)"] += count

    def add_many(self, tiers: Sequence[str | None], routes: Sequence[str | None]) -> None:
        self.decisions += len(tiers)
        for counter, names in ((self.tiers, tiers), (self.routes, routes)):
            counted = collections.Counter(names)
            if None in counted:
                counted["(none)"] = counted.pop(None)
            counter.update(counted)  # type: ignore[arg-type]

    def summary(self, elapsed: float, output: str | None, errors_path: str | None) -> str:
        rate = f", {self.rows / elapsed:,.0f} rows/s" if elapsed > 0 and self.rows else ""
        lines = [
            f"{self.rows:,} rows read in {elapsed:.1f}s{rate}: {self.decisions:,} decisions "
            f"written to {output or 'stdout'}, {self.errors:,} unreadable row{'s' if self.errors != 1 else ''}"
            + (f" (in {errors_path})" if errors_path and self.errors else ""),
        ]
        if self.tiers:
            lines.append("tiers:  " + ", ".join(f"{name} {count:,}" for name, count in self.tiers.most_common()))
            lines.append("routes: " + ", ".join(f"{name} {count:,}" for name, count in self.routes.most_common()))
        return "\n".join(lines)


class _ProgressBar:
    """One line on stderr, redrawn at most every _PROGRESS_EVERY seconds."""

    def __init__(self, job: Any, total: int | None) -> None:
        self.job, self.total = job, total
        self.started = self.last = time.monotonic()
        self.drawn = False

    def update(self, rows: int) -> None:
        now = time.monotonic()
        if now - self.last < _PROGRESS_EVERY:
            return
        self.last = now
        elapsed = now - self.started
        rate = rows / elapsed if elapsed > 0 else 0.0
        text = f"{rows:,} rows  {rate:,.0f} rows/s"
        fraction = self.job.progress.fraction(self.total)
        if fraction:
            width = 24
            filled = int(width * fraction)
            remaining = elapsed * (1 - fraction) / fraction
            text = f"[{'#' * filled}{'.' * (width - filled)}] {fraction:4.0%}  {text}  ETA {_clock(remaining)}"
        sys.stderr.write("\r" + text + "\x1b[K")
        sys.stderr.flush()
        self.drawn = True

    def share(self, fraction: float) -> None:
        """The share done, as an engine that counts no rows reports it
        (DuckDB's query progress); called from the engine's thread."""
        now = time.monotonic()
        if now - self.last < _PROGRESS_EVERY or fraction <= 0:
            return
        self.last = now
        elapsed = now - self.started
        width = 24
        filled = int(width * min(fraction, 1.0))
        # An ETA from the first percent or two only says how long planning took.
        eta = f"  ETA {_clock(elapsed * (1 - fraction) / fraction)}" if fraction >= 0.05 else ""
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {fraction:4.0%}{eta}\x1b[K")
        sys.stderr.flush()
        self.drawn = True

    def clear(self) -> None:
        if self.drawn:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
            self.drawn = False


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
