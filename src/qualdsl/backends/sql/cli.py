"""`qualdsl compile POLICY --target sql ...`: the decision SELECT on stdout.

The relation's column types come from `--like FILE` (a CSV, JSONL or
Parquet sample DuckDB reads as the duckdb engine does) or, by default, from
the schema: a column per top-level field of its type, a STRUCT column for
nested fields, events a LIST of STRUCT(type VARCHAR, at TIMESTAMPTZ).
The lead registers `compile_command` in cli.COMMANDS.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from ... import ir
from ...cli import Exit, _load_or_exit, print_diagnostics
from .errors import SqlRefused

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


@click.command("compile")
@click.argument("policy", type=click.Path(dir_okay=False))
@click.option("--target", type=click.Choice(["sql"]), default="sql", show_default=True)
@click.option("--dialect", type=click.Choice(DIALECTS), default="duckdb", show_default=True)
@click.option("--table", default="leads", show_default=True, help="The relation holding one row per lead.")
@click.option("--id-field", default=None, help="The field reported as `lead` (default `id`).")
@click.option("--flat", is_flag=True, help="Flat columns (icp_pass, score_<block>, ...) as `score` writes CSV.")
@click.option("--as-of", "as_of", default=None, help="A literal evaluation time; default: the `$as_of` parameter.")
@click.option("--like", "like", default=None, type=click.Path(dir_okay=False, exists=True),
              help="A sample input whose column types the relation has.")
@click.option("--pretty", is_flag=True, help="Indent the SQL.")
@click.pass_context
def compile_command(ctx: click.Context, policy: str, target: str, dialect: str, table: str, id_field: str | None,
                    flat: bool, as_of: str | None, like: str | None, pretty: bool) -> None:
    """Print the SELECT that decides every row of TABLE as POLICY does."""
    from ...api import load, normalize_as_of
    from ...errors import QualError
    from .compile import compile_sql

    try:
        loaded = load(policy, id_field=id_field) if id_field else _load_or_exit(ctx, policy)
    except QualError as error:
        print_diagnostics(ctx, error.diagnostics)
        ctx.exit(Exit.FINDINGS)
    moment = None
    if as_of is not None:
        try:
            moment = normalize_as_of(as_of)
        except ValueError as error:
            raise click.UsageError(str(error)) from None
    if like is not None:
        from .duckdb_engine import InputProblem, connect, load_leads

        try:
            columns = load_leads(connect(), [like])
        except InputProblem as error:
            raise click.UsageError(str(error)) from None
    else:
        columns = schema_columns(loaded.ir)
    try:
        sql = compile_sql(loaded.ir, columns, dialect=dialect, table=table, as_of=moment, flat=flat, pretty=pretty)
    except SqlRefused as error:
        print_diagnostics(ctx, error.diagnostics)
        ctx.exit(Exit.FINDINGS)
    sys.stdout.write(sql + ";\n")
