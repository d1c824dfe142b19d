"""Lets whose value is always or never true, so rules report them once."""

from __future__ import annotations

from .. import nodes as n
from ..check import LEAD
from .engine import LintContext, walk


def let_names(context: LintContext, expr: n.Expr) -> set[str]:
    """Lets a condition reads, directly or through other lets."""
    reads = _let_reads(context)
    found: set[str] = set()
    for name in _direct_lets(context, expr):
        found.add(name)
        found |= reads[name]
    return found


def _direct_lets(context: LintContext, expr: n.Expr) -> set[str]:
    return {node.path[0] for node, _ in walk(expr, LEAD)
            if isinstance(node, n.Name) and node.is_bare and node.path[0] in context.policy.lets}


def _let_reads(context: LintContext) -> dict[str, frozenset[str]]:
    """Every let's lets, read directly or through others: computed once per
    context in dependency order (a chain of 800 lets was walked again for
    every condition, 10 s of lint)."""
    cached: dict[str, frozenset[str]] | None = getattr(context, "_let_reads", None)
    if cached is not None:
        return cached
    lets = context.policy.lets
    reads: dict[str, frozenset[str]] = {}
    for name in [*context.policy.let_order, *(name for name in lets if name not in context.policy.let_order)]:
        found: set[str] = set()
        for used in _direct_lets(context, lets[name].value):
            found.add(used)
            found |= reads.get(used, frozenset())
        reads[name] = frozenset(found)
    context._let_reads = reads  # type: ignore[attr-defined]
    return reads


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
