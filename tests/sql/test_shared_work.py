"""Work the compiled SELECT does once per row: a built-in's result on the
lead's fields (`domain(person.email)`) is a column of its own, and a `when`
rule's condition is computed once for its `fired` and its points. The
decisions stay Python's; the SQL shows the work is not repeated."""

from __future__ import annotations

import datetime as dt
import re

import pytest

import qualdsl
from qualdsl.backends.sql.cli import schema_columns
from qualdsl.backends.sql.compile import compile_sql

from .helpers import one_lead_both

T = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)

POLICY = """policy shared
schema {
  id: string
  person.email: string
  backup: string
  tech: list[string]
  events: events
}
icp {
  reject domain(person.email) in ["gmail.com", "GMAIL.CO"] as "personal email address"
}
score fit {
  rule work_domain   5 when domain(person.email) ends_with ".io"
  rule same_domain   3 when domain(person.email) == domain(backup)
  rule lowered       2 when lower(domain(person.email)) contains "straße"
  rule uses_crm      4 when "SalesForce" in tech and domain(person.email) != "acme.com"
  rule demo         10 per event "demo" where channel == "web"
}
tiers {
  tier A when fit >= 5
  tier B otherwise
}
route {
  to "io-desk" when domain(person.email) ends_with ".io"
  to "pool" otherwise
}
"""

LEADS = [
    {"id": "1", "person": {"email": "Ana@Example.IO"}, "backup": "x@example.io", "tech": ["salesforce"]},
    {"id": "2", "person": {"email": "bo@GMAIL.com"}},
    {"id": "3", "person.email": "ß@STRASSE.de", "backup": "a@strasse.DE", "tech": ["SALESFORCE", None]},
    {"id": "4", "person": {"email": "no-at-sign"}, "backup": "also-none"},
    {"id": "5", "person": {"email": "a@b@acme.com"}, "tech": ["salesforce"]},
    {"id": "6", "person": {"email": "İ@İ.io"}, "backup": "x@i̇.io"},
    {"id": "7", "person": {"email": 42}, "backup": "X@Example.IO", "events": [
        {"type": "DEMO", "at": "2026-10-01T00:00:00Z", "channel": "WEB"},
        {"type": "demo", "at": "2026-10-02T00:00:00Z", "channel": 5}]},
    {"id": "8"},
]


@pytest.fixture(scope="module")
def policy() -> qualdsl.Policy:
    return qualdsl.loads(POLICY)


@pytest.mark.parametrize("lead", LEADS, ids=[lead["id"] for lead in LEADS])
def test_same_decision_as_python(policy, lead):
    got, want = one_lead_both(policy, lead, as_of=T)
    assert got == want


def test_each_call_on_the_fields_is_computed_once(policy):
    sql = compile_sql(policy.ir, schema_columns(policy.ir), as_of=T)
    # domain(person.email) is read by the ICP, three rules and a route; the
    # email is split once, domain(backup) once more.
    assert len(re.findall(r"STR(?:ING)?_SPLIT\(", sql, re.IGNORECASE)) == 2


def test_a_when_rules_condition_is_computed_once(policy):
    sql = compile_sql(policy.ir, schema_columns(policy.ir), as_of=T)
    # The list test of `uses_crm` (a casefold per element) once, not again for its points.
    assert sql.count("LIST_BOOL_OR(") == 1
    assert "CASE WHEN __h4 THEN CAST(4.0 AS DOUBLE) ELSE CAST(0.0 AS DOUBLE) END AS __p4" in sql
