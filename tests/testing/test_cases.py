"""The suite format's building blocks: located YAML, score forms, table cells."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from qualdsl.testing import yamlsource
from qualdsl.testing.cases import NumberExpectation, load_suite, parse_number, plain, set_path
from qualdsl.testing.runner import run_paths

from .conftest import FIXTURES


def test_yaml_keeps_key_lines_and_yaml_1_2_booleans():
    data = yamlsource.load("a: 1\nlead:\n  country: NO\n  active: true\n")
    assert yamlsource.key_span(data, "lead").line == 2
    assert data["lead"] == {"country": "NO", "active": True}  # not the Norway problem


def test_score_forms():
    assert parse_number(50)[0] == NumberExpectation("exact", 50.0)
    assert parse_number("~38.4")[0] == NumberExpectation("approx", 38.4)
    assert parse_number("80..")[0] == NumberExpectation("range", low=80.0)
    assert parse_number({"min": 30, "max": 60})[0] == NumberExpectation("range", low=30.0, high=60.0)
    assert parse_number({"approx": 5, "tolerance": 0.5})[0] == NumberExpectation("approx", 5.0, 0.5)
    assert parse_number(True)[0] is None
    assert parse_number("60..30")[0] is None


@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False))
def test_exact_holds_for_the_value_and_its_rounding(x):
    assert NumberExpectation("exact", x).holds(x)
    assert NumberExpectation("exact", round(x, 9)).holds(x)


def test_inline_leads_become_json_values():
    lead = plain({"at": dt.datetime(2026, 10, 1, 9, 0), "day": dt.date(2026, 1, 2)})
    assert lead == {"at": "2026-10-01T09:00:00Z", "day": "2026-01-02"}


def test_dotted_table_columns_nest():
    lead: dict = {}
    set_path(lead, "company.employees", "80")
    set_path(lead, "company.country", "US")
    assert lead == {"company": {"employees": "80", "country": "US"}}


def test_timeline_points_are_separate_tests_at_their_own_as_of():
    suite = load_suite(str(FIXTURES / "demo.test.yaml"))
    assert suite.ok
    names = [item.name for item in suite.items]
    assert "demo request decays week by week @ 2026-10-09" in names
    point = next(i for i in suite.items if i.name.endswith("@ 2026-10-09"))
    assert point.as_of == dt.datetime(2026, 10, 9, tzinfo=dt.UTC)


def test_python_api_runs_suites():
    run = run_paths([str(FIXTURES / "demo.test.yaml"), str(FIXTURES / "table.test.yaml")])
    assert (run.passed, run.failed, run.errors) == (9, 0, 0)
    assert run.coverage[0].percent == 100.0
