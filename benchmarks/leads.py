"""Seeded generator of realistic, somewhat messy leads for the benchmarks.

No clock: every timestamp is relative to the `as_of` passed in.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

INDUSTRIES = ["software", "Software", "fintech", "FinTech", "logistics", "agency", "retail",
              "healthcare", "manufacturing", "education"]
COUNTRIES = ["US", "us", "CA", "GB", "DE", "FR", "NL", "BR", "IN", "JP", "AU"]
REGIONS = ["east", "west", "central", "EAST"]
TECH = ["salesforce", "Salesforce", "hubspot", "slack", "zendesk", "snowflake", "marketo"]
TITLES = ["VP Sales", "Director of Marketing", "CTO", "Engineer", "Student Intern", "Head of Ops",
          "Account Executive", "Founder", "PhD student"]
SENIORITY = ["director", "vp", "cxo", "manager", "individual", "VP", "Director"]
DOMAINS = ["acme.io", "globex.com", "initech.dev", "gmail.com", "yahoo.com", "umbrella.co",
           "hooli.com", "outlook.com", "stark.industries"]
EVENT_TYPES = ["demo_request", "webinar_attended", "email_click", "email_click", "email_click",
               "pricing_view", "pricing_view", "page_view"]
SOURCES = ["webinar", "organic", "paid_search", "referral", "event"]


def _employees(rng: random.Random) -> Any:
    roll = rng.random()
    value = int(rng.lognormvariate(5.5, 1.6))
    if roll < 0.80:
        return value
    if roll < 0.88:
        return str(value)  # "850": coerces cleanly
    if roll < 0.92:
        return float(value)  # 850.0: coerces cleanly
    if roll < 0.95:
        return "n/a"  # does not coerce: missing, with a warning
    return None


def make_lead(rng: random.Random, index: int, as_of: dt.datetime) -> dict[str, Any]:
    domain = rng.choice(DOMAINS)
    lead: dict[str, Any] = {
        "id": f"L-{index:06d}",
        "company": {
            "domain": domain,
            "industry": rng.choice(INDUSTRIES),
            "employees": _employees(rng),
            "country": rng.choice(COUNTRIES),
            "region": rng.choice(REGIONS),
            "tech": rng.sample(TECH, rng.randint(0, 3)),
        },
        "person": {
            "email": f"user{index}@{domain}",
            "title": rng.choice(TITLES),
            "seniority": rng.choice(SENIORITY),
        },
        "source": rng.choice(SOURCES),
    }
    if rng.random() < 0.05:
        del lead["company"]["country"]
    events = []
    for _ in range(rng.randint(0, 14)):
        at = as_of - dt.timedelta(seconds=rng.randint(-3 * 86400, 150 * 86400))
        events.append({"type": rng.choice(EVENT_TYPES), "at": at.strftime("%Y-%m-%dT%H:%M:%SZ")})
    if events and rng.random() < 0.03:
        events.append({"type": "email_click"})  # malformed: ignored with a warning
    lead["events"] = events
    return lead


def generate(count: int, as_of: dt.datetime, seed: int = 2026) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [make_lead(rng, i, as_of) for i in range(count)]
