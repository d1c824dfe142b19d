"""`qualdsl compile`: a policy in a form other systems run.

Targets: `json` (the IR, portable; its JSON Schema ships in the package),
`python` (the generated evaluate function, to read) and `sql` (one SELECT,
per dialect; see backends/sql). Every target is printed from the one IR, so
what runs in SQL is what runs in Python.
"""

from __future__ import annotations

import json
from typing import Any

import click

from . import ir_json


def compile_text(policy: Any, target: str, **options: Any) -> str:
    """The policy (an api.Policy) compiled to a target, as text."""
    if target == "json":
        data = ir_json.to_data(policy.ir)
        data["hash"] = policy.hash
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if target == "python":
        return str(policy.compiled.source)
    if target == "sql":
        from .backends.sql.cli import schema_columns
        from .backends.sql.compile import compile_sql

        columns = options.pop("columns", None) or schema_columns(policy.ir)
        return compile_sql(policy.ir, columns, **options) + ";\n"
    raise ValueError(f"unknown target `{target}`")


@click.command("compile")
@click.argument("policy", type=click.Path())
@click.option("--target", type=click.Choice(["json", "sql", "python"]), default="json", show_default=True,
              help="What to compile the policy to.")
@click.option("--dialect", type=click.Choice(["duckdb", "spark", "postgres", "snowflake", "bigquery"]),
              default="duckdb", show_default=True, help="SQL dialect (with --target sql).")
@click.option("--table", default="leads", show_default=True, help="The relation holding one row per lead (sql).")
@click.option("--flat", is_flag=True, help="Flat output columns for BI tools (sql).")
@click.option("--as-of", "as_of", metavar="T", help="Evaluation time as a literal (sql); default: a parameter.")
@click.option("--id-field", "id_field", metavar="PATH",
              help="The field reported as the decision's `lead` (default `id`).")
@click.option("--like", type=click.Path(dir_okay=False, exists=True),
              help="A sample input (CSV, JSONL, Parquet) whose column types the relation has (sql).")
@click.option("--pretty", is_flag=True, help="Indent the SQL (sql).")
@click.option("-o", "--output", type=click.Path(), help="Write here instead of stdout.")
@click.pass_context
def compile_command(ctx: click.Context, policy: str, target: str, dialect: str, table: str, flat: bool,
                    as_of: str | None, id_field: str | None, like: str | None, pretty: bool,
                    output: str | None) -> None:
    """Compile POLICY to JSON (the portable IR), SQL or Python."""
    from .api import load, normalize_as_of, parse_field_path
    from .cli import Exit, print_diagnostics, write_stdout
    from .errors import QualError

    if id_field is not None:
        try:
            parse_field_path(id_field)
        except ValueError as problem:
            click.echo(f"qualdsl compile: --id-field: {problem}", err=True)
            ctx.exit(Exit.USAGE)
    if target == "sql":
        from .backends.sql.compile import table_ref

        try:
            table_ref(table)
        except ValueError as problem:
            click.echo(f"qualdsl compile: --table: {problem}", err=True)
            ctx.exit(Exit.USAGE)
    moment = None
    if as_of is not None:
        try:
            moment = normalize_as_of(as_of)
        except ValueError as problem:
            click.echo(f"qualdsl compile: --as-of: {problem}", err=True)
            ctx.exit(Exit.USAGE)
    try:
        loaded = load(policy, id_field=id_field)
        options: dict[str, Any] = {}
        if target == "sql":
            options = {"dialect": dialect, "table": table, "flat": flat, "as_of": moment, "pretty": pretty}
            if like is not None:
                try:
                    from .backends.sql.duckdb_engine import InputProblem, connect, load_leads
                except ImportError:
                    click.echo("qualdsl compile: --like needs DuckDB: pip install 'qualdsl[duckdb]'", err=True)
                    ctx.exit(Exit.USAGE)
                from .batch.engines import HandOver

                try:
                    options["columns"] = load_leads(connect(), [like], guessed_times=True)
                except (InputProblem, HandOver) as problem:  # a sample DuckDB cannot read: nothing to compile for
                    click.echo(f"qualdsl compile: --like: {problem}", err=True)
                    ctx.exit(Exit.USAGE)
        text = compile_text(loaded, target, **options)
    except QualError as problem:
        print_diagnostics(ctx, problem.diagnostics)
        ctx.exit(Exit.FINDINGS)
    if output is None:
        write_stdout(text)
        return
    try:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as problem:
        click.echo(f"qualdsl compile: cannot write {output}: {problem.strerror}", err=True)
        ctx.exit(Exit.USAGE)
