"""The duckdb backend one lead at a time (DuckDBEvaluator, what the
conformance harness and `qualdsl test --backend duckdb` run): the same
decision JSON as Policy.evaluate, warnings included. Each case is a
difference found by the conformance run, fixed once at its cause."""

from __future__ import annotations

import datetime as dt

import pytest

import qualdsl
from qualdsl import backends

from .helpers import one_lead_both

T = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)

SCHEMA = """policy t
schema {
  id: string
  n: int
  x: number
  s: string
  d: date
  w: datetime
  l: list[string]
  company.employees: int
  a.b.c: int
  events: events
}
score fit {
  rule big 5 when company.employees >= 100 and n > 1
  rule deep 1 when a.b.c == 2
  rule dated 1 when d < 2026-06-01 or w >= 2026-10-01
  rule listed 1 when "x" in l and s not in ["acme"]
  rule demo 10 per event "Demo_Request" where plan == "pro" and seats > 5
  rule other 1 per event "visit" where plan not in ["free"]
}
"""

LEADS = [
    # read_json guessed DATE/TIMESTAMP from ISO text: warnings showed DuckDB's text
    {"n": "2026-01-31T00:00:00", "s": "2026-01-31", "w": "2026-01-31 10:00"},
    {"d": "31-01-2026"},  # an invalid date was a read error
    {"d": "2026-1-31", "w": "0001-01-01T00:00:00+01:00"},
    # not objects: evaluated as {} with a warning
    None, [1, 2], "lead", 5, True,
    # ints Python cannot print (4,300+ digits) and ints beyond 2**64
    # (a number of 10**30 stops the query: tests/sql/test_cannot_hold.py)
    {"id": 10**5000}, {"s": 10**5000}, {"l": [10**5000]}, 10**5000, {"s": -(10**30) - 1},
    # three segments, nested then the flat key; nested null is no flat fallback
    {"a": {"b": {"c": 2}}}, {"a.b.c": 2}, {"a": {"b": 7}, "a.b.c": 2}, {"a": {"b": {"c": None}}, "a.b.c": 2},
    {"company": {"employees": None}, "company.employees": 500, "n": 2},
    {"company": "Acme", "company.employees": "500", "n": "2.0"},
    # lists: nulls dropped, ints are digits, one bad element makes it missing
    {"l": [None, 1, "X", 2.0]}, {"l": ["x", 1.5]}, {"l": "x"},
    # values shown at any depth, with escapes as json.dumps writes them
    {"l": [[[[1, {"a": "b\u001f\u000b\\u001F", "c": [1.5, -0.0, 1e16]}]]]]},
    {"n": {"k": [True, None, "é😀\n"]}},
    # events: malformed elements warned about in order; own keys untyped
    {"events": [
        {"type": "x", "at": "2026-10-31T00:00:00Z"}, {"type": "x"}, {"at": "2026-10-31T00:00:00Z"},
        {"type": 5, "at": "2026-10-31T00:00:00Z"}, {"type": "x", "at": "last tuesday"}, "x", None, [1],
    ]},
    {"events": [
        {"type": "DEMO_REQUEST", "at": "2026-10-31T00:00:00Z", "plan": "PRO", "seats": 6},
        {"type": "demo_request", "at": "2026-10-31T00:00:00Z", "plan": "pro", "seats": "6"},
        {"type": "demo_request", "at": "2026-10-31T00:00:00Z", "plan": "free", "seats": 60},
        {"type": "visit", "at": "2026-10-31T00:00:00Z", "plan": {"tier": "free"}},
        {"type": "visit", "at": "2026-10-31T00:00:00Z", "plan": "FREE"},
        {"type": "visit", "at": "2026-10-31T00:00:00Z"},
    ]},
    {"events": {"type": "x"}}, {"events": "x"}, {"events": None},
    # date and datetime objects (YAML gives them) at the top level are typed
    {"d": dt.date(2026, 1, 31), "w": dt.datetime(2026, 10, 2, 12, 30, tzinfo=dt.UTC), "s": dt.date(2026, 1, 1)},
    {"w": dt.datetime(2026, 10, 2, 12, 30), "id": dt.date(2026, 1, 1)},
]


@pytest.fixture(scope="module")
def policy() -> qualdsl.Policy:
    return qualdsl.loads(SCHEMA)


@pytest.fixture(scope="module")
def duckdb_backend(policy: qualdsl.Policy) -> backends.Evaluator:
    return backends.evaluator("duckdb", policy.ir)


@pytest.mark.parametrize("lead", LEADS, ids=range(len(LEADS)))
def test_same_decision_as_python(policy, duckdb_backend, lead):
    want = policy.evaluate(lead, as_of=T).to_dict()
    got = duckdb_backend.evaluate(lead, as_of=T).to_dict()
    assert got == want
    assert repr(got["scores"]) == repr(want["scores"])  # to the bit


def test_as_of_is_a_parameter_of_one_compiled_select(policy):
    evaluator = backends.evaluator("duckdb", policy.ir)
    for moment in (T, "2026-10-01T12:00:00.5+02:00", dt.datetime(2025, 1, 1)):
        lead = {"w": "2026-10-01T00:00:00Z", "events": [{"type": "visit", "at": "2025-06-01T00:00:00Z"}]}
        assert evaluator.evaluate(lead, as_of=moment).to_dict() == policy.evaluate(lead, as_of=moment).to_dict()
    assert len(evaluator.compiled) == 1  # one shape of column types: compiled once


def test_an_untyped_event_key_in_arithmetic_is_refused_located():
    from qualdsl.backends.sql.errors import SqlRefused

    text = "policy t\nschema {\n  events: events\n}\nscore s {\n  rule r 1 per event \"x\" where seats + 1 > 5\n}\n"
    evaluator = backends.evaluator("duckdb", qualdsl.loads(text).ir)
    with pytest.raises(SqlRefused, match="arithmetic on an untyped value"):
        evaluator.evaluate({}, as_of=T)


@pytest.mark.parametrize("lead", [
    {"company.employees": None},
    {"company": None, "company.employees": None},
    {"company": {}, "company.employees": None},
    {"company": "Acme", "company.employees": None},
    {"id": None, "company": {"employees": None}},
])
def test_a_top_level_json_null_is_missing_without_a_warning(lead):
    """A flat key holding null (`{"company.employees": null}`) is missing, as
    in Python: the evaluator passed it as the JSON value null, which the
    coercion showed ("expected int, got null"); read_json gives SQL NULL."""
    policy = qualdsl.loads(
        "policy p\nschema {\n  id: string\n  company.employees: int\n}\n"
        "score s {\n  rule big 1 when company.employees > 10\n  rule none 1 when company.employees is missing\n}\n")
    got = backends.evaluator("duckdb", policy.ir).evaluate(lead, as_of="2026-11-01")
    want = policy.evaluate(lead, as_of="2026-11-01")
    assert got == want
    assert got.warnings == [] and got.scores["s"] == 1.0


@pytest.mark.parametrize("lead", [
    {"s": "a\ud800"},
    {"company": {"\udc80": 1}},
    {"events": [{"type": "visit", "at": "2026-10-01T00:00:00Z", "note": ["\udfff"]}]},
])
def test_a_lone_surrogate_is_refused_by_name_not_a_crash(policy, duckdb_backend, lead):
    """Python keeps a lone surrogate (JSON's `\\ud800`); DuckDB text is UTF-8
    only, and passing one raised DuckDB's conversion error from evaluate."""
    (name,) = lead
    with pytest.raises(backends.LeadRefused, match=f"`{name}` holds a lone surrogate"):
        duckdb_backend.evaluate(lead, as_of=T)
    fine = {"s": "a\U0001f600"}
    assert duckdb_backend.evaluate(fine, as_of=T).to_dict() == policy.evaluate(fine, as_of=T).to_dict()


@pytest.mark.parametrize(("kind", "value"), [
    ("int", "007"), ("int", "x"), ("int", 12.0), ("number", "3.0"), ("number", "1e3"), ("number", 12.5),
    ("number", 1e20), ("list[number]", 561), ("bool", "true"), ("date", "2026-01-01"),
    ("datetime", "2026-01-01T00:00:00Z"), ("string", 7.0),
])
def test_the_lead_is_the_declared_id_as_coerced_then_as_text(kind, value):
    """`lead` is the id field's coerced value as text (runtime.lead_id): an
    `id: int` of "007" is "7", an id its type rejects or that is no text (a
    list, a bool, a time) is null. The SQL gave the raw value's text."""
    policy = qualdsl.loads(f"policy t\nschema {{\n  id: {kind}\n}}\nscore s {{\n  rule r 1 when id is present\n}}\n")
    got, want = one_lead_both(policy, {"id": value}, as_of=T)
    assert got == want
    assert want["lead"] == {"007": "7", 12.0: "12", "3.0": "3", 1e20: "100000000000000000000", 7.0: "7"}.get(value)
