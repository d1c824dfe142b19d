"""`qualdsl score --engine duckdb -o OUT.parquet|OUT.csv`: DuckDB writes the
file itself (COPY), and it is the python engine's file exactly — Parquet
equal as an Arrow table (column order, types and nullability included), CSV
byte for byte — in input order, with the same summary. JSONL (a file or
standard output): the SQL makes each line, byte for byte the python
engine's, and no Decision is built."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from qualdsl.cli import cli

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
duckdb_engine = pytest.importorskip("qualdsl.backends.sql.duckdb_engine")

ROOT = Path(__file__).resolve().parents[2]
SAAS = str(ROOT / "policies" / "saas_inbound.qual")
XEDU = str(ROOT / "policies" / "xeducation.qual")
EXPORT = ROOT / "policies" / "data" / "xeducation_leads.csv"
AS_OF = "2026-11-01"

# Ids csv.writer and DuckDB's CSV writer could quote differently: empty,
# spaces, separators, quotes, line ends, DuckDB's comment and NULL spellings.
HOSTILE_IDS = ["", " a", "a b ", "a,b", 'a"b', "a\nb", "a\rb", "a\r\nb", '"', "#x", "x#", "é", "\t", "NULL",
               "null", "\\N", "'q'", "x;y", "\u2028", "1e5", " ", None]


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, ["--color", "never", *args])


def score(engine: str, source: Path, out: Path, *extra: str) -> Result:
    result = invoke("score", SAAS, str(source), "--as-of", AS_OF, "-o", str(out), "--engine", engine,
                    "--no-progress", *extra)
    assert result.exit_code == 0, result.output
    return result


def leads(count: int) -> list[dict[str, Any]]:
    """Leads every part of the saas policy reacts to: sizes, countries,
    industries with case and Unicode, tech lists, events, hostile ids."""
    countries = ["US", "us", None, "DE", "Ünited"]
    industries = ["SaaS", "saas", "FinTech", "straße", None]
    rows = []
    for i in range(count):
        rows.append({
            "id": HOSTILE_IDS[i % len(HOSTILE_IDS)] if i % 3 == 0 else f"L-{i:06d}",
            "company": {"employees": (i * 37) % 900, "country": countries[i % 5], "industry": industries[i % 4],
                        "tech": ["salesforce", "Slack"] if i % 2 else []},
            "person": {"title": ["VP Sales", "CTO", "intern"][i % 3], "email": f"p{i}@example.com"},
            "source": ["web", "referral", "paid", None][i % 4],
            "events": [{"type": ["demo_request", "webinar", "email_click"][(i + k) % 3],
                        "at": f"2026-10-{1 + (i + k) % 28:02d}T10:00:00Z"} for k in range(i % 4)],
        })
    return rows


def write_inputs(folder: Path, kind: str, rows: list[dict[str, Any]]) -> list[Path]:
    if kind == "parquet":  # two files of many row groups: DuckDB reads them in parallel
        half = len(rows) // 2
        paths = [folder / "part1.parquet", folder / "part2.parquet"]
        for path, part in zip(paths, (rows[:half], rows[half:])):
            pq.write_table(pa.Table.from_pylist(part), path, row_group_size=700)
        return paths
    if kind == "jsonl":
        path = folder / "leads.jsonl"
        path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
        return [path]
    path = folder / "leads.csv"  # flat columns, as a CRM export has them
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["id", "company.employees", "company.country", "company.industry", "company.tech",
                         "person.title", "source", "events"])
        for row in rows:
            company = row["company"]
            writer.writerow([row["id"] or "", company["employees"], company["country"] or "",
                             company["industry"] or "", json.dumps(company["tech"]), row["person"]["title"],
                             row["source"] or "", json.dumps(row["events"])])
    return [path]


def summary(result: Result) -> list[str]:
    """The summary without its time and rate."""
    lines = result.stderr.strip().splitlines()
    return [re.sub(r" in [0-9.]+s, [0-9,]+ rows/s", "", lines[0]), *lines[1:]]


@pytest.mark.parametrize("kind", ["parquet", "csv", "jsonl"])
def test_duckdb_writes_the_python_engines_files_exactly(tmp_path: Path, kind: str) -> None:
    (source, *more) = write_inputs(tmp_path, kind, leads(6000))
    for output in ("parquet", "csv", "jsonl"):
        python_out, duckdb_out = tmp_path / f"python.{output}", tmp_path / f"duckdb.{output}"
        inputs = [str(path) for path in more]
        by_python = score("python", source, python_out, *inputs)
        by_duckdb = score("duckdb", source, duckdb_out, *inputs)
        if output == "parquet":
            ours, theirs = pq.read_table(python_out), pq.read_table(duckdb_out)
            assert theirs.schema == ours.schema  # names, order, types, nullability
            assert theirs.equals(ours)
            assert ours.num_rows == 6000
        else:
            assert duckdb_out.read_bytes() == python_out.read_bytes()
        assert summary(by_duckdb) == [line.replace(f"python.{output}", f"duckdb.{output}")
                                      for line in summary(by_python)]
        assert "6,000 rows read" in by_duckdb.stderr and "0 unreadable rows" in by_duckdb.stderr


def test_the_real_export_byte_for_byte(tmp_path: Path) -> None:
    for output in ("csv", "parquet", "jsonl"):
        results = []
        for engine in ("python", "duckdb"):
            out = tmp_path / f"{engine}.{output}"
            result = invoke("score", XEDU, str(EXPORT), "--id-field", "Prospect ID", "--as-of", AS_OF,
                            "-o", str(out), "--engine", engine, "--no-progress")
            assert result.exit_code == 0, result.output
            results.append(summary(result))
        if output != "parquet":
            assert (tmp_path / f"duckdb.{output}").read_bytes() == (tmp_path / f"python.{output}").read_bytes()
        else:
            assert pq.read_table(tmp_path / "duckdb.parquet").equals(pq.read_table(tmp_path / "python.parquet"))
        assert results[1][1:] == results[0][1:] == [
            "tiers:  cold 5,262, warm 2,538, hot 1,440",
            "routes: email-nurture 4,744, inside-sales 2,538, admissions-counsellor 1,440, no-outreach 518"]


def test_no_decision_passes_through_python(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The native path never fetches a row: the engine's row-by-row paths
    are broken here, and the file is still written and counted."""
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a decision came back into Python")

    monkeypatch.setattr(duckdb_engine, "decisions", refuse)
    monkeypatch.setattr(duckdb_engine.DuckDBEngine, "run", refuse)
    (source,) = write_inputs(tmp_path, "jsonl", leads(300))
    for output in ("parquet", "csv"):
        result = score("duckdb", source, tmp_path / f"out.{output}")
        assert "300 rows read" in result.stderr and "300 decisions written" in result.stderr
    assert pq.read_metadata(tmp_path / "out.parquet").num_rows == 300


def test_jsonl_lines_are_made_by_the_sql(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """To a file and to standard output, the lines are the python engine's
    bytes, and no Decision is made of DuckDB's rows."""
    rows = leads(3000)
    (source,) = write_inputs(tmp_path, "jsonl", rows)
    by_python = score("python", source, tmp_path / "python.jsonl")
    to_stdout = invoke("score", SAAS, str(source), "--as-of", AS_OF, "--engine", "python", "--no-progress")

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a Decision was made of DuckDB's rows")

    monkeypatch.setattr(duckdb_engine, "decisions", refuse)
    monkeypatch.setattr(duckdb_engine, "_decision", refuse)
    by_duckdb = score("duckdb", source, tmp_path / "duckdb.jsonl")
    assert (tmp_path / "duckdb.jsonl").read_bytes() == (tmp_path / "python.jsonl").read_bytes()
    assert summary(by_duckdb) == [line.replace("python.jsonl", "duckdb.jsonl") for line in summary(by_python)]
    duckdb_stdout = invoke("score", SAAS, str(source), "--as-of", AS_OF, "--engine", "duckdb", "--no-progress")
    assert duckdb_stdout.exit_code == 0 and duckdb_stdout.stdout == to_stdout.stdout
    lines = duckdb_stdout.stdout.split("\n")[:-1]  # not splitlines(): an id holds U+2028
    assert len(lines) == 3000 and [json.loads(line)["lead"] for line in lines] == [row["id"] for row in rows]


def test_ties_in_the_summary_keep_the_order_of_first_appearance(tmp_path: Path) -> None:
    rows = [{"id": f"L{i}", "company": {"employees": 600, "country": "US", "industry": "SaaS"}} if i % 2
            else {"id": f"L{i}"} for i in range(10)]
    (source,) = write_inputs(tmp_path, "jsonl", rows)
    lines = {engine: summary(score(engine, source, tmp_path / f"{engine}.csv")) for engine in ("python", "duckdb")}
    assert lines["duckdb"][1:] == lines["python"][1:]
    assert re.match(r"tiers:  \S+ 5, \S+ 5$", lines["duckdb"][1])


@pytest.mark.parametrize("output", ["parquet", "jsonl"])
def test_a_row_duckdb_cannot_read_hands_over_and_the_file_is_the_python_engines(tmp_path: Path, output: str) -> None:
    source = tmp_path / "bad.csv"
    source.write_text("id,company.employees\nL1,5\nL2,6,7\nL3,8\n", encoding="utf-8")
    outputs = {}
    for engine in ("python", "duckdb"):
        out = tmp_path / f"{engine}.{output}"
        result = invoke("score", SAAS, str(source), "--as-of", AS_OF, "-o", str(out), "--engine", engine,
                        "--no-progress", "--errors", str(tmp_path / f"{engine}.errors.jsonl"))
        assert result.exit_code == 1  # one error row, beyond --max-errors 0: the python engine's status
        assert "Traceback" not in result.output
        decided = pq.read_table(out) if output == "parquet" else out.read_bytes().splitlines()
        outputs[engine] = (decided, (tmp_path / f"{engine}.errors.jsonl").read_bytes())
    assert (f"note: {source}:3: row has 3 cells but the header has 2, which the duckdb engine cannot read; "
            "the python engine decides the rest of the input, exactly") in result.stderr
    assert outputs["duckdb"][0] == outputs["python"][0] if output == "jsonl" else \
        outputs["duckdb"][0].equals(outputs["python"][0])
    assert len(outputs["duckdb"][0]) == 2
    assert outputs["duckdb"][1] == outputs["python"][1]
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".qualdsl-")]  # no temporary file left


def test_csv_is_read_with_commas_whatever_the_sniffer_guesses(tmp_path: Path) -> None:
    """DuckDB's sniffer read this file as one column named `id;company.employees,x`
    (semicolons look like the delimiter); the python reader splits on commas."""
    source = tmp_path / "leads.csv"
    source.write_text("id;a,company.employees\nx;1,700\ny;2,5\n#z,9\n", encoding="utf-8")
    python_out, duckdb_out = tmp_path / "python.csv", tmp_path / "duckdb.csv"
    score("python", source, python_out)
    result = score("duckdb", source, duckdb_out)
    assert duckdb_out.read_bytes() == python_out.read_bytes()
    assert "3 decisions written" in result.stderr  # the `#z` row is a row, not a comment


def test_progress_is_reported_as_a_share(tmp_path: Path) -> None:
    """DuckDB's query progress, polled while a query runs (one slow enough
    to be polled: sorting three million hashes)."""
    shares: list[float] = []
    connection = duckdb_engine.connect()
    out = duckdb_engine._literal(str(tmp_path / "hashes.parquet"))
    duckdb_engine._execute(connection, f"COPY (SELECT md5(range::VARCHAR) AS h FROM range(3000000) ORDER BY h) "
                           f"TO {out} (FORMAT parquet)", shares.append, [], None)
    assert shares and all(0.0 <= share <= 1.0 for share in shares)
    assert max(shares) > 0  # it moves


def test_the_progress_line_shows_the_share_and_an_eta(capsys: pytest.CaptureFixture[str]) -> None:
    from qualdsl.batch.cli import _ProgressBar

    bar = _ProgressBar(None, None)
    bar.started -= 10.0  # ten seconds in
    bar.last = float("-inf")
    bar.share(0.25)
    assert capsys.readouterr().err == "\r[######..................]  25%  ETA 0:00:30\x1b[K"
    bar.last = float("-inf")
    bar.share(0.01)  # too early for an ETA that means anything
    assert capsys.readouterr().err == "\r[........................]   1%\x1b[K"


BUNDLED = sorted(path.stem.removesuffix(".leads") for path in (ROOT / "policies").glob("*.leads.jsonl"))

# Every branch of the flat text: when rules with and without decay (constant
# ledger text, decayed points), event rules, negative points, ICP reasons
# JSON must escape (quotes, a backslash, a tab) and warnings.
ESCAPES = '''policy escapes
schema {
  id: string
  n: int
  kind: string
  events: events
}
icp {
  require n >= 0 else "n \\"negative\\" \\\\ or missing"
  reject kind == "spam" as "spam\\tkind"
}
score fixed {
  rule big 7.25 when n > 10
  rule small -0.5 when kind == "ß"
}
score decaying max 50 {
  decay 10% every 3d
  rule recent 10 when n > 1
  rule demo 3.3 per event "demo" max 4
}
'''


def _decided_both(tmp_path: Path, policy: str, source: Path, *extra: str) -> None:
    for output in ("parquet", "csv", "jsonl"):
        outs = []
        for engine in ("python", "duckdb"):
            out = tmp_path / f"{engine}.{output}"
            result = invoke("score", policy, str(source), "--as-of", AS_OF, "-o", str(out), "--engine", engine,
                            "--no-progress", *extra)
            assert result.exit_code == 0, result.output
            outs.append(out)
        if output != "parquet":
            assert outs[1].read_bytes() == outs[0].read_bytes()
        else:
            assert pq.read_table(outs[1]).equals(pq.read_table(outs[0]))


@pytest.mark.parametrize("name", BUNDLED)
def test_every_bundled_policy_over_its_leads(tmp_path: Path, name: str) -> None:
    _decided_both(tmp_path, str(ROOT / "policies" / f"{name}.qual"), ROOT / "policies" / f"{name}.leads.jsonl")


def test_the_flat_text_branches(tmp_path: Path) -> None:
    policy = tmp_path / "escapes.qual"
    policy.write_text(ESCAPES, encoding="utf-8")
    rows = [{"id": f"E{i}", "n": [None, -1, 0, 5, 11, "x", 2.5][i % 7], "kind": ["spam", "SS", "ß", None][i % 4],
             "events": [{"type": "Demo", "at": f"2026-10-{1 + (i + k) % 30:02d}T0{k}:00:00Z"} for k in range(i % 6)]}
            for i in range(300)]
    (source,) = write_inputs(tmp_path, "jsonl", rows)
    reasons = pq.read_table(_score_once(policy, source, tmp_path)).column("icp_reasons").to_pylist()
    assert '["n \\"negative\\" \\\\ or missing"]' in reasons and '["spam\\tkind"]' in reasons
    _decided_both(tmp_path, str(policy), source)


def _score_once(policy: Path, source: Path, folder: Path) -> Path:
    out = folder / "once.parquet"
    result = invoke("score", str(policy), str(source), "--as-of", AS_OF, "-o", str(out), "--engine", "duckdb",
                    "--no-progress")
    assert result.exit_code == 0, result.output
    return out
