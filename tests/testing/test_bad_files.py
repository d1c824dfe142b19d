"""Bad test files get located errors (exit 2), never a traceback or a silent pass."""

from __future__ import annotations

import pytest

BAD_SUITES = {
    "yaml_syntax": "policy: demo.qual\nas_of: 2026-11-01\ncases:\n  - name: x\n    lead: {a: 1\n",
    "typo_in_expectation_key": (
        "policy: demo.qual\nas_of: 2026-11-01\ncases:\n  - name: x\n    lead: {id: A}\n"
        "    expect:\n      teir: hot\n"
    ),
    "lead_file_missing": (
        "policy: demo.qual\nas_of: 2026-11-01\ncases:\n  - name: x\n    lead_file: nope.json\n"
        "    expect: {tier: hot}\n"
    ),
    "duplicate_names_and_keys": (
        "policy: demo.qual\nas_of: 2026-11-01\ncases:\n  - name: x\n    lead: {id: A}\n"
        "    expect: {tier: hot, tier: cold}\n  - name: x\n    lead: {id: B}\n    expect: {tier: hot}\n"
    ),
    "no_expectations": (
        "policy: demo.qual\nas_of: 2026-11-01\ncases:\n  - name: x\n    lead: {id: A}\n    expect: {}\n"
    ),
    "missing_policy_and_bad_as_of": "policy: gone.qual\nas_of: tomorrow\ncases: []\n",
    "bad_score_forms": (
        "policy: demo.qual\nas_of: 2026-11-01\ncases:\n  - name: x\n    lead: {id: A}\n"
        "    expect: {total: '60..30', scores: {fit: {approx: 3, tol: 1}}}\n"
    ),
    "not_a_mapping": "- just\n- a list\n",
}


@pytest.mark.parametrize("name", sorted(BAD_SUITES))
def test_bad_suite_is_a_located_error(name, workdir, qualdsl_test, snapshot):
    for suite in workdir.glob("*.test.yaml"):
        suite.unlink()
    (workdir / "bad.test.yaml").write_text(BAD_SUITES[name])
    result = qualdsl_test()
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "bad.test.yaml:" in result.stdout  # located: file:line:column
    assert result.stdout.splitlines()[-1].endswith("1 error")
    assert result.stdout == snapshot


def test_typo_in_table_expectation_column_is_an_error(workdir, qualdsl_test):
    table = workdir / "demo.cases.csv"
    table.write_text(table.read_text().replace("expect.route", "expect.rout", 1))
    result = qualdsl_test("table.test.yaml")
    assert result.exit_code == 2
    assert "demo.cases.csv:1:" in result.stdout
    assert "did you mean `expect.route`?" in result.stdout


def test_a_bad_suite_does_not_stop_the_good_ones(workdir, qualdsl_test):
    (workdir / "bad.test.yaml").write_text(BAD_SUITES["typo_in_expectation_key"])
    result = qualdsl_test()
    assert result.exit_code == 2
    assert result.stdout.splitlines()[-1] == "9 passed, 0 failed, 1 error"
