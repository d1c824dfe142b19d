"""Spark decides hypothesis-generated messy leads exactly as Policy.evaluate:
text columns holding digit strings, `850.0`, `true`/`FALSE`, impossible
dates, zoned and bad datetimes, NULL events and NULL event times, casefold
traps (`Straße`/`STRASSE`, `İ`, Cherokee). The leads and the policy are the
DuckDB differential test's (tests/sql/test_differential.py), with its
half-life block made a step decay (a half-life is refused on Spark)."""

from __future__ import annotations

from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from sql.test_differential import MESSY_POLICY, leads

import qualdsl

from .helpers import same_bits, spark_decisions
from budget import examples

# Spark refuses what it cannot run exactly: a half-life (Java's pow) and int
# arithmetic that could pass 64 bits; those two lines changed, nothing else.
SPARK_POLICY = MESSY_POLICY.replace("decay half_life 10d", "decay 50% every 1d").replace(
    "company.employees * 3 - 1 between 10 and 100", "company.employees between 10 and 100")
TEXT_COLUMNS = ("id", "company.name", "company.employees", "company.revenue", "company.public", "company.founded",
                "company.tech", "company.scores", "seen")


def test_the_spark_variant_compiles() -> None:
    from qualdsl.backends.sql.cli import schema_columns
    from qualdsl.backends.sql.compile import compile_sql

    assert SPARK_POLICY.count("\n") == MESSY_POLICY.count("\n") and SPARK_POLICY != MESSY_POLICY
    policy = qualdsl.loads(SPARK_POLICY)
    assert "ELEMENT_AT" in compile_sql(policy.ir, schema_columns(policy.ir), dialect="spark")


# Each example is one Spark plan (seconds): no shrinking, the assertion shows the lead.
@settings(max_examples=examples(4, quick=1), deadline=None, phases=(Phase.explicit, Phase.reuse, Phase.generate))
@given(st.lists(leads(), min_size=20, max_size=150))
def test_messy_leads_decide_as_in_python(spark, rows):
    from pyspark.sql import types as t

    assert "decay 50% every 1d" in SPARK_POLICY
    event = t.StructType([t.StructField("type", t.StringType()), t.StructField("at", t.StringType())])
    schema = t.StructType([t.StructField(name, t.StringType()) for name in TEXT_COLUMNS]
                          + [t.StructField("events", t.ArrayType(event))])
    frame = spark.createDataFrame([[row[name] for name in TEXT_COLUMNS] + [row["events"]] for row in rows], schema)
    got, want = spark_decisions(spark, frame, qualdsl.loads(SPARK_POLICY))
    assert len(got) == len(rows)
    for g, w in zip(got, want):
        assert same_bits(g, w), (g, w)
