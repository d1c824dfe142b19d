"""`tiers` or `route` without an `otherwise`.

## What it does
Reports a `tiers` block or a `route` block whose last entry has a condition,
unless the entries together provably cover every lead (for example
`score >= 50` and `score < 50`, with the reachable score range of QD101).

## Why is this bad
A lead that matches no tier gets tier `null`; a lead that matches no route
gets no queue. Downstream systems (CRM assignment, dashboards) rarely
expect either, and such leads fall through the cracks unnoticed.

## Example
```
tiers {
  tier SQL when score >= 80
  tier MQL when score >= 50
}
```

## Use instead
```
tiers {
  tier SQL when score >= 80
  tier MQL when score >= 50
  tier nurture otherwise
}
```
"""

from __future__ import annotations

from collections.abc import Iterator

from ... import nodes as n
from ...check import ROUTE, TIERS
from ...source import Span
from ..engine import LintContext
from ..registry import Finding, rule


@rule("QD106", "missing-otherwise", "warning")
def check(context: LintContext) -> Iterator[Finding]:
    policy = context.policy
    if policy.tiers is not None and policy.tiers.tiers:
        conditions = [t.condition for t in policy.tiers.tiers]
        if not _covered(context, TIERS, conditions):
            yield Finding(
                "`tiers` has no `otherwise`: a lead that meets no tier's condition gets tier null",
                _keyword(policy.tiers.span, "tiers"),
                help="end the list with a catch-all tier, e.g. `tier nurture otherwise`",
            )
    if policy.routes is not None and policy.routes.routes:
        conditions = [r.condition for r in policy.routes.routes]
        if not _covered(context, ROUTE, conditions):
            yield Finding(
                "`route` has no `otherwise`: a lead that meets no route's condition goes to no queue",
                _keyword(policy.routes.span, "route"),
                help='end the list with a catch-all route, e.g. `to "nurture" otherwise`',
            )


def _covered(context: LintContext, kind: str, conditions: list[n.Expr | None]) -> bool:
    if any(c is None for c in conditions):
        return True
    return context.reasoner(kind, with_scores=True).always(n.Or(tuple(c for c in conditions if c is not None)))


def _keyword(span: Span, word: str) -> Span:
    """Point at the block's keyword rather than the whole block."""
    return Span(span.start, span.start + len(word), span.line, span.column, span.line, span.column + len(word))
