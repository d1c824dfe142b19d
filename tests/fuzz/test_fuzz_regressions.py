"""Regression tests for what the fuzzers found, one per class (issue 13's
names), beside the properties that keep the class fixed."""

from __future__ import annotations

import datetime as dt

import pytest
from fuzz_properties import check_lead

import qualdsl

AS_OF = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)

MATCHING = qualdsl.loads("""
policy p
schema { name: string }
score s {
  rule any_char  +1 when name matches /^.$/
  rule a_then_b  +2 when name matches /^a.b$/
  rule has_x     +4 when name matches /x/
}
""")


@pytest.mark.parametrize(("name", "fired"), [
    ("\ud800", {"any_char"}),
    ("a\udc80b", {"a_then_b"}),
    ("\ud83dx", {"has_x"}),  # half of a pair, then a real match
    ("\ud83d\ude00", set()),  # two lone halves are two characters, not one emoji
])
def test_lead_data_lone_surrogate_in_a_matched_field(name: str, fired: set[str]) -> None:
    # RE2 searches UTF-8, which cannot hold a lone surrogate: the search used
    # to raise UnicodeEncodeError out of evaluate. Now each counts as one character.
    decision = check_lead(MATCHING, {"name": name}, AS_OF)
    assert {rule.rule for rule in decision.fired()} == fired


NUMBERS = qualdsl.loads("""
policy p
schema { id: string
         n: number }
score s { rule positive +1 when n > 0 }
""")


@pytest.mark.parametrize("text", ["9" * 400, "-" + "9" * 400, "7" * 5000])
def test_lead_data_decimal_text_that_overflows_is_missing(text: str) -> None:
    # Issue 13, "Lead data": hundreds of digits in a CSV cell (or an integer of
    # more than 4,300 digits in JSONL, kept as its text) made float() give inf,
    # and a number field took it silently. Numbers are finite: missing, warned.
    decision = check_lead(NUMBERS, {"id": "x", "n": text}, AS_OF)
    assert decision.fired() == ()
    assert len(decision.warnings) == 1
    assert decision.warnings[0].startswith(f'n: expected number, got "{text[:20]}')
    assert decision.warnings[0].endswith("; treated as missing")


def test_lead_data_a_jsonl_integer_past_4300_digits_is_missing() -> None:
    from qualdsl.batch.inputs import parse_json

    lead = parse_json('{"id": "x", "n": ' + "7" * 5000 + "}")
    decision = check_lead(NUMBERS, lead, AS_OF)
    assert decision.fired() == () and len(decision.warnings) == 1
    assert decision.warnings[0].endswith("; treated as missing")
