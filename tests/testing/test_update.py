"""`--update` rewrites failing expectations, and only them."""

from __future__ import annotations

from pathlib import Path

from .conftest import break_threshold


def test_update_rewrites_the_failing_case_and_keeps_the_rest(workdir: Path, qualdsl_test, snapshot):
    break_threshold(workdir)
    suite = workdir / "demo.test.yaml"
    before = suite.read_text()
    result = qualdsl_test("--update")
    assert result.exit_code == 0  # the rerun after the rewrite passes
    assert "updated 1 case in demo.test.yaml" in result.stderr
    after = suite.read_text()
    changed = [(a, b) for a, b in zip(before.splitlines(), after.splitlines()) if a != b]
    assert changed == [("      tier: warm", "      tier: hot"), ("        fit: 30..35", "        fit: 40")]
    assert after.startswith("# Runner fixture")  # comments outside the case survive
    assert after == snapshot


def test_update_moves_rules_between_fired_and_not_fired(workdir: Path, qualdsl_test):
    suite = workdir / "demo.test.yaml"
    suite.write_text(suite.read_text().replace("not_fired: [demo_request]", "fired: [demo_request]"))
    assert qualdsl_test().exit_code == 1
    assert qualdsl_test("--update").exit_code == 0
    assert "      not_fired: [demo_request]\n" in suite.read_text()


def test_update_rewrites_failing_table_cells(workdir: Path, qualdsl_test):
    table = workdir / "demo.cases.csv"
    table.write_text(table.read_text().replace("x@y.com,cold,nurture,pass,10", "x@y.com,warm,sdr,pass,15"))
    assert qualdsl_test("table.test.yaml").exit_code == 1
    result = qualdsl_test("table.test.yaml", "--update")
    assert result.exit_code == 0
    assert table.read_text().splitlines()[3].endswith("x@y.com,cold,nurture,pass,10,none")


def test_update_with_nothing_failing_changes_nothing(workdir: Path, qualdsl_test):
    before = {p: p.read_bytes() for p in workdir.iterdir()}
    assert qualdsl_test("--update").exit_code == 0
    assert {p: p.read_bytes() for p in workdir.iterdir()} == before
