"""A let that no decision depends on.

## What it does
Reports a `let` declared in the policy file that is not read by the ICP, a
rule, a tier or a route, directly or through other lets. A let read only by
other unused lets is reported too. Lets declared in included files are not
reported (a shared fragment may serve several policies).

## Why is this bad
An unused let is dead code that reads like policy: a reviewer assumes
`decision_maker` matters to the score when nothing uses it. It is often the
sign of a rule that was meant to use it and uses an inline copy instead.

## Example
```
let decision_maker = person.seniority in ["director", "vp", "cxo"]

score fit {
  rule senior +15 when person.seniority in ["director", "vp"]
}
```

## Use instead
```
let decision_maker = person.seniority in ["director", "vp", "cxo"]

score fit {
  rule senior +15 when decision_maker
}
```
"""

from __future__ import annotations

from collections.abc import Iterator

from ..engine import LintContext
from ..registry import Finding, rule


@rule("QD108", "unused-let", "warning")
def check(context: LintContext) -> Iterator[Finding]:
    policy = context.policy
    uses: dict[str | None, set[str]] = {}
    for read in context.reads:
        if read.ref.kind == "let":
            uses.setdefault(read.let, set()).add(read.ref.name)
    # Reachable from the decisions (reads outside any let), through lets.
    reached: set[str] = set()
    frontier = list(uses.get(None, ()))
    while frontier:
        name = frontier.pop()
        if name in reached:
            continue
        reached.add(name)
        frontier.extend(uses.get(name, ()))
    for name, decl in policy.lets.items():
        if name in reached or not any(decl is item for item in policy.module.items):
            continue
        readers = sorted(user for user, names in uses.items() if user is not None and name in names)
        if readers:
            message = f"let `{name}` is only used by unused lets ({', '.join(f'`{r}`' for r in readers)})"
        else:
            message = f"let `{name}` is never used"
        yield Finding(message, decl.span, help=f"remove it, or use `{name}` in a rule, tier or route")
