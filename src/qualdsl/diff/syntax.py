"""Print AST nodes back in qualdsl syntax, for the before/after of a change.

Self-contained on purpose (the formatter is written separately): the diff only
needs one statement at a time, in the two-space style of the language contract.
Printing then parsing gives back an equal node (tests check this round trip),
so what a reviewer reads is exactly what the policy means.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal

from .. import nodes as n

# Binding strength, loosest first, as in the grammar: or, and, not,
# comparison, + -, * /, unary minus, atoms.
OR, AND, NOT, COMPARISON, SUM, PRODUCT, UNARY, ATOM = range(1, 9)

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def number_text(value: int | float | Decimal) -> str:
    """A number as the grammar writes it: no exponent, no trailing `.0` noise."""
    if isinstance(value, bool):  # bool is an int; never meant as a number here
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = format(Decimal(repr(value)) if isinstance(value, float) else value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
        if isinstance(value, float) and "." not in text:
            text += ".0"  # keep a float a float: `2.0` reads back as 2.0
    return text


def points_text(value: int | float) -> str:
    """Rule points always carry their sign: `+15`, `-10`, `+2.5`."""
    text = number_text(value)
    return text if text.startswith("-") else "+" + text


def literal_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return number_text(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dt.datetime):
        moment = value.astimezone(dt.timezone.utc) if value.tzinfo else value
        return moment.replace(tzinfo=None).isoformat() + "Z"
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"not a policy literal: {value!r}")


def list_text(items: n.ListLiteral) -> str:
    return "[" + ", ".join(literal_text(item.value) for item in items.items) + "]"


def name_text(name: n.Name) -> str:
    quoted = name.quoted or (False,) * len(name.path)
    return ".".join(
        f"`{segment}`" if flag or not _IDENTIFIER.match(segment) else segment
        for segment, flag in zip(name.path, quoted)
    )


def duration_text(duration: n.Duration) -> str:
    return str(duration)


def _strength(expr: object) -> int:
    if isinstance(expr, n.Or):
        return OR
    if isinstance(expr, n.And):
        return AND
    if isinstance(expr, n.Not):
        return NOT
    if isinstance(expr, (n.Compare, n.In, n.Between, n.StringTest, n.Matches, n.IsMissing)):
        return COMPARISON
    if isinstance(expr, n.Arith):
        return SUM if expr.op in "+-" else PRODUCT
    if isinstance(expr, n.Negate):
        return UNARY
    if isinstance(expr, n.Literal) and isinstance(expr.value, (int, float)) \
            and not isinstance(expr.value, bool) and expr.value < 0:
        return UNARY  # a negative number prints as `-5`
    return ATOM


def _at_least(expr: n.Expr, strength: int) -> str:
    """The expression, in parentheses when it binds looser than its place needs."""
    text = expr_text(expr)
    return text if _strength(expr) >= strength else f"({text})"


def expr_text(expr: n.Expr | n.EventsQuery) -> str:
    """An expression in policy syntax, with only the parentheses it needs."""
    if isinstance(expr, n.Literal):
        return literal_text(expr.value)
    if isinstance(expr, n.ListLiteral):
        return list_text(expr)
    if isinstance(expr, n.Name):
        return name_text(expr)
    if isinstance(expr, n.Or):
        # A nested `or` came from parentheses; keep them so the tree reads back equal.
        return " or ".join(_at_least(o, AND) for o in expr.operands)
    if isinstance(expr, n.And):
        return " and ".join(_at_least(o, NOT) for o in expr.operands)
    if isinstance(expr, n.Not):
        return "not " + _at_least(expr.operand, NOT)
    if isinstance(expr, n.Compare):
        return f"{_at_least(expr.left, SUM)} {expr.op} {_at_least(expr.right, SUM)}"
    if isinstance(expr, n.In):
        op = "not in" if expr.negated else "in"
        return f"{_at_least(expr.item, SUM)} {op} {_at_least(expr.container, SUM)}"
    if isinstance(expr, n.Between):
        return (f"{_at_least(expr.value, SUM)} between {_at_least(expr.low, SUM)}"
                f" and {_at_least(expr.high, SUM)}")
    if isinstance(expr, n.StringTest):
        return f"{_at_least(expr.left, SUM)} {expr.op} {_at_least(expr.right, SUM)}"
    if isinstance(expr, n.Matches):
        pattern = expr.pattern.replace("/", "\\/")
        return f"{_at_least(expr.value, SUM)} matches /{pattern}/{'i' if expr.ignore_case else ''}"
    if isinstance(expr, n.IsMissing):
        return f"{_at_least(expr.value, SUM)} is {'present' if expr.negated else 'missing'}"
    if isinstance(expr, n.Arith):
        strength = SUM if expr.op in "+-" else PRODUCT
        return f"{_at_least(expr.left, strength)} {expr.op} {_at_least(expr.right, strength + 1)}"
    if isinstance(expr, n.Negate):
        return "-" + _at_least(expr.operand, UNARY)
    if isinstance(expr, n.Call):
        return f"{expr.function}(" + ", ".join(expr_text(a) for a in expr.arguments) + ")"
    if isinstance(expr, n.EventsQuery):
        parts = ["events"]
        if expr.where is not None:
            parts.append("where " + expr_text(expr.where))
        if expr.within is not None:
            parts.append("within " + duration_text(expr.within))
        return " ".join(parts)
    raise TypeError(f"not an expression node: {type(expr).__name__}")


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
        return f"decay {number_text(node.percent)}% every {duration_text(node.period)}"
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


def _braced(head: str, statements: tuple) -> str:
    lines = [head + " {"]
    lines += ["  " + statement_text(s) for s in statements]
    lines.append("}")
    return "\n".join(lines)
