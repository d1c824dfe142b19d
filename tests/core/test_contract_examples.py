"""The contract's whole-policy example, evaluated on leads whose decisions
were computed BY HAND from the contract text (arithmetic in the comments).

tests/cases/parse/saas_inbound.qual is the example copied verbatim from the
language contract ("A whole policy").
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import pytest

import qualdsl

from qd_helpers import on_backend

POLICY_PATH = Path(__file__).resolve().parents[1] / "cases" / "parse" / "saas_inbound.qual"
T = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
DECAY = 0.9  # `decay 10% every 7d`: factor 0.9 ** floor(age / 7d)


@pytest.fixture(scope="module")
def loaded() -> qualdsl.Policy:
    return qualdsl.load(POLICY_PATH)


@pytest.fixture
def policy(loaded: qualdsl.Policy, backend: str) -> object:
    """The example as each backend runs it (the conformance harness)."""
    return on_backend(loaded, backend)


def assert_same(actual, expected, where="decision"):
    """Equal JSON values: same keys in the same order, same types, floats within 1e-9."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), where
        assert list(actual) == list(expected), where
        for key in expected:
            assert_same(actual[key], expected[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list), where
        assert len(actual) == len(expected), where
        for index, (a, e) in enumerate(zip(actual, expected)):
            assert_same(a, e, f"{where}[{index}]")
    elif isinstance(expected, float):
        assert type(actual) is float, where
        assert math.isclose(actual, expected, rel_tol=1e-9, abs_tol=1e-9), f"{where}: {actual} != {expected}"
    else:
        assert type(actual) is type(expected) and actual == expected, f"{where}: {actual!r} != {expected!r}"


def ledger(fit, engagement):
    names = {
        "fit": ["target_industry", "right_size", "decision_maker", "uses_salesforce", "agency"],
        "engagement": ["demo_request", "webinar", "email_click", "pricing_interest"],
    }
    rows = []
    for block, entries in (("fit", fit), ("engagement", engagement)):
        for name, (fired, points) in zip(names[block], entries):
            rows.append({"block": block, "rule": name, "fired": fired, "points": points})
    return rows


def test_the_example_parses_checks_and_compiles(loaded):
    policy = loaded
    assert policy.name == "saas_inbound"
    assert policy.title == "Inbound demo and content leads"
    assert policy.blocks == ("fit", "engagement")
    assert policy.tiers == ("SQL", "MQL", "nurture")
    assert policy.routes == ("enterprise-east", "ae-pool", "sdr-pool", "nurture")


def test_lead_1001_is_the_contracts_sample_decision(policy):
    lead = {
        "id": "L-1001",
        "company": {"domain": "acme.io", "industry": "Software", "employees": 1200,
                    "country": "us", "region": "west", "tech": ["HubSpot"]},
        "person": {"email": "dana@acme.io", "title": "VP Engineering", "seniority": "VP"},
        "source": "web",
        "events": [
            {"type": "demo_request", "at": "2026-10-16T00:00:00Z"},  # 16d: floor(16/7) = 2 steps
            {"type": "email_click", "at": "2026-10-30T00:00:00Z"},  # 2d: 0 steps
            {"type": "email_click", "at": "2026-10-29T00:00:00Z"},  # 3d
            {"type": "email_click", "at": "2026-10-28T00:00:00Z"},  # 4d
        ],
    }
    # ICP: "us" in supported_countries (casefold); 1200 >= 10; acme.io not free; no "student".
    # fit: software in targets +15; 1200 in 200..5000 +20; "VP" in [director, vp, cxo] +15;
    #      no salesforce 0; not agency 0            -> 50 (max 60: not capped)
    # engagement: demo 40 * 0.9^2 = 32.4; webinar 0; clicks 3 * 2 * 0.9^0 = 6;
    #      pricing: 0 views                         -> 38.4 (max 50)
    # total 88.4 -> SQL (88.4 >= 80 and fit 50 >= 30)
    # route: SQL, enterprise (1200 >= 1000) but region west -> "ae-pool"
    expected = {
        "policy": "saas_inbound", "lead": "L-1001", "as_of": "2026-11-01T00:00:00Z",
        "icp": {"pass": True, "reasons": []},
        "scores": {"fit": 50.0, "engagement": 40 * DECAY**2 + 6.0, "total": 50.0 + 40 * DECAY**2 + 6.0},
        "tier": "SQL", "route": "ae-pool",
        "rules": ledger(
            [(True, 15.0), (True, 20.0), (True, 15.0), (False, 0.0), (False, 0.0)],
            [(True, 40 * DECAY**2), (False, 0.0), (True, 6.0), (False, 0.0)],
        ),
        "warnings": [],
    }
    decision = policy.evaluate(lead, as_of=T).to_dict()
    assert_same(decision, expected)
    # The numbers the contract prints for this decision.
    assert round(decision["scores"]["engagement"], 9) == 38.4
    assert round(decision["scores"]["total"], 9) == 88.4
    json.dumps(decision)  # the decision is JSON


def test_lead_1002_fails_icp_everywhere_but_is_scored_and_routed(policy):
    lead = {
        "id": 1002.0,  # -> "1002"
        "company": {"industry": "AGENCY", "tech": ["salesforce", None]},  # null dropped
        "company.country": "BR",  # nested company has no country: the flat key is used
        "company.employees": "8",  # coerced to 8
        "person": {"email": "Joe@GMAIL.com", "title": "Student intern", "seniority": "director"},
        "source": True,  # not a string: missing, with a warning
        "events": [
            {"type": "webinar_attended", "at": "2026-10-31T00:00:00Z"},  # 1d: 10
            {"type": "webinar_attended", "at": "2026-10-25T00:00:00Z"},  # 7d: 3rd most recent, not counted
            {"type": "webinar_attended", "at": "2026-10-30T00:00:00Z"},  # 2d: 10
            {"type": "demo_request", "at": "2026-11-05T00:00:00Z"},  # after T: does not exist
            {"type": "demo_request", "at": "2026-08-03T00:00:00Z"},  # exactly 90d: kept, 12 steps
            {"type": "demo_request", "at": "2026-08-02T23:59:59Z"},  # 90d + 1s: expired, 0
            {"type": "pricing_view", "at": "2026-10-02T00:00:00Z"},  # 30d: within 30d
            {"type": "Pricing_View", "at": "2026-10-20T00:00:00+02:00"},
            {"type": "pricing_view", "at": "2026-11-01T00:00:00Z"},  # at T: age 0
            {"type": "email_click", "at": "2026-10-31"},  # a date: midnight UTC, 1d
        ],
    }
    # ICP, in policy order: BR unsupported; 8 < 10; domain("Joe@GMAIL.com") = "gmail.com"
    # is free; "Student intern" contains "student" -> four reasons.
    # fit: agency not a target 0; 8 not in 200..5000 0; director +15; salesforce +5;
    #      agency -10                                     -> 10
    # engagement: demo 40 * 0.9^floor(90/7) = 40 * 0.9^12 (+ 0 expired);
    #      webinar max 2 -> 10 + 10 = 20; click 2;
    #      pricing: 3 views within 30d -> when-rule, age = T - latest activity
    #      (the view at T) = 0 -> 25
    #      sum 40 * 0.9^12 + 20 + 2 + 25 = 58.297... -> capped at 50
    # total 60; ICP failed -> disqualified; route: not SQL, not MQL -> "nurture"
    demo = 40 * DECAY**12
    expected = {
        "policy": "saas_inbound", "lead": "1002", "as_of": "2026-11-01T00:00:00Z",
        "icp": {"pass": False, "reasons": [
            "unsupported country", "company too small", "personal email address", "student",
        ]},
        "scores": {"fit": 10.0, "engagement": 50.0, "total": 60.0},
        "tier": "disqualified", "route": "nurture",
        "rules": ledger(
            [(False, 0.0), (False, 0.0), (True, 15.0), (True, 5.0), (True, -10.0)],
            [(True, demo), (True, 20.0), (True, 2.0), (True, 25.0)],
        ),
        "warnings": ["source: expected string, got true; treated as missing"],
    }
    assert demo + 47 > 50  # the cap matters
    assert_same(policy.evaluate(lead, as_of=T).to_dict(), expected)


def test_lead_enterprise_east_on_both_tier_boundaries(policy):
    lead = {
        "company": {"industry": "FinTech", "employees": 20000, "country": "DE",
                    "region": "EAST", "tech": "salesforce"},  # a scalar is not wrapped
        "person": {"email": "cfo@corp.de", "title": "CFO", "seniority": "CXO"},
        "events": [{"type": "demo_request", "at": "2026-11-01T00:00:00Z"},  # at T: 40
                   {"type": "webinar_attended", "at": "2026-10-25T00:00:01Z"},  # 6d23h59m59s: 10
                   {"type": "demo_request", "at": "not a date"}]  # malformed: ignored
        + [{"type": "email_click", "at": f"2026-10-{day:02d}T12:00:00Z"} for day in range(20, 31)],
    }
    # fit: fintech +15; 20000 not in 200..5000; CXO +15; tech missing -> 0   -> 30
    # engagement: demo at T: 40; webinar 6d23h59m59s old: 0 steps, 10;
    # clicks on days 30..20 at 12:00 -> ages 1.5, 2.5, ..., 11.5d; max 10 keeps the most recent,
    #   ages 1.5..10.5: floor(age/7) = 0 for 1.5..6.5 (6 events), 1 for 7.5..10.5 (4 events)
    #   -> 2 * 6 + 2 * 0.9 * 4 = 19.2;  sum 40 + 10 + 19.2 = 69.2 -> capped at 50
    # total 80 -> SQL (80 >= 80 and 30 >= 30); enterprise and region "EAST" == "east"
    expected = {
        "policy": "saas_inbound", "lead": None, "as_of": "2026-11-01T00:00:00Z",
        "icp": {"pass": True, "reasons": []},
        "scores": {"fit": 30.0, "engagement": 50.0, "total": 80.0},
        "tier": "SQL", "route": "enterprise-east",
        "rules": ledger(
            [(True, 15.0), (False, 0.0), (True, 15.0), (False, 0.0), (False, 0.0)],
            [(True, 40.0), (True, 10.0), (True, 2 * 6 + 2 * 0.9 * 4), (False, 0.0)],
        ),
        "warnings": None,  # checked below: the contract fixes the coercion text only
    }
    decision = policy.evaluate(lead, as_of=dt.date(2026, 11, 1)).to_dict()
    warnings = decision.pop("warnings")
    del expected["warnings"]
    assert_same(decision, expected)
    assert warnings[0] == 'company.tech: expected list[string], got "salesforce"; treated as missing'
    assert len(warnings) == 2 and warnings[1].startswith("events[2]")


def test_lead_mql_with_decayed_when_rule_and_time_travel(policy):
    lead = {
        "id": 77,
        "company": {"industry": "retail", "employees": 300.0, "country": "NL"},
        "person": {"email": "a@b.nl", "title": "Ops manager", "seniority": "manager"},
        "events": [
            {"type": "pricing_view", "at": "2026-10-24T00:00:00Z"},  # 8d
            {"type": "pricing_view", "at": "2026-10-23T00:00:00Z"},  # 9d
            {"type": "pricing_view", "at": "2026-10-22T00:00:00Z"},  # 10d
            {"type": "pricing_view", "at": "2026-11-01T01:00:00Z"},  # after T: ignored
            {"type": "webinar_attended", "at": "2026-10-24T00:00:00Z"},  # 8d: 0.9
            {"type": "webinar_attended", "at": "2026-10-17T00:00:00Z"},  # 15d: 0.81
            {"type": "webinar_attended", "at": "2026-10-10T00:00:00Z"},  # 22d: 3rd, not counted
        ],
    }
    # fit: retail 0; 300 (an integral float is an int) in 200..5000 +20; manager 0 -> 20
    # engagement: webinar 10 * 0.9 + 10 * 0.81 = 17.1;
    #   pricing: 3 within 30d; latest existing activity 2026-10-24 (8d) -> 25 * 0.9 = 22.5
    #   (had the future view counted, age 0 would give 25)
    #   -> 39.6; total 59.6 -> MQL (>= 50, not >= 80) -> "sdr-pool"
    expected = {
        "policy": "saas_inbound", "lead": "77", "as_of": "2026-11-01T00:00:00Z",
        "icp": {"pass": True, "reasons": []},
        "scores": {"fit": 20.0, "engagement": 10 * 0.9 + 10 * 0.81 + 25 * 0.9,
                   "total": 20 + 10 * 0.9 + 10 * 0.81 + 25 * 0.9},
        "tier": "MQL", "route": "sdr-pool",
        "rules": ledger(
            [(False, 0.0), (True, 20.0), (False, 0.0), (False, 0.0), (False, 0.0)],
            [(False, 0.0), (True, 10 * 0.9 + 10 * 0.81), (False, 0.0), (True, 25 * 0.9)],
        ),
        "warnings": [],
    }
    assert_same(policy.evaluate(lead, as_of="2026-11-01T00:00:00Z").to_dict(), expected)


def test_empty_lead_is_disqualified_and_nurtured(policy):
    # Everything missing: require fails twice (missing data included), reject never holds.
    expected = {
        "policy": "saas_inbound", "lead": None, "as_of": "2026-11-01T00:00:00Z",
        "icp": {"pass": False, "reasons": ["unsupported country", "company too small"]},
        "scores": {"fit": 0.0, "engagement": 0.0, "total": 0.0},
        "tier": "disqualified", "route": "nurture",
        "rules": ledger([(False, 0.0)] * 5, [(False, 0.0)] * 4),
        "warnings": [],
    }
    assert_same(policy.evaluate({}, as_of=T).to_dict(), expected)


def test_decision_json_matches_the_contract_layout(policy):
    decision = policy.evaluate({"id": "L-1"}, as_of=T).to_dict()
    text = json.dumps(decision)
    assert text.startswith('{"policy": "saas_inbound", "lead": "L-1", "as_of": "2026-11-01T00:00:00Z", '
                           '"icp": {"pass": false, "reasons": ["unsupported country", "company too small"]}, '
                           '"scores": {"fit": 0.0, "engagement": 0.0, "total": 0.0}, '
                           '"tier": "disqualified", "route": "nurture", '
                           '"rules": [{"block": "fit", "rule": "target_industry", "fired": false, "points": 0.0}, ')
    assert text.endswith('"warnings": []}')
