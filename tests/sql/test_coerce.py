"""coerce.py gives, for every value of every SQL type, what runtime.COERCE gives
for the value the DuckDB client returns (warning text included)."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qualdsl import runtime
from qualdsl.backends.sql import builders as b
from qualdsl.backends.sql.coerce import coerce_field
from qualdsl.backends.sql.errors import held_back

from budget import examples

V = b.column("v")
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
TARGETS = ["string", "int", "number", "bool", "date", "datetime", "list[string]", "list[number]"]


def stops(value: Any, target: str) -> bool:
    """Whether Python holds the coerced value exactly and SQL cannot, so the
    query stops (coerce.py's docstring): an int beyond 64 bits, a number of
    an int beyond 2**53, the digits of an integral float of 2**127 or more."""
    if target.startswith("list["):
        return type(value) is list and any(stops(v, target[5:-1]) for v in value if v is not None)
    if target == "int":
        result = runtime.to_int(value)
        return type(result) is int and not -(2**63) <= result < 2**63
    if target == "number":
        return type(value) is int and abs(value) > 2**53
    if target == "string":
        return type(value) is float and value.is_integer() and abs(value) >= 2.0**127
    return False


def expected(value: Any, target: str) -> tuple[Any, list[str]]:
    """runtime.coerce_field, then the SQL representation."""
    warnings: list[str] = []
    if value is None:
        return None, []
    result = runtime.coerce_field(value, runtime.COERCE[target], "f.x", target, warnings)
    if result is None:
        return None, warnings
    if target == "date":
        result = dt.datetime(result.year, result.month, result.day, tzinfo=dt.UTC)
    if target in ("date", "datetime"):
        delta = result - EPOCH
        return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds, warnings
    if target == "number":
        return float(result), warnings
    if target == "list[number]":
        return [float(x) for x in result], warnings
    return result, warnings


def check(engine, values: list[Any], sql_type: str, targets: list[str] = TARGETS,
          python_values: list[Any] | None = None) -> None:
    """Each value coerced to each target as runtime does, or the query
    stopped by name where SQL cannot hold the result. `python_values`: the
    values as Python reads them, where the column holds their text (JSON)."""
    source = b.sql_type(sql_type)
    seen = python_values if python_values is not None else values
    for target in targets:
        coerced = coerce_field(V, source, target, "f.x")
        warning = coerced.warning if coerced.warning is not None else b.null()
        held = [v for v, p in zip(values, seen) if not stops(p, target)]
        wanted = [p for p in seen if not stops(p, target)]
        rows = engine.many([coerced.value, warning], held, sql_type) if held else []
        for (value_sql, warning_sql, _), value in zip(rows, wanted, strict=True):
            want, want_warnings = expected(value, target)
            assert same(value_sql, want), (sql_type, target, value, value_sql, want)
            assert ([warning_sql] if warning_sql is not None else []) == want_warnings, (target, value)
        stopping = [v for v, p in zip(values, seen) if stops(p, target)]
        for value in stopping[:3]:  # a query each: a few suffice
            with pytest.raises(duckdb.Error) as stopped:
                engine.many([coerced.value, warning], [value], sql_type)
            assert (held_back(stopped.value) or "").startswith("cannot hold f.x = "), (target, value)


def same(a: Any, b_: Any) -> bool:
    """Equal, of the same type, and for floats the same bits."""
    if isinstance(a, list) and isinstance(b_, list):
        return len(a) == len(b_) and all(same(x, y) for x, y in zip(a, b_))
    if type(a) is float and type(b_) is float:
        return (a == b_ and math.copysign(1, a) == math.copysign(1, b_)) or (math.isnan(a) and math.isnan(b_))
    return type(a) is type(b_) and a == b_


# Text shaped like every case the contract names, and random junk.
digits = st.from_regex(r"\A[+-]?[0-9]{1,25}(\.[0-9]{0,4})?\Z")
dates = st.from_regex(r"\A[0-9]{4}-[01][0-9]-[0-3][0-9]\Z")
datetimes = st.from_regex(
    r"\A[0-9]{4}-[01][0-9]-[0-3][0-9]"
    r"([T ][0-2][0-9]:[0-6][0-9](:[0-6][0-9](\.[0-9]{1,9})?)?(Z|[+-][0-2][0-9](:?[0-9]{2})?)?)?\Z"
)
fast = st.datetimes(min_value=dt.datetime(1, 1, 1)).map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ").rjust(20, "0"))
edge_years = st.sampled_from(["0001-01-01T00:30:00+01:00", "9999-12-31T23:30:00-01:00", "0001-01-01", "0000-01-01",
                              "9999-12-31T23:59:59.9999999Z", "2026-02-29", "2024-02-29T10:00:00+23:59",
                              "2026-01-01T10:00+05:99", "2026-01-01T10:00+23:99", "2026-01-01T24:00:00Z"])
texts = st.one_of(
    digits, dates, datetimes, fast, edge_years, st.text(max_size=12),
    st.sampled_from(["true", "FALSE", "TrUe", "yes", "0", "1", "850.0", "850.5", "1,000", "1e3", " 12", "NaN",
                     "9223372036854775807", "9223372036854775808", "-9223372036854775808", "1" * 400]),
)


@settings(max_examples=examples(20, quick=4), deadline=None)
@given(st.lists(texts, min_size=1, max_size=120))
def test_text(engine, values):
    check(engine, values, "VARCHAR")


@settings(max_examples=examples(25, quick=5), deadline=None)
@given(st.lists(st.one_of(st.floats(), st.floats(min_value=-1e20, max_value=1e20).map(math.floor).map(float),
                          st.sampled_from([2.0**63, -(2.0**63), 2.0**63 - 1024, -0.0, 1e300])),
                min_size=1, max_size=40))
def test_doubles(engine, values):
    check(engine, values, "DOUBLE")


@settings(max_examples=examples(20, quick=4), deadline=None)
@given(st.lists(st.integers(min_value=-(2**63), max_value=2**63 - 1), min_size=1, max_size=40))
def test_bigints(engine, values):
    check(engine, values, "BIGINT")


def test_wide_ints_and_bools(engine):
    check(engine, [0, 2**63 - 1, 2**63, 2**64 - 1], "UBIGINT")
    check(engine, [True, False, None], "BOOLEAN")


@settings(max_examples=examples(8, quick=2), deadline=None)
@given(st.lists(st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31)),
                min_size=1, max_size=20))
def test_times(engine, values):
    check(engine, values, "TIMESTAMP")
    check(engine, [v.replace(tzinfo=dt.UTC) for v in values], "TIMESTAMPTZ")
    check(engine, [v.date() for v in values], "DATE")


@settings(max_examples=examples(8, quick=2), deadline=None)
@given(st.lists(st.lists(st.one_of(st.none(), texts), max_size=4), min_size=1, max_size=10),
       st.lists(st.lists(st.one_of(st.none(), st.floats()), max_size=4), min_size=1, max_size=10))
def test_lists(engine, texts_, numbers):
    check(engine, texts_, "VARCHAR[]")
    check(engine, numbers, "DOUBLE[]")
    check(engine, [[1, None, 2**40]], "BIGINT[]")


def test_structs_are_never_scalars(engine):
    check(engine, [{"a": 1, "b": "x"}], "STRUCT(a BIGINT, b VARCHAR)")


@pytest.mark.parametrize("text, us", [
    ("2026-10-30T10:00:00Z", 1793354400000000),
    ("2026-10-30 10:00:00.1234567+05:30", 1793354400000000 - 19800000000 + 123456),
    ("2026-10-30", 1793318400000000),
])
def test_datetime_examples(engine, text, us):
    check(engine, [text], "VARCHAR", ["datetime"])
    assert expected(text, "datetime")[0] == us


@settings(max_examples=examples(3, quick=1), deadline=None)  # JSON dispatch queries are large to plan
@given(st.lists(st.one_of(st.none(), texts, st.integers(-(2**63), 2**63 - 1),
                          st.floats(allow_nan=False, allow_infinity=False), st.booleans(),
                          st.lists(st.one_of(st.none(), texts, st.integers(-5, 5), st.floats(-5, 5)), max_size=3),
                          st.dictionaries(st.text(max_size=3), st.one_of(st.none(), texts, st.integers(-5, 5)),
                                          max_size=3)),
                min_size=1, max_size=120))
def test_json_values(engine, values):
    """A JSON column: coerced and shown as Python sees json.loads of each value."""
    import json as json_

    texts_ = [None if v is None else json_.dumps(v) for v in values]
    check(engine, texts_, "JSON", python_values=values)


def test_regression_decimal_text_that_overflows_is_missing(engine):
    # Issue 13, "Lead data": `float("9" * 400)` is inf; a number is finite, so
    # the text is missing with a warning, in SQL as in Python (expected()).
    check(engine, ["9" * 400, "-" + "9" * 400, "1" * 308, "1" * 309 + ".5"], "VARCHAR", ["number"])
