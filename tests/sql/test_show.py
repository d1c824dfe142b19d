"""show.py prints every value's JSON text exactly as runtime.show does."""

from __future__ import annotations

import datetime as dt
import decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from qualdsl import runtime
from qualdsl.backends.sql import builders as b
from qualdsl.backends.sql.show import show

from budget import examples

V = b.column("v")


def check(engine, values, sql_type):
    source = b.sql_type(sql_type)
    rows = engine.rows(show(V, source), values, sql_type)
    for shown, value in rows:
        assert shown == runtime.show(value), (value, shown)
    return rows


@settings(max_examples=examples(60, quick=10), deadline=None)
@given(st.lists(st.text(), min_size=1, max_size=50))
def test_strings(engine, values):
    check(engine, values, "VARCHAR")


def test_every_escape_and_the_cut(engine):
    texts = ["".join(chr(i) for i in range(130)), "é\u2028ß👍🏽", "x" * 1000, "é" * 1001, '"\\']
    rows = check(engine, texts, "VARCHAR")
    assert rows[4][0] == '"\\"\\\\"'
    assert rows[3][0].endswith("...") and len(rows[3][0]) == 1000


@settings(max_examples=examples(60, quick=10), deadline=None)
@given(st.lists(st.floats(), min_size=1, max_size=50))
def test_floats(engine, values):
    check(engine, values, "DOUBLE")


def test_float_shapes(engine):
    floats = [1e16, 1e-05, 0.0, -0.0, 1.0, 123456789012345680.0, 5e-324, float("nan"), float("inf"), -float("inf")]
    rows = check(engine, floats, "DOUBLE")
    assert [r[0] for r in rows][:4] == ["1e+16", "1e-05", "0.0", "-0.0"]


def test_doubles_of_every_shape_are_pythons_repr(engine):
    """DuckDB's own double-to-text stands for repr: 20,000 doubles from
    random bit patterns (every exponent, subnormals) and decayed points."""
    import math
    import random
    import struct

    rng = random.Random(2026)
    bits = (struct.unpack("d", struct.pack("Q", rng.getrandbits(64)))[0] for _ in range(15_000))
    floats = [v for v in bits if math.isfinite(v)]
    floats += [rng.uniform(0, 100) * 0.9 ** rng.randint(0, 30) for _ in range(5_000)]
    rows = check(engine, floats, "DOUBLE")
    assert len(rows) == len(floats) > 19_000


@settings(max_examples=examples(40, quick=8), deadline=None)
@given(st.lists(st.integers(min_value=-(2**63), max_value=2**63 - 1), min_size=1, max_size=50))
def test_ints(engine, values):
    check(engine, values, "BIGINT")


def test_bools_dates_decimals(engine):
    check(engine, [True, False], "BOOLEAN")
    check(engine, [dt.date(2026, 1, 31), dt.date(5, 3, 4), dt.date(9999, 12, 31)], "DATE")
    check(engine, [decimal.Decimal("850.00"), decimal.Decimal("-1.5")], "DECIMAL(10,2)")


@settings(max_examples=examples(40, quick=8), deadline=None)
@given(st.lists(st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31)),
                min_size=1, max_size=10))
def test_timestamps(engine, values):
    check(engine, values, "TIMESTAMP")
    check(engine, [v.replace(tzinfo=dt.UTC) for v in values], "TIMESTAMPTZ")


@settings(max_examples=examples(40, quick=8), deadline=None)
@given(st.lists(st.lists(st.one_of(st.none(), st.text(max_size=5))), min_size=1, max_size=5),
       st.lists(st.lists(st.one_of(st.none(), st.floats())), min_size=1, max_size=5))
def test_lists(engine, texts, numbers):
    check(engine, texts, "VARCHAR[]")
    check(engine, numbers, "DOUBLE[]")


@settings(max_examples=examples(40, quick=5), deadline=None)
@given(st.lists(st.fixed_dictionaries({
    "type": st.one_of(st.none(), st.text(max_size=5)),
    "at": st.one_of(st.none(), st.datetimes(min_value=dt.datetime(1, 1, 1))),
    "n": st.one_of(st.none(), st.integers(min_value=-(2**63), max_value=2**63 - 1)),
    "tags": st.one_of(st.none(), st.lists(st.text(max_size=3), max_size=3)),
}), min_size=1, max_size=5))
def test_structs(engine, values):
    check(engine, values, 'STRUCT(type VARCHAR, "at" TIMESTAMP, n BIGINT, tags VARCHAR[])')
    check(engine, [[v, None] for v in values], 'STRUCT(type VARCHAR, "at" TIMESTAMP, n BIGINT, tags VARCHAR[])[]')


def test_civil_date_text_is_isoformat_for_every_year_1_to_9999():
    """show.civil_date_text (BigQuery's date of a day number, in integer
    arithmetic) against date.isoformat: both ends of the range, around the
    epoch, every leap-day rule (1600, 1700, 1900, 2000), and a stride over all."""
    import duckdb

    from qualdsl.backends.sql.show import civil_date_text

    epoch = dt.date(1970, 1, 1)
    first, last = (dt.date(1, 1, 1) - epoch).days, (dt.date(9999, 12, 31) - epoch).days
    days = [*range(first, first + 800), *range(last - 800, last + 1), *range(-800, 800), *range(first, last, 997)]
    for year in (1600, 1700, 1900, 2000):
        around = (dt.date(year, 2, 28) - epoch).days
        days += range(around - 2, around + 3)
    connection = duckdb.connect()
    connection.execute("CREATE TABLE t AS SELECT unnest(?::BIGINT[]) AS x", [days])
    text = civil_date_text(b.column("x")).sql("duckdb")
    shown = dict(connection.execute(f"SELECT x, {text} FROM t").fetchall())
    assert len(shown) == len(set(days)) > 6_000
    assert {x: (epoch + dt.timedelta(days=x)).isoformat() for x in shown} == shown
