"""Helpers for the SQL primitive tests: run one expression over one value in DuckDB."""

from __future__ import annotations

from typing import Any

import duckdb
import pytest
from sqlglot import exp

from qualdsl.backends.sql import builders as b


class Engine:
    """One DuckDB connection, UTC, evaluating expressions over a typed value."""

    def __init__(self) -> None:
        self.connection = duckdb.connect()
        self.connection.execute("SET TimeZone = 'UTC'")
        # One thread: the suite already runs a worker per core (pytest -n auto),
        # and these small queries gain nothing from more.
        self.connection.execute("SET threads = 1")

    def run(self, expression: exp.Expression, values: list[Any], sql_type: str) -> list[Any]:
        """The expression over column `v` of a table holding `values` typed `sql_type`;
        also returns each value as the DuckDB client gives it to Python."""
        rows = self.rows(expression, values, sql_type)
        return [row[0] for row in rows]

    def rows(self, expression: exp.Expression, values: list[Any], sql_type: str) -> list[tuple[Any, Any]]:
        return [(row[0], row[1]) for row in self.many([expression], values, sql_type)]

    def many(self, expressions: list[exp.Expression], values: list[Any], sql_type: str) -> list[tuple[Any, ...]]:
        """Each row: the expressions' results, then the value as Python sees it."""
        columns = [e.as_(f"r{i}") for i, e in enumerate(expressions)]
        select = exp.select(*columns, exp.column("v")).from_("t").order_by("i")
        # One statement for all values (executemany is slow): the list cast to
        # the type, unpacked by position. The type is the test's own text.
        self.connection.execute(
            f"CREATE OR REPLACE TEMP TABLE t AS SELECT CAST(g AS INTEGER) AS i, "
            f"(CAST($values AS {sql_type}[]))[g + 1] AS v FROM range($n) r(g)",
            {"values": values, "n": len(values)},
        )
        return [tuple(row) for row in self.connection.execute(select.sql(b.DIALECT)).fetchall()]

    def select(
        self, expressions: list[exp.Expression], columns: dict[str, tuple[str, list[Any]]]
    ) -> list[tuple[Any, ...]]:
        """The expressions over a table of the given columns (name: (SQL type, values))."""
        count = len(next(iter(columns.values()))[1])
        cells = ", ".join(
            f"(CAST(${name} AS {sql_type}[]))[g + 1] AS {name}" for name, (sql_type, _) in columns.items()
        )
        self.connection.execute(
            f"CREATE OR REPLACE TEMP TABLE t AS SELECT CAST(g AS INTEGER) AS i, {cells} FROM range($n) r(g)",
            {"n": count, **{name: values for name, (_, values) in columns.items()}},
        )
        query = exp.select(*[e.as_(f"r{i}") for i, e in enumerate(expressions)]).from_("t").order_by("i")
        return [tuple(row) for row in self.connection.execute(query.sql(b.DIALECT)).fetchall()]

    def scalar(self, expression: exp.Expression) -> Any:
        return self.connection.execute(exp.select(expression).sql(b.DIALECT)).fetchone()[0]  # type: ignore[index]


_ENGINE: Engine | None = None


@pytest.fixture(scope="session")
def engine() -> Engine:
    global _ENGINE
    if _ENGINE is None:
        _ENGINE = Engine()
    return _ENGINE


@pytest.fixture(scope="session")
def postgres():
    """A PostgreSQL server on 127.0.0.1 for the session (skips without one)."""
    from .postgres_server import server

    yield from server()


@pytest.fixture(scope="module")
def pg(postgres):
    """One autocommit connection per module to the session's server, UTC."""
    import psycopg

    with psycopg.connect(postgres.dsn, autocommit=True) as connection:
        connection.execute("SET TimeZone = 'UTC'")
        connection.execute("SET jit = off")  # JIT-compiling the large SELECT would take minutes
        # One process reads the table: rows come back in insertion order.
        connection.execute("SET max_parallel_workers_per_gather = 0")
        yield connection
