"""The canonical form of a checked policy, and its hash.

Spans and comments are not part of a node's meaning (they are excluded from
`==`), so they are left out here too: reformatting a policy keeps its hash.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from .check import CheckedPolicy


def _plain(value: Any) -> Any:
    """A JSON-ready copy of an AST value, by the fields that take part in `==`."""
    if attrs.has(type(value)):
        data: dict[str, Any] = {"kind": type(value).__name__}
        for field in attrs.fields(type(value)):
            if field.eq:
                data[field.name] = _plain(getattr(value, field.name))
        return data
    if isinstance(value, (tuple, list)):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return {"int": str(value)}
    if isinstance(value, float):
        return {"float": repr(value)}
    if isinstance(value, Decimal):
        return {"decimal": str(value.normalize())}
    if isinstance(value, (dt.date, dt.datetime)):
        return {type(value).__name__: value.isoformat()}
    raise TypeError(f"no canonical form for {type(value).__name__}")


def canonical_form(policy: CheckedPolicy) -> dict[str, Any]:
    schema = None
    if policy.schema is not None:
        schema = sorted([".".join(path), info.type] for path, info in policy.schema.items())
    return {
        "name": policy.name,
        "title": policy.title,
        "schema": schema,
        "sets": {name: _plain(decl.items) for name, decl in sorted(policy.sets.items())},
        "lets": {name: _plain(decl.value) for name, decl in sorted(policy.lets.items())},
        "icp": _plain(policy.icp),
        "blocks": _plain(policy.blocks),
        "tiers": _plain(policy.tiers),
        "routes": _plain(policy.routes),
    }


def policy_hash(policy: CheckedPolicy) -> str:
    text = json.dumps(canonical_form(policy), sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()
