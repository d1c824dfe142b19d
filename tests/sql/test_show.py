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
