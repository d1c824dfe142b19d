"""Typed columns (as a warehouse or Parquet holds them) take the compiled
SELECT's short paths: a BIGINT in an `int` field, a DOUBLE in a `number`
field, a VARCHAR[] in a `list[string]` field, a LIST of event STRUCTs with a
TIMESTAMP `at`. Each is decided exactly as Policy.evaluate decides the same
values, edge values included, by the nested SELECT and by the duckdb
engine's own Parquet and CSV writes."""

from __future__ import annotations

import datetime as dt
import math
import random
from pathlib import Path
from typing import Any

import pytest

import qualdsl

from .helpers import connect, decisions_both, same_bits
from .test_native_write import _decided_both

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

UTC = dt.UTC
AS_OF = dt.datetime(2026, 11, 1, tzinfo=UTC)

POLICY = """
policy typed "typed columns"
schema {
  id: string
  company.employees: int
  company.size: int
  company.revenue: number
  company.public: bool
  company.tech: list[string]
  company.founded: date
  seen: datetime
  events: events
}
icp {
  require company.employees >= 10 else "small"
  require company.revenue != 3 else "three"
}
score fit max 60 {
  rule big +20 when company.employees between 200 and 5000
  rule sized +5 when company.size == 3
  rule rich +7.5 when company.revenue >= 80 or company.revenue < -2
  rule exact +1 when company.revenue == 9007199254740993
  rule public +3 when company.public
  rule sf +5 when "SalesForce" in company.tech
  rule old +2 when days_since(company.founded) > 3650
  rule fresh +4 when days_since(seen) <= 30
}
score engagement max 80 {
  decay 10% every 7d
  expire after 90d
  rule demo +40 per event "demo_request"
  rule web +10 per event "Webinar" max 2
  rule clicks +2.5 per event "click" max 3
  rule pricing +25 when count(events where type == "PRICING_VIEW" within 30d) >= 2
}
score plain {
  rule any +1.5 per event "click"
  rule many +1 when count(events) >= 4
}
tiers {
  tier Hot when score >= 80 and fit >= 30
  tier Warm when score >= 20
  tier Cold otherwise
}
route {
  to "east" when tier == hot and company.employees >= 1000
  to "pool" when tier == Hot or tier == WARM
  to "nurture" otherwise
}
"""

# The same with a condition on an event's own key (the loaded events keep the element).
OWN_KEY = POLICY.replace('rule many +1 when count(events) >= 4',
                         'rule many +1 when count(events where channel == "Web") >= 2')

INTS = [None, 0, 9, 10, 13, 199, 200, 999, 1000, 5000, 5001, -1, 2**62, -(2**63)]
FLOATS = [None, 0.0, -0.0, 3.0, 80.0, 79.99999999999999, 80.00000000000001, -2.0, -2.0000000000000004,
          float("nan"), float("inf"), float("-inf"), 9007199254740992.0, 9007199254740994.0, 1e300, 5e-324, 12.5]
# Not 2.0**63 or more: an int is 64-bit in SQL, a known gap with Python (coerce.py).
SIZES = [None, 3.0, 3.5, -0.0, float("nan"), float("inf"), -(2.0**63), 2.0**62, 250.0]
TECH = [None, [], ["salesforce"], [None, "SALESFORCE"], [None], ["hubspot", None, "Salesforce"], ["ſalesforce"]]
TYPES = ["demo_request", "webinar", "WEBINAR", "click", "pricing_view", "Pricing_View", "other", None]
CHANNELS = [None, "web", "WEB", "email"]


def _event(rng: random.Random, malformed: bool) -> dict[str, Any] | None:
    if malformed and rng.random() < 0.05:
        return None
    at = None if malformed and rng.random() < 0.05 else AS_OF - dt.timedelta(
        seconds=rng.choice([-3600, 0, 1, 86400 * 7, 86400 * 7 - 1, 86400 * 30, 86400 * 90, 86400 * 90 + 1,
                            rng.randrange(-86400 * 3, 86400 * 120)]))
    kind = rng.choice(TYPES if malformed else [t for t in TYPES if t is not None])
    return {"type": kind, "at": at, "channel": rng.choice(CHANNELS)}


def _rows(count: int, malformed: bool = True) -> list[dict[str, Any]]:
    rng = random.Random(2026)
    rows = []
    for i in range(count):
        events = None if i % 11 == 0 else [_event(rng, malformed) for _ in range(rng.randrange(0, 9))]
        if events and i % 5 == 0:
            events.append(dict(events[0]) if events[0] else None)  # a tie on `at`: the later element first
        rows.append({
            "id": f"T{i}",
            "company": None if i % 17 == 0 else {
                "employees": rng.choice(INTS), "size": rng.choice(SIZES), "revenue": rng.choice(FLOATS),
                "public": rng.choice([None, True, False]), "tech": rng.choice(TECH),
                "founded": rng.choice([None, dt.date(2010, 5, 1), dt.date(2024, 2, 29), dt.date(1, 1, 1)]),
            },
            "seen": rng.choice([None, AS_OF - dt.timedelta(days=30), AS_OF - dt.timedelta(days=30, microseconds=1),
                                dt.datetime(9999, 12, 31, 23, 59, 59)]),
            "events": events,
        })
    return rows


SCHEMA = pa.schema([
    ("id", pa.string()),
    ("company", pa.struct([("employees", pa.int64()), ("size", pa.float64()), ("revenue", pa.float64()),
                           ("public", pa.bool_()), ("tech", pa.list_(pa.string())), ("founded", pa.date32())])),
    ("seen", pa.timestamp("us")),  # naive: UTC
    ("events", pa.list_(pa.struct([("type", pa.string()), ("at", pa.timestamp("us", tz="UTC")),
                                   ("channel", pa.string())]))),
])


def _write(path: Path, malformed: bool) -> Path:
    pq.write_table(pa.Table.from_pylist(_rows(1500, malformed), schema=SCHEMA), path, row_group_size=400)
    return path


@pytest.fixture(scope="module")
def leads_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write(tmp_path_factory.mktemp("typed") / "leads.parquet", malformed=True)


def test_the_edge_values_are_there(leads_file: Path) -> None:
    revenue = [r["company"]["revenue"] for r in pq.read_table(leads_file).to_pylist() if r["company"]]
    assert any(v is not None and math.isnan(v) for v in revenue)
    assert float("inf") in revenue and -0.0 in revenue and 79.99999999999999 in revenue


@pytest.mark.parametrize("text", [POLICY, OWN_KEY], ids=["types", "own-key"])
def test_the_nested_select_over_typed_parquet(leads_file: Path, text: str) -> None:
    policy = qualdsl.loads(text)
    connection = connect()
    connection.execute(f"CREATE VIEW leads AS SELECT * FROM read_parquet('{leads_file}')")
    got, want = decisions_both(connection, policy)
    assert len(got) == len(want) == 1500
    assert {w["tier"] for w in want} >= {"Hot", "Warm", "Cold", "disqualified"}
    assert any(w["warnings"] for w in want) and any(r["fired"] for w in want for r in w["rules"])
    for g, w in sorted(zip(got, want), key=lambda pair: pair[1]["lead"]):
        assert g["lead"] == w["lead"]
        assert same_bits(g, w), (g, w)


@pytest.mark.parametrize("text", [POLICY, OWN_KEY], ids=["types", "own-key"])
def test_the_engines_write_the_same_files(leads_file: Path, tmp_path: Path, text: str) -> None:
    """Malformed events included: the python engine reads a TIMESTAMP `at` as
    a datetime, so its warning shows it as the SQL does (it once showed ISO text)."""
    policy = tmp_path / "typed.qual"
    policy.write_text(text, encoding="utf-8")
    _decided_both(tmp_path, str(policy), leads_file)  # Parquet compared whole, CSV byte for byte
