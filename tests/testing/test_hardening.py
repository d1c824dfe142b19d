"""`qualdsl test` on hostile or drifting suites (issue: hardening, "Test
suites" and the rough edges of `qualdsl test`). One class per class of input;
none may exit 3."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from qualdsl.testing import yamlsource

HEAD = "policy: demo.qual\nas_of: 2026-11-01\n"
GOOD_CASE = "  - name: good\n    lead: {id: A, company: {country: US}}\n    expect: {icp: pass}\n"

# The attributes Jenkins' junit-10.xsd allows on each element (required ones first).
JUNIT_10 = {
    "testsuites": (set(), {"name", "time", "tests", "failures", "errors"}),
    "testsuite": ({"name", "tests", "failures", "errors"},
                  {"group", "time", "skipped", "timestamp", "hostname", "id", "package", "file", "log", "url"}),
    "testcase": ({"name"}, {"time", "classname", "group"}),
    "failure": (set(), {"type", "message"}),
    "error": (set(), {"type", "message"}),
    "skipped": (set(), {"type", "message"}),
}
JUNIT_10_CHILDREN = {
    "testsuites": {"testsuite"},
    "testsuite": {"testsuite", "properties", "testcase", "system-out", "system-err"},
    "testcase": {"skipped", "error", "failure", "system-out", "system-err"},
}


def junit_10_problems(xml: str) -> list[str]:
    """What in a report junit-10.xsd would reject (attributes and nesting)."""
    problems = []

    def visit(element: ET.Element) -> None:
        required, optional = JUNIT_10.get(element.tag, (set(), set()))
        attributes = set(element.attrib)
        problems.extend(f"{element.tag} lacks @{a}" for a in required - attributes)
        problems.extend(f"{element.tag} has @{a}" for a in attributes - required - optional)
        for child in element:
            if child.tag not in JUNIT_10_CHILDREN.get(element.tag, set()):
                problems.append(f"{child.tag} inside {element.tag}")
            visit(child)

    visit(ET.fromstring(xml))
    return problems


def write_suite(workdir: Path, text: str, name: str = "bad.test.yaml") -> Path:
    for suite in workdir.glob("*.test.yaml"):
        suite.unlink()
    path = workdir / name
    path.write_text(text, encoding="utf-8")
    return path


class TestDeepYaml:
    def test_nested_400_deep_is_a_located_error(self, workdir, qualdsl_test):
        write_suite(workdir, HEAD + "cases:\n  - name: x\n    lead: " + "[" * 400 + "]" * 400
                    + "\n    expect: {icp: pass}\n")
        result = qualdsl_test()
        assert result.exit_code == 2
        assert "bad.test.yaml:5:" in result.stdout
        assert "nested more than 100 levels deep" in result.stdout

    def test_a_self_referencing_alias_is_refused(self):
        with pytest.raises(Exception) as error:
            yamlsource.load("a: &a [*a]\n")
        assert "refers to a collection that holds it" in str(error.value)


class TestHugeIntegers:
    def test_a_5000_digit_integer_is_a_located_error(self, workdir, qualdsl_test):
        write_suite(workdir, HEAD + "cases:\n  - name: x\n    lead: {id: A, n: " + "9" * 5000
                    + "}\n    expect: {icp: pass}\n")
        result = qualdsl_test()
        assert result.exit_code == 2
        assert "bad.test.yaml:5:" in result.stdout
        assert "cannot be read: it has more than 4300 digits" in result.stdout

    def test_a_400_digit_score_is_not_a_score(self, workdir, qualdsl_test):
        write_suite(workdir, HEAD + "cases:\n  - name: x\n    lead: {id: A}\n    expect: {total: "
                    + "9" * 400 + "}\n")
        result = qualdsl_test()
        assert result.exit_code == 2
        assert "is not a score" in result.stdout

    def test_a_5000_digit_json_cell_stays_text(self, workdir, qualdsl_test):
        table = workdir / "demo.cases.csv"
        table.write_text(table.read_text().replace('"[""salesforce""]"', '"[' + "9" * 5000 + ']"', 1))
        result = qualdsl_test("table.test.yaml")
        assert result.exit_code in (0, 1)  # decided (the cell is text the schema cannot coerce)
        assert "Traceback" not in result.output


class TestTimestampOutOfRange:
    def test_year_zero(self, workdir, qualdsl_test):
        write_suite(workdir, "policy: demo.qual\nas_of: !!timestamp 0000-01-01\ncases:\n" + GOOD_CASE)
        result = qualdsl_test()
        assert result.exit_code == 2
        assert "bad.test.yaml:2:8: error: invalid YAML: the timestamp `0000-01-01` cannot be read" in result.stdout

    def test_an_offset_that_leaves_the_range(self, workdir, qualdsl_test):
        write_suite(workdir, "policy: demo.qual\nas_of: 9999-12-31T23:59:59-23:00\ncases:\n" + GOOD_CASE)
        result = qualdsl_test()
        assert result.exit_code == 2
        assert "bad.test.yaml:2:8: error: `as_of` must be a date or an ISO 8601 datetime" in result.stdout


class TestExplicitTags:
    """An explicit tag hands PyYAML's constructor text it never resolved to
    that tag: each failure is a located error, whatever it raised inside."""

    @pytest.mark.parametrize(("value", "message"), [
        ("!!timestamp 99999-01-01", "the timestamp `99999-01-01` cannot be read: it is not a valid timestamp"),
        ("!!timestamp soon", "the timestamp `soon` cannot be read"),
        ("!!bool maybe", "the boolean `maybe` cannot be read: it is not a valid boolean"),
        ('!!int ""', "the integer `` cannot be read"),
        ("!!int -", "the integer `-` cannot be read"),
        ('!!float ""', "the number `` cannot be read"),
        # found by tests/fuzz/test_fuzz_suites.py: our own constructors trusted the node kind
        ('!!seq "text"', "expected a sequence, but found scalar"),
        ("!!map [1]", "expected a mapping, but found sequence"),
    ])
    def test_a_tag_its_text_does_not_fit(self, workdir, qualdsl_test, value, message):
        write_suite(workdir, HEAD + "cases:\n  - name: x\n    lead: {id: A, v: " + value
                    + "}\n    expect: {icp: pass}\n")
        result = qualdsl_test()
        assert result.exit_code == 2
        assert "bad.test.yaml:5:22: error: invalid YAML: " + message in result.stdout

    def test_a_huge_sexagesimal_integer_is_refused_before_it_is_built(self, workdir, qualdsl_test):
        # YAML 1.1 reads `1:59:59` as an integer in base 60, built in quadratic
        # time: 600 KB of it took 35 s. Refused by its length, at once.
        write_suite(workdir, HEAD + "cases:\n  - name: x\n    lead: {id: A, v: 1" + ":59" * 200_000
                    + "}\n    expect: {icp: pass}\n")
        result = qualdsl_test()
        assert result.exit_code == 2
        assert "bad.test.yaml:5:22: error: invalid YAML: the integer `1:59:59" in result.stdout
        assert "it has more than 4300 digits" in result.stdout


class TestSurrogateCaseNames:
    SUITE = HEAD + 'cases:\n  - name: "bad \\ud800 name"\n    lead: {id: A, company: {country: FR}}\n' \
                   "    expect: {icp: pass}\n"

    def test_text_report(self, workdir, qualdsl_test):
        write_suite(workdir, self.SUITE)
        result = qualdsl_test()
        assert result.exit_code == 1
        assert "bad \\ud800 name" in result.stdout  # escaped, not a crash

    def test_json_report_parses(self, workdir, qualdsl_test):
        write_suite(workdir, self.SUITE)
        result = qualdsl_test("--format", "json")
        assert result.exit_code == 1
        assert json.loads(result.stdout)["tests"][0]["name"] == "bad \ud800 name"

    def test_junit_report_is_xml(self, workdir, qualdsl_test):
        write_suite(workdir, self.SUITE)
        result = qualdsl_test("--junit-xml", "out.xml")
        assert result.exit_code == 1
        case = ET.fromstring((workdir / "out.xml").read_text(encoding="utf-8")).find("./testsuite/testcase")
        assert case is not None and case.get("name") == "bad \ufffd name"


class TestAliasBomb:
    @staticmethod
    def bomb(levels: int) -> str:
        lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
        names = "abcdefghijklmnop"
        for index in range(1, levels):
            lines.append(f"{names[index]}: &{names[index]} [" + ",".join([f"*{names[index - 1]}"] * 9) + "]")
        return ("description:\n  " + "\n  ".join(lines) + "\n" + HEAD + "cases:\n  - name: bomb\n"
                + f"    lead: {{id: A, x: *{names[levels - 1]}}}\n    expect: {{icp: pass}}\n")

    @pytest.mark.parametrize("levels", [9, 12])
    def test_an_alias_bomb_is_refused_where_it_goes_off(self, workdir, qualdsl_test, levels):
        text = self.bomb(levels)
        assert len(text) < 700  # the 450-byte bomb, with this suite's header
        write_suite(workdir, text)
        result = qualdsl_test()
        assert result.exit_code == 2
        assert "aliases expand to more than 100000 values (an alias bomb?)" in result.stdout
        assert "bad.test.yaml:" in result.stdout

    def test_a_few_aliases_are_fine(self):
        data = yamlsource.load("base: &b {country: US}\nleads: [*b, *b, *b]\n")
        assert data["leads"] == [{"country": "US"}] * 3


class TestSuiteSize:
    def test_a_suite_over_the_size_limit(self, workdir, qualdsl_test, monkeypatch):
        from qualdsl.testing import cases

        monkeypatch.setattr(cases, "MAX_SUITE_BYTES", 100)
        write_suite(workdir, HEAD + "cases:\n" + GOOD_CASE * 3)
        result = qualdsl_test()
        assert result.exit_code == 2
        assert "bad.test.yaml:1:1: error: file is too large (over the limit of 100 bytes)" in result.stdout

    def test_too_many_cases(self, workdir, qualdsl_test, monkeypatch):
        from qualdsl.testing import cases

        monkeypatch.setattr(cases, "MAX_CASES", 2)
        write_suite(workdir, HEAD + "cases:\n" + GOOD_CASE + GOOD_CASE.replace("good", "b")
                    + GOOD_CASE.replace("good", "c"))
        result = qualdsl_test()
        assert result.exit_code == 2
        assert "the suite has 3 cases; the limit is 2" in result.stdout

    def test_dev_zero_as_a_suite(self, workdir, qualdsl_test):
        (workdir / "zero.test.yaml").symlink_to("/dev/zero")
        result = qualdsl_test("zero.test.yaml")
        assert result.exit_code == 2
        assert "zero.test.yaml:1:1: error: is a character device, not a regular file" in result.stdout


class TestCaseErrors:
    """An expectation naming a tier or route the policy no longer has."""

    SUITE = HEAD + "cases:\n" + GOOD_CASE + (
        "  - name: stale\n    lead: {id: B, company: {country: US}}\n    expect: {icp: pass, route: sales}\n"
        "  - name: also good\n    lead: {id: C, company: {country: FR}}\n    expect: {icp: fail}\n")

    def test_the_other_cases_run_and_the_exit_is_1(self, workdir, qualdsl_test):
        write_suite(workdir, self.SUITE)
        result = qualdsl_test()
        assert result.exit_code == 1
        assert result.stdout.splitlines()[-1] == "2 passed, 1 failed"
        assert "bad.test.yaml:9: error: policy `demo` has no route queue `sales`" in result.stdout

    def test_json_and_junit_show_it_as_an_error(self, workdir, qualdsl_test):
        write_suite(workdir, self.SUITE)
        result = qualdsl_test("--format", "json", "--junit-xml", "r.xml")
        tests = {t["name"]: t for t in json.loads(result.stdout)["tests"]}
        assert tests["stale"]["outcome"] == "failed"
        assert tests["stale"]["errors"][0]["message"] == "policy `demo` has no route queue `sales`"
        root = ET.fromstring((workdir / "r.xml").read_text(encoding="utf-8"))
        errors = [c for c in root.iter("testcase") if c.find("error") is not None]
        assert [c.get("name") for c in errors] == ["stale"]
        assert root.get("errors") == "1" and root.get("failures") == "0"

    def test_update_rewrites_a_stale_route(self, workdir, qualdsl_test):
        suite = write_suite(workdir, self.SUITE)
        result = qualdsl_test("--update")
        assert result.exit_code == 0, result.output
        assert "updated 1 case in bad.test.yaml" in result.stderr
        assert "expect: {icp: pass, route: nurture}" in suite.read_text(encoding="utf-8")  # what it decides

    def test_an_unknown_tier_in_a_table_row(self, workdir, qualdsl_test):
        table = workdir / "demo.cases.csv"
        table.write_text(table.read_text().replace(",cold,nurture,", ",frozen,nurture,", 1))
        result = qualdsl_test("table.test.yaml")
        assert result.exit_code == 1
        assert "policy `demo` has no tier `frozen`" in result.stdout
        assert " passed, 1 failed" in result.stdout.splitlines()[-1]


class TestMistypedLeadColumn:
    def test_a_column_that_is_no_field_is_flagged(self, workdir, qualdsl_test):
        table = workdir / "demo.cases.csv"
        table.write_text(table.read_text().replace("company.country", "company.countyr", 1))
        result = qualdsl_test("table.test.yaml")
        assert result.exit_code == 2
        assert "demo.cases.csv:1:" in result.stdout
        assert "lead column `company.countyr` is not a field of policy `demo`" in result.stdout
        assert "did you mean `company.country`?" in result.stdout


class TestJunitFamilies:
    def test_the_default_validates_against_junit_10(self, workdir, qualdsl_test):
        write_suite(workdir, TestCaseErrors.SUITE)
        qualdsl_test("--junit-xml", "r.xml")
        xml = (workdir / "r.xml").read_text(encoding="utf-8")
        assert junit_10_problems(xml) == []
        assert "file=" not in xml.split("<testcase", 1)[1].split(">", 1)[0]

    def test_xunit1_adds_file_and_line(self, workdir, qualdsl_test):
        qualdsl_test("--junit-xml", "r.xml", "--junit-family", "xunit1")
        case = ET.fromstring((workdir / "r.xml").read_text(encoding="utf-8")).find("./testsuite/testcase")
        assert case is not None and case.get("file") and case.get("line")
        assert junit_10_problems((workdir / "r.xml").read_text(encoding="utf-8"))  # not junit-10: by choice

    def test_the_output_folder_is_created(self, workdir, qualdsl_test):
        result = qualdsl_test("--junit-xml", "reports/ci/junit.xml")
        assert result.exit_code == 0
        assert ET.fromstring((workdir / "reports" / "ci" / "junit.xml").read_text()).get("tests") == "9"

    def test_a_run_with_no_tests_still_writes_xml(self, tmp_path, qualdsl_test, monkeypatch):
        monkeypatch.chdir(tmp_path)
        result = qualdsl_test("--junit-xml", "out/junit.xml")
        assert result.exit_code == 5
        root = ET.fromstring((tmp_path / "out" / "junit.xml").read_text())
        assert (root.tag, root.get("tests")) == ("testsuites", "0")
        assert junit_10_problems(ET.tostring(root, encoding="unicode")) == []
