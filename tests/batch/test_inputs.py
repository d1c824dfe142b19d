"""batch.inputs: one streaming reader for CSV, JSONL, JSON arrays and Parquet."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import qualdsl
from qualdsl.batch import inputs
from qualdsl.batch.inputs import InputError, Row, RowError, read_rows

from .helpers import AS_OF, SAAS, saas_leads
from budget import examples


def rows_of(path: Path, **options) -> list[Row | RowError]:
    return list(read_rows([str(path)], **options))


# ---------------------------------------------------------------------- CSV


def test_csv_with_bom_crlf_quoted_newlines_and_labels_with_spaces(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(
        b"\xef\xbb\xbfProspect ID,Lead Source,Notes,TotalVisits\r\n"
        b"p-1,Google,\"first line\r\nsecond line\",5\r\n"
        b"p-2,Direct Traffic,,\r\n"
        b"p-3,\"Olark, Chat\",\"a \"\"quoted\"\" word\",0\r\n"
    )
    rows = rows_of(path)
    assert [type(r) for r in rows] == [Row, Row, Row]
    first, second, third = rows
    # the BOM is not part of the first column's name; a quoted newline stays in its cell
    assert first.lead == {"Prospect ID": "p-1", "Lead Source": "Google", "Notes": "first line\r\nsecond line",
                          "TotalVisits": "5"}
    # `line` is the row's first physical line: row 1 spans lines 2-3
    assert (first.line, second.line, third.line) == (2, 4, 5)
    assert second.lead == {"Prospect ID": "p-2", "Lead Source": "Direct Traffic"}  # empty cell = key absent
    assert third.lead["Lead Source"] == "Olark, Chat" and third.lead["Notes"] == 'a "quoted" word'


def test_a_csv_row_with_the_wrong_number_of_cells_is_an_error_row_and_reading_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text("id,source\nA,web\nB,web,extra\n\nC,ads\n", encoding="utf-8")
    rows = rows_of(path)
    assert [type(r).__name__ for r in rows] == ["Row", "RowError", "Row"]
    error = rows[1]
    assert isinstance(error, RowError)
    assert (error.source, error.line, error.raw) == (str(path), 3, "B,web,extra")
    assert error.error == "row has 3 cells but the header has 2"
    assert rows[2].line == 5  # the blank line 4 is no row


def test_csv_json_cells_are_parsed_only_for_list_and_events_fields(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    events = '[{"type": "demo_request", "at": "2026-10-30T10:00:00Z"}]'
    path.write_text(
        "id,company.tech,events,source\n"
        f"A,\"[\"\"salesforce\"\"]\",\"{events.replace(chr(34), chr(34) * 2)}\",\"[not a list]\"\n",
        encoding="utf-8",
    )
    policy = qualdsl.load(SAAS)
    (row,) = rows_of(path, schema=policy.schema)
    assert row.lead["company.tech"] == ["salesforce"]
    assert row.lead["events"] == [{"type": "demo_request", "at": "2026-10-30T10:00:00Z"}]
    assert row.lead["source"] == "[not a list]"  # a string field keeps its text
    decision = policy.evaluate(row.lead, as_of=AS_OF)
    fired = {r.rule for r in decision.fired()}
    assert {"uses_salesforce", "demo_request"} <= fired


def test_csv_header_may_use_backticks_and_duplicate_names_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("id,company.`Annual Revenue`\nA,5\n", encoding="utf-8")
    (row,) = rows_of(path)
    assert row.lead == {"id": "A", "company.Annual Revenue": "5"}
    dup = tmp_path / "dup.csv"
    dup.write_text("id,x,id\n1,2,3\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"names `id` twice \(columns 1 and 3\)"):
        rows_of(dup)


def test_a_huge_integer_cell_in_csv_does_not_crash(tmp_path: Path, saas_policy) -> None:
    path = tmp_path / "big.csv"
    path.write_text(f"id,company.employees,company.tech\nA,{'9' * 5000},[{'9' * 5000}]\n", encoding="utf-8")
    (row,) = rows_of(path, schema=saas_policy.schema)
    decision = saas_policy.evaluate(row.lead, as_of=AS_OF)
    assert any(w.startswith("company.employees: expected int") for w in decision.warnings)


# -------------------------------------------------------------------- JSONL


def test_jsonl_bad_lines_are_error_rows_with_their_line(tmp_path: Path) -> None:
    path = tmp_path / "leads.jsonl"
    path.write_bytes(b'{"id": "A"}\n{not json\n\n[1, 2]\n\xff\xfe\n{"id": "B"}\r\n')
    rows = rows_of(path)
    kinds = [(type(r).__name__, r.line) for r in rows]
    assert kinds == [("Row", 1), ("RowError", 2), ("RowError", 4), ("RowError", 5), ("Row", 6)]
    assert rows[1].error.startswith("invalid JSON") and rows[1].raw == "{not json"
    assert rows[1].to_dict() == {"source": str(path), "line": 2, "error": rows[1].error + " (column 2)",
                                 "raw": "{not json"}
    assert rows[2].error == "a lead is a JSON object, not an array"
    assert rows[3].error.startswith("not valid UTF-8")
    assert rows[4].lead == {"id": "B"}


def test_jsonl_splits_only_on_newline_not_on_u2028_or_u0085(tmp_path: Path) -> None:
    path = tmp_path / "leads.jsonl"
    lines = ['{"id": "A", "note": "one\u2028two\u0085three\u2029"}', '{"id": "B"}']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rows = rows_of(path)
    assert [r.lead["id"] for r in rows] == ["A", "B"]
    assert rows[0].lead["note"] == "one\u2028two\u0085three\u2029"


def test_jsonl_integer_over_4300_digits_becomes_text_that_a_typed_field_warns_about(
        tmp_path: Path, saas_policy) -> None:
    path = tmp_path / "leads.jsonl"
    path.write_text('{"id": "A", "company": {"employees": ' + "7" * 5000 + "}}\n", encoding="utf-8")
    (row,) = rows_of(path)
    assert row.lead["company"]["employees"] == "7" * 5000
    decision = saas_policy.evaluate(row.lead, as_of=AS_OF)
    assert any("company.employees: expected int" in w for w in decision.warnings)
    assert "company too small" in decision.reasons  # missing, so the `require` fails


def test_an_endless_line_ends_in_an_error_row(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(inputs, "MAX_LINE_BYTES", 1000)
    path = tmp_path / "long.jsonl"
    path.write_text('{"id": "A"}\n' + "x" * 5000 + "\n" + '{"id": "B"}\n', encoding="utf-8")
    rows = rows_of(path)
    assert isinstance(rows[0], Row) and isinstance(rows[1], RowError)
    assert rows[1].line == 2 and "longer than 1000 bytes" in rows[1].error
    assert len(rows) == 2  # reading stops: the line may never end
    csv_path = tmp_path / "long.csv"
    csv_path.write_text("id\nA\n" + "y" * 5000 + "\n", encoding="utf-8")
    rows = rows_of(csv_path)
    assert isinstance(rows[1], RowError) and "longer than 1000 bytes" in rows[1].error


@pytest.mark.parametrize("kind", ["jsonl", "csv", "json"])
def test_dev_zero_is_refused_as_binary(kind: str) -> None:
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero")
    with pytest.raises(InputError, match=r"binary|JSON array over"):
        list(read_rows(["/dev/zero"], format=kind))


def test_a_fifo_is_read_as_a_stream(tmp_path: Path) -> None:
    fifo = tmp_path / "leads.jsonl"
    os.mkfifo(fifo)

    def write() -> None:
        with open(fifo, "w", encoding="utf-8") as pipe:
            pipe.writelines(json.dumps({"id": f"L{index}"}) + "\n" for index in range(50))

    writer = threading.Thread(target=write)
    writer.start()
    rows = rows_of(fifo)
    writer.join(timeout=10)
    assert [r.lead["id"] for r in rows] == [f"L{index}" for index in range(50)]


def test_a_directory_and_a_missing_file_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a directory"):
        rows_of(tmp_path, format="jsonl")
    with pytest.raises(InputError, match="no such file"):
        rows_of(tmp_path / "nope.csv")
    with pytest.raises(InputError, match="cannot tell the format"):
        rows_of(tmp_path / "leads.txt")


# --------------------------------------------------------------- JSON array


def test_json_array_elements_keep_their_first_line(tmp_path: Path) -> None:
    path = tmp_path / "leads.json"
    path.write_text('[\n  {"id": "A"},\n  3,\n  {\n    "id": "B"\n  }\n]\n', encoding="utf-8")
    rows = rows_of(path)
    assert [(type(r).__name__, r.line) for r in rows] == [("Row", 2), ("RowError", 3), ("Row", 4)]
    assert rows[1].error == "a lead is a JSON object, not a number"


def test_a_broken_json_array_reports_where_and_stops(tmp_path: Path) -> None:
    path = tmp_path / "leads.json"
    path.write_text('[{"id": "A"},\n {"id": }]', encoding="utf-8")
    rows = rows_of(path)
    assert isinstance(rows[0], Row) and isinstance(rows[1], RowError)
    assert rows[1].line == 2 and "the rest of the array cannot be read" in rows[1].error


def test_a_json_array_over_the_size_limit_is_refused_with_advice(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(inputs, "MAX_JSON_BYTES", 100)
    path = tmp_path / "leads.json"
    path.write_text(json.dumps([{"id": str(i)} for i in range(50)]), encoding="utf-8")
    with pytest.raises(InputError, match="one lead per line"):
        rows_of(path)


# ------------------------------------------------------------------ Parquet


def test_parquet_structs_lists_and_timestamps_decide_like_json(tmp_path: Path, saas_policy) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    leads = saas_leads()
    utc = dt.UTC
    typed = []
    for lead in leads:
        employees = lead.get("company", {}).get("employees")
        company = dict(lead.get("company", {}))
        company["employees"] = employees if type(employees) is int else None
        events = []
        for event in lead.get("events") or []:
            try:
                at = dt.datetime.fromisoformat(event["at"]).astimezone(utc)
            except (KeyError, TypeError, ValueError, AttributeError):
                continue
            events.append({"type": str(event.get("type")), "at": at})
        typed.append({"id": lead.get("id"), "company": company, "events": events})
    company_type = pa.struct([("domain", pa.string()), ("industry", pa.string()), ("employees", pa.int64()),
                              ("country", pa.string()), ("region", pa.string()), ("tech", pa.list_(pa.string()))])
    event_type = pa.struct([("type", pa.string()), ("at", pa.timestamp("ns", tz="UTC"))])
    schema = pa.schema([("id", pa.string()), ("company", company_type), ("events", pa.list_(event_type))])
    table = pa.Table.from_pylist(
        [{"id": t["id"], "company": {k: t["company"].get(k) for k in company_type.names}, "events": t["events"]}
         for t in typed], schema=schema)
    path = tmp_path / "leads.parquet"
    pq.write_table(table, path)
    rows = rows_of(path)
    assert [r.line for r in rows] == list(range(1, len(leads) + 1))
    assert isinstance(rows[0].lead["company"], dict) and isinstance(rows[0].lead["events"], list)
    for row, lead in zip(rows, table.to_pylist()):
        got = saas_policy.evaluate(row.lead, as_of=AS_OF).to_dict()
        want = saas_policy.evaluate(lead, as_of=AS_OF).to_dict()
        assert got == want
    # events read as datetimes made the engagement rules fire
    assert any(saas_policy.evaluate(r.lead, as_of=AS_OF).scores["engagement"] > 0 for r in rows)


def test_a_file_that_is_not_parquet_is_an_input_error(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    path = tmp_path / "leads.parquet"
    path.write_text("id\nA\n", encoding="utf-8")
    with pytest.raises(InputError, match="not a Parquet file"):
        rows_of(path)


def test_parquet_nulls_fractions_dates_and_decimals(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    import decimal

    utc = dt.UTC
    table = pa.table({
        "id": ["A", "B", "C"],
        "company": pa.array([{"employees": 5, "revenue": decimal.Decimal("12.50")}, None,
                             {"employees": None, "revenue": None}],
                            pa.struct([("employees", pa.int64()), ("revenue", pa.decimal128(10, 2))])),
        "events": pa.array([[{"type": "a", "at": dt.datetime(2026, 10, 1, 12, 0, 0, 250000, tzinfo=utc)}], None, []],
                           pa.list_(pa.struct([("type", pa.string()), ("at", pa.timestamp("ns", tz="UTC"))]))),
        "signup": pa.array([dt.date(2026, 9, 1), None, dt.date(2026, 1, 31)], pa.date32()),
        "seen": pa.array([dt.datetime(2026, 9, 1, 8, 30), None, dt.datetime(2026, 1, 31)], pa.timestamp("s")),
    })
    path = tmp_path / "edge.parquet"
    pq.write_table(table, path)
    leads = [row.lead for row in rows_of(path)]
    assert leads[0]["company"] == {"employees": 5, "revenue": 12.5}
    assert leads[1]["company"] is None and leads[1]["events"] is None
    assert leads[2]["company"] == {"employees": None, "revenue": None} and leads[2]["events"] == []
    # TIMESTAMPs are datetimes (nanoseconds to microseconds, zoned in UTC), as the SQL engines read them
    assert leads[0]["events"] == [{"type": "a", "at": dt.datetime(2026, 10, 1, 12, 0, 0, 250000, tzinfo=utc)}]
    assert leads[0]["signup"] == dt.date(2026, 9, 1) and leads[1]["signup"] is None
    assert leads[0]["seen"] == dt.datetime(2026, 9, 1, 8, 30) and leads[0]["seen"].tzinfo is None
    assert leads[1]["seen"] is None
    policy = qualdsl.loads('policy p\nschema {\n  seen: datetime\n  signup: date\n  company.revenue: number\n'
                           '  events: events\n}\nscore s {\n  rule recent +1 when seen >= 2026-08-01\n'
                           '  rule big +1 when company.revenue > 10\n  rule early +1 when signup < 2026-10-01\n'
                           '  rule a +1 when count(events where type == "a" within 60d) >= 1\n}\n'
                           'tiers {\n  tier t otherwise\n}\n')
    decision = policy.evaluate(leads[0], as_of=AS_OF)
    assert decision.total == 4.0 and decision.warnings == []


# ---------------------------------------------------------------- properties

# Without a schema a cell that looks like a JSON list or object is parsed
# (json_cells: tested on its own); this property is about plain text cells.
_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=20).filter(
    lambda t: t.strip()[:1] not in ("[", "{"))
_KEYS = st.text(st.characters(whitelist_categories=("L", "N", "Zs")), min_size=1, max_size=10).filter(
    lambda k: k.strip() == k and "`" not in k)


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(header=st.lists(_KEYS, min_size=1, max_size=5, unique=True),
       cells=st.lists(st.lists(_TEXT, min_size=5, max_size=5), max_size=8),
       crlf=st.booleans(), bom=st.booleans())
def test_csv_reads_back_what_a_csv_writer_wrote(tmp_path: Path, header, cells, crlf, bom) -> None:
    import csv
    import io

    # a row of one empty cell is written as a blank line, which is no row: leave such rows out
    rows = [row[: len(header)] for row in cells if any(cell != "" for cell in row[: len(header)])]
    text = io.StringIO()
    # With "\n" line ends, csv.writer leaves a bare "\r" unquoted (not RFC 4180): quote every cell then.
    writer = csv.writer(text, lineterminator="\r\n" if crlf else "\n",
                        quoting=csv.QUOTE_MINIMAL if crlf else csv.QUOTE_ALL)
    writer.writerow(header)
    writer.writerows(rows)
    path = tmp_path / "p.csv"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.getvalue().encode("utf-8"))
    read = rows_of(path)
    assert all(isinstance(r, Row) for r in read)
    expected = [{k: v for k, v in zip(header, row) if v != ""} for row in rows]
    assert [r.lead for r in read] == expected
    assert [r.line for r in read] == sorted({r.line for r in read})


_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
                     | st.text(max_size=10), lambda inner: st.lists(inner, max_size=3)
                     | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=10)


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(leads=st.lists(st.dictionaries(st.text(max_size=6), _JSON, max_size=4), max_size=6),
       ascii_only=st.booleans())
def test_jsonl_reads_back_every_object_on_its_line(tmp_path: Path, leads, ascii_only) -> None:
    path = tmp_path / "p.jsonl"
    # surrogates are written escaped (ensure_ascii), everything else may be raw
    text = "".join(json.dumps(lead, ensure_ascii=ascii_only) + "\n" for lead in leads)
    path.write_bytes(text.encode("utf-8", "surrogatepass" if not ascii_only else "strict"))
    read = rows_of(path)
    if not ascii_only and any("\ud800" <= c <= "\udfff" for c in text):
        assert len(read) == len(leads)  # raw surrogates are not UTF-8: error rows, none lost
        return
    assert [r.lead for r in read] == leads
    assert [r.line for r in read] == list(range(1, len(leads) + 1))


def test_regression_files_dev_zero_as_one_lead_is_binary_at_once() -> None:
    # Issue 13, "Files": `eval --lead /dev/zero` read 256 MiB of zeros and then
    # called it a JSON array too large to read whole. The start is looked at first.
    with open("/dev/zero", "rb") as stream:
        with pytest.raises(InputError, match="file is binary"):
            list(inputs.read_stream(stream, "/dev/zero", "json"))
        assert stream.tell() <= 64 * 1024


def test_a_single_lead_over_the_size_limit_is_not_called_an_array(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(inputs, "MAX_JSON_BYTES", 100)
    path = tmp_path / "lead.json"
    path.write_text(json.dumps({"id": "x" * 200}), encoding="utf-8")
    with pytest.raises(InputError, match=r"JSON over 0 MiB \(an array, or one lead\) is not read whole"):
        rows_of(path)


def test_regression_csv_piped_as_jsonl_says_what_to_do() -> None:
    # Rough edge of issue 13: CSV on stdin is read as JSON Lines unless
    # --input-format csv says otherwise; the first error says so.
    rows = list(inputs.read_stream(io.BytesIO(b"id,n\nA,5\n"), "<stdin>", "jsonl"))
    assert [type(r) for r in rows] == [RowError, RowError]
    assert rows[0].error == "invalid JSON: Expecting value (a CSV header? read it with --input-format csv)"
    assert rows[1].error == "invalid JSON: Expecting value"
    # a broken JSON line is no CSV header
    (broken,) = inputs.read_stream(io.BytesIO(b'{"id": "A",\n'), "<stdin>", "jsonl")
    assert isinstance(broken, RowError) and "CSV" not in broken.error


def _arrow_peak_while_reading(path: Path) -> int:
    """The most Arrow memory held at any row while the reader goes through
    the file, beyond what was held before."""
    pa = pytest.importorskip("pyarrow")
    before, peak = pa.total_allocated_bytes(), 0
    for row in inputs.read_rows([str(path)]):
        assert isinstance(row, inputs.Row)
        peak = max(peak, pa.total_allocated_bytes() - before)
    return peak


def test_reading_parquet_holds_the_same_arrow_memory_for_4x_the_row_groups(tmp_path: Path) -> None:
    # pyarrow pre-buffers column chunks by default and keeps them: its memory
    # grew with the file (40 -> 88 MB over a million rows). Streamed, the
    # reader holds about one row group's buffers whatever the file's length.
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    import random

    rng = random.Random(7)
    group = pa.table({"id": [f"{rng.getrandbits(128):032x}" for _ in range(20_000)],
                      "notes": [f"{rng.getrandbits(256):064x}" for _ in range(20_000)]})
    peaks = []
    for groups in (4, 16):
        path = tmp_path / f"leads{groups}.parquet"
        with pq.ParquetWriter(path, group.schema) as writer:
            for _ in range(groups):
                writer.write_table(group)
        peaks.append(_arrow_peak_while_reading(path))
    small, large = peaks
    assert pq.read_metadata(tmp_path / "leads16.parquet").num_row_groups == 16
    assert large <= small * 1.25 + 2**20, peaks
