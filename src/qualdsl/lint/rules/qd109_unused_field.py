"""A schema field that the policy never reads.

## What it does
Reports a field declared in the policy file's `schema` that no condition,
let or rule reads. Not reported: the `id` field (it names the lead in every
decision), the events field when any rule counts events, and fields
declared in included files (a shared schema serves several policies).

## Why is this bad
Every schema field is validated and coerced for every lead, and a reader
assumes a declared field matters. An unused field is either left over, or
the sign of a rule that reads a similarly named field by mistake.

The default level is `info`: declaring the full shape of the lead on
purpose is a legitimate choice. Raise it with
`severity = { QD109 = "warning" }`.

## Example
```
schema {
  company.employees: int
  company.revenue:   number   # read by nothing
}
```

## Use instead
```
schema {
  company.employees: int
}
```
"""

from __future__ import annotations

from collections.abc import Iterator

from ..engine import LintContext
from ..registry import Finding, rule


@rule("QD109", "unused-field", "info")
def check(context: LintContext) -> Iterator[Finding]:
    policy = context.policy
    if not policy.schema:
        return
    read = {r.ref.path for r in context.reads if r.ref.kind == "field"}
    events_used = context.reads_events()
    for path, info in policy.schema.items():
        if info.file != policy.source.path or path in read or path == ("id",):
            continue
        if info.type == "events" and events_used:
            continue
        yield Finding(
            f"field `{'.'.join(path)}` is declared but never read",
            info.span,
            help="remove it from the schema, or use it in a rule",
        )
