"""`--as-of-field` on the SQL engines: each row decided as of its own moment.

The compiled SELECT reads the moment from the row (compile.AsOfField: the
field coerced exactly as a `datetime` field is, plus the offset); a row
without a usable one comes back with a NULL `as_of`. Such a row becomes
the error row the python engine gives for it, located by batch's reader,
which is read alongside only as far as the last such row, so a clean input
is read once. Shared by the duckdb and spark engines.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any

from ...asof import AsOf
from ...batch.inputs import Row, RowError, read_rows
from ...decision import Decision
from .compile import AsOfField


def sql_moment(as_of: dt.datetime | AsOf) -> dt.datetime | AsOfField:
    """What compile_sql takes as `as_of`: a moment, or the field to read it from."""
    if isinstance(as_of, dt.datetime):
        return as_of
    if as_of.moment is not None:
        return as_of.moment
    offset = as_of.offset
    return AsOfField(as_of.path, (offset.days * 86400 + offset.seconds) * 1_000_000 + offset.microseconds)


def with_moment_errors(results: Iterable[Decision | RowError], policy: Any, job: Any) -> Iterator[Decision | RowError]:
    """The engine's results with every decision that had no moment of its own
    (a NULL `as_of`) replaced by its error row. `results` holds one item per
    row of the input, in input order (an engine's own RowErrors in place)."""
    from ...asof import raw_text, unusable

    reader: Iterator[Row | RowError] | None = None
    position = 0  # rows the reader has given
    for index, result in enumerate(results):
        if isinstance(result, RowError) or result.as_of:  # as_of None (Decision types it str): no moment
            yield result
            continue
        if reader is None:
            reader = read_rows(job.inputs, format=job.input_format, schema=policy.schema)
        row: Row | RowError | None = None
        while position <= index:
            row = next(reader, None)
            position += 1
        if type(row) is Row:
            _, problem = job.per_lead.read(row.lead)
            yield RowError(row.source, row.line, unusable(problem or f"{job.per_lead.field} is not a date or datetime"),
                           raw_text(row.lead)[:100_000])
        elif type(row) is RowError:
            yield row
        else:  # the reader found fewer rows than the engine: say where as well as it can
            yield RowError(", ".join(job.inputs), index + 1, unusable(f"{job.per_lead.field} is not usable"), "")
