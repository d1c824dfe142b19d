"""Property tests on generated, messy leads, and a differential test against a
small reference evaluator of the contract's example policy.

The reference (`reference_decision`) is written from the contract text
(language.md: Expressions, Semantics, ICP, Score blocks, Tiers and routing,
The decision, Edge cases), not from the implementation: plain Python, no
import from qualdsl.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import qualdsl

from budget import examples
from qd_helpers import BACKENDS, on_backend

UTC = dt.UTC
T = dt.datetime(2026, 11, 1, tzinfo=UTC)
POLICY_PATH = Path(__file__).resolve().parents[1] / "cases" / "parse" / "saas_inbound.qual"
POLICY = qualdsl.load(POLICY_PATH)

# ============================================================ the reference

_BAD = object()  # a value that does not coerce

SCHEMA = [  # the example's schema, in order
    ("id", "string"), ("company.domain", "string"), ("company.industry", "string"),
    ("company.employees", "int"), ("company.country", "string"), ("company.region", "string"),
    ("company.tech", "list[string]"), ("person.email", "string"), ("person.title", "string"),
    ("person.seniority", "string"), ("source", "string"), ("events", "events"),
]


def _is_int(v):
    return type(v) is int  # bool is not an int here


def _is_float(v):
    return type(v) is float


def ref_string(v):
    # `string`: strings; an int or integral float becomes its digits; nothing else.
    if type(v) is str:
        return v
    if _is_int(v):
        return str(v)
    if _is_float(v) and math.isfinite(v) and v == int(v):
        return str(int(v))
    return _BAD


def ref_int(v):
    # `int`: ints, integral floats, strings of ASCII digits with an optional sign, or `850.0`.
    if _is_int(v):
        return v
    if _is_float(v):
        return int(v) if math.isfinite(v) and v == int(v) else _BAD
    if type(v) is str and re.fullmatch(r"[+-]?[0-9]+(\.0+)?", v):
        return int(v.split(".")[0])
    return _BAD


def ref_list_string(v):
    # a list whose elements all convert (nulls dropped); a scalar is not wrapped
    if type(v) is not list:
        return _BAD
    out = []
    for element in v:
        if element is None:
            continue
        s = ref_string(element)
        if s is _BAD:
            return _BAD
        out.append(s)
    return out


_ISO = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})"
    r"(?:[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]+))?)?"
    r"(Z|[+-][0-9]{2}(?::?[0-9]{2})?)?)?"
)


def ref_datetime(v):
    """ISO 8601 date or datetime, `T` or a space, no offset meaning UTC."""
    if type(v) is not str:
        return _BAD
    m = _ISO.fullmatch(v)
    if not m:
        return _BAD
    y, mo, d, hh, mm, ss, frac, zone = m.groups()
    try:
        moment = dt.datetime(int(y), int(mo), int(d), int(hh or 0), int(mm or 0), int(ss or 0),
                             int((frac or "0")[:6].ljust(6, "0")))
        offset = dt.timedelta(0)
        if zone and zone != "Z":
            sign = -1 if zone[0] == "-" else 1
            digits = zone[1:].replace(":", "")
            offset = sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
        return (moment.replace(tzinfo=dt.timezone(offset))).astimezone(UTC)
    except (ValueError, OverflowError):
        return _BAD


def ref_lookup(lead, dotted):
    """Nested lookup, then the flat key "a.b" when the nested lookup fails."""
    current = lead
    for segment in dotted.split("."):
        if isinstance(current, dict) and segment in current:
            current = current[segment]
        else:
            return lead.get(dotted) if "." in dotted else None
    return current


def shown(value):
    # How <value> is written in a warning is not fixed by the contract; the
    # implementation's documented choice: JSON (non-ASCII kept), cut only past 1,000 chars.
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 1000 else text[:997] + "..."


def fold(s):
    return s.casefold()


def str_in(item, values):
    return type(item) is str and fold(item) in {fold(v) for v in values}


def reference_decision(lead, as_of=T):
    """The decision of the contract's example policy, from the contract text.

    Returns (decision dict, warning patterns): each pattern is an exact string
    or ("prefix", text) for warnings whose wording the contract leaves open.
    """
    warnings = []
    if not isinstance(lead, dict):
        warnings.append(("prefix", "lead: "))
        lead = {}
    values = {}
    events = None
    for field, kind in SCHEMA:
        raw = ref_lookup(lead, field)
        if kind == "events":
            if raw is None:
                continue
            if type(raw) is not list:
                warnings.append(f"events: expected events, got {shown(raw)}; treated as missing")
                continue
            events = []
            for index, element in enumerate(raw):
                kind_ = element.get("type") if isinstance(element, dict) else None
                at = ref_datetime(element.get("at")) if type(kind_) is str else _BAD
                if at is _BAD:
                    warnings.append(("prefix", f"events[{index}]: "))
                    continue
                if at <= as_of:  # time travel: later events do not exist
                    events.append((at, index, kind_))
            continue
        if raw is None:
            values[field] = None
            continue
        convert = {"string": ref_string, "int": ref_int, "list[string]": ref_list_string}[kind]
        value = convert(raw)
        if value is _BAD:
            warnings.append(f"{field}: expected {kind}, got {shown(raw)}; treated as missing")
            value = None
        values[field] = value

    employees = values["company.employees"]
    email = values["person.email"]
    domain = email.rsplit("@", 1)[1].lower() if email is not None and "@" in email else None
    title = values["person.title"]
    industry = values["company.industry"]
    tech = values["company.tech"]
    region = values["company.region"]

    decision_maker = str_in(values["person.seniority"], ["director", "vp", "cxo"])
    enterprise = employees is not None and employees >= 1000

    reasons = []
    if not str_in(values["company.country"], ["US", "CA", "GB", "DE", "FR", "NL"]):
        reasons.append("unsupported country")
    if not (employees is not None and employees >= 10):
        reasons.append("company too small")
    if str_in(domain, ["gmail.com", "yahoo.com", "hotmail.com", "outlook.com"]):
        reasons.append("personal email address")
    if title is not None and fold("student") in fold(title):
        reasons.append("student")
    passed = not reasons

    fit_rules = [
        ("target_industry", 15.0, str_in(industry, ["software", "fintech", "logistics"])),
        ("right_size", 20.0, employees is not None and 200 <= employees <= 5000),
        ("decision_maker", 15.0, decision_maker),
        ("uses_salesforce", 5.0, tech is not None and any(fold(t) == "salesforce" for t in tech)),
        ("agency", -10.0, industry is not None and fold(industry) == "agency"),
    ]
    rules = []
    fit = 0.0
    for name, points, fired in fit_rules:
        contribution = points if fired else 0.0
        rules.append({"block": "fit", "rule": name, "fired": fired, "points": contribution})
        fit += contribution
    fit = min(fit, 60.0)

    week, expiry = dt.timedelta(days=7), dt.timedelta(days=90)

    def factor(age):
        # decay 10% every 7d (stepwise, exact floor), expire after 90d, by product
        if age > expiry:
            return 0.0
        return 0.9 ** (age // week)

    existing = sorted(events or [], key=lambda e: (e[0], e[1]), reverse=True)  # newest first
    latest = existing[0][0] if existing else None

    def per_event(kind, points, limit=None):
        chosen = [e for e in existing if fold(e[2]) == fold(kind)]
        if limit is not None:
            chosen = chosen[:limit]
        return bool(chosen), sum((points * factor(as_of - e[0]) for e in chosen), 0.0)

    pricing_views = [e for e in existing if fold(e[2]) == "pricing_view" and as_of - e[0] <= dt.timedelta(days=30)]
    when_age = as_of - latest if latest is not None else dt.timedelta(0)
    engagement_rules = [
        ("demo_request", *per_event("demo_request", 40.0)),
        ("webinar", *per_event("webinar_attended", 10.0, 2)),
        ("email_click", *per_event("email_click", 2.0, 10)),
        ("pricing_interest", len(pricing_views) >= 3,
         25.0 * factor(when_age) if len(pricing_views) >= 3 else 0.0),
    ]
    engagement = 0.0
    for name, fired, contribution in engagement_rules:
        rules.append({"block": "engagement", "rule": name, "fired": fired, "points": contribution})
        engagement += contribution
    engagement = min(engagement, 50.0)
    total = fit + engagement

    if not passed:
        tier = "disqualified"
    elif total >= 80 and fit >= 30:
        tier = "SQL"
    elif total >= 50:
        tier = "MQL"
    else:
        tier = "nurture"
    if tier == "SQL" and enterprise and region is not None and fold(region) == "east":
        route = "enterprise-east"
    elif tier == "SQL":
        route = "ae-pool"
    elif tier == "MQL":
        route = "sdr-pool"
    else:
        route = "nurture"

    decision = {
        "policy": "saas_inbound",
        "lead": values["id"],
        # UTC with a Z; sub-second digits are not covered by the contract: ISO 8601's
        # (and the implementation's) `.ffffff` when there are microseconds
        "as_of": as_of.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "icp": {"pass": passed, "reasons": reasons},
        "scores": {"fit": fit, "engagement": engagement, "total": total},
        "tier": tier,
        "route": route,
        "rules": rules,
    }
    return decision, warnings


def assert_agrees(actual: dict, expected: dict, patterns: list, where="decision"):
    actual = dict(actual)
    got_warnings = actual.pop("warnings")
    _same(actual, expected, where)
    assert len(got_warnings) == len(patterns), (got_warnings, patterns)
    for got, pattern in zip(got_warnings, patterns):
        if isinstance(pattern, tuple):
            assert got.startswith(pattern[1]), (got, pattern)
        else:
            assert got == pattern


def _same(actual, expected, where):
    if isinstance(expected, dict):
        assert isinstance(actual, dict) and list(actual) == list(expected), (where, actual, expected)
        for key in expected:
            _same(actual[key], expected[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), (where, actual, expected)
        for index, (a, e) in enumerate(zip(actual, expected)):
            _same(a, e, f"{where}[{index}]")
    elif isinstance(expected, float):
        assert type(actual) is float, (where, actual)
        assert math.isclose(actual, expected, rel_tol=1e-9, abs_tol=1e-9), (where, actual, expected)
    else:
        assert type(actual) is type(expected) and actual == expected, (where, actual, expected)


# ============================================================ generators

NASTY_TEXT = [
    "", " ", "Software", "SOFTWARE", "software ", "fintech", "FinTech", "LOGISTICS", "agency",
    "AGENCY", "Agency", "straße", "STRASSE", "ǅ", "İstanbul", "ﬁntech", "\u0000", "😀",
    "salesforce", "SalesForce", "east", "EAST", "East", "west", "VP", "vp", "Director",
    "CXO", "cxo ", "manager", "Student", "PhD STUDENT", "stud ent", "Stüdent",
    "US", "us", "Us", "gb", "DE", "de ", "fr", "NL", "nl", "BR", "Deutschland",
    "a@gmail.com", "A@GMAIL.COM", "x@y@hotmail.com", "no-at-sign", "@outlook.com", "a@",
    "ü@Yahoo.Com", "b@outlook.com.", "j@acme.io", "850", "850.0", "850.5", "1,000", "1e3",
    "+12", "-3", " 12", "１２", "0012", "10000", "999", "true", "null", "L-1001", "x" * 100,
]
NASTY_SCALARS = [
    None, True, False, 0, 1, -5, 9, 10, 199, 200, 850, 999, 1000, 1001, 5000, 5001, 10**20,
    10**400, 850.0, 850.5, 1001.0, -0.0, 1e300, float("nan"), float("inf"), 3.14, [], {},
    [None], {"a": None}, ["salesforce"],
]

text = st.one_of(st.sampled_from(NASTY_TEXT), st.text(max_size=12))
scalar = st.one_of(st.sampled_from(NASTY_SCALARS), text, st.integers(-10**6, 10**6),
                   st.floats(allow_nan=True, allow_infinity=True))
tech_list = st.one_of(
    st.lists(st.one_of(st.sampled_from(["salesforce", "SALESFORCE", "hubspot", None, 7, 1001.0]),
                       text), max_size=4),
    st.lists(st.one_of(st.sampled_from([True, 1.5, [], {}, ["salesforce"]]), text), max_size=3),
    scalar,
)
EVENT_TYPES = ["demo_request", "DEMO_REQUEST", "Demo_Request", "webinar_attended", "WEBINAR_ATTENDED",
               "email_click", "pricing_view", "Pricing_View", "other", "démo", ""]
SPECIAL_AGES = [dt.timedelta(0), dt.timedelta(days=7), dt.timedelta(days=7) - dt.timedelta(microseconds=1),
                dt.timedelta(days=14), dt.timedelta(days=30), dt.timedelta(days=30, seconds=1),
                dt.timedelta(days=90), dt.timedelta(days=90, microseconds=1), dt.timedelta(days=91),
                dt.timedelta(seconds=-1), dt.timedelta(days=-3), dt.timedelta(days=400)]


@st.composite
def at_text(draw, moments: list):
    if moments and draw(st.integers(0, 4)) == 0:
        return draw(st.sampled_from(moments))  # a tie on `at`
    age = draw(st.one_of(st.sampled_from(SPECIAL_AGES),
                         st.timedeltas(min_value=dt.timedelta(days=-10), max_value=dt.timedelta(days=200))))
    moment = T - age
    style = draw(st.integers(0, 7))
    if style == 0:
        text_ = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    elif style == 1:
        text_ = moment.astimezone(dt.timezone(dt.timedelta(hours=2))).isoformat()
    elif style == 2:
        text_ = moment.strftime("%Y-%m-%d %H:%M:%S")  # naive: UTC
    elif style == 3:
        text_ = moment.strftime("%Y-%m-%d")  # a date: midnight UTC
    elif style == 4:
        text_ = moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"
    elif style == 5:
        text_ = moment.astimezone(dt.timezone(dt.timedelta(hours=-5, minutes=-30))).strftime("%Y-%m-%dT%H:%M:%S%z")
    elif style == 6:
        text_ = moment.strftime("%Y-%m-%dT%H:%M")
    else:
        text_ = draw(st.sampled_from(["yesterday", "2026-13-01", "2026-02-30T00:00:00Z", "", "T",
                                      "2026-10-01T24:00:00", "0001-01-01T00:00:00+01:00",
                                      "2026-10-01t00:00:00z", "2026-10-01T00:00:00+25:00"]))
    moments.append(text_)
    return text_


@st.composite
def event(draw, moments: list):
    shape = draw(st.integers(0, 9))
    if shape == 0:
        return draw(st.sampled_from([None, "demo_request", 5, [], {"type": "demo_request"},
                                     {"at": "2026-10-30T00:00:00Z"}]))
    element = {"type": draw(st.one_of(st.sampled_from(EVENT_TYPES), st.just(5), st.none())),
               "at": draw(st.one_of(at_text(moments), st.sampled_from([None, 20261030, True])))
               if shape != 1 else draw(at_text(moments))}
    if shape == 1:
        element["type"] = draw(st.sampled_from(EVENT_TYPES))
    if draw(st.booleans()):
        element["extra"] = draw(scalar)
    return element


@st.composite
def events_value(draw):
    moments: list = []
    kind = draw(st.integers(0, 9))
    if kind == 0:
        return draw(st.sampled_from([None, "junk", {"type": "demo_request", "at": "2026-10-30"}, 5, []]))
    return draw(st.lists(event(moments), max_size=16))


FIELD_VALUES = {
    "id": st.one_of(st.sampled_from(["L-1", 1001, 1001.0, 1001.5, True, None, [], "", -0.0]), text),
    "company.domain": st.one_of(text, scalar),
    "company.industry": st.one_of(text, scalar),
    "company.employees": st.one_of(scalar, st.sampled_from(["850", "850.0", "850.5", "1,000", "1e3",
                                                            "+12", "-3", " 12", "１２", "0012", "10000",
                                                            "1200.00", "5000", "200"])),
    "company.country": st.one_of(text, scalar),
    "company.region": st.one_of(text, scalar),
    "company.tech": tech_list,
    "person.email": st.one_of(text, scalar),
    "person.title": st.one_of(text, scalar),
    "person.seniority": st.one_of(text, scalar),
    "source": st.one_of(text, scalar),
}


@st.composite
def messy_lead(draw):
    lead: dict = {}
    groups: dict = {}
    for field, strategy in FIELD_VALUES.items():
        placement = draw(st.integers(0, 5))
        if placement == 0:
            continue  # absent
        value = draw(strategy)
        if "." not in field:
            lead[field] = value
            continue
        group, key = field.split(".")
        if placement in (1, 2, 3):
            groups.setdefault(group, {})[key] = value  # nested
        if placement in (3, 4):
            lead[field] = draw(strategy) if placement == 3 else value  # flat (and nested: nested wins)
        if placement == 5:
            groups.setdefault(group, {})[key] = None  # nested null
            lead[field] = value
    for group, members in groups.items():
        lead[group] = members
    for group in ("company", "person"):
        if draw(st.integers(0, 12)) == 0:
            lead[group] = draw(st.sampled_from(["Acme", None, [], 5]))  # not an object: flat keys used
    if draw(st.integers(0, 3)):
        lead["events"] = draw(events_value())
    if draw(st.integers(0, 8)) == 0:
        lead["Company"] = {"Employees": 5000}  # keys are case-sensitive: never read
    return lead


PLAUSIBLE = {
    "id": ["L-1", 1001, 1001.0, "L-2"],
    "company.industry": ["software", "Software", "FINTECH", "logistics", "agency", "retail"],
    "company.employees": [9, 10, 50, 199, 200, 850, "850", "850.0", 1000, "1000", 1200.0, 5000, 5001, 20000],
    "company.country": ["US", "us", "GB", "de", "FR", "NL", "ca", "BR"],
    "company.region": ["east", "EAST", "East", "west", None],
    "company.tech": [["salesforce"], ["SalesForce", "hubspot"], [], None, ["hubspot", None]],
    "person.email": ["a@acme.io", "b@corp.de", "x@gmail.com", "y@Outlook.com", "z@acme@yahoo.com"],
    "person.title": ["CTO", "VP Sales", "Head of Ops", "Student", "Engineer"],
    "person.seniority": ["vp", "VP", "Director", "cxo", "CXO", "manager"],
    "source": ["web", "event"],
}


@st.composite
def plausible_events(draw):
    moments: list = []
    events = []
    for _ in range(draw(st.integers(0, 24))):
        if draw(st.integers(0, 15)) == 0:
            events.append(draw(event(moments)))  # now and then, a malformed one
            continue
        kind = draw(st.sampled_from(["demo_request", "webinar_attended", "email_click", "pricing_view",
                                     "Pricing_View", "EMAIL_CLICK", "other"]))
        if moments and draw(st.integers(0, 5)) == 0:
            at = draw(st.sampled_from(moments))  # a tie
        else:
            age = draw(st.one_of(st.sampled_from(SPECIAL_AGES),
                                 st.timedeltas(min_value=dt.timedelta(days=-5), max_value=dt.timedelta(days=100))))
            at = (T - age).isoformat().replace("+00:00", "Z")
            moments.append(at)
        events.append({"type": kind, "at": at})
    return events


@st.composite
def plausible_lead(draw):
    """A lead that could qualify: realistic values, now and then a nasty one."""
    lead: dict = {}
    for field, pool in PLAUSIBLE.items():
        if draw(st.integers(0, 9)) == 0:
            value = draw(FIELD_VALUES[field])
        else:
            value = draw(st.sampled_from(pool))
        if "." in field and draw(st.integers(0, 4)) == 0:
            lead[field] = value  # CSV-style flat key
        elif "." in field:
            group, key = field.split(".")
            lead.setdefault(group, {})[key] = value
        else:
            lead[field] = value
    lead["events"] = draw(plausible_events())
    return lead


any_lead = st.one_of(messy_lead(), plausible_lead(), plausible_lead(), plausible_lead(),
                     st.sampled_from([None, [], "lead", 5, [{"id": "x"}]]))

as_of_values = st.one_of(
    st.just(T), st.just(T),
    st.datetimes(min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2027, 6, 1),
                 timezones=st.just(UTC)),
)

SETTINGS = settings(max_examples=examples(3000), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# ======================================================= differential test


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(lead=any_lead, as_of=as_of_values)
def test_the_example_policy_agrees_with_the_reference(backend_name, lead, as_of):
    expected, patterns = reference_decision(lead, as_of)
    actual = on_backend(POLICY, backend_name).evaluate(lead, as_of=as_of).to_dict()
    assert_agrees(actual, expected, patterns)


@pytest.mark.parametrize(
    "lead",
    [
        {"company": {"employees": None}, "company.employees": 500},  # nested null: missing
        {"company": {"tech": ["x", 1.5]}},  # one bad element: the list is missing
        {"events": [{"type": "pricing_view", "at": "2026-10-30"}] * 3},
        {"id": 10**400},  # an int too large for a float is still its digits
        {"company": {"employees": "0001000"}, "company.region": "EAST"},
        {"person": {"email": "x@GMAIL.COM@acme.io"}},
    ],
)
def test_reference_examples(lead):
    expected, patterns = reference_decision(lead)
    assert_agrees(POLICY.evaluate(lead, as_of=T).to_dict(), expected, patterns)


def test_reference_sanity():
    # The reference itself, on a case computed by hand (see test_contract_examples).
    decision, patterns = reference_decision({
        "id": "L-1001",
        "company": {"industry": "Software", "employees": 1200, "country": "us", "region": "west"},
        "person": {"email": "dana@acme.io", "title": "VP Engineering", "seniority": "VP"},
        "events": [{"type": "demo_request", "at": "2026-10-16T00:00:00Z"}]
        + [{"type": "email_click", "at": f"2026-10-{d}T00:00:00Z"} for d in (28, 29, 30)],
    })
    assert round(decision["scores"]["total"], 9) == 88.4
    assert (decision["tier"], decision["route"], patterns) == ("SQL", "ae-pool", [])


# ===================================================== general properties

CAPPED = """policy capped
schema {
  n: number
  flag: bool
  events: events
}
score a max 10 min -10 {
  decay half_life 3d
  rule up 7.5 when n > 0
  rule down -12.25 when flag
  rule hits 3 per event "hit"
  rule misses -4 per event "miss" max 3
}
score b min 0 {
  decay 35% every 2d
  expire after 20d
  rule x 1.5 per event "hit" where w > 1
  rule y -100 when n < 0
}
"""
CAPPED_POLICY = qualdsl.loads(CAPPED)

capped_event = st.fixed_dictionaries(
    {"type": st.sampled_from(["hit", "HIT", "miss", "other"]),
     "at": st.datetimes(min_value=dt.datetime(2026, 6, 1), max_value=dt.datetime(2026, 10, 31),
                        timezones=st.just(UTC)).map(lambda d: d.isoformat())},
    optional={"w": st.one_of(st.integers(-3, 3), st.floats(allow_nan=True), st.text(max_size=2))},
)
capped_lead = st.fixed_dictionaries(
    {},
    optional={"n": st.one_of(st.floats(allow_nan=True), st.integers(), st.text(max_size=4), st.none(),
                             st.booleans()),
              "flag": st.one_of(st.booleans(), st.sampled_from(["TRUE", "false", "yes", 1, None])),
              "events": st.lists(capped_event, max_size=12)},
)


@settings(max_examples=examples(500), deadline=None)
@given(lead=capped_lead, as_of=as_of_values)
def test_block_caps_hold(lead, as_of):
    decision = CAPPED_POLICY.evaluate(lead, as_of=as_of)
    a, b, total = decision.scores["a"], decision.scores["b"], decision.scores["total"]
    assert -10 <= a <= 10
    assert b >= 0
    assert total == a + b
    assert list(decision.scores) == ["a", "b", "total"]


@settings(max_examples=examples(500), deadline=None)
@given(lead=capped_lead, later=st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=120)))
def test_decay_never_grows_a_contribution(lead, later):
    # All generated events are before T; evaluating later adds no events.
    first = CAPPED_POLICY.evaluate(lead, as_of=T)
    second = CAPPED_POLICY.evaluate(lead, as_of=T + later)
    for before, after in zip(first.rules, second.rules):
        assert abs(after.points) <= abs(before.points) + 1e-12, (before, after)


@settings(max_examples=examples(500), deadline=None)
@given(lead=messy_lead(), as_of=as_of_values, future=st.lists(
    st.tuples(st.sampled_from(EVENT_TYPES), st.timedeltas(min_value=dt.timedelta(microseconds=1),
                                                         max_value=dt.timedelta(days=400))),
    min_size=1, max_size=5))
def test_time_travel_events_after_t_change_nothing(lead, as_of, future):
    events = lead.get("events")
    assume(isinstance(events, list))
    before = POLICY.evaluate(lead, as_of=as_of).to_dict()
    later = [{"type": kind, "at": (as_of + delta).isoformat()} for kind, delta in future]
    after = POLICY.evaluate(dict(lead, events=events + later), as_of=as_of).to_dict()
    assert json.dumps(after, sort_keys=False) == json.dumps(before, sort_keys=False)


@settings(max_examples=examples(200), deadline=None)
@given(leads=st.lists(any_lead, max_size=8), as_of=as_of_values)
def test_evaluate_many_equals_repeated_evaluate(leads, as_of):
    many = [d.to_dict() for d in POLICY.evaluate_many(iter(leads), as_of=as_of)]
    one_by_one = [POLICY.evaluate(lead, as_of=as_of).to_dict() for lead in leads]
    assert json.dumps(many) == json.dumps(one_by_one)


@settings(max_examples=examples(500), deadline=None)
@given(lead=any_lead, as_of=as_of_values)
def test_decision_json_round_trips(lead, as_of):
    decision = POLICY.evaluate(lead, as_of=as_of).to_dict()
    text = json.dumps(decision, ensure_ascii=False, allow_nan=False)  # no NaN/inf in a decision
    assert json.loads(text) == decision


@settings(max_examples=examples(300), deadline=None)
@given(lead=capped_lead, as_of=as_of_values)
def test_capped_policy_never_raises_and_is_json(lead, as_of):
    decision = CAPPED_POLICY.evaluate(lead, as_of=as_of).to_dict()
    assert json.loads(json.dumps(decision, allow_nan=False)) == decision
