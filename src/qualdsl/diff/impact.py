"""Impact on leads: evaluate both versions of a policy on the same leads, as
of the same moment, and count what moves.

A lead that fails to load is counted and kept in `errors`, never dropped.
With outcomes (`--outcome FIELD`), each transition also counts how many of
the leads it moves converted, beside the old policy's conversion per tier
and route: "212 leads move MQL → SQL; 34% of them converted, against 61% of
today's SQL".
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from ..api import Policy
from ..backtest.inputs import AsOf, Outcomes
from ..decision import Decision
from ..leads import LeadRecord

# Score-change buckets (total score, new minus old): (label, low, high], with
# "unchanged" for differences below float noise.
SCORE_BUCKETS: tuple[tuple[str, float, float], ...] = (
    ("≤ -50", float("-inf"), -50),
    ("-50 to -20", -50, -20),
    ("-20 to -10", -20, -10),
    ("-10 to 0", -10, 0),
    ("0 to +10", 0, 10),
    ("+10 to +20", 10, 20),
    ("+20 to +50", 20, 50),
    ("> +50", 50, float("inf")),
)
EPSILON = 1e-9
ICP_WORDS = {True: "pass", False: "fail", None: None}


@attrs.frozen
class Transition:
    """`MQL → SQL: 212`, with a few example lead ids."""

    before: str | None
    after: str | None
    count: int
    examples: tuple[str, ...]
    with_outcome: int | None = None  # moved leads whose outcome is known (None: no --outcome)
    converted: int | None = None

    @property
    def rate(self) -> float | None:
        return self.converted / self.with_outcome if self.with_outcome and self.converted is not None else None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"from": self.before, "to": self.after, "count": self.count,
                                "examples": list(self.examples)}
        if self.with_outcome is not None:
            data.update(with_outcome=self.with_outcome, converted=self.converted, rate=self.rate)
        return data


@attrs.frozen
class Conversion:
    """Leads with a known outcome in one tier or route of the OLD policy, and how many converted."""

    name: str | None
    leads: int
    converted: int

    @property
    def rate(self) -> float | None:
        return self.converted / self.leads if self.leads else None

    def to_dict(self, key: str) -> dict[str, Any]:
        return {key: self.name, "leads": self.leads, "converted": self.converted, "rate": self.rate}


@attrs.frozen
class OutcomeSummary:
    """What the history says, with --outcome: today's conversion by tier and route."""

    field: str
    with_outcome: int
    converted: int
    unknown: int  # evaluated leads whose outcome is missing or not a known value
    tiers: tuple[Conversion, ...]  # under the old policy
    routes: tuple[Conversion, ...]

    def tier_rate(self, tier: str | None) -> float | None:
        return next((c.rate for c in self.tiers if c.name == tier), None)

    def route_rate(self, route: str | None) -> float | None:
        return next((c.rate for c in self.routes if c.name == route), None)

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "with_outcome": self.with_outcome, "converted": self.converted,
                "unknown": self.unknown, "old_tiers": [c.to_dict("tier") for c in self.tiers],
                "old_routes": [c.to_dict("route") for c in self.routes]}


@attrs.frozen
class Cause:
    """A changed rule (or ICP reason) and how many flipped leads it touched."""

    cause: str  # "rule fit.right_size" or "icp reason \"company too small\""
    leads: int

    def to_dict(self) -> dict[str, Any]:
        return {"cause": self.cause, "leads": self.leads}


@attrs.frozen
class LeadError:
    location: str
    error: str

    def to_dict(self) -> dict[str, Any]:
        return {"location": self.location, "error": self.error}


@attrs.frozen
class Impact:
    """What the change does to a set of leads."""

    as_of: str
    leads: int  # leads evaluated (errors not included)
    changed: int  # leads whose ICP result, tier, route or total score changed
    icp_changed: int
    tier_changed: int
    route_changed: int
    score_changed: int
    tier_or_route_changed: int
    demoted: int  # to a tier listed later, or to disqualified
    disqualified: int  # newly failing ICP
    tier_transitions: tuple[Transition, ...]
    route_transitions: tuple[Transition, ...]
    icp_transitions: tuple[Transition, ...]
    score_deltas: tuple[tuple[str, int], ...]  # bucket label -> leads, unchanged excluded
    score_delta_min: float | None
    score_delta_max: float | None
    score_delta_mean: float | None  # over leads whose score changed
    causes: tuple[Cause, ...]  # for leads whose tier or route changed, most first
    flips_without_rule_change: int  # moved by tier/route/ICP conditions alone
    errors: tuple[LeadError, ...]
    outcome: OutcomeSummary | None = None

    @property
    def shifted_percent(self) -> float:
        """Share of evaluated leads whose tier or route changed (the --fail-above measure)."""
        return 100.0 * self.tier_or_route_changed / self.leads if self.leads else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of,
            "leads": self.leads,
            "changed": self.changed,
            "icp_changed": self.icp_changed,
            "tier_changed": self.tier_changed,
            "route_changed": self.route_changed,
            "score_changed": self.score_changed,
            "tier_or_route_changed": self.tier_or_route_changed,
            "tier_or_route_changed_percent": round(self.shifted_percent, 2),
            "demoted": self.demoted,
            "disqualified": self.disqualified,
            "tier_transitions": [t.to_dict() for t in self.tier_transitions],
            "route_transitions": [t.to_dict() for t in self.route_transitions],
            "icp_transitions": [t.to_dict() for t in self.icp_transitions],
            "score_deltas": {
                "buckets": [{"range": label, "count": count} for label, count in self.score_deltas],
                "min": _rounded(self.score_delta_min),
                "max": _rounded(self.score_delta_max),
                "mean": _rounded(self.score_delta_mean),
            },
            "causes": [c.to_dict() for c in self.causes],
            "flips_without_rule_change": self.flips_without_rule_change,
            "errors": [e.to_dict() for e in self.errors],
            **({"outcome": self.outcome.to_dict()} if self.outcome is not None else {}),
        }


def _rounded(value: float | None) -> float | None:
    # Differences of float sums carry noise (0.09999999999999432): 6 places is plenty.
    return None if value is None else round(value, 6)


def _bucket(delta: float) -> str:
    for label, low, high in SCORE_BUCKETS:
        if low < delta <= high:
            return label
    return SCORE_BUCKETS[-1][0]


def _ledger(decision: Decision | None) -> dict[tuple[str, str], tuple[bool, float]]:
    if decision is None:
        return {}
    return {(r.block, r.rule): (r.fired, r.points) for r in decision.rules}


def _rank(tier: str | None, order: dict[str, int]) -> int:
    if tier == "disqualified":
        return len(order) + 1
    if tier is None:
        return len(order) + 2  # no tier at all: below everything
    return order.get(tier, len(order))


def measure_impact(
    old: Policy | None,
    new: Policy,
    records: Iterable[LeadRecord],
    *,
    as_of: dt.datetime | AsOf,
    examples: int = 3,
    outcomes: Outcomes | None = None,
) -> Impact:
    """Evaluate `old` (None: the policy is new) and `new` on every lead as of
    `as_of`: one moment, or each lead's own (AsOf.of_field; a lead whose
    field does not parse is counted in `errors`). With `outcomes`, count
    conversions of the leads each transition moves."""
    from ..api import format_as_of

    moments = as_of if isinstance(as_of, AsOf) else AsOf(as_of)
    outcome_of: dict[tuple[str, Any, Any], list[int]] = {}  # transition -> [with outcome, converted]
    old_tiers: dict[str | None, list[int]] = {name: [0, 0] for name in (old.tiers if old else ())}
    old_routes: dict[str | None, list[int]] = {name: [0, 0] for name in (old.routes if old else ())}
    unknown = 0
    known = [0, 0]  # leads with a known outcome, converted

    tiers: Counter[tuple[str | None, str | None]] = Counter()
    routes: Counter[tuple[str | None, str | None]] = Counter()
    icps: Counter[tuple[str | None, str | None]] = Counter()
    samples: dict[tuple[str, Any, Any], list[str]] = {}
    buckets: Counter[str] = Counter()
    deltas: list[float] = []
    causes: Counter[str] = Counter()
    errors: list[LeadError] = []
    leads = changed = icp_changed = tier_changed = route_changed = 0
    shifted = demoted = disqualified = alone = 0
    # "Demoted" reads the tiers block as best first (SQL, MQL, nurture...).
    order = {name: i for i, name in enumerate(dict.fromkeys(new.tiers + (old.tiers if old else ())))}

    def note(kind: str, pair: tuple[Any, Any], lead_id: str) -> None:
        found = samples.setdefault((kind, *pair), [])
        if len(found) < examples:
            found.append(lead_id)

    def tally(kind: str, pair: tuple[Any, Any], converted: bool | None) -> None:
        if converted is not None:
            counts = outcome_of.setdefault((kind, *pair), [0, 0])
            counts[0] += 1
            counts[1] += converted

    for record in records:
        if record.error is not None:
            errors.append(LeadError(record.location, record.error))
            continue
        lead = record.lead
        if not isinstance(lead, Mapping):  # not reached: a record without an error holds an object
            errors.append(LeadError(record.location, "a lead must be an object"))
            continue
        moment = moments.moment
        if moment is None:
            moment, problem = moments.read(lead)
            if moment is None:
                errors.append(LeadError(record.location, f"as-of time unusable: {problem}"))
                continue
        leads += 1
        after = new.evaluate(lead, as_of=moment)
        before = old.evaluate(lead, as_of=moment) if old is not None else None
        converted: bool | None = None
        if outcomes is not None:
            converted = outcomes.read(lead)[0]
            if converted is None:
                unknown += 1
            else:
                known[0] += 1
                known[1] += converted
            if converted is not None and before is not None:
                for table, name in ((old_tiers, before.tier), (old_routes, before.route)):
                    counts = table.setdefault(name, [0, 0])
                    counts[0] += 1
                    counts[1] += converted
        lead_id = after.lead if after.lead is not None else record.location
        icp_pair = (ICP_WORDS[before.icp_pass] if before else None, ICP_WORDS[after.icp_pass])
        tier_pair = (before.tier if before else None, after.tier)
        route_pair = (before.route if before else None, after.route)
        old_total = before.total if before else 0.0
        delta = after.total - old_total
        moved = False
        if icp_pair[0] != icp_pair[1]:
            icp_changed += 1
            icps[icp_pair] += 1
            note("icp", icp_pair, lead_id)
            tally("icp", icp_pair, converted)
            if icp_pair[1] == "fail":
                disqualified += 1
        if tier_pair[0] != tier_pair[1]:
            tier_changed += 1
            tiers[tier_pair] += 1
            note("tier", tier_pair, lead_id)
            tally("tier", tier_pair, converted)
            moved = True
            if before is not None and _rank(tier_pair[1], order) > _rank(tier_pair[0], order):
                demoted += 1
        if route_pair[0] != route_pair[1]:
            route_changed += 1
            routes[route_pair] += 1
            note("route", route_pair, lead_id)
            tally("route", route_pair, converted)
            moved = True
        score_moved = before is None or abs(delta) > EPSILON
        if score_moved:
            deltas.append(delta)
            buckets[_bucket(delta)] += 1
        if moved or score_moved or icp_pair[0] != icp_pair[1]:
            changed += 1
        if moved:
            shifted += 1
            old_ledger, new_ledger = _ledger(before), _ledger(after)
            found = False
            for key in dict.fromkeys([*old_ledger, *new_ledger]):
                if old_ledger.get(key, (False, 0.0)) != new_ledger.get(key, (False, 0.0)):
                    causes[f"rule {key[0]}.{key[1]}"] += 1
                    found = True
            old_reasons = set(before.reasons) if before else set()
            for reason in dict.fromkeys([*(before.reasons if before else []), *after.reasons]):
                if (reason in old_reasons) != (reason in after.reasons):
                    causes[f'icp "{reason}"'] += 1
                    found = True
            if not found:
                alone += 1

    def transitions(kind: str, counter: Counter[tuple[Any, Any]]) -> tuple[Transition, ...]:
        ranked = sorted(counter.items(), key=lambda item: (-item[1], str(item[0][0]), str(item[0][1])))
        if outcomes is None:
            return tuple(Transition(a, b, count, tuple(samples[(kind, a, b)])) for (a, b), count in ranked)
        return tuple(Transition(a, b, count, tuple(samples[(kind, a, b)]),
                                *outcome_of.get((kind, a, b), [0, 0])) for (a, b), count in ranked)

    summary = None
    if outcomes is not None:
        summary = OutcomeSummary(
            outcomes.field, known[0], known[1], unknown,
            tuple(Conversion(name, *counts) for name, counts in old_tiers.items()),
            tuple(Conversion(name, *counts) for name, counts in old_routes.items()))

    return Impact(
        as_of=format_as_of(moments.moment) if moments.moment is not None else moments.describe(),
        leads=leads,
        changed=changed,
        icp_changed=icp_changed,
        tier_changed=tier_changed,
        route_changed=route_changed,
        score_changed=len(deltas),
        tier_or_route_changed=shifted,
        demoted=demoted,
        disqualified=disqualified,
        tier_transitions=transitions("tier", tiers),
        route_transitions=transitions("route", routes),
        icp_transitions=transitions("icp", icps),
        score_deltas=tuple((label, buckets[label]) for label, _, _ in SCORE_BUCKETS if buckets[label]),
        score_delta_min=min(deltas) if deltas else None,
        score_delta_max=max(deltas) if deltas else None,
        score_delta_mean=sum(deltas) / len(deltas) if deltas else None,
        causes=tuple(Cause(cause, count) for cause, count in
                     sorted(causes.items(), key=lambda item: (-item[1], item[0]))),
        flips_without_rule_change=alone,
        errors=tuple(errors),
        outcome=summary,
    )
