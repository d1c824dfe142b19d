"""The decision: outcome plus the rule ledger that explains it.

Both types are NamedTuples: the generated evaluator builds thousands per
second, and a tuple is the cheapest immutable record Python has.
"""

from __future__ import annotations

import functools
import json
from typing import Any, NamedTuple


class RuleResult(NamedTuple):
    """One ledger line: did the rule fire, and what it contributed after decay.

    `events` is how many events a per-event rule counted (None for a `when`
    rule); `skipped` how many events of its type failed its `where` (None
    without one). Both explain the points and are not part of the decision JSON."""

    block: str
    rule: str
    fired: bool
    points: float
    events: int | None = None
    skipped: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"block": self.block, "rule": self.rule, "fired": self.fired, "points": self.points}


class Decision(NamedTuple):
    """What a policy decided for one lead, and why."""

    policy: str
    lead: str | None
    as_of: str  # UTC, ISO 8601 with a Z suffix
    icp_pass: bool
    reasons: list[str]
    scores: dict[str, float]  # blocks in declaration order, then "total"
    tier: str | None
    route: str | None
    rules: tuple[RuleResult, ...]
    warnings: list[str]

    @property
    def total(self) -> float:
        return self.scores["total"]

    def fired(self) -> tuple[RuleResult, ...]:
        return tuple(rule for rule in self.rules if rule.fired)

    def to_dict(self) -> dict[str, Any]:
        """The decision JSON of the language contract."""
        return {
            "policy": self.policy,
            "lead": self.lead,
            "as_of": self.as_of,
            "icp": {"pass": self.icp_pass, "reasons": list(self.reasons)},
            "scores": dict(self.scores),
            "tier": self.tier,
            "route": self.route,
            "rules": [
                {"block": r.block, "rule": r.rule, "fired": r.fired, "points": r.points}
                for r in self.rules
            ],
            "warnings": list(self.warnings),
        }

    def to_json(self, *, indent: int | None = None, extra: dict[str, Any] | None = None) -> str:
        """The decision JSON as strict JSON text (`extra` keys appended, e.g.
        `policy_hash`); see `json_text`."""
        data = self.to_dict()
        if extra:
            data.update(extra)
        return json_text(data, indent=indent)

    def explain(self) -> str:
        """A readable account of every point (see explain.py)."""
        from .explain import explain

        return explain(self)


def json_text(data: Any, *, indent: int | None = None) -> str:
    """Strict JSON that any consumer can read: no NaN or Infinity (the checker
    keeps every score finite, so reaching one is a bug, not data), and text
    with lone surrogates from lead data escaped (`\\ud800`) instead of
    failing to encode."""
    text = json.dumps(data, indent=indent, ensure_ascii=False, allow_nan=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(data, indent=indent, ensure_ascii=True, allow_nan=False)
    return text


@functools.lru_cache(maxsize=4096)
def strings_text(items: tuple[str, ...]) -> str:
    """json_text of a list of strings that come from a small set (a
    policy's ICP reasons), each made once."""
    return json_text(list(items))

