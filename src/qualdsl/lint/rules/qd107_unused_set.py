"""A set that nothing reads.

## What it does
Reports a `set` declared in the policy file that no condition, let or rule
reads. Sets declared in included files are not reported: a shared fragment
may hold sets that only some of its policies use.

## Why is this bad
An unused set is either left over from a removed rule or, worse, the set
the author meant to use while a rule reads another one (a typo such as
`target_industries` vs `target_industry`). Either way the reader is misled.

## Example
```
set free_email = ["gmail.com", "yahoo.com"]
set personal_email = ["gmail.com", "yahoo.com", "hotmail.com"]

icp {
  reject domain(person.email) in personal_email as "personal email"
}
```

## Use instead
```
set personal_email = ["gmail.com", "yahoo.com", "hotmail.com"]

icp {
  reject domain(person.email) in personal_email as "personal email"
}
```
"""

from __future__ import annotations

from collections.abc import Iterator

from ..engine import LintContext
from ..registry import Finding, rule


@rule("QD107", "unused-set", "warning")
def check(context: LintContext) -> Iterator[Finding]:
    used = {read.ref.name for read in context.reads if read.ref.kind == "set"}
    for name, decl in context.policy.sets.items():
        if name in used or not any(decl is item for item in context.policy.module.items):
            continue
        yield Finding(
            f"set `{name}` is never used",
            decl.span,
            help=f"remove it, or use it in a condition: `field in {name}`",
        )
