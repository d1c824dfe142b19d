"""`decay` or `expire` in a block whose rules never depend on time.

## What it does
Reports `decay` and `expire` in a block that has no per-event rule and whose
`when` rules read nothing about time (no `count(...)`, no `days_since`, no
`date` or `datetime` field).

## Why is this bad
The age of a `when` rule's points is the time since the lead's latest event
of any type. In a block of facts about the company or the person (industry,
size, seniority) decay makes those points fade while the lead is quiet,
although the facts have not changed: a perfect-fit account drops out of
`SQL` after a month without clicks. That is rarely meant; engagement is
what should decay.

## Example
```
score fit max 60 {
  decay 10% every 7d
  rule target_industry +15 when company.industry in target_industries
  rule right_size      +20 when company.employees between 200 and 5000
}
```

## Use instead
```
score fit max 60 {
  rule target_industry +15 when company.industry in target_industries
  rule right_size      +20 when company.employees between 200 and 5000
}
```
"""

from __future__ import annotations

from collections.abc import Iterator

from ... import nodes as n
from ...check import LEAD, resolve
from ...functions import FUNCTIONS
from ..engine import LintContext, walk
from ..registry import Finding, rule


@rule("QD114", "decay-without-time", "warning")
def check(context: LintContext) -> Iterator[Finding]:
    for block in context.policy.blocks:
        statements = [s for s in (block.decay, block.expire) if s is not None]
        if not statements or not block.rules or any(_timely(context, r) for r in block.rules):
            continue
        for statement in statements:
            word = "decay" if not isinstance(statement, n.Expire) else "expire"
            yield Finding(
                f"block `{block.name}` has `{word}` but none of its rules depend on time: "
                "its points fade with the lead's inactivity, not with the age of what they score",
                statement.span,
                help=f"remove `{word}` from `{block.name}`, or move the rules that should fade "
                     "into a block that scores events",
            )


def _timely(context: LintContext, rule_: n.Rule) -> bool:
    """Does the rule read events or a date?"""
    if isinstance(rule_, n.EventRule):
        return True
    expanded = context.reasoner(LEAD).expand(rule_.condition)
    for node, inner in walk(expanded, LEAD):
        if isinstance(node, n.Call) and node.function in FUNCTIONS and FUNCTIONS[node.function].reads_time:
            return True
        if (isinstance(node, n.Name) and inner == LEAD
                and resolve(context.policy, node, LEAD).type in ("date", "datetime", "events")):
            return True
    return False
