"""Engines: what decides the rows of a batch.

An engine turns a ScoreJob into decisions and error rows, in input order.
The python engine reads with batch.inputs and evaluates in this process or
in `--jobs N` worker processes. Other engines (duckdb) are entries of
ENGINES: a module path and the command that installs what they need.
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import gc
import importlib
import itertools
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

import attrs

from ..asof import AsOf, raw_text, unusable
from ..backends.python import EvaluateFunction
from ..decision import Decision
from ..runtime import _MISS
from .inputs import (
    MAX_RAW_CHARS,
    PARQUET_BATCH_ROWS,
    Batch,
    InputError,
    Progress,
    Row,
    RowError,
    input_format,
    read_rows,
    read_units,
)

CHUNK_ROWS = 1000  # leads sent to a worker at a time
IN_FLIGHT_PER_JOB = 3  # chunks queued per worker: bounded memory, workers never idle


@attrs.frozen
class ScoreJob:
    """Everything an engine needs: the policy by path (workers and SQL
    engines load it themselves), the inputs, and the moment."""

    policy_path: str
    id_field: str | None
    inputs: tuple[str, ...]
    input_format: str | None
    as_of: dt.datetime
    jobs: int = 1
    progress: Progress = attrs.field(factory=Progress, eq=False)
    # (output format, blocks, policy hash): lets workers encode output rows
    # themselves; a pickled Decision costs almost as much as deciding the lead.
    encoding: tuple[str, tuple[str, ...], str] | None = None
    # `--as-of-field`: each lead decided as of its own moment (as_of unused);
    # only engines with `per_lead_as_of = True` are given one.
    per_lead: AsOf | None = None
    spark_master: str = "local[*]"  # the spark engine's cluster (`--spark-master`)


# An output row already encoded for job.encoding: (tier, route, row).
Encoded = tuple[str | None, str | None, Any]
@attrs.frozen(slots=True)
class Chunk:
    """Consecutive decisions already encoded for job.encoding: their tiers
    and routes (for the summary) and what the encoder's `many` made of them
    (for the writer's `write_many`). Parquet batches travel this way."""

    tiers: Sequence[str | None]
    routes: Sequence[str | None]
    rows: Any


class Decider:
    """Leads into what the job's writer takes. For CSV and Parquet the
    policy's evaluate function writes the flat row itself (given the
    policy's hash): no Decision and no RuleResult is made, and the ledger
    text comes from per-rule constants (encoding Decisions had cost a third
    as much as deciding them). JSONL, and no encoding at all, go through
    Decisions."""

    def __init__(self, policy: Any, encoding: tuple[str, tuple[str, ...], str] | None) -> None:
        from .outputs import FlatRows, JsonlRows, encoder

        made = None if encoding is None else encoder(*encoding)
        # Either the flat rows' encoder (the function is given the hash) or JSONL's.
        self.flat: FlatRows | None = made if isinstance(made, FlatRows) else None
        self.encoder: JsonlRows | None = made if isinstance(made, JsonlRows) else None
        self.hash = encoding[2] if encoding is not None else ""
        self.function: EvaluateFunction = policy.compiled.function
        self.function_events: str | None = policy.compiled.preload_events
        self._times = policy.times

    def one(self, lead: Any, as_of: dt.datetime) -> Decision | Encoded:
        moment, text = self._times(as_of)
        if self.flat is not None:
            return self.flat.encode(self.function(lead, moment, text, self.hash))
        if self.encoder is not None:
            return self.encoder.encode(self.function(lead, moment, text))
        return self.function(lead, moment, text)

    def many(self, leads: list[Any], as_of: dt.datetime, events: list[Any] | None = None) -> list[Decision] | Chunk:
        """Leads decided at once; `events`, each lead's events already loaded
        (Batch.leads_and_events; _MISS: the function loads them)."""
        function, (moment, text) = self.function, self._times(as_of)
        each = zip(leads, events if events is not None else itertools.repeat(_MISS))
        if self.flat is not None:
            hash = self.hash
            return Chunk(*self.flat.chunk([function(lead, moment, text, hash, loaded) for lead, loaded in each]))
        decisions = [function(lead, moment, text, None, loaded) for lead, loaded in each]
        return decisions if self.encoder is None else Chunk(*self.encoder.chunk(decisions))

    def batch(self, batch: Batch, as_of: dt.datetime) -> list[Decision] | Chunk:
        """A Parquet batch's leads, their events loaded in Arrow when the
        policy allows it (CompiledPolicy.preload_events)."""
        if self.function_events is None:
            return self.many(batch.leads(), as_of)
        leads, events = batch.leads_and_events(self.function_events, self._times(as_of)[0])
        return self.many(leads, as_of, events)


Result = Decision | RowError | Encoded | Chunk


class Engine(Protocol):
    def run(self, job: ScoreJob, policy: Any) -> Iterator[Result]:
        """Decisions (or, with job.encoding, encoded rows) and unreadable
        rows, in input order. Raises inputs.InputError for an input that
        cannot be read at all."""
        ...


class HandOver(Exception):
    """A SQL engine cannot decide the input exactly as the python engine
    does: a policy construct its dialect refuses, a row it cannot read, a
    value it cannot hold (an int beyond 64 bits: backends/sql/errors.CANNOT_HOLD).
    `reason` names it, located; the python engine decides the rest of the
    input (`handing_over`)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    @property
    def note(self) -> str:
        """What the command prints on stderr."""
        return f"note: {self.reason}; the python engine decides the rest of the input, exactly"


def handing_over(results: Iterator[Result], job: ScoreJob, policy: Any,
                 note: Callable[[str], None]) -> Iterator[Result]:
    """An engine's results; if it hands over, the python engine's for the
    rows it had not given, after `note(over.note)`. Both give one result per
    input row in input order, so the rows already given are skipped by count."""
    given = 0
    try:
        for result in results:
            given += len(result.tiers) if type(result) is Chunk else 1
            yield result
    except HandOver as over:
        ready_to_take_over(job, over)
        note(over.note)
    else:
        return
    skip = given
    for result in PythonEngine().run(job, policy):
        if skip == 0:
            yield result
        elif type(result) is not Chunk:
            skip -= 1
        elif skip >= len(result.tiers):
            skip -= len(result.tiers)
        else:
            yield Chunk(result.tiers[skip:], result.routes[skip:], _rows_after(result.rows, skip))
            skip = 0


def ready_to_take_over(job: ScoreJob, over: HandOver) -> None:
    """Raise InputError if the python engine cannot read the job's inputs
    (Parquet without pyarrow: the spark extra does not install it)."""
    import importlib.util

    if any(input_format(path, job.input_format) == "parquet" for path in job.inputs):
        missing = [name for name in ("pyarrow", "numpy") if importlib.util.find_spec(name) is None]
        if missing:
            raise InputError(f"{over.reason}; the python engine, which decides such leads, reads Parquet with "
                             f"{' and '.join(missing)}: pip install 'qualdsl[parquet]'")


def _rows_after(rows: Any, skip: int) -> Any:
    """A chunk's encoded rows without its first `skip`: JSONL text (one line
    each), CSV rows (a list) or an Arrow RecordBatch."""
    if type(rows) is bytes:
        return rows.split(b"\n", skip)[skip]
    if type(rows) is list:
        return rows[skip:]
    return rows.slice(skip)


class EngineUnavailable(Exception):
    """The engine or what it needs is not installed; the message says how."""


# name -> (module:class, what installs it). One entry per engine.
ENGINES: dict[str, tuple[str, str | None]] = {
    "python": ("qualdsl.batch.engines:PythonEngine", None),
    "duckdb": ("qualdsl.backends.sql.duckdb_engine:DuckDBEngine", "pip install 'qualdsl[duckdb]'"),
    "spark": ("qualdsl.backends.sql.spark_engine:SparkEngine", "pip install 'qualdsl[spark]'"),
}


def get_engine(name: str) -> Engine:
    target, install = ENGINES[name]
    module_name, attribute = target.split(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        hint = f"; install it with `{install}`" if install else ""
        missing = getattr(error, "name", None) or ""
        why = ("not in this version of qualdsl" if missing.startswith("qualdsl")
               else f"{missing or 'a module it needs'} is not installed")
        raise EngineUnavailable(f"the {name} engine is not available ({why}){hint}") from None
    engine: Engine = getattr(module, attribute)()
    return engine


class PythonEngine:
    """Streams rows through Policy.evaluate, in constant memory."""

    per_lead_as_of = True

    def run(self, job: ScoreJob, policy: Any) -> Iterator[Result]:
        if job.per_lead is not None:  # each row as of its own moment: row by row
            read = read_rows(job.inputs, format=job.input_format, schema=policy.schema, progress=job.progress)
            rows = own_moments(read, job.per_lead)
            if job.jobs <= 1:
                return _in_process(rows, policy, job)
            return _in_workers(rows, job)
        if job.jobs <= 1:
            units = read_units(job.inputs, format=job.input_format, schema=policy.schema, progress=job.progress,
                               batch_rows=PARQUET_BATCH_ROWS)
            return _in_process(units, policy, job)
        # Parquet goes to the workers as Arrow batches: they make the leads
        # and send back Arrow batches, so the main process only reads and
        # writes Parquet. Batches of 4,096 rows: with 1,000 the pool's own
        # work per task doubled the main process's CPU (15 s against 7.7 s
        # on a million rows).
        units = read_units(job.inputs, format=job.input_format, schema=policy.schema, progress=job.progress,
                           batch_rows=PARQUET_BATCH_ROWS)
        return _in_workers(units, job)


@attrs.frozen(slots=True)
class Timed:
    """A row with its own moment (`--as-of-field`)."""

    row: Row
    as_of: dt.datetime

    @property
    def lead(self) -> dict[str, Any]:
        return self.row.lead


def own_moments(rows: Iterator[Row | RowError], as_of: AsOf) -> Iterator[Timed | RowError]:
    """Each row with its own moment; a row without one becomes an error row."""
    for row in rows:
        if type(row) is Row:
            moment, problem = as_of.read(row.lead)
            if moment is None:
                assert problem is not None
                yield RowError(row.source, row.line, unusable(problem), raw_text(row.lead)[:MAX_RAW_CHARS])
                continue
            yield Timed(row, moment)
        else:
            assert isinstance(row, RowError)
            yield row


def _in_process(units: Iterator[Row | RowError | Batch] | Iterator[Timed | RowError], policy: Any,
                job: ScoreJob) -> Iterator[Result]:
    """Rows one by one (text inputs stream: a decision is written as soon
    as its row is read); a Parquet batch at once, encoded as one Chunk."""
    decide, as_of = Decider(policy, job.encoding), job.as_of
    rows = 0
    with _collections_per_batch() as collect:
        for unit in units:
            if type(unit) is Row or type(unit) is Timed:
                # Rows streamed one by one: a collection every PARQUET_BATCH_ROWS
                # rows, so a cycle in some value never piles up with the collector off.
                yield decide.one(unit.lead, as_of if type(unit) is Row else unit.as_of)  # type: ignore[union-attr]
                rows += 1
                if rows % PARQUET_BATCH_ROWS == 0:
                    collect()
            elif type(unit) is Batch:
                decided = decide.batch(unit, as_of)
                if type(decided) is Chunk:
                    yield decided
                else:
                    yield from decided  # type: ignore[misc]
                del decided
                collect()
            else:
                yield unit  # type: ignore[misc]  # a RowError: `type(unit) is` tests do not narrow


@contextlib.contextmanager
def _collections_per_batch() -> Iterator[Any]:
    """Python's cycle collector, run once per Parquet batch instead of
    whenever allocations pile up. Making a batch's leads allocates tens of
    thousands of containers at once, so the collector would otherwise run
    many times per batch, each time walking every live object; that cost a
    third as much as deciding the leads. What exists before scoring (the
    policy, the modules) is frozen out of the collector's walks; a batch
    leaves no cycles behind (leads and decisions are plain dicts, lists and
    tuples), so the one collection per batch finds little and is cheap."""
    enabled = gc.isenabled()
    gc.disable()
    gc.freeze()
    try:
        yield _Collections()
    finally:
        gc.unfreeze()
        if enabled:
            gc.enable()


class _Collections:
    """One young-generation collection per call, an older one every tenth
    and a full one every hundredth, as Python's own thresholds (700, 10, 10)
    space them: what outlives batches (the ledger text cache, 100,000
    entries at most) is walked once per hundred batches, not once per batch
    (a full collection with it costs 16 ms, 4 µs a lead of a 4,096-row batch)."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> None:
        self.calls += 1
        gc.collect(2 if self.calls % 100 == 0 else 1 if self.calls % 10 == 0 else 0)


# ------------------------------------------------------------ worker processes

_worker_decide_leads: Decider | None = None
_worker_collect: Any = None


def _worker_start(policy_path: str, id_field: str | None, encoding: tuple[str, tuple[str, ...], str] | None) -> None:
    global _worker_decide_leads, _worker_collect
    from ..api import load

    _worker_decide_leads = Decider(load(policy_path, id_field=id_field), encoding)
    # As in one process (_collections_per_batch): what the worker holds now
    # is frozen, and the collector runs once per chunk. The worker process
    # ends with the pool, so nothing is restored.
    gc.disable()
    gc.freeze()
    _worker_collect = _Collections()


def _worker_decide(leads: list[dict[str, Any]] | Batch, as_of: dt.datetime | list[dt.datetime]) -> Any:
    try:
        return _worker_decide_chunk(leads, as_of)
    finally:
        _worker_collect()


def _worker_decide_chunk(leads: list[dict[str, Any]] | Batch, as_of: dt.datetime | list[dt.datetime]) -> Any:
    decide = _worker_decide_leads
    assert decide is not None  # set by _worker_start
    if type(leads) is Batch:
        assert not isinstance(as_of, list)  # a Batch is never read with --as-of-field (PythonEngine.run)
        # Every row of a batch is decided: one Chunk, cheaper to send back than rows.
        return decide.batch(leads, as_of)
    assert isinstance(leads, list)
    if isinstance(as_of, list):  # each lead's own moment (never a Batch: see PythonEngine.run)
        return [decide.one(lead, moment) for lead, moment in zip(leads, as_of, strict=True)]
    return [decide.one(lead, as_of) for lead in leads]


# What is in flight: the chunk's rows (to put error rows back in their
# place), or None for a Parquet batch (every row decided), and the result.
_Unit = Row | RowError | Timed
_Pending = tuple[list[_Unit] | None, Any]


def _in_workers(units: Iterator[Row | RowError | Batch] | Iterator[Timed | RowError],
                job: ScoreJob) -> Iterator[Result]:
    """Chunks of leads (or Parquet batches) to a pool; results taken back in
    submission order, with a bounded number of chunks in flight (Pool.imap
    would read the whole input ahead)."""
    import multiprocessing

    pool = multiprocessing.get_context("spawn").Pool(
        job.jobs, _worker_start, (job.policy_path, job.id_field, job.encoding))
    pending: collections.deque[_Pending] = collections.deque()
    limit = job.jobs * IN_FLIGHT_PER_JOB
    try:
        chunk: list[_Unit] = []
        for unit in units:
            if type(unit) is Batch:
                if chunk:
                    pending.append(_submit(pool, chunk, job.as_of))
                    chunk = []
                pending.append((None, pool.apply_async(_worker_decide, (unit, job.as_of))))
            else:
                assert not isinstance(unit, Batch)
                chunk.append(unit)
                if len(chunk) < CHUNK_ROWS:
                    continue
                pending.append(_submit(pool, chunk, job.as_of))
                chunk = []
            while len(pending) >= limit:
                yield from _collect(pending.popleft())
        if chunk:
            pending.append(_submit(pool, chunk, job.as_of))
        while pending:
            yield from _collect(pending.popleft())
        pool.close()
        pool.join()
    finally:
        pool.terminate()


def _submit(pool: Any, chunk: list[_Unit], as_of: dt.datetime) -> _Pending:
    leads = [row.lead for row in chunk if not isinstance(row, RowError)]
    moments = [row.as_of for row in chunk if isinstance(row, Timed)]
    return chunk, pool.apply_async(_worker_decide, (leads, moments if moments else as_of))


def _collect(item: _Pending) -> Iterator[Result]:
    chunk, result = item
    decided = result.get()
    if chunk is None:
        if type(decided) is Chunk:
            yield decided
        else:
            yield from decided
        return
    results = iter(decided)
    for row in chunk:
        if type(row) is RowError:
            yield row
        else:
            yield next(results)
