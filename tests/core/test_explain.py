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
    assert '(no events of type "demo"; +40 each)' in _line(text, "demo")


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


WHERE_POLICY = qualdsl.loads(
    """policy filtered
schema {
  id: string
  events: events
}
score intent {
  rule pricing  +10  per event "page_view" where page == "pricing"
  rule demo     +40  per event "demo"
}
""",
    name="filtered.qual",
)


def _views(*pages: str) -> dict:
    return {
        "id": "L-2",
        "events": [{"type": "page_view", "at": "2026-10-30T00:00:00Z", "page": page} for page in pages],
    }


def test_events_outside_the_where_are_counted_apart() -> None:
    decision = WHERE_POLICY.evaluate(_views("home", "blog"), as_of=dt.date(2026, 11, 1))
    pricing = decision.rules[0]
    assert (pricing.fired, pricing.events, pricing.skipped) == (False, 0, 2)
    text = explain(decision, WHERE_POLICY)
    assert '(no matching events: 2 of type "page_view" outside the `where`; +10 each)' in _line(text, "pricing")
    # A rule without `where` has nothing to skip: a lead without its events has none.
    assert decision.rules[1].skipped is None
    assert '(no events of type "demo"; +40 each)' in _line(text, "demo")


def test_a_fired_rule_says_how_many_events_the_where_left_out() -> None:
    decision = WHERE_POLICY.evaluate(_views("pricing", "home"), as_of=dt.date(2026, 11, 1))
    assert (decision.rules[0].events, decision.rules[0].skipped) == (1, 1)
    text = explain(decision, WHERE_POLICY)
    assert "(1 event × +10; 1 outside the `where`)" in _line(text, "pricing")
    assert set(decision.to_dict()["rules"][0]) == {"block", "rule", "fired", "points"}


def test_lead_text_cannot_drive_the_terminal() -> None:
    hostile = "L\x1b[2J\x1b]0;owned\x07\u202e\r\ud800"
    decision = POLICY.evaluate({**LEAD, "id": hostile, "size": "big"}, as_of=dt.date(2026, 11, 1))
    assert decision.warnings  # "big" is not an int: a warning quoting the lead
    text = explain(decision, POLICY)
    assert "\x1b" not in text and "\x07" not in text and "\r" not in text and "\u202e" not in text
    assert "lead L\\u001b[2J\\u001b]0;owned\\u0007\\u202e\\u000d\\ud800 " in text
    text.encode("utf-8")  # no lone surrogate left: any terminal encoding can print it
    # Colour, asked for, is the only escape sequence in the text.
    coloured = explain(decision, POLICY, color=True)
    assert "\x1b[2J" not in coloured and "\x1b[1m" in coloured


def test_hostile_warning_text_is_escaped() -> None:
    decision = POLICY.evaluate({**LEAD, "size": "\x1b[31mred"}, as_of=dt.date(2026, 11, 1))
    text = explain(decision, POLICY)
    warning_lines = text.split("warnings\n", 1)[1]
    assert "\\u001b[31mred" in warning_lines and "\x1b" not in warning_lines


def test_regression_a_lead_with_other_events_is_not_told_it_has_none() -> None:
    """Rough edge of issue 13: `explain` said "no events" to a lead whose
    events were all of other types; it names the type it looked for."""
    decision = WHERE_POLICY.evaluate(_views("home", "blog"), as_of=dt.date(2026, 11, 1))
    line = _line(explain(decision, WHERE_POLICY), "demo")
    assert "(no events;" not in line
    assert '(no events of type "demo"; +40 each)' in line
