"""The IR as portable JSON (`qualdsl compile --target json`), and the policy hash.

Every node becomes an object `{"node": "<kind>", <field>: <value>, ...}`;
values are JSON scalars, lists, or tagged objects for what JSON lacks:
`{"date": "2026-01-31"}` and `{"datetime": "2026-01-31T09:30:00+00:00"}`.
Source locations are left out (they are not part of the meaning), so the
canonical text — keys sorted, no spaces, ASCII — and its sha256, the policy
hash, are the same for two policies that differ only in layout or comments.
The JSON Schema of this format ships as `qualdsl/schemas/ir.schema.json`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from typing import Any

import attrs

from . import ir


def to_data(node: Any) -> Any:
    """A JSON-ready copy of an IR value."""
    if attrs.has(type(node)):
        data: dict[str, Any] = {"node": type(node).__name__}
        for field in attrs.fields(type(node)):
            if field.name != "loc":
                data[field.name] = to_data(getattr(node, field.name))
        return data
    if isinstance(node, tuple):
        return [to_data(item) for item in node]
    if isinstance(node, dt.datetime):
        return {"datetime": node.isoformat()}
    if isinstance(node, dt.date):
        return {"date": node.isoformat()}
    if isinstance(node, float) and not math.isfinite(node):
        raise ValueError("the IR holds only finite numbers")
    if node is None or isinstance(node, (str, int, float, bool)):
        return node
    raise TypeError(f"no JSON form for {type(node).__name__}")


def from_data(data: Any) -> Any:
    """The IR value a `to_data` copy describes (raises ValueError on anything else)."""
    if isinstance(data, list):
        return tuple(from_data(item) for item in data)
    if isinstance(data, dict):
        if "node" in data:
            cls = ir.NODE_TYPES.get(data["node"])
            if cls is None:
                raise ValueError(f"unknown IR node `{data['node']}`")
            names = {field.name for field in attrs.fields(cls) if field.name != "loc"}
            unknown = set(data) - names - {"node"}
            if unknown:
                raise ValueError(f"{data['node']}: unknown keys {sorted(unknown)}")
            values = {key: from_data(value) for key, value in data.items() if key != "node"}
            if "path" in values and isinstance(values["path"], tuple):
                values["path"] = tuple(values["path"])
            try:
                return cls(**values)
            except TypeError as error:
                raise ValueError(f"{data['node']}: {error}") from None
        if set(data) == {"date"}:
            return dt.date.fromisoformat(data["date"])
        if set(data) == {"datetime"}:
            return dt.datetime.fromisoformat(data["datetime"])
        raise ValueError(f"not an IR value: {sorted(data)}")
    return data


def dumps(policy: ir.Policy, *, indent: int | None = 2) -> str:
    """The policy's IR as JSON text."""
    return json.dumps(to_data(policy), indent=indent, ensure_ascii=False)


def loads(text: str) -> ir.Policy:
    """An IR policy from its JSON text (`qualdsl compile --target json`); a
    `hash` beside it must be the policy's own. Raises ValueError."""
    try:
        data = json.loads(text)
    except RecursionError:
        raise ValueError("the JSON is nested too deeply to be a policy") from None
    if not isinstance(data, dict) or data.get("node") != "Policy":
        raise ValueError("the JSON does not describe a policy")
    if data.get("format") != ir.FORMAT:
        raise ValueError(f"IR format {data.get('format')!r} is not {ir.FORMAT}, the one this qualdsl reads")
    stated = data.pop("hash", None)
    try:
        policy = from_data(data)
    except RecursionError:
        raise ValueError("the JSON is nested too deeply to be a policy") from None
    assert isinstance(policy, ir.Policy)
    if stated is not None and stated != policy_hash(policy):
        raise ValueError("the policy's `hash` does not match its content")
    return policy


def canonical(policy: ir.Policy) -> str:
    """The IR's canonical JSON, without `lead_id`: which field names the lead
    (`--id-field`) is a choice of the caller, not part of the policy."""
    data = to_data(policy)
    del data["lead_id"]
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def policy_hash(policy: ir.Policy) -> str:
    """sha256 (hex) of the canonical JSON of the IR."""
    return hashlib.sha256(canonical(policy).encode("ascii")).hexdigest()
