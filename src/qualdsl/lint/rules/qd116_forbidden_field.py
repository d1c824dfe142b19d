"""The policy reads a field on the configured forbidden list.

## What it does
Reports every read of a field listed in `forbidden-fields` in the lint
configuration, in a condition, a let (also in included files) or a `where`.
The list is empty by default, so the rule does nothing until configured:

```toml
[tool.qualdsl.lint]
forbidden-fields = ["Tags", "Lead Quality", "company.`Deal Stage`"]
```

Paths are dotted; a segment with dots in it goes in backticks. A last
segment `*` forbids every field below a prefix: `seller.*` covers
`seller.name` and `seller.deal.stage` (not `seller` itself, nor `sellers`).
Matching ignores case, so a differently-cased spelling cannot slip through.

## Why is this bad
Some fields are filled in by sales *after* they have talked to the lead:
in the X Education lead-scoring data, `Tags` ("Will revert after reading the
email", "Closed by Horizzon") and `Lead Quality` are set by the sales team.
A score that reads them looks brilliant on historical data and is useless
on new leads, which do not have them yet: the outcome leaks into the input.

## Example
```
score fit {
  rule hot +30 when `Lead Quality` == "High in Relevance"
}
```

## Use instead
```
score fit {
  rule engaged +30 when `Total Time Spent on Website` >= 900
}
```
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from ..engine import LintContext
from ..registry import Finding, rule


@rule("QD116", "forbidden-field", "error")
def check(context: LintContext) -> Iterator[Finding]:
    paths = [tuple(s.casefold() for s in path) for path in context.config.forbidden_fields]
    if not paths:
        return
    exact = {path for path in paths if path[-1] != "*"}
    prefixes = {path[:-1] for path in paths if path[-1] == "*"}
    where = f" (`forbidden-fields` in {_shown(context.config.path)})" if context.config.path else ""
    for read in context.reads:
        if read.ref.kind != "field":
            continue
        path = tuple(s.casefold() for s in read.ref.path)
        if path not in exact and not any(path[:cut] in prefixes for cut in range(len(path))):
            continue
        yield Finding(
            f"`{read.ref.name}` is a forbidden field{where}: it is filled in after contact, "
            "so reading it leaks the outcome into the decision",
            read.name.span,
            help="use a signal known before sales contact; if the field is safe, "
                 "take it off `forbidden-fields`",
            path=None if read.path == context.path else read.path,
        )


def _shown(path: str) -> str:
    """The configuration file, relative to the working directory when under it."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative
