"""A tier or route needs a score that no lead can reach.

## What it does
Computes the lowest and highest score each block (and `score`, their sum)
can have, from the rules' points, per-event `max K` and the blocks' `max`
and `min`, and reports a tier or route whose condition needs a score outside
that range.

The range is an over-approximation: rule conditions are treated as
independent (as if every positive rule could fire for the same lead), and
decay only lowers points. So a tier is reported only when it is provably
unreachable; a tier that needs, say, two rules that exclude each other is
not found. A per-event rule without `max K` makes its block unbounded, and
then nothing is reported for that block.

## Why is this bad
A tier nobody can reach is dead policy: leads the author meant to be `SQL`
land in the next tier down, silently. It usually means a block's `max` was
lowered, or a rule removed, without updating the thresholds.

## Example
```
score fit max 40 {
  rule right_size +20 when company.employees between 200 and 5000
  rule decision_maker +20 when person.seniority in ["vp", "cxo"]
}
tiers {
  tier SQL when fit >= 50      # fit is at most 40
  tier nurture otherwise
}
```

## Use instead
```
tiers {
  tier SQL when fit >= 35
  tier nurture otherwise
}
```
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ... import nodes as n
from ...check import ROUTE, TIERS
from ..conditions import interval
from ..engine import LintContext, describe_site, walk
from ..registry import Finding, rule
from ..scores import number


@rule("QD101", "unreachable-tier", "warning")
def check(context: LintContext) -> Iterator[Finding]:
    reasoners = {kind: (context.reasoner(kind), context.reasoner(kind, with_scores=True)) for kind in (TIERS, ROUTE)}
    for site in context.policy.conditions():
        if site.context not in reasoners:
            continue
        kind, label, condition = site.context, describe_site(site), site.expr
        item: Any = site.owner
        plain, bounded = reasoners[kind]
        if plain.never(condition) or not bounded.never(condition):
            continue  # contradictory on its own (QD104), or reachable
        culprit, outcome = _culprit(context, kind, condition)
        if culprit is None:
            yield Finding(
                f"{label} is unreachable: its condition needs scores that no lead can have",
                item.span,
                help="compare the thresholds with the blocks' points, `max` and `min`",
            )
            continue
        reach = context.score_ranges[outcome]
        low, high = number(reach.low), number(reach.high)
        yield Finding(
            f"{label} is unreachable: it needs `{context.snippet(culprit)}`, "
            f"but `{outcome}` can only be {low} to {high}",
            culprit.span,
            help=f"change the threshold to lie within {low} to {high}, "
                 f"or change the points, `max` or `min` behind `{outcome}`",
        )


def _culprit(context: LintContext, kind: str, condition: n.Expr) -> tuple[n.Expr | None, str]:
    """The comparison on a score that its range rules out on its own."""
    reasoner = context.reasoner(kind)
    for node, _ in walk(condition, kind):
        if not isinstance(node, (n.Compare, n.Between)):
            continue
        terms = reasoner.dnf(node)
        if not terms or len(terms) != 1:
            continue
        for subject, _values in terms[0].subjects:
            if subject[0] != "outcome" or subject[1] not in context.score_ranges:
                continue
            reach = context.score_ranges[subject[1]]
            rng = interval(reach.low if reach.low > float("-inf") else None,
                           reach.high if reach.high < float("inf") else None)
            if (terms[0].get(subject) & rng).empty():
                return node, subject[1]
    return None, ""
