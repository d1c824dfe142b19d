"""`expire after D` shorter than a `within` window in the same block.

## What it does
Reports a `count(events ... within W)` in a block that declares
`expire after D` with D shorter than W.

## Why is this bad
A `when` rule's points expire when the lead's latest event is older than D.
So a lead whose matching events are all between D and W old is counted by
the window and then gets 0 points for the rule: the part of the window
beyond D only counts when a newer event exists. The two durations were
almost certainly meant to agree.

## Example
```
score engagement max 50 {
  expire after 14d
  rule pricing_interest +25 when count(events where type == "pricing_view" within 30d) >= 3
}
```

## Use instead
```
score engagement max 50 {
  expire after 30d
  rule pricing_interest +25 when count(events where type == "pricing_view" within 30d) >= 3
}
```
"""

from __future__ import annotations

from collections.abc import Iterator

from ... import nodes as n
from ...check import LEAD
from ..engine import LintContext, walk
from ..registry import Finding, rule


@rule("QD115", "expire-shorter-than-within", "warning")
def check(context: LintContext) -> Iterator[Finding]:
    reasoner = context.reasoner(LEAD)
    for block in context.policy.blocks:
        expire = block.expire
        if expire is None:
            continue
        limit = expire.after.microseconds
        for rule_ in block.rules:
            if not isinstance(rule_, n.WhenRule):
                continue
            # Walk the rule as written so the span points into this rule;
            # then its lets, whose windows are reported at the rule.
            for node, _ in walk(reasoner.expand(rule_.condition), LEAD):
                if isinstance(node, n.EventsQuery) and node.within is not None \
                        and node.within.microseconds > limit:
                    in_rule = any(node is q for q, _ in walk(rule_.condition, LEAD))
                    yield Finding(
                        f"`within {node.within}` in rule `{rule_.name}` looks further back than block "
                        f"`{block.name}`'s `expire after {expire.after}`: events older than "
                        f"{expire.after} only count when a newer event exists",
                        node.within.span if in_rule else rule_.span,
                        help=f"make the window `within {expire.after}` or shorter, "
                             f"or `expire after {node.within}` or longer",
                    )
