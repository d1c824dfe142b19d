"""Lets whose value is always or never true, so rules report them once."""

from __future__ import annotations

from .. import nodes as n
from ..check import LEAD
from .engine import LintContext, walk


def let_names(context: LintContext, expr: n.Expr) -> set[str]:
    """Lets a condition reads, directly or through other lets."""
    found: set[str] = set()
    stack = [expr]
    while stack:
        current = stack.pop()
        for node, _ in walk(current, LEAD):
            if isinstance(node, n.Name) and node.is_bare and node.path[0] in context.policy.lets:
                name = node.path[0]
                if name not in found:
                    found.add(name)
                    stack.append(context.policy.lets[name].value)
    return found


def stuck_lets(context: LintContext, how: str) -> set[str]:
    """Boolean lets that are `never` or `always` true."""
    reasoner = context.reasoner(LEAD)
    result = set()
    for name, decl in context.policy.lets.items():
        if context.policy.let_types.get(name) != "bool":
            continue
        if (reasoner.never if how == "never" else reasoner.always)(decl.value):
            result.add(name)
    return result
