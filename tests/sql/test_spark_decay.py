"""Step decay on Spark without pow(): the factors are a table computed by
Python's own `**` (Java's Math.pow differs from C's in the last bit). Run
against a real Spark in tests/sql_engines; here, what the table holds and
what is refused."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import qualdsl
from qualdsl.backends.sql.cli import schema_columns
from qualdsl.backends.sql.compile import compile_sql
from qualdsl.backends.sql.dialects import MAX_DECAY_TABLE, decay_table
from qualdsl.errors import QualError

POLICIES = Path(__file__).resolve().parents[2] / "policies"


@pytest.mark.parametrize("keep, max_steps", [(0.9, 12), (0.85, 8), (0.5, None), (0.0, None), (1.0, None)])
def test_the_table_holds_pythons_factors_and_what_every_later_step_gives(keep: float, max_steps: int | None) -> None:
    table = decay_table(keep, max_steps)
    assert table is not None
    factors, later = table
    assert factors == [keep ** k for k in range(len(factors))]
    if max_steps is not None:
        assert len(factors) == max_steps + 1  # an older event has expired: its factor is never read
    else:
        assert all(keep ** k == later for k in range(len(factors), len(factors) + 3000))


def test_a_decay_that_needs_too_long_a_table_is_none() -> None:
    assert 0.9 ** MAX_DECAY_TABLE > 0.0
    assert decay_table(0.9, None) is None
    assert decay_table(0.9, MAX_DECAY_TABLE * 2) is None


def test_the_contracts_policy_compiles_for_spark_without_pow() -> None:
    policy = qualdsl.load(POLICIES / "saas_inbound.qual")  # decay 10% every 7d, expire after 90d
    sql = compile_sql(policy.ir, schema_columns(policy.ir), dialect="spark")
    assert "POW" not in sql.upper().replace("POWER", "POW")
    assert "ELEMENT_AT(ARRAY(CAST('1.0' AS DOUBLE), CAST('0.9' AS DOUBLE), CAST('0.81' AS DOUBLE)" in sql


@pytest.mark.parametrize("decay, construct", [
    ("decay 10% every 7d", "takes more than 2048 steps to reach 0"),
    ("decay half_life 14d", "decay half_life"),
])
def test_what_cannot_be_a_table_is_refused_at_the_block(decay: str, construct: str) -> None:
    policy = qualdsl.loads(f'policy p "P"\nschema {{\n  id: string\n  events: events\n}}\n'
                           f'score engagement {{\n  {decay}\n  rule click +1 per event "email_click"\n}}\n',
                           path="p.qual")
    with pytest.raises(QualError) as caught:
        compile_sql(policy.ir, schema_columns(policy.ir), dialect="spark")
    text = str(caught.value)
    assert construct in text and "spark SQL" in text and "p.qual:" in text and "p.qual:1:1" not in text


def test_typed_event_times_compile_for_spark_with_spark_functions_only():
    """An event's `at` as a TIMESTAMP inside a LIST of STRUCTs (a warehouse's
    typing): its type is the compiler's mark on epoch_us, since a lambda's
    member has no column type; and the rebuilt datetime text's own root is
    mapped too (it was left as DuckDB's LIST_EXTRACT, which Spark rejects)."""
    import re

    policy = qualdsl.load(Path(__file__).resolve().parents[2] / "policies" / "saas_inbound.qual")
    for at in ("TIMESTAMPTZ", "TIMESTAMP", "DATE"):
        columns = {"id": "VARCHAR", "company": 'STRUCT("employees" BIGINT, "tech" VARCHAR[])',
                   "events": f'STRUCT("type" VARCHAR, "at" {at})[]'}
        sql = compile_sql(policy.ir, columns, dialect="spark", as_of=dt.datetime(2026, 11, 1, tzinfo=dt.UTC))
        assert "UNIX_" in sql, at
        assert not re.search(r"\b(LIST_EXTRACT|LIST_TRANSFORM|EPOCH_US)\(", sql), at
