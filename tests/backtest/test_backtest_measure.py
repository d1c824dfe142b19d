"""run_backtest on small hand-counted data: every number is checked against
a count done here, and every left-out row is counted, never dropped."""

from __future__ import annotations

import datetime as dt

import pytest

import qualdsl
from qualdsl.backtest import AsOf, Outcomes, run_backtest
from qualdsl.backtest.inputs import parse_duration
from qualdsl.backtest.measure import boundaries
from qualdsl.leads import LeadRecord

AS_OF = AsOf(dt.datetime(2026, 11, 1, tzinfo=dt.UTC))

POLICY = qualdsl.loads("""
policy small
icp {
  reject country == "XX" as "blocked country"
}
score fit {
  rule big   +30 when employees >= 100
  rule demo  +25 when demo == true
  rule gmail -10 when domain(email) == "gmail.com"
}
score engagement {
  rule visits +10 when visits >= 5
}
tiers {
  tier hot  when score >= 50
  tier warm when fit > 20 or score >= 30
  tier cold otherwise
}
route {
  to "ae"      when tier == hot
  to "sdr"     when tier == warm
  to "nurture" otherwise
}
""")


def record(index: int, lead: object, error: str | None = None) -> LeadRecord:
    return LeadRecord(lead, f"leads.jsonl:{index + 1}", error)


def records(leads: list[dict[str, object]]) -> list[LeadRecord]:
    return [record(i, lead) for i, lead in enumerate(leads)]


def lead(
    employees: int = 10, demo: bool = False, visits: int = 0, won: object = 0, **extra: object
) -> dict[str, object]:
    return {"employees": employees, "demo": demo, "visits": visits, "email": "a@corp.com", "won": won, **extra}


WON = Outcomes.build("won")

# hot: 55 (big+demo) / 65 (big+demo+visits); warm: 30 (big) / 35 (demo+visits); cold: 0 / 10
LEADS = [
    lead(200, True, won=1), lead(200, True, 9, won=1), lead(200, True, won=0),        # hot: 2 of 3
    lead(200, won=1), lead(200, won=0), lead(5, True, 9, won=0), lead(200, won=0),     # warm: 1 of 4
    lead(won=0), lead(visits=6, won=1), lead(won=0),                                   # cold: 1 of 3
    lead(200, True, won=1, country="XX"),                                              # disqualified: 1 of 1
]


def test_groups_and_totals_are_counted() -> None:
    report = run_backtest(POLICY, records(LEADS), WON, AS_OF)
    assert (report.leads, report.positives, report.base_rate) == (11, 5, 5 / 11)
    tiers = {g.name: (g.leads, g.positives, g.rate, g.share) for g in report.tiers}
    assert tiers == {"hot": (3, 2, 2 / 3, 2 / 5), "warm": (4, 1, 1 / 4, 1 / 5),
                     "cold": (3, 1, 1 / 3, 1 / 5), "disqualified": (1, 1, 1.0, 1 / 5)}
    assert [g.name for g in report.tiers] == ["hot", "warm", "cold", "disqualified"]
    routes = {g.name: (g.leads, g.positives) for g in report.routes}
    assert routes == {"ae": (3, 2), "sdr": (4, 1), "nurture": (4, 2)}
    for g in report.tiers:
        assert g.ci_low is not None and g.ci_high is not None and g.ci_low <= g.rate <= g.ci_high  # type: ignore[operator]


def test_rule_stats_and_lift() -> None:
    report = run_backtest(POLICY, records(LEADS), WON, AS_OF)
    rules = {(r.block, r.rule): r for r in report.rules}
    big = rules[("fit", "big")]  # fired on 7 leads (3 hot, 3 warm big, the XX one), 4 won
    assert (big.fired, big.positives_fired) == (7, 4)
    assert big.rate_fired == 4 / 7 and big.rate_not_fired == 1 / 4
    assert big.lift == pytest.approx((4 / 7) / (5 / 11))
    gmail = rules[("fit", "gmail")]  # never fired: no rate, no lift, listed last
    assert (gmail.fired, gmail.rate_fired, gmail.lift, gmail.rate_not_fired) == (0, None, None, 5 / 11)
    assert report.rules[-1].rule == "gmail"
    assert set(report.to_dict()["rules"][0]) == {"block", "rule", "fired", "positives_fired", "rate_fired",
                                                  "rate_not_fired", "lift"}


def test_json_has_exactly_the_issue_keys() -> None:
    data = run_backtest(POLICY, records(LEADS), WON, AS_OF).to_dict()
    assert list(data) == ["policy", "policy_hash", "leads", "positives", "base_rate", "tiers", "routes", "rules",
                          "auc", "deciles", "thresholds", "warnings"]
    assert data["policy"] == "small" and data["policy_hash"] == POLICY.hash
    assert set(data["tiers"][0]) == {"tier", "leads", "positives", "rate", "ci_low", "ci_high", "share"}
    assert set(data["routes"][0]) == {"route", "leads", "positives", "rate", "ci_low", "ci_high", "share"}
    assert list(data["auc"]) == ["total", "fit", "engagement"]


def test_outcome_values_missing_and_unknown_are_counted() -> None:
    won = (1, "1", "TRUE", "yes", True, 1.0, 0, "no", False, "0.0", None, "", "maybe", "maybe", 2)
    rows = [lead(won=v) for v in won]
    report = run_backtest(POLICY, records(rows), WON, AS_OF)
    # "0.0" is not a known negative: only 0/false/no and their equivalents.
    assert (report.leads, report.positives) == (9, 6)
    skipped = {s.reason: s for s in report.skipped}
    assert skipped["outcome missing"].count == 2
    unknown = skipped["outcome not a known value"]
    assert unknown.count == 4 and dict(unknown.values) == {"maybe": 2, "0.0": 1, "2": 1}
    assert any("2 rows left out: outcome missing" in w for w in report.warnings)
    assert any("4 rows left out: outcome not a known value ('maybe' ×2" in w for w in report.warnings)


def test_custom_positive_and_negative_values() -> None:
    outcomes = Outcomes.build("deal.stage", ["Won", "closed won"], ["lost"])
    rows = [{"deal": {"stage": "won"}}, {"deal": {"stage": "Closed Won"}}, {"deal.stage": "LOST"},
            {"deal": {"stage": "open"}}, {"deal": {}}]
    report = run_backtest(POLICY, records(rows), outcomes, AS_OF)  # nested and flat-key lookups both work
    assert (report.leads, report.positives) == (3, 2)
    assert {s.reason: s.count for s in report.skipped} == {"outcome not a known value": 1, "outcome missing": 1}
    # A value named positive wins over the default negatives.
    assert Outcomes.build("x", ["no"]).read({"x": "No"}) == (True, None)


def test_bad_rows_are_counted_with_their_location() -> None:
    rows = [record(0, lead(won=1)), record(1, None, "invalid JSON: Expecting value"), record(2, [1, 2]),
            record(3, "text")]
    report = run_backtest(POLICY, rows, WON, AS_OF)
    assert report.leads == 1
    found = {s.reason: s for s in report.skipped}
    assert found["could not be read"].examples == ("leads.jsonl:2: invalid JSON: Expecting value",)
    assert found["not an object"].count == 2


DECAYING = qualdsl.loads("""
policy decaying
schema {
  created: datetime
}
score recency {
  rule fresh +50 when days_since(created) <= 7
}
tiers {
  tier hot when score >= 50
  tier cold otherwise
}
""")


def test_as_of_field_judges_each_lead_when_it_arrived() -> None:
    rows = [{"created": "2025-01-01", "won": 1}, {"created": "2025-06-01T10:00:00Z", "won": 1},
            {"created": "2025-03-01", "won": 0}, {"created": "not a date", "won": 1}, {"won": 0},
            {"created": 20250101, "won": 1}]
    today = run_backtest(DECAYING, records(rows), WON, AS_OF)
    assert {g.name: g.leads for g in today.tiers} == {"hot": 0, "cold": 6, "disqualified": 0}
    assert "tier hot has no leads" in today.warnings
    on_arrival = run_backtest(DECAYING, records(rows), WON, AsOf.of_field("created", parse_duration("1d")))
    assert {g.name: g.leads for g in on_arrival.tiers} == {"hot": 3, "cold": 0, "disqualified": 0}
    unusable = {s.reason: s for s in on_arrival.skipped}["as-of time unusable"]
    assert unusable.count == 3
    assert unusable.examples == ("leads.jsonl:4: created is not a date or datetime: not a date",
                                 "leads.jsonl:5: created is missing",
                                 "leads.jsonl:6: created is not a date or datetime: 20250101")
    late = run_backtest(DECAYING, records(rows[:3]), WON, AsOf.of_field("created", parse_duration("8d")))
    assert {g.name: g.leads for g in late.tiers}["hot"] == 0  # 8 days after arrival the rule is off


def test_durations_read_as_in_the_language() -> None:
    assert parse_duration("12h") == dt.timedelta(hours=12)
    assert parse_duration("1.5d") == dt.timedelta(hours=36)
    assert parse_duration("2w") == dt.timedelta(days=14)
    for bad in ("", "1", "d", "1m", "-1d", "1 d x"):
        with pytest.raises(ValueError):
            parse_duration(bad)


def test_edge_cases_single_lead_all_positive_no_positive() -> None:
    single = run_backtest(POLICY, records([lead(won=1)]), WON, AS_OF)
    assert (single.leads, single.positives, single.auc["total"]) == (1, 1, None)
    assert [(d.decile, d.leads) for d in single.deciles] == [(10, 1)]
    assert any("every lead converted" in w for w in single.warnings)
    assert any("only 1 lead" in w for w in single.warnings)
    none = run_backtest(POLICY, records([lead(won=0), lead(200, won=0)]), WON, AS_OF)
    assert none.auc == {"total": None, "fit": None, "engagement": None}
    assert all(g.rate in (0.0, None) for g in none.tiers)
    assert all(t.best_f1 is None for t in none.thresholds)
    assert any("no lead converted" in w for w in none.warnings)
    empty = run_backtest(POLICY, [], WON, AS_OF)
    assert empty.leads == 0 and "no usable leads: nothing to measure" in empty.warnings
    assert all(g.leads == 0 and g.rate is None and g.ci_low is None for g in empty.tiers)


def test_a_higher_tier_converting_worse_is_a_warning() -> None:
    rows = [lead(200, True, won=0)] * 10 + [lead(won=1)] * 9 + [lead(won=0)]
    report = run_backtest(POLICY, records(rows), WON, AS_OF)
    assert any(w.startswith("tier hot converts worse (0.0% of 10) than cold below it (90.0% of 10)")
               and "overlap" not in w for w in report.warnings)
    close = [lead(200, True, won=1), lead(200, True, won=0), lead(won=1), lead(won=1), lead(won=0)]
    report = run_backtest(POLICY, records(close), WON, AS_OF)
    assert any("hot converts worse" in w and "the 95% intervals overlap" in w for w in report.warnings)


def test_boundaries_found_in_tier_conditions() -> None:
    assert boundaries(POLICY) == [("hot", "score", ">=", 50.0), ("warm", "fit", ">", 20.0),
                                  ("warm", "score", ">=", 30.0)]
    other = qualdsl.loads("""
policy other
score fit { rule a +1 when x == 1 }
tiers {
  tier a when 40 <= score and icp
  tier b when not score >= 10
  tier c when fit < 5
  tier d otherwise
}
""")
    assert boundaries(other) == [("a", "score", ">=", 40.0)]


def test_threshold_sweep_and_proposals() -> None:
    report = run_backtest(POLICY, records(LEADS), WON, AS_OF, target_volume=0.3)
    hot = report.thresholds[0]
    assert (hot.tier, hot.measure, hot.current, hot.leads) == ("hot", "score", 50.0, 10)  # ICP passers only
    assert hot.at_current is not None and (hot.at_current.volume, hot.at_current.positives) == (3, 2)
    assert hot.target is not None and hot.target.volume == 3  # 30% of 10 leads
    assert hot.best_f1 is not None and hot.best_f1.f1 == max(c.f1 for c in hot.cuts if c.f1 is not None)
    warm_fit = report.thresholds[1]
    # `fit > 20` keeps fit 25 and 30 and 55: the cut at the next value up.
    assert warm_fit.at_current is not None and warm_fit.at_current.threshold == 25.0
    data = report.to_dict()["thresholds"][0]
    assert {"tier", "measure", "current", "at_current", "best_f1", "for_target_volume", "sweep"} <= set(data)


def test_unknown_engine_is_a_key_error_not_a_silent_default() -> None:
    with pytest.raises(KeyError):
        run_backtest(POLICY, records(LEADS), WON, AS_OF, engine="duckdb")
