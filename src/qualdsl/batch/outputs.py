"""Writing decisions: JSONL (the decision JSON), or flat rows in CSV or Parquet.

Strict JSON always: a score or points value that is not finite (inf, nan)
is written as null and the decision gets a warning saying so. Text that
cannot be encoded (a lone surrogate from lead data) is escaped: `\\ud800`
in JSON, a backslash escape in CSV and Parquet.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import csv
import io
import math
import os
from collections.abc import Sequence
from typing import IO, Any, Protocol

from ..decision import Decision, RuleResult, json_text, strings_text

OUTPUT_FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet"}
PARQUET_BATCH_ROWS = 8192


def flat_columns(blocks: Sequence[str]) -> list[str]:
    """The flat columns, in order (the SQL backend's `--flat` uses the same)."""
    return (["policy", "policy_hash", "lead", "as_of", "icp_pass", "icp_reasons"]
            + [f"score_{block}" for block in blocks]
            + ["score_total", "tier", "route", "rules", "warnings"])


def output_format(path: str) -> str:
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in OUTPUT_FORMATS:
        raise ValueError(f"cannot tell the output format of `{path}`: name it *.jsonl, *.csv or *.parquet")
    return OUTPUT_FORMATS[suffix]


class Writer(Protocol):
    def write(self, decision: Decision) -> None: ...

    def write_row(self, row: Any) -> None:
        """A row its encoder (`encoder(kind, ...)`) made, maybe in another process."""

    def write_many(self, rows: Any) -> None:
        """What its encoder's `many` made of a chunk of decisions."""

    def close(self) -> None: ...


# Strict JSON text; escapes what UTF-8 cannot carry (lone surrogates).
dumps = json_text


def finite(decision: Decision) -> Decision:
    """The decision with non-finite scores and points as None, and a warning
    for each; the same decision when every number is finite (the usual case)."""
    scores = decision.scores
    check = 0.0  # finite iff every number is finite (or the sum overflowed: the slow path then finds nothing)
    for value in scores.values():
        check += value
    for rule in decision.rules:
        check += rule[3]
    if check - check == 0.0:
        return decision
    warnings = list(decision.warnings)
    fixed: dict[str, Any] = {}
    for name, value in scores.items():
        if math.isfinite(value):
            fixed[name] = value
        else:
            fixed[name] = None
            warnings.append(f"scores.{name}: {value} is not a finite number; written as null")
    rules = []
    for index, rule in enumerate(decision.rules):
        if not math.isfinite(rule.points):
            warnings.append(f"rules[{index}] ({rule.block}.{rule.rule}): points {rule.points} "
                            "is not a finite number; written as null")
            rule = rule._replace(points=None)  # type: ignore[arg-type]  # written as JSON null
        rules.append(rule)
    if len(warnings) == len(decision.warnings):
        return decision
    return decision._replace(scores=fixed, rules=tuple(rules), warnings=warnings)


def decision_json(decision: Decision, policy_hash: str) -> dict[str, Any]:
    """Decision.to_dict() with `policy_hash` after `policy`."""
    data = finite(decision).to_dict()
    return {"policy": data.pop("policy"), "policy_hash": policy_hash, **data}


class _RulesText:
    """The `rules` column: the ledger as JSON text, built from cached pieces
    (one json.dumps per row would cost as much as evaluating the lead)."""

    def __init__(self) -> None:
        self.cache: dict[RuleResult, str] = {}

    def __call__(self, rules: tuple[RuleResult, ...]) -> str:
        cache = self.cache
        parts = []
        for rule in rules:
            text = cache.get(rule)
            if text is None:
                text = dumps(rule.to_dict())
                if len(cache) > 100_000:  # decayed points vary without bound
                    cache.clear()
                cache[rule] = text
            parts.append(text)
        return "[" + ",".join(parts) + "]"


# What an encoder's `many` takes: Decisions, or flat rows the policy's
# evaluate function made itself (given the policy's hash: a tuple in
# flat_columns order, or the Decision where a number was not finite).
Item = Decision | tuple[Any, ...]


class FlatRows:
    """Decisions (or the evaluate function's flat rows) as flat rows: lists
    in flat_columns order, or a chunk of them as columns."""

    def __init__(self, blocks: Sequence[str], policy_hash: str) -> None:
        self.blocks = tuple(blocks)
        self.hash = policy_hash
        self.rules = _RulesText()
        self.tier_at = len(flat_columns(blocks)) - 4  # tier, route, rules, warnings: the last four

    def row(self, item: Item) -> list[Any]:
        if type(item) is tuple:  # made by the evaluate function
            return list(item)
        decision = finite(item)  # type: ignore[arg-type]  # a Decision: `type(...) is` does not narrow
        scores = decision.scores
        return [
            decision.policy, self.hash, decision.lead, decision.as_of, decision.icp_pass,
            strings_text(tuple(decision.reasons)) if decision.reasons else "[]",
            *[scores[block] for block in self.blocks],
            scores["total"], decision.tier, decision.route,
            self.rules(decision.rules),
            dumps(decision.warnings) if decision.warnings else "[]",
        ]

    def encode(self, item: Item) -> tuple[str | None, str | None, Any]:
        """(tier, route, the output row)."""
        row = self.row(item)
        return row[self.tier_at], row[self.tier_at + 1], row

    def columns(self, items: Sequence[Item]) -> list[Sequence[Any]]:
        """A chunk as columns, one sequence per flat column."""
        rows = [item if type(item) is tuple else FlatRows.row(self, item) for item in items]
        if not rows:
            return [[] for _ in range(self.tier_at + 4)]
        return list(zip(*rows))

    def chunk(self, items: Sequence[Item]) -> tuple[Sequence[str | None], Sequence[str | None], Any]:
        """A chunk's tiers, routes and what the writer's write_many takes
        (here its columns)."""
        columns = self.columns(items)
        return columns[self.tier_at], columns[self.tier_at + 1], columns

    def many(self, items: Sequence[Item]) -> Any:
        """What the writer's write_many takes for a chunk."""
        return self.chunk(items)[2]


def flat_schema(blocks: Sequence[str]) -> Any:
    """The Arrow schema of the flat columns (what a Parquet output holds)."""
    import pyarrow as pa

    types = ([pa.string()] * 4 + [pa.bool_(), pa.string()] + [pa.float64()] * (len(blocks) + 1)
             + [pa.string()] * 5)
    return pa.schema(list(zip(flat_columns(blocks), types)))


def arrow_batch(columns: Sequence[Sequence[Any]], schema: Any) -> Any:
    """Flat columns (lists) as an Arrow RecordBatch of `schema`; text that
    UTF-8 cannot carry (a lone surrogate) is escaped."""
    import pyarrow as pa

    arrays = []
    for column, field in zip(columns, schema, strict=True):
        try:
            arrays.append(pa.array(column, field.type))
        except (pa.ArrowException, UnicodeEncodeError):  # a lone surrogate: escape it
            arrays.append(pa.array([_escape(v) for v in column], field.type))
    return pa.record_batch(arrays, schema=schema)


class ArrowRows(FlatRows):
    """Flat rows for Parquet: a chunk of decisions as one Arrow RecordBatch.
    Made where the decisions are (a `--jobs` worker), it travels back as
    Arrow buffers, so the writing process builds no Python objects for it."""

    def __init__(self, blocks: Sequence[str], policy_hash: str) -> None:
        super().__init__(blocks, policy_hash)
        self.schema = flat_schema(blocks)

    def chunk(self, items: Sequence[Item]) -> tuple[Sequence[str | None], Sequence[str | None], Any]:
        tiers, routes, columns = super().chunk(items)
        return tiers, routes, arrow_batch(columns, self.schema)  # a pyarrow.RecordBatch


class JsonlRows:
    """Decisions as JSONL lines (bytes, newline included)."""

    def __init__(self, policy_hash: str) -> None:
        self.hash = policy_hash

    def row(self, decision: Decision) -> bytes:
        return dumps(decision_json(decision, self.hash)).encode("utf-8") + b"\n"

    def encode(self, decision: Decision) -> tuple[str | None, str | None, bytes]:
        return decision.tier, decision.route, self.row(decision)

    def chunk(self, decisions: Sequence[Decision]) -> tuple[list[str | None], list[str | None], bytes]:
        return [d.tier for d in decisions], [d.route for d in decisions], self.many(decisions)

    def many(self, decisions: Sequence[Decision]) -> bytes:
        return b"".join(map(self.row, decisions))


class CsvRows(FlatRows):
    """Flat rows as CSV cells: booleans as JSON spells them, floats exact."""

    def row(self, item: Item) -> list[Any]:
        return self.cells(super().row(item))

    @staticmethod
    def cells(row: list[Any]) -> list[Any]:
        row[4] = "true" if row[4] else "false"
        return ["" if cell is None else repr(cell) if type(cell) is float else cell for cell in row]

    def encode(self, item: Item) -> tuple[str | None, str | None, Any]:
        row = super().row(item)
        return row[self.tier_at], row[self.tier_at + 1], self.cells(row)

    def chunk(self, items: Sequence[Item]) -> tuple[list[str | None], list[str | None], list[list[Any]]]:
        """Rows, not columns: the CSV writer writes rows."""
        flat = super().row  # the row before its cells (a comprehension has no super())
        rows = [flat(item) for item in items]
        return ([row[self.tier_at] for row in rows], [row[self.tier_at + 1] for row in rows],
                [self.cells(row) for row in rows])


Encoder = JsonlRows | CsvRows | ArrowRows


def encoder(kind: str, blocks: Sequence[str], policy_hash: str) -> Encoder:
    """What turns a decision into an output row for a format. Picklable and
    stream-free, so worker processes encode and the writer only writes."""
    if kind == "jsonl":
        return JsonlRows(policy_hash)
    if kind == "csv":
        return CsvRows(blocks, policy_hash)
    return ArrowRows(blocks, policy_hash)


class JsonlWriter:
    def __init__(self, stream: IO[bytes], policy_hash: str, *, flush: bool = False) -> None:
        self.stream = stream
        self.encoder = JsonlRows(policy_hash)
        self.flush = flush

    def write(self, decision: Decision) -> None:
        self.write_row(self.encoder.row(decision))

    def write_row(self, row: bytes) -> None:
        self.stream.write(row)
        if self.flush:
            self.stream.flush()

    def write_many(self, rows: bytes) -> None:
        self.write_row(rows)

    def close(self) -> None:
        self.stream.flush()


class CsvWriter:
    def __init__(self, stream: IO[bytes], blocks: Sequence[str], policy_hash: str) -> None:
        # backslashreplace: a lone surrogate in a lead id becomes `\ud800` text.
        self.text = io.TextIOWrapper(stream, encoding="utf-8", errors="backslashreplace", newline="",
                                     write_through=False)
        self.writer = csv.writer(self.text)
        self.encoder = CsvRows(blocks, policy_hash)
        self.writer.writerow(flat_columns(blocks))

    def write(self, decision: Decision) -> None:
        self.write_row(self.encoder.row(decision))

    def write_row(self, row: list[Any]) -> None:
        self.writer.writerow(row)

    def write_many(self, rows: list[list[Any]]) -> None:
        self.writer.writerows(rows)

    def close(self) -> None:
        self.text.flush()
        self.text.detach()


class ParquetWriter:
    def __init__(self, path: str, blocks: Sequence[str], policy_hash: str) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.pa = pa
        self.columns = flat_columns(blocks)
        self.encoder = ArrowRows(blocks, policy_hash)
        self.schema = self.encoder.schema
        self.rows: list[list[Any]] = []  # rows from write_row
        self.batches: list[Any] = []  # RecordBatches from write_many
        self.batched = 0  # their rows
        # Dictionary pages only where values repeat; the ledger text rarely does.
        repeating = [c for c in self.columns if c not in ("lead", "rules") and not c.startswith("score_")]
        self.writer = pq.ParquetWriter(path, self.schema, use_dictionary=repeating)
        # One table is encoded and compressed on a thread of its own while the
        # next batch is decided: pyarrow's write_table releases the GIL for
        # that. At most one is pending (memory stays flat); its error, if any,
        # is raised by the next write or by close.
        self.pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="qualdsl-parquet")
        self.pending: concurrent.futures.Future[None] | None = None

    def write(self, decision: Decision) -> None:
        self.write_row(self.encoder.row(decision))

    def write_row(self, row: list[Any]) -> None:
        self.rows.append(row)
        if len(self.rows) >= PARQUET_BATCH_ROWS:
            self._flush()

    def write_many(self, batch: Any) -> None:
        """A RecordBatch its encoder's `many` made."""
        if self.rows:  # keep the order of rows written one by one
            self._flush()
        self.batches.append(batch)
        self.batched += batch.num_rows
        if self.batched >= PARQUET_BATCH_ROWS:
            self._flush()

    def _flush(self) -> None:
        # Buffered batches come before buffered rows (write_many flushes rows first).
        if self.batches:
            batches, self.batches, self.batched = self.batches, [], 0
            self._write(self.pa.Table.from_batches(batches, self.schema))
        if self.rows:
            rows, self.rows = self.rows, []
            self._write(self.pa.Table.from_batches([arrow_batch(list(zip(*rows)), self.schema)], self.schema))

    def _write(self, table: Any) -> None:
        self.wait()
        self.pending = self.pool.submit(self.writer.write_table, table)

    def wait(self) -> None:
        """Until the table being written is written (raises its error, if any)."""
        pending, self.pending = self.pending, None
        if pending is not None:
            pending.result()

    def close(self) -> None:
        try:
            self._flush()
            self.wait()
        finally:
            self.pool.shutdown(wait=True)
            self.writer.close()

    def abandon(self) -> None:
        """Stop without writing more (the file is being thrown away)."""
        self.pool.shutdown(wait=True, cancel_futures=True)
        with contextlib.suppress(OSError, ValueError):  # its own failure is why it is abandoned, or moot
            self.writer.close()


def _escape(value: Any) -> Any:
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    return value
