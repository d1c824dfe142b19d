"""A route that an earlier route always wins over.

## What it does
Routes are tried in order and the first whose condition holds picks the
queue. This rule reports a route whose condition implies the condition of
an earlier route (or of the earlier routes together), so its queue never
receives a lead. It understands `tier == SQL` (a lead has one tier, so
`tier == SQL` and `tier == MQL` exclude each other), `tier in [...]`, and
the same conditions as QD102: comparisons with constants, `in` lists,
ranges, `is missing`, conjunctions and disjunctions, lets expanded. When it
cannot prove the implication, it reports nothing.

## Why is this bad
A queue that never gets a lead is almost always a routing mistake: the
general route was written before the specific one.

## Example
```
route {
  to "ae-pool"         when tier == SQL
  to "enterprise-east" when tier == SQL and company.region == "east"
  to "nurture"         otherwise
}
```

## Use instead
```
route {
  to "enterprise-east" when tier == SQL and company.region == "east"
  to "ae-pool"         when tier == SQL
  to "nurture"         otherwise
}
```
"""

from __future__ import annotations

from collections.abc import Iterator

from ...check import ROUTE
from ..engine import LintContext
from ..registry import Finding, rule
from ..shadowing import shadowed


@rule("QD103", "shadowed-route", "warning")
def check(context: LintContext) -> Iterator[Finding]:
    routes = context.policy.routes
    if routes is None:
        return
    items = [(r.condition, f'route to "{r.queue}"', r.span) for r in routes.routes]
    for label, earlier, span in shadowed(context, ROUTE, items):
        yield Finding(
            f"{label} can never be chosen: every lead that meets its condition already matches {earlier}",
            span,
            help=f"move {label} above {earlier}, or make its condition narrower",
        )
