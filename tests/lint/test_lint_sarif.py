"""SARIF 2.1.0 output that GitHub code scanning accepts: the properties it
requires, consistent rule references, and a reviewed snapshot."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from qualdsl.cli import cli
from qualdsl.lint.registry import RULES, load_rules
from qualdsl.lint.sarif import FINGERPRINT_KEY

from .helpers import FIXTURES


@pytest.fixture
def sarif(monkeypatch: pytest.MonkeyPatch) -> dict:
    monkeypatch.chdir(FIXTURES)
    result = CliRunner().invoke(cli, ["lint", "--format", "sarif", "qd101_unreachable_tier.qual",
                                      "qd112_require_missing_data.qual"])
    assert result.exit_code == 1
    return json.loads(result.stdout)


def test_document_header(sarif: dict) -> None:
    assert sarif["version"] == "2.1.0"
    assert sarif["$schema"].endswith("sarif-2.1.0.json")
    [run] = sarif["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "qualdsl"
    assert run["columnKind"] == "unicodeCodePoints"


def test_rules_are_described(sarif: dict) -> None:
    load_rules()
    rules = sarif["runs"][0]["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert ids == ["QD000", *sorted(RULES)]
    for rule in rules:
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert "## What it does" in rule["help"]["markdown"]
        assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note")


def test_results_point_at_files_and_lines(sarif: dict) -> None:
    run = sarif["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    results = run["results"]
    assert {(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in results} == {
        ("QD101", 16), ("QD101", 18), ("QD101", 23), ("QD112", 7), ("QD112", 8),
    }
    for result in results:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] in ("error", "warning", "note")
        assert result["message"]["text"]
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert "\\" not in location["artifactLocation"]["uri"]
        region = location["region"]
        assert 1 <= region["startLine"] <= region["endLine"]
        assert region["startColumn"] >= 1
    levels = {r["ruleId"]: r["level"] for r in results}
    assert levels == {"QD101": "warning", "QD112": "note"}  # info is SARIF's "note"


def test_result_snapshot(sarif: dict, snapshot) -> None:
    # The run's base URI is the working directory: not part of the snapshot.
    run = sarif["runs"][0]
    run.pop("originalUriBaseIds")
    assert run["results"] == snapshot


def _fingerprints(folder, text: str) -> list[str]:
    (folder / "p.qual").write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["lint", "--format", "sarif", "p.qual"])
    return [r["partialFingerprints"][FINGERPRINT_KEY] for r in json.loads(result.stdout)["runs"][0]["results"]]


def test_partial_fingerprints_survive_moved_lines_and_differ_per_finding(tmp_path, monkeypatch) -> None:
    # Code scanning keys alerts on partialFingerprints: a finding that only
    # moves (a line added above it) keeps its alert; two findings are two alerts.
    monkeypatch.chdir(tmp_path)
    body = 'score engagement {\n  rule click +2 per event "email_click"\n  rule open +1 per event "email_open"\n}\n'
    before = _fingerprints(tmp_path, "policy p\n" + body)
    after = _fingerprints(tmp_path, "policy p\n# a comment moves every line\n\n" + body)
    assert len(before) == 2 and len(set(before)) == 2
    assert before == after
