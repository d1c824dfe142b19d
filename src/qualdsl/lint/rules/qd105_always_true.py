"""A condition that holds for every lead.

## What it does
Reports a condition that is true whatever the lead: `x is missing or x is
present`, `not (x > 5 and x < 3)`, a tier `when score >= 0` where no score
can be negative (the reachable score ranges of QD101 are used in tiers and
routes). A literal `when true` is taken as deliberate and not reported.
Lets are expanded; an always-true let is reported once, at the let.

What it cannot see: the same limits as QD104 (arithmetic, string tests and
comparisons of two fields are opaque).

## Why is this bad
A `require` that always holds never fails a lead; a `reject` that always
holds rejects everyone; a tier that always holds makes every tier after it
dead. It usually means a wrong operator or a threshold at the edge of the
possible range.

## Example
```
tiers {
  tier MQL when score >= 0     # no block can go below 0
  tier nurture otherwise
}
```

## Use instead
```
tiers {
  tier MQL when score >= 50
  tier nurture otherwise
}
```
"""

from __future__ import annotations

from collections.abc import Iterator

from ... import nodes as n
from ..engine import LintContext
from ..registry import Finding, rule
from ..stuck import let_names, stuck_lets


@rule("QD105", "always-true", "warning")
def check(context: LintContext) -> Iterator[Finding]:
    bad_lets = stuck_lets(context, "always")
    for place in context.places():
        condition = place.condition
        if isinstance(condition, n.Literal):
            continue  # `when true` says what it means
        if let_names(context, place.condition) & bad_lets:
            continue  # reported once, at the let
        reasoner = context.reasoner(place.context, with_scores=True)
        if reasoner.always(condition):
            yield Finding(
                f"the condition of {place.where} always holds: "
                f"`{context.snippet(condition, place.path)}` is true for every lead",
                condition.span,
                help=_help(place.where),
                path=place.path,
            )


def _help(where: str) -> str:
    if where.startswith("tier"):
        return "write `otherwise` if every remaining lead should get this tier; otherwise fix the threshold"
    if where.startswith("route"):
        return "write `otherwise` if every remaining lead should go here; otherwise fix the condition"
    if where.startswith("`require"):
        return "this `require` never fails a lead: remove it or fix the condition"
    if where.startswith("`reject"):
        return "this `reject` fails every lead: fix the condition"
    return "write `when true` if the points are meant for every lead; otherwise fix the condition"
