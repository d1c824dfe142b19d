"""The two test profiles (tests/budget.py, docs/internals.md "Running the
tests"): what each runs, and that every property test takes its count from
the budget."""

from __future__ import annotations

import re
import runpy
import tomllib
from pathlib import Path

import pytest
from hypothesis import settings

import budget

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
DOC = (ROOT / "docs" / "internals.md").read_text(encoding="utf-8")
SECTION = DOC.split("## Running the tests\n", 1)[1].split("\n## ", 1)[0]


def test_the_doc_example_holds_in_the_quick_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(budget, "THOROUGH", False)
    (block,) = re.findall(r"```python\n(.*?)```", SECTION, re.DOTALL)
    exec(compile(block, "docs/internals.md", "exec"), {})  # noqa: S102 - our own documentation


def test_ci_runs_every_example(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(budget, "THOROUGH", True)
    assert [budget.examples(400), budget.examples(100), budget.examples(8), budget.examples(3, quick=1)] == \
        [400, 100, 8, 3]
    assert "(400, 100, 8, 3)" in SECTION


@pytest.mark.parametrize("env, profile", [
    ({}, "dev"),
    ({"CI": "true"}, "ci"),
    ({"QUALDSL_TEST_PROFILE": "ci"}, "ci"),
    ({"CI": "true", "QUALDSL_TEST_PROFILE": "dev"}, "dev"),
])
def test_the_environment_picks_the_profile(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], profile: str) -> None:
    for name in ("CI", "QUALDSL_TEST_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    module = runpy.run_path(str(TESTS / "budget.py"))  # a fresh copy: the loaded one keeps this run's profile
    assert (module["PROFILE"], module["THOROUGH"]) == (profile, profile == "ci")


@pytest.mark.parametrize("ci, outcome", [
    (None, pytest.skip.Exception),
    ("true", pytest.fail.Exception),
    ("false", pytest.skip.Exception),
])
def test_a_missing_tool_skips_but_fails_under_ci(monkeypatch: pytest.MonkeyPatch, ci: str | None,
                                                  outcome: type[BaseException]) -> None:
    """A test CI must run (the dbt build) cannot hide there as a skip."""
    monkeypatch.delenv("CI", raising=False)
    if ci is not None:
        monkeypatch.setenv("CI", ci)
    module = runpy.run_path(str(TESTS / "budget.py"))
    with pytest.raises(outcome, match="no dbt here"):
        module["missing_tool"]("no dbt here")


def test_hypothesis_follows_the_profile() -> None:
    """A property test that sets no count gets the profile's."""
    assert settings().max_examples == (100 if budget.THOROUGH else 20)
    assert settings().deadline is None


def test_every_property_test_takes_its_count_from_the_budget() -> None:
    literal = re.compile(r"max_examples\s*=\s*\d")
    offenders = [f"{path.relative_to(ROOT)}:{number}"
                 for path in sorted(TESTS.rglob("*.py")) if "fuzz" not in path.relative_to(TESTS).parts
                 for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if literal.search(line)]
    assert offenders == [], "use budget.examples(full, quick=...) so the ci profile runs every example"


def test_the_quick_default_skips_slow_tests_and_make_test_runs_them() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pytest"]["ini_options"]
    assert "-m 'not slow'" in config["addopts"] and "-n auto" in config["addopts"]
    assert any(marker.startswith("slow:") for marker in config["markers"])
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    target = makefile.split("\ntest:", 1)[1].split("\n\n", 1)[0]
    assert re.search(r'-m pytest -q -m ""', target)
    assert "`-m \"\"`" in SECTION and "make test" in SECTION


def test_slow_tests_are_read_from_a_durations_report() -> None:
    report = "\n".join([
        "0.70s call     tests/a.py::test_x",
        "0.40s setup    tests/a.py::test_x",
        "0.90s call     tests/a.py::test_y[with space]",
        "2.00s teardown tests/b.py::test_z",
        "1 passed in 3.0s",
    ])
    assert budget.slow_from_durations(report, seconds=1.0) == ["tests/a.py::test_x", "tests/b.py::test_z"]
    assert budget.slow_from_durations(report, seconds=0.9) == [
        "tests/a.py::test_x", "tests/a.py::test_y[with space]", "tests/b.py::test_z"]


def test_the_slow_list_names_test_files_that_exist() -> None:
    listed = [line for line in budget.SLOW_LIST.read_text(encoding="utf-8").splitlines()
              if line and not line.startswith("#")]
    assert listed == sorted(set(listed)), "sorted, no duplicates (python tests/budget.py writes it so)"
    assert len(listed) > 50
    missing = {node.split("::")[0] for node in listed} - {
        str(path.relative_to(ROOT)) for path in TESTS.rglob("test_*.py")}
    assert not missing


def test_every_listed_test_is_marked_slow(request: pytest.FixtureRequest) -> None:
    listed = budget.measured_slow()
    items = request.session.items
    assert items, "the session's collected tests"
    for item in items:
        assert (item.nodeid in listed) <= (item.get_closest_marker("slow") is not None), item.nodeid
    if "not slow" in (request.config.getoption("markexpr") or ""):
        assert not [item.nodeid for item in items if item.nodeid in listed], "deselected by -m 'not slow'"
