"""A set or list that holds the same item twice.

## What it does
Reports an item of a `set` (or of a list written in a condition) that
repeats an earlier item. Strings compare ignoring case, as the language
compares them, so `"Gmail.com"` repeats `"gmail.com"`.

## Why is this bad
The duplicate changes nothing, so it usually hides a typo: the author meant
another value (`"hotmail.com"`), and that one is missing from the list.

## Example
```
set free_email = ["gmail.com", "yahoo.com", "Gmail.com"]
```

## Use instead
```
set free_email = ["gmail.com", "yahoo.com", "hotmail.com"]
```
"""

from __future__ import annotations

from collections.abc import Iterator

from ... import nodes as n
from ..conditions import value_of
from ..engine import LintContext, walk
from ..registry import Finding, rule


@rule("QD110", "duplicate-set-item", "warning")
def check(context: LintContext) -> Iterator[Finding]:
    policy = context.policy
    for module in (policy.module, *policy.included):
        path = None if module is policy.module else module.path
        for item in module.items:
            if isinstance(item, n.SetDecl):
                yield from _duplicates(context, item.items, f"set `{item.name}`", path)
    seen: set[int] = set()
    for place in context.places():
        for node, _ in walk(place.condition, place.context):
            if isinstance(node, n.ListLiteral) and id(node) not in seen:
                seen.add(id(node))
                yield from _duplicates(context, node, "the list", place.path)


def _duplicates(context: LintContext, items: n.ListLiteral, label: str, path: str | None) -> Iterator[Finding]:
    first: dict[object, n.Literal] = {}
    for literal in items.items:
        key = value_of(literal.value)
        if key is None:
            continue
        if key not in first:
            first[key] = literal
            continue
        earlier = first[key]
        same = context.snippet(earlier, path) == context.snippet(literal, path)
        how = "twice" if same else (
            f"twice (`{context.snippet(earlier, path)}` at line {earlier.span.line}, case ignored)"
        )
        yield Finding(
            f"{label} holds `{context.snippet(literal, path)}` {how}",
            literal.span,
            help="remove the duplicate; if another value was meant, write that one",
            path=path,
        )
