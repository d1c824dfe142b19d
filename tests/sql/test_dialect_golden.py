"""Golden SQL of every bundled policy in every dialect, and each dialect's
output read back by sqlglot in that dialect.

DuckDB's golden SQL is test_cli_and_golden.py's; here are the others. A
refusal is golden too (its located message), so a change in what a dialect
refuses shows in review as a change of its snapshot.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

import qualdsl
from qualdsl.backends.sql.cli import schema_columns
from qualdsl.backends.sql.compile import compile_sql
from qualdsl.errors import QualError

from .helpers import AS_OF, deep

POLICIES = Path(__file__).resolve().parents[2] / "policies"
BUNDLED = sorted(p.stem for p in POLICIES.glob("*.qual"))
DIALECTS = ("duckdb", "spark", "postgres", "bigquery", "snowflake")


@functools.cache
def compiled(stem: str, dialect: str, pretty: bool) -> str:
    """The compiled SELECT, or `REFUSED: <located message>`."""
    policy = qualdsl.load(POLICIES / f"{stem}.qual")
    try:
        return compile_sql(policy.ir, schema_columns(policy.ir), dialect=dialect, as_of=AS_OF, pretty=pretty)
    except QualError as refused:
        return f"REFUSED: {refused}".replace(f"{POLICIES.parent}/", "")  # the same on every machine


def canonical(tree: exp.Expr) -> exp.Expr:
    """The tree with sqlglot's own print/parse asymmetries undone (each
    means the same SQL both ways):
    - Spark's UNIX_DATE(d) is read as UnixDate and printed as
      DATEDIFF(DAY, DATE '1970-01-01', d), read back as DateDiff (of d
      as a date: d is a DATE column wherever the SQL takes UNIX_DATE);
    - PostgreSQL's `a ->> 'k' COLLATE "C"` is printed with the COLLATE in
      parentheses, read back as a Paren."""
    def undo(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Paren) and isinstance(node.this, exp.Collate):
            return node.this
        if isinstance(node, exp.DateDiff) and _bare(node.expression).name == "1970-01-01" \
                and node.text("unit").upper() == "DAY":
            day = node.this.this if isinstance(node.this, exp.TsOrDsToDate) else node.this
            return exp.UnixDate(this=day)
        return node

    return tree.transform(undo, copy=True)


def _bare(node: exp.Expr) -> exp.Expr:
    while isinstance(node, (exp.TsOrDsToDate, exp.Cast)):  # TryCast is a Cast
        node = node.this
    return node


@pytest.mark.parametrize("dialect", [d for d in DIALECTS if d != "duckdb"])
@pytest.mark.parametrize("stem", BUNDLED)
def test_golden_sql_per_dialect(stem, dialect, snapshot):
    assert compiled(stem, dialect, False) == snapshot  # one line per policy: pretty PostgreSQL is 8 MB


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("stem", BUNDLED)
def test_output_parses_and_round_trips(stem, dialect):
    sql = compiled(stem, dialect, False)
    if sql.startswith("REFUSED: "):
        assert f"{stem}.qual:" in sql and f"to {dialect} SQL" in sql  # located, naming the dialect
        return

    def round_trip() -> tuple[exp.Expr, exp.Expr, str]:
        tree = sqlglot.parse_one(sql, read=dialect)
        again = tree.sql(dialect=dialect)
        return tree, sqlglot.parse_one(again, read=dialect), again

    tree, back, again = deep(round_trip)
    assert isinstance(tree, exp.Select)
    assert canonical(back) == canonical(tree)
    # The text sqlglot prints is its own fixed point.
    assert deep(lambda: sqlglot.parse_one(again, read=dialect).sql(dialect=dialect)) == again


def test_canonical_undoes_only_the_named_asymmetries():
    spark = sqlglot.parse_one("SELECT UNIX_DATE(d) FROM t", read="spark")
    printed = sqlglot.parse_one(spark.sql("spark"), read="spark")
    assert printed != spark and canonical(printed) == canonical(spark)
    other = sqlglot.parse_one("SELECT DATEDIFF(DAY, CAST('1970-01-02' AS DATE), d) FROM t", read="spark")
    assert canonical(other) == other  # another day is another value: kept
    assert canonical(sqlglot.parse_one("SELECT (a + b) FROM t")) == sqlglot.parse_one("SELECT (a + b) FROM t")
