"""`qualdsl compile --target sql`, the golden SQL of the bundled policies, and
the duckdb engine over the real X Education export."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest
import sqlglot
from click.testing import CliRunner

import qualdsl
from qualdsl.backends.sql.cli import compile_command, schema_columns
from qualdsl.backends.sql.compile import compile_sql
from qualdsl.backends.sql.duckdb_engine import decisions, score_duckdb

from .helpers import AS_OF, connect

POLICIES = Path(__file__).resolve().parents[2] / "policies"
BUNDLED = sorted(POLICIES.glob("*.qual"))


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_golden_sql(path, snapshot):
    policy = qualdsl.load(path)
    sql = compile_sql(policy.ir, schema_columns(policy.ir), as_of=AS_OF, pretty=True)
    assert sql == snapshot
    # It parses back, and DuckDB plans it over an empty relation of those columns.
    assert sqlglot.parse_one(sql, read="duckdb") is not None
    connection = connect()
    columns = ", ".join(f'"{n}" {t}' for n, t in schema_columns(policy.ir).items())
    connection.execute(f"CREATE TABLE leads ({columns})")
    assert connection.execute(sql).fetchall() == []


def test_cli_prints_the_select_and_runs(tmp_path):
    result = CliRunner().invoke(compile_command, [str(POLICIES / "saas_inbound.qual"), "--target", "sql", "--like",
                                                  str(POLICIES / "saas_inbound.leads.jsonl"), "--flat"])
    assert result.exit_code == 0, result.output
    connection = connect()
    connection.execute(f"CREATE TABLE leads AS SELECT * FROM read_json('{POLICIES / 'saas_inbound.leads.jsonl'}')")
    rows = connection.execute(result.output.rstrip().rstrip(";"), {"as_of": "2026-11-01"}).fetchall()
    assert len(rows) == 12 and rows[0][0] == "saas_inbound" and rows[0][2] == "L-1001"


def test_cli_refuses_an_unproven_dialect_with_a_located_error():
    result = CliRunner().invoke(
        compile_command, [str(POLICIES / "plg_signups.qual"), "--target", "sql", "--dialect", "spark"]
    )
    assert result.exit_code == 1  # its half-life decay: Java's pow() is not Python's
    assert "plg_signups.qual:" in result.output and "half_life" in result.output and "spark" in result.output
    assert "Traceback" not in result.output


def test_cli_bad_as_of_is_a_usage_error():
    result = CliRunner().invoke(
        compile_command, [str(POLICIES / "saas_inbound.qual"), "--target", "sql", "--as-of", "soon"]
    )
    assert result.exit_code == 2 and "as_of" in result.output


@pytest.mark.parametrize(("table", "message"), [
    ("", "the table name is empty"), ("  ", "the table name is empty"),
    ('x"y', '`x"y` is not a table name'),
])
def test_cli_a_table_name_sqlglot_cannot_read_is_a_usage_error(table, message):
    result = CliRunner().invoke(compile_command, [str(POLICIES / "xeducation.qual"), "--target", "sql", "--dialect",
                                                  "postgres", "--table", table, "--as-of", "2026-11-01"])
    assert result.exit_code == 2 and f"qualdsl compile: --table: {message}" in result.output
    assert "internal error" not in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(("table", "quoted"), [
    ("db.schema.leads", "FROM db.schema.leads)"), ('"a.b".c', 'FROM "a.b".c)'),
    ("leads; DROP TABLE x; --", 'FROM "leads; DROP TABLE x; --")'),
])
def test_cli_a_table_name_is_one_relation_whatever_it_holds(table, quoted):
    """Each dotted part is an identifier, quoted when it needs it: text in
    --table never becomes SQL of its own."""
    result = CliRunner().invoke(compile_command, [str(POLICIES / "xeducation.qual"), "--target", "sql", "--table",
                                                  table, "--as-of", "2026-11-01"])
    assert result.exit_code == 0, result.output
    assert quoted in result.output and "DROP TABLE x;" not in result.output.replace(quoted, "")


def test_engine_on_the_real_xeducation_export(tmp_path):
    policy = qualdsl.load(POLICIES / "xeducation.qual")
    export = POLICIES / "data" / "xeducation_sample.csv"
    got = [d.to_dict() for d in decisions(policy, [str(export)], as_of=AS_OF)]
    with export.open(encoding="utf-8-sig", newline="") as handle:
        rows = [{k: (v if v != "" else None) for k, v in row.items()} for row in csv.DictReader(handle)]
    want = [policy.evaluate(row, as_of=AS_OF).to_dict() for row in rows]
    assert len(got) == len(want) > 100
    assert json.dumps(got) == json.dumps(want)
    out = tmp_path / "out.parquet"
    assert score_duckdb(policy, [str(export)], as_of=AS_OF, output_path=str(out)) == len(want)
    flat = connect().read_parquet(str(out)).fetchall()
    assert [r[2] for r in flat] == [w["lead"] for w in want]
    jsonl = tmp_path / "out.jsonl"
    score_duckdb(policy, [str(export)], as_of=dt.datetime(2026, 11, 1, tzinfo=dt.UTC), output_path=str(jsonl))
    first = json.loads(jsonl.read_text(encoding="utf-8").splitlines()[0])
    assert list(first)[:2] == ["policy", "policy_hash"] and first["policy_hash"] == policy.hash
