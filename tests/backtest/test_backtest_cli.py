"""`qualdsl backtest` end to end: the bundled real data, every format, exit
codes and clear messages for bad input."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from qualdsl.cli import cli

ROOT = Path(__file__).resolve().parents[2]
XED = ["policies/xeducation.qual", "--leads", "policies/data/xeducation_sample.csv", "--outcome", "Converted",
       "--as-of", "2026-11-01"]
OLIST = ["policies/olist.qual", "--leads", "policies/data/olist_mqls.csv", "--outcome", "won",
         "--as-of-field", "first_contact_date", "--as-of-offset", "1d"]


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(ROOT)

    def invoke(*args: str, input: str | None = None):
        return CliRunner().invoke(cli, ["--color", "never", "backtest", *args], input=input,
                                  catch_exceptions=False)

    return invoke


def test_xeducation_text_report(run, snapshot) -> None:
    result = run(*XED, "--target-volume", "20")
    assert result.exit_code == 0, result.output
    assert result.stdout == snapshot


def test_xeducation_markdown_report(run, snapshot) -> None:
    result = run(*XED, "--format", "markdown")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("## Backtest of xeducation on 300 leads\n")
    assert "| tier | leads | converted | rate | 95% interval | share of conversions |" in result.stdout
    assert result.stdout == snapshot


def test_xeducation_json_matches_the_csv(run) -> None:
    import csv

    result = run(*XED, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    with (ROOT / "policies/data/xeducation_sample.csv").open(newline="", encoding="utf-8") as file:
        converted = [row["Converted"] for row in csv.DictReader(file)]
    assert data["leads"] == len(converted) == 300
    assert data["positives"] == converted.count("1") == 114
    assert sum(t["leads"] for t in data["tiers"]) == 300
    assert sum(t["positives"] for t in data["tiers"]) == 114
    assert [t["tier"] for t in data["tiers"]] == ["hot", "warm", "cold", "disqualified"]
    # The policy's tiers are ordered by conversion on this data: no inversion warning.
    assert not any("converts worse" in w for w in data["warnings"])
    assert 0.5 < data["auc"]["total"] <= 1


def test_olist_judged_on_arrival_against_today(run) -> None:
    arrival = json.loads(run(*OLIST, "--format", "json").stdout)
    assert (arrival["leads"], arrival["positives"]) == (8000, 842)
    stale = {r["rule"]: r for r in arrival["rules"]}["stale"]
    assert stale["fired"] == 0  # a day after arrival nobody is stale
    today = json.loads(run(*OLIST[:5], "--as-of", "2026-11-01", "--format", "json").stdout)
    assert {r["rule"]: r for r in today["rules"]}["stale"]["fired"] == 8000  # today, everyone is
    assert {t["tier"]: t["leads"] for t in today["tiers"]}["SQL"] == 0


def test_html_is_written_to_a_file(run, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = run(*XED, "--format", "html", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.count("<svg") == 5


def test_stdin_and_unusable_rows_are_reported(run) -> None:
    leads = '{"id": "a", "won": 1}\n{"id": "b", "won": "maybe"}\n{"id": "c"}\nnot json\n{"id": "d", "won": 0}\n'
    result = run("policies/xeducation.qual", "--leads", "-", "--outcome", "won", "--as-of", "2026-11-01",
                 "--format", "json", input=leads)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["leads"] == 2
    assert "<stdin>:2: maybe: left out: outcome not a known value" in result.stderr
    assert "<stdin>:3: left out: outcome missing" in result.stderr
    assert "<stdin>:4:1: invalid JSON" in result.stderr
    assert {"1 row left out: could not be read", "1 row left out: outcome missing"} <= set(data["warnings"])


@pytest.mark.parametrize("args,message", [
    (["--as-of", "2026-11-01", "--as-of-field", "x"], "give one of --as-of DATE"),
    (["--as-of-offset", "1d"], "--as-of-offset needs --as-of-field"),
    (["--as-of-field", "first_contact_date", "--as-of-offset", "1 day"], "is not a duration"),
    (["--as-of-field", "a..b"], "empty segment"),
    (["--as-of", "yesterday"], "is not an ISO 8601 date"),
    (["--outcome", "`unclosed"], "unclosed backtick"),
    (["--format", "pdf"], "Invalid value for '--format'"),
    (["--target-volume", "0"], "Invalid value for '--target-volume'"),
    (["--engine", "spark"], "Invalid value for '--engine'"),
])
def test_usage_errors_exit_2(run, args: list[str], message: str) -> None:
    base = ["policies/olist.qual", "--leads", "policies/data/olist_mqls.csv", "--outcome", "won"]
    result = run(*base, *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_bad_files_exit_2_with_a_located_message(run, tmp_path: Path) -> None:
    broken = tmp_path / "broken.qual"
    broken.write_text("policy broken\nscore fit {\n  rule a +1 when\n}\n", encoding="utf-8")
    result = run(str(broken), "--leads", "policies/data/olist_mqls.csv", "--outcome", "won")
    assert result.exit_code == 2 and f"{broken}:" in result.stderr
    assert "the policy must compile" in result.stderr
    binary = tmp_path / "leads.csv"
    binary.write_bytes(b"a,b\n\x00\x01\n")
    for leads, message in ((str(binary), "file is binary"), ("/dev/zero", "file is binary"),
                           (str(tmp_path), "is a directory"), (str(tmp_path / "nope.csv"), "no such file")):
        result = run("policies/olist.qual", "--leads", leads, "--outcome", "won")
        assert result.exit_code == 2, leads
        assert message in result.stderr
    bad_utf8 = tmp_path / "latin1.csv"
    bad_utf8.write_bytes("won\n\xe9\n".encode("latin-1"))
    result = run("policies/olist.qual", "--leads", str(bad_utf8), "--outcome", "won")
    assert result.exit_code == 2 and "not valid UTF-8" in result.stderr


def test_no_usable_lead_exits_2(run, tmp_path: Path) -> None:
    leads = tmp_path / "leads.csv"
    leads.write_text("id,won\na,\nb,perhaps\n", encoding="utf-8")
    result = run("policies/olist.qual", "--leads", str(leads), "--outcome", "won", "--as-of", "2026-11-01")
    assert result.exit_code == 2
    assert "no lead with a usable outcome `won`" in result.stderr
    assert "leads.csv:3: perhaps: left out: outcome not a known value" in result.stderr


def test_unwritable_output_exits_2(run, tmp_path: Path) -> None:
    result = run(*XED, "-o", str(tmp_path))
    assert result.exit_code == 2 and "cannot write the report" in result.stderr


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_is_read_like_a_pipe(run, tmp_path: Path) -> None:
    import threading

    fifo = tmp_path / "leads.fifo"
    os.mkfifo(fifo)

    def feed() -> None:
        with fifo.open("w", encoding="utf-8") as file:
            file.write('{"won": 1}\n{"won": 0}\n')

    writer = threading.Thread(target=feed)
    writer.start()
    result = run("policies/olist.qual", "--leads", str(fifo), "--outcome", "won", "--as-of", "2026-11-01",
                 "--format", "json")
    writer.join(timeout=10)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["leads"] == 2


def test_backtest_is_listed_in_the_help(run) -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert "backtest" in result.output and "real conversion outcomes" in result.output
