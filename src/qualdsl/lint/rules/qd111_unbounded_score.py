"""A block whose score can grow (or sink) without bound.

## What it does
Reports a per-event rule without `max K` in a block without `max` (for
positive points) or without `min` (for negative points): each matching event
adds points, and nothing caps the total.

## Why is this bad
One lead with hundreds of `email_click` events outscores every
well-qualified lead, and one bot can flood a queue. Unbounded blocks also
make thresholds meaningless: no `score >= N` separates leads reliably.

## Example
```
score engagement {
  rule email_click +2 per event "email_click"
}
```

## Use instead
```
score engagement max 50 {
  rule email_click +2 per event "email_click" max 10
}
```
"""

from __future__ import annotations

from collections.abc import Iterator

from ... import nodes as n
from ..engine import LintContext
from ..registry import Finding, rule
from ..scores import number


@rule("QD111", "unbounded-score", "warning")
def check(context: LintContext) -> Iterator[Finding]:
    for block in context.policy.blocks:
        for rule_ in block.rules:
            if not isinstance(rule_, n.EventRule) or rule_.max is not None or rule_.points == 0:
                continue
            if rule_.points > 0 and block.max is None:
                yield Finding(
                    f"rule `{rule_.name}` adds {number(rule_.points)} points for every "
                    f'"{rule_.event_type}" event and block `{block.name}` has no `max`: its score has no upper limit',
                    rule_.span,
                    help=f"count at most K events (`... max 10`) or cap the block (`score {block.name} max 50`)",
                )
            elif rule_.points < 0 and block.min is None:
                yield Finding(
                    f"rule `{rule_.name}` takes {number(-rule_.points)} points for every "
                    f'"{rule_.event_type}" event and block `{block.name}` has no `min`: its score has no lower limit',
                    rule_.span,
                    help=f"count at most K events (`... max 10`) or floor the block (`score {block.name} min -20`)",
                )
