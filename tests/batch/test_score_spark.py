"""`qualdsl score --engine spark`: the same output as the python engine, byte
for byte, on the X Education sample with messy rows added, and the same
error records; inputs Spark cannot hold exactly are refused by name."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from .helpers import AS_OF, POLICIES, SAAS, XEDU, invoke, run_process
from budget import THOROUGH

if not THOROUGH:  # minutes of Spark on a shared machine: the ci profile runs it
    pytest.skip("Spark tests run in the ci test profile (QUALDSL_TEST_PROFILE=ci)", allow_module_level=True)
pytest.importorskip("pyspark")
if shutil.which("java") is None:
    pytest.skip("no Java runtime for Spark", allow_module_level=True)

SAMPLE = POLICIES / "data" / "xeducation_sample.csv"
SPARK = ("--engine", "spark", "--spark-master", "local[1]")


def _score(*args: str) -> tuple[int, str, str]:
    result = invoke("score", *args, "--as-of", AS_OF, "--no-progress", "--id-field", "Prospect ID")
    return result.exit_code, result.stdout, result.stderr


def test_spark_equals_python_on_the_export_sample_with_broken_rows(tmp_path: Path) -> None:
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    header, rows = lines[0], lines[1:121]
    messy = [header, *rows[:40], "short,row", *rows[40:80], "another,short,row", *rows[80:]]
    source = tmp_path / "leads.csv"
    source.write_text("\n".join(messy) + "\n", encoding="utf-8")
    outputs = {}
    for engine in ("python", "spark"):
        out, errors = tmp_path / f"{engine}.jsonl", tmp_path / f"{engine}.errors.jsonl"
        extra = SPARK if engine == "spark" else ()
        code, _, stderr = _score(XEDU, str(source), "-o", str(out), "--errors", str(errors), "--max-errors", "5",
                                 *extra)
        assert code == 0, stderr
        outputs[engine] = (out.read_text(encoding="utf-8"), errors.read_text(encoding="utf-8"))
    decisions, errors_text = outputs["spark"]
    assert len(decisions.splitlines()) >= 100
    assert len(errors_text.splitlines()) == 2
    assert outputs["spark"] == outputs["python"]


def test_a_field_holding_two_kinds_hands_the_input_to_the_python_engine(tmp_path: Path) -> None:
    source = tmp_path / "leads.jsonl"
    source.write_text(json.dumps({"Prospect ID": "a", "TotalVisits": 3}) + "\n"
                      + json.dumps({"Prospect ID": "b", "TotalVisits": "many"}) + "\n", encoding="utf-8")
    code, stdout, stderr = _score(XEDU, str(source), *SPARK)
    assert code == 0, stderr
    assert (f"note: {source}:2: `TotalVisits` holds text here and an integer before, and the spark engine needs "
            "one kind per field; the python engine decides the rest of the input, exactly") in stderr
    assert stdout == _score(XEDU, str(source))[1] and len(stdout.splitlines()) == 2
    assert "Traceback" not in stderr


def test_spark_equals_python_on_typed_parquet_with_timestamp_events(tmp_path: Path) -> None:
    """A warehouse's typing: STRUCT columns, a LIST of event STRUCTs whose `at`
    is a TIMESTAMP, UTC-adjusted (Spark's TIMESTAMP) or naive (TIMESTAMP_NTZ),
    as benchmarks/batch_score.py writes them. Spark refused it ("a time value
    of this column type") until each epoch_us call carried its SQL type: an
    event's `at` inside a lambda has no column type."""
    import datetime as dt

    import pyarrow as pa
    import pyarrow.parquet as pq

    utc = dt.UTC
    moments = [dt.datetime(2026, 10, 31, 23, 59, 59, 999999, tzinfo=utc), dt.datetime(2026, 10, 18, tzinfo=utc),
               dt.datetime(2026, 8, 3, 12, tzinfo=utc), dt.datetime(2026, 11, 2, tzinfo=utc), None]
    for zone in ("UTC", None):
        event = pa.struct([("type", pa.string()), ("at", pa.timestamp("us", tz=zone))])
        company = pa.struct([("domain", pa.string()), ("industry", pa.string()), ("employees", pa.int64()),
                             ("country", pa.string()), ("tech", pa.list_(pa.string()))])
        schema = pa.schema([("id", pa.string()), ("company", company), ("events", pa.list_(event))])
        rows = []
        for i in range(60):
            events = [{"type": ["demo_request", "pricing_view", "webinar_attended", "email_click"][(i + k) % 4],
                       "at": moments[(i * 3 + k) % len(moments)]} for k in range(i % 5)]
            if zone is None:
                events = [{**e, "at": e["at"] and e["at"].replace(tzinfo=None)} for e in events]
            rows.append({"id": f"L-{i}", "company": {"domain": "acme.io", "industry": ["software", "retail"][i % 2],
                                                    "employees": [None, 40, 250, 5000][i % 4],
                                                    "country": ["US", "de", None][i % 3], "tech": ["salesforce"]},
                         "events": None if i % 7 == 6 else events})
        source = tmp_path / f"leads-{zone}.parquet"
        pq.write_table(pa.Table.from_pylist(rows, schema=schema), source)
        tables = {}
        for engine in ("python", "spark"):
            out = tmp_path / f"{engine}-{zone}.parquet"
            extra = SPARK if engine == "spark" else ()
            result = invoke("score", SAAS, str(source), "-o", str(out), "--as-of", AS_OF, "--no-progress", *extra)
            assert result.exit_code == 0, result.stderr[-2000:]
            tables[engine] = pq.read_table(out)
        assert tables["python"].num_rows == 60
        assert len(set(tables["python"].column("tier").to_pylist())) > 1
        assert tables["spark"].equals(tables["python"]), zone


def test_the_command_keeps_sparks_chatter_off_stderr(tmp_path: Path) -> None:
    """In a new process (Spark's JVM writes to the real stderr): no log4j
    WARN/INFO lines, no Spark stage bar, no loopback warning; the summary is
    there and the decisions are the python engine's."""
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()[:6]
    source = tmp_path / "leads.csv"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    common = ("score", XEDU, str(source), "--as-of", AS_OF, "--no-progress", "--id-field", "Prospect ID")
    spark = run_process(*common, *SPARK, timeout=600)
    python = run_process(*common)
    stderr = spark.stderr.decode(errors="replace")
    assert spark.returncode == 0, stderr[-2000:]
    assert spark.stdout == python.stdout and len(spark.stdout.splitlines()) == 5
    assert "5 decisions written" in stderr
    for noise in (" WARN ", " INFO ", "[Stage ", "log4j profile", "loopback address"):
        assert noise not in stderr, (noise, stderr)


def test_a_lead_spark_cannot_hold_hands_the_input_to_the_python_engine(tmp_path: Path) -> None:
    policy = tmp_path / "p.qual"
    policy.write_text('policy p\nschema {\n  id: string\n  n: int\n}\nscore s {\n  rule big 10 when n > 5\n}\n'
                      'tiers {\n  tier A when score > 5\n  tier B otherwise\n}\n', encoding="utf-8")
    rows = [{"id": f"L{i}", "n": str(i)} for i in range(12)]
    rows[7]["n"] = "99999999999999999999"
    source = tmp_path / "leads.jsonl"
    source.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    outputs = {}
    for engine in ("python", "spark"):
        result = invoke("score", str(policy), str(source), "--as-of", AS_OF, "--no-progress",
                        *(SPARK if engine == "spark" else ()))
        assert result.exit_code == 0, result.stderr
        outputs[engine] = result.stdout
        assert ("note: the spark engine cannot hold n = 99999999999999999999 (an int beyond 64 bits)"
                in result.stderr) == (engine == "spark"), result.stderr
    assert len(outputs["spark"].splitlines()) == 12
    assert outputs["spark"] == outputs["python"]
