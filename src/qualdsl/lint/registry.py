"""The lint rules: one module per rule in `rules/`, registered with `@rule`.

A rule is a function `(LintContext) -> Iterable[Finding]`. Its module's
docstring is its user documentation (`qualdsl rule CODE`, docs/lint-rules.md),
with the sections *What it does*, *Why is this bad*, *Example*, *Use instead*.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import attrs

from ..diagnostics import Severity
from ..source import Span

if TYPE_CHECKING:
    from .engine import LintContext

DOC_SECTIONS = ("What it does", "Why is this bad", "Example", "Use instead")


@attrs.frozen
class Finding:
    """One mistake a rule found: where, what, and how to fix it."""

    message: str
    span: Span
    help: str | None = None
    # The file the span is in, when it is not the policy file (an included fragment).
    path: str | None = None


CheckFunction = Callable[["LintContext"], Iterable[Finding]]


@attrs.frozen
class LintRule:
    """A registered rule: stable code, kebab-case name, default level, check."""

    code: str
    name: str
    level: Severity
    check: CheckFunction = attrs.field(eq=False, repr=False)
    doc: str = attrs.field(eq=False, repr=False)

    @property
    def summary(self) -> str:
        """The first line of the documentation."""
        return self.doc.strip().splitlines()[0].strip() if self.doc.strip() else self.name

    def documentation(self) -> str:
        """What `qualdsl rule CODE` prints."""
        return f"# {self.code} {self.name} (default level: {self.level.value})\n\n{self.doc.strip()}\n"


RULES: dict[str, LintRule] = {}

# Compile errors are not a rule (they cannot be turned off) but have a code
# so every output format can name them.
COMPILE_ERROR = LintRule(
    code="QD000",
    name="compile-error",
    level=Severity.ERROR,
    check=lambda context: (),
    doc="""The policy does not compile.

## What it does
Reports every error `qualdsl check` reports: syntax errors, unknown fields,
type mismatches, bad includes. The other rules need a compiled policy, so a
policy with compile errors gets only these.

## Why is this bad
A policy that does not compile cannot be evaluated at all.

## Example
```
tier SQL when scor >= 80
```

## Use instead
```
tier SQL when score >= 80
```

Each compile error is reported under its own stable code (`QE0xx`, `QE1xx`:
see [compile-errors.md](compile-errors.md) and `qualdsl rule QE101`); QD000
names a compile error that has none. Compile errors cannot be selected,
ignored, re-levelled or suppressed.
""",
)


def rule(code: str, name: str, level: str) -> Callable[[CheckFunction], CheckFunction]:
    """Register a check under a stable code; its module docstring is its doc."""

    def register(function: CheckFunction) -> CheckFunction:
        if code in RULES:
            raise ValueError(f"lint rule code {code} is registered twice")
        module = inspect.getmodule(function)
        doc = inspect.cleandoc(module.__doc__ or "") if module else ""
        RULES[code] = LintRule(code, name, Severity(level), function, doc)
        return function

    return register


def load_rules() -> dict[str, LintRule]:
    """Import every module in `rules/` (each registers itself), sorted by code."""
    from . import rules as package

    for info in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{info.name}")
    ordered = dict(sorted(RULES.items()))
    RULES.clear()
    RULES.update(ordered)
    return RULES


def get_rule(code_or_name: str) -> LintRule | None:
    """A rule by code (`QD101`, any case) or by name (`unreachable-tier`)."""
    load_rules()
    wanted = code_or_name.strip()
    for candidate in (*RULES.values(), COMPILE_ERROR):
        if candidate.code.casefold() == wanted.casefold() or candidate.name == wanted.casefold():
            return candidate
    return None
