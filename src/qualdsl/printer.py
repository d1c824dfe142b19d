"""The AST printer behind `qualdsl fmt`: one canonical layout for a policy.

The output depends only on the AST (the policy's meaning) and its comments,
never on the original whitespace. Layout follows the contract's examples:
two-space indentation, one statement per line, columns aligned where a block
reads as a table. Parentheses appear exactly where the precedence needs them.
Comments stay with the statement they were written next to: own-line comments
above it, end-of-line comments after it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal

import attrs

from . import keywords
from . import nodes as n
from .nodes import _decimal_text
from .source import Spanned

INDENT = "  "
# A set whose one-line form is longer than this is written one item per line.
LINE_LENGTH = 100

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

# ============================================================ expressions

# Precedence, loosest first, as in the grammar.
_OR, _AND, _NOT, _COMPARISON, _SUM, _PRODUCT, _UNARY, _ATOM = range(1, 9)


def _precedence(expr: object) -> int:
    if isinstance(expr, n.Or):
        return _OR
    if isinstance(expr, n.And):
        return _AND
    if isinstance(expr, n.Not):
        return _NOT
    if isinstance(expr, (n.Compare, n.In, n.Between, n.StringTest, n.Matches, n.IsMissing)):
        return _COMPARISON
    if isinstance(expr, n.Arith):
        return _SUM if expr.op in "+-" else _PRODUCT
    if isinstance(expr, n.Negate):
        return _UNARY
    return _ATOM


def expression(expr: n.Expr | n.EventsQuery) -> str:
    """An expression as canonical text."""
    if isinstance(expr, n.Or):
        return " or ".join(_operand(e, _AND) for e in expr.operands)
    if isinstance(expr, n.And):
        return " and ".join(_operand(e, _NOT) for e in expr.operands)
    if isinstance(expr, n.Not):
        return "not " + _operand(expr.operand, _NOT)
    if isinstance(expr, n.Compare):
        return f"{_operand(expr.left, _SUM)} {expr.op} {_operand(expr.right, _SUM)}"
    if isinstance(expr, n.In):
        word = "not in" if expr.negated else "in"
        return f"{_operand(expr.item, _SUM)} {word} {_operand(expr.container, _SUM)}"
    if isinstance(expr, n.Between):
        return (
            f"{_operand(expr.value, _SUM)} between {_operand(expr.low, _SUM)}"
            f" and {_operand(expr.high, _SUM)}"
        )
    if isinstance(expr, n.StringTest):
        return f"{_operand(expr.left, _SUM)} {expr.op} {_operand(expr.right, _SUM)}"
    if isinstance(expr, n.Matches):
        return f"{_operand(expr.value, _SUM)} matches {regex(expr.pattern, expr.ignore_case)}"
    if isinstance(expr, n.IsMissing):
        word = "present" if expr.negated else "missing"
        return f"{_operand(expr.value, _SUM)} is {word}"
    if isinstance(expr, n.Arith):
        # Left-associative: the right operand binds one level tighter.
        level = _SUM if expr.op in "+-" else _PRODUCT
        return f"{_operand(expr.left, level)} {expr.op} {_operand(expr.right, level + 1)}"
    if isinstance(expr, n.Negate):
        return "-" + _operand(expr.operand, _UNARY)
    if isinstance(expr, n.Call):
        return f"{expr.function}({', '.join(expression(a) for a in expr.arguments)})"
    if isinstance(expr, n.EventsQuery):
        text = "events"
        if expr.where is not None:
            text += " where " + expression(expr.where)
        if expr.within is not None:
            text += f" within {expr.within}"
        return text
    if isinstance(expr, n.Name):
        return name(expr)
    if isinstance(expr, n.ListLiteral):
        return list_literal(expr)
    if isinstance(expr, n.Literal):
        return literal(expr.value)
    raise TypeError(f"not an expression: {type(expr).__name__}")


def _operand(expr: n.Expr, minimum: int) -> str:
    text = expression(expr)
    return f"({text})" if _precedence(expr) < minimum else text


def name(path: n.Name, *, in_schema: bool = False) -> str:
    """A field path, backticking only the segments that need it.

    A backticked single word stays backticked: it means "the field", not a
    let, set, outcome or tier of that name (see `Name.is_bare`).
    """
    quoted = path.quoted or (False,) * len(path.path)
    if len(path.path) == 1 and quoted[0]:
        return f"`{path.path[0]}`"
    return ".".join(
        f"`{segment}`" if _needs_backticks(segment, first=index == 0 and not in_schema) else segment
        for index, segment in enumerate(path.path)
    )


def _needs_backticks(segment: str, *, first: bool) -> bool:
    if not _IDENTIFIER.match(segment):
        return True
    # After a `.` (and in a schema) only a name can follow; first in an
    # expression, a few keywords would be read as such.
    return first and segment in keywords.OPERAND_KEYWORDS


def regex(pattern: str, ignore_case: bool) -> str:
    """`/pattern/i`: the builder turned `\\/` into `/`, so turn it back."""
    return "/" + pattern.replace("/", "\\/") + "/" + ("i" if ignore_case else "")


def literal(value: n.LiteralValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (int, float)):
        return number(value)
    if isinstance(value, dt.datetime):
        return _datetime(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"not a literal: {value!r}")


def _datetime(value: dt.datetime) -> str:
    # The builder keeps datetimes in UTC, so the UTC form is the same instant.
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC)
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond:06d}".rstrip("0")
    return text + "Z"


def number(value: int | float) -> str:
    """An int as digits; a float in positional notation that keeps its point."""
    if isinstance(value, int):
        return str(value)
    text = format(Decimal(repr(value)), "f")  # never `1e+20`: the grammar has no exponent
    return text if "." in text else text + ".0"


def points(value: int | float) -> str:
    """Rule points always carry their sign: `+15`, `-10`, `+2.5`."""
    negative = value < 0 or (isinstance(value, float) and str(value).startswith("-"))
    return ("-" if negative else "+") + number(abs(value))


def list_literal(items: n.ListLiteral) -> str:
    return "[" + ", ".join(literal(item.value) for item in items.items) + "]"


# ============================================================== comments



@attrs.define
class _Comments:
    """Where each comment goes: above a unit, after it, after a block's `{`, or
    at the end of a block (before its `}`) or of the file (key 0)."""

    above: dict[int, list[str]] = attrs.field(factory=dict)
    after: dict[int, str] = attrs.field(factory=dict)
    after_open: dict[int, str] = attrs.field(factory=dict)
    at_end: dict[int, list[str]] = attrs.field(factory=dict)


def _children(item: Spanned) -> Sequence[Spanned] | None:
    """The statements of a block (None: the item prints on one line)."""
    if isinstance(item, n.Schema):
        return item.fields
    if isinstance(item, n.Icp):
        return item.statements
    if isinstance(item, n.ScoreBlock):
        return item.statements
    if isinstance(item, n.Tiers):
        return item.tiers
    if isinstance(item, n.Routes):
        return item.routes
    if isinstance(item, n.SetDecl):
        return item.items.items
    return None


def _contains(unit: Spanned, offset: int) -> bool:
    span = unit.span
    return span.start <= offset < span.end


def _place(comments: Iterable[n.Comment], items: Sequence[Spanned]) -> _Comments:
    placed = _Comments()

    def place_in(units: Sequence[Spanned], comment: n.Comment, text: str, container: int) -> None:
        """A comment among sibling units (none of which contains it)."""
        line, start = comment.span.line, comment.span.start
        before = [
            u for u in units
            if u.span.end_line == line and u.span.end <= start
        ]
        if before:
            owner = max(before, key=lambda u: u.span.end)
            if id(owner) not in placed.after:
                placed.after[id(owner)] = text
                return
        following = [u for u in units if u.span.start > start]
        if following:
            placed.above.setdefault(id(following[0]), []).append(text)
        else:
            placed.at_end.setdefault(container, []).append(text)

    for comment in sorted(comments, key=lambda c: c.span.start):
        text = comment.text.rstrip()
        offset = comment.span.start
        owner = next((item for item in items if _contains(item, offset)), None)
        if owner is None:
            place_in(items, comment, text, 0)
            continue
        children = _children(owner)
        if children is None:
            # Inside a one-line item (a long `let`): keep it just above the item.
            placed.above.setdefault(id(owner), []).append(text)
            continue
        inner = next((child for child in children if _contains(child, offset)), None)
        if inner is not None:
            placed.above.setdefault(id(inner), []).append(text)
            continue
        trailing = [
            c for c in children
            if c.span.end_line == comment.span.line and c.span.end <= offset
        ]
        if not trailing and comment.span.line == owner.span.line and (
            id(owner) not in placed.after_open
        ):
            placed.after_open[id(owner)] = text
            continue
        place_in(children, comment, text, id(owner))
    return placed


# ================================================================= layout

Item = n.PolicyDecl | n.Schema | n.SetDecl | n.LetDecl | n.Include | n.Icp | n.ScoreBlock | n.Tiers | n.Routes


class _Printer:
    def __init__(self, module: n.Module):
        self.module = module
        self.comments = _place(module.comments, module.items)
        self.lines: list[str] = []
        rules = [rule for block in module.all(n.ScoreBlock) for rule in block.rules]
        # One table for all score blocks, as in the contract's example.
        self.rule_name_width = max((len(r.name) for r in rules), default=0)
        self.points_width = max((len(points(r.points)) for r in rules), default=0)

    # ---------------------------------------------------------- helpers
    def emit(self, unit: object, text: str, indent: int = 0) -> None:
        """A unit's line, with the comments above and after it."""
        pad = INDENT * indent
        for comment in self.comments.above.get(id(unit), ()):
            self.lines.append(pad + comment)
        after = self.comments.after.get(id(unit))
        self.lines.append(pad + text + (f"  {after}" if after else ""))

    def open_block(self, item: object, header: str, body: Sequence[object]) -> bool:
        """`header {` (or `header {}` when empty); True when the body is open."""
        after_open = self.comments.after_open.get(id(item))
        empty = not body and not self.comments.at_end.get(id(item)) and after_open is None
        if empty:
            self.emit(item, header + " {}")
            return False
        for comment in self.comments.above.get(id(item), ()):
            self.lines.append(comment)
        self.lines.append(header + " {" + (f"  {after_open}" if after_open else ""))
        return True

    def close_block(self, item: object) -> None:
        for comment in self.comments.at_end.get(id(item), ()):
            self.lines.append(INDENT + comment)
        after = self.comments.after.get(id(item))
        self.lines.append("}" + (f"  {after}" if after else ""))

    # ------------------------------------------------------------ items
    def module_text(self) -> str:
        groups = self.groups()
        for index, group in enumerate(groups):
            if index:
                self.lines.append("")
            self.group(group)
        end = self.comments.at_end.get(0, [])
        if end:
            if self.lines:
                self.lines.append("")
            self.lines.extend(end)
        return "\n".join(self.lines) + "\n" if self.lines else ""

    def groups(self) -> list[list[Item]]:
        """Consecutive sets, lets or includes stay together (one blank line
        between groups); a comment above one of them starts a new group."""
        groups: list[list[Item]] = []
        for item in self.module.items:
            previous = groups[-1][-1] if groups else None
            joins = (
                previous is not None
                and type(item) is type(previous)
                and isinstance(item, (n.SetDecl, n.LetDecl, n.Include))
                and not self.comments.above.get(id(item))
            )
            if joins:
                groups[-1].append(item)
            else:
                groups.append([item])
        return groups

    def group(self, group: list[Item]) -> None:
        width = max((len(getattr(item, "name", "")) for item in group), default=0)
        for item in group:
            if isinstance(item, n.PolicyDecl):
                title = f" {literal(item.title)}" if item.title is not None else ""
                self.emit(item, f"policy {item.name}{title}")
            elif isinstance(item, n.Include):
                self.emit(item, f"include {literal(item.path)}")
            elif isinstance(item, n.SetDecl):
                self.set_decl(item, width)
            elif isinstance(item, n.LetDecl):
                self.emit(item, f"let {item.name:<{width}} = {expression(item.value)}")
            elif isinstance(item, n.Schema):
                self.schema(item)
            elif isinstance(item, n.Icp):
                self.icp(item)
            elif isinstance(item, n.ScoreBlock):
                self.score(item)
            elif isinstance(item, n.Tiers):
                self.tiers(item)
            elif isinstance(item, n.Routes):
                self.routes(item)
            else:  # pragma: no cover - a new node type the printer does not know
                raise TypeError(f"cannot print {type(item).__name__}")

    def set_decl(self, item: n.SetDecl, width: int) -> None:
        head = f"set {item.name:<{width}} = "
        one_line = head + list_literal(item.items)
        elements = item.items.items
        commented = (
            any(id(x) in self.comments.above or id(x) in self.comments.after for x in elements)
            or id(item) in self.comments.at_end
            or id(item) in self.comments.after_open
        )
        if len(one_line) <= LINE_LENGTH and not commented:
            self.emit(item, one_line)
            return
        # Long or commented: one item per line, each item's comments with it.
        for comment in self.comments.above.get(id(item), ()):
            self.lines.append(comment)
        after_open = self.comments.after_open.get(id(item))
        self.lines.append(head + "[" + (f"  {after_open}" if after_open else ""))
        for element in elements:
            self.emit(element, literal(element.value) + ",", 1)
        for comment in self.comments.at_end.get(id(item), ()):
            self.lines.append(INDENT + comment)
        after = self.comments.after.get(id(item))
        self.lines.append("]" + (f"  {after}" if after else ""))

    def schema(self, item: n.Schema) -> None:
        if not self.open_block(item, "schema", item.fields):
            return
        fields = [name(f.field, in_schema=True) + ":" for f in item.fields]
        width = max(map(len, fields), default=0)
        for field, text in zip(item.fields, fields):
            self.emit(field, f"{text:<{width}} {field.type}", 1)
        self.close_block(item)

    def icp(self, item: n.Icp) -> None:
        if not self.open_block(item, "icp", item.statements):
            return
        words = ["require" if isinstance(s, n.Require) else "reject" for s in item.statements]
        conditions = [expression(s.condition) for s in item.statements]
        word_width = max(map(len, words), default=0)
        condition_width = max(map(len, conditions), default=0)
        for statement, word, condition in zip(item.statements, words, conditions):
            link = "else" if isinstance(statement, n.Require) else "as"
            self.emit(
                statement,
                f"{word:<{word_width}} {condition:<{condition_width}}  {link} "
                f"{literal(statement.reason)}",
                1,
            )
        self.close_block(item)

    def score(self, item: n.ScoreBlock) -> None:
        header = f"score {item.name}"
        if item.max is not None:
            header += f" max {number(item.max)}"
        if item.min is not None:
            header += f" min {number(item.min)}"
        if not self.open_block(item, header, item.statements):
            return
        for statement in item.statements:
            self.emit(statement, self.block_statement(statement), 1)
        self.close_block(item)

    def block_statement(self, statement: n.BlockStatement) -> str:
        if isinstance(statement, n.DecayEvery):
            return f"decay {_decimal_text(statement.percent)}% every {statement.period}"
        if isinstance(statement, n.DecayHalfLife):
            return f"decay half_life {statement.period}"
        if isinstance(statement, n.Expire):
            return f"expire after {statement.after}"
        head = (
            f"rule {statement.name:<{self.rule_name_width}} "
            f"{points(statement.points):>{self.points_width}}  "
        )
        if isinstance(statement, n.WhenRule):
            return head + "when " + expression(statement.condition)
        text = head + f"per event {literal(statement.event_type)}"
        if statement.where is not None:
            text += " where " + expression(statement.where)
        if statement.max is not None:
            text += f" max {statement.max}"
        return text

    def tiers(self, item: n.Tiers) -> None:
        if not self.open_block(item, "tiers", item.tiers):
            return
        width = max((len(t.name) for t in item.tiers), default=0)
        for tier in item.tiers:
            self.emit(tier, f"tier {tier.name:<{width}}  {_outcome(tier.condition)}", 1)
        self.close_block(item)

    def routes(self, item: n.Routes) -> None:
        if not self.open_block(item, "route", item.routes):
            return
        queues = [literal(r.queue) for r in item.routes]
        width = max(map(len, queues), default=0)
        for route, queue in zip(item.routes, queues):
            self.emit(route, f"to {queue:<{width}} {_outcome(route.condition)}", 1)
        self.close_block(item)


def _outcome(condition: n.Expr | None) -> str:
    return "otherwise" if condition is None else "when " + expression(condition)


def format_module(module: n.Module) -> str:
    """A parsed file in the canonical layout (text ends with one newline)."""
    return _Printer(module).module_text()
