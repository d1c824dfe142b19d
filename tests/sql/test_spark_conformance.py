"""Differences the conformance corpus found on Spark, fixed in the rewrite
(dialects.py): here, what the compile gives; tests/sql_engines runs them
on a real Spark."""

from __future__ import annotations

import pytest

import qualdsl
from qualdsl.backends.sql.compile import compile_sql

STRING_FIELD = 'policy t\nschema {\n  name: string\n}\nscore s {\n  rule r 1 when name == "850"\n}\n'


def test_a_number_read_as_a_string_field_compiles_for_spark_through_bigint() -> None:
    # Regression: str(int(850.0)) is "850"; DuckDB casts through HUGEINT, which
    # Spark has not, so a DOUBLE column for a string field was refused outright
    # ("integer arithmetic beyond 64 bits"). Now exact below 2**63, an error beyond.
    policy = qualdsl.loads(STRING_FIELD)
    sql = compile_sql(policy.ir, {"name": "DOUBLE"}, dialect="spark")
    assert "AS BIGINT) AS STRING)" in sql
    assert "qualdsl: spark cannot show an integral number beyond 64 bits exactly" in sql
    assert "HUGEINT" not in sql.upper() and "DECIMAL" not in sql.upper()


def test_integer_arithmetic_that_could_pass_64_bits_is_still_refused_by_name() -> None:
    policy = qualdsl.loads('policy t\nschema {\n  n: int\n}\nscore s {\n  rule r 1 when n + 1 > 3\n}\n')
    with pytest.raises(qualdsl.QualError) as refused:
        compile_sql(policy.ir, {"n": "BIGINT"}, dialect="spark")
    assert "integer arithmetic beyond 64 bits cannot be compiled exactly to spark SQL" in str(refused.value)
    assert "<string>:6:" in str(refused.value)  # located at the rule's condition


def test_a_naive_timestamp_column_is_read_from_its_parts_and_shown_in_a_warning() -> None:
    # Regression (the spark backend gives YAML's naive datetimes as TIMESTAMP_NTZ):
    # refused outright before, and a warning showing a timestamp left DuckDB's
    # list_extract in the Spark SQL (the rewrite mapped only the children of its result).
    policy = qualdsl.loads('policy t\nschema {\n  seen: datetime\n  born: bool\n}\n'
                           'score s {\n  rule r 1 when seen >= 2026-10-01T00:00:00Z\n}\n')
    sql = compile_sql(policy.ir, {"seen": "TIMESTAMP", "born": "TIMESTAMPTZ"}, dialect="spark")
    assert "DATE_PART('SECOND', `seen`) * 1000000 AS BIGINT)" in sql
    assert "UNIX_MICROS(`seen`)" not in sql  # it would read the naive time in the session time zone
    assert "LIST_EXTRACT" not in sql.upper()
