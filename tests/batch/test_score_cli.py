"""`qualdsl score`: outputs, error rows, exit codes, order, stdin, devices."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import threading
from pathlib import Path

import pytest

import qualdsl
from qualdsl.batch.outputs import finite, flat_columns

from .helpers import AS_OF, EXPORT, SAAS, XEDU, invoke, jsonl, run_process, saas_leads


def write_jsonl(path: Path, leads: list) -> Path:
    path.write_text("".join(json.dumps(lead) + "\n" for lead in leads), encoding="utf-8")
    return path


def test_jsonl_output_is_the_decision_json_plus_policy_hash_in_input_order(tmp_path: Path, saas_policy) -> None:
    leads = saas_leads()
    source = write_jsonl(tmp_path / "leads.jsonl", leads)
    result = invoke("score", SAAS, str(source), "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    out = jsonl(result.stdout)
    assert len(out) == len(leads)
    for line, lead in zip(out, leads):
        want = saas_policy.evaluate(lead, as_of=AS_OF).to_dict()
        assert list(line)[:2] == ["policy", "policy_hash"]
        assert line.pop("policy_hash") == saas_policy.hash
        assert line == want


def test_csv_and_parquet_outputs_have_the_flat_columns_in_order(tmp_path: Path, saas_policy) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    leads = saas_leads()
    source = write_jsonl(tmp_path / "leads.jsonl", leads)
    columns = ["policy", "policy_hash", "lead", "as_of", "icp_pass", "icp_reasons", "score_fit",
               "score_engagement", "score_total", "tier", "route", "rules", "warnings"]
    assert flat_columns(saas_policy.blocks) == columns
    for name in ("out.csv", "out.parquet"):
        result = invoke("score", SAAS, str(source), "--as-of", AS_OF, "-o", str(tmp_path / name))
        assert result.exit_code == 0, result.output
        if name.endswith(".csv"):
            with open(tmp_path / name, newline="", encoding="utf-8") as file:
                rows = list(csv.DictReader(file))
            assert list(rows[0]) == columns
        else:
            table = pq.read_table(tmp_path / name)
            assert table.column_names == columns
            assert str(table.schema.field("icp_pass").type) == "bool"
            assert str(table.schema.field("score_total").type) == "double"
            rows = table.to_pylist()
        assert len(rows) == len(leads)
        for row, lead in zip(rows, leads):
            want = saas_policy.evaluate(lead, as_of=AS_OF).to_dict()
            assert row["lead"] in (want["lead"], "" if want["lead"] is None else None)
            assert str(row["icp_pass"]).lower() == str(want["icp"]["pass"]).lower()
            assert json.loads(row["icp_reasons"]) == want["icp"]["reasons"]
            assert float(row["score_fit"]) == want["scores"]["fit"]
            assert float(row["score_total"]) == want["scores"]["total"]
            assert (row["tier"] or None) == want["tier"] and (row["route"] or None) == want["route"]
            assert json.loads(row["rules"]) == want["rules"]
            assert json.loads(row["warnings"]) == want["warnings"]
            assert row["policy_hash"] == saas_policy.hash


def test_error_rows_are_counted_never_dropped_and_set_the_exit_code(tmp_path: Path) -> None:
    good = [json.dumps(lead) for lead in saas_leads()[:5]]
    lines = [good[0], "{broken", good[1], "[]", good[2], good[3], '{"id": ', good[4]]
    source = tmp_path / "leads.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    errors = tmp_path / "errors.jsonl"
    out = tmp_path / "out.jsonl"
    result = invoke("score", SAAS, str(source), "--as-of", AS_OF, "-o", str(out), "--errors", str(errors))
    assert result.exit_code == 1  # 3 error rows > --max-errors 0
    records = jsonl(errors.read_text(encoding="utf-8"))
    decisions = jsonl(out.read_text(encoding="utf-8"))
    assert len(records) + len(decisions) == len(lines)  # rows read = decisions + error rows
    assert [r["line"] for r in records] == [2, 4, 7]
    assert all(set(r) == {"source", "line", "error", "raw"} for r in records)
    assert records[0]["raw"] == "{broken" and records[0]["source"] == str(source)
    assert "8 rows read" in result.stderr and "3 unreadable rows" in result.stderr
    tolerant = invoke("score", SAAS, str(source), "--as-of", AS_OF, "-o", str(out), "--max-errors", "3")
    assert tolerant.exit_code == 0
    # without --errors the records go to stderr, one JSON object per line
    stderr_records = [json.loads(line) for line in tolerant.stderr.splitlines() if line.startswith("{")]
    assert [r["line"] for r in stderr_records] == [2, 4, 7]


def test_jobs_2_keeps_the_input_order_and_the_decisions(tmp_path: Path) -> None:
    base = saas_leads()
    leads = [dict(base[i % len(base)], id=f"L-{i:05d}") for i in range(2500)]
    lines = [json.dumps(lead) for lead in leads]
    lines.insert(1234, "{bad")
    source = tmp_path / "leads.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    one = invoke("score", SAAS, str(source), "--as-of", AS_OF, "--max-errors", "1", "--errors",
                 str(tmp_path / "e1.jsonl"))
    two = invoke("score", SAAS, str(source), "--as-of", AS_OF, "--max-errors", "1", "--jobs", "2", "--errors",
                 str(tmp_path / "e2.jsonl"))
    assert one.exit_code == two.exit_code == 0, two.output
    assert [d["lead"] for d in jsonl(two.stdout)] == [lead["id"] for lead in leads]
    assert two.stdout == one.stdout
    assert jsonl((tmp_path / "e2.jsonl").read_text())[0]["line"] == 1235
    # workers encode flat rows themselves: the CSV is byte for byte the same
    for jobs in ("1", "2"):
        result = invoke("score", SAAS, str(source), "--as-of", AS_OF, "--max-errors", "1", "--jobs", jobs,
                        "--errors", str(tmp_path / "e.jsonl"), "-o", str(tmp_path / f"out{jobs}.csv"))
        assert result.exit_code == 0, result.output
    assert (tmp_path / "out1.csv").read_bytes() == (tmp_path / "out2.csv").read_bytes()


def test_stdin_is_jsonl(saas_policy) -> None:
    leads = saas_leads()
    text = "".join(json.dumps(lead) + "\n" for lead in leads)
    result = invoke("score", SAAS, "-", "--as-of", AS_OF, input=text)
    assert result.exit_code == 0, result.output
    assert [d["tier"] for d in jsonl(result.stdout)] == [
        saas_policy.evaluate(lead, as_of=AS_OF).tier for lead in leads]


def test_several_inputs_of_different_formats_are_read_in_turn(tmp_path: Path) -> None:
    first = write_jsonl(tmp_path / "a.jsonl", [{"id": "A"}])
    second = tmp_path / "b.csv"
    second.write_text("id\nB\nC\n", encoding="utf-8")
    third = tmp_path / "c.json"
    third.write_text('[{"id": "D"}]', encoding="utf-8")
    result = invoke("score", SAAS, str(first), str(second), str(third), "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    assert [d["lead"] for d in jsonl(result.stdout)] == ["A", "B", "C", "D"]


def test_input_format_overrides_the_extension(tmp_path: Path) -> None:
    source = tmp_path / "leads.txt"
    source.write_text("id\nA\n", encoding="utf-8")
    assert invoke("score", SAAS, str(source), "--as-of", AS_OF).exit_code == 2
    result = invoke("score", SAAS, str(source), "--as-of", AS_OF, "--input-format", "csv")
    assert result.exit_code == 0 and jsonl(result.stdout)[0]["lead"] == "A"


@pytest.mark.parametrize(
    "args, message",
    [
        (["missing.jsonl"], "no such file"),
        (["leads.jsonl", "missing.jsonl"], "missing.jsonl: no such file"),  # checked before any output
        (["leads.jsonl", "-o", "out.xlsx"], "*.jsonl, *.csv or *.parquet"),
        (["leads.jsonl", "--engine", "flink"], "'flink' is not one of"),
        (["leads.jsonl", "--jobs", "0"], "--jobs"),
        (["leads.jsonl", "--id-field", "a..b"], "empty segment"),
        (["-", "-"], "only once"),
    ],
)
def test_usage_and_unreadable_inputs_exit_2(tmp_path: Path, monkeypatch, args: list[str], message: str) -> None:
    monkeypatch.chdir(tmp_path)
    write_jsonl(tmp_path / "leads.jsonl", [{"id": "A"}])
    result = invoke("score", SAAS, *args, "--as-of", AS_OF)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.output


@pytest.mark.parametrize("missing", ["pyarrow", "numpy"])
def test_parquet_without_its_extra_names_what_is_missing_and_exits_2(tmp_path: Path, monkeypatch,
                                                                      missing: str) -> None:
    import importlib.util

    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == missing else find_spec(name, *a))
    source = write_jsonl(tmp_path / "leads.jsonl", [{"id": "A"}])
    result = invoke("score", SAAS, str(source), "--as-of", AS_OF, "-o", str(tmp_path / "out.parquet"))
    assert result.exit_code == 2, result.output
    assert f"Parquet needs {missing}: pip install 'qualdsl[parquet]'" in result.stderr
    assert "Traceback" not in result.output
    assert not (tmp_path / "out.parquet").exists()


def test_a_policy_that_does_not_compile_exits_2(tmp_path: Path) -> None:
    policy = tmp_path / "bad.qual"
    policy.write_text("policy bad\nscore s {\n  rule r +5 whn x\n}\n", encoding="utf-8")
    write_jsonl(tmp_path / "leads.jsonl", [{"id": "A"}])
    result = invoke("score", str(policy), str(tmp_path / "leads.jsonl"))
    assert result.exit_code == 2
    assert "bad.qual:3" in result.stderr


def test_an_input_found_binary_midway_leaves_no_output_file(tmp_path: Path) -> None:
    good = write_jsonl(tmp_path / "a.jsonl", [{"id": "A"}])
    binary = tmp_path / "b.jsonl"
    binary.write_bytes(b'{"id": "B"}\n\x00\x00\x00\n')
    out = tmp_path / "out.parquet"
    result = invoke("score", SAAS, str(good), str(binary), "--as-of", AS_OF, "-o", str(out))
    assert result.exit_code == 2
    assert "b.jsonl: file is binary" in result.stderr
    assert sorted(tmp_path.iterdir()) == sorted([good, binary])  # no output, no temporary file


def test_lone_surrogates_and_control_text_are_escaped_in_every_output(tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    source = tmp_path / "leads.jsonl"
    source.write_text('{"id": "bad\\ud800id", "company": {"employees": "\\udfff"}}\n', encoding="utf-8")
    result = invoke("score", SAAS, str(source), "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    (decision,) = jsonl(result.stdout)
    assert decision["lead"] == "bad\ud800id"  # escaped as \ud800 in the JSON text, read back as such
    assert "\\ud800" in result.stdout
    for name in ("out.csv", "out.parquet"):
        assert invoke("score", SAAS, str(source), "--as-of", AS_OF, "-o", str(tmp_path / name)).exit_code == 0
    with open(tmp_path / "out.csv", encoding="utf-8", newline="") as file:
        assert next(csv.DictReader(file))["lead"] == "bad\\ud800id"
    assert pq.read_table(tmp_path / "out.parquet").column("lead").to_pylist() == ["bad\\ud800id"]


def test_scores_that_are_not_finite_are_null_with_a_warning(saas_policy) -> None:
    decision = saas_policy.evaluate(saas_leads()[0], as_of=AS_OF)
    broken = decision._replace(scores={**decision.scores, "fit": math.inf, "total": math.nan},
                               rules=(decision.rules[0]._replace(points=-math.inf), *decision.rules[1:]))
    fixed = finite(broken).to_dict()
    text = json.dumps(fixed, allow_nan=False)  # strict JSON: no NaN/Infinity
    assert json.loads(text)["scores"]["fit"] is None and fixed["scores"]["total"] is None
    assert fixed["rules"][0]["points"] is None
    assert [w for w in fixed["warnings"] if "not a finite number" in w] == [
        "scores.fit: inf is not a finite number; written as null",
        "scores.total: nan is not a finite number; written as null",
        (f"rules[0] ({decision.rules[0].block}.{decision.rules[0].rule}): points -inf is not a finite number; "
         "written as null"),
    ]
    assert finite(decision) is decision


def test_the_real_export_end_to_end_loses_no_row_and_matches_evaluate(tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "out.parquet"
    result = invoke("score", XEDU, str(EXPORT), "--id-field", "Prospect ID", "-o", str(out), "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    table = pq.read_table(out)
    with open(EXPORT, newline="", encoding="utf-8-sig") as file:
        rows = [{k: v for k, v in row.items() if v != ""} for row in csv.DictReader(file)]
    assert table.num_rows == len(rows) == 9240
    policy = qualdsl.load(XEDU, id_field="Prospect ID")
    expected = [policy.evaluate(row, as_of=AS_OF) for row in rows]
    assert table.column("lead").to_pylist() == [row["Prospect ID"] for row in rows]
    assert table.column("tier").to_pylist() == [d.tier for d in expected]
    assert table.column("route").to_pylist() == [d.route for d in expected]
    assert table.column("score_total").to_pylist() == [d.total for d in expected]
    assert [json.loads(r) for r in table.column("rules").to_pylist()[:50]] == [
        [r.to_dict() for r in d.rules] for d in expected[:50]]
    assert "9,240 rows read" in result.stderr and "hot 1,440" in result.stderr


def test_dev_zero_and_a_fifo_as_input(tmp_path: Path) -> None:
    if os.path.exists("/dev/zero"):
        result = run_process("score", SAAS, "/dev/zero", "--input-format", "jsonl", "--as-of", AS_OF)
        assert result.returncode == 2
        assert b"/dev/zero: file is binary" in result.stderr and b"Traceback" not in result.stderr
    fifo = tmp_path / "leads.csv"
    os.mkfifo(fifo)

    def write() -> None:
        with open(fifo, "w", encoding="utf-8") as pipe:
            pipe.write("id,company.employees\n")
            pipe.writelines(f"F{index},{index * 10}\n" for index in range(200))

    writer = threading.Thread(target=write)
    writer.start()
    result = run_process("score", SAAS, str(fifo), "--as-of", AS_OF)
    writer.join(timeout=10)
    assert result.returncode == 0, result.stderr
    assert [d["lead"] for d in jsonl(result.stdout.decode())] == [f"F{i}" for i in range(200)]


def test_no_progress_bar_when_stderr_is_not_a_terminal(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "leads.jsonl", saas_leads())
    result = run_process("score", SAAS, str(source), "--as-of", AS_OF, "-o", str(tmp_path / "o.jsonl"))
    assert result.returncode == 0
    assert b"\r" not in result.stderr and b"rows/s" in result.stderr  # the summary only


def test_the_progress_bar_shows_rows_rate_and_eta(monkeypatch) -> None:
    from qualdsl.batch import cli as batch_cli
    from qualdsl.batch.inputs import Progress

    class Job:
        progress = Progress()

    Job.progress.position = lambda: 250
    clock = iter([100.0, 102.0])
    monkeypatch.setattr(batch_cli.time, "monotonic", lambda: next(clock))
    stream = io.StringIO()
    monkeypatch.setattr(batch_cli.sys, "stderr", stream)
    bar = batch_cli._ProgressBar(Job(), 1000)
    bar.update(5000)
    text = stream.getvalue()
    assert text.startswith("\r[######") and "25%" in text
    assert "5,000 rows" in text and "2,500 rows/s" in text and "ETA 0:00:06" in text


def test_jobs_2_on_parquet_sends_arrow_batches_and_keeps_every_row_in_order(tmp_path: Path, saas_policy) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    base = saas_leads()
    leads = [{"id": f"P-{i:05d}", "company": base[i % len(base)].get("company"), "source": "webinar"}
             for i in range(2600)]
    company = pa.struct([("domain", pa.string()), ("industry", pa.string()), ("employees", pa.string()),
                         ("country", pa.string()), ("tech", pa.list_(pa.string()))])
    rows = [{"id": lead["id"], "source": lead["source"],
             "company": None if lead["company"] is None else {
                 **{k: (None if lead["company"].get(k) is None else str(lead["company"][k]))
                    for k in ("domain", "industry", "employees", "country")},
                 "tech": lead["company"].get("tech")}} for lead in leads]
    table = pa.Table.from_pylist(rows, schema=pa.schema([("id", pa.string()), ("company", company),
                                                         ("source", pa.string())]))
    source = tmp_path / "leads.parquet"
    pq.write_table(table, source, row_group_size=1000)
    outputs = {}
    for jobs in ("1", "2"):
        out = tmp_path / f"out{jobs}.jsonl"
        result = invoke("score", SAAS, str(source), "--as-of", AS_OF, "--jobs", jobs, "-o", str(out))
        assert result.exit_code == 0, result.output
        outputs[jobs] = out.read_bytes()
    assert outputs["1"] == outputs["2"]
    decisions = jsonl(outputs["2"].decode())
    assert [d["lead"] for d in decisions] == [lead["id"] for lead in leads]
    want = saas_policy.evaluate(table.slice(1234, 1).to_pylist()[0], as_of=AS_OF).to_dict()
    assert {k: v for k, v in decisions[1234].items() if k != "policy_hash"} == want


@pytest.mark.parametrize("extension", ["parquet", "csv", "jsonl"])
def test_an_output_that_cannot_be_written_is_a_clear_error_and_leaves_nothing(tmp_path: Path, monkeypatch,
                                                                             extension: str) -> None:
    """A full disk while writing (ENOSPC from pyarrow's writer, which runs on a
    thread of its own, or from the file itself) is exit 2 with the reason;
    no output and no temporary file are left, and the writing thread is gone."""
    import errno

    import pyarrow.parquet as pq

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    opened = os.fdopen

    class Full(io.BufferedWriter):
        write = full  # type: ignore[assignment]

    if extension == "parquet":
        monkeypatch.setattr(pq.ParquetWriter, "write_table", full)
    else:  # the temporary file score writes, its writes failing
        monkeypatch.setattr(os, "fdopen", lambda fd, mode="r", *args, **kwargs: Full(opened(fd, "wb", buffering=0))
                            if mode == "wb" else opened(fd, mode, *args, **kwargs))
    (tmp_path / "in").mkdir()
    source = write_jsonl(tmp_path / "in" / "leads.jsonl", saas_leads())
    out = tmp_path / "out"
    out.mkdir()
    threads = threading.active_count()
    result = invoke("score", SAAS, str(source), "--as-of", AS_OF, "-o", str(out / f"d.{extension}"))
    assert result.exit_code == 2, result.output
    assert f"error: cannot write {out / f'd.{extension}'}: No space left on device; nothing was written" \
        in result.stderr
    assert "internal error" not in result.output and list(out.iterdir()) == []
    assert threading.active_count() == threads


def test_jobs_past_64_is_a_usage_error_not_thousands_of_processes(tmp_path: Path) -> None:
    """`--jobs 100000` started that many interpreters (and hung the machine)."""
    source = write_jsonl(tmp_path / "leads.jsonl", saas_leads())
    threads = threading.active_count()
    result = invoke("score", SAAS, str(source), "--as-of", AS_OF, "--jobs", "100000")
    assert result.exit_code == 2 and "'--jobs': 100000 is not in the range 1<=x<=64" in result.output
    assert threading.active_count() == threads
