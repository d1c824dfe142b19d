"""The text explanation accounts for every point of a decision."""

from __future__ import annotations

import datetime as dt

import qualdsl
from qualdsl.explain import explain

POLICY = qualdsl.loads(
    """policy explained
schema {
  id: string
  size: int
  events: events
}
score activity max 100 {
  decay 50% every 7d
  expire after 30d
  rule visits   +5  per event "visit" max 3
  rule demo    +40  per event "demo"
  rule big     +10  when size >= 100
  rule tiny    -20  when size < 5
}
""",
    name="explained.qual",
)

LEAD = {
    "id": "L-1",
    "size": 500,
    "events": [
        {"type": "visit", "at": "2026-10-31T00:00:00Z"},
        {"type": "visit", "at": "2026-10-30T00:00:00Z"},
        {"type": "visit", "at": "2026-10-20T00:00:00Z"},
    ],
}


def _line(text: str, rule: str) -> str:
    return next(line for line in text.splitlines() if f" {rule} " in line)


def test_per_event_rule_shows_how_many_events_and_decay() -> None:
    decision = POLICY.evaluate(LEAD, as_of=dt.date(2026, 11, 1))
    assert decision.rules[0].events == 3
    # 5 + 5 + 5 * 0.5 (the third visit is 12 days old: one 7-day step) = 12.5
    assert decision.rules[0].points == 12.5
    text = explain(decision, POLICY)
    assert "+12.5   (3 events × +5, after decay)" in _line(text, "visits")
    assert "(no events; +40 each)" in _line(text, "demo")


def test_expired_contributions_say_so() -> None:
    # 40 days later every visit is older than 30 days: counted, but worth 0.
    decision = POLICY.evaluate(LEAD, as_of=dt.date(2026, 12, 10))
    text = explain(decision, POLICY)
    assert "(3 events × +5, expired)" in _line(text, "visits")
    assert "(+10, expired)" in _line(text, "big")  # a when-rule ages with the latest activity
    assert "(would give -20)" in _line(text, "tiny")


def test_ledger_json_is_unchanged_by_the_event_count() -> None:
    rules = POLICY.evaluate(LEAD, as_of=dt.date(2026, 11, 1)).to_dict()["rules"]
    assert all(set(rule) == {"block", "rule", "fired", "points"} for rule in rules)
    assert rules[2] == {"block": "activity", "rule": "big", "fired": True, "points": 10.0}
