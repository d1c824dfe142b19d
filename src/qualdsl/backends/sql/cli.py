"""`qualdsl compile POLICY --target sql ...`: the decision SELECT on stdout.

The relation's column types come from `--like FILE` (a CSV, JSONL or
Parquet sample DuckDB reads as the duckdb engine does) or, by default, from
the schema: a column per top-level field of its type, a STRUCT column for
nested fields, events a LIST of STRUCT(type VARCHAR, at TIMESTAMPTZ).
The lead registers `compile_command` in cli.COMMANDS.
"""

from __future__ import annotations

from typing import Any

from ... import ir

DIALECTS = ("duckdb", "postgres", "spark", "snowflake", "bigquery")
_SQL_OF = {"string": "VARCHAR", "int": "BIGINT", "number": "DOUBLE", "bool": "BOOLEAN", "date": "DATE",
           "datetime": "TIMESTAMPTZ", "list[string]": "VARCHAR[]", "list[number]": "DOUBLE[]",
           "events": 'STRUCT("type" VARCHAR, "at" TIMESTAMPTZ)[]'}


def schema_columns(policy: ir.Policy) -> dict[str, str]:
    """Column types for a relation shaped like the schema (nested as STRUCTs)."""
    top: dict[str, Any] = {}
    for field in policy.fields:
        node = top
        for segment in field.path[:-1]:
            node = node.setdefault(segment, {})
            if not isinstance(node, dict):
                break
        else:
            node[field.path[-1]] = _SQL_OF.get(field.type, "VARCHAR")

    def render(value: Any) -> str:
        if isinstance(value, str):
            return value
        members = ", ".join(f'"{name}" {render(member)}' for name, member in value.items())
        return f"STRUCT({members})"

    return {name: render(value) for name, value in top.items()}


# The command itself is `qualdsl compile` (targets.py): `--target sql` reads
# schema_columns above, or the types of a `--like` sample.
from ...targets import compile_command as compile_command  # noqa: E402  # after schema_columns: targets imports it
