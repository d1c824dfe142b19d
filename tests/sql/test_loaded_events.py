"""What each loaded event holds in the SELECT compiled for DuckDB, and how a
per-event rule adds its points. Every reader of the loaded list copies its
elements, so an event keeps `type` as it is only when a condition reads it
so (`matches`, `len`, `lower`): comparisons read its casefold. A rule's
points are added to the running sum in one list_reduce, in the order the
Python backend adds them. The decisions stay Python's either way."""

from __future__ import annotations

import datetime as dt
import re

import pytest

import qualdsl
from qualdsl.backends.sql.cli import schema_columns
from qualdsl.backends.sql.compile import compile_sql

from .helpers import one_lead_both

T = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)

HEAD = """policy loaded
schema {
  id: string
  events: events
}
"""

FOLDED_ONLY = HEAD + """score engagement {
  decay 10% every 7d
  rule demo     0.1 per event "Demo" max 3
  rule clicks   0.7 per event "click"
  rule pricing  5 when count(events where type == "PRICING" within 30d) >= 2
}
tiers {
  tier A when engagement > 0.3
  tier B otherwise
}
"""

# Each reads `type` as it is, in a different place: a per-event rule's
# `where`, a `count` in a tier, a `count` in a route.
RAW_TYPE = {
    "rule": HEAD + """score engagement {
  rule demo 1 per event "demo" where type matches /^De/
}
""",
    "tier": HEAD + """score engagement {
  rule demo 1 per event "demo"
}
tiers {
  tier A when count(events where len(type) > 4) >= 2
  tier B otherwise
}
""",
    "route": HEAD + """score engagement {
  rule demo 1 per event "demo"
}
route {
  to "lower" when count(events where lower(type) == type) >= 1
  to "pool" otherwise
}
""",
}


def ago(days: float, kind: str) -> dict[str, str]:
    at = T - dt.timedelta(days=days)
    return {"type": kind, "at": at.isoformat().replace("+00:00", "Z")}


LEADS = [
    {"id": "none"},
    {"id": "empty", "events": []},
    # 0.1 + 0.1 + 0.1 in the contract's order (most recent first) is not the
    # same float as in another; four clicks at 0.7 decayed over four steps.
    {"id": "sums", "events": [ago(1, "demo"), ago(8, "DEMO"), ago(15, "Demo"), ago(22, "demo"),
                              ago(2, "click"), ago(9, "CLICK"), ago(16, "click"), ago(40, "click")]},
    {"id": "cased", "events": [ago(1, "Demo"), ago(2, "pricing"), ago(3, "Pricing"), ago(4, "PRICING"),
                               ago(5, "ſtraße")]},
    {"id": "odd", "events": [None, {"type": 5, "at": "2026-10-01T00:00:00Z"}, ago(-3, "demo"), ago(1, "demo")]},
]


EVENTS = 'STRUCT("type" VARCHAR, "at" TIMESTAMP WITH TIME ZONE)[]'  # a warehouse's events column


def _sql(policy: qualdsl.Policy) -> str:
    return compile_sql(policy.ir, {**schema_columns(policy.ir), "events": EVENTS}, as_of=T)


def _loaded_members(sql: str) -> list[str]:
    """The member names of a loaded event (the STRUCT built from `__v`)."""
    found = re.findall(r"\{'at': CASE WHEN [^{}]*? THEN EPOCH_US\(__v\.\"at\"\) END, (?:'(type)': __v\.\"type\", )?"
                       r"'folded': ", sql)
    # Two equal copies: the loaded events and the check for a malformed
    # element, which DuckDB computes once (events._window_unsorted).
    assert len(found) == 2 and found[0] == found[1], "not one loaded event STRUCT, twice, in the SQL"
    return ["at", *filter(None, found[0:1]), "folded"]


@pytest.mark.parametrize("source", [FOLDED_ONLY, *RAW_TYPE.values()], ids=["folded", *RAW_TYPE])
@pytest.mark.parametrize("lead", LEADS, ids=[lead["id"] for lead in LEADS])
def test_same_decision_as_python(source, lead):
    got, want = one_lead_both(qualdsl.loads(source), lead, as_of=T)
    assert got == want


def test_an_event_holds_no_type_when_only_its_casefold_is_read():
    assert _loaded_members(_sql(qualdsl.loads(FOLDED_ONLY))) == ["at", "folded"]


@pytest.mark.parametrize("where", list(RAW_TYPE))
def test_an_event_keeps_its_type_when_a_condition_reads_it_as_it_is(where):
    assert _loaded_members(_sql(qualdsl.loads(RAW_TYPE[where]))) == ["at", "type", "folded"]


def test_the_benchmark_policy_loads_events_without_type():
    policy = qualdsl.load("policies/saas_inbound.qual")
    assert _loaded_members(_sql(policy)) == ["at", "folded"]


def test_a_rules_points_are_added_in_one_reduce():
    sql = _sql(qualdsl.loads(FOLDED_ONLY))
    # Each per-event rule's reduce adds to the running sum `__a` itself; no
    # list of points is made first.
    assert len(re.findall(r"LAMBDA __a, __e : __a \+ \(", sql)) == 2
    assert "LAMBDA __a, __x : __a + __x" not in sql


def test_a_set_of_six_or_more_is_no_join():
    # DuckDB plans list_contains over six or more constants as a hash join
    # (which also reorders rows); list_position is planned as a function.
    from qualdsl.backends.sql.duckdb_engine import connect

    policy = qualdsl.load("policies/saas_inbound.qual")
    sql = _sql(policy)
    assert "LIST_POSITION(['us', 'ca', 'gb', 'de', 'fr', 'nl'], __k4)" in sql
    connection = connect()
    columns = {**schema_columns(policy.ir), "events": EVENTS}
    connection.execute(f"CREATE TABLE leads ({', '.join(f'{name} {kind}' for name, kind in columns.items())})")
    plan = connection.execute("EXPLAIN " + sql.rstrip().rstrip(";")).fetchall()[0][1]
    assert "PROJECTION" in plan.upper().replace(" ", "_") and "JOIN" not in plan.upper()
