"""The semantic diff: what changed in a policy, found by identity, not by line.

Rules are matched by block and name, tiers by name, routes by queue, sets and
lets by name, ICP statements by reason, schema fields by path. Nodes compare
without their spans, so layout and comments are never a change. Each change
is a frozen record (Added, Removed, Changed, Moved) carrying the before and
after in the policy's own syntax.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import attrs

from .. import nodes as n
from ..check import CheckedPolicy
from .syntax import block_header, literal_text, statement_text

# Sections in report order: the order a reviewer reads a policy in.
SECTIONS = ("policy", "schema", "set", "let", "icp", "score", "tiers", "route")


@attrs.frozen
class Added:
    """Something the new policy has and the old one did not."""

    section: str
    target: str
    after: str
    kind = "added"

    @property
    def before(self) -> None:
        return None


@attrs.frozen
class Removed:
    """Something the old policy had and the new one does not."""

    section: str
    target: str
    before: str
    kind = "removed"

    @property
    def after(self) -> None:
        return None


@attrs.frozen
class Changed:
    """The same thing (by identity) with a different meaning.

    `aspects` names what differs (points, condition, max, items...);
    for a set, `items_added`/`items_removed` list the literals, as written."""

    section: str
    target: str
    before: str
    after: str
    aspects: tuple[str, ...] = ()
    items_added: tuple[str, ...] = ()
    items_removed: tuple[str, ...] = ()
    kind = "changed"


@attrs.frozen
class Moved:
    """A tier or route at another place in its first-match list.

    `before` and `after` are 1-based positions in the old and new list."""

    section: str
    target: str
    before: int
    after: int
    statement: str = ""  # the statement as the new policy writes it
    kind = "moved"


Change = Added | Removed | Changed | Moved


def change_to_dict(change: Change) -> dict[str, Any]:
    """The JSON form: kind, section, target, before, after (+ details)."""
    data: dict[str, Any] = {
        "kind": change.kind,
        "section": change.section,
        "target": change.target,
        "before": change.before,
        "after": change.after,
    }
    if isinstance(change, Moved):
        data["statement"] = change.statement  # what moved, in policy syntax
    if isinstance(change, Changed):
        data["aspects"] = list(change.aspects)
        if change.section == "set":
            data["items_added"] = list(change.items_added)
            data["items_removed"] = list(change.items_removed)
    return data


# ===================================================================== views


@attrs.frozen
class PolicyView:
    """The parts of a policy that carry meaning, keyed by identity.

    Built from a CheckedPolicy, so included sets, lets and schema fields count
    as the policy's own (an include that changes a set changes the policy)."""

    header: n.PolicyDecl | None
    schema: dict[str, str]  # field path as written -> type
    schema_text: dict[str, str]  # field path -> `path: type`
    sets: dict[str, n.SetDecl]
    lets: dict[str, n.LetDecl]
    icp: dict[str, n.Require | n.Reject]
    blocks: dict[str, n.ScoreBlock]
    tiers: dict[str, n.Tier]
    routes: dict[str, n.Route]

    @classmethod
    def empty(cls) -> PolicyView:
        return cls(None, {}, {}, {}, {}, {}, {}, {}, {})

    @classmethod
    def of(cls, policy: CheckedPolicy) -> PolicyView:
        header = policy.module.first(n.PolicyDecl)
        schema: dict[str, str] = {}
        schema_text: dict[str, str] = {}
        written = {
            field.field.path: field
            for module in (policy.module, *policy.included)
            for block in module.all(n.Schema)
            for field in block.fields
        }
        for path, info in (policy.schema or {}).items():
            key = ".".join(path)
            schema[key] = info.type
            node = written.get(path)
            schema_text[key] = statement_text(node) if node is not None else f"{key}: {info.type}"
        icp_statements = policy.icp.statements if policy.icp else ()
        return cls(
            header=header if isinstance(header, n.PolicyDecl) else None,
            schema=schema,
            schema_text=schema_text,
            sets=dict(policy.sets),
            lets=dict(policy.lets),
            icp=_keyed(icp_statements, lambda s: s.reason),
            blocks={block.name: block for block in policy.blocks},
            tiers=_keyed(policy.tiers.tiers if policy.tiers else (), lambda t: t.name),
            routes=_keyed(policy.routes.routes if policy.routes else (),
                          lambda r: literal_text(r.queue)),
        )


def _keyed(items: Iterable[Any], key: Any) -> dict[str, Any]:
    """Items by identity; a repeated identity gets `#2`, `#3` so none is lost."""
    result: dict[str, Any] = {}
    seen: dict[str, int] = {}
    for item in items:
        base = key(item)
        seen[base] = seen.get(base, 0) + 1
        result[base if seen[base] == 1 else f"{base} #{seen[base]}"] = item
    return result


# ====================================================================== diff


def diff_policies(old: CheckedPolicy | None, new: CheckedPolicy | None) -> tuple[Change, ...]:
    """Every semantic change from `old` to `new`; None is an absent policy
    (a policy added in this change: everything is added)."""
    before = PolicyView.of(old) if old is not None else PolicyView.empty()
    after = PolicyView.of(new) if new is not None else PolicyView.empty()
    return diff_views(before, after)


def diff_views(old: PolicyView, new: PolicyView) -> tuple[Change, ...]:
    changes: list[Change] = []
    changes += _policy_header(old.header, new.header)
    changes += _schema(old, new)
    changes += _sets(old.sets, new.sets)
    changes += _by_name("let", old.lets, new.lets, lambda name: f"let {name}",
                        lambda a, b: ("value",))
    changes += _by_name("icp", old.icp, new.icp, lambda reason: f"icp {reason}", _icp_aspects)
    changes += _blocks(old.blocks, new.blocks)
    changes += _ordered("tiers", old.tiers, new.tiers, lambda name: f"tier {name}")
    changes += _ordered("route", old.routes, new.routes, lambda queue: f"route {queue}")
    return tuple(changes)


def _policy_header(old: n.PolicyDecl | None, new: n.PolicyDecl | None) -> list[Change]:
    if old == new:
        return []
    if old is None:
        return [Added("policy", "policy", statement_text(new))]
    if new is None:
        return [Removed("policy", "policy", statement_text(old))]
    aspects = tuple(a for a in ("name", "title") if getattr(old, a) != getattr(new, a))
    return [Changed("policy", "policy", statement_text(old), statement_text(new), aspects)]


def _schema(old: PolicyView, new: PolicyView) -> list[Change]:
    changes: list[Change] = []
    for path in _union(old.schema, new.schema):
        target = f"field {path}"
        if path not in old.schema:
            changes.append(Added("schema", target, new.schema_text[path]))
        elif path not in new.schema:
            changes.append(Removed("schema", target, old.schema_text[path]))
        elif old.schema[path] != new.schema[path]:
            changes.append(Changed("schema", target, old.schema_text[path],
                                   new.schema_text[path], ("type",)))
    return changes


def _item_key(item: n.Literal) -> tuple[str, object]:
    # Typed, so `1` and `true` (equal in Python) stay different items.
    return (type(item.value).__name__, item.value)


def _sets(old: dict[str, n.SetDecl], new: dict[str, n.SetDecl]) -> list[Change]:
    changes: list[Change] = []
    for name in _union(old, new):
        target = f"set {name}"
        if name not in old:
            changes.append(Added("set", target, statement_text(new[name])))
        elif name not in new:
            changes.append(Removed("set", target, statement_text(old[name])))
        else:
            before = {_item_key(i): i for i in old[name].items.items}
            after = {_item_key(i): i for i in new[name].items.items}
            # Membership is what a set means: reordering its items is no change.
            if before.keys() == after.keys():
                continue
            changes.append(Changed(
                "set", target, statement_text(old[name]), statement_text(new[name]), ("items",),
                items_added=tuple(literal_text(after[k].value) for k in after if k not in before),
                items_removed=tuple(literal_text(before[k].value) for k in before if k not in after),
            ))
    return changes


def _icp_aspects(old: n.Require | n.Reject, new: n.Require | n.Reject) -> tuple[str, ...]:
    aspects = []
    if type(old) is not type(new):
        aspects.append("kind")
    if old.condition != new.condition:
        aspects.append("condition")
    return tuple(aspects)


def _by_name(section: str, old: dict[str, Any], new: dict[str, Any], target: Any,
             aspects: Any) -> list[Change]:
    changes: list[Change] = []
    for key in _union(old, new):
        if key not in old:
            changes.append(Added(section, target(key), statement_text(new[key])))
        elif key not in new:
            changes.append(Removed(section, target(key), statement_text(old[key])))
        elif old[key] != new[key]:
            changes.append(Changed(section, target(key), statement_text(old[key]),
                                   statement_text(new[key]), aspects(old[key], new[key])))
    return changes


# ------------------------------------------------------------------ scores


def _rule_aspects(old: n.WhenRule | n.EventRule, new: n.WhenRule | n.EventRule) -> tuple[str, ...]:
    if type(old) is not type(new):
        return ("kind",)
    aspects = ["points"] if old.points != new.points else []
    if isinstance(old, n.WhenRule) and isinstance(new, n.WhenRule):
        if old.condition != new.condition:
            aspects.append("condition")
    elif isinstance(old, n.EventRule) and isinstance(new, n.EventRule):
        if old.event_type.casefold() != new.event_type.casefold():
            aspects.append("event")
        if old.where != new.where:
            aspects.append("where")
        if old.max != new.max:
            aspects.append("cap")
    return tuple(aspects)


def _same_rule(old: n.WhenRule | n.EventRule, new: n.WhenRule | n.EventRule) -> bool:
    # Event types match case-insensitively, so `"Demo"` -> `"demo"` is no change.
    if isinstance(old, n.EventRule) and isinstance(new, n.EventRule):
        return attrs.evolve(old, event_type=old.event_type.casefold()) == \
            attrs.evolve(new, event_type=new.event_type.casefold())
    return old == new


def _blocks(old: dict[str, n.ScoreBlock], new: dict[str, n.ScoreBlock]) -> list[Change]:
    changes: list[Change] = []
    for name in _union(old, new):
        if name not in old:
            changes.append(Added("score", f"score {name}", statement_text(new[name])))
            continue
        if name not in new:
            changes.append(Removed("score", f"score {name}", statement_text(old[name])))
            continue
        a, b = old[name], new[name]
        limits = tuple(x for x in ("max", "min") if getattr(a, x) != getattr(b, x))
        if limits:
            changes.append(Changed("score", f"score {name}", block_header(a), block_header(b), limits))
        settings: tuple[tuple[str, Callable[[n.ScoreBlock], object]], ...] = (
            ("decay", lambda blk: blk.decay), ("expire", lambda blk: blk.expire),
        )
        for what, get in settings:
            x, y = get(a), get(b)
            target = f"{name} {what}"
            if x == y:
                continue
            if x is None:
                changes.append(Added("score", target, statement_text(y)))
            elif y is None:
                changes.append(Removed("score", target, statement_text(x)))
            else:
                changes.append(Changed("score", target, statement_text(x), statement_text(y), (what,)))
        old_rules = {rule.name: rule for rule in a.rules}
        new_rules = {rule.name: rule for rule in b.rules}
        for rule in _union(old_rules, new_rules):
            target = f"{name}.{rule}"
            if rule not in old_rules:
                changes.append(Added("score", target, statement_text(new_rules[rule])))
            elif rule not in new_rules:
                changes.append(Removed("score", target, statement_text(old_rules[rule])))
            elif not _same_rule(old_rules[rule], new_rules[rule]):
                changes.append(Changed("score", target, statement_text(old_rules[rule]),
                                       statement_text(new_rules[rule]),
                                       _rule_aspects(old_rules[rule], new_rules[rule])))
    return changes


# ------------------------------------------------------- first-match lists


def _ordered(section: str, old: dict[str, Any], new: dict[str, Any], target: Any) -> list[Change]:
    """Tiers and routes: order matters (first match wins), so besides added,
    removed and changed, an item whose relative order changed is moved."""
    changes: list[Change] = []
    for key in _union(old, new):
        if key not in old:
            changes.append(Added(section, target(key), statement_text(new[key])))
        elif key not in new:
            changes.append(Removed(section, target(key), statement_text(old[key])))
        elif old[key].condition != new[key].condition:
            aspect = "condition" if None not in (old[key].condition, new[key].condition) else "otherwise"
            changes.append(Changed(section, target(key), statement_text(old[key]),
                                   statement_text(new[key]), (aspect,)))
    old_order = [key for key in old if key in new]
    new_order = [key for key in new if key in old]
    # The items outside a longest common subsequence are the ones that moved;
    # an insertion above the others shifts positions but moves nothing.
    staying = set(_longest_common_subsequence(old_order, new_order))
    old_position = {key: i + 1 for i, key in enumerate(old)}
    new_position = {key: i + 1 for i, key in enumerate(new)}
    for key in new_order:
        if key not in staying:
            changes.append(Moved(section, target(key), old_position[key], new_position[key],
                                 statement_text(new[key])))
    return changes


def _longest_common_subsequence(a: Sequence[str], b: Sequence[str]) -> list[str]:
    lengths = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) - 1, -1, -1):
        for j in range(len(b) - 1, -1, -1):
            lengths[i][j] = (lengths[i + 1][j + 1] + 1 if a[i] == b[j]
                             else max(lengths[i + 1][j], lengths[i][j + 1]))
    result: list[str] = []
    i = j = 0
    while i < len(a) and j < len(b):
        if a[i] == b[j]:
            result.append(a[i])
            i, j = i + 1, j + 1
        elif lengths[i + 1][j] >= lengths[i][j + 1]:
            i += 1
        else:
            j += 1
    return result


def _union(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Keys in the new policy's order, then the removed ones in the old order."""
    return list(new) + [key for key in old if key not in new]
