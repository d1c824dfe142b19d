"""`qualdsl diff` end to end: formats (snapshots), exit codes, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from qualdsl.cli import cli

SMALL = ["small_old.qual", "small_new.qual", "--leads", "small.leads.jsonl", "--as-of", "2026-11-01"]
SAAS = ["saas_old.qual", "saas_new.qual", "--leads", "saas.leads.jsonl", "--as-of", "2026-11-01"]


@pytest.fixture
def run(fixtures: Path, monkeypatch: pytest.MonkeyPatch):
    """Run `qualdsl diff ARGS` from the fixtures directory (short, stable paths)."""
    monkeypatch.chdir(fixtures)

    def invoke(*args: str):
        return CliRunner().invoke(cli, ["--color", "never", "diff", *args], catch_exceptions=False)

    return invoke


@pytest.mark.parametrize("output", ["text", "markdown", "json"])
@pytest.mark.parametrize("case", ["small", "saas"])
def test_formats(run, snapshot, output: str, case: str) -> None:
    result = run(*(SMALL if case == "small" else SAAS), "--format", output)
    assert result.exit_code == 0, result.output
    assert result.stdout == snapshot


def test_json_contract(run) -> None:
    result = run(*SMALL, "--format", "json")
    data = json.loads(result.stdout)
    assert [(c["kind"], c["section"], c["target"]) for c in data["changes"]] == [
        ("changed", "score", "fit.big"), ("changed", "score", "fit.software"), ("changed", "tiers", "tier SQL")]
    assert data["changes"][2]["before"] == "tier SQL when score >= 70"
    assert data["changes"][2]["after"] == "tier SQL when score >= 65"
    impact = data["impact"]
    assert (impact["leads"], impact["changed"]) == (8, 7)
    assert impact["tier_transitions"] == [
        {"from": "nurture", "to": "MQL", "count": 3, "examples": ["B", "C", "G"]},
        {"from": "SQL", "to": "MQL", "count": 1, "examples": ["A"]}]
    assert impact["icp_transitions"] == []
    assert len(impact["errors"]) == 1
    assert "small.leads.jsonl:8:43: error: invalid JSON" in result.stderr


def test_no_leads_means_no_impact_key(run) -> None:
    data = json.loads(run("small_old.qual", "small_new.qual", "--format", "json").stdout)
    assert "impact" not in data and len(data["changes"]) == 3


def test_same_policy_reports_no_semantic_change(run) -> None:
    result = run("saas_old.qual", "saas_old.qual")
    assert result.exit_code == 0
    assert "no semantic change" in result.stdout


@pytest.mark.parametrize("limit, code", [("49", 1), ("50", 0), ("75.5", 0)])
def test_fail_above_gates_on_tier_or_route_share(run, limit: str, code: int) -> None:
    # 4 of the 8 readable leads change tier or route: 50%.
    result = run(*SMALL, "--fail-above", limit, "--format", "markdown")
    assert result.exit_code == code
    if code:
        assert "50.0% of leads change tier or route, above --fail-above 49%" in result.stderr
        assert "> [!CAUTION]" in result.stdout
    else:
        assert "✅ 50.0% of leads change tier or route" in result.stdout


def test_markdown_warns_about_demotions(run) -> None:
    out = run(*SMALL, "--format", "markdown").stdout
    assert "> [!WARNING]\n> - 1 lead is demoted to a lower tier\n> - 1 lead could not be read" in out


@pytest.mark.parametrize(
    "args, message",
    [
        (["small_old.qual"], "give two policy files, OLD NEW, or --rev REV PATH"),
        (["a", "b", "c"], "give two policy files"),
        (["--rev", "HEAD", "a", "b"], "with --rev give exactly one policy PATH"),
        (["small_old.qual", "small_new.qual", "--leads", "small.leads.jsonl"], "--leads needs --as-of"),
        (["small_old.qual", "small_new.qual", "--fail-above", "5"], "--fail-above needs --leads"),
        (SMALL[:4] + ["--as-of", "yesterday"], "is not an ISO 8601 date"),
        (SMALL + ["--fail-above", "150"], "150"),
        (SMALL + ["--format", "html"], "html"),
    ],
)
def test_usage_errors_exit_2(run, args: list[str], message: str) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_policy_that_does_not_compile_exits_2_with_located_diagnostics(run, tmp_path: Path) -> None:
    broken = tmp_path / "broken.qual"
    broken.write_text("policy b\nschema { n: int }\nscore s { rule r +1 when nosuch > 1 }\n")
    result = run("small_old.qual", str(broken))
    assert result.exit_code == 2
    assert f"{broken}:3:26: error[QE126]: unknown name `nosuch`" in result.stderr
    assert "must compile on both sides" in result.stderr
    assert result.stdout == ""


def test_missing_policy_file_exits_2(run) -> None:
    result = run("small_old.qual", "nope.qual")
    assert result.exit_code == 2
    assert "nope.qual" in result.stderr and "no such file" in result.stderr


def test_unreadable_leads_file_exits_2(run, tmp_path: Path) -> None:
    binary = tmp_path / "leads.jsonl"
    binary.write_bytes(b"\x00\x01")
    result = run("small_old.qual", "small_new.qual", "--leads", str(binary), "--as-of", "2026-11-01")
    assert result.exit_code == 2
    assert "binary" in result.stderr
    missing = run("small_old.qual", "small_new.qual", "--leads", "nope.jsonl", "--as-of", "2026-11-01")
    assert missing.exit_code == 2 and "nope.jsonl: no such file" in missing.stderr


def test_csv_leads(run, tmp_path: Path) -> None:
    csv = tmp_path / "leads.csv"
    csv.write_text("id,country,employees,industry\nA,US,600,software\nB,US,300,software\nX,US\n")
    result = run("small_old.qual", "small_new.qual", "--leads", str(csv), "--as-of", "2026-11-01",
                 "--format", "json")
    impact = json.loads(result.stdout)["impact"]
    assert impact["leads"] == 2
    assert [(t["from"], t["to"], t["count"]) for t in impact["tier_transitions"]] == [
        ("SQL", "MQL", 1), ("nurture", "MQL", 1)]
    assert impact["errors"][0]["error"] == "row has 2 cells but the header has 4"


def test_listed_in_help(run) -> None:
    result = CliRunner().invoke(cli, ["diff", "--help"])
    assert result.exit_code == 0
    assert "--fail-above" in result.output and "--rev" in result.output


def test_color_always_keeps_ansi_codes_and_never_drops_them(fixtures: Path, monkeypatch) -> None:
    monkeypatch.chdir(fixtures)
    args = ["diff", "small_old.qual", "small_new.qual"]
    colored = CliRunner().invoke(cli, ["--color", "always", *args])
    plain = CliRunner().invoke(cli, ["--color", "never", *args])
    assert "\x1b[32m    + rule big +40 when employees >= 200\x1b[0m" in colored.stdout
    assert "\x1b[" not in plain.stdout


def test_moved_route_in_text(run, tmp_path: Path, fixtures: Path) -> None:
    text = (fixtures / "small_old.qual").read_text()
    swapped = text.replace('  to "ae"      when tier == SQL\n  to "sdr"     when tier == MQL\n',
                           '  to "sdr"     when tier == MQL\n  to "ae"      when tier == SQL\n')
    assert swapped != text
    (tmp_path / "swapped.qual").write_text(swapped)
    result = run("small_old.qual", str(tmp_path / "swapped.qual"))
    assert '  moved    route "ae"  (position 1 → 2)\n      to "ae" when tier == SQL' in result.stdout


def test_both_broken_sides_are_reported_in_one_run(run, tmp_path: Path) -> None:
    one, two = tmp_path / "one.qual", tmp_path / "two.qual"
    one.write_text("policy one\nschema { n: int }\ntiers { tier a when m > 1 }\n")
    two.write_text("policy two\ntiers { tier a when }\n")
    result = run(str(one), str(two))
    assert result.exit_code == 2
    assert f"{one}:3:21: error[QE126]: unknown name `m`" in result.stderr
    assert f"{two}:2:" in result.stderr
