"""The same leads decided by a real engine's SQL and by Policy.evaluate."""

from __future__ import annotations

import datetime as dt
from typing import Any

from qualdsl.api import Policy
from qualdsl.backends.sql.compile import compile_sql
from qualdsl.backends.sql.spark_engine import spark_columns

AS_OF = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def _plain(value: Any) -> Any:
    """A Spark Row (STRUCT) as a dict, recursively, lists as lists."""
    if hasattr(value, "asDict"):
        value = value.asDict()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def spark_decisions(spark: Any, frame: Any, policy: Policy, as_of: dt.datetime = AS_OF,
                    parameter: bool = False) -> tuple[list[Any], list[Any]]:
    """(Spark decisions, Python decisions) for every row of `frame`; Python
    gets each row as pyspark gives it (STRUCT -> dict, ARRAY -> list)."""
    frame.createOrReplaceTempView("leads")
    sql = compile_sql(policy.ir, spark_columns(frame), dialect="spark", as_of=None if parameter else as_of)
    args = {"as_of": as_of.strftime("%Y-%m-%dT%H:%M:%SZ")} if parameter else None
    got = [_plain(row.asDict()) for row in spark.sql(sql, args=args).collect()]
    leads = [_plain(row.asDict()) for row in frame.collect()]
    want = [policy.evaluate(lead, as_of=as_of).to_dict() for lead in leads]
    return got, want


def same_bits(got: Any, want: Any) -> bool:
    """Equal, with floats compared by their bits (repr round-trips exactly)."""
    return repr(got) == repr(want)
