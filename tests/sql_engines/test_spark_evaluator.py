"""The spark backend (`backends.evaluator("spark", ...)`, what the
conformance harness runs): one lead at a time through the compiled Spark
SQL, each shape of lead analysed once and its file rewritten per lead."""

from __future__ import annotations

import datetime as dt

import pytest

import qualdsl
from qualdsl import backends
from qualdsl.errors import QualError

from .helpers import same_bits

POLICY = """policy shapes
schema {
  id: string
  seen: datetime
  born: date
  n: number
  tags: list[string]
}
score s {
  rule recent 2 when seen >= 2026-10-01T00:00:00Z
  rule old 1 when born < 2000-01-01
  rule big 3 when n >= 100
  rule tagged 1 when "vip" in tags
}
"""
T = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def test_leads_of_every_shape_decide_as_in_python(spark) -> None:
    policy = qualdsl.loads(POLICY)
    evaluator = backends.evaluator("spark", policy.ir)
    leads = [
        {},
        {"id": "a", "seen": "2026-10-20T10:00:00Z", "born": "1990-05-01", "n": 150, "tags": ["vip", "x"]},
        {"id": "b" * 9000, "seen": "2026-09-01", "n": "150"},  # a longer line than the file held
        {"id": "c", "seen": "2026-10-20T10:00:00Z", "born": "1990-05-01", "n": 5, "tags": ["x"]},  # same shape as a
        # YAML gives date and datetime objects: DATE, TIMESTAMP and TIMESTAMP_NTZ columns
        {"id": "d", "seen": dt.datetime(2026, 10, 2, 23, 59, 59, 999999, tzinfo=dt.UTC), "born": dt.date(1999, 12, 31)},
        {"id": "e", "seen": dt.datetime(2026, 10, 2, 0, 0, 1), "born": dt.date(2000, 1, 1), "n": float("nan")},
        {"id": "f", "seen": True, "born": 19991231, "n": "1e3", "tags": "vip"},
        "not a lead",
    ]
    zone = spark.conf.get("spark.sql.session.timeZone")
    try:
        for as_of, zone_here in ((T, "UTC"), ("2026-10-02T00:00:00Z", "America/New_York"),
                                 (dt.date(2026, 10, 3), "Asia/Kolkata")):
            spark.conf.set("spark.sql.session.timeZone", zone_here)  # nothing may depend on it
            for lead in leads:
                got = evaluator.evaluate(lead, as_of=as_of).to_dict()
                want = policy.evaluate(lead, as_of=as_of).to_dict()
                assert same_bits(got, want), (lead, got, want)
    finally:
        spark.conf.set("spark.sql.session.timeZone", zone)
    # One analysed SELECT per shape and file size, reused across leads and as_of values.
    assert len(evaluator.shapes) == 6  # {}, a and c, b (a longer file), d, e, f


def test_a_longer_lead_of_a_known_shape_is_read_from_its_own_file(spark) -> None:
    # Regression: a lead longer than its shape's file got a new file but the first
    # file's SELECT, so it was decided as the previous lead (the corpus's 5,000 digits).
    policy = qualdsl.loads('policy t\nschema {\n  v: int\n}\nscore s {\n  rule r 1 when v > 3\n}\n')
    evaluator = backends.evaluator("spark", policy.ir)
    for lead in ({"v": "ten"}, {"v": "9" * 5000}, {"v": "7"}, {"v": "9" * 20000}, {"v": "x"}):
        assert same_bits(evaluator.evaluate(lead, as_of=T).to_dict(), policy.evaluate(lead, as_of=T).to_dict())


def test_a_float_read_as_a_string_is_its_integer_text_and_beyond_64_bits_an_error(spark) -> None:
    # Regression: a number in a string field was refused outright on Spark (DuckDB casts through HUGEINT).
    policy = qualdsl.loads('policy t\nschema {\n  name: string\n}\nscore s {\n  rule r 1 when name == "850"\n}\n')
    evaluator = backends.evaluator("spark", policy.ir)
    for value in (850.0, -0.0, 2.0**62, -(2.0**63), "850"):
        got = evaluator.evaluate({"name": value}, as_of=T).to_dict()
        assert same_bits(got, policy.evaluate({"name": value}, as_of=T).to_dict()), value
    with pytest.raises(backends.LeadRefused, match=r"beyond 64 bits exactly as Python does: 1\.0E19"):
        evaluator.evaluate({"name": 1e19}, as_of=T)
    # Not integral: missing, with a warning that shows the float, which Java 17 may print otherwise (docs/sql.md).
    with pytest.raises(backends.LeadRefused, match=r"cannot show this number exactly as Python .*: 850\.5"):
        evaluator.evaluate({"name": 850.5}, as_of=T)


def test_what_spark_cannot_run_or_hold_is_refused_by_name(spark) -> None:
    half_life = qualdsl.loads('policy t\nschema {\n  events: events\n}\nscore e {\n  decay half_life 7d\n'
                              '  rule r 1 per event "x"\n}\n')
    with pytest.raises(QualError, match=r"<string>:\d+:.*decay half_life .* cannot be compiled exactly to spark SQL"):
        backends.evaluator("spark", half_life.ir).evaluate({}, as_of=T)
    policy = qualdsl.loads(POLICY)
    with pytest.raises(backends.LeadRefused, match="`tags` holds a number here and text before"):
        backends.evaluator("spark", policy.ir).evaluate({"tags": ["a", 1.5]}, as_of=T)
    with pytest.raises(backends.LeadRefused, match="integer beyond 64 bits"):
        backends.evaluator("spark", policy.ir).evaluate({"n": 2**70}, as_of=T)
    with pytest.raises(backends.LeadRefused, match="`id` holds a lone surrogate"):
        backends.evaluator("spark", policy.ir).evaluate({"id": "a\ud800"}, as_of=T)
    # The SQL's own stop (raise_error: with ANSI off a failing cast would be NULL).
    ints = qualdsl.loads('policy t\nschema {\n  v: int\n}\nscore s {\n  rule r 1 when v > 3\n}\n')
    with pytest.raises(backends.LeadRefused, match=r"cannot hold v = 99999999999999999999 \(an int beyond 64 bits\)"):
        backends.evaluator("spark", ints.ir).evaluate({"v": "99999999999999999999"}, as_of=T)
