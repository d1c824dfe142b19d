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
