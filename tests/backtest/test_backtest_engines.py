"""`qualdsl backtest --engine duckdb` gives the python engine's report, byte
for byte, on the bundled real data and on generated messy rows; and the
rows it cannot use are counted the same way."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import pytest
from click.testing import CliRunner

from qualdsl.cli import cli

pytest.importorskip("duckdb")

ROOT = Path(__file__).resolve().parents[2]
XED = ["policies/xeducation.qual", "--leads", "policies/data/xeducation_sample.csv", "--outcome", "Converted",
       "--as-of", "2026-11-01", "--target-volume", "20"]
OLIST = ["policies/olist.qual", "--leads", "policies/data/olist_mqls.csv", "--outcome", "won",
         "--as-of-field", "first_contact_date", "--as-of-offset", "1d"]


def backtest(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--color", "never", "backtest", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def both(args: list[str], fmt: str = "json") -> tuple[str, str, str]:
    """The report of each engine (asserting both succeed) and the python engine's stderr."""
    code, python, python_err = backtest(*args, "--format", fmt, "--engine", "python")
    assert code == 0, python_err
    code, duckdb, duckdb_err = backtest(*args, "--format", fmt, "--engine", "duckdb")
    assert code == 0, duckdb_err
    assert duckdb_err == python_err  # the same rows left out, with the same locations
    return python, duckdb, python_err


@pytest.fixture(autouse=True)
def _at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def test_xeducation_report_is_the_same_on_duckdb() -> None:
    python, duckdb, _ = both(XED)
    assert json.loads(python)["leads"] == 300
    assert duckdb == python


def test_olist_report_judged_on_arrival_is_the_same_on_duckdb() -> None:
    python, duckdb, _ = both(OLIST)
    data = json.loads(python)
    assert data["leads"] == 8000 and data["positives"] == 842
    assert duckdb == python
    text_python, text_duckdb, _ = both(OLIST, "text")
    assert text_duckdb == text_python


def messy_rows(seed: int, count: int) -> list[dict[str, str]]:
    """Olist-shaped rows with what real exports hold: bad and missing dates,
    dates with zones and times, odd case, unknown and missing outcomes."""
    pick = random.Random(seed).choice
    dates = ["2018-02-01", "2017-10-20", "2018-03-22T10:30:00Z", "2018-01-01T23:59:59.5+05:00", "2018-02-30",
             "not a date", "", "9999-12-31T18:00:00Z", "0001-01-01", "2018-1-5", " 2018-02-01", "2018-02-01 08:00"]
    origins = ["social", "Paid_Search", "organic_search", "email", "referral", "", "unknown", "ÉMAIL", "direct_traffic"]
    outcomes = ["0", "1", "1", "0", "yes", "no", "maybe", "", "TRUE", "1.0"]
    return [{"mql_id": f"m{index}", "first_contact_date": pick(dates), "landing_page_id": pick(["a", "b", ""]),
             "origin": pick(origins), "won": pick(outcomes)} for index in range(count)]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_generated_messy_rows_give_the_same_report(tmp_path: Path, seed: int) -> None:
    path = tmp_path / "messy.csv"
    rows = messy_rows(seed, 400)
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    for when in (["--as-of-field", "first_contact_date", "--as-of-offset", "12h"], ["--as-of", "2018-06-01"]):
        args = ["policies/olist.qual", "--leads", str(path), "--outcome", "won", *when]
        python, duckdb, stderr = both(args)
        assert duckdb == python
        data = json.loads(python)
        usable = sum(1 for row in rows if row["won"].strip().casefold() in {"0", "1", "yes", "no", "true", "1.0"}
                     and (when[0] == "--as-of" or row["first_contact_date"] not in ("", "not a date", "2018-02-30",
                                                                                   "9999-12-31T18:00:00Z", "2018-1-5",
                                                                                   " 2018-02-01")))
        assert data["leads"] == usable
        left_out = sum(int(w.split()[0]) for w in data["warnings"] if " left out: " in w)
        assert data["leads"] + left_out == len(rows)  # every row measured or counted
        if when[0] == "--as-of-field":
            assert "left out: as-of time unusable" in stderr


def test_duckdb_engine_refuses_a_pipe_clearly() -> None:
    result = CliRunner().invoke(cli, ["backtest", "policies/olist.qual", "--leads", "-", "--outcome", "won",
                                      "--as-of", "2018-06-01", "--engine", "duckdb", "--input-format", "csv"],
                                input="mql_id,first_contact_date,landing_page_id,origin,won\nm1,2018-01-01,a,email,1\n")
    assert result.exit_code == 2
    assert "the duckdb engine reads regular files only" in result.stderr


def test_a_lead_duckdb_cannot_hold_is_decided_by_python_and_the_report_is_the_same(tmp_path: Path) -> None:
    # An int beyond 64 bits stops the compiled SQL (tests/sql/test_cannot_hold.py): the
    # python engine decides the leads from there, and the report is the python engine's.
    with (ROOT / "policies/data/xeducation_sample.csv").open(newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    rows[30]["TotalVisits"] = "99999999999999999999"
    path = tmp_path / "sample.csv"
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    args = [XED[0], "--leads", str(path), *XED[3:], "--format", "json"]
    code, python, python_err = backtest(*args, "--engine", "python")
    assert code == 0, python_err
    code, duckdb, duckdb_err = backtest(*args, "--engine", "duckdb")
    assert code == 0, duckdb_err
    assert duckdb == python
    note = ("note: the duckdb engine cannot hold TotalVisits = 99999999999999999999 (an int beyond 64 bits); "
            "the python engine decides the rest of the input, exactly\n")
    assert duckdb_err == note + python_err
