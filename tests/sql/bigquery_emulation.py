"""The BigQuery tree of the decision SELECT, run on DuckDB.

No BigQuery runs here. This runs the very tree bigquery.py prints, with
each BigQuery function replaced by a DuckDB macro doing what GoogleSQL's
reference says it does (the same reading bigquery.py's mappings cite), and
`UNNEST .. WITH OFFSET` / `[SAFE_ORDINAL(i)]` spelled in DuckDB. So it
proves the rewrite's structure (offsets, order, NULL lists, bindings,
casefold tables, STRUCT outputs), not BigQuery's functions themselves.

ERROR(x) becomes a marker text, not an error: DuckDB computes a correlated
subquery for every row, also where the CASE around it (which GoogleSQL
short-circuits) would not use it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import duckdb
from sqlglot import exp

from qualdsl.backends.sql import builders as b

STOPPED = "<<bigquery stopped: "
MACROS = {  # BigQuery's function -> DuckDB's, per GoogleSQL's docs/
    "REGEXP_CONTAINS": "regexp_matches(a, b)",  # RE2, partial match
    "DIV": "a // b",  # truncating: DIV(12, -7) = -1
    "IEEE_DIVIDE": "a / b",  # IEEE: inf and NaN, never an error
    "MOD": "a % b",  # the sign of X
    "UNIX_DATE": "CAST(a - DATE '1970-01-01' AS BIGINT)",
    "UNIX_MICROS": "epoch_us(a)",
    "BYTE_LENGTH": "strlen(a)",
    "CHAR_LENGTH": "length(a)",
    "ARRAY_LENGTH": "len(a)",
    "IS_NAN": "isnan(a)",
    "IS_INF": "isinf(a)",
    "ARRAY_REVERSE": "list_reverse(a)",
    "SPLIT": "string_split(a, b)",
    "STRPOS": "strpos(a, b)",
    "ENDS_WITH": "suffix(a, b)",
    "ERROR": f"'{STOPPED}' || a || '>>'",
}


def connect(macros: dict[str, str] | None = None, prefix: str = "BQ_") -> duckdb.DuckDBPyConnection:
    """DuckDB with each engine function as a macro `prefix + NAME` (BigQuery's by default)."""
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    connection.execute("SET threads = 1")
    for name, body in (MACROS if macros is None else macros).items():
        parameters = "a, b" if re.search(r"\bb\b", body) else "a"
        connection.execute(f"CREATE MACRO {prefix}{name}({parameters}) AS {body}")
    return connection


def _duckdb_node(node: exp.Expr) -> exp.Expr:
    if isinstance(node, exp.Unnest) and node.args.get("offset") is not None:
        listed = node.expressions[0]
        element = node.args["alias"].columns[0].name
        offset = node.args["offset"].name
        index = exp.Sub(this=b.call("generate_subscripts", listed.copy(), b.integer(1)), expression=b.integer(1))
        rows = exp.select(exp.alias_(exp.Unnest(expressions=[listed.copy()]), element, quoted=True),
                          exp.alias_(index, offset, quoted=True))
        return rows.subquery("__un")
    listed = node.expressions[0] if isinstance(node, exp.Unnest) else None
    if isinstance(listed, exp.Array) and len(listed.expressions) == 1 and isinstance(listed.expressions[0], exp.Struct):
        # UNNEST([STRUCT(v AS name)]): one row whose column `name` is v.
        fields = listed.expressions[0].expressions
        row = exp.select(*(exp.alias_(f.expression.copy(), f.this.name, quoted=True) for f in fields))
        return row.subquery("__bind")
    if isinstance(node, exp.Bracket) and isinstance(node.expressions[0], exp.Anonymous) \
            and node.expressions[0].name.upper() == "SAFE_ORDINAL":
        return b.call("list_extract", node.this, node.expressions[0].expressions[0])
    if isinstance(node, exp.Anonymous):
        name = node.name.upper()
        if name == "ARRAY_CONCAT":
            result = node.expressions[0]
            for part in node.expressions[1:]:
                result = b.call("list_concat", result, part)
            return result
        if name == "LOGICAL_OR":
            return b.call("bool_or", *node.expressions)
        if name == "TIMESTAMP":  # TIMESTAMP(datetime, 'UTC')
            return b.call("timezone", node.expressions[1], node.expressions[0])
        if name in MACROS:
            node.set("this", f"BQ_{name}")
    return node


def as_duckdb(tree: exp.Expr, node: Callable[[exp.Expr], exp.Expr] | None = None) -> str:
    """The BigQuery tree (or another engine's, with its `node` mapping) as
    DuckDB SQL (each pass maps the nodes a replaced node brought in)."""
    before = None
    while True:
        tree = tree.transform(node or _duckdb_node, copy=True)
        text: str = tree.sql(dialect="duckdb")
        if text == before:
            return text
        before = text


def rows(connection: duckdb.DuckDBPyConnection, tree: exp.Expr) -> list[Any]:
    return connection.execute(as_duckdb(tree)).fetchall()
