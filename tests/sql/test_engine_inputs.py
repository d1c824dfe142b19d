"""Hardening: DuckDB opens input files itself, so the duckdb engine (and
`compile --like`) refuse anything but a regular file, as every other reader
does: a FIFO would block it, a device reads as endless or empty."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
POLICY = str(ROOT / "policies" / "saas_inbound.qual")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "qualdsl", *args], capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("kind", ["device", "fifo"])
def test_duckdb_engine_and_like_refuse_what_is_not_a_regular_file(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "leads.csv"
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to("/dev/zero")
    score = run("score", POLICY, str(path), "--engine", "duckdb", "--as-of", "2026-11-01", "--no-progress")
    assert score.returncode == 2, score.stderr
    assert "not a regular file" in score.stderr and "Traceback" not in score.stderr
    like = run("compile", POLICY, "--target", "sql", "--like", str(path))
    assert like.returncode == 2 and "not a regular file" in like.stderr


def test_jsonl_iso_text_stays_text(tmp_path: Path) -> None:
    """read_json guesses DATE/TIMESTAMP from ISO text (members and event `at`
    too): warnings then showed DuckDB's text and a later non-date row failed
    the read. The engine reads such columns as text, as json.loads does."""
    import datetime as dt
    import json

    import qualdsl
    from qualdsl.backends.sql.duckdb_engine import decisions

    policy = qualdsl.loads(
        "policy t\nschema {\n  n: int\n  d: date\n  company.w: datetime\n  events: events\n}\n"
        "score fit {\n  rule dated 1 when d < 2026-06-01 and company.w >= 2026-01-01\n"
        "  rule demo 2 per event \"demo\"\n}\n")
    rows = [{"n": "2026-01-31T00:00:00", "d": "2026-01-31", "company": {"w": "2026-01-31T10:00:00"},
             "events": [{"type": "demo", "at": "2026-10-30T10:00:00Z"}]}] * 30
    rows.append({"n": "2026-02-01T00:00:00", "d": "2026-02-30", "company": {"w": "2026-01-31 10:00"},
                 "events": [{"type": "demo", "at": "2026-10-30T11:00:00+01:00"}]})
    path = tmp_path / "leads.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    as_of = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    got = [d.to_dict() for d in decisions(policy, [str(path)], as_of=as_of)]
    assert got == [policy.evaluate(row, as_of=as_of).to_dict() for row in rows]
    assert got[0]["warnings"] == ['n: expected int, got "2026-01-31T00:00:00"; treated as missing']


TIME_POLICY = """
policy ts "timestamps in every kind of field"
schema {
  id: string
  note: string
  seen: datetime
  day: date
  events: events
}
score s {
  rule n +1 when note is present
  rule d +1 when days_since(seen) < 100
  rule e +2 per event "demo"
}
tiers {
  tier A when score >= 3
  tier B otherwise
}
"""


def test_parquet_timestamps_read_alike_on_both_engines(tmp_path: Path) -> None:
    """A Parquet TIMESTAMP is a datetime on every engine. The python engine
    once read it as ISO text: a `string` field accepted it (DuckDB rejects a
    TIMESTAMP there), warnings showed `...Z` where DuckDB showed `+00:00`,
    and whether a whole second had `.000000` depended on other rows of the
    batch."""
    import datetime as dt
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    utc = dt.UTC
    event = pa.struct([("type", pa.string()), ("at", pa.timestamp("us", tz="UTC"))])
    schema = pa.schema([("id", pa.string()), ("note", pa.timestamp("us", tz="UTC")), ("seen", pa.timestamp("us")),
                        ("day", pa.timestamp("s", tz="UTC")), ("events", pa.list_(event))])
    t = dt.datetime(2026, 8, 2, 23, 59, 59, tzinfo=utc)
    rows = [{"id": "a", "note": t, "seen": t.replace(tzinfo=None), "day": t,
             "events": [{"type": None, "at": t}, {"type": "demo", "at": t.replace(microsecond=5)}]},
            {"id": "b", "note": None, "seen": None, "day": None, "events": [{"type": "demo", "at": None}]}]
    source, policy = tmp_path / "leads.parquet", tmp_path / "ts.qual"
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), source)
    policy.write_text(TIME_POLICY, encoding="utf-8")
    outputs = {}
    for engine in ("python", "duckdb"):
        done = run("score", str(policy), str(source), "--engine", engine, "--as-of", "2026-11-01", "--no-progress")
        assert done.returncode == 0, done.stderr
        outputs[engine] = done.stdout
    assert outputs["python"] == outputs["duckdb"]
    first = json.loads(outputs["python"].splitlines()[0])
    assert first["warnings"] == [
        'note: expected string, got "2026-08-02 23:59:59+00:00"; treated as missing',
        'day: expected date, got "2026-08-02 23:59:59+00:00"; treated as missing',
        'events[0]: expected an event with a string `type` and an ISO 8601 `at`, '
        'got {"type": null, "at": "2026-08-02 23:59:59+00:00"}; ignored',
    ]
    assert first["scores"]["s"] == 3.0


def test_parquet_timestamps_outside_pythons_years_are_text_not_a_crash(tmp_path: Path) -> None:
    """A TIMESTAMP past 9999 (or before year 1) cannot be a Python datetime:
    the python engine reads that batch's column as text, which a time field
    rejects with a warning (it was an internal error, exit 3)."""
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    event = pa.struct([("type", pa.string()), ("at", pa.timestamp("us", tz="UTC"))])
    table = pa.table({"id": ["a", "b"],
                      "seen": pa.array([253_402_300_800_000_000, 0], pa.timestamp("us")),
                      "events": pa.array([[{"type": "demo", "at": -62_135_596_800_000_001}], []], pa.list_(event))})
    source, policy = tmp_path / "far.parquet", tmp_path / "ts.qual"
    pq.write_table(table, source)
    policy.write_text(TIME_POLICY, encoding="utf-8")
    done = run("score", str(policy), str(source), "--as-of", "2026-11-01", "--no-progress")
    assert done.returncode == 0, done.stderr
    first, second = (json.loads(line) for line in done.stdout.splitlines())
    assert first["warnings"] == [
        'seen: expected datetime, got "10000-01-01 00:00:00.000000"; treated as missing',
        'events[0]: expected an event with a string `type` and an ISO 8601 `at`, '
        'got {"type": "demo", "at": "0000-12-31 23:59:59.999999"}; ignored',
    ]
    # 1970 in the same batch is text too, which reads as that datetime: no warning
    assert second["warnings"] == [] and second["scores"]["s"] == 0.0


# Rows DuckDB's JSON reader stops at, as raw JSONL bytes: those the python
# engine writes to --errors, and those it reads (a lone surrogate escape, a
# duplicate key). Each ended in "internal error" (exit 3) on stdout once, and
# then stopped the run (exit 2); now the duckdb engine hands the input to the
# python engine, naming the row.
UNREADABLE_ROWS = {
    "broken": (b'{"id":\n{"id":"b"}\n', "leads.jsonl:1:7: invalid JSON"),
    "control character": (b'{"id":"a\tb"}\n', "leads.jsonl:1:9: invalid JSON"),
    "text after the object": (b'{"id":"a"} x\n', "leads.jsonl:1:12: invalid JSON"),
    "not UTF-8": (b'{"id":"caf\xe9"}\n', "leads.jsonl:1: not valid UTF-8"),
    "not an object": (b'5\n', "leads.jsonl:1: a lead is a JSON object, not a number"),
    "lone surrogate": (b'{"id":"a"}\n{"id":"x\\ud800y"}\n', "leads.jsonl:2: a string holds a lone surrogate"),
    "duplicate key": (b'{"id":"a","id":"b"}\n', 'has duplicate key "id"'),
    # Found by the batch differential: DuckDB read a `null` line as a lead with every key missing.
    "null": (b'{"id":"a"}\n  null \r\n', "leads.jsonl:2: a lead is a JSON object, not null"),
}


@pytest.mark.parametrize("output", ["stdout", "out.parquet"])
@pytest.mark.parametrize("case", list(UNREADABLE_ROWS))
def test_a_row_duckdb_cannot_read_hands_the_input_to_the_python_engine(tmp_path: Path, case: str,
                                                                       output: str) -> None:
    data, message = UNREADABLE_ROWS[case]
    path = tmp_path / "leads.jsonl"
    path.write_bytes(data)
    results = {}
    for engine in ("python", "duckdb"):
        target = tmp_path / f"{engine}-{output}"
        where = [] if output == "stdout" else ["-o", str(target)]
        score = run("score", POLICY, str(path), "--engine", engine, "--as-of", "2026-11-01", "--no-progress",
                    "--errors", str(tmp_path / f"{engine}.errors.jsonl"), *where)
        assert "internal error" not in score.stderr and "Traceback" not in score.stderr
        assert "Try setting" not in score.stderr  # DuckDB's advice on reader options qualdsl sets itself
        written = score.stdout if output == "stdout" else target.read_bytes()
        results[engine] = (score.returncode, written, (tmp_path / f"{engine}.errors.jsonl").read_bytes())
        if engine == "duckdb":
            note = next(line for line in score.stderr.splitlines() if line.startswith("note: "))
            assert message in note and note.endswith("; the python engine decides the rest of the input, exactly")
    assert results["duckdb"] == results["python"]
    assert results["python"][0] in (0, 1)  # 1: error rows beyond --max-errors 0, as the python engine says


def test_spark_engine_hands_a_lone_surrogate_to_the_python_engine_before_spark_starts(tmp_path: Path) -> None:
    """The spark engine hands text inputs to Spark as UTF-8 JSONL: a lone
    surrogate (which Python keeps) ended in UnicodeEncodeError, exit 3, then
    stopped the run; now the python engine decides the input."""
    pytest.importorskip("pyspark")
    path = tmp_path / "leads.jsonl"
    path.write_bytes(b'{"id":"a"}\n{"id":"b","company":{"domain":"x\\udc80"}}\n')
    outputs = {}
    for engine in ("python", "spark"):
        score = run("score", POLICY, str(path), "--engine", engine, "--as-of", "2026-11-01", "--no-progress")
        assert score.returncode == 0, score.stderr
        outputs[engine] = score.stdout
    assert "leads.jsonl:2: a string holds a lone surrogate" in score.stderr
    assert "the python engine decides the rest of the input, exactly" in score.stderr
    assert "internal error" not in score.stderr
    assert outputs["spark"] == outputs["python"] and len(outputs["spark"].splitlines()) == 2


def test_duckdb_never_prints_its_own_progress_bar() -> None:
    """DuckDB prints a progress bar to stdout when it takes the process for
    an interactive one (`python -c`, a notebook): on a long query that text
    would land in the JSONL decisions on stdout. The engine's connection
    turns that printing off (its own progress line is on stderr)."""
    from qualdsl.backends.sql import duckdb_engine

    connection = duckdb_engine.connect()
    printing = connection.execute("SELECT current_setting('enable_progress_bar_print')").fetchone()
    assert printing == (False,)


def test_a_csv_header_the_python_reader_refuses_is_refused_by_the_duckdb_engine_too(tmp_path):
    """`id,id`: DuckDB would read the second as `id_1`; the python engine
    refuses the file. Both now stop with the same message (exit 2)."""
    path = tmp_path / "leads.csv"
    path.write_text("id,source,id\n1,web,2\n", encoding="utf-8")
    for engine in ("python", "duckdb"):
        result = run("score", POLICY, str(path), "--as-of", "2026-11-01",
                     "--engine", engine)
        assert result.returncode == 2, (engine, result.stderr)
        assert f"error: {path}: the header names `id` twice (columns 1 and 3)" in result.stderr, engine


def test_a_policy_reading_one_top_level_key_reads_its_value_not_the_whole_line(tmp_path: Path) -> None:
    """Regression (found by a batch differential of generated policies): with one
    JSON column, DuckDB's read_json took each line as that column's value, so
    `{"id": 1}` was decided with a lead of null; and a line `5` was
    a lead with id 5 where the python engine writes an error row."""
    policy = tmp_path / "p.qual"
    policy.write_text("policy p\nschema {\n}\n", encoding="utf-8")
    path = tmp_path / "leads.jsonl"
    path.write_bytes(b'{"id": 1, "": null}\n{"id": "x"}\n5\n{"t": 6}\n')
    results = {}
    for engine in ("python", "duckdb"):
        score = run("score", str(policy), str(path), "--engine", engine, "--as-of", "2026-11-01", "--no-progress")
        assert score.returncode == 1, score.stderr  # the line `5`: one error row
        results[engine] = score.stdout
    assert [json.loads(line)["lead"] for line in results["python"].splitlines()] == ["1", "x", None]
    assert results["duckdb"] == results["python"]


@pytest.mark.parametrize("name, data", [
    ("leads.csv", b"id,company.employees\n" + b"L1,5\n" * 5 + b"L7,\x00\n"),
    ("leads.jsonl", b'{"id": "a"}\n' * 6 + b'{"id": "\x00"}\n'),
])
def test_a_nul_byte_late_in_a_text_input_is_binary_on_both_engines(tmp_path: Path, name: str, data: bytes) -> None:
    """Regression (found by the batch differential): the python reader refuses
    the file as binary; the duckdb engine read on and decided every row."""
    path = tmp_path / name
    path.write_bytes(data)
    for engine in ("python", "duckdb"):
        score = run("score", POLICY, str(path), "--engine", engine, "--as-of", "2026-11-01", "--no-progress",
                    "-o", str(tmp_path / f"{engine}.jsonl"))
        assert score.returncode == 2, (engine, score.stderr)
        assert f"error: {path}: file is binary (a NUL byte on line 7), not leads" in score.stderr, engine
        assert not (tmp_path / f"{engine}.jsonl").exists()


JSON_POLICY = """
policy j
schema { id: string  tech: list[string]  events: events }
score fit {
  rule stack 1 when "b" in tech
  rule demo 2 per event "demo"
}
"""


@pytest.mark.parametrize("name, data, line", [
    # A trailing comma: DuckDB's JSON reader accepts it, Python's json refuses the line.
    ("leads.jsonl", b'{"id": "1", "tech": ["b"]}\n{"id": "2", "tech": ["a", "b",]}\n', 2),
    ("leads.jsonl", b'{"id": "1"}\n{"id": "2", "tech": ["b"] ,\r\n }\n', 2),
    # The same in a CSV cell of JSON: Python keeps the cell as text.
    ("leads.csv", b'id,tech\n1,"[""b""]"\n2,"[""b"",]"\n', 3),
    # A lone surrogate escape in a CSV cell: Python reads the JSON (the event is then
    # ignored with a warning); DuckDB's JSON refuses it and read the cell as text.
    ("leads.csv", b'id,events\n1,[]\n2,"[{""type"": ""demo"", ""at"": ""\\ud800""}]"\n', 3),
    ("leads.csv", b'id,events\n1,"[{""type"": ""demo\\udc00"", ""at"": ""2026-10-01""}]"\n', 2),
])
def test_json_text_duckdb_reads_otherwise_hands_the_input_over(tmp_path: Path, name: str, data: bytes,
                                                                line: int) -> None:
    """Regression (found by the batch differential): the duckdb engine decided
    these rows otherwise than the python engine, with no error."""
    (tmp_path / "j.qual").write_text(JSON_POLICY, encoding="utf-8")
    path = tmp_path / name
    path.write_bytes(data)
    results = {}
    for engine in ("python", "duckdb"):
        score = run("score", str(tmp_path / "j.qual"), str(path), "--engine", engine, "--as-of", "2026-11-01",
                    "--no-progress", "--max-errors", "5")
        assert score.returncode == 0, score.stderr
        results[engine] = (score.stdout, [e for e in score.stderr.splitlines() if e.startswith("{")])
    assert results["duckdb"] == results["python"]
    why = "a string holds a lone surrogate" if b"\\ud" in data else "a trailing comma in JSON"
    assert f"note: {path}:{line}: {why}" in score.stderr


def test_the_scan_finds_json_duckdb_reads_otherwise_across_its_chunks(tmp_path: Path, monkeypatch) -> None:
    from qualdsl.backends.sql import duckdb_engine
    from qualdsl.batch.engines import HandOver

    monkeypatch.setattr(duckdb_engine, "_SCAN_CHUNK", 4)
    path = tmp_path / "leads.jsonl"
    for data, line in [(b'{"a": 1}\n{"t": [1,   \n\n ]}\n', 2), (b'{}\n{}\n{"s": "x\\ud800"}\n', 3),
                       (b'{"s": "x\\udc00"}\n', 1)]:
        path.write_bytes(data)
        with pytest.raises(HandOver, match=rf"^{path}:{line}: a (trailing comma|string holds a lone surrogate)"):
            duckdb_engine._scan_text(str(path), None)
    # A surrogate pair (json.dumps writes emoji so) and commas in order are read alike.
    path.write_bytes(b'{"s": "\\ud83d\\ude00", "t": [1, 2], "u": {"a": 1, "b": [3]}}\n' * 3)
    assert duckdb_engine._scan_text(str(path), None) is None
