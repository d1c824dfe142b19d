"""The postgres dialect decides hypothesis-generated messy leads exactly as
Policy.evaluate, on a real PostgreSQL server (tests/sql/postgres_server.py;
skipped without one). The policy and the leads are the DuckDB differential
test's (tests/sql/test_differential.py): digit strings, `850.0`,
`true`/`FALSE`, impossible dates, zoned and bad datetimes, NULL events and
NULL event times, casefold traps (`Straße`/`STRASSE`, `İ`, Cherokee). Each
example is one batch of leads in four relations:

- text: every field a text column named by its dotted path, as a CSV gives it;
- typed: the columns of the schema's types (bigint, double precision,
  boolean, date, timestamptz, text[], double precision[]), events with
  timestamptz times;
- crossed: types a database infers that are not the schema's (an int field
  in a double column, a bool field in a bigint one, a date in a timestamp,
  a datetime in a date);
- nested: `company` a composite column of text and typed members (NULL for
  some leads), events an array of a composite type.

PostgreSQL text holds no NUL character, so none is generated here.
The regression tests below pin each difference these found (docs/sql.md)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import qualdsl
from qualdsl.api import Policy
from qualdsl.backends.sql.compile import compile_sql

from .helpers import AS_OF, connect, same_bits
from .test_differential import MESSY_POLICY, leads
from .test_postgres import Relation, _decision
from budget import examples

TEXT_COLUMNS = ("id", "company.name", "company.employees", "company.revenue", "company.public",
                "company.founded", "company.tech", "company.scores", "seen")
_TEXT_TABLE = ", ".join(f'"{n}" VARCHAR' for n in TEXT_COLUMNS)
RAW = (f'CREATE TABLE raw ({_TEXT_TABLE}, events STRUCT("type" VARCHAR, "at" VARCHAR)[], '
       '"__tech" VARCHAR[], "__scores" DOUBLE[])')


def _events(at_type: str) -> str:
    """The text events with their times cast (a bad time is a NULL `at`)."""
    cast = f"TRY_CAST(e.at AS {at_type})"
    return (f"list_transform(events, lambda e: CASE WHEN e IS NULL THEN NULL "
            f"ELSE {{'type': e.type, 'at': {cast}}} END) AS events")


LAYOUTS = {
    "text": f"SELECT {', '.join(f'{chr(34)}{n}{chr(34)}' for n in TEXT_COLUMNS)}, events FROM raw",
    "typed": (
        'SELECT id, "company.name", TRY_CAST("company.employees" AS BIGINT) AS "company.employees", '
        'TRY_CAST("company.revenue" AS DOUBLE) AS "company.revenue", '
        'TRY_CAST("company.public" AS BOOLEAN) AS "company.public", '
        'TRY_CAST("company.founded" AS DATE) AS "company.founded", "__tech" AS "company.tech", '
        '"__scores" AS "company.scores", TRY_CAST(seen AS TIMESTAMPTZ) AS seen, '
        + _events("TIMESTAMPTZ") + " FROM raw"),
    "crossed": (
        'SELECT id, "company.name", TRY_CAST("company.employees" AS DOUBLE) AS "company.employees", '
        'TRY_CAST(TRY_CAST("company.revenue" AS DOUBLE) AS BIGINT) AS "company.revenue", '
        'TRY_CAST(TRY_CAST("company.public" AS BOOLEAN) AS BIGINT) AS "company.public", '
        'TRY_CAST("company.founded" AS TIMESTAMP) AS "company.founded", '
        # An integral float of 2**127 or more in a string list: a decided limit (docs/sql.md).
        'list_filter("__scores", lambda x: x IS NULL OR abs(x) < 2.0 ** 127) AS "company.tech", '
        '"__tech" AS "company.scores", TRY_CAST(seen AS DATE) AS seen, '
        + _events("TIMESTAMP") + " FROM raw"),
    "nested": (
        'SELECT id, CASE WHEN "company.name" IS NULL AND "company.employees" IS NULL THEN NULL ELSE '
        '{\'name\': "company.name", \'employees\': "company.employees", '
        '\'revenue\': TRY_CAST("company.revenue" AS DOUBLE), \'public\': TRY_CAST("company.public" AS BOOLEAN), '
        '\'founded\': "company.founded", \'tech\': "__tech", \'scores\': "__scores"} END AS company, '
        'TRY_CAST(seen AS TIMESTAMPTZ) AS seen, ' + _events("TIMESTAMPTZ") + " FROM raw"),
}

tech = st.one_of(st.none(), st.lists(st.one_of(st.none(), st.sampled_from(
    ["salesforce", "SALESFORCE", "Salesforce ", "hubspot", ""])), max_size=3))
scores = st.one_of(st.none(), st.lists(st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False)),
                                       max_size=3))


def _no_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [_no_nul(v) for v in value]
    if isinstance(value, dict):
        return {k: _no_nul(v) for k, v in value.items()}
    return value


@st.composite
def messy_rows(draw: Any) -> list[Any]:
    """One row of `raw`: the differential test's lead, then two typed lists."""
    lead = _no_nul(draw(leads()))
    return [*(lead[n] for n in TEXT_COLUMNS), lead["events"], draw(tech), draw(scores)]


def raw_table(rows: list[list[Any]]) -> duckdb.DuckDBPyConnection:
    duck = connect()
    duck.execute(RAW)
    duck.executemany("INSERT INTO raw VALUES (" + ", ".join("?" * (len(TEXT_COLUMNS) + 3)) + ")", rows)
    for name, select in LAYOUTS.items():
        duck.execute(f"CREATE TABLE {name} AS {select}")
    return duck


_SQL: dict[tuple[str, tuple[tuple[str, str], ...]], str] = {}


def decide(pg: Any, policy: Policy, duck: duckdb.DuckDBPyConnection, table: str,
           as_of: dt.datetime = AS_OF) -> list[tuple[Any, Any, Any]]:
    """(PostgreSQL's decision, Python's, the lead) for every row of the DuckDB
    table copied into PostgreSQL. The SQL is compiled once per column shape."""
    relation = Relation(pg, duck, table)
    key = (policy.hash + as_of.isoformat(), tuple(relation.columns.items()))
    if key not in _SQL:
        _SQL[key] = compile_sql(policy.ir, relation.columns, dialect="postgres", table="t.leads", as_of=as_of)
    cursor = pg.execute(_SQL[key])
    names = [d.name for d in cursor.description]
    got = [_decision(dict(zip(names, row))) for row in cursor.fetchall()]
    want = [policy.evaluate(lead, as_of=as_of).to_dict() for lead in relation.leads]
    assert len(got) == len(want) == len(relation.leads)
    return list(zip(got, want, relation.leads))


def differences(pg: Any, policy: Policy, rows: list[list[Any]]) -> list[str]:
    """Each lead decided differently: the relation, the lead, and each
    differing key of the decision as (PostgreSQL's, Python's)."""
    duck = raw_table(rows)
    return [f"{table}: {lead!r}: " + repr({k: (g.get(k), w[k]) for k in w if not same_bits(g.get(k), w[k])})
            for table in LAYOUTS for g, w, lead in decide(pg, policy, duck, table) if not same_bits(g, w)]


# Each example is four relations on a real server: no shrinking (the assertion shows the lead).
@pytest.mark.slow
@settings(max_examples=examples(40, quick=3), deadline=None, phases=(Phase.explicit, Phase.reuse, Phase.generate),
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(messy_rows(), min_size=1, max_size=60))
def test_messy_leads_decide_as_in_python(pg, rows):
    found = differences(pg, qualdsl.loads(MESSY_POLICY), rows)
    assert not found, found[0]
