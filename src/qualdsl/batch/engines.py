"""Engines: what decides the rows of a batch.

An engine turns a ScoreJob into decisions and error rows, in input order.
The python engine reads with batch.inputs and evaluates in this process or
in `--jobs N` worker processes. Other engines (duckdb) are entries of
ENGINES: a module path and the command that installs what they need.
"""

from __future__ import annotations

import collections
import datetime as dt
import importlib
from collections.abc import Iterator
from typing import Any, Protocol

import attrs

from ..decision import Decision
from .inputs import Batch, Progress, Row, RowError, read_rows, read_units

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
    spark_master: str = "local[*]"  # the spark engine's cluster (`--spark-master`)


# An output row already encoded for job.encoding: (tier, route, row).
Encoded = tuple[str | None, str | None, Any]
Result = Decision | RowError | Encoded


class Engine(Protocol):
    def run(self, job: ScoreJob, policy: Any) -> Iterator[Result]:
        """Decisions (or, with job.encoding, encoded rows) and unreadable
        rows, in input order. Raises inputs.InputError for an input that
        cannot be read at all."""
        ...


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

    def run(self, job: ScoreJob, policy: Any) -> Iterator[Result]:
        if job.jobs <= 1:
            rows = read_rows(job.inputs, format=job.input_format, schema=policy.schema, progress=job.progress)
            return _in_process(rows, policy, job.as_of)
        # Parquet goes to the workers as Arrow batches: they make the leads,
        # so the main process only reads bytes and writes rows.
        units = read_units(job.inputs, format=job.input_format, schema=policy.schema, progress=job.progress,
                           batch_rows=CHUNK_ROWS)
        return _in_workers(units, job)


def _in_process(rows: Iterator[Row | RowError], policy: Any, as_of: dt.datetime) -> Iterator[Decision | RowError]:
    evaluate = policy.evaluate
    for row in rows:
        if type(row) is Row:
            yield evaluate(row.lead, as_of=as_of)
        else:
            yield row  # type: ignore[misc]


# ------------------------------------------------------------ worker processes

_worker_policy: Any = None
_worker_encoder: Any = None


def _worker_start(policy_path: str, id_field: str | None, encoding: tuple[str, tuple[str, ...], str] | None) -> None:
    global _worker_policy, _worker_encoder
    from ..api import load

    _worker_policy = load(policy_path, id_field=id_field)
    if encoding is not None:
        from .outputs import encoder

        _worker_encoder = encoder(*encoding)


def _worker_decide(leads: list[dict[str, Any]] | Batch, as_of: dt.datetime) -> list[Any]:
    if type(leads) is Batch:
        leads = leads.leads()
    decisions = _worker_policy.evaluate_many(leads, as_of=as_of)
    if _worker_encoder is None:
        return list(decisions)
    row = _worker_encoder.row
    return [(decision.tier, decision.route, row(decision)) for decision in decisions]


# What is in flight: the chunk's rows (to put error rows back in their
# place), or None for a Parquet batch (every row decided), and the result.
_Pending = tuple[list[Row | RowError] | None, Any]


def _in_workers(units: Iterator[Row | RowError | Batch], job: ScoreJob) -> Iterator[Result]:
    """Chunks of leads (or Parquet batches) to a pool; results taken back in
    submission order, with a bounded number of chunks in flight (Pool.imap
    would read the whole input ahead)."""
    import multiprocessing

    pool = multiprocessing.get_context("spawn").Pool(
        job.jobs, _worker_start, (job.policy_path, job.id_field, job.encoding))
    pending: collections.deque[_Pending] = collections.deque()
    limit = job.jobs * IN_FLIGHT_PER_JOB
    try:
        chunk: list[Row | RowError] = []
        for unit in units:
            if type(unit) is Batch:
                if chunk:
                    pending.append(_submit(pool, chunk, job.as_of))
                    chunk = []
                pending.append((None, pool.apply_async(_worker_decide, (unit, job.as_of))))
            else:
                chunk.append(unit)  # type: ignore[arg-type]
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


def _submit(pool: Any, chunk: list[Row | RowError], as_of: dt.datetime) -> _Pending:
    leads = [row.lead for row in chunk if type(row) is Row]
    return chunk, pool.apply_async(_worker_decide, (leads, as_of))


def _collect(item: _Pending) -> Iterator[Result]:
    chunk, result = item
    decided = result.get()
    if chunk is None:
        yield from decided
        return
    results = iter(decided)
    for row in chunk:
        if type(row) is RowError:
            yield row
        else:
            yield next(results)
