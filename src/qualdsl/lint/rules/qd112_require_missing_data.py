"""A `require` that fails every lead with a missing field.

## What it does
Reports a `require` whose condition is false whenever one of the fields it
reads is missing (absent, null, or a value that could not be converted to
the field's type). A missing operand makes every comparison false, so such a
lead fails the ICP with the `require`'s reason. Not reported when the
condition already tests the field with `is missing` or `is present`: the
author has decided what missing data means.

The default level is `info`: disqualifying leads with missing data can be
exactly what is wanted. Silence a deliberate one with
`# qualdsl: ignore[QD112]`, or raise the level to review every `require`.

## Why is this bad
CRM data is incomplete. `require company.employees >= 10` silently
disqualifies every lead whose company size is unknown, often most inbound
leads, and the reason shown ("company too small") is wrong for them.

## Example
```
icp {
  require company.employees >= 10 else "company too small"
}
```

## Use instead
```
icp {
  require company.employees is missing or company.employees >= 10 else "company too small"
}
```
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ... import nodes as n
from ...check import LEAD, resolve
from ..engine import LintContext, walk
from ..registry import Finding, rule


@rule("QD112", "require-missing-data", "info")
def check(context: LintContext) -> Iterator[Finding]:
    policy = context.policy
    reasoner = context.reasoner(LEAD)
    for site in policy.conditions():
        if site.kind != "require":
            continue
        statement: Any = site.owner
        condition = reasoner.expand(site.expr)
        fields: list[tuple[str, ...]] = []
        guarded: set[tuple[str, ...]] = set()
        for node, inner in walk(condition, LEAD):
            if inner != LEAD:
                continue
            if isinstance(node, n.Name):
                ref = resolve(policy, node, LEAD)
                if ref.kind == "field" and ref.type != "events" and ref.path not in fields:
                    fields.append(ref.path)
            elif isinstance(node, n.IsMissing):
                guarded.update(
                    resolve(policy, name, LEAD).path for name, _ in walk(node.value, LEAD) if isinstance(name, n.Name)
                )
        failing = [
            path for path in fields
            if path not in guarded and _when_missing(context, condition, path) is False
        ]
        if not failing:
            continue
        names = ", ".join(f"`{'.'.join(p)}`" for p in failing)
        first = ".".join(failing[0])
        yield Finding(
            f'`require ... else "{statement.reason}"` fails every lead whose {names} '
            f"{'is' if len(failing) == 1 else 'are'} missing",
            statement.span,
            help=f"if such leads should pass, write `require {first} is missing or (...)`; "
                 "if they should fail, say so with `# qualdsl: ignore[QD112]`",
        )


def _mentions(context: LintContext, expr: object, path: tuple[str, ...]) -> bool:
    """Is the value of `expr` missing when the field `path` is missing?"""
    if isinstance(expr, n.Name):
        ref = resolve(context.policy, expr, LEAD)
        return ref.kind == "field" and ref.path == path
    if isinstance(expr, n.Call):
        return expr.function != "count" and any(_mentions(context, a, path) for a in expr.arguments)
    if isinstance(expr, n.Arith):
        return _mentions(context, expr.left, path) or _mentions(context, expr.right, path)
    if isinstance(expr, n.Negate):
        return _mentions(context, expr.operand, path)
    return False


def _when_missing(context: LintContext, expr: object, path: tuple[str, ...]) -> bool | None:
    """The condition's value for a lead without `path` (None: depends on other data)."""
    if isinstance(expr, n.Literal):
        return expr.value is True
    if isinstance(expr, n.Name):
        return False if _mentions(context, expr, path) else None
    if isinstance(expr, n.Not):
        inner = _when_missing(context, expr.operand, path)
        return None if inner is None else not inner
    if isinstance(expr, (n.And, n.Or)):
        values = [_when_missing(context, op, path) for op in expr.operands]
        decisive = isinstance(expr, n.Or)  # `or`: one true decides; `and`: one false
        if decisive in values:
            return decisive
        return (not decisive) if all(v is not None for v in values) else None
    if isinstance(expr, n.IsMissing):
        if _mentions(context, expr.value, path):
            return not expr.negated
        return None
    if isinstance(expr, n.Compare):
        operands: tuple[n.Expr, ...] = (expr.left, expr.right)
    elif isinstance(expr, n.In):
        operands = (expr.item, expr.container)
    elif isinstance(expr, n.Between):
        operands = (expr.value, expr.low, expr.high)
    elif isinstance(expr, n.StringTest):
        operands = (expr.left, expr.right)
    elif isinstance(expr, n.Matches):
        operands = (expr.value,)
    else:
        return None
    # Any comparison or test with a missing operand is false.
    return False if any(_mentions(context, o, path) for o in operands) else None
