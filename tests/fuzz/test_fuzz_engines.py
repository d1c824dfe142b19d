"""Generated policies on generated hostile leads: the duckdb backend
decides each lead exactly as Policy.evaluate does (the decision JSON, to the
bit), or refuses it by name (SqlRefused, LeadRefused) — never a different
decision, never another exception.

A lead holding a value Python holds exactly and SQL cannot (an int beyond
64 bits, a number that is an int beyond 2**53, ...: docs/sql.md, "Values
SQL cannot hold") is refused by name (LeadRefused), so no lead is skipped.
What this found, fixed at its cause with a regression test each: a declared
non-string `id` was the raw value's text in SQL (tests/sql/test_one_lead.py),
and a lone surrogate crashed the evaluator."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from fuzz_budget import fuzz_settings, no_hang
from hypothesis import assume, given

import qualdsl
from qualdsl import backends
from qualdsl.backends.sql.errors import SqlRefused

import fuzz_strategies as fs

pytestmark = pytest.mark.fuzz
pytest.importorskip("duckdb")

AS_OF = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
LEADS_PER_POLICY = 4


def exact(decision: qualdsl.Decision) -> str:
    return json.dumps(decision.to_dict(), sort_keys=True, allow_nan=True)  # repr of every float: to the bit


@fuzz_settings(weight=0.5)
@given(data=fs.st.data())
def test_duckdb_decides_generated_policies_as_python_or_refuses(data: fs.st.DataObject) -> None:
    text = data.draw(fs.policies(), label="policy")
    try:
        policy = qualdsl.loads(text)
    except qualdsl.QualError:
        assume(False)
    evaluator = backends.evaluator("duckdb", policy.ir)
    fields = tuple((policy.schema or {}).keys())
    for _ in range(LEADS_PER_POLICY):
        lead = data.draw(fs.leads(fields), label="lead")
        want = policy.evaluate(lead, as_of=AS_OF)
        with no_hang():
            try:
                got = evaluator.evaluate(lead, as_of=AS_OF)
            except SqlRefused:
                return  # the policy: refused by name, located
            except backends.LeadRefused:
                continue
        assert exact(got) == exact(want)
