"""A tier that an earlier tier always wins over.

## What it does
Tiers are tried in order and the first whose condition holds names the
tier. This rule reports a tier whose condition implies the condition of an
earlier tier (or of the earlier tiers together): every lead that meets it
has already been given an earlier tier, so it is never chosen.

What it can prove: threshold chains (`score >= 50` after `score >= 40`),
equalities and `in` lists (`company.region == "east"` after
`company.region in ["east", "west"]`), ranges (`between`), `is missing` /
`is present`, and conjunctions and disjunctions of these, with lets
expanded and with the reachable range of each score (see QD101). Other
tests (`contains`, `matches`, comparisons of two fields) are matched only
when the very same test appears in the earlier tier. When it cannot prove
the implication, it reports nothing.

## Why is this bad
A shadowed tier is dead policy. It usually means two tiers are in the wrong
order: the stricter one must come first.

## Example
```
tiers {
  tier MQL when score >= 50
  tier SQL when score >= 80 and fit >= 30   # every such lead is already MQL
  tier nurture otherwise
}
```

## Use instead
```
tiers {
  tier SQL when score >= 80 and fit >= 30
  tier MQL when score >= 50
  tier nurture otherwise
}
```
"""

from __future__ import annotations

from collections.abc import Iterator

from ...check import TIERS
from ..engine import LintContext
from ..registry import Finding, rule
from ..shadowing import shadowed


@rule("QD102", "shadowed-tier", "warning")
def check(context: LintContext) -> Iterator[Finding]:
    tiers = context.policy.tiers
    if tiers is None:
        return
    items = [(t.condition, f"tier `{t.name}`", t.span) for t in tiers.tiers]
    for label, earlier, span in shadowed(context, TIERS, items):
        yield Finding(
            f"{label} can never be chosen: every lead that meets its condition already gets {earlier}",
            span,
            help=f"move {label} above {earlier}, or make its condition narrower",
        )
