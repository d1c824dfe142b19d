"""Values Python holds exactly and SQL cannot (an int beyond 64 bits, a
number that is an int beyond 2**53, the digits of an integral float of
2**127 or more, an int / int with an operand beyond 2**53): the compiled
query stops naming the value (coerce.py, builders.stop), never decides the
lead otherwise; the one-lead evaluator raises LeadRefused. `qualdsl score`
then hands the input to the python engine: tests/batch/test_hand_over.py."""

from __future__ import annotations

import json
from typing import Any

import duckdb
import pytest

import qualdsl
from qualdsl import backends
from qualdsl.backends.sql.compile import compile_sql
from qualdsl.backends.sql.errors import CANNOT_HOLD, CANNOT_HOLD_END, held_back

from .helpers import AS_OF, connect, same_bits

POLICY = """
policy p
schema { id: string  n: int  m: int  x: number  s: string  l: list[number] }
let share = n / m
score fit {
  rule big 10 when n > 5
  rule wide 1 when x > 9007199254740992
  rule text 2 when s == "1"
  rule listed 4 when 5 in l
  rule third 8 when share > 0.3
}
tiers { tier A when score > 5  tier B otherwise }
route { to "q" otherwise }
"""


@pytest.fixture(scope="module")
def policy() -> qualdsl.Policy:
    return qualdsl.loads(POLICY)


@pytest.fixture(scope="module")
def duck(policy):
    return backends.evaluator("duckdb", policy.ir)


STOPS = [
    ({"n": 2**63}, "n = 9223372036854775808 (an int beyond 64 bits)"),
    ({"n": -(2**63) - 1}, "n = -9223372036854775809 (an int beyond 64 bits)"),
    ({"n": "99999999999999999999"}, "n = 99999999999999999999 (an int beyond 64 bits)"),
    ({"n": "-99999999999999999999.00"}, "n = -99999999999999999999.00 (an int beyond 64 bits)"),
    ({"n": 1e19}, "n = 1e+19 (an int beyond 64 bits)"),
    ({"n": 10**30}, "n = 1000000000000000000000000000000 (an int beyond 64 bits)"),
    ({"x": 2**53 + 1}, "x = 9007199254740993 (a number that is an int beyond 2**53)"),
    ({"x": -(2**63)}, "x = -9223372036854775808 (a number that is an int beyond 2**53)"),
    ({"x": 10**25}, "x = 10000000000000000000000000 (a number that is an int beyond 2**53)"),
    ({"s": 1e300}, "s = 1e+300 (the digits of a float of 2**127 or more)"),
    ({"l": [1, 2**60]}, "l = 1152921504606846976 (a number that is an int beyond 2**53)"),
    ({"n": 2**53 + 1, "m": 3}, "9007199254740993 / 3 (an int / int with an operand beyond 2**53)"),
    ({"n": 3, "m": -(2**62)}, "3 / -4611686018427387904 (an int / int with an operand beyond 2**53)"),
]


@pytest.mark.parametrize("lead, what", STOPS, ids=[what.split(" (")[0] for _, what in STOPS])
def test_a_value_sql_cannot_hold_is_refused_by_name(policy, duck, lead, what):
    policy.evaluate(lead, as_of=AS_OF)  # Python decides it
    with pytest.raises(backends.LeadRefused) as refused:
        duck.evaluate(lead, as_of=AS_OF)
    assert str(refused.value) == f"duckdb: cannot hold {what}"


HELD = [
    {"n": 2**63 - 1}, {"n": -(2**63)}, {"n": "9223372036854775807"}, {"n": "-9223372036854775808.0"},
    {"n": 2.0**62}, {"n": -(2.0**63)}, {"n": "0" * 30 + "7"},
    {"n": "1" * 4301},  # more digits than Python's int() takes: missing in both, with the warning
    {"x": 2**53}, {"x": -(2**53)}, {"x": "9007199254740993"},  # text: float(), rounded in both
    {"x": 1e300}, {"s": 2.0**126}, {"s": 12345678901234567890123}, {"s": -(2.0**127) + 2.0**74},
    {"l": [2**53, -(2**53), 0.5]},
    {"n": 2**53, "m": -(2**53)}, {"n": 2**62, "m": 0},  # divisor 0: missing before anything else
]


@pytest.mark.parametrize("lead", HELD, ids=[json.dumps(lead)[:40] for lead in HELD])
def test_values_at_the_limits_are_decided_as_in_python(policy, duck, lead):
    want = policy.evaluate(lead, as_of=AS_OF).to_dict()
    got = duck.evaluate(lead, as_of=AS_OF).to_dict()
    assert same_bits(got, want), (got, want)


def _leads_table(rows: list[dict[str, Any]]) -> Any:
    """The rows as a DuckDB table of text columns (a CSV's shape)."""
    connection = connect()
    connection.execute("CREATE TABLE leads (id VARCHAR, n VARCHAR, m VARCHAR, x VARCHAR, s VARCHAR, l VARCHAR[])")
    for row in rows:
        connection.execute("INSERT INTO leads VALUES (?, ?, ?, ?, ?, ?)",
                           [row.get(k) for k in ("id", "n", "m", "x", "s", "l")])
    return connection


COLUMNS = {"id": "VARCHAR", "n": "VARCHAR", "m": "VARCHAR", "x": "VARCHAR", "s": "VARCHAR", "l": "VARCHAR[]"}


def test_the_compiled_sql_stops_at_the_row_it_cannot_hold(policy):
    sql = compile_sql(policy.ir, COLUMNS, table="leads", as_of=AS_OF)
    rows = [{"id": "1", "n": "7", "m": "2"}, {"id": "2", "n": "9223372036854775808"}, {"id": "3", "n": "1"}]
    connection = _leads_table(rows)
    with pytest.raises(duckdb.Error) as stopped:
        connection.execute(sql).fetchall()
    assert held_back(stopped.value) == "cannot hold n = 9223372036854775808 (an int beyond 64 bits)"
    assert f"{CANNOT_HOLD}n = 9223372036854775808 (an int beyond 64 bits){CANNOT_HOLD_END}" in str(stopped.value)
    # Without that row the same SQL decides the others as Python does.
    connection = _leads_table([rows[0], rows[2]])
    got = connection.execute(sql).fetchall()
    assert [row[1] for row in got] == ["1", "3"]
    assert [row[5] for row in got] == [policy.evaluate(r, as_of=AS_OF).tier for r in (rows[0], rows[2])]


@pytest.mark.parametrize("message, what", [
    ("Conversion Error: Could not convert string 'qualdsl: cannot hold n = 1e+19 (an int beyond 64 bits) exactly "
     "in SQL; the python engine decides this lead' to INT64\n\nLINE 1: ...",
     "cannot hold n = 1e+19 (an int beyond 64 bits)"),
    ('invalid input syntax for type bigint: "qualdsl: cannot hold x = 9007199254740993 (a number that is an int '
     'beyond 2**53) exactly in SQL; the python engine decides this lead"',
     "cannot hold x = 9007199254740993 (a number that is an int beyond 2**53)"),
    ("[USER_RAISED_EXCEPTION] qualdsl: spark cannot show this number exactly as Python does in a warning: 1.0E-5 "
     "SQLSTATE: P0001", "spark cannot show this number exactly as Python does in a warning: 1.0E-5"),
    ("Conversion Error: Could not convert string 'abc' to INT64", None),
])
def test_held_back_reads_each_engines_message(message, what):
    assert held_back(Exception(message)) == what


def test_postgres_stops_at_execution_not_while_planning(pg, policy):
    """PostgreSQL folds a constant cast while planning: every stop's message
    holds the value, so a table without such a value runs, and one with it
    stops at that row."""
    from .test_postgres import Relation, _decision

    rows = [{"id": "1", "n": "7", "m": "2", "x": "3.5", "s": "1", "l": ["5"]}, {"id": "2", "n": "1", "m": "3"}]
    relation = Relation(pg, _leads_table(rows))
    sql = compile_sql(policy.ir, relation.columns, dialect="postgres", table="t.leads", as_of=AS_OF)
    cursor = pg.execute(sql)
    names = [d.name for d in cursor.description]
    got = [_decision(dict(zip(names, row))) for row in cursor.fetchall()]
    assert got == [policy.evaluate(lead, as_of=AS_OF).to_dict() for lead in relation.leads]

    import psycopg

    for row, what in [({"id": "3", "n": "99999999999999999999"}, "n = 99999999999999999999 (an int beyond 64 bits)"),
                      ({"id": "4", "n": "9007199254740993", "m": "7"},
                       "9007199254740993 / 7 (an int / int with an operand beyond 2**53)")]:
        Relation(pg, _leads_table([rows[0], row]))
        with pytest.raises(psycopg.Error) as stopped:
            pg.execute(sql).fetchall()
        assert held_back(stopped.value) == f"cannot hold {what}"



def test_an_int_python_cannot_print_is_refused_where_python_reads_it_as_a_number(policy, duck):
    # Only a Python caller has such an int (JSON input keeps 4,301+ digits as text,
    # which is no int and no finite number: missing in both engines).
    huge = 10**4301
    for lead in ({"n": huge}, {"x": -huge}, {"l": [1, huge]}):
        assert policy.evaluate(lead, as_of=AS_OF).warnings == []  # Python holds it
        with pytest.raises(backends.LeadRefused, match=r"an int of more than 4300 digits"):
            duck.evaluate(lead, as_of=AS_OF)
    lead = {"s": huge}  # a string: str() of it raises in Python too, so missing in both
    assert same_bits(duck.evaluate(lead, as_of=AS_OF).to_dict(), policy.evaluate(lead, as_of=AS_OF).to_dict())


# Arithmetic on `number` values: Python keeps a JSON integer (or an integer
# column's value) an int, so `x * y` of two is exact there, while SQL has a
# double. The double is that int while it is below 2**53 in size; at or past
# it, with whole operands, the query stops (logic._whole_arith).
ARITHMETIC = """
policy p
schema { id: string  n: int  x: number  y: number }
score fit {
  rule product 1 when x * y > 15241578750190520
  rule nested 2 when (x + 1) * (y - 1) * 2 > 1000
  rule negated 4 when -(x * x) < -1000
  rule mixed 8 when n * x > 9007199254740992
  rule floats 16 when x * 1.5 > 100
}
tiers { tier A when score * 3 > 5  tier B otherwise }
route { to "q" otherwise }
"""


@pytest.fixture(scope="module")
def arithmetic() -> qualdsl.Policy:
    return qualdsl.loads(ARITHMETIC)


@pytest.fixture(scope="module")
def arithmetic_duck(arithmetic):
    return backends.evaluator("duckdb", arithmetic.ir)


ARITHMETIC_STOPS = [
    ({"x": 123456789, "y": 123456789},  # Python: 15241578750190521 exactly; the double is ...520
     "123456789.0 * 123456789.0 (whole numbers Python may hold as ints, whose exact result is at or past 2**53)"),
    ({"x": 3, "n": 3002399751580331}, "3002399751580331.0 * 3.0"),
    ({"x": 94906267, "y": 1}, "94906267.0 * 94906267.0"),  # rule negated: 9007199326062755 > 2**53
    ({"x": 1e300, "y": 0.5}, "1e+300 + 1.0"),  # a float, but whole: Python may have had an int
]


@pytest.mark.parametrize("lead, what", ARITHMETIC_STOPS, ids=[what.split(" (")[0] for _, what in ARITHMETIC_STOPS])
def test_arithmetic_on_whole_numbers_at_or_past_2_53_stops(arithmetic, arithmetic_duck, lead, what):
    assert arithmetic.evaluate(lead, as_of=AS_OF).warnings == []
    with pytest.raises(backends.LeadRefused) as refused:
        arithmetic_duck.evaluate(lead, as_of=AS_OF)
    assert str(refused.value).startswith(f"duckdb: cannot hold {what}")


ARITHMETIC_HELD = [
    {"x": 94906265, "y": 1},  # x * x = 9007199136250225: below 2**53, exact in both
    {"x": 123456789.5, "y": 3},  # x * x past 2**53, but x is no int: floats in both
    {"x": -94906265, "y": 2.5},
    {"x": 0.5, "y": 7, "n": 2**62},  # n * x: a fraction
    {"x": 200, "n": 2**45},  # n * x below 2**53
]


@pytest.mark.parametrize("lead", ARITHMETIC_HELD, ids=[json.dumps(lead)[:40] for lead in ARITHMETIC_HELD])
def test_arithmetic_below_2_53_or_on_fractions_is_decided_as_in_python(arithmetic, arithmetic_duck, lead):
    want = arithmetic.evaluate(lead, as_of=AS_OF).to_dict()
    got = arithmetic_duck.evaluate(lead, as_of=AS_OF).to_dict()
    assert same_bits(got, want), (got, want)
    assert any(rule["fired"] for rule in want["rules"])


def test_columns_python_reads_as_floats_never_stop(arithmetic):
    """Text (a CSV's cells) and DOUBLE columns are floats in Python: their
    products past 2**53 are rounded alike, and the SQL has no stop for them."""
    connection = connect()
    connection.execute("CREATE TABLE leads (id VARCHAR, n BIGINT, x VARCHAR, y DOUBLE)")
    rows = [("1", None, "123456789", 123456789.0), ("2", 3, "3002399751580331", 1.0), ("3", None, "2.5", 4.0)]
    connection.executemany("INSERT INTO leads VALUES (?, ?, ?, ?)", rows)
    columns = {"id": "VARCHAR", "n": "BIGINT", "x": "VARCHAR", "y": "DOUBLE"}
    sql = compile_sql(arithmetic.ir, columns, table="leads", as_of=AS_OF)
    got = connection.execute(sql).fetchall()
    leads = [{"id": i, "n": n, "x": x, "y": y} for i, n, x, y in rows]
    assert [row[5] for row in got] == [arithmetic.evaluate(lead, as_of=AS_OF).tier for lead in leads]
    assert arithmetic.evaluate(leads[0], as_of=AS_OF).rules[0].fired is False  # float: ...520, not above it
    # Integer columns may be ints in Python: their products carry the stop.
    typed = compile_sql(arithmetic.ir, {**columns, "x": "BIGINT"}, table="leads", as_of=AS_OF)
    assert typed.count(CANNOT_HOLD) > sql.count(CANNOT_HOLD)


def test_postgres_stops_at_whole_number_arithmetic_past_2_53(pg, arithmetic):
    """The bound operands (builders.bind) in PostgreSQL's form, on integer
    columns: decided below 2**53, stopped at it."""
    import psycopg

    from .test_postgres import Relation, _decision

    def table(rows: list[tuple[Any, ...]]) -> Any:
        connection = connect()
        connection.execute("CREATE TABLE leads (id VARCHAR, n BIGINT, x BIGINT, y BIGINT)")
        connection.executemany("INSERT INTO leads VALUES (?, ?, ?, ?)", rows)
        return connection

    decided = [("1", 2, 94906265, 1), ("2", None, 40, 41), ("3", 5, None, 7)]
    relation = Relation(pg, table(decided))
    sql = compile_sql(arithmetic.ir, relation.columns, dialect="postgres", table="t.leads", as_of=AS_OF)
    cursor = pg.execute(sql)
    names = [d.name for d in cursor.description]
    got = [_decision(dict(zip(names, row))) for row in cursor.fetchall()]
    assert got == [arithmetic.evaluate(lead, as_of=AS_OF).to_dict() for lead in relation.leads]
    assert [rule["fired"] for rule in got[1]["rules"]] == [False, True, True, False, False]
    Relation(pg, table([*decided, ("4", None, 123456789, 123456789)]))
    with pytest.raises(psycopg.Error) as stopped:
        pg.execute(sql).fetchall()
    assert held_back(stopped.value).startswith("cannot hold 123456789")
