"""`qualdsl test` end to end: reports, exit codes, machine formats."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

from .conftest import break_threshold


def test_all_fixture_suites_pass(workdir, qualdsl_test):
    result = qualdsl_test()
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "demo.test.yaml ......"
    assert lines[1] == "table.test.yaml ..."
    assert lines[-1] == "9 passed, 0 failed"


def test_failure_report_names_line_expected_actual_and_ledger(workdir, qualdsl_test, snapshot):
    break_threshold(workdir)
    result = qualdsl_test("demo.test.yaml")
    assert result.exit_code == 1
    out = result.stdout
    assert "demo.test.yaml:15: tier: expected warm, got hot" in out
    assert "demo.test.yaml:19: scores.fit: expected between 30 and 35, got 40" in out
    assert "✓ big_company" in out  # the rule ledger of the failing lead
    assert out.splitlines()[-1] == "5 passed, 1 failed"
    assert out == snapshot


def test_junit_xml_one_testcase_per_test_with_unique_names(workdir, qualdsl_test, snapshot):
    break_threshold(workdir)
    result = qualdsl_test("--junit-xml", "report.xml", "--junit-family", "xunit1")  # with file and line
    assert result.exit_code == 1
    xml = (workdir / "report.xml").read_text()
    root = ET.fromstring(xml)
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("9", "1", "0")
    cases = root.findall("./testsuite/testcase")
    assert len(cases) == 9
    keys = [(c.get("classname"), c.get("name")) for c in cases]
    assert len(set(keys)) == len(keys)  # GitLab keeps only the first of duplicate names
    failed = [c for c in cases if c.find("failure") is not None]
    assert len(failed) == 1
    failure = failed[0].find("failure")
    assert failure.get("message") == "tier: expected warm, got hot (and 1 more)"
    assert (failed[0].get("file"), failed[0].get("line")) == ("demo.test.yaml", "15")
    assert "route    ae" in failure.text
    assert re.sub(r'time="[0-9.]+"', 'time="T"', xml) == snapshot


def test_github_format_annotates_the_failing_expectation_lines(workdir, qualdsl_test, snapshot):
    break_threshold(workdir)
    result = qualdsl_test("--format", "github")
    assert result.exit_code == 1
    annotations = result.stdout.splitlines()
    assert annotations == snapshot
    assert [a.split(",")[1] for a in annotations] == ["line=15", "line=19"]
    assert all(a.startswith("::error file=demo.test.yaml,") for a in annotations)
    assert result.stderr.splitlines()[-1] == "8 passed, 1 failed"


def test_json_format_has_every_test_and_its_decision(workdir, qualdsl_test):
    break_threshold(workdir)
    result = qualdsl_test("--format", "json", "--coverage")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert (data["passed"], data["failed"], data["errors"]) == (8, 1, 0)
    failing = [t for t in data["tests"] if t["outcome"] == "failed"]
    assert [f["line"] for f in failing[0]["failures"]] == [15, 19]
    assert failing[0]["decision"]["tier"] == "hot"
    assert data["coverage"][0]["percent"] == 100.0


def test_coverage_names_what_the_suite_never_exercised(workdir, qualdsl_test, snapshot):
    (workdir / "table.test.yaml").unlink()  # the table is what fails the country check
    result = qualdsl_test("--min-coverage", "100")
    assert result.exit_code == 1
    assert 'line 14: require … "unsupported country"' in result.stdout
    assert "coverage of demo is 90.9%, below --min-coverage 100" in result.stdout
    assert result.stdout == snapshot


def test_full_coverage_meets_the_threshold(workdir, qualdsl_test):
    result = qualdsl_test("--min-coverage", "100")
    assert result.exit_code == 0
    assert "demo (demo.qual): 11/11 = 100.0%" in result.stdout


def test_no_tests_collected_exits_5(tmp_path, monkeypatch, qualdsl_test):
    monkeypatch.chdir(tmp_path)
    result = qualdsl_test()
    assert result.exit_code == 5
    assert "no test files" in result.stderr


def test_a_path_that_does_not_exist_is_a_usage_error(workdir, qualdsl_test):
    result = qualdsl_test("nowhere")
    assert result.exit_code == 2
    assert "nowhere" in result.stderr


def test_hidden_directories_are_skipped(workdir, qualdsl_test):
    hidden = workdir / ".cache"
    hidden.mkdir()
    (hidden / "x.test.yaml").write_text("not: [valid")
    result = qualdsl_test()
    assert result.exit_code == 0
    assert ".cache" not in result.stdout


def test_policy_that_does_not_compile_prints_its_diagnostics_and_exits_2(workdir, qualdsl_test, snapshot):
    (workdir / "broken.qual").write_text("policy broken\nscore x {\n  rule a +1 when\n}\n")
    (workdir / "broken.test.yaml").write_text(
        "policy: broken.qual\nas_of: 2026-11-01\ncases:\n  - name: a\n    lead: {}\n    expect: {total: 0}\n"
    )
    result = qualdsl_test()
    assert result.exit_code == 2
    assert "broken.qual:4:1: error[QE010]:" in result.stdout
    assert result.stdout.splitlines()[-1] == "9 passed, 0 failed, 1 error"
    assert result.stdout == snapshot
