"""Spark: the compiled SELECT (dialect spark) decides every lead exactly as
Policy.evaluate does, on a real local Spark; what cannot be exact is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import qualdsl
from qualdsl.backends.sql.errors import SqlRefused

from .helpers import same_bits, spark_decisions

POLICIES = Path(__file__).resolve().parents[2] / "policies"
BUNDLED = sorted(p for p in POLICIES.glob("*.qual") if p.with_suffix(".leads.jsonl").exists())


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_bundled_policies_on_their_leads(spark, path):
    policy = qualdsl.load(path)
    frame = spark.read.json(str(path.with_suffix(".leads.jsonl")))
    got, want = spark_decisions(spark, frame, policy)
    assert len(got) == len(want) > 0
    for g, w in zip(got, want):
        assert same_bits(g, w), (g, w)
