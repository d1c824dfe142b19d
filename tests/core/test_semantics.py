"""Golden cases, one per semantic rule of the language contract.

Every expected value here was worked out from the contract text (the
sections named in each test's docstring), not copied from the output.
"""

from __future__ import annotations

import datetime as dt
import json
import os

import pytest

import qualdsl
from qualdsl.errors import CheckError, ParseError, QualError

from qd_helpers import UTC, T, ago, compiled, days, evaluate, holds, iso, warnings_of

# Every golden case runs on every backend (the conformance harness).
pytestmark = pytest.mark.usefixtures("backend")

# ====================================================== string comparison


class TestCaseInsensitiveStrings:
    """Expressions: ==, !=, in, not in, contains, starts_with, ends_with are
    case-insensitive (Unicode casefold); `matches` is case-sensitive unless /i."""

    S = "s: string\nl: list[string]"

    @pytest.mark.parametrize(
        "condition, value, expected",
        [
            ('s == "straße"', "STRASSE", True),  # casefold("ß") == "ss"
            ('s == "STRASSE"', "straße", True),
            ('s == "Acme"', "aCME", True),
            ('s != "acme"', "ACME", False),
            ('s != "acme"', "acmf", True),
            ('s in ["Fintech", "software"]', "FINTECH", True),
            ('s in ["straße"]', "Strasse", True),
            ('s not in ["software"]', "SOFTWARE", False),
            ('s not in ["software"]', "hardware", True),
            ('s contains "STUDENT"', "PhD student", True),
            ('s contains "ß"', "GROSS", True),  # casefold: "gross" contains "ss"
            ('s starts_with "vp"', "VP Sales", True),
            ('s ends_with "INC"', "Acme inc", True),
            ('s starts_with "sales"', "VP Sales", False),
            ('s == "ǅ"', "ǆ", True),  # titlecase digraph folds to lowercase
            ('s == "Σ"', "ς", True),  # final sigma folds to σ, as does Σ
        ],
    )
    def test_string_tests(self, condition, value, expected):
        assert holds(condition, {"s": value}, schema=self.S) is expected

    def test_list_field_membership_is_case_insensitive(self):
        assert holds('"salesforce" in l', {"l": ["HubSpot", "SalesForce"]}, schema=self.S)
        assert not holds('"salesforce" not in l', {"l": ["SALESFORCE"]}, schema=self.S)
        assert holds('"marketo" not in l', {"l": ["SALESFORCE"]}, schema=self.S)

    def test_without_schema_too(self):
        assert holds('s == "straße"', {"s": "STRASSE"})
        assert holds('s in ["a", "B"]', {"s": "b"})
        assert holds('"x" in l', {"l": ["X"]})

    def test_matches_is_case_sensitive(self):
        assert holds("s matches /^VP/", {"s": "VP Sales"}, schema=self.S)
        assert not holds("s matches /^VP/", {"s": "vp sales"}, schema=self.S)
        assert holds("s matches /^VP/i", {"s": "vp sales"}, schema=self.S)

    def test_matches_is_a_search_not_a_full_match(self):
        assert holds("s matches /ale/", {"s": "VP Sales"}, schema=self.S)
        assert not holds("s matches /^ale/", {"s": "VP Sales"}, schema=self.S)

    def test_matches_escaped_slash(self):
        assert holds(r"s matches /a\/b/", {"s": "xa/by"}, schema=self.S)
        assert not holds(r"s matches /a\/b/", {"s": "ab"}, schema=self.S)


# ============================================================ missing data


class TestMissing:
    """Missing data: absent or null is missing; every comparison or string test
    with a missing operand is false (!= and not in included); `not` negates
    the boolean result; a bare missing bool is false."""

    S = "n: int\ns: string\nb: bool\nl: list[string]\nd: date"

    @pytest.mark.parametrize(
        "condition",
        [
            "n == 1", "n != 1", "n < 1", "n <= 1", "n > 1", "n >= 1",
            "n between 1 and 5", "n in [1, 2]", "n not in [1, 2]",
            's == "a"', 's != "a"', 's in ["a"]', 's not in ["a"]',
            's contains "a"', 's starts_with "a"', 's ends_with "a"', "s matches /.*/",
            '"a" in l', '"a" not in l', "b", "b == true", "b != true",
            "d < 2026-01-01", "d != 2026-01-01", "n == n", "1 == n",
        ],
    )
    @pytest.mark.parametrize("lead", [{}, {"n": None, "s": None, "b": None, "l": None, "d": None}])
    def test_every_comparison_with_missing_is_false(self, condition, lead):
        assert holds(condition, lead, schema=self.S) is False

    @pytest.mark.parametrize(
        "condition",
        ["not n == 1", "not n != 1", "not n not in [1]", 'not s contains "a"', "not b",
         "not (n > 1 or s == \"a\")"],
    )
    def test_not_negates_the_boolean_result(self, condition):
        assert holds(condition, {}, schema=self.S) is True

    def test_not_of_a_true_comparison(self):
        assert holds("not n == 1", {"n": 1}, schema=self.S) is False

    def test_is_missing_and_is_present(self):
        assert holds("n is missing", {}, schema=self.S)
        assert holds("n is missing", {"n": None}, schema=self.S)
        assert not holds("n is present", {"n": None}, schema=self.S)
        assert holds("n is present", {"n": 0}, schema=self.S)
        assert holds("s is present", {"s": ""}, schema=self.S)  # empty text is a value
        assert holds("l is present", {"l": []}, schema=self.S)
        # A value that does not coerce is missing too.
        assert holds("n is missing", {"n": "ten"}, schema=self.S)

    def test_functions_of_missing_are_missing(self):
        for call in ("domain(s)", "lower(s)", "len(s)", "days_since(d)"):
            assert holds(f"{call} is missing", {}, schema=self.S), call
        assert holds("len(l) is missing", {}, schema=self.S)

    def test_domain_without_at_is_missing(self):
        assert holds("domain(s) is missing", {"s": "no-at-sign"}, schema=self.S)

    def test_domain_is_after_the_last_at_lower_cased(self):
        assert holds('domain(s) == "x.com"', {"s": "a@b@X.COM"}, schema=self.S)
        # lower-cased (not just compared case-insensitively): matches /x/ case-sensitively
        assert holds("domain(s) matches /^x\\.com$/", {"s": "Ann@X.Com"}, schema=self.S)

    def test_lower_and_len(self):
        assert holds("lower(s) matches /^abc$/", {"s": "AbC"}, schema=self.S)
        assert holds("len(s) == 3", {"s": "abc"}, schema=self.S)
        assert holds("len(l) == 2", {"l": ["a", None, "b"]}, schema=self.S)  # nulls dropped

    def test_count_of_no_events_is_zero(self):
        schema = "events: events"
        assert holds("count(events) == 0", {}, schema=schema)
        assert holds("count(events) == 0", {"events": None}, schema=schema)
        assert holds("count(events) == 0", {"events": []}, schema=schema)
        assert holds('count(events where type == "x") == 0', {"events": "junk"}, schema=schema)


class TestKindsAndArithmetic:
    """Comparing values of different kinds is false. Booleans are not numbers.
    Arithmetic with a missing operand, and division by zero, give missing.
    A condition whose value is not a boolean is false."""

    @pytest.mark.parametrize(
        "condition, lead",
        [
            ("x == 10", {"x": "10"}),
            ("x != 10", {"x": "10"}),  # different kinds: false, even for !=
            ("x > 5", {"x": "10"}),
            ('x == "10"', {"x": 10}),
            ("x == 1", {"x": True}),  # booleans are not numbers
            ("x > 0", {"x": True}),
            ("x == true", {"x": 1}),
            ("x == true", {"x": "true"}),  # no schema: no coercion
            ("x in [1, 2]", {"x": "1"}),
            ("x between 1 and 5", {"x": "3"}),
            ('x contains "1"', {"x": 10}),
            ("x matches /1/", {"x": 10}),
            ("x", {"x": "true"}),  # a condition that is not a boolean is false
            ("x", {"x": 1}),
            ("x < 2026-01-01", {"x": "2025-01-01"}),
        ],
    )
    def test_different_kinds_are_never_equal_or_ordered(self, condition, lead):
        assert holds(condition, lead) is False

    def test_same_kind_numbers_int_and_float(self):
        assert holds("x == 10", {"x": 10.0})
        assert holds("x between 1 and 5", {"x": 5})
        assert holds("x between 1 and 5", {"x": 1.0})
        assert not holds("x between 1 and 5", {"x": 5.000001})

    def test_bool_field_is_true_only_when_true(self):
        assert holds("x", {"x": True})
        assert not holds("x", {"x": False})
        assert holds("not x", {"x": False})

    @pytest.mark.parametrize(
        "condition, lead",
        [
            ("x + 1 is missing", {}),
            ("x * 2 is missing", {"x": None}),
            ("1 - x is missing", {"x": "3"}),
            ("x + 1 is missing", {"x": True}),  # booleans are not numbers
            ("x / 0 is missing", {"x": 5}),
            ("x / (y - y) is missing", {"x": 5, "y": 2}),
            ("-x is missing", {"x": "5"}),
        ],
    )
    def test_arithmetic_missing(self, condition, lead):
        assert holds(condition, lead)

    def test_arithmetic_values(self):
        assert holds("x / 4 == 1.25", {"x": 5})
        assert holds("x * 2 + 1 == 11", {"x": 5})
        assert holds("x - 2 * 3 == -1", {"x": 5})  # * binds tighter than -
        assert holds("-x + 10 == 5", {"x": 5})
        assert holds("(x / 0) != 1 or true", {"x": 5})
        assert not holds("(x / 0) != 1", {"x": 5})  # missing: != is false too

    def test_huge_json_int_does_not_raise(self):
        # JSON allows any integer; a float64 overflow is missing, not an error.
        assert holds("x / 2 is missing", {"x": 10**400})
        assert holds("x * 1.5 is missing", {"x": 10**400})
        assert holds("x > 1", {"x": 10**400})


# ================================================================ coercion

_INT = [
    (850, 850), (850.0, 850), ("850", 850), ("+850", 850), ("-3", -3), ("850.0", 850),
    ("850.5", None), ("1,000", None), ("1e3", None), (True, None), (False, None),
    (850.5, None), ("", None), ("ten", None), ([850], None), ({"v": 1}, None),
    (float("nan"), None), (float("inf"), None),
]
_NUMBER = [
    (12, 12), (12.5, 12.5), ("12.5", 12.5), ("-0.25", -0.25), ("12", 12), (True, None),
    ("NaN", None), ("inf", None), (float("nan"), None), (float("-inf"), None),
    ("1,000.5", None), ("12.5%", None), ([1.5], None),
]
_BOOL = [
    (True, True), (False, False), ("true", True), ("FALSE", False), ("True", True),
    (0, None), (1, None), ("yes", None), ("no", None), ("1", None), ([], None),
]
_STRING = [
    ("abc", "abc"), (1001, "1001"), (1001.0, "1001"), (-7, "-7"), (True, None),
    ([], None), ({}, None), (["a"], None),
]


class TestCoercion:
    """Coercion (edge cases, decided) and the exact warning text."""

    def value_of(self, type_name: str, raw: object) -> tuple[object, list[str]]:
        """The coerced value of field `v` (via `==` probes) and the warnings."""
        text = f"policy t\nschema {{\n  v: {type_name}\n}}\nscore s {{\n  rule r 1 when v is present\n}}\n"
        decision = compiled(text).evaluate({"v": raw}, as_of=T)
        present = decision.rules[0].fired
        return present, decision.warnings

    def check(self, type_name, raw, expected):
        present, warnings = self.value_of(type_name, raw)
        if expected is None:
            assert not present
            assert warnings == [
                f"v: expected {type_name}, got {json.dumps(raw, ensure_ascii=False)}; treated as missing"
            ]
        else:
            assert present
            assert warnings == []
            literal = json.dumps(expected) if not isinstance(expected, bool) else str(expected).lower()
            assert holds(f"v == {literal}", {"v": raw}, schema=f"v: {type_name}")

    @pytest.mark.parametrize("raw, expected", _INT)
    def test_int(self, raw, expected):
        self.check("int", raw, expected)

    @pytest.mark.parametrize("raw, expected", _NUMBER)
    def test_number(self, raw, expected):
        self.check("number", raw, expected)

    @pytest.mark.parametrize("raw, expected", _BOOL)
    def test_bool(self, raw, expected):
        self.check("bool", raw, expected)

    @pytest.mark.parametrize("raw, expected", _STRING)
    def test_string(self, raw, expected):
        self.check("string", raw, expected)

    def test_string_from_int_keeps_its_digits_only(self):
        assert holds('v == "1001"', {"v": 1001.0}, schema="v: string")
        assert not holds('v == "1001.0"', {"v": 1001.0}, schema="v: string")

    @pytest.mark.parametrize(
        "raw, expected",
        [("2026-01-31", dt.date(2026, 1, 31)), ("2026-02-30", None), ("2026-1-31", None),
         ("2026-01-31T00:00:00", None), ("31-01-2026", None), (20260131, None)],
    )
    def test_date(self, raw, expected):
        present, warnings = self.value_of("date", raw)
        assert present is (expected is not None)
        if expected is not None:
            assert holds(f"v == {expected.isoformat()}", {"v": raw}, schema="v: date")
        else:
            assert warnings == [f"v: expected date, got {json.dumps(raw)}; treated as missing"]

    @pytest.mark.parametrize(
        "raw, expected",
        [
            ("2026-01-31T09:30:00Z", dt.datetime(2026, 1, 31, 9, 30, tzinfo=UTC)),
            ("2026-01-31T09:30:00", dt.datetime(2026, 1, 31, 9, 30, tzinfo=UTC)),  # no offset: UTC
            ("2026-01-31 09:30:00", dt.datetime(2026, 1, 31, 9, 30, tzinfo=UTC)),  # a space
            ("2026-01-31T11:30:00+02:00", dt.datetime(2026, 1, 31, 9, 30, tzinfo=UTC)),
            ("2026-01-31", dt.datetime(2026, 1, 31, tzinfo=UTC)),  # a date: midnight UTC
            ("2026-01-31T25:00:00Z", None),
            ("yesterday", None),
            (1769851800, None),
            # an offset that leaves the datetime range is not a datetime (no error)
            ("0001-01-01T00:00:00+01:00", None),
        ],
    )
    def test_datetime(self, raw, expected):
        present, warnings = self.value_of("datetime", raw)
        assert present is (expected is not None)
        if expected is not None:
            literal = expected.strftime("%Y-%m-%dT%H:%M:%SZ")
            assert holds(f"v == {literal}", {"v": raw}, schema="v: datetime")
            assert not holds(f"v != {literal}", {"v": raw}, schema="v: datetime")
        else:
            assert warnings == [f"v: expected datetime, got {json.dumps(raw)}; treated as missing"]

    def test_list_string_drops_nulls_and_converts_ints(self):
        schema = "v: list[string]"
        assert holds("len(v) == 2", {"v": ["a", None, 7]}, schema=schema)
        assert holds('"7" in v', {"v": ["a", None, 7]}, schema=schema)
        assert holds("len(v) == 0", {"v": [None]}, schema=schema)

    @pytest.mark.parametrize(
        "type_name, raw",
        [("list[string]", ["a", True]), ("list[string]", ["a", ["b"]]),
         ("list[number]", [1, "x"]), ("list[number]", [1, True]),
         ("list[string]", "a"),  # a scalar is not wrapped
         ("list[number]", 5), ("list[string]", {"a": 1})],
    )
    def test_list_with_one_bad_element_or_a_scalar_is_missing(self, type_name, raw):
        present, warnings = self.value_of(type_name, raw)
        assert not present
        assert warnings == [
            f"v: expected {type_name}, got {json.dumps(raw)}; treated as missing"
        ]

    def test_list_number_converts_strings(self):
        assert holds("3 in v", {"v": ["3", 1.5]}, schema="v: list[number]")

    def test_every_schema_field_is_coerced_read_or_not(self):
        text = (
            "policy t\nschema {\n  a: int\n  b.c: bool\n  d: string\n}\n"
            "score s {\n  rule r 1 when d is present\n}\n"
        )
        warnings = warnings_of(text, {"a": "x", "b": {"c": "maybe"}, "d": "ok"})
        assert warnings == [
            'a: expected int, got "x"; treated as missing',
            'b.c: expected bool, got "maybe"; treated as missing',
        ]

    def test_warning_names_the_dotted_field_and_shows_json(self):
        text = "policy t\nschema {\n  company.employees: int\n}\n"
        assert warnings_of(text, {"company": {"employees": "850.5"}}) == [
            'company.employees: expected int, got "850.5"; treated as missing'
        ]
        assert warnings_of(text, {"company": {"employees": {"a": [1, None]}}}) == [
            'company.employees: expected int, got {"a": [1, null]}; treated as missing'
        ]
        assert warnings_of(text, {"company.employees": True}) == [
            "company.employees: expected int, got true; treated as missing"
        ]

    def test_fields_not_in_the_schema_are_ignored(self):
        text = "policy t\nschema {\n  a: int\n}\n"
        assert warnings_of(text, {"a": 1, "b": "x", "events": [1, 2]}) == []


# ============================================================== lead shape


class TestLeadShape:
    """Lead shape: nested lookup, then the flat key "a.b"; keys are
    case-sensitive; a non-object lead is {} with a warning; `lead` is the id
    as text, or null."""

    S = "company.employees: int"

    def test_nested(self):
        assert holds("company.employees == 5", {"company": {"employees": 5}}, schema=self.S)

    def test_flat_key_when_nested_lookup_fails(self):
        assert holds("company.employees == 50", {"company.employees": 50}, schema=self.S)
        assert holds("company.employees == 50", {"company": {}, "company.employees": "50"}, schema=self.S)
        assert holds("company.employees == 50", {"company": "Acme", "company.employees": 50}, schema=self.S)

    def test_nested_wins_over_flat(self):
        lead = {"company": {"employees": 5}, "company.employees": 50}
        assert holds("company.employees == 5", lead, schema=self.S)

    def test_three_segments(self):
        schema = "a.b.c: int"
        assert holds("a.b.c == 1", {"a": {"b": {"c": 1}}}, schema=schema)
        assert holds("a.b.c == 2", {"a.b.c": 2}, schema=schema)
        assert holds("a.b.c == 2", {"a": {"b": 7}, "a.b.c": 2}, schema=schema)

    def test_without_schema(self):
        assert holds("company.employees == 5", {"company": {"employees": 5}})
        assert holds("company.employees == 50", {"company.employees": 50})

    def test_keys_are_case_sensitive(self):
        assert holds("company.employees is missing", {"Company": {"employees": 5}}, schema=self.S)
        assert holds("company.employees is missing", {"company": {"Employees": 5}}, schema=self.S)
        assert holds("company.employees is missing", {"Company.Employees": 5}, schema=self.S)

    @pytest.mark.parametrize("lead", [None, [1, 2], "lead", 5, True])
    def test_non_object_lead_is_evaluated_as_empty_with_a_warning(self, lead):
        text = "policy t\nicp {\n  require x is missing else \"never\"\n}\n"
        decision = evaluate(text, lead)
        assert decision["icp"] == {"pass": True, "reasons": []}
        assert decision["lead"] is None
        assert len(decision["warnings"]) == 1
        assert decision["warnings"][0].startswith("lead: ")

    @pytest.mark.parametrize(
        "lead, expected",
        [({"id": "L-1001"}, "L-1001"), ({"id": 1001}, "1001"), ({"id": 1001.0}, "1001"),
         ({}, None), ({"id": None}, None), ({"id": True}, None), ({"id": [1]}, None)],
    )
    def test_lead_is_the_id_as_text(self, lead, expected):
        assert evaluate("policy t\n", lead)["lead"] == expected
        assert evaluate("policy t\nschema {\n  id: string\n}\n", lead)["lead"] == expected

    def test_backtick_field_names(self):
        schema = "`Lead Source`: string\ncompany.`Annual Revenue`: number"
        assert holds('`Lead Source` == "web"', {"Lead Source": "Web"}, schema=schema)
        assert holds("company.`Annual Revenue` > 1000", {"company": {"Annual Revenue": "1000.5"}}, schema=schema)
        assert holds("company.`Annual Revenue` > 1000", {"company.Annual Revenue": 2000}, schema=schema)


# ================================================================== events

EV = "events: events"


def _evs(*pairs: tuple[str, str]) -> list[dict]:
    return [{"type": kind, "at": at} for kind, at in pairs]


class TestEvents:
    """Events: each element has a string `type` and an ISO 8601 `at`, else it
    is ignored with a warning. Events after T do not exist."""

    def test_malformed_elements_are_ignored_with_a_warning(self):
        text = "policy t\nschema {\n  events: events\n}\nscore s {\n  rule r 1 per event \"x\"\n}\n"
        lead = {"events": [
            {"type": "x", "at": ago(days(1))},
            {"type": "x"},
            {"at": ago(days(1))},
            {"type": 5, "at": ago(days(1))},
            {"type": "x", "at": "last tuesday"},
            "x",
            None,
            {"type": "x", "at": ago(days(2))},
        ]}
        decision = compiled(text).evaluate(lead, as_of=T)
        assert decision.rules[0].points == 2.0
        assert len(decision.warnings) == 6
        for index, warning in zip((1, 2, 3, 4, 5, 6), decision.warnings):
            assert warning.startswith(f"events[{index}]: ")

    def test_events_field_not_a_list_is_missing_with_a_warning(self):
        text = "policy t\nschema {\n  events: events\n}\n"
        assert warnings_of(text, {"events": {"type": "x"}}) == [
            'events: expected events, got {"type": "x"}; treated as missing'
        ]

    def test_event_type_is_case_insensitive_and_other_fields_are_raw(self):
        text = (
            "policy t\nschema {\n  events: events\n}\n"
            "score s {\n  rule r 1 per event \"Demo_Request\" where plan == \"pro\" and seats > 5\n}\n"
        )
        lead = {"events": [
            {"type": "DEMO_REQUEST", "at": ago(days(1)), "plan": "PRO", "seats": 6},
            {"type": "demo_request", "at": ago(days(1)), "plan": "pro", "seats": "6"},  # "6": no coercion
            {"type": "demo_request", "at": ago(days(1)), "plan": "free", "seats": 60},
        ]}
        assert compiled(text).evaluate(lead, as_of=T).rules[0].points == 1.0

    def test_time_travel_future_events_do_not_exist(self):
        text = (
            "policy t\nschema {\n  events: events\n}\n"
            "score s {\n  rule per 10 per event \"x\"\n"
            "  rule counted 1 when count(events) == 1\n}\n"
        )
        lead = {"events": _evs(("x", ago(days(1))), ("x", iso(T + dt.timedelta(microseconds=1))),
                               ("x", iso(T + days(30))))}
        decision = compiled(text).evaluate(lead, as_of=T)
        assert [r.points for r in decision.rules] == [10.0, 1.0]
        assert decision.warnings == []

    def test_an_event_at_t_exists(self):
        text = "policy t\nschema {\n  events: events\n}\nscore s {\n  rule r 3 per event \"x\"\n}\n"
        assert compiled(text).evaluate({"events": _evs(("x", iso(T)))}, as_of=T).rules[0].points == 3.0

    def test_events_field_at_a_nested_path(self):
        text = (
            "policy t\nschema {\n  activity.log: events\n}\n"
            "score s {\n  rule r 1 when count(events) == 2\n}\n"
        )
        lead = {"activity": {"log": _evs(("a", ago(days(1))), ("b", ago(days(2))))}}
        assert compiled(text).evaluate(lead, as_of=T).rules[0].fired

    def test_no_schema_the_events_field_is_top_level_events(self):
        text = "policy t\nscore s {\n  rule r 2 per event \"x\"\n}\n"
        assert compiled(text).evaluate({"events": _evs(("x", ago(days(1))))}, as_of=T).rules[0].points == 2.0

    def test_schema_without_events_field_means_no_events(self):
        # `events` is then just an undeclared key: no latest activity, no warnings.
        text = (
            "policy t\nschema {\n  x: int\n}\n"
            "score s {\n  decay 50% every 1d\n  rule r 8 when x == 1\n}\n"
        )
        decision = compiled(text).evaluate(
            {"x": 1, "events": [{"type": "a", "at": ago(days(3))}, "junk"]}, as_of=T
        )
        assert decision.rules[0].points == 8.0  # age 0: no decay
        assert decision.warnings == []

    def test_where_reads_lets_and_sets_which_read_the_lead(self):
        text = (
            "policy t\nschema {\n  tier_level: string\n  events: events\n}\n"
            "set plans = [\"pro\", \"team\"]\n"
            "let vip = tier_level == \"gold\"\n"
            "score s {\n  rule r 1 per event \"x\" where plan in plans and vip\n}\n"
        )
        lead = {"tier_level": "gold", "events": [
            {"type": "x", "at": ago(days(1)), "plan": "Team"},
            {"type": "x", "at": ago(days(1)), "plan": "free"},
        ]}
        assert compiled(text).evaluate(lead, as_of=T).rules[0].points == 1.0
        lead["tier_level"] = "silver"
        assert compiled(text).evaluate(lead, as_of=T).rules[0].points == 0.0

    def test_where_reads_type_and_at(self):
        text = (
            "policy t\nschema {\n  events: events\n}\n"
            "score s {\n  rule r 1 when count(events where type == \"A\" and at >= 2026-10-01) == 1\n}\n"
        )
        lead = {"events": _evs(("a", "2026-10-15T00:00:00Z"), ("a", "2026-09-30T23:59:59Z"),
                               ("b", "2026-10-20"))}
        assert compiled(text).evaluate(lead, as_of=T).rules[0].fired


class TestMaxK:
    """`max K` keeps the K most recent events that exist as of T and pass the
    type and `where` tests; ties on `at` go to the later one in the input."""

    TEXT = (
        "policy t\nschema {\n  events: events\n}\n"
        "score s {\n  decay 50% every 1d\n  rule r 8 per event \"w\" where not ok == false max 2\n}\n"
    )

    def points(self, events, as_of=T):
        return compiled(self.TEXT).evaluate({"events": events}, as_of=as_of).rules[0].points

    def test_most_recent_not_first_in_input(self):
        # ages 1d, 3d, 2d, 5d -> the two most recent are 1d and 2d:
        # 8 * 0.5^1 + 8 * 0.5^2 = 4 + 2 = 6 (input order would give 4 + 1 = 5)
        events = _evs(("w", ago(days(1))), ("w", ago(days(3))), ("w", ago(days(2))), ("w", ago(days(5))))
        assert self.points(events) == 6.0

    def test_future_events_do_not_take_a_place(self):
        # +1d does not exist; the two most recent existing: 3d, 4d -> 8/8 + 8/16 = 1.5
        events = _evs(("w", iso(T + days(1))), ("w", ago(days(3))), ("w", ago(days(4))), ("w", ago(days(5))))
        assert self.points(events) == 1.5

    def test_where_filters_before_max(self):
        # the 1d event fails `where`; 2d and 3d count -> 8/4 + 8/8 = 3
        events = [{"type": "w", "at": ago(days(1)), "ok": False}] + _evs(
            ("w", ago(days(2))), ("w", ago(days(3))), ("w", ago(days(4))))
        assert self.points(events) == 3.0

    def test_other_types_do_not_take_a_place(self):
        events = _evs(("v", ago(days(0))), ("w", ago(days(2))), ("v", ago(days(1))), ("w", ago(days(3))))
        assert self.points(events) == 3.0

    def test_expired_events_still_take_their_place(self):
        text = (
            "policy t\nschema {\n  events: events\n}\n"
            "score s {\n  expire after 10d\n  rule r 1 per event \"w\" max 1\n}\n"
        )
        # The most recent is 20d old (expired): it is the one kept, so 0 points.
        events = _evs(("w", ago(days(20))), ("w", ago(days(30))))
        rule = compiled(text).evaluate({"events": events}, as_of=T).rules[0]
        assert rule.points == 0.0

    def test_ties_on_at_go_to_the_later_one_in_the_input(self):
        from qualdsl.runtime import load_events

        at = ago(days(1))
        raw = [{"type": "w", "at": at, "n": 1}, {"type": "w", "at": at, "n": 2},
               {"type": "w", "at": ago(days(2)), "n": 3}]
        events = load_events(raw, "events", T, [])
        assert [e[3]["n"] for e in events] == [2, 1, 3]


class TestDecay:
    """Decay: `every` stepwise with an exact floor, `half_life` continuous,
    `expire after D` keeps an event exactly D old, combined by product; a
    when-rule's age is T - latest activity; no events: age 0."""

    def block(self, decay: str, rule: str = 'rule r 10 per event "x"') -> str:
        return f"policy t\nschema {{\n  flag: bool\n  events: events\n}}\nscore s {{\n  {decay}\n  {rule}\n}}\n"

    def points(self, decay, events, rule='rule r 10 per event "x"', lead=None):
        lead = dict(lead or {}, events=events)
        return compiled(self.block(decay, rule)).evaluate(lead, as_of=T).rules[0].points

    @pytest.mark.parametrize(
        "age, steps",
        [
            (dt.timedelta(0), 0),
            (days(7) - dt.timedelta(microseconds=1), 0),
            (days(7), 1),  # exactly one period: one step
            (days(14) - dt.timedelta(seconds=1), 1),
            (days(14), 2),
            (days(70), 10),
        ],
    )
    def test_every_is_stepwise_with_an_exact_floor(self, age, steps):
        got = self.points("decay 10% every 7d", [{"type": "x", "at": iso(T - age)}])
        assert got == pytest.approx(10 * 0.9**steps, rel=1e-12)

    def test_every_with_fractional_units(self):
        # 1.5d = 36h; an event 36h old is one step; 12h in hours: 35h59m is 2 steps of 12h
        assert self.points("decay 50% every 1.5d", _evs(("x", ago(dt.timedelta(hours=36))))) == 5.0
        assert self.points("decay 50% every 12h", _evs(("x", ago(dt.timedelta(hours=35, minutes=59))))) == 2.5
        assert self.points("decay 50% every 1w", _evs(("x", ago(days(14))))) == 2.5

    def test_every_100_percent(self):
        assert self.points("decay 100% every 7d", _evs(("x", ago(days(6))))) == 10.0
        assert self.points("decay 100% every 7d", _evs(("x", ago(days(7))))) == 0.0

    @pytest.mark.parametrize("age_days, factor", [(0, 1.0), (5, 0.5**0.5), (10, 0.5), (25, 0.5**2.5)])
    def test_half_life_is_continuous(self, age_days, factor):
        got = self.points("decay half_life 10d", _evs(("x", ago(days(age_days)))))
        assert got == pytest.approx(10 * factor, rel=1e-12)

    def test_expire_keeps_an_event_exactly_d_old(self):
        assert self.points("expire after 90d", _evs(("x", ago(days(90))))) == 10.0
        assert self.points("expire after 90d", _evs(("x", ago(days(90) + dt.timedelta(microseconds=1))))) == 0.0
        assert self.points("expire after 90d", _evs(("x", ago(days(90) + dt.timedelta(seconds=1))))) == 0.0

    def test_decay_and_expire_combine_by_product(self):
        text = "decay 10% every 30d\n  expire after 90d"
        assert self.points(text, _evs(("x", ago(days(90))))) == pytest.approx(10 * 0.9**3)
        assert self.points(text, _evs(("x", ago(days(91))))) == 0.0
        # order inside the block does not matter
        text = "expire after 90d\n  decay 10% every 30d"
        assert self.points(text, _evs(("x", ago(days(60))))) == pytest.approx(10 * 0.9**2)

    def test_per_event_contributions_sum_each_with_its_own_age(self):
        events = _evs(("x", ago(days(0))), ("x", ago(days(7))), ("x", ago(days(21))))
        assert self.points("decay 10% every 7d", events) == pytest.approx(10 + 9 + 10 * 0.9**3)

    def test_when_rule_age_is_time_since_latest_activity_of_any_type(self):
        rule = "rule r 10 when flag"
        events = _evs(("other", ago(days(14))), ("x", ago(days(30))))
        assert self.points("decay 10% every 7d", events, rule, {"flag": True}) == pytest.approx(8.1)

    def test_when_rule_latest_activity_ignores_future_and_malformed_events(self):
        rule = "rule r 10 when flag"
        events = [
            {"type": "x", "at": iso(T + days(1))},  # future: does not exist
            {"at": ago(days(1))},  # malformed: ignored
            {"type": "x", "at": ago(days(7))},
        ]
        assert self.points("decay 10% every 7d", events, rule, {"flag": True}) == pytest.approx(9.0)

    def test_when_rule_with_no_events_has_age_zero(self):
        rule = "rule r 10 when flag"
        assert self.points("decay 10% every 7d\n  expire after 1d", [], rule, {"flag": True}) == 10.0
        assert self.points("decay half_life 1d", None, rule, {"flag": True}) == 10.0

    def test_when_rule_expired_fires_with_zero_points(self):
        text = self.block("expire after 30d", "rule r 10 when flag")
        rule = compiled(text).evaluate(
            {"flag": True, "events": _evs(("x", ago(days(31))))}, as_of=T
        ).rules[0]
        assert rule.fired is True and rule.points == 0.0

    def test_negative_points_decay_too(self):
        got = self.points("decay 50% every 1d", _evs(("x", ago(days(1)))), 'rule r -10 per event "x"')
        assert got == -5.0

    def test_no_decay_in_a_block_without_decay(self):
        text = "policy t\nscore s {\n  rule r 10 per event \"x\"\n}\n"
        assert compiled(text).evaluate({"events": _evs(("x", "1990-01-01"))}, as_of=T).rules[0].points == 10.0


class TestWithin:
    """`within D` keeps the events whose age T - at is at most D; an event at
    T has age 0; `count` without clauses counts every existing event."""

    TEXT = (
        "policy t\nschema {\n  events: events\n}\n"
        "let n = count(events where type == \"v\" within 30d)\n"
        "score s {\n  rule r 1 when n == 3\n}\n"
    )

    def test_boundaries(self):
        events = _evs(
            ("v", iso(T)),  # age 0: kept
            ("v", ago(days(30))),  # exactly 30d: kept
            ("V", ago(days(10))),  # type is case-insensitive
            ("v", ago(days(30) + dt.timedelta(microseconds=1))),  # too old
            ("v", iso(T + days(1))),  # future: does not exist
            ("w", ago(days(1))),  # other type
        )
        assert compiled(self.TEXT).evaluate({"events": events}, as_of=T).rules[0].fired

    def test_count_without_clauses(self):
        text = "policy t\nschema {\n  events: events\n}\nscore s {\n  rule r 1 when count(events) == 2\n}\n"
        events = _evs(("a", ago(days(400))), ("b", iso(T)), ("c", iso(T + days(1))))
        assert compiled(text).evaluate({"events": events}, as_of=T).rules[0].fired

    def test_within_without_where(self):
        text = "policy t\nschema {\n  events: events\n}\nscore s {\n  rule r 1 when count(events within 12h) == 1\n}\n"
        events = _evs(("a", ago(dt.timedelta(hours=12))), ("b", ago(dt.timedelta(hours=12, seconds=1))))
        assert compiled(text).evaluate({"events": events}, as_of=T).rules[0].fired

    def test_where_with_reversed_and_extra_conditions(self):
        text = (
            "policy t\nschema {\n  events: events\n}\n"
            "score s {\n  rule r 1 when count(events where \"v\" == type and (n > 1 or n is missing)) == 2\n}\n"
        )
        events = [{"type": "v", "at": ago(days(1)), "n": 2}, {"type": "v", "at": ago(days(1))},
                  {"type": "v", "at": ago(days(1)), "n": 0}]
        assert compiled(text).evaluate({"events": events}, as_of=T).rules[0].fired


# ================================================================== blocks


class TestBlocks:
    """Score blocks: caps, ledger before caps, `score` is the sum of totals,
    float64 summed in rule order."""

    def test_max_caps_and_ledger_is_before_caps(self):
        text = "policy t\nscore s max 20 {\n  rule a 15 when true\n  rule b 10 when true\n}\n"
        decision = evaluate(text, {})
        assert decision["scores"] == {"s": 20.0, "total": 20.0}
        assert [r["points"] for r in decision["rules"]] == [15.0, 10.0]

    def test_min_floors(self):
        text = "policy t\nscore s min -5 {\n  rule a -15 when true\n  rule b 4 when true\n}\n"
        decision = evaluate(text, {})
        assert decision["scores"]["s"] == -5.0
        assert [r["points"] for r in decision["rules"]] == [-15.0, 4.0]

    def test_within_caps_untouched_and_min_max_equal(self):
        text = "policy t\nscore s max 50 min 0 {\n  rule a 12.5 when true\n}\nscore u min 3 max 3 {\n}\n"
        assert evaluate(text, {})["scores"] == {"s": 12.5, "u": 3.0, "total": 15.5}

    def test_score_is_the_sum_of_block_totals(self):
        text = (
            "policy t\nscore a max 10 {\n  rule x 25 when true\n}\n"
            "score b {\n  rule y 2.5 when true\n  rule z -1 when true\n}\n"
            "tiers {\n  tier hi when score == 11.5\n  tier lo otherwise\n}\n"
        )
        decision = evaluate(text, {})
        assert decision["scores"] == {"a": 10.0, "b": 1.5, "total": 11.5}
        assert list(decision["scores"]) == ["a", "b", "total"]
        assert decision["tier"] == "hi"

    def test_points_without_sign_and_fractional(self):
        text = "policy t\nscore s {\n  rule a 0.1 when true\n  rule b +0.2 when true\n}\n"
        # float64, summed in rule order: 0.1 + 0.2 (not rounded)
        assert evaluate(text, {})["scores"]["s"] == 0.1 + 0.2

    def test_no_blocks_total_is_zero(self):
        assert evaluate("policy t\n", {})["scores"] == {"total": 0.0}

    def test_rule_not_fired_contributes_zero(self):
        text = "policy t\nscore s {\n  rule a 5 when x == 1\n}\n"
        assert evaluate(text, {"x": 2})["rules"] == [
            {"block": "s", "rule": "a", "fired": False, "points": 0.0}
        ]

    def test_per_event_rule_fired_means_an_event_counted(self):
        text = "policy t\nscore s {\n  rule a 5 per event \"x\"\n  rule b 5 per event \"y\"\n}\n"
        rules = evaluate(text, {"events": _evs(("x", ago(days(1))))})["rules"]
        assert [(r["fired"], r["points"]) for r in rules] == [(True, 5.0), (False, 0.0)]

    def test_block_and_rule_names_may_repeat_across_blocks(self):
        text = "policy t\nscore a {\n  rule r 1 when true\n}\nscore b {\n  rule r 2 when true\n}\n"
        assert [(r["block"], r["rule"]) for r in evaluate(text, {})["rules"]] == [("a", "r"), ("b", "r")]


# ================================================================ outcomes

OUTCOMES = """policy t
schema {
  x: int
  y: int
}
icp {
  reject  y == 1            as "y is one"
  require x >= 10           else "x too small"
  require y is present      else "y missing"
  reject  x >= 100          as "x too big"
}
score s {
  rule big 50 when x >= 50
  rule some 5 when x is present
}
tiers {
  tier A when s >= 50
  tier B when s >= 5
}
route {
  to "dq-queue"   when tier == disqualified and s >= 50
  to "a-queue"    when tier == A
  to "b-queue"    when tier == B
  to "nowhere"    otherwise
}
"""


class TestOutcomes:
    """ICP, tiers and routes: reasons in policy order; failing ICP gives tier
    `disqualified` but scores and the route are still evaluated; first match."""

    def test_icp_reasons_in_policy_order(self):
        decision = evaluate(OUTCOMES, {"x": 5, "y": 1})
        assert decision["icp"] == {"pass": False, "reasons": ["y is one", "x too small"]}
        decision = evaluate(OUTCOMES, {"x": 500})
        assert decision["icp"]["reasons"] == ["y missing", "x too big"]

    def test_require_fails_on_missing_data(self):
        assert evaluate(OUTCOMES, {"y": 2})["icp"]["reasons"] == ["x too small"]

    def test_failing_icp_still_scores_and_routes_reading_tier(self):
        decision = evaluate(OUTCOMES, {"x": 500, "y": 2})
        assert decision["tier"] == "disqualified"
        assert decision["scores"] == {"s": 55.0, "total": 55.0}
        assert decision["route"] == "dq-queue"
        decision = evaluate(OUTCOMES, {"x": 5, "y": 2})
        assert (decision["tier"], decision["route"]) == ("disqualified", "nowhere")

    def test_first_matching_tier_and_route(self):
        decision = evaluate(OUTCOMES, {"x": 60, "y": 2})
        assert (decision["tier"], decision["route"]) == ("A", "a-queue")
        decision = evaluate(OUTCOMES, {"x": 20, "y": 2})
        assert (decision["tier"], decision["route"]) == ("B", "b-queue")

    def test_no_tier_matches_gives_null(self):
        text = "policy t\nscore s {\n  rule r 1 when x == 1\n}\ntiers {\n  tier A when s > 0\n}\n"
        assert evaluate(text, {"x": 2})["tier"] is None

    def test_no_tiers_gives_null_or_disqualified(self):
        text = "policy t\nicp {\n  require x == 1 else \"no\"\n}\n"
        assert evaluate(text, {"x": 1})["tier"] is None
        assert evaluate(text, {"x": 2})["tier"] == "disqualified"

    def test_no_icp_passes_and_no_route_is_null(self):
        decision = evaluate("policy t\ntiers {\n  tier A otherwise\n}\n", {})
        assert decision["icp"] == {"pass": True, "reasons": []}
        assert (decision["tier"], decision["route"]) == ("A", None)

    def test_route_with_no_match_is_null(self):
        text = "policy t\nroute {\n  to \"q\" when x == 1\n}\n"
        assert evaluate(text, {"x": 2})["route"] is None
        assert evaluate(text, {"x": 1})["route"] == "q"

    def test_tier_conditions_are_not_evaluated_when_icp_fails(self):
        # tier `A` would hold, but the lead is disqualified.
        text = "policy t\nicp {\n  require false else \"never\"\n}\ntiers {\n  tier A otherwise\n}\n"
        assert evaluate(text, {})["tier"] == "disqualified"

    def test_icp_outcome_in_tiers_and_route(self):
        text = (
            "policy t\nicp {\n  require x == 1 else \"no\"\n}\n"
            "route {\n  to \"in\" when icp\n  to \"out\" when not icp\n}\n"
        )
        assert evaluate(text, {"x": 1})["route"] == "in"
        assert evaluate(text, {"x": 0})["route"] == "out"

    def test_tier_compare_is_case_insensitive_and_disqualified_is_a_tier_name(self):
        text = (
            "policy t\nicp {\n  require x == 1 else \"no\"\n}\n"
            "tiers {\n  tier Hot otherwise\n}\n"
            "route {\n  to \"h\" when tier == hot\n  to \"d\" when tier == Disqualified\n}\n"
        )
        assert evaluate(text, {"x": 1})["route"] == "h"
        assert evaluate(text, {"x": 0})["route"] == "d"

    def test_route_tier_null_when_no_tier(self):
        text = "policy t\ntiers {\n  tier A when x == 1\n}\nroute {\n  to \"x\" when tier is missing\n}\n"
        assert evaluate(text, {"x": 0})["route"] == "x"


class TestAsOf:
    """as_of is printed in UTC with Z; a date means midnight UTC; a datetime
    without a zone is UTC."""

    @pytest.mark.parametrize(
        "as_of, printed",
        [
            (dt.date(2026, 11, 1), "2026-11-01T00:00:00Z"),
            (dt.datetime(2026, 11, 1, 9, 30), "2026-11-01T09:30:00Z"),
            (dt.datetime(2026, 11, 1, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=2))), "2026-11-01T07:30:00Z"),
            ("2026-11-01", "2026-11-01T00:00:00Z"),
            ("2026-11-01T09:30:00+02:00", "2026-11-01T07:30:00Z"),
            ("2026-11-01T09:30:00", "2026-11-01T09:30:00Z"),
        ],
    )
    def test_printed(self, as_of, printed):
        assert evaluate("policy t\n", {}, as_of=as_of)["as_of"] == printed

    def test_date_as_of_is_midnight_for_time_travel(self):
        text = "policy t\nscore s {\n  rule r 1 per event \"x\"\n}\n"
        lead = {"events": _evs(("x", "2026-11-01T00:00:00Z"), ("x", "2026-11-01T00:00:01Z"))}
        assert evaluate(text, lead, as_of=dt.date(2026, 11, 1))["rules"][0]["points"] == 1.0

    def test_naive_event_datetimes_are_utc(self):
        text = "policy t\nscore s {\n  rule r 1 per event \"x\"\n}\n"
        lead = {"events": _evs(("x", "2026-11-01T00:00:00"), ("x", "2026-11-01T01:00:00+02:00"),
                               ("x", "2026-11-01T00:30:00-01:00"))}
        # 00:00 UTC and 23:00 UTC the day before exist as of midnight; 01:30 UTC does not.
        assert evaluate(text, lead, as_of="2026-11-01T00:00:00Z")["rules"][0]["points"] == 2.0

    def test_days_since(self):
        schema = "d: date\nw: datetime"
        # floor((T - d) / 1d): from 2026-10-01 00:00 to 2026-11-01 00:00 is 31 days
        assert holds("days_since(d) == 31", {"d": "2026-10-01"}, schema=schema)
        # 2026-10-31T00:00:01 is 23:59:59 before T: 0 whole days
        assert holds("days_since(w) == 0", {"w": "2026-10-31T00:00:01Z"}, schema=schema)
        assert holds("days_since(w) == 1", {"w": "2026-10-31T00:00:00Z"}, schema=schema)
        # future: floor of a negative -> -1
        assert holds("days_since(w) == -1", {"w": "2026-11-01T00:00:01Z"}, schema=schema)


# ==================================================================== names


class TestNames:
    """Names (edge cases, decided): in tiers and route a bare word is an
    outcome, then a let, then a set, then a tier name, then a field."""

    def test_score_is_the_total_in_tiers_but_a_field_elsewhere(self):
        text = (
            "policy t\nschema {\n  score: int\n}\n"
            "icp {\n  require score > 50 else \"low field\"\n}\n"
            "score fit {\n  rule r 5 when score > 50\n}\n"
            "tiers {\n  tier A when score >= 10\n  tier B otherwise\n}\n"
        )
        decision = evaluate(text, {"score": 100})
        assert decision["icp"]["pass"] is True  # the field
        assert decision["scores"]["total"] == 5.0
        assert decision["tier"] == "B"  # the total, 5, not the field, 100

    def test_tier_is_the_outcome_in_route_but_a_field_in_tiers(self):
        text = (
            "policy t\nschema {\n  tier: string\n}\n"
            "tiers {\n  tier gold when tier == \"vip\"\n  tier plain otherwise\n}\n"
            "route {\n  to \"g\" when tier == gold\n  to \"p\" otherwise\n}\n"
        )
        assert (evaluate(text, {"tier": "VIP"})["tier"], evaluate(text, {"tier": "VIP"})["route"]) == ("gold", "g")
        assert evaluate(text, {"tier": "x"})["route"] == "p"

    def test_outcome_before_let(self):
        text = (
            "policy t\nlet icp = x == 1\n"
            "score s {\n  rule r 1 when icp\n}\n"
            "route {\n  to \"passed\" when icp\n  to \"other\" otherwise\n}\n"
        )
        decision = evaluate(text, {"x": 0})
        assert decision["rules"][0]["fired"] is False  # the let (x == 1) outside tiers/route
        assert decision["route"] == "passed"  # the outcome (no icp block: passed)

    def test_let_and_tier_before_field_without_schema(self):
        text = (
            "policy t\nlet big = x > 10\n"
            "tiers {\n  tier SQL when big\n  tier MQL otherwise\n}\n"
            "route {\n  to \"sql\" when tier == SQL\n  to \"other\" otherwise\n}\n"
        )
        # The lead's own `big` and `SQL` keys are not read: let and tier name win.
        assert evaluate(text, {"x": 20, "big": False})["tier"] == "SQL"
        decision = evaluate(text, {"x": 1, "big": True, "SQL": "MQL"})
        assert (decision["tier"], decision["route"]) == ("MQL", "other")

    def test_set_before_field_without_schema(self):
        text = "policy t\nset good = [\"a\"]\nscore s {\n  rule r 1 when x in good\n}\n"
        assert evaluate(text, {"x": "A", "good": ["b"]})["rules"][0]["fired"] is True

    def test_block_names_are_outcomes_in_tiers_only(self):
        text = (
            "policy t\nscore fit {\n  rule r 30 when true\n}\n"
            "tiers {\n  tier A when fit >= 30\n}\n"
        )
        assert evaluate(text, {"fit": 0})["tier"] == "A"

    def test_lets_used_before_definition(self):
        text = (
            "policy t\nscore s {\n  rule r 1 when a\n}\n"
            "let a = b and x > 1\nlet b = x < 10\n"
        )
        assert evaluate(text, {"x": 5})["rules"][0]["fired"] is True
        assert evaluate(text, {"x": 50})["rules"][0]["fired"] is False

    def test_long_let_chain_compiles(self):
        lets = "".join(f"let l{i} = l{i + 1}\n" for i in range(2000))
        text = f"policy t\n{lets}let l2000 = x > 1\nscore s {{\n  rule r 1 when l0\n}}\n"
        assert evaluate(text, {"x": 2})["rules"][0]["fired"] is True

    def test_keywords_as_field_and_rule_names(self):
        text = (
            "policy kw\n"
            "schema {\n  score: int\n  tier: string\n  type: string\n  max: int\n"
            "  rule: bool\n  events: string\n  activity: events\n}\n"
            "score b max 100 {\n"
            "  rule score 1 when score > 1\n"
            "  rule tier 2 when tier == \"t\"\n"
            "  rule type 4 when type == \"y\"\n"
            "  rule max 8 when max >= 1\n"
            "  rule rule 16 when rule\n"
            "  rule events 32 when events == \"e\"\n"
            "  rule event 64 per event \"hit\" where type == \"hit\" max 1\n"
            "  rule n 128 when count(events) == 2\n"
            "}\n"
        )
        lead = {"score": 2, "tier": "T", "type": "Y", "max": 1, "rule": True, "events": "E",
                "activity": _evs(("hit", ago(days(1))), ("hit", ago(days(2))))}
        decision = evaluate(text, lead)
        # 1 + 2 + ... + 128 = 255, capped at 100
        assert decision["scores"] == {"b": 100.0, "total": 100.0}
        assert [r["points"] for r in decision["rules"]] == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0]

    def test_keywords_as_block_names(self):
        text = (
            "policy kw\n"
            "score type max 5 {\n  rule max 10 when true\n}\n"
            "score max min 1 {\n}\n"
            "score events {\n  rule tier 1 per event \"rule\"\n}\n"
            "score rule {\n  rule events 2 when count(events) == 1\n}\n"
            "tiers {\n  tier top when type == 5 and max == 1 and events == 1 and rule == 2\n}\n"
        )
        decision = evaluate(text, {"events": _evs(("RULE", ago(days(1))))})
        assert decision["scores"] == {"type": 5.0, "max": 1.0, "events": 1.0, "rule": 2.0, "total": 9.0}
        assert decision["tier"] == "top"

    def test_date_literal_is_a_date(self):
        assert holds("d == 2019-01-01", {"d": "2019-01-01"}, schema="d: date")
        # a date-shaped subtraction needs spaces
        assert holds("x - 1 - 1 == 2017", {"x": 2019})

    def test_between_grouping(self):
        # `x between 1 and 5 and y` is `(x between 1 and 5) and y`
        assert holds("x between 1 and 5 and y", {"x": 3, "y": True})
        assert not holds("x between 1 and 5 and y", {"x": 3, "y": False})
        assert not holds("x between 1 and 5 and y", {"x": 6, "y": True})

    def test_comparisons_do_not_chain(self):
        with pytest.raises(ParseError) as error:
            qualdsl.loads("policy t\nscore s {\n  rule r 1 when 1 < x < 3\n}\n")
        (diagnostic,) = error.value.diagnostics
        assert (diagnostic.span.line, diagnostic.span.column) == (3, 23)  # the second `<`

    def test_precedence_not_and_or(self):
        # not binds tighter than and, and tighter than or
        assert holds("not a and b or c", {"a": False, "b": True, "c": False})
        assert holds("not a and b or c", {"a": True, "b": True, "c": True})
        assert not holds("not (a and b or c)", {"a": True, "b": True, "c": True})
        assert not holds("a or b and c", {"a": False, "b": True, "c": False})


# ================================================================ includes


def _write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


class TestIncludes:
    """Includes: relative, confined to the policy's directory after resolving
    symlinks; nested; a file included twice is read once; a cycle is an error;
    only schema/set/let/include; duplicates across files are errors."""

    def test_nested_relative_and_included_twice(self, tmp_path):
        _write(tmp_path / "lib" / "common.qual",
               'schema {\n  country: string\n}\nset ok = ["US"]\ninclude "sub/more.qual"\n')
        _write(tmp_path / "lib" / "sub" / "more.qual", "let us = country in ok\n")
        _write(tmp_path / "other.qual", 'include "lib/common.qual"\n')
        main = _write(tmp_path / "main.qual",
                      'policy m\ninclude "lib/common.qual"\ninclude "other.qual"\ninclude "./lib/../lib/common.qual"\n'
                      'icp {\n  require us else "no"\n}\n')
        policy = qualdsl.load(main)
        assert policy.evaluate({"country": "us"}, as_of=T).icp_pass is True
        assert policy.evaluate({"country": "fr"}, as_of=T).reasons == ["no"]

    def test_loads_with_path(self, tmp_path):
        _write(tmp_path / "s.qual", 'set ok = ["a"]\n')
        policy = qualdsl.loads('policy m\ninclude "s.qual"\nicp {\n  require x in ok else "n"\n}\n',
                               path=tmp_path / "m.qual")
        assert policy.evaluate({"x": "A"}, as_of=T).icp_pass

    def errors(self, path) -> list[tuple[str, int, int, str]]:
        with pytest.raises(QualError) as error:
            qualdsl.load(path)
        return [(os.path.basename(d.path), d.span.line, d.span.column, d.message)
                for d in error.value.diagnostics]

    def test_leaving_the_tree(self, tmp_path):
        root = tmp_path / "policies"
        _write(tmp_path / "secret.qual", 'set s = ["x"]\n')
        main = _write(root / "m.qual", 'policy m\ninclude "../secret.qual"\n')
        assert self.errors(main) == [("m.qual", 2, 1, "include `../secret.qual` leaves the policy's directory")]

    def test_symlink_escape(self, tmp_path):
        root = tmp_path / "policies"
        _write(tmp_path / "secret.qual", 'set s = ["x"]\n')
        root.mkdir()
        (root / "link.qual").symlink_to(tmp_path / "secret.qual")
        main = _write(root / "m.qual", 'policy m\ninclude "link.qual"\n')
        assert self.errors(main) == [("m.qual", 2, 1, "include `link.qual` leaves the policy's directory")]

    def test_symlink_inside_the_tree_is_fine(self, tmp_path):
        _write(tmp_path / "real.qual", 'set s = ["x"]\n')
        (tmp_path / "link.qual").symlink_to(tmp_path / "real.qual")
        main = _write(tmp_path / "m.qual", 'policy m\ninclude "link.qual"\nicp {\n  require y in s else "n"\n}\n')
        assert qualdsl.load(main).evaluate({"y": "X"}, as_of=T).icp_pass

    def test_missing_file(self, tmp_path):
        main = _write(tmp_path / "m.qual", 'policy m\ninclude "nope.qual"\n')
        assert self.errors(main) == [("m.qual", 2, 1, "include `nope.qual`: no such file")]

    def test_cycle(self, tmp_path):
        _write(tmp_path / "a.qual", 'include "b.qual"\n')
        _write(tmp_path / "b.qual", 'include "a.qual"\n')
        main = _write(tmp_path / "m.qual", 'policy m\ninclude "a.qual"\n')
        assert self.errors(main) == [("b.qual", 1, 1, "include `a.qual` makes a cycle")]

    def test_included_file_holds_only_schema_set_let_include(self, tmp_path):
        _write(tmp_path / "a.qual", 'set s = ["x"]\nicp {\n  require true else "r"\n}\n')
        main = _write(tmp_path / "m.qual", 'policy m\ninclude "a.qual"\n')
        assert self.errors(main) == [("a.qual", 2, 1, "an included file may not hold `icp`")]

    def test_duplicate_set_and_let_and_field_types(self, tmp_path):
        _write(tmp_path / "a.qual", 'schema {\n  x: string\n}\nset s = ["x"]\nlet l = true\n')
        main = _write(tmp_path / "m.qual",
                      'policy m\ninclude "a.qual"\nschema {\n  x: int\n}\nset s = ["y"]\nlet l = false\n')
        # The policy file is read first, so the second definitions are the included ones.
        assert self.errors(main) == [
            ("a.qual", 2, 3, "field `x` is declared as `int` and as `string`"),
            ("a.qual", 4, 1, "set `s` is defined twice"),
            ("a.qual", 5, 1, "let `l` is defined twice"),
        ]

    def test_include_needs_a_path(self):
        with pytest.raises(CheckError) as error:
            qualdsl.loads('policy m\ninclude "a.qual"\n')
        assert error.value.diagnostics[0].span.line == 2


class TestNeverRaises:
    """Evaluation never raises on lead data (Semantics), even for values
    Python itself refuses to convert."""

    def test_digit_string_beyond_pythons_int_limit_is_missing(self):
        text = "policy t\nschema {\n  v: int\n}\nscore s {\n  rule r 1 when v is present\n}\n"
        decision = compiled(text).evaluate({"v": "9" * 5000}, as_of=T)
        assert decision.rules[0].fired is False
        assert decision.warnings[0].startswith('v: expected int, got "999')

    @pytest.mark.parametrize("lead", [{"id": 10**5000}, {"s": 10**5000}, {"l": [10**5000]}, 10**5000],
                             ids=["id", "string", "list", "lead"])
    def test_huge_python_ints(self, lead):
        text = "policy t\nschema {\n  id: string\n  s: string\n  l: list[string]\n}\n"
        decision = compiled(text).evaluate(lead, as_of=T)
        assert decision.lead is None
        assert len(decision.warnings) == 1
