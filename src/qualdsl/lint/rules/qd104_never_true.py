"""A condition that can never hold.

## What it does
Reports a condition (or one alternative of an `or`) that is false for every
lead: contradictory ranges (`x > 100 and x < 50`), a field equal to two
different values (`country == "US" and country == "DE"`, case ignored), a
value required to be both missing and present, an `in` list that excludes
what the rest of the condition requires. Lets are expanded, so a
contradiction spread over a let and a rule is found too (it is reported once,
at the let, when the let alone is contradictory).

Remember that comparisons with missing data are false: `x != "a"` does not
hold for a lead without `x`, while `not (x == "a")` does.

What it cannot see: arithmetic (`x + 1 > 5`), string tests (`contains`,
`matches`), and integer gaps (`x > 5 and x < 6` is satisfiable for a
`number`, and is not reported for an `int` either).

## Why is this bad
A rule that never fires, a `require` that rejects everyone, a tier nobody
gets: the policy does not do what its text suggests. It is usually an `and`
that should be an `or`, or a typo in a threshold.

## Example
```
rule mid_market +10 when company.employees >= 1000 and company.employees < 200
```

## Use instead
```
rule mid_market +10 when company.employees between 200 and 1000
```
"""

from __future__ import annotations

from collections.abc import Iterator

from ... import nodes as n
from ..engine import LintContext, walk
from ..registry import Finding, rule
from ..stuck import let_names, stuck_lets


@rule("QD104", "never-true", "warning")
def check(context: LintContext) -> Iterator[Finding]:
    bad_lets = stuck_lets(context, "never")
    for place in context.places():
        if let_names(context, place.condition) & bad_lets:
            continue  # reported once, at the let
        reasoner = context.reasoner(place.context)
        if reasoner.never(place.condition):
            yield Finding(
                f"the condition of {place.where} can never hold: "
                f"`{context.snippet(place.condition, place.path)}` is false for every lead",
                place.condition.span,
                help="look for an `and` that should be `or`, or thresholds that exclude each other",
                path=place.path,
            )
            continue
        for node, inner in walk(place.condition, place.context):
            if inner != place.context or not isinstance(node, n.Or):
                continue
            for operand in node.operands:
                if reasoner.never(operand) and not (let_names(context, operand) & bad_lets):
                    yield Finding(
                        f"in {place.where}, the alternative `{context.snippet(operand, place.path)}` "
                        "can never hold",
                        operand.span,
                        help="remove it, or fix the comparison that contradicts the others",
                        path=place.path,
                    )
