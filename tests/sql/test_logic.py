"""logic.py's operators give runtime.py's answers (eq, ne, lt, ..., member,
contains, add, div, ...) on messy values of every kind, never NULL."""

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
from qualdsl.backends.sql import logic
from qualdsl.backends.sql.errors import SqlRefused, held_back

from budget import examples

UTC = dt.UTC
EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)
TROUBLE = "ßẞİıΣσςꭰᎠﬃKk"
SQL = {"string": "VARCHAR", "int": "BIGINT", "number": "DOUBLE", "bool": "BOOLEAN", "datetime": "BIGINT"}

# No lone surrogates: the DuckDB client refuses them (not UTF-8), before any operator runs.
strings = st.text(alphabet=st.one_of(st.characters(exclude_categories=["Cs"]), st.sampled_from(TROUBLE + "abcAB")),
                  max_size=4)
ints = st.one_of(st.integers(min_value=-(2**63), max_value=2**63 - 1), st.integers(-3, 3),
                 st.sampled_from([2**53, 2**53 + 1, -(2**63), 2**63 - 1]))
floats = st.one_of(st.floats(), st.integers(-3, 3).map(float),
                   st.sampled_from([2.0**53, 2.0**63, -(2.0**63), 1.5, -0.0, 2.0**126, 2.0**127, 1e300]))
times = st.datetimes(min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30), timezones=st.just(UTC))
VALUES = {"string": strings, "int": ints, "number": floats, "bool": st.booleans(), "datetime": times}


def to_sql(value: Any, type_: str) -> Any:
    if type_ == "datetime" and value is not None:
        delta = value - EPOCH
        return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
    return value


def pairs(draw_types):
    return st.tuples(*[st.one_of(st.none(), VALUES[t]) for t in draw_types])


OPS = {"==": runtime.eq, "!=": runtime.ne, "<": runtime.lt, "<=": runtime.le, ">": runtime.gt, ">=": runtime.ge}
TYPE_PAIRS = [("string", "string"), ("int", "int"), ("number", "number"), ("int", "number"), ("number", "int"),
              ("bool", "bool"), ("datetime", "datetime"), ("string", "int"), ("bool", "int")]


@pytest.mark.parametrize("left_type, right_type", TYPE_PAIRS)
@settings(max_examples=examples(10, quick=3), deadline=None)
@given(data=st.data())
def test_comparisons(engine, left_type, right_type, data):
    rows = data.draw(st.lists(pairs([left_type, right_type]), min_size=1, max_size=60))
    a = logic.Value(b.column("a"), left_type)
    c = logic.Value(b.column("c"), right_type)
    expressions = [logic.compare(op, a, c) for op in OPS] + [logic.between(a, c, c)]
    results = engine.select(expressions, {
        "a": (SQL[left_type], [to_sql(x, left_type) for x, _ in rows]),
        "c": (SQL[right_type], [to_sql(y, right_type) for _, y in rows]),
    })
    for (x, y), got in zip(rows, results):
        want = [f(x, y) for f in OPS.values()] + [runtime.between(x, y, y)]
        assert list(got) == want, (x, y)


@settings(max_examples=examples(20, quick=4), deadline=None)
@given(st.lists(st.tuples(st.one_of(st.none(), strings), st.one_of(st.none(), strings)), min_size=1, max_size=60),
       st.lists(st.one_of(strings, ints, floats), max_size=5))
def test_string_tests_and_members(engine, rows, elements):
    a = logic.Value(b.column("a"), "string")
    c = logic.Value(b.column("c"), "string")
    constants = [
        logic.literal(e) if not (type(e) is float and not math.isfinite(e)) else logic.literal(0.5) for e in elements
    ]
    python_elements = [e if not (type(e) is float and not math.isfinite(e)) else 0.5 for e in elements]
    expressions = [logic.string_test(op, a, c) for op in ("contains", "starts_with", "ends_with")]
    expressions += [logic.member(a, constants), logic.member(a, constants, negated=True)]
    expressions += [logic.is_missing(a), logic.is_missing(a, negated=True)]
    results = engine.select(
        expressions, {"a": ("VARCHAR", [x for x, _ in rows]), "c": ("VARCHAR", [y for _, y in rows])}
    )
    for (x, y), got in zip(rows, results):
        want = [runtime.contains(x, y), runtime.starts_with(x, y), runtime.ends_with(x, y),
                runtime.member(x, python_elements), runtime.not_member(x, python_elements), x is None, x is not None]
        assert list(got) == want, (x, y, elements)


@settings(max_examples=examples(20, quick=4), deadline=None)
@given(st.lists(st.tuples(st.one_of(st.none(), strings),
                          st.one_of(st.none(), st.lists(st.one_of(strings), max_size=4))), min_size=1, max_size=60))
def test_list_fields(engine, rows):
    item = logic.Value(b.column("a"), "string")
    values = logic.Value(b.column("c"), "list[string]")
    expressions = [logic.list_member(item, values), logic.list_member(item, values, negated=True)]
    results = engine.select(
        expressions, {"a": ("VARCHAR", [x for x, _ in rows]), "c": ("VARCHAR[]", [y for _, y in rows])}
    )
    for (x, y), got in zip(rows, results):
        assert list(got) == [runtime.member(x, y), runtime.not_member(x, y)], (x, y)


def same(a: Any, c: Any) -> bool:
    if type(a) is float and type(c) is float:
        return (a == c and math.copysign(1, a) == math.copysign(1, c)) or (math.isnan(a) and math.isnan(c))
    return type(a) is type(c) and a == c


ARITH = {"+": runtime.add, "-": runtime.sub, "*": runtime.mul, "/": runtime.div}


@pytest.mark.parametrize(
    "left_type, right_type", [("int", "int"), ("number", "number"), ("int", "number"), ("number", "int")]
)
@settings(max_examples=examples(10, quick=3), deadline=None)
@given(data=st.data())
def test_arithmetic(engine, left_type, right_type, data):
    rows = data.draw(st.lists(pairs([left_type, right_type]), min_size=1, max_size=60))
    # DOUBLE columns of floats: Python's arithmetic on them is float arithmetic too.
    a = logic.Value(b.column("a"), left_type, may_be_int=left_type == "int")
    c = logic.Value(b.column("c"), right_type, may_be_int=right_type == "int")
    # int / int with an operand beyond 2**53 (and a divisor not 0): Python's
    # quotient is correctly rounded, the doubles' not always, so the query
    # stops by name; such rows are decided without the division, then each
    # division alone is shown to stop.
    stops = [type(x) is int and type(y) is int and y != 0 and max(abs(x), abs(y)) > 2**53 for x, y in rows]
    operators = ["+", "-", "*"]
    expressions = [logic.arith(op, a, c).sql for op in operators] + [logic.negate(a).sql]
    # A sum compared back: the arithmetic's static type is what compare() expects.
    expressions.append(logic.compare("<", logic.arith("+", a, c), c))
    division = logic.arith("/", a, c).sql

    def select(expressions: list[Any], pairs_: list[tuple[Any, Any]]) -> list[tuple[Any, ...]]:
        return engine.select(expressions, {"a": (SQL[left_type], [x for x, _ in pairs_]),
                                           "c": (SQL[right_type], [y for _, y in pairs_])})

    results = select(expressions, rows)
    for (x, y), got in zip(rows, results, strict=True):
        want = [ARITH[op](x, y) for op in operators] + [runtime.neg(x), runtime.lt(runtime.add(x, y), y)]
        for g, w in zip(got, want, strict=True):
            g = int(g) if type(w) is int and g is not None else g
            assert same(g, w), (x, y, got, want)
    held = [row for row, stop in zip(rows, stops) if not stop]
    for (x, y), (got,) in zip(held, select([division], held) if held else [], strict=True):
        assert same(got, runtime.div(x, y)), (x, y, got)
    for x, y in [row for row, stop in zip(rows, stops) if stop][:3]:
        with pytest.raises(duckdb.Error) as stopped:
            select([division], [(x, y)])
        assert (held_back(stopped.value) or "").endswith("(an int / int with an operand beyond 2**53)")


whole = st.integers(-(2**53), 2**53)


@settings(max_examples=examples(10, quick=3), deadline=None)
@given(rows=st.lists(st.tuples(whole, st.one_of(whole, st.integers(-(2**12), 2**12))), min_size=1, max_size=40))
def test_whole_number_arithmetic_is_exact_or_stops(engine, rows):
    """`number` values Python holds as ints (JSON integers) in a DOUBLE: `+ - *`
    gives Python's exact int, or stops the query where it reaches 2**53."""
    a, c = (logic.Value(b.column(name), "number") for name in ("a", "c"))
    for op in ("+", "-", "*"):
        expression = logic.arith(op, a, c).sql
        exact = [ARITH[op](x, y) for x, y in rows]

        def select(pairs_: list[tuple[int, int]], sql: Any = expression) -> list[tuple[Any, ...]]:
            return engine.select([sql], {"a": ("DOUBLE", [float(x) for x, _ in pairs_]),
                                         "c": ("DOUBLE", [float(y) for _, y in pairs_])})

        held = [(row, w) for row, w in zip(rows, exact, strict=True) if abs(w) < 2**53]
        for (got,), (_, want) in zip(select([row for row, _ in held]) if held else [], held, strict=True):
            assert got == want, (op, got, want)
        for row in [row for row, w in zip(rows, exact, strict=True) if abs(w) >= 2**53][:2]:
            with pytest.raises(duckdb.Error) as stopped:
                select([row])
            assert (held_back(stopped.value) or "").endswith("whose exact result is at or past 2**53)")


def test_not_of_a_missing_comparison_is_true(engine):
    a = logic.Value(b.column("a"), "string")
    condition = logic.compare("!=", a, logic.literal("x"))
    [(value, negated)] = engine.select([condition, b.not_(condition)], {"a": ("VARCHAR", [None])})
    assert (value, negated) == (False, True)
    assert engine.scalar(logic.truth(logic.Value(b.cast(b.null(), "BOOLEAN"), "bool"))) is False
    assert engine.scalar(logic.truth(logic.literal(1))) is False  # not a boolean: false


def test_wide_integer_arithmetic_is_refused():
    a = logic.Value(b.column("a"), "int")
    product = logic.arith("*", a, a)
    assert product.bits == 128
    with pytest.raises(SqlRefused, match="128 bits"):
        logic.arith("+", product, a)
