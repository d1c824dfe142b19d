"""Two rules in one block that score the same condition.

## What it does
Reports a rule whose condition is the same as an earlier rule's in the same
block: written identically (layout and comments aside), equal once lets are
expanded, or provably equivalent (each implies the other, e.g.
`x between 1 and 5` and `x >= 1 and x <= 5`). For per-event rules: the same
event type (case ignored) with the same `where`.

## Why is this bad
A lead that meets the condition gets both rules' points: the signal is
counted twice, usually because a rule was copied and its condition not
updated, or because two authors added the same signal under different names.

## Example
```
score fit {
  rule decision_maker +15 when person.seniority in ["vp", "cxo"]
  rule exec_buyer     +10 when person.seniority in ["cxo", "vp"]
}
```

## Use instead
```
score fit {
  rule decision_maker +25 when person.seniority in ["vp", "cxo"]
}
```
"""

from __future__ import annotations

from collections.abc import Iterator

from ... import nodes as n
from ...check import EVENT, LEAD
from ..conditions import Reasoner
from ..engine import LintContext
from ..registry import Finding, rule
from ..scores import number


@rule("QD113", "duplicate-condition", "warning")
def check(context: LintContext) -> Iterator[Finding]:
    lead = context.reasoner(LEAD)
    event = context.reasoner(EVENT)
    for block in context.policy.blocks:
        earlier: list[n.Rule] = []
        for current in block.rules:
            twin = next((other for other in earlier if _same(lead, event, other, current)), None)
            earlier.append(current)
            if twin is None:
                continue
            what = "counts the same events as" if isinstance(current, n.EventRule) else "scores the same condition as"
            total = number(float(current.points) + float(twin.points))
            yield Finding(
                f"rule `{current.name}` {what} rule `{twin.name}` (line {twin.span.line}) in block "
                f"`{block.name}`: a lead gets both",
                current.span,
                help=f"merge them into one rule of {total} points, or change one condition",
            )


def _same(lead: Reasoner, event: Reasoner, first: n.Rule, second: n.Rule) -> bool:
    if isinstance(first, n.WhenRule) and isinstance(second, n.WhenRule):
        a, b = first.condition, second.condition
        if lead.never(a) or lead.never(b):
            return False  # QD104's business; contradictions are all "equal"
        return a == b or bool(lead.expand(a) == lead.expand(b)) or lead.equivalent(a, b)
    if isinstance(first, n.EventRule) and isinstance(second, n.EventRule):
        if first.event_type.casefold() != second.event_type.casefold():
            return False
        if first.where is None or second.where is None:
            return first.where is None and second.where is None
        return bool(event.expand(first.where) == event.expand(second.where)) or event.equivalent(
            first.where, second.where
        )
    return False
