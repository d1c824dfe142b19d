"""The JSON Schema of the IR's JSON form, derived from ir.py's node classes.

The schema is generated from the attrs fields and their type hints, so it
cannot drift from the nodes; the copy shipped in the package
(`schemas/ir.schema.json`) is checked against this by a test, and
`python -m qualdsl.ir_schema` rewrites it.
"""

from __future__ import annotations

import json
import sys
import types
import typing
from pathlib import Path
from typing import Any, Union

import attrs

from . import ir

SCHEMA_PATH = Path(__file__).with_name("schemas") / "ir.schema.json"

_SCALARS: dict[Any, dict[str, Any]] = {
    str: {"type": "string"},
    int: {"type": "integer"},
    float: {"type": "number"},
    bool: {"type": "boolean"},
    type(None): {"type": "null"},
}
_LITERAL = {
    "oneOf": [
        {"type": "string"},
        {"type": "number"},
        {"type": "boolean"},
        {"type": "object", "properties": {"date": {"type": "string", "format": "date"}},
         "required": ["date"], "additionalProperties": False},
        {"type": "object", "properties": {"datetime": {"type": "string", "format": "date-time"}},
         "required": ["datetime"], "additionalProperties": False},
    ]
}


def _hint(hint: Any) -> dict[str, Any]:
    if hint is ir.LiteralValue:
        return {"$ref": "#/$defs/literal"}
    if hint is ir.Expr:
        return {"$ref": "#/$defs/expr"}
    if hint in _SCALARS:
        return dict(_SCALARS[hint])
    if isinstance(hint, type) and hint.__name__ in ir.NODE_TYPES:
        return {"$ref": f"#/$defs/{hint.__name__}"}
    origin = typing.get_origin(hint)
    arguments = typing.get_args(hint)
    if origin is tuple:
        return {"type": "array", "items": _hint(arguments[0])}
    if origin in (Union, types.UnionType):
        # bool before int: JSON Schema's integer does not take booleans anyway.
        return {"anyOf": [_hint(argument) for argument in arguments]}
    raise TypeError(f"no schema for {hint!r}")


def _node(cls: type) -> dict[str, Any]:
    hints = typing.get_type_hints(cls, vars(ir))
    properties: dict[str, Any] = {"node": {"const": cls.__name__}}
    required = ["node"]
    for field in attrs.fields(cls):
        if field.name == "loc":
            continue
        properties[field.name] = _hint(hints[field.name])
        required.append(field.name)
    return {"type": "object", "properties": properties, "required": required, "additionalProperties": False}


def schema() -> dict[str, Any]:
    """The JSON Schema (2020-12) of `qualdsl compile --target json` output."""
    defs: dict[str, Any] = {name: _node(cls) for name, cls in ir.NODE_TYPES.items()}
    # `qualdsl compile --target json` adds the policy hash beside the policy's fields.
    defs["Policy"]["properties"]["hash"] = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
    defs["literal"] = _LITERAL
    defs["expr"] = {"oneOf": [{"$ref": f"#/$defs/{cls.__name__}"} for cls in typing.get_args(ir.Expr)]}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://qualdsl.dev/schemas/ir-{ir.FORMAT}.json",
        "title": f"qualdsl policy IR, format {ir.FORMAT}",
        "$ref": "#/$defs/Policy",
        "$defs": defs,
    }


def schema_text() -> str:
    return json.dumps(schema(), indent=2) + "\n"


if __name__ == "__main__":
    SCHEMA_PATH.parent.mkdir(exist_ok=True)
    SCHEMA_PATH.write_text(schema_text(), encoding="utf-8")
    sys.stdout.write(f"wrote {SCHEMA_PATH}\n")
