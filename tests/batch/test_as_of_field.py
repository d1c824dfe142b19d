"""`--as-of-field PATH [--as-of-offset D]` on score (every engine) and eval:
each lead decided as of its own moment, a lead without one an error row
(score) or a located message (eval), the same options and messages on
every command."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from .helpers import invoke, jsonl
from budget import THOROUGH

POLICY = """\
policy arrival
schema {
  id:      string
  created: datetime
  visits:  int
}
score engagement {
  rule fresh  +20 when days_since(created) <= 1
  rule visits +10 when visits >= 5
}
tiers {
  tier hot  when score >= 20
  tier cold otherwise
}
"""

# (row, its moment with --as-of-offset 1d, or the error it gives)
ROWS = [
    ({"id": "a", "created": "2026-10-01T10:00:00Z", "visits": 7}, "2026-10-02T10:00:00Z"),
    ({"id": "b", "created": "soon", "visits": 1}, "as-of time unusable: created is not a date or datetime: soon"),
    ({"id": "c", "visits": 9}, "as-of time unusable: created is missing"),
    ({"id": "d", "created": "2026-10-05", "visits": 0}, "2026-10-06T00:00:00Z"),
    ({"id": "e", "created": "2026-10-05T23:30:00.25+02:00", "visits": 5}, "2026-10-06T21:30:00.250000Z"),
    ({"id": "f", "created": "9999-12-31T12:00:00Z"},
     "as-of time unusable: created + 1d is past the year 9999: 9999-12-31T12:00:00Z"),
    ({"id": "g", "created": "", "visits": 3}, "as-of time unusable: created is missing"),
    ({"id": "h", "created": "1969-12-31T23:59:59.5Z"}, "1970-01-01T23:59:59.500000Z"),
    ({"id": "i", "created": "1969-12-30T23:59:59.25Z"}, "1969-12-31T23:59:59.250000Z"),  # before the epoch
]
ROWS_AS_TEXT = [{key: str(row.get(key, "")) for key in ("id", "created", "visits")} for row, _ in ROWS]


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    policy = tmp_path / "arrival.qual"
    policy.write_text(POLICY, encoding="utf-8")
    leads = tmp_path / "leads.jsonl"
    leads.write_text("".join(json.dumps(row) + "\n" for row, _ in ROWS), encoding="utf-8")
    table = tmp_path / "leads.csv"
    with table.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=["id", "created", "visits"])
        writer.writeheader()
        writer.writerows(ROWS_AS_TEXT)
    return {"policy": policy, "jsonl": leads, "csv": table}


def score(files: dict[str, Path], tmp_path: Path, kind: str, *options: str) -> tuple[list[dict], list[dict], int]:
    errors = tmp_path / f"errors-{kind}-{'-'.join(options)}.jsonl"
    result = invoke("score", str(files["policy"]), str(files[kind]), "--as-of-field", "created",
                    "--as-of-offset", "1d", "--no-progress", "--errors", str(errors), *options)
    return jsonl(result.stdout), jsonl(errors.read_text(encoding="utf-8")), result.exit_code


@pytest.mark.parametrize("kind", ["jsonl", "csv"])
def test_score_decides_each_row_as_of_its_own_field(files: dict[str, Path], tmp_path: Path, kind: str) -> None:
    decisions, errors, code = score(files, tmp_path, kind)
    assert code == 1  # error rows, more than --max-errors 0
    good = [(row, want) for row, want in ROWS if not want.startswith("as-of")]
    bad = [(index, want) for index, (_, want) in enumerate(ROWS) if want.startswith("as-of")]
    assert [d["lead"] for d in decisions] == [row["id"] for row, _ in good]
    assert [d["as_of"] for d in decisions] == [want for _, want in good]  # the row's own moment
    # judged one day after arrival, every fresh lead fires `fresh`
    assert all(d["rules"][0]["fired"] for d in decisions)
    line = 1 if kind == "jsonl" else 2  # the CSV header is line 1
    assert [(e["line"], e["error"]) for e in errors] == [(index + line, want) for index, want in bad]
    assert all(json.loads(e["raw"])["id"] == ROWS[index][0]["id"] for e, (index, _) in zip(errors, bad))
    assert len(decisions) + len(errors) == len(ROWS)  # rows read = decisions + error rows


@pytest.mark.parametrize("kind", ["jsonl", "csv"])
@pytest.mark.parametrize("options", [("--jobs", "2"), ("--engine", "duckdb"),
                                     ("--engine", "spark", "--spark-master", "local[1]")])
def test_every_engine_gives_the_same_decisions_and_error_rows(files: dict[str, Path], tmp_path: Path, kind: str,
                                                              options: tuple[str, ...]) -> None:
    if "duckdb" in options:
        pytest.importorskip("duckdb")
    if "spark" in options:
        if not THOROUGH:
            pytest.skip("Spark tests run in the ci test profile (QUALDSL_TEST_PROFILE=ci)")
        pytest.importorskip("pyspark")
        if shutil.which("java") is None:
            pytest.skip("no Java runtime for Spark")
    assert score(files, tmp_path, kind, *options) == score(files, tmp_path, kind)


def test_eval_reports_a_lead_without_its_moment_where_it_is(files: dict[str, Path]) -> None:
    result = invoke("eval", str(files["policy"]), "--leads", str(files["jsonl"]), "--as-of-field", "created",
                    "--as-of-offset", "1d")
    assert result.exit_code == 1
    lines = jsonl(result.stdout)
    assert [line.get("as_of", line.get("error")) for line in lines] == [want for _, want in ROWS]
    assert f"{files['jsonl']}:2: error: as-of time unusable: created is not a date or datetime: soon" in result.stderr
    one = files["jsonl"].parent / "one.json"
    one.write_text(json.dumps(ROWS[0][0]), encoding="utf-8")
    single = invoke("eval", str(files["policy"]), "--lead", str(one), "--as-of-field", "created")
    assert single.exit_code == 0, single.output
    assert json.loads(single.stdout)["as_of"] == "2026-10-01T10:00:00Z"
    one.write_text(json.dumps(ROWS[1][0]), encoding="utf-8")
    refused = invoke("eval", str(files["policy"]), "--lead", str(one), "--as-of-field", "created", "--format", "text")
    assert refused.exit_code == 1
    assert f"{one}:1: error: as-of time unusable: created is not a date or datetime: soon" in refused.stderr


USAGE = [
    (["--as-of", "2026-11-01", "--as-of-field", "created"], "give one of --as-of DATE (one moment) or --as-of-field"),
    (["--as-of-offset", "1d"], "--as-of-offset needs --as-of-field PATH"),
    (["--as-of-field", "created", "--as-of-offset", "1 day"], "`1 day` is not a duration"),
    (["--as-of-field", "created", "--as-of-offset", "99999999999w"], "too long a duration"),
    (["--as-of-field", "a..b"], "--as-of-field"),
    (["--as-of", "tomorrow"], "`tomorrow` is not an ISO 8601 date or datetime"),
]


@pytest.mark.parametrize(("options", "message"), USAGE)
@pytest.mark.parametrize("command", ["score", "eval", "backtest", "diff"])
def test_the_same_options_and_messages_everywhere(files: dict[str, Path], command: str, options: list[str],
                                                  message: str) -> None:
    policy, leads = str(files["policy"]), str(files["jsonl"])
    args = {"score": ["score", policy, leads], "eval": ["eval", policy, "--leads", leads],
            "backtest": ["backtest", policy, "--leads", leads, "--outcome", "visits"],
            "diff": ["diff", policy, policy, "--leads", leads]}[command]
    result = invoke(*args, *options)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_cli_doc_example_shows_each_leads_own_moment(tmp_path: Path) -> None:
    """docs/cli.md's --as-of-field example runs and prints the lines it quotes."""
    import os
    import re
    import subprocess
    import sys

    from .helpers import ROOT

    doc = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    section = doc.split("### Judging each lead as of its own time", 1)[1]
    command = re.search(r"```sh\n(.*?)\n```", section, re.DOTALL).group(1)  # type: ignore[union-attr]
    headers, error = re.findall(r"```text\n(.*?)\n```", section, re.DOTALL)[:2]
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "qualdsl").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m qualdsl "$@"\n', encoding="utf-8")
    (bin_dir / "qualdsl").chmod(0o755)
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), PATH=f"{bin_dir}:{os.environ['PATH']}")
    result = subprocess.run(["bash", "-c", command], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert [line for line in result.stdout.splitlines() if line.startswith("policy ")] == headers.splitlines()
    # The error line it quotes, on a file whose fourth line has `soon` for a date.
    (tmp_path / "leads.csv").write_text("mql_id,first_contact_date,landing_page_id,origin,won\n"
                                        "a,2018-02-01,p,email,0\nb,2018-02-02,p,email,1\nc,soon,p,email,0\n",
                                        encoding="utf-8")
    bad = subprocess.run(["bash", "-c", command.replace("head -4 policies/data/olist_mqls.csv", "cat leads.csv")
                          .replace("policies/olist.qual", str(ROOT / "policies" / "olist.qual"))
                          .replace("--input-format csv", "--input-format csv --leads leads.csv")],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert bad.returncode == 1
    assert error in bad.stderr.splitlines()
