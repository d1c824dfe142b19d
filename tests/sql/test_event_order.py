"""The order of a lead's events in the SELECT compiled for DuckDB: a decayed
per-event rule sorts the `at`s of the events it matched (not the events),
and only when the order can change its points: more than K events, or more
than two (a float sum of two is the same either way). A rule without decay
never sorts. The decisions stay Python's, on leads where summing in input
order, or taking the first K in input order, would give other points."""

from __future__ import annotations

import datetime as dt
import re

import pytest

import qualdsl
from qualdsl.backends.sql.cli import schema_columns
from qualdsl.backends.sql.compile import compile_sql

from .helpers import one_lead_both

T = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)

POLICY = """policy order
schema {
  id: string
  events: events
}
score engagement {
  decay half_life 7d
  rule visit    3 per event "visit"
  rule demo     5 per event "demo" max 1
  rule webinar  2 per event "webinar" where channel == "web" max 2
}
score steps {
  decay 10% every 7d
  expire after 30d
  rule click    1 per event "click" max 2
}
score plain {
  rule download 4 per event "download" max 2
}
tiers {
  tier A otherwise
}
"""


def ago(days: float, kind: str, **keys: object) -> dict[str, object]:
    at = T - dt.timedelta(days=days)
    return {"type": kind, "at": at.isoformat().replace("+00:00", "Z"), **keys}


# Ages (days) whose decayed points sum to another float in input order, and
# in reversed input order, than most recent first: the test below checks it.
UNSORTED_VISITS = [8.68, 38.62, 17.45]

LEADS = [
    {"id": "visits-out-of-order", "events": [ago(d, "visit") for d in UNSORTED_VISITS]},
    {"id": "two-visits", "events": [ago(9, "visit"), ago(2, "visit")]},
    {"id": "demo-older-first", "events": [ago(20, "demo"), ago(3, "demo")]},
    {"id": "demo-newer-first", "events": [ago(3, "demo"), ago(20, "DEMO")]},
    {"id": "webinars-tied", "events": [ago(5, "webinar", channel="web")] * 3},
    {"id": "webinars-mixed", "events": [
        ago(1, "webinar", channel="email"), ago(30, "webinar", channel="web"),
        ago(2, "webinar", channel="WEB"), ago(12, "webinar", channel="web")]},
    {"id": "clicks-expired-and-tied", "events": [
        ago(40, "click"), ago(6.5, "click"), ago(13, "click"), ago(6.5, "click"), ago(1, "click")]},
    {"id": "downloads", "events": [ago(50, "download"), ago(1, "download"), ago(9, "download")]},
    {"id": "one-each", "events": [ago(3, "visit"), ago(3, "demo"), ago(3, "click"), ago(3, "download")]},
    {"id": "future-and-malformed", "events": [
        ago(-2, "visit"), {"type": "visit"}, ago(4, "visit"), ago(6, "visit"), ago(-1, "demo"), None]},
    {"id": "no-events"},
    {"id": "events-not-a-list", "events": "visit"},
]


@pytest.fixture(scope="module")
def policy() -> qualdsl.Policy:
    return qualdsl.loads(POLICY)


def _sum(values: list[float]) -> float:
    # Not sum(): from Python 3.12 it adds floats with compensation.
    total = 0.0
    for value in values:
        total += value
    return total


def test_the_visits_sum_differently_in_input_order():
    points = [3 * 0.5 ** (dt.timedelta(days=days) / dt.timedelta(days=7)) for days in UNSORTED_VISITS]
    most_recent_first = _sum(sorted(points, reverse=True))
    assert _sum(points) != most_recent_first
    assert _sum(points[::-1]) != most_recent_first


@pytest.mark.parametrize("lead", LEADS, ids=[lead["id"] for lead in LEADS])
def test_same_decision_as_python(policy, lead):
    got, want = one_lead_both(policy, lead, as_of=T)
    assert got == want


def test_decayed_rules_sort_their_ats_and_a_rule_without_decay_does_not_sort(policy):
    sql = compile_sql(policy.ir, schema_columns(policy.ir), as_of=T)
    # visit, demo, webinar and click decay: each sorts a list of `at`s; download does not decay.
    assert len(re.findall(r"LIST_REVERSE_SORT\(LIST_TRANSFORM\(", sql)) == 4
    assert sql.count("LIST_REVERSE_SORT(") == 4
    # Left unsorted up to two events (one for `max 1`).
    assert len(re.findall(r"\) <= 2 THEN LIST_TRANSFORM\(", sql)) == 3
    assert len(re.findall(r"\) <= 1 THEN LIST_TRANSFORM\(", sql)) == 1
