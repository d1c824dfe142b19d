"""Impact on leads, with counts worked out by hand.

small_old -> small_new: SQL threshold 70 -> 65, rule big `employees >= 500`
-> `>= 200`, rule software +30 -> +20. By hand (score old -> new, tier):

  A US 600 software   70 -> 60   SQL -> MQL       (demoted; route ae -> sdr)
  B US 300 software   30 -> 60   nurture -> MQL   (route nurture -> sdr)
  C US 300 retail      0 -> 40   nurture -> MQL   (route nurture -> sdr)
  D US 100 software   30 -> 20   nurture
  E US 600 retail     40 -> 40   MQL, unchanged
  F FR 600 software   70 -> 60   disqualified both; route nurture both
  G US 250 software   30 -> 60   nurture -> MQL   (route nurture -> sdr)
  H                   broken JSON: counted as an error
  I employees "lots"  30 -> 20   nurture (employees treated as missing)
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import qualdsl
from qualdsl.diff.impact import measure_impact
from qualdsl.leads import LeadRecord, read_leads

AS_OF = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


@pytest.fixture
def impact(fixtures: Path):
    old = qualdsl.load(fixtures / "small_old.qual")
    new = qualdsl.load(fixtures / "small_new.qual")
    return measure_impact(old, new, read_leads(str(fixtures / "small.leads.jsonl")), as_of=AS_OF)


def _pairs(transitions) -> list[tuple]:
    return [(t.before, t.after, t.count, t.examples) for t in transitions]


def test_headline_counts(impact) -> None:
    assert (impact.leads, impact.changed) == (8, 7)
    assert (impact.tier_changed, impact.route_changed, impact.icp_changed, impact.score_changed) == (4, 4, 0, 7)
    assert impact.tier_or_route_changed == 4
    assert impact.shifted_percent == 50.0


def test_transitions_with_examples(impact) -> None:
    assert _pairs(impact.tier_transitions) == [("nurture", "MQL", 3, ("B", "C", "G")),
                                               ("SQL", "MQL", 1, ("A",))]
    assert _pairs(impact.route_transitions) == [("nurture", "sdr", 3, ("B", "C", "G")),
                                                ("ae", "sdr", 1, ("A",))]
    assert impact.icp_transitions == ()


def test_demotions(impact) -> None:
    assert (impact.demoted, impact.disqualified) == (1, 0)


def test_score_distribution(impact) -> None:
    assert impact.score_deltas == (("-20 to -10", 4), ("+20 to +50", 3))
    assert (impact.score_delta_min, impact.score_delta_max) == (-10.0, 40.0)
    assert impact.score_delta_mean == pytest.approx(60 / 7)


def test_rules_behind_the_flips(impact) -> None:
    # big changed its firing for B, C, G; software its points for A, B, G.
    assert [(c.cause, c.leads) for c in impact.causes] == [("rule fit.big", 3), ("rule fit.software", 3)]
    assert impact.flips_without_rule_change == 0


def test_unreadable_leads_are_counted_not_dropped(impact) -> None:
    assert len(impact.errors) == 1
    assert impact.errors[0].location.endswith("small.leads.jsonl:8:43")
    assert "invalid JSON" in impact.errors[0].error
    assert impact.to_dict()["errors"] == [{"location": impact.errors[0].location,
                                           "error": impact.errors[0].error}]


def test_threshold_alone_and_icp_transitions() -> None:
    base = """policy p
schema { id: string  n: int  country: string }
icp { require country == "US" else "not US" }
score s { rule r +1 when n > 0 rule big +9 when n > 5 }
tiers { tier hot when score >= 11  tier cold otherwise }
"""
    new = base.replace("score >= 11", "score >= 10").replace('"US" else', '"US" or country == "CA" else')
    leads = [LeadRecord({"id": "x", "n": 7, "country": "US"}, "t:1"),
             LeadRecord({"id": "y", "n": 7, "country": "CA"}, "t:2"),
             LeadRecord({"n": 0, "country": "US"}, "t:3")]
    impact = measure_impact(qualdsl.loads(base), qualdsl.loads(new), leads, as_of=AS_OF)
    # x: 10 points, cold -> hot by the threshold alone; y: disqualified -> hot (ICP now passes).
    assert _pairs(impact.tier_transitions) == [("cold", "hot", 1, ("x",)), ("disqualified", "hot", 1, ("y",))]
    assert _pairs(impact.icp_transitions) == [("fail", "pass", 1, ("y",))]
    assert [(c.cause, c.leads) for c in impact.causes] == [('icp "not US"', 1)]
    assert impact.flips_without_rule_change == 1
    assert impact.score_changed == 0 and impact.changed == 2
    assert impact.to_dict()["route_transitions"] == []


def test_new_policy_counts_every_lead_as_moving() -> None:
    policy = qualdsl.loads("policy p\ntiers { tier all otherwise }")
    impact = measure_impact(None, policy, [LeadRecord({"id": "a"}, "t:1")], as_of=AS_OF)
    assert _pairs(impact.tier_transitions) == [(None, "all", 1, ("a",))]
    assert impact.demoted == 0


def test_a_lead_without_id_is_named_by_its_location() -> None:
    old = qualdsl.loads("policy p\nscore s { rule r +1 when x > 1 }\ntiers { tier a when score > 0  tier b otherwise }")
    new = qualdsl.loads("policy p\nscore s { rule r +1 when x > 0 }\ntiers { tier a when score > 0  tier b otherwise }")
    impact = measure_impact(old, new, [LeadRecord({"x": 1}, "leads.csv:2")], as_of=AS_OF)
    assert _pairs(impact.tier_transitions) == [("b", "a", 1, ("leads.csv:2",))]
