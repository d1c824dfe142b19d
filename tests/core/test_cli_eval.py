"""`qualdsl eval` reads leads from files, stdin, JSONL, arrays and CSV."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from qualdsl.cli import cli

ROOT = Path(__file__).resolve().parents[2]
POLICY = str(ROOT / "policies" / "saas_inbound.qual")
LEADS = (ROOT / "policies" / "saas_inbound.leads.jsonl").read_text(encoding="utf-8")


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(cli, ["--color", "never", "eval", POLICY, "--as-of", "2026-11-01", *args],
                              input=input)


def test_jsonl_piped_without_a_flag_is_read_as_many_leads() -> None:
    result = run(input=LEADS)
    assert result.exit_code == 0, result.output
    decisions = [json.loads(line) for line in result.stdout.splitlines()]
    ids = [json.loads(line).get("id") for line in LEADS.splitlines() if line.strip()]
    assert [d["lead"] for d in decisions] == ids


def test_a_bad_line_keeps_its_place_and_fails_the_run() -> None:
    lines = LEADS.splitlines()
    broken = "\n".join([lines[0], "{not json", lines[1]]) + "\n"
    result = run("--leads", "-", input=broken)
    assert result.exit_code == 1
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [("error" in d) for d in out] == [False, True, False]
    assert out[1]["location"] == "<stdin>:2:2"


def test_csv_leads_use_flat_dotted_columns(tmp_path: Path) -> None:
    csv_file = tmp_path / "leads.csv"
    csv_file.write_text(
        "id,company.country,company.employees,person.email\n"
        "C-1,US,850,ann@acme.io\n"
        "C-2,US,,bob@gmail.com\n",
        encoding="utf-8",
    )
    result = run("--leads", str(csv_file))
    assert result.exit_code == 0, result.output
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert first["lead"] == "C-1" and first["icp"]["pass"] is True
    assert first["scores"]["fit"] == 20.0  # right_size: "850" coerces to an int
    # An empty cell is missing: employees fails `require ... >= 10`.
    assert second["icp"]["reasons"] == ["company too small", "personal email address"]


def test_both_lead_options_is_a_usage_error() -> None:
    result = run("--lead", "a.json", "--leads", "b.jsonl")
    assert result.exit_code == 2
    assert "not both" in result.output
