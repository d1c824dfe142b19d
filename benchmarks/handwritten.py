"""The contract's example policy (policies/saas_inbound.qual), written by hand
in plain Python the way a careful engineer would, with the same semantics:
schema coercion with warnings, case-insensitive strings, missing data,
events with time travel, stepwise decay with expiry, caps, first-match tiers
and routes, and the full rule ledger. It returns the decision dict of the
contract, so the benchmark can check it agrees with qualdsl lead by lead.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

UTC = dt.UTC
SUPPORTED = {"us", "ca", "gb", "de", "fr", "nl"}
FREE_EMAIL = {"gmail.com", "yahoo.com", "hotmail.com", "outlook.com"}
TARGET_INDUSTRIES = {"software", "fintech", "logistics"}
DECISION_MAKERS = {"director", "vp", "cxo"}
WEEK = dt.timedelta(days=7)
EXPIRE = dt.timedelta(days=90)
WITHIN_30D = dt.timedelta(days=30)

_INT = re.compile(r"[+-]?[0-9]+(?:\.0+)?\Z")
_DATETIME = re.compile(
    r"([0-9]{4}-[0-9]{2}-[0-9]{2})(?:[T ]([0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.([0-9]+))?)?)"
    r"(Z|[+-][0-9]{2}(?::?[0-9]{2})?)?)?\Z"
)
_BAD = object()


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


def _string(value: Any) -> Any:
    if isinstance(value, bool):
        return _BAD
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return _BAD


def _int(value: Any) -> Any:
    if isinstance(value, bool):
        return _BAD
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else _BAD
    if isinstance(value, str) and _INT.match(value):
        return int(value.split(".")[0])
    return _BAD


def _string_list(value: Any) -> Any:
    if not isinstance(value, list):
        return _BAD
    out = []
    for item in value:
        if item is None:
            continue
        converted = _string(item)
        if converted is _BAD:
            return _BAD
        out.append(converted)
    return out


def _datetime(value: Any) -> Any:
    if not isinstance(value, str):
        return _BAD
    # The common export shape, parsed by fromisoformat alone (as qualdsl does).
    if (len(value) == 20 and value[19] == "Z" and value[10] == "T" and value[4] == "-"
            and value[7] == "-" and value[13] == ":" and value[16] == ":" and value.isascii()):
        try:
            return dt.datetime.fromisoformat(value)
        except ValueError:
            return _BAD
    match = _DATETIME.match(value)
    if not match:
        return _BAD
    day, clock, fraction, zone = match.groups()
    try:
        if clock is None:
            return dt.datetime.fromisoformat(day).replace(tzinfo=UTC)
        if fraction is not None and len(fraction) > 6:
            clock = clock[: len(clock) - len(fraction) + 6]
        text = f"{day}T{clock}"
        if zone and zone != "Z":
            text += zone if ":" in zone or len(zone) == 3 else f"{zone[:3]}:{zone[3:]}"
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        return _BAD
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _get(lead: dict, outer: str, inner: str) -> Any:
    group = lead.get(outer)
    if isinstance(group, dict) and inner in group:
        return group[inner]
    return lead.get(f"{outer}.{inner}")


SCHEMA = [
    ("id", None, _string, "string"),
    ("company", "domain", _string, "string"),
    ("company", "industry", _string, "string"),
    ("company", "employees", _int, "int"),
    ("company", "country", _string, "string"),
    ("company", "region", _string, "string"),
    ("company", "tech", _string_list, "list[string]"),
    ("person", "email", _string, "string"),
    ("person", "title", _string, "string"),
    ("person", "seniority", _string, "string"),
    ("source", None, _string, "string"),
]


def decide(lead: Any, as_of: dt.datetime, as_of_text: str) -> dict[str, Any]:
    warnings: list[str] = []
    if not isinstance(lead, dict):
        warnings.append(f"lead: expected an object, got {_show(lead)}; evaluated as {{}}")
        lead = {}
    values: dict[str, Any] = {}
    for outer, inner, convert, type_name in SCHEMA:
        raw = lead.get(outer) if inner is None else _get(lead, outer, inner)
        name = outer if inner is None else f"{outer}.{inner}"
        if raw is None:
            values[name] = None
            continue
        value = convert(raw)
        if value is _BAD:
            warnings.append(f"{name}: expected {type_name}, got {_show(raw)}; treated as missing")
            value = None
        values[name] = value

    # Events that exist as of T, most recent first (ties: later in the input first).
    events = []
    raw_events = lead.get("events")
    if raw_events is not None and not isinstance(raw_events, list):
        warnings.append(f"events: expected events, got {_show(raw_events)}; treated as missing")
        raw_events = None
    for index, event in enumerate(raw_events or ()):
        kind = event.get("type") if isinstance(event, dict) else None
        at = _datetime(event.get("at")) if isinstance(kind, str) else _BAD
        if at is _BAD:
            warnings.append(
                f"events[{index}]: expected an event with a string `type` and an ISO 8601 `at`, "
                f"got {_show(event)}; ignored"
            )
            continue
        if at <= as_of:
            events.append((at, index, kind.casefold()))
    events.sort(reverse=True)

    country = values["company.country"]
    employees = values["company.employees"]
    email = values["person.email"]
    title = values["person.title"]
    industry = values["company.industry"]
    seniority = values["person.seniority"]
    tech = values["company.tech"]
    region = values["company.region"]

    reasons = []
    if not (country is not None and country.casefold() in SUPPORTED):
        reasons.append("unsupported country")
    if not (employees is not None and employees >= 10):
        reasons.append("company too small")
    if email is not None and "@" in email and email.rsplit("@", 1)[1].lower() in FREE_EMAIL:
        reasons.append("personal email address")
    if title is not None and "student" in title.casefold():
        reasons.append("student")
    passed = not reasons

    industry_cf = industry.casefold() if industry is not None else None
    fit_rules = [
        ("target_industry", 15.0, industry_cf in TARGET_INDUSTRIES),
        ("right_size", 20.0, employees is not None and 200 <= employees <= 5000),
        ("decision_maker", 15.0, seniority is not None and seniority.casefold() in DECISION_MAKERS),
        ("uses_salesforce", 5.0, tech is not None and any(t.casefold() == "salesforce" for t in tech)),
        ("agency", -10.0, industry_cf == "agency"),
    ]
    ledger = []
    fit = 0.0
    for name, points, fired in fit_rules:
        contributed = points if fired else 0.0
        fit += contributed
        ledger.append({"block": "fit", "rule": name, "fired": fired, "points": contributed})
    fit = min(fit, 60.0)

    def factor(age: dt.timedelta) -> float:
        return 0.0 if age > EXPIRE else 0.9 ** (age // WEEK)

    def per_event(kind: str, points: float, limit: int | None) -> tuple[bool, float]:
        counted, total = 0, 0.0
        for at, _, event_kind in events:
            if event_kind != kind:
                continue
            counted += 1
            total += points * factor(as_of - at)
            if counted == limit:
                break
        return counted > 0, total

    engagement = 0.0
    for name, kind, points, limit in (
        ("demo_request", "demo_request", 40.0, None),
        ("webinar", "webinar_attended", 10.0, 2),
        ("email_click", "email_click", 2.0, 10),
    ):
        fired, contributed = per_event(kind, points, limit)
        engagement += contributed
        ledger.append({"block": "engagement", "rule": name, "fired": fired, "points": contributed})
    pricing_views = sum(
        1 for at, _, kind in events if kind == "pricing_view" and as_of - at <= WITHIN_30D
    )
    fired = pricing_views >= 3
    latest_age = as_of - events[0][0] if events else dt.timedelta(0)
    contributed = 25.0 * factor(latest_age) + 0.0 if fired else 0.0
    engagement += contributed
    ledger.append({"block": "engagement", "rule": "pricing_interest", "fired": fired, "points": contributed})
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
    enterprise = employees is not None and employees >= 1000
    if tier == "SQL" and enterprise and region is not None and region.casefold() == "east":
        route = "enterprise-east"
    elif tier == "SQL":
        route = "ae-pool"
    elif tier == "MQL":
        route = "sdr-pool"
    else:
        route = "nurture"
    lead_id = values["id"]
    return {
        "policy": "saas_inbound",
        "lead": lead_id,
        "as_of": as_of_text,
        "icp": {"pass": passed, "reasons": reasons},
        "scores": {"fit": fit, "engagement": engagement, "total": total},
        "tier": tier,
        "route": route,
        "rules": ledger,
        "warnings": warnings,
    }
