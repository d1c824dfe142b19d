"""A Parquet batch's events loaded in Arrow (inputs.preload_events, passed
to the evaluate function as EVENTS) give the decisions the leads give with
their events loaded one by one in Python (runtime.load_events): on
generated batches with null lists, null events, null `type` or `at`, events
after as_of, ties, Unicode types, extra event keys, every TIMESTAMP unit and
zone, sliced and large lists, and times outside years 1-9999."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import qualdsl
from qualdsl.batch.engines import Chunk, Decider
from qualdsl.batch.inputs import Batch, preload_events
from qualdsl.runtime import _MISS

from budget import examples

pa = pytest.importorskip("pyarrow")

HERE = Path(__file__).resolve().parent
POLICY = """\
policy preload "events loaded in Arrow"

schema {
  id:     string
  events: events
}

score engagement {
  decay 10% every 7d
  expire after 90d
  rule demo    +40 per event "demo" max 2
  rule clicks   +2 per event "straße"
  rule recent   +5 when count(events where type == "visit" within 30d) >= 2
  rule old      +1 when count(events where at < 2026-06-01) >= 1
}

score plain {
  rule seen  +3 per event "visit" max 3
  rule none  +7 when events is missing
  rule many  +1 when count(events) >= 4
}

tiers {
  tier hot  when score >= 40
  tier cold otherwise
}
"""
AS_OF = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
START = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)



def mostly(values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Values, and now and then None: a lead with one null is loaded in
    Python, so nulls must be rare for most leads to be preloaded."""
    keep = st.sampled_from([True] * 9 + [False])
    return st.tuples(values, keep).map(lambda pair: pair[0] if pair[1] else None)


times = mostly(st.integers(0, 200 * 24).map(lambda hours: START + dt.timedelta(hours=hours))
               | st.just(AS_OF) | st.just(AS_OF + dt.timedelta(microseconds=1)))
types = mostly(st.sampled_from(["demo", "DEMO", "Demo", "visit", "STRASSE", "straße", "other", ""]))
events = mostly(st.fixed_dictionaries({"type": types, "at": times, "n": st.none() | st.integers(0, 3)}))
lead_events = mostly(st.lists(events, max_size=9))
# TIMESTAMP types: unit and zone (a zone-less one is UTC, as in the contract)
TIMESTAMPS = [("us", "UTC"), ("ns", None), ("ms", "America/New_York"), ("s", "+05:30")]


@pytest.fixture(scope="module")
def policy() -> qualdsl.Policy:
    return qualdsl.loads(POLICY)


def batch_of(rows: list[Any], unit: str, zone: str | None, large: bool = False, extra: bool = True) -> Any:
    fields = [("type", pa.string()), ("at", pa.timestamp(unit, tz=zone))] + ([("n", pa.int64())] if extra else [])
    event = pa.struct(fields)
    values = [None if row is None else [None if e is None else {k: e.get(k) for k, _ in fields} for e in row]
              for row in rows]
    if unit == "s":  # whole seconds only
        values = [None if row is None else [None if e is None else {**e, "at": e["at"] and e["at"].replace(second=0)}
                                            for e in row] for row in values]
    kind = pa.large_list(event) if large else pa.list_(event)
    return pa.record_batch([pa.array([f"l{i}" for i in range(len(rows))]), pa.array(values, kind)],
                           names=["id", "events"])


def decided_both(policy: qualdsl.Policy, records: Any, kind: str | None) -> tuple[Any, Any]:
    encoding = None if kind is None else (kind, policy.blocks, policy.hash)
    decide = Decider(policy, encoding)
    batch = Batch("x", 1, records)
    return decide.batch(batch, AS_OF), decide.many(batch.leads(), AS_OF)


def assert_same(got: Any, want: Any) -> None:
    if type(got) is Chunk:
        assert type(want) is Chunk
        assert (list(got.tiers), list(got.routes)) == (list(want.tiers), list(want.routes))
        assert got.rows.equals(want.rows) if hasattr(got.rows, "equals") else got.rows == want.rows
    else:
        assert repr(got) == repr(want)


@settings(max_examples=examples(80), deadline=None)
@given(rows=st.lists(lead_events, max_size=12), timestamp=st.sampled_from(TIMESTAMPS), large=st.booleans(),
       extra=st.booleans(), start=st.integers(0, 4))
def test_preloaded_events_decide_as_events_loaded_one_by_one(policy, rows, timestamp, large, extra, start) -> None:
    records = batch_of(rows, *timestamp, large=large, extra=extra)
    for case in (records, records.slice(min(start, len(rows)))):
        for kind in (None, "parquet", "jsonl"):
            got, want = decided_both(policy, case, kind)
            assert_same(got, want)


def test_what_is_preloaded_and_what_is_left_to_the_evaluator(policy) -> None:
    at = START + dt.timedelta(days=10)
    later = AS_OF + dt.timedelta(days=1)
    rows = [
        None,  # a null list: missing events
        [],  # no events
        [{"type": "visit", "at": at}, {"type": "demo", "at": at}, {"type": "x", "at": later}],
        [{"type": "visit", "at": at}, None],  # a null event: load_events warns
        [{"type": None, "at": at}],  # a null type: it warns too
    ]
    records = batch_of(rows, "us", "UTC")
    events, slow = preload_events(records.column(1), AS_OF, pa)
    assert events[0] is None and events[1] == []
    # ties by `at`: the later one in the input first; the future event is not kept
    assert [(e[1], e[2], e[4]) for e in events[2]] == [("demo", "demo", 1), ("visit", "visit", 0)]
    assert events[3] is _MISS and events[4] is _MISS and slow == [3, 4]
    leads, loaded = Batch("x", 1, records).leads_and_events("events", AS_OF)
    assert loaded == events
    assert "events" not in leads[2] and leads[3]["events"] == [{"type": "visit", "at": at, "n": None}, None]
    decisions = Decider(policy, None).batch(Batch("x", 1, records), AS_OF)
    assert [d.warnings != [] for d in decisions] == [False, False, False, True, True]


def test_columns_that_cannot_be_preloaded_are_read_as_usual(policy) -> None:
    at = START + dt.timedelta(days=3)
    text_times = pa.array([[{"type": "visit", "at": "2026-05-04T00:00:00Z"}]],
                          pa.list_(pa.struct([("type", pa.string()), ("at", pa.string())])))
    far = pa.array([[{"type": "visit", "at": dt.datetime(1, 1, 1)}]],
                   pa.list_(pa.struct([("type", pa.string()), ("at", pa.timestamp("s"))])))
    huge = pa.array([-62_135_596_800 - 1], pa.int64()).cast(pa.timestamp("s"))  # before year 1
    outside = pa.ListArray.from_arrays(pa.array([0, 1], pa.int32()),
                                       pa.StructArray.from_arrays([pa.array(["visit"]), huge], names=["type", "at"]))
    not_events = pa.array([1], pa.int64())
    for column in (text_times, outside, not_events):
        assert preload_events(column, AS_OF, pa) is None
        got, want = decided_both(policy, pa.record_batch([pa.array(["a"]), column], names=["id", "events"]), None)
        assert_same(got, want)
    assert preload_events(far, AS_OF, pa) is not None  # year 1 itself is a datetime
    # two columns named `events`: the lead keeps the last, as with every other name
    twice = pa.record_batch([pa.array(["a"]), text_times, batch_of([[{"type": "visit", "at": at}]], "us", "UTC")
                             .column(1)], names=["id", "events", "events"])
    got, want = decided_both(policy, twice, None)
    assert_same(got, want)
    assert got[0].scores["plain"] == 3.0


def test_a_policy_reading_other_event_keys_is_not_preloaded() -> None:
    other = qualdsl.loads(POLICY.replace('per event "visit" max 3', 'per event "visit" where n >= 1'))
    assert other.compiled.preload_events is None
    assert qualdsl.loads(POLICY).compiled.preload_events == "events"


def test_events_spanning_the_centuries_are_ordered_by_the_three_key_sort(policy) -> None:
    # 100 leads with events in year 1 and in 2026: (lead, `at`) no longer fits
    # one int64 key, and the order comes from numpy's lexsort instead.
    old, new = dt.datetime(1, 1, 1, tzinfo=dt.UTC), START + dt.timedelta(days=100)
    rows = [[{"type": "visit", "at": old}, {"type": "demo", "at": new}, {"type": "visit", "at": new},
             {"type": "demo", "at": old}][: 1 + i % 4] for i in range(100)]
    records = batch_of(rows, "us", "UTC")
    events, slow = preload_events(records.column(1), AS_OF, pa)
    assert slow == [] and [(e[0], e[4]) for e in events[3]] == [(new, 2), (new, 1), (old, 3), (old, 0)]
    for kind in (None, "parquet"):
        got, want = decided_both(policy, records, kind)
        assert_same(got, want)
