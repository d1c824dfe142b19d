"""Stage 2: lark parse tree -> nodes.Module (the AST), with spans.

A Transformer of its own (not `Lark(transformer=...)`) so positions survive.
Literal values are decoded here; a bad literal (a date that does not exist)
is collected as a diagnostic.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import lark
from lark import Token, Transformer, v_args

from . import nodes as n
from .diagnostics import Diagnostic
from .errors import ParseError
from .source import Source, Span

_OTHERWISE = object()


def parse_datetime_literal(text: str) -> dt.datetime:
    """`2026-01-31T09:30:00Z` (or an offset, or no zone meaning UTC) -> aware datetime."""
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc)


@v_args(meta=True)
class _Builder(Transformer):
    def __init__(self, source: Source):
        super().__init__(visit_tokens=False)
        self.source = source
        self.diagnostics: list[Diagnostic] = []

    def _error(self, message: str, span: Span, help: str | None = None) -> None:
        self.diagnostics.append(
            Diagnostic.error(message, self.source.path, span, help=help, source_text=self.source.text)
        )

    # ------------------------------------------------------------ top level
    def start(self, meta: Any, items: list) -> list:
        return items

    def policy_decl(self, meta: Any, children: list) -> n.PolicyDecl:
        title = _string(children[1]) if len(children) > 1 else None
        return n.PolicyDecl(str(children[0]), title, span=Span.from_meta(meta))

    def include_decl(self, meta: Any, children: list) -> n.Include:
        return n.Include(_string(children[0]), span=Span.from_meta(meta))

    def schema_decl(self, meta: Any, children: list) -> n.Schema:
        return n.Schema(tuple(children), span=Span.from_meta(meta))

    def schema_field(self, meta: Any, children: list) -> n.SchemaField:
        return n.SchemaField(children[0], children[1], span=Span.from_meta(meta))

    def type_ref(self, meta: Any, children: list) -> n.TypeRef:
        argument = str(children[1]) if len(children) > 1 else None
        return n.TypeRef(str(children[0]), argument, span=Span.from_meta(meta))

    def set_decl(self, meta: Any, children: list) -> n.SetDecl:
        return n.SetDecl(str(children[0]), children[1], span=Span.from_meta(meta))

    def let_decl(self, meta: Any, children: list) -> n.LetDecl:
        return n.LetDecl(str(children[0]), children[1], span=Span.from_meta(meta))

    # ------------------------------------------------------------------ icp
    def icp_block(self, meta: Any, children: list) -> n.Icp:
        return n.Icp(tuple(children), span=Span.from_meta(meta))

    def require_stmt(self, meta: Any, children: list) -> n.Require:
        return n.Require(children[0], _string(children[1]), span=Span.from_meta(meta))

    def reject_stmt(self, meta: Any, children: list) -> n.Reject:
        return n.Reject(children[0], _string(children[1]), span=Span.from_meta(meta))

    # --------------------------------------------------------------- scores
    def score_block(self, meta: Any, children: list) -> n.ScoreBlock:
        name = str(children[0])
        maximum = minimum = None
        statements = []
        for child in children[1:]:
            if isinstance(child, tuple) and child[0] == "max":
                if maximum is not None:
                    self._error("`max` is given twice for this block", child[2])
                maximum = child[1]
            elif isinstance(child, tuple) and child[0] == "min":
                if minimum is not None:
                    self._error("`min` is given twice for this block", child[2])
                minimum = child[1]
            else:
                statements.append(child)
        return n.ScoreBlock(name, maximum, minimum, tuple(statements), span=Span.from_meta(meta))

    def block_max(self, meta: Any, children: list) -> tuple:
        return ("max", children[0].value, Span.from_meta(meta))

    def block_min(self, meta: Any, children: list) -> tuple:
        return ("min", children[0].value, Span.from_meta(meta))

    def decay_every(self, meta: Any, children: list) -> n.DecayEvery:
        percent = Decimal(str(children[0])[:-1])
        return n.DecayEvery(percent, self._duration(children[1]), span=Span.from_meta(meta))

    def decay_half_life(self, meta: Any, children: list) -> n.DecayHalfLife:
        return n.DecayHalfLife(self._duration(children[0]), span=Span.from_meta(meta))

    def expire_stmt(self, meta: Any, children: list) -> n.Expire:
        return n.Expire(self._duration(children[0]), span=Span.from_meta(meta))

    def when_rule(self, meta: Any, children: list) -> n.WhenRule:
        name, points, condition = children
        return n.WhenRule(str(name), points.value, condition, span=Span.from_meta(meta))

    def event_rule(self, meta: Any, children: list) -> n.EventRule:
        name, points, event_type = children[:3]
        where = limit = None
        for child in children[3:]:
            if isinstance(child, tuple) and child[0] == "where":
                where = child[1]
            elif isinstance(child, tuple) and child[0] == "max":
                limit = child[1]
        return n.EventRule(
            str(name), points.value, _string(event_type), where, limit, span=Span.from_meta(meta)
        )

    def event_where(self, meta: Any, children: list) -> tuple:
        return ("where", children[0])

    def event_max(self, meta: Any, children: list) -> tuple:
        token = children[0]
        text = str(token)
        if "." in text:
            self._error(
                f"`max` takes a whole number of events, not `{text}`", Span.from_token(token)
            )
            return ("max", int(float(text)))
        return ("max", int(text))

    # -------------------------------------------------------- tiers, route
    def tiers_block(self, meta: Any, children: list) -> n.Tiers:
        return n.Tiers(tuple(children), span=Span.from_meta(meta))

    def tier_stmt(self, meta: Any, children: list) -> n.Tier:
        condition = None if children[1] is _OTHERWISE else children[1]
        return n.Tier(str(children[0]), condition, span=Span.from_meta(meta))

    def route_block(self, meta: Any, children: list) -> n.Routes:
        return n.Routes(tuple(children), span=Span.from_meta(meta))

    def route_stmt(self, meta: Any, children: list) -> n.Route:
        condition = None if children[1] is _OTHERWISE else children[1]
        return n.Route(_string(children[0]), condition, span=Span.from_meta(meta))

    def otherwise(self, meta: Any, children: list) -> object:
        return _OTHERWISE

    # ---------------------------------------------------------- expressions
    def or_expr(self, meta: Any, children: list) -> n.Or:
        return n.Or(tuple(children), span=Span.from_meta(meta))

    def and_expr(self, meta: Any, children: list) -> n.And:
        return n.And(tuple(children), span=Span.from_meta(meta))

    def not_(self, meta: Any, children: list) -> n.Not:
        return n.Not(children[0], span=Span.from_meta(meta))

    def compare(self, meta: Any, children: list) -> n.Compare:
        left, op, right = children
        return n.Compare(str(op), left, right, span=Span.from_meta(meta))

    def in_(self, meta: Any, children: list) -> n.In:
        return n.In(children[0], children[1], False, span=Span.from_meta(meta))

    def not_in(self, meta: Any, children: list) -> n.In:
        return n.In(children[0], children[1], True, span=Span.from_meta(meta))

    def between(self, meta: Any, children: list) -> n.Between:
        return n.Between(children[0], children[1], children[2], span=Span.from_meta(meta))

    def string_test(self, meta: Any, children: list) -> n.StringTest:
        left, op, right = children
        return n.StringTest(str(op), left, right, span=Span.from_meta(meta))

    def matches(self, meta: Any, children: list) -> n.Matches:
        value, token = children
        text = str(token)
        ignore_case = text.endswith("i")
        body = text[1 : -2 if ignore_case else -1].replace("\\/", "/")
        return n.Matches(value, body, ignore_case, span=Span.from_meta(meta))

    def is_missing(self, meta: Any, children: list) -> n.IsMissing:
        return n.IsMissing(children[0], False, span=Span.from_meta(meta))

    def is_present(self, meta: Any, children: list) -> n.IsMissing:
        return n.IsMissing(children[0], True, span=Span.from_meta(meta))

    def arith(self, meta: Any, children: list) -> n.Arith:
        left, op, right = children
        return n.Arith(str(op), left, right, span=Span.from_meta(meta))

    def unary(self, meta: Any, children: list) -> n.Expr:
        op, operand = children
        if str(op) == "+":
            return operand
        return n.Negate(operand, span=Span.from_meta(meta))

    def call(self, meta: Any, children: list) -> n.Call:
        return n.Call(str(children[0]), tuple(children[1:]), span=Span.from_meta(meta))

    def events_query(self, meta: Any, children: list) -> n.EventsQuery:
        where = within = None
        for child in children:
            if isinstance(child, Token) and child.type == "DURATION":
                within = self._duration(child)
            else:
                where = child
        return n.EventsQuery(where, within, span=Span.from_meta(meta))

    def path(self, meta: Any, children: list) -> n.Name:
        segments = tuple(text for text, _ in children)
        quoted = tuple(flag for _, flag in children)
        return n.Name(segments, quoted, span=Span.from_meta(meta))

    def segment(self, meta: Any, children: list) -> tuple[str, bool]:
        token = children[0]
        if token.type == "QUOTED_NAME":
            return str(token)[1:-1], True
        return str(token), False

    # ------------------------------------------------------------- literals
    def list_literal(self, meta: Any, children: list) -> n.ListLiteral:
        return n.ListLiteral(tuple(children), span=Span.from_meta(meta))

    def string(self, meta: Any, children: list) -> n.Literal:
        return n.Literal(_string(children[0]), span=Span.from_meta(meta))

    def number(self, meta: Any, children: list) -> n.Literal:
        return n.Literal(_number(str(children[0])), span=Span.from_meta(meta))

    def signed_number(self, meta: Any, children: list) -> n.Literal:
        text = "".join(str(c) for c in children)
        return n.Literal(_number(text), span=Span.from_meta(meta))

    def true(self, meta: Any, children: list) -> n.Literal:
        return n.Literal(True, span=Span.from_meta(meta))

    def false(self, meta: Any, children: list) -> n.Literal:
        return n.Literal(False, span=Span.from_meta(meta))

    def date(self, meta: Any, children: list) -> n.Literal:
        text = str(children[0])
        try:
            value: Any = dt.date.fromisoformat(text)
        except ValueError:
            self._error(f"`{text}` is not a valid date", Span.from_meta(meta))
            value = dt.date(1970, 1, 1)
        return n.Literal(value, span=Span.from_meta(meta))

    def datetime(self, meta: Any, children: list) -> n.Literal:
        text = str(children[0])
        try:
            value: Any = parse_datetime_literal(text)
        except ValueError:
            self._error(f"`{text}` is not a valid datetime", Span.from_meta(meta))
            value = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
        return n.Literal(value, span=Span.from_meta(meta))

    def _duration(self, token: Token) -> n.Duration:
        text = str(token)
        return n.Duration(Decimal(text[:-1]), text[-1], span=Span.from_token(token))


def _string(token: Any) -> str:
    return json.loads(str(token))


def _number(text: str) -> int | float:
    if "." in text:
        return float(text)
    return int(text)


def build(tree: lark.Tree, source: Source, comments: list | None = None) -> n.Module:
    """Turn a parse tree into a Module; raise ParseError on bad literals."""
    builder = _Builder(source)
    items = builder.transform(tree)
    if builder.diagnostics:
        raise ParseError(builder.diagnostics)
    comment_nodes = tuple(
        n.Comment(str(token), span=Span.from_token(token)) for token in (comments or ())
    )
    return n.Module(tuple(items), comment_nodes, path=source.path, span=Span.from_meta(tree.meta))


def parse_module(source: Source) -> n.Module:
    """Parse and build one file's AST."""
    from .parse import parse

    tree, comments = parse(source)
    return build(tree, source, comments)
