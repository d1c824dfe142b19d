"""One generic walker over trees of attrs nodes.

Works for any frozen attrs tree (the AST of nodes.py, an IR): a node's
children are the values of its attrs fields that are attrs instances, and the
attrs instances inside tuple fields. Everything else (strings, numbers, spans)
is data, not a child. Iterative, so a deep tree does not hit the recursion
limit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeGuard

import attrs

_FIELD_NAMES: dict[type, tuple[str, ...] | None] = {}


def _field_names(cls: type) -> tuple[str, ...] | None:
    """The attrs field names of `cls`, None when it is no attrs class. Cached
    per class: lint walks the same trees many times, and attrs.has and
    attrs.fields were most of its time on an 800-let chain."""
    if cls not in _FIELD_NAMES:
        _FIELD_NAMES[cls] = tuple(field.name for field in attrs.fields(cls)) if attrs.has(cls) else None
    return _FIELD_NAMES[cls]


def _is_node(value: object) -> TypeGuard[attrs.AttrsInstance]:
    return _field_names(type(value)) is not None


def children(node: object) -> Iterator[object]:
    """The direct child nodes of `node`, in field order."""
    names = _field_names(type(node))
    if names is None:
        return
    for name in names:
        value = getattr(node, name)
        if isinstance(value, tuple):
            yield from (item for item in value if _is_node(item))
        elif _is_node(value):
            yield value


def walk(node: object) -> Iterator[object]:
    """`node` and every node below it, pre-order (parents before children,
    children in field order)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(list(children(current))))


def map_children(node: Any, change: Callable[[Any], Any]) -> Any:
    """A copy of `node` with `change` applied to each direct child node (tuple
    fields element-wise); `node` itself when nothing changed."""
    if not attrs.has(type(node)):  # not _is_node: `node` stays Any for attrs.evolve
        return node
    updates: dict[str, object] = {}
    for field in attrs.fields(type(node)):
        value = getattr(node, field.name)
        if isinstance(value, tuple) and any(_is_node(item) for item in value):
            new = tuple(change(item) if _is_node(item) else item for item in value)
            if any(a is not b for a, b in zip(new, value)):
                updates[field.name] = new
        elif _is_node(value):
            new_value = change(value)
            if new_value is not value:
                updates[field.name] = new_value
    return attrs.evolve(node, **updates) if updates else node


class Visitor:
    """Dispatch on node class: `visit(node)` calls `visit_<ClassName>(node)`
    when the subclass defines it, else `generic_visit(node)`, which visits the
    children. A `visit_X` method that wants the children visited too calls
    `self.generic_visit(node)`."""

    def visit(self, node: object) -> Any:
        method = getattr(self, "visit_" + type(node).__name__, None)
        if method is None:
            return self.generic_visit(node)
        return method(node)

    def generic_visit(self, node: object) -> Any:
        for child in children(node):
            self.visit(child)
        return None
