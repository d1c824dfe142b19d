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
    with pytest.raises(QualError, match="to bigquery SQL"):
        compile_sql(saas.ir, schema_columns(saas.ir), dialect="bigquery", as_of=AS_OF)
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
