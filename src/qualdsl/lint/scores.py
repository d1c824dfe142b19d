"""The range of scores a policy can give: per block and in total.

A block's highest score is the sum of its positive rule points (a per-event
rule counts `points x max K`, and is unbounded without `max`), capped by the
block's `max` and floored by its `min`; its lowest score likewise. Rule
conditions are treated as independent, so the range is an over-approximation:
every score a lead can get is inside it, but not every score inside it is
necessarily reachable. Decay and expiry only shrink points towards 0, so
they never widen the range.
"""

from __future__ import annotations

import math

import attrs

from .. import nodes as n
from ..check import CheckedPolicy
from .conditions import Conjunction, facts, interval


@attrs.frozen
class ScoreRange:
    """The lowest and highest score a block (or the total) can have."""

    low: float
    high: float

    def __add__(self, other: ScoreRange) -> ScoreRange:
        return ScoreRange(self.low + other.low, self.high + other.high)


def rule_range(rule: n.Rule) -> ScoreRange:
    """What one rule can contribute, before decay."""
    points = float(rule.points)
    if isinstance(rule, n.EventRule):
        most = points * rule.max if rule.max is not None else math.copysign(math.inf, points)
        if points == 0:
            most = 0.0
    else:
        most = points
    return ScoreRange(min(0.0, most), max(0.0, most))


def unclamped_range(block: n.ScoreBlock) -> ScoreRange:
    total = ScoreRange(0.0, 0.0)
    for rule in block.rules:
        total = total + rule_range(rule)
    return total


def block_range(block: n.ScoreBlock) -> ScoreRange:
    """The block total's range: the rules' sum, capped by `max`, floored by `min`."""
    raw = unclamped_range(block)

    def clamp(value: float) -> float:
        if block.max is not None:
            value = min(value, float(block.max))
        if block.min is not None:
            value = max(value, float(block.min))
        return value

    return ScoreRange(clamp(raw.low), clamp(raw.high))


def outcome_ranges(policy: CheckedPolicy) -> dict[str, ScoreRange]:
    """`score` and every block by name."""
    ranges = {block.name: block_range(block) for block in policy.blocks}
    total = ScoreRange(0.0, 0.0)
    for value in ranges.values():
        total = total + value
    ranges["score"] = total
    return ranges


def outcome_facts(policy: CheckedPolicy) -> Conjunction:
    """What holds for every lead in `tiers` and `route`: each score is in its range."""

    def finite(value: float) -> float | None:
        return value if math.isfinite(value) else None

    return facts(
        (("outcome", name), interval(finite(r.low), finite(r.high)))
        for name, r in outcome_ranges(policy).items()
    )


def number(value: float) -> str:
    if math.isinf(value):
        return "unbounded" if value > 0 else "-unbounded"
    return str(int(value)) if float(value).is_integer() else f"{value:g}"
