"""The built-in functions: the one table of their names, parameters and types.

The checker, the keyword lists, the Pygments lexer and the lint rules read
this table. Implementations are not here: each backend keeps its own table
keyed by function name and calls `unimplemented()` to report the functions a
policy uses that it lacks. Adding a function is one entry here, one per
backend, and their tests.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping
from types import MappingProxyType

import attrs

# Parameter categories: what schema.category() of an argument's type must be,
# plus "events_query" for `count(events where ... within ...)`.
PARAMETER_CATEGORIES = ("string", "list", "time", "number", "bool", "events_query")


@attrs.frozen
class Function:
    """One built-in function.

    `parameters` holds, per parameter, the categories its argument may have
    (`len` takes a string or a list: `(("string", "list"),)`). `result` is a
    static type of schema.py. `reads_time`: the result depends on the
    evaluation time T, so a decayed or cached score must account for it."""

    name: str
    parameters: tuple[tuple[str, ...], ...]
    result: str
    reads_time: bool
    summary: str
    example: str

    @property
    def takes_events(self) -> bool:
        return any("events_query" in accepted for accepted in self.parameters)

    def signature(self) -> str:
        """`len(string | list) -> int`, as the docs show it."""
        params = ", ".join(" | ".join(accepted) for accepted in self.parameters)
        return f"{self.name}({params}) -> {self.result}"


def _table(*functions: Function) -> Mapping[str, Function]:
    return MappingProxyType({f.name: f for f in functions})


FUNCTIONS: Mapping[str, Function] = _table(
    Function(
        "domain", (("string",),), "string", False,
        "the part after the last `@`, lower-cased; missing when there is no `@`",
        'domain(person.email) in ["gmail.com", "yahoo.com"]',
    ),
    Function(
        "lower", (("string",),), "string", False,
        "the string lower-cased",
        'lower(company.country) == "de"',
    ),
    Function(
        "len", (("string", "list"),), "int", False,
        "the length of a string or a list",
        "len(company.tech) >= 3",
    ),
    Function(
        "days_since", (("time",),), "int", True,
        "whole days from the date to the evaluation time T: `floor((T - d) / 1d)`",
        "days_since(last_seen) <= 30",
    ),
    Function(
        "count", (("events_query",),), "int", True,
        "how many of the lead's events satisfy the `where` and are at most `within` old; both clauses optional",
        'count(events where type == "demo" within 30d) >= 1',
    ),
)


def unimplemented(used: Iterable[str], implemented: Container[str]) -> list[str]:
    """The built-ins in `used` that a backend does not implement, sorted, once
    each: the backend reports them as compile errors."""
    return sorted({name for name in used if name in FUNCTIONS and name not in implemented})


def markdown_table() -> str:
    """The "Built-in functions" table of docs/language.md (a test keeps it current)."""
    rows = ["| Function | Takes | Returns | Reads T | Meaning | Example |", "|---|---|---|---|---|---|"]
    for f in FUNCTIONS.values():
        takes = ", ".join(" or ".join(accepted) for accepted in f.parameters)
        rows.append(
            f"| `{f.name}` | {takes} | {f.result} | {'yes' if f.reads_time else 'no'} | {f.summary} | `{f.example}` |"
        )
    return "\n".join(rows) + "\n"
