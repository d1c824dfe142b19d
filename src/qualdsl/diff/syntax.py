"""Print AST nodes back in qualdsl syntax, for the before/after of a change.

Expressions and literals print exactly as the formatter prints them
(printer.py); the diff adds one statement at a time, unaligned, in the
two-space style of the language contract.
Printing then parsing gives back an equal node (tests check this round trip),
so what a reviewer reads is exactly what the policy means.
"""

from __future__ import annotations

from .. import nodes as n
from ..printer import expression as expr_text
from ..printer import list_literal as list_text
from ..printer import literal as literal_text
from ..printer import name as name_text
from ..printer import number as number_text
from ..printer import points as points_text

__all__ = [
    "block_header", "expr_text", "list_text", "literal_text", "name_text", "number_text",
    "points_text", "statement_text",
]


def duration_text(duration: n.Duration) -> str:
    return str(duration)


def block_header(block: n.ScoreBlock) -> str:
    """`score fit max 60 min 0`: a block without its body."""
    text = f"score {block.name}"
    if block.max is not None:
        text += f" max {number_text(block.max)}"
    if block.min is not None:
        text += f" min {number_text(block.min)}"
    return text


def statement_text(node: object) -> str:
    """One statement (or declaration) on one line; a block or list on several."""
    if isinstance(node, n.PolicyDecl):
        return f"policy {node.name}" + (f" {literal_text(node.title)}" if node.title is not None else "")
    if isinstance(node, n.SchemaField):
        return f"{name_text(node.field)}: {node.type}"
    if isinstance(node, n.SetDecl):
        return f"set {node.name} = {list_text(node.items)}"
    if isinstance(node, n.LetDecl):
        return f"let {node.name} = {expr_text(node.value)}"
    if isinstance(node, n.Include):
        return f"include {literal_text(node.path)}"
    if isinstance(node, n.Require):
        return f"require {expr_text(node.condition)} else {literal_text(node.reason)}"
    if isinstance(node, n.Reject):
        return f"reject {expr_text(node.condition)} as {literal_text(node.reason)}"
    if isinstance(node, n.DecayEvery):
        return f"decay {n._decimal_text(node.percent)}% every {duration_text(node.period)}"
    if isinstance(node, n.DecayHalfLife):
        return f"decay half_life {duration_text(node.period)}"
    if isinstance(node, n.Expire):
        return f"expire after {duration_text(node.after)}"
    if isinstance(node, n.WhenRule):
        return f"rule {node.name} {points_text(node.points)} when {expr_text(node.condition)}"
    if isinstance(node, n.EventRule):
        text = f"rule {node.name} {points_text(node.points)} per event {literal_text(node.event_type)}"
        if node.where is not None:
            text += f" where {expr_text(node.where)}"
        if node.max is not None:
            text += f" max {node.max}"
        return text
    if isinstance(node, n.Tier):
        tail = "otherwise" if node.condition is None else f"when {expr_text(node.condition)}"
        return f"tier {node.name} {tail}"
    if isinstance(node, n.Route):
        tail = "otherwise" if node.condition is None else f"when {expr_text(node.condition)}"
        return f"to {literal_text(node.queue)} {tail}"
    if isinstance(node, n.ScoreBlock):
        return _braced(block_header(node), node.statements)
    if isinstance(node, n.Icp):
        return _braced("icp", node.statements)
    if isinstance(node, n.Tiers):
        return _braced("tiers", node.tiers)
    if isinstance(node, n.Routes):
        return _braced("route", node.routes)
    if isinstance(node, n.Schema):
        return _braced("schema", node.fields)
    raise TypeError(f"not a statement node: {type(node).__name__}")


def _braced(head: str, statements: tuple[object, ...]) -> str:
    lines = [head + " {"]
    lines += ["  " + statement_text(s) for s in statements]
    lines.append("}")
    return "\n".join(lines)
