"""`--dialect bigquery`: the mappings of backends/sql/bigquery.py, its
refusals, and its tree run on DuckDB (bigquery_emulation.py) against the
DuckDB SELECT, which the differential tests prove against Policy.evaluate."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import sqlglot
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlglot import exp

import qualdsl
from qualdsl.backends.sql import casefold as cf
from qualdsl.backends.sql import postgres as pg
from qualdsl.backends.sql.bigquery import to_bigquery
from qualdsl.backends.sql.cli import schema_columns
from qualdsl.backends.sql.compile import compile_sql
from qualdsl.errors import QualError

from . import bigquery_emulation as bq
from . import helpers
from .helpers import AS_OF, decisions_both, deep, portable_tree
from budget import examples

POLICIES = Path(__file__).resolve().parents[2] / "policies"

MAPPED = """
policy mapped "Every BigQuery mapping"
schema {
  id: string
  title: string
  email: string
  employees: int
  revenue: number
  tags: list[string]
  founded: date
}
score fit {
  rule engineer   +3  when title matches /\\b(engineer|developer)\\b/i
  rule vp         +2  when title contains "VP"
  rule chief      +2  when title starts_with "Chief" or title ends_with "Officer"
  rule strasse    +1  when title == "STRASSE"
  rule big        +2  when employees > revenue / 1000
  rule exact      +1  when employees == revenue
  rule tagged     +1  when "saas" in tags
  rule corp       +1  when domain(email) in ["acme.com", "ÉCOLE.fr"]
  rule long_title +1  when len(title) >= 12
  rule recent     +1  when days_since(founded) between -30 and 3650
  rule mid        +1  when employees between 50 and 500
}
tiers {
  tier A when score >= 5
  tier B otherwise
}
"""

LEADS = [
    {"id": "1", "title": "Senior Software ENGINEER", "email": "a@acme.com", "employees": 120, "revenue": 120.0,
     "tags": ["SaaS", None, "b2b"], "founded": dt.date(2020, 5, 1)},
    {"id": "2", "title": "Straße", "email": "x@école.fr", "employees": 9, "revenue": 8500.5, "tags": [],
     "founded": dt.date(1999, 1, 1)},
    {"id": "3", "title": "VP Sales", "email": None, "employees": None, "revenue": float("nan"), "tags": None,
     "founded": None},
    {"id": "4", "title": "Chief Kelvin \u212a Officer", "email": "no-at-sign", "employees": -3, "revenue": -3.0,
     "tags": ["saas"], "founded": dt.date(2030, 1, 1)},
    {"id": "5", "title": None, "email": "@", "employees": 9_007_199_254_740_993, "revenue": 9.007199254740992e15,
     "tags": ["ΣΑΑΣ", "saas"], "founded": dt.date(2026, 11, 1)},
]
TYPES = {"id": "VARCHAR", "title": "VARCHAR", "email": "VARCHAR", "employees": "BIGINT", "revenue": "DOUBLE",
         "tags": "VARCHAR[]", "founded": "DATE"}


def bigquery_tree(policy: qualdsl.Policy, columns: dict[str, str], flat: bool = False) -> exp.Expr:
    return portable_tree(to_bigquery, policy, columns, flat)


def refusal(text: str, columns: dict[str, str] | None = None, **options: object) -> str:
    return helpers.refusal("bigquery", text, columns, **options)


def test_the_sql_says_it_is_unverified_and_uses_bigquery_functions():
    policy = qualdsl.loads(MAPPED)
    sql = compile_sql(policy.ir, TYPES, dialect="bigquery", as_of=AS_OF)
    first, _, body = sql.partition("\n")
    assert first == "-- qualdsl: bigquery SQL checked by sqlglot round-trip only, not run against BigQuery"
    for name in ("REGEXP_CONTAINS(", "STRPOS(", "STARTS_WITH(", "ENDS_WITH(", "IEEE_DIVIDE(", "UNIX_DATE(",
                 "BYTE_LENGTH(", "CHAR_LENGTH(", "SAFE_ORDINAL(1)", "WITH OFFSET AS", "ARRAY(SELECT", "TRANSLATE(",
                 "LOGICAL_OR(", "DIV(", "ARRAY_REVERSE(SPLIT("):
        assert name in body, name
    for duckdb_only in ("LIST_", "REGEXP_MATCHES", "STRLEN(", "EPOCH_US(", "LAMBDA", "->", "//", "COLLATE", "OFFSET 0"):
        assert duckdb_only not in body, duckdb_only
    assert "'(?i)\\\\b(engineer|developer)\\\\b'" in body  # RE2 as written, the flag inside
    tree = deep(lambda: sqlglot.parse_one(sql, read="bigquery"))
    assert deep(lambda: sqlglot.parse_one(tree.sql("bigquery"), read="bigquery")) == tree


def test_the_bigquery_tree_decides_as_duckdb_and_python_on_duckdb():
    policy = qualdsl.loads(MAPPED)
    connection = bq.connect()
    columns = ", ".join(f'"{name}" {kind}' for name, kind in TYPES.items())
    connection.execute(f"CREATE TABLE leads ({columns})")
    for lead in LEADS:
        connection.execute("INSERT INTO leads VALUES (?, ?, ?, ?, ?, ?, ?)", [lead[name] for name in TYPES])
    got, want = decisions_both(connection, policy)
    assert got == want  # the DuckDB SELECT is Python's decision here
    reference = connection.execute(compile_sql(policy.ir, TYPES, as_of=AS_OF)).fetchall()
    emulated = bq.rows(connection, bigquery_tree(policy, TYPES))
    assert emulated == reference
    assert {row[5] for row in reference} == {"A", "B"}  # both tiers decided: the rules do fire


@pytest.mark.parametrize("flat", [False, True], ids=["nested", "flat"])
@pytest.mark.parametrize("stem", ["bant", "xeducation"])
def test_bundled_policies_on_their_leads(stem, flat):
    policy = qualdsl.load(POLICIES / f"{stem}.qual")
    columns = schema_columns(policy.ir)
    connection = bq.connect()
    spec = "{" + ", ".join(f"'{name}': '{kind}'" for name, kind in columns.items()) + "}"
    leads = POLICIES / f"{stem}.leads.jsonl"
    # Typed as the schema says (a value of another type is NULL: a warehouse's typed table).
    connection.execute(f"CREATE TABLE leads AS SELECT * FROM read_json('{leads}', columns={spec}, ignore_errors=true)")
    reference = connection.execute(compile_sql(policy.ir, columns, as_of=AS_OF, flat=flat)).fetchall()
    assert len(reference) > 10
    assert bq.rows(connection, bigquery_tree(policy, columns, flat)) == reference


def test_a_float_python_would_show_stops_the_query():
    """2.5 read for an int field is warned about as `2.5`: BigQuery has no
    shortest round-trip float text, so the query stops (ERROR) naming it;
    an integral float is read as the int, with no warning to show."""
    policy = qualdsl.loads("policy f\nschema {\n  n: int\n}\nscore s {\n  rule r +1 when n > 1\n}\n")
    connection = bq.connect()
    connection.execute("CREATE TABLE leads AS SELECT * FROM (VALUES (2.5), (3.0), (NULL), (0.1)) AS t(n)")
    warnings = [row[-1] for row in bq.rows(connection, bigquery_tree(policy, {"n": "DOUBLE"}))]
    stopped = f"n: expected int, got {bq.STOPPED}qualdsl: bigquery cannot show this number exactly as Python does: "
    assert [len(w) for w in warnings] == [1, 0, 0, 1]
    assert warnings[0][0].startswith(stopped) and warnings[3][0].startswith(stopped)
    python = [policy.evaluate({"n": n}, as_of=AS_OF).warnings for n in (2.5, 3.0, None, 0.1)]
    assert python == [["n: expected int, got 2.5; treated as missing"], [], [],
                      ["n: expected int, got 0.1; treated as missing"]]


@pytest.mark.parametrize(("text", "construct"), [
    ("policy d\nschema {\n  n: int\n}\nlet big = n * n\nscore s {\n  rule r +1 when big > 1\n}\n",
     "integer arithmetic beyond 64 bits"),
])
def test_refusals_name_the_construct_and_the_place(text, construct):
    message = refusal(text)
    assert re.match(r"odd\.qual:\d+:\d+: ", message) and not message.startswith("odd.qual:1:1:"), message
    assert construct in message and "cannot be compiled exactly to bigquery SQL" in message


def test_text_read_as_a_number_is_refused():
    message = refusal("policy t\nschema {\n  n: int\n}\nscore s {\n  rule r +1 when n > 1\n}\n", {"n": "VARCHAR"},
                      as_of=AS_OF)
    assert "text read as BIGINT" in message and message.startswith("odd.qual:")


def test_the_as_of_parameter_is_refused():
    message = refusal("policy t\nschema {\n  n: int\n}\nscore s {\n  rule r +1 when n > 1\n}\n")
    assert "`$as_of` parameter" in message and "give --as-of" in message


def test_events_sums_and_json_columns_are_refused():
    saas = qualdsl.load(POLICIES / "saas_inbound.qual")
    with pytest.raises(QualError, match="to bigquery SQL") as refused:
        compile_sql(saas.ir, schema_columns(saas.ir), dialect="bigquery", as_of=AS_OF)
    # At the first decayed per-event rule, not the policy's first line.
    assert str(refused.value).startswith(f"{POLICIES / 'saas_inbound.qual'}:44:3: a sum over events")
    message = refusal("policy t\nschema {\n  n: int\n}\nscore s {\n  rule r +1 when n > 1\n}\n", {"n": "JSON"},
                      as_of=AS_OF)
    assert "JSON-typed column" in message


@pytest.mark.parametrize(("kind", "construct"), [
    ("DECIMAL(18, 3)", "a column of type DECIMAL(18, 3)"), ("FLOAT", "a column of type REAL"),
    ("BIGINT[][]", "a list of lists"), ("REAL[]", "a column of type REAL"),
])
def test_column_types_without_a_bigquery_twin_are_refused(kind, construct):
    text = "policy t\nschema {\n  n: number\n  m: list[number]\n}\nscore s {\n  rule r +1 when n > 1\n}\n"
    policy = qualdsl.loads(text, path="odd.qual")
    with pytest.raises(QualError) as refused:
        compile_sql(policy.ir, {"n": "DOUBLE", "m": kind}, dialect="bigquery", as_of=AS_OF)
    assert construct in str(refused.value) and "to bigquery SQL" in str(refused.value)
    # A column the policy does not read may be of any type.
    assert compile_sql(policy.ir, {"n": "DOUBLE", "m": "DOUBLE[]", "other": kind}, dialect="bigquery", as_of=AS_OF)


def test_casefold_tables_are_translate_safe():
    """BigQuery's TRANSLATE fails on a repeated source character; and the
    table (for a lower() of ASCII only) computes str.casefold."""
    for name in (cf.TABLE_FILE, cf.LOWER_FILE):
        data = pg._pg_table(name)
        source, target = data["translate"]
        assert len(set(source)) == len(source) == len(target)
        assert not any("A" <= c <= "Z" for c in source)  # TRANSLATE of A-Z runs first
        want = str.casefold if name == cf.TABLE_FILE else str.lower
        table = str.maketrans(source, target)
        for char in [*cf.code_points()[::97], "ß", "İ", "ſ", "\u212a", "ΐ", "ﬃ"]:
            text = char
            for old, new in data["before"]:
                text = text.replace(old, new)
            text = pg.ascii_lower([text])[0].translate(table)
            for old, new in data["replace"]:
                text = text.replace(old, new)
            assert text == want(char), (name, char)


_TEXT = st.one_of(st.none(), st.sampled_from(["VP", "Chief X Officer", "STRASSE", "straße", "saas", "SAAS",
                                              "engineer", "ENGINEERing", "a@acme.com", "x@ÉCOLE.fr", "ΣΑΑΣ", ""]),
                  st.text(max_size=12))


@st.composite
def typed_leads(draw):
    return [
        draw(st.text(max_size=4)), draw(_TEXT), draw(_TEXT),
        draw(st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1), st.integers(-600, 600))),
        draw(st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True), st.integers(-600, 600).map(float))),
        draw(st.one_of(st.none(), st.lists(_TEXT, max_size=4))),
        draw(st.one_of(st.none(), st.dates(dt.date(1970, 1, 1), dt.date(2100, 1, 1)))),
    ]


@settings(max_examples=examples(15, quick=3), deadline=None)  # each example plans two large queries
@given(st.lists(typed_leads(), min_size=1, max_size=40))
def test_generated_typed_leads_decide_as_duckdb(rows):
    policy = qualdsl.loads(MAPPED)
    connection = bq.connect()
    columns = ", ".join(f'"{name}" {kind}' for name, kind in TYPES.items())
    connection.execute(f"CREATE TABLE leads ({columns})")
    connection.executemany("INSERT INTO leads VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    reference = connection.execute(compile_sql(policy.ir, TYPES, as_of=AS_OF)).fetchall()
    assert repr(bq.rows(connection, bigquery_tree(policy, TYPES))) == repr(reference)  # floats to the bit


COUNTED = """policy counted
schema {
  id: string
  events: events
}
score engagement {
  rule demo    +40  per event "demo_request"
  rule webinar +2.5 per event "webinar" max 3
  rule churn   -7   per event "churn_signal" max 2
  rule visits  +1   when count(events where type == "visit" within 30d) >= 2
}
"""
EVENTS = "STRUCT(\"type\" VARCHAR, \"at\" TIMESTAMPTZ)[]"  # BigQuery's TIMESTAMP


def _events(*kinds: tuple[str, int]) -> list[dict[str, object]]:
    """Events of each (type, days before AS_OF); a negative age is in the future."""
    return [{"type": kind, "at": AS_OF - dt.timedelta(days=days)} for kind, days in kinds]


def test_undecayed_per_event_points_are_the_count_times_the_points():
    """Without decay a per-event rule adds the same points C for each of its
    n events, in list order from 0.0: BigQuery writes it as 0.0 + n * C,
    exact for these points (bigquery.constant_sum), and decides as DuckDB
    and Python do: no events, only future ones, more than `max`, NULL."""
    policy = qualdsl.loads(COUNTED, path="counted.qual")
    sql = compile_sql(policy.ir, {"id": "VARCHAR", "events": EVENTS}, dialect="bigquery", as_of=AS_OF)
    assert "* CAST(40.0 AS FLOAT64)" in sql and "* CAST(2.5 AS FLOAT64)" in sql and "SUM(" not in sql
    leads = [
        ("none", []), ("null", None), ("future", _events(("demo_request", -1), ("webinar", -3))),
        ("many", _events(*[("demo_request", d) for d in range(60)], *[("webinar", d) for d in range(7)])),
        ("mixed", _events(("DEMO_Request", 400), ("churn_signal", 1), ("churn_signal", 2), ("churn_signal", 3),
                          ("visit", 1), ("visit", 29), ("visit", 31), ("webinar", 2))),
        ("churn only", _events(("churn_signal", 5))),
    ]
    connection = bq.connect()
    connection.execute(f"CREATE TABLE leads (id VARCHAR, events {EVENTS})")
    connection.executemany("INSERT INTO leads VALUES (?, ?)", [list(lead) for lead in leads])
    got, want = decisions_both(connection, policy)
    assert got == want
    columns = {"id": "VARCHAR", "events": EVENTS}
    reference = connection.execute(compile_sql(policy.ir, columns, as_of=AS_OF)).fetchall()
    emulated = bq.rows(connection, bigquery_tree(policy, columns))
    assert repr(emulated) == repr(reference)  # floats to the bit
    totals = {row[1]: row[4]["total"] for row in reference}
    assert totals == {"none": 0.0, "null": 0.0, "future": 0.0, "many": 60 * 40.0 + 3 * 2.5,
                      "mixed": 40.0 - 14.0 + 1 + 2.5, "churn only": -7.0}


@pytest.mark.parametrize(("rule", "construct", "place"), [
    ("rule r +0.1 per event \"x\"", "a sum over events of 0.1 points each", "odd.qual:6:3:"),
    ("decay 10% every 7d\n  rule r +1 per event \"x\"", "a sum over events (BigQuery", "odd.qual:7:3:"),
])
def test_sums_over_events_bigquery_cannot_add_exactly_are_refused_at_the_rule(rule, construct, place):
    """0.1 * n is not the sum of n 0.1s (0.1 + 0.1 + 0.1 != 0.3), and decayed
    points differ event by event: both need the ordered sum BigQuery lacks."""
    text = f"policy o\nschema {{\n  events: events\n}}\nscore s {{\n  {rule}\n}}\n"
    message = refusal(text, as_of=AS_OF)
    assert message.startswith(place) and construct in message, message


def test_a_malformed_events_time_is_shown_as_python_shows_it():
    """The warning for a malformed event shows its `at` as str(datetime);
    BigQuery rebuilds the text from UNIX_MICROS in integer arithmetic
    (show.civil_date_text): zero-padded years, before 1970, microseconds."""
    policy = qualdsl.loads(COUNTED, path="counted.qual")
    columns = {"id": "VARCHAR", "events": EVENTS}
    times = [dt.datetime(99, 3, 1, 0, 0, 0, 5, tzinfo=dt.UTC), dt.datetime(1969, 12, 31, 23, 59, 59, tzinfo=dt.UTC),
             dt.datetime(2024, 2, 29, 12, 30, 1, 250000, tzinfo=dt.UTC), dt.datetime(1, 1, 1, tzinfo=dt.UTC),
             dt.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC), dt.datetime(1600, 2, 29, 7, tzinfo=dt.UTC)]
    connection = bq.connect()
    connection.execute(f"CREATE TABLE leads (id VARCHAR, events {EVENTS})")
    connection.executemany("INSERT INTO leads VALUES (?, ?)",
                           [[str(i), [{"type": None, "at": at}, {"type": "demo_request", "at": at}]]
                            for i, at in enumerate(times)])
    got, want = decisions_both(connection, policy)
    assert got == want
    reference = connection.execute(compile_sql(policy.ir, columns, as_of=AS_OF)).fetchall()
    assert [row[-1] for row in reference] == [
        [f'events[0]: expected an event with a string `type` and an ISO 8601 `at`, got {{"type": null, "at": "{at}"}}; '
         "ignored"] for at in times]
    assert bq.rows(connection, bigquery_tree(policy, columns)) == reference


_EVENT = st.fixed_dictionaries({
    "type": st.one_of(st.none(), st.sampled_from(["demo_request", "DEMO_REQUEST", "webinar", "churn_signal", "visit",
                                                  "Visit", "other", ""])),
    "at": st.one_of(st.none(), st.integers(-40, 400).map(lambda days: AS_OF - dt.timedelta(days=days, seconds=days))),
})


@settings(max_examples=examples(15, quick=3), deadline=None)  # each example plans two large queries
@given(st.lists(st.one_of(st.none(), st.lists(st.one_of(st.none(), _EVENT), max_size=12)), min_size=1, max_size=20))
def test_generated_events_decide_as_duckdb(event_lists):
    """Undecayed per-event rules, `max`, counts `within`, malformed events
    (their warnings show the time) and NULL lists: the BigQuery tree gives
    DuckDB's decisions, floats to the bit."""
    policy = qualdsl.loads(COUNTED, path="counted.qual")
    columns = {"id": "VARCHAR", "events": EVENTS}
    connection = bq.connect()
    connection.execute(f"CREATE TABLE leads (id VARCHAR, events {EVENTS})")
    connection.executemany("INSERT INTO leads VALUES (?, ?)", [[str(i), e] for i, e in enumerate(event_lists)])
    got, want = decisions_both(connection, policy)
    assert got == want
    reference = connection.execute(compile_sql(policy.ir, columns, as_of=AS_OF)).fetchall()
    assert repr(bq.rows(connection, bigquery_tree(policy, columns))) == repr(reference)
