"""Schema types and the static types of expressions."""

from __future__ import annotations

# Types a schema may declare.
FIELD_TYPES = (
    "string", "int", "number", "bool", "date", "datetime",
    "list[string]", "list[number]", "events",
)

# Static types of expressions add: list[any] (mixed lists), any (unknown: no
# schema, or an event's own field), and tier (a tier name; compares as text).


def category(static_type: str) -> str:
    """What a type compares as: string, number, bool, time, list, events or any."""
    if static_type in ("int", "number"):
        return "number"
    if static_type in ("date", "datetime"):
        return "time"
    if static_type.startswith("list["):
        return "list"
    if static_type == "tier":
        return "string"
    return static_type


def element_type(list_type: str) -> str:
    """`list[string]` -> `string`; unknown for anything else."""
    if list_type.startswith("list[") and list_type.endswith("]"):
        return list_type[5:-1]
    return "any"


def describe(static_type: str) -> str:
    """How a type reads in a message."""
    return {
        "string": "a string", "int": "an int", "number": "a number", "bool": "a boolean",
        "date": "a date", "datetime": "a datetime", "events": "the events list",
        "tier": "a tier", "any": "a value",
    }.get(static_type, f"a {static_type}")


def literal_type(value: object) -> str:
    import datetime as dt

    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dt.datetime):
        return "datetime"
    if isinstance(value, dt.date):
        return "date"
    return "any"


def list_type(values: list[object]) -> str:
    kinds = {category(literal_type(v)) for v in values}
    if kinds == {"string"}:
        return "list[string]"
    if kinds == {"number"}:
        return "list[number]"
    if kinds == {"time"}:
        return "list[datetime]"
    if kinds == {"bool"}:
        return "list[bool]"
    return "list[any]"
