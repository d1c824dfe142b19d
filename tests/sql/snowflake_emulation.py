"""The Snowflake tree of the decision SELECT, run on DuckDB.

No Snowflake runs here. As bigquery_emulation.py does for BigQuery, this
runs the very tree snowflake.py prints, with each Snowflake function
replaced by a DuckDB macro doing what Snowflake's SQL reference says it does
(the reading snowflake.py's mappings cite). REGEXP_LIKE is RE2's full match
of the translated pattern: so the translation's structure (the `(.|\\n)*`
frame, the spelled-out newlines, the case orbits) is run, not Snowflake's
regex engine. It proves the rewrite (bindings written in place, OBJECTs,
ARRAY_COMPACT, the exact integer division, casefold tables), not
Snowflake's functions themselves.

TO_NUMBER of our stop text becomes a marker text, not an error: DuckDB
computes both branches of a CASE.
"""

from __future__ import annotations

from typing import Any

import duckdb
from sqlglot import exp

from qualdsl.backends.sql import builders as b

from . import bigquery_emulation

STOPPED = "<<snowflake stopped: "
MACROS = {  # Snowflake's function -> DuckDB's, per Snowflake's SQL reference
    "REGEXP_LIKE": "regexp_full_match(a, b)",  # implicitly anchored at both ends
    "ARRAY_TO_STRING": "array_to_string(a, b)",
    "ARRAY_CONTAINS": "list_contains(b, a)",  # ARRAY_CONTAINS(value, array)
    "ARRAY_COMPACT": "list_filter(a, lambda x: x IS NOT NULL)",  # missing and null values removed, order kept
    "ARRAY_CAT": "list_concat(a, b)",
    "ARRAY_SIZE": "len(a)",
    "MOD": "a % b",  # the sign of the dividend
    "OCTET_LENGTH": "strlen(a)",
    "TO_NUMBER": f"'{STOPPED}' || a || '>>'",
}


def connect() -> duckdb.DuckDBPyConnection:
    return bigquery_emulation.connect(MACROS, prefix="SF_")


def _duckdb_node(node: exp.Expr) -> exp.Expr:
    if isinstance(node, exp.Cast) and node.to.this == exp.DataType.Type.VARIANT:
        return node.this  # DuckDB's values carry their own types
    if isinstance(node, exp.Cast) and node.to.this in (exp.DataType.Type.ARRAY, exp.DataType.Type.OBJECT) \
            and not node.to.expressions:
        # A semi-structured ARRAY/OBJECT: DuckDB's lists and STRUCTs carry their own types.
        return node.this if not isinstance(node.this, exp.Null) else b.cast(b.null(), "VARCHAR[]")
    if not isinstance(node, exp.Anonymous):
        return node
    name = node.name.upper()
    args = node.expressions
    if name == "ARRAY_CONSTRUCT":
        return exp.Array(expressions=args)
    if name == "OBJECT_CONSTRUCT_KEEP_NULL":
        pairs = zip(args[::2], args[1::2])
        return exp.Struct(expressions=[exp.PropertyEQ(this=exp.to_identifier(k.name, quoted=True), expression=v)
                                       for k, v in pairs])
    if name == "GET":
        return exp.Dot(this=exp.Paren(this=args[0]), expression=exp.to_identifier(args[1].name, quoted=True))
    if name == "DATEDIFF":  # DATEDIFF(DAY, a, b): day boundaries from a to b
        return b.call("date_diff", b.string("day"), args[1], args[2])
    if name == "DATE_PART":  # DATE_PART(EPOCH_MICROSECOND, t)
        return b.call("epoch_us", args[1])
    if name == "CHARINDEX":  # CHARINDEX(part, text): 1-based, 0 when not found
        return b.call("strpos", args[1], args[0])
    if name == "TO_VARCHAR":
        if len(args) == 2:  # TO_VARCHAR(d, 'YYYY-MM-DD')
            return b.call("strftime", args[0], b.string("%Y-%m-%d"))
        return b.cast(args[0], "VARCHAR")
    if name in MACROS:
        node.set("this", f"SF_{name}")
    return node


def as_duckdb(tree: exp.Expr) -> str:
    return bigquery_emulation.as_duckdb(tree, _duckdb_node)


def rows(connection: duckdb.DuckDBPyConnection, tree: exp.Expr) -> list[Any]:
    return connection.execute(as_duckdb(tree)).fetchall()
