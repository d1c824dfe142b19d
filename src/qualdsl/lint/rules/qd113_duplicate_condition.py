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
        # Each rule is compared with the earlier ones that share its key
        # (written alike once lets are expanded, or the same reasoner
        # signature), not with every earlier rule: linear in the block.
        first_written: dict[object, int] = {}
        by_signature: dict[object, list[int]] = {}
        for index, current in enumerate(block.rules):
            keys = _keys(lead, event, current)
            if keys is None:
                continue
            written, signature = keys
            twins = [first_written[written]] if written in first_written else []
            if signature is not None:
                twins += [i for i in by_signature.get(signature, ())
                          if _equivalent(lead, event, block.rules[i], current)][:1]
            first_written.setdefault(written, index)
            if signature is not None:
                by_signature.setdefault(signature, []).append(index)
            if not twins:
                continue
            twin = block.rules[min(twins)]
            what = "counts the same events as" if isinstance(current, n.EventRule) else "scores the same condition as"
            total = number(float(current.points) + float(twin.points))
            yield Finding(
                f"rule `{current.name}` {what} rule `{twin.name}` (line {twin.span.line}) in block "
                f"`{block.name}`: a lead gets both",
                current.span,
                help=f"merge them into one rule of {total} points, or change one condition",
            )


def _keys(lead: Reasoner, event: Reasoner, rule: n.Rule) -> tuple[object, object] | None:
    """(the condition as written with lets expanded, its reasoner signature),
    both tagged with the rule's kind; None for a rule never compared."""
    if isinstance(rule, n.WhenRule):
        if lead.never(rule.condition):
            return None  # QD104's business; contradictions are all "equal"
        signature = lead.signature(rule.condition)
        return ("when", lead.expand(rule.condition)), ("when", signature) if signature is not None else None
    kind = ("event", rule.event_type.casefold())
    if rule.where is None:
        return (kind, None), None
    signature = event.signature(rule.where)
    return (kind, event.expand(rule.where)), (kind, signature) if signature is not None else None


def _equivalent(lead: Reasoner, event: Reasoner, first: n.Rule, second: n.Rule) -> bool:
    if isinstance(first, n.WhenRule) and isinstance(second, n.WhenRule):
        return lead.equivalent(first.condition, second.condition)
    if isinstance(first, n.EventRule) and isinstance(second, n.EventRule):
        assert first.where is not None and second.where is not None  # keyed by signature only with a `where`
        return event.equivalent(first.where, second.where)
    return False
