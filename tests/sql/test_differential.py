"""The compiled SELECT decides every lead exactly as Policy.evaluate does:
the bundled policies over their leads (STRUCT tables from JSONL, and flat
VARCHAR tables as a CSV gives them), and messy generated leads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import qualdsl

from .helpers import connect, decisions_both, same_bits
from budget import examples

POLICIES = Path(__file__).resolve().parents[2] / "policies"
BUNDLED = sorted(p for p in POLICIES.glob("*.qual") if p.with_suffix(".leads.jsonl").exists())


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_bundled_policies_on_their_leads(path):
    policy = qualdsl.load(path)
    connection = connect()
    leads = path.with_suffix(".leads.jsonl")
    connection.execute(f"CREATE TABLE leads AS SELECT * FROM read_json_auto('{leads}')")
    got, want = decisions_both(connection, policy)
    assert len(got) == len(want) > 0
    for g, w in zip(got, want):
        assert same_bits(g, w), (g, w)


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_bundled_policies_on_text_columns(path, tmp_path):
    """Every field a VARCHAR column named by its dotted path, as a CSV export has it."""
    policy = qualdsl.load(path)
    rows = []
    for line in path.with_suffix(".leads.jsonl").read_text(encoding="utf-8").splitlines():
        lead = json.loads(line)
        flat: dict[str, str | None] = {}
        for field in policy.ir.fields:
            value = lead
            for segment in field.path:
                value = value.get(segment) if isinstance(value, dict) else None
            if field.type != "events" and not isinstance(value, (dict, list)):
                flat[field.name] = (
                    None if value is None else (json.dumps(value) if isinstance(value, bool) else str(value))
                )
        flat.setdefault("id", lead.get("id"))
        rows.append(flat)
    names = sorted({name for row in rows for name in row})
    connection = connect()
    connection.execute("CREATE TABLE leads (" + ", ".join(f'"{n}" VARCHAR' for n in names) + ")")
    connection.executemany(
        "INSERT INTO leads VALUES (" + ", ".join("?" for _ in names) + ")",
        [[row.get(n) for n in names] for row in rows],
    )
    got, want = decisions_both(connection, policy)
    for g, w in zip(got, want):
        assert same_bits(g, w), (g, w)


def test_as_of_as_a_named_parameter():
    policy = qualdsl.load(POLICIES / "saas_inbound.qual")
    connection = connect()
    connection.execute(f"CREATE TABLE leads AS SELECT * FROM read_json_auto('{POLICIES / 'saas_inbound.leads.jsonl'}')")
    got, want = decisions_both(connection, policy, parameter=True)
    assert [g["as_of"] for g in got] == ["2026-11-01T00:00:00Z"] * len(got)
    assert all(same_bits(g, w) for g, w in zip(got, want))


MESSY_POLICY = """
policy messy "every construct the SQL backend compiles"
schema {
  id: string
  company.name: string
  company.employees: int
  company.revenue: number
  company.public: bool
  company.founded: date
  company.tech: list[string]
  company.scores: list[number]
  seen: datetime
  events: events
}
set big = ["Straße", "ACME", "ꭰ"]
let large = company.employees >= 1000 or company.revenue > 2.5
icp {
  require company.name is present else "no name"
  reject company.name contains "test" as "test account"
  require company.employees != 13 else "unlucky"
}
score fit max 50 min -5 {
  rule named +10 when company.name in big
  rule not_named +1.5 when company.name not in big
  rule large +20 when large
  rule public +5 when company.public
  rule tech +3 when "SALESFORCE" in company.tech
  rule rich +0.1 when company.revenue / company.employees > 0.001
  rule old +2 when days_since(company.founded) > 3650
  rule recent -7 when days_since(seen) <= 30
  rule odd +1 when company.employees * 3 - 1 between 10 and 100
  rule long +1 when len(company.name) > 5 and lower(company.name) starts_with "a"
}
score engagement {
  decay 10% every 7d
  expire after 90d
  rule demo +40 per event "demo_request"
  rule web +10 per event "Webinar" max 2
  rule active +5 when count(events within 14d) >= 2
  rule pricing +25 when count(events where type == "pricing" and at >= 2026-10-01) >= 1
}
score warm {
  decay half_life 10d
  rule any +7 when company.employees is missing
  rule clicks +1.25 per event "click" max 3
}
tiers {
  tier A when score >= 60 and fit >= 20
  tier B when score >= 20
  tier C otherwise
}
route {
  to "east" when tier == A and company.name ends_with "ß"
  to "pool" when tier == A or tier == B
  to "nurture" when icp
}
"""

names = st.one_of(st.none(),
                  st.sampled_from(["Straße", "STRASSE", "acme", "Acme test", "ꭰ", "Ꭰ", "alpha", "ß", "", "İ"]),
                  st.text(max_size=6))
instants = st.datetimes(min_value=__import__("datetime").datetime(2025, 1, 1),
                        max_value=__import__("datetime").datetime(2026, 12, 31)).map(
    lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ"))
event = st.one_of(
    st.fixed_dictionaries({"type": st.sampled_from(["demo_request", "webinar", "WEBINAR", "click", "pricing", "other"]),
                           "at": st.one_of(instants, st.sampled_from(["2026-11-01T00:00:00Z", "2026-10-25T00:00:00Z",
                                                                      "2026-08-03T00:00:00Z", "bad", "2026-10-31"]))}),
    st.none(),
)
anything = st.one_of(st.none(), st.integers(-5, 3000).map(str),
                     st.sampled_from(["850.0", "12.5", "x", "true", "FALSE", "1e3"]))


@st.composite
def leads(draw):
    return {
        "id": draw(st.one_of(st.none(), st.text(max_size=4), st.integers(0, 99).map(str))),
        "company.name": draw(names),
        "company.employees": draw(anything),
        "company.revenue": draw(anything),
        "company.public": draw(anything),
        "company.founded": draw(st.one_of(anything, st.sampled_from(["2010-05-01", "2026-02-30", "2024-02-29"]))),
        "company.tech": draw(st.one_of(st.none(), st.just('["salesforce"]'))),
        "company.scores": None,
        "seen": draw(st.one_of(anything, instants, st.sampled_from(["2026-10-30 10:00:00+05:30", "2026-10-31"]))),
        "events": draw(st.one_of(st.none(), st.lists(event, max_size=6))),
    }


@settings(max_examples=examples(60, quick=2), deadline=None)  # each example plans one large query
@given(st.lists(leads(), min_size=1, max_size=80))
def test_messy_leads_text_columns_with_event_structs(rows):
    policy = qualdsl.loads(MESSY_POLICY)
    connection = connect()
    connection.execute(
        'CREATE TABLE leads (id VARCHAR, "company.name" VARCHAR, "company.employees" VARCHAR, '
        '"company.revenue" VARCHAR, "company.public" VARCHAR, "company.founded" VARCHAR, "company.tech" VARCHAR, '
        '"company.scores" VARCHAR, seen VARCHAR, events STRUCT("type" VARCHAR, "at" VARCHAR)[])'
    )
    connection.executemany("INSERT INTO leads VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [list(r.values()) for r in rows])
    got, want = decisions_both(connection, policy)
    for g, w in zip(got, want):
        assert same_bits(g, w), (g, w)
