"""Differential helpers: the same relation decided by DuckDB and by Policy.evaluate."""

from __future__ import annotations

import datetime as dt
import json
import sys
import threading
from collections.abc import Callable
from typing import Any

import duckdb
from sqlglot import exp

from qualdsl.api import Policy
from qualdsl.backends.sql import builders as b
from qualdsl.backends.sql.compile import compile_sql

AS_OF = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def connect() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    return connection


def decisions_both(connection: duckdb.DuckDBPyConnection, policy: Policy, table: str = "leads",
                   as_of: dt.datetime = AS_OF, parameter: bool = False) -> tuple[list[Any], list[Any]]:
    """(SQL decisions, Python decisions) for every row of `table`. Python gets
    each row as the DuckDB client gives it (STRUCT -> dict, LIST -> list)."""
    columns = {name: sql_type for name, sql_type, *_ in connection.execute(f'DESCRIBE "{table}"').fetchall()}
    sql = compile_sql(policy.ir, columns, table=table, as_of=None if parameter else as_of)
    cursor = connection.execute(sql, {"as_of": as_of.strftime("%Y-%m-%dT%H:%M:%SZ")} if parameter else None)
    names = [d[0] for d in cursor.description]
    got = [_plain(dict(zip(names, row))) for row in cursor.fetchall()]
    cursor = connection.execute(f'SELECT * FROM "{table}"')
    lead_names = [d[0] for d in cursor.description]
    types = {name: b.sql_type(t) for name, t in columns.items()}
    leads = [{name: python_view(value, types[name]) for name, value in zip(lead_names, row)}
             for row in cursor.fetchall()]
    want = [policy.evaluate(lead, as_of=as_of).to_dict() for lead in leads]
    return got, want


def one_lead_both(policy: Policy, lead: Any, as_of: dt.datetime = AS_OF) -> tuple[dict[str, Any], dict[str, Any]]:
    """(SQL decision, Python decision) of one lead, as decision JSON; the SQL
    one from the duckdb evaluator (the policy's SELECT over that lead)."""
    from qualdsl import backends

    got = backends.evaluator("duckdb", policy.ir).evaluate(lead, as_of=as_of).to_dict()
    return got, policy.evaluate(lead, as_of=as_of).to_dict()


def python_view(value: Any, sql_type: Any) -> Any:
    """A value as a Python engine reading the same JSONL sees it: the DuckDB
    client gives a JSON-typed value as its text, json.loads gives the value."""
    if value is None:
        return None
    kind = sql_type.this
    if kind == exp.DataType.Type.JSON:
        return json.loads(value)
    if kind == exp.DataType.Type.STRUCT:
        members = {c.this.name: c.args["kind"] for c in sql_type.expressions}
        return {k: python_view(v, members[k]) for k, v in value.items()}
    if kind in (exp.DataType.Type.ARRAY, exp.DataType.Type.LIST):
        return [python_view(v, sql_type.expressions[0]) for v in value]
    return value


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    row["rules"] = [dict(rule) for rule in row["rules"]]
    return row


def same_bits(got: Any, want: Any) -> bool:
    """Equal, with floats compared by their bits (repr round-trips exactly)."""
    return repr(got) == repr(want)


def deep(work: Callable[[], Any]) -> Any:
    """`work()` on a thread with a large stack: sqlglot parses recursively,
    and the decision SELECT nests a few thousand levels deep."""
    result: list[Any] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            result.append(work())
        except Exception as error:  # noqa: BLE001 (re-raised on the caller's thread)
            errors.append(error)

    limit = sys.getrecursionlimit()
    size = threading.stack_size(512 * 1024 * 1024)
    sys.setrecursionlimit(200_000)
    try:
        thread = threading.Thread(target=run)
        thread.start()
        thread.join()
    finally:
        threading.stack_size(size)
        sys.setrecursionlimit(limit)
    if errors:
        raise errors[0]
    return result[0]


def portable_tree(rewrite: Callable[..., exp.Expr], policy: Policy, columns: dict[str, str],
                  flat: bool = False) -> exp.Expr:
    """The decision SELECT built as compile_sql builds it for a dialect other
    than DuckDB, and rewritten by `rewrite` (to_bigquery, to_snowflake): the
    tree itself, for an emulation to run."""
    from qualdsl.backends.sql.compile import _event_type, compile_select
    from qualdsl.backends.sql.show import PORTABLE

    types = {name: b.sql_type(t) for name, t in columns.items()}
    token = PORTABLE.set(True)
    try:
        select = compile_select(policy.ir, types, as_of=AS_OF, flat=flat)
    finally:
        PORTABLE.reset(token)
    result: exp.Expr = rewrite(select, types, _event_type(policy.ir, types))
    return result


def refusal(dialect: str, text: str, columns: dict[str, str] | None = None, **options: Any) -> str:
    """The message with which compiling the policy `text` (as odd.qual) to `dialect` is refused."""
    import pytest

    import qualdsl
    from qualdsl.backends.sql.cli import schema_columns
    from qualdsl.errors import QualError

    policy = qualdsl.loads(text, path="odd.qual")
    with pytest.raises(QualError) as refused:
        compile_sql(policy.ir, columns or schema_columns(policy.ir), dialect=dialect, **options)
    return str(refused.value)
