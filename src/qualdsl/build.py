"""Stage 2: lark parse tree -> nodes.Module (the AST), with spans.

A builder of its own (not `Lark(transformer=...)`), which also computes
every node's span from the tokens under it.
Literal values are decoded here; a bad literal (a date that does not exist)
is collected as a diagnostic.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from decimal import Decimal
from typing import Any

import attrs
import lark
from lark import Token

from . import nodes as n
from .diagnostics import Diagnostic
from .errors import ParseError
from .source import UNKNOWN_SPAN, Source, Span

# Tokens that carry meaning; every other token (keywords, braces, commas)
# only contributes its position to the node's span.
_MEANINGFUL = frozenset({
    "NAME", "QUOTED_NAME", "STRING", "NUMBER", "DATE", "DATETIME", "DURATION", "PERCENT",
    "REGEX", "COMPARE_OP", "ADD_OP", "MUL_OP", "STRING_TEST",
})


@attrs.frozen
class _Otherwise:
    """`otherwise`, kept as a value so its position reaches the statement's span."""

    span: Span


@attrs.frozen
class _Paren:
    """`( expr )`: the expression keeps its own span; its parent's span
    reaches the parentheses."""

    node: Any
    span: Span


# A rule's children as the builder sees them: tokens, built nodes and the
# helper values above, in the order the grammar fixes (so indexing is safe).
Children = list[Any]

# A block or event setting (`max 40`, `where ...`): (keyword, value, span),
# picked out of its parent's children by the keyword.
_Setting = tuple[str, Any, Span]

_new_span = tuple.__new__


def _token_span(token: Token) -> Span:
    return _new_span(Span, (token.start_pos, token.end_pos, token.line, token.column,
                            token.end_line, token.end_column))


def _edge(child: Any, last: bool) -> Span | None:
    """The span at one end of a built child: a token, an AST node, or a
    helper tuple holding either."""
    kind = type(child)
    if kind is Token:
        return _token_span(child)
    if kind is Span:
        span: Span = child  # `type() is` rather than isinstance: the hot loop
        return span
    found: Span | None = getattr(child, "span", None)
    if found is not None:
        return found
    if kind is tuple or kind is list:
        for item in reversed(child) if last else child:
            edge = _edge(item, last)
            if edge is not None:
                return edge
    return None


def _span_of(children: Children) -> Span:
    if not children:
        return UNKNOWN_SPAN
    first = _edge(children[0], False)
    if first is None:
        for child in children[1:]:
            first = _edge(child, False)
            if first is not None:
                break
        else:
            return UNKNOWN_SPAN
    last = _edge(children[-1], True) if len(children) > 1 else first
    if last is None:
        for child in reversed(children[:-1]):
            last = _edge(child, True)
            if last is not None:
                break
        else:
            last = first  # not reached: `first` came from one of these children
    return _new_span(Span, (first.start, last.end, first.line, first.column, last.end_line, last.end_column))


def parse_datetime_literal(text: str) -> dt.datetime:
    """`2026-01-31T09:30:00Z` (or an offset, or no zone meaning UTC) -> aware datetime."""
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


class _Builder:
    """One method per grammar rule, called bottom-up with (span, children).

    A direct walk rather than lark's Transformer: this is the hot loop of
    compiling a policy, and parse.py already bounds the tree's depth."""

    def __init__(self, source: Source):
        self.source = source
        self.diagnostics: list[Diagnostic] = []

    def transform(self, tree: lark.Tree[Token]) -> Any:
        children = [self.transform(c) if type(c) is lark.Tree else c for c in tree.children]
        kept = [
            c.node if type(c) is _Paren else c
            for c in children
            if not (type(c) is Token and c.type not in _MEANINGFUL)
        ]
        # The span covers all the rule's tokens, keywords and braces included.
        return getattr(self, tree.data)(_span_of(children), kept)

    def atom(self, span: Span, children: Children) -> _Paren:
        return _Paren(children[0], span)

    def _error(self, code: str, message: str, span: Span, help: str | None = None) -> None:
        self.diagnostics.append(
            Diagnostic.error(message, self.source.path, span, help=help, code=code, source_text=self.source.text)
        )

    # ------------------------------------------------------------ top level
    def start(self, span: Span, items: Children) -> Children:
        return items

    def policy_decl(self, span: Span, children: Children) -> n.PolicyDecl:
        title = _string(children[1]) if len(children) > 1 else None
        return n.PolicyDecl(str(children[0]), title, span=span)

    def include_decl(self, span: Span, children: Children) -> n.Include:
        return n.Include(_string(children[0]), span=span)

    def schema_decl(self, span: Span, children: Children) -> n.Schema:
        return n.Schema(tuple(children), span=span)

    def schema_field(self, span: Span, children: Children) -> n.SchemaField:
        return n.SchemaField(children[0], children[1], span=span)

    def type_ref(self, span: Span, children: Children) -> n.TypeRef:
        argument = str(children[1]) if len(children) > 1 else None
        return n.TypeRef(str(children[0]), argument, span=span)

    def set_decl(self, span: Span, children: Children) -> n.SetDecl:
        return n.SetDecl(str(children[0]), children[1], span=span)

    def let_decl(self, span: Span, children: Children) -> n.LetDecl:
        return n.LetDecl(str(children[0]), children[1], span=span)

    # ------------------------------------------------------------------ icp
    def icp_block(self, span: Span, children: Children) -> n.Icp:
        return n.Icp(tuple(children), span=span)

    def require_stmt(self, span: Span, children: Children) -> n.Require:
        return n.Require(children[0], _string(children[1]), span=span)

    def reject_stmt(self, span: Span, children: Children) -> n.Reject:
        return n.Reject(children[0], _string(children[1]), span=span)

    # --------------------------------------------------------------- scores
    def score_block(self, span: Span, children: Children) -> n.ScoreBlock:
        name = str(children[0])
        maximum = minimum = None
        statements = []
        for child in children[1:]:
            if isinstance(child, tuple) and child[0] == "max":
                if maximum is not None:
                    self._error("QE022", "`max` is given twice for this block", child[2])
                maximum = child[1]
            elif isinstance(child, tuple) and child[0] == "min":
                if minimum is not None:
                    self._error("QE022", "`min` is given twice for this block", child[2])
                minimum = child[1]
            else:
                statements.append(child)
        return n.ScoreBlock(name, maximum, minimum, tuple(statements), span=span)

    def block_max(self, span: Span, children: Children) -> _Setting:
        return ("max", children[0].value, span)

    def block_min(self, span: Span, children: Children) -> _Setting:
        return ("min", children[0].value, span)

    def decay_every(self, span: Span, children: Children) -> n.DecayEvery:
        percent = Decimal(str(children[0])[:-1])
        return n.DecayEvery(percent, self._duration(children[1]), span=span)

    def decay_half_life(self, span: Span, children: Children) -> n.DecayHalfLife:
        return n.DecayHalfLife(self._duration(children[0]), span=span)

    def expire_stmt(self, span: Span, children: Children) -> n.Expire:
        return n.Expire(self._duration(children[0]), span=span)

    def when_rule(self, span: Span, children: Children) -> n.WhenRule:
        name, points, condition = children
        return n.WhenRule(str(name), points.value, condition, span=span)

    def event_rule(self, span: Span, children: Children) -> n.EventRule:
        name, points, event_type = children[:3]
        where = limit = None
        for child in children[3:]:
            if isinstance(child, tuple) and child[0] == "where":
                where = child[1]
            elif isinstance(child, tuple) and child[0] == "max":
                limit = child[1]
        return n.EventRule(
            str(name), points.value, _string(event_type), where, limit, span=span
        )

    def event_where(self, span: Span, children: Children) -> _Setting:
        return ("where", children[0], span)

    def event_max(self, span: Span, children: Children) -> _Setting:
        token = children[0]
        text = str(token)
        value = self._number(text, Span.from_token(token))
        if "." in text:
            self._error(
                "QE023", f"`max` takes a whole number of events, not `{_shown(text)}`", Span.from_token(token)
            )
        return ("max", int(value), span)

    # -------------------------------------------------------- tiers, route
    def tiers_block(self, span: Span, children: Children) -> n.Tiers:
        return n.Tiers(tuple(children), span=span)

    def tier_stmt(self, span: Span, children: Children) -> n.Tier:
        condition = None if isinstance(children[1], _Otherwise) else children[1]
        return n.Tier(str(children[0]), condition, span=span)

    def route_block(self, span: Span, children: Children) -> n.Routes:
        return n.Routes(tuple(children), span=span)

    def route_stmt(self, span: Span, children: Children) -> n.Route:
        condition = None if isinstance(children[1], _Otherwise) else children[1]
        return n.Route(_string(children[0]), condition, span=span)

    def otherwise(self, span: Span, children: Children) -> _Otherwise:
        return _Otherwise(span)

    # ---------------------------------------------------------- expressions
    def or_expr(self, span: Span, children: Children) -> n.Or:
        return n.Or(tuple(children), span=span)

    def and_expr(self, span: Span, children: Children) -> n.And:
        return n.And(tuple(children), span=span)

    def not_(self, span: Span, children: Children) -> n.Not:
        return n.Not(children[0], span=span)

    def compare(self, span: Span, children: Children) -> n.Compare:
        left, op, right = children
        return n.Compare(str(op), left, right, span=span)

    def in_(self, span: Span, children: Children) -> n.In:
        return n.In(children[0], children[1], False, span=span)

    def not_in(self, span: Span, children: Children) -> n.In:
        return n.In(children[0], children[1], True, span=span)

    def between(self, span: Span, children: Children) -> n.Between:
        return n.Between(children[0], children[1], children[2], span=span)

    def string_test(self, span: Span, children: Children) -> n.StringTest:
        left, op, right = children
        return n.StringTest(str(op), left, right, span=span)

    def matches(self, span: Span, children: Children) -> n.Matches:
        value, token = children
        text = str(token)
        ignore_case = text.endswith("i")
        body = text[1 : -2 if ignore_case else -1].replace("\\/", "/")
        return n.Matches(value, body, ignore_case, span=span)

    def is_missing(self, span: Span, children: Children) -> n.IsMissing:
        return n.IsMissing(children[0], False, span=span)

    def is_present(self, span: Span, children: Children) -> n.IsMissing:
        return n.IsMissing(children[0], True, span=span)

    def arith(self, span: Span, children: Children) -> n.Arith:
        left, op, right = children
        return n.Arith(str(op), left, right, span=span)

    def unary(self, span: Span, children: Children) -> n.Expr | _Paren:
        op, operand = children
        if str(op) == "+":
            return _Paren(operand, span)  # dropped, but its parent's span keeps the `+`
        return n.Negate(operand, span=span)

    def call(self, span: Span, children: Children) -> n.Call:
        return n.Call(str(children[0]), tuple(children[1:]), span=span)

    def events_query(self, span: Span, children: Children) -> n.EventsQuery:
        where = within = None
        for child in children:
            if isinstance(child, Token) and child.type == "DURATION":
                within = self._duration(child)
            else:
                where = child
        return n.EventsQuery(where, within, span=span)

    def path(self, span: Span, children: Children) -> n.Name:
        # Segments: NAME tokens, or QUOTED_NAME tokens with their backticks.
        segments = tuple(str(t)[1:-1] if t.type == "QUOTED_NAME" else str(t) for t in children)
        quoted = tuple(t.type == "QUOTED_NAME" for t in children)
        return n.Name(segments, quoted, span=span)

    # ------------------------------------------------------------- literals
    def list_literal(self, span: Span, children: Children) -> n.ListLiteral:
        return n.ListLiteral(tuple(children), span=span)

    def string(self, span: Span, children: Children) -> n.Literal:
        return n.Literal(_string(children[0]), span=span)

    def number(self, span: Span, children: Children) -> n.Literal:
        return n.Literal(self._number(str(children[0]), span), span=span)

    def signed_number(self, span: Span, children: Children) -> n.Literal:
        text = "".join(str(c) for c in children)
        return n.Literal(self._number(text, span), span=span)

    def _number(self, text: str, span: Span) -> int | float:
        """A number literal: an int, or a float for `1.5`. Numbers are float64
        in the language, so a literal float64 cannot hold is refused (and a
        long literal is never converted digit by digit: no 4,300-digit limit)."""
        exact = Decimal(text)
        if abs(exact) > _LARGEST_NUMBER:
            self._error(
                "QE026", f"the number `{_shown(text)}` is out of range",
                span, help="numbers are at most about 1.8e308 in size (float64)",
            )
            return 0
        return float(exact) if "." in text else int(exact)

    def true(self, span: Span, children: Children) -> n.Literal:
        return n.Literal(True, span=span)

    def false(self, span: Span, children: Children) -> n.Literal:
        return n.Literal(False, span=span)

    def date(self, span: Span, children: Children) -> n.Literal:
        text = str(children[0])
        try:
            value: Any = dt.date.fromisoformat(text)
        except ValueError:
            self._error("QE024", f"`{text}` is not a valid date", span)
            value = dt.date(1970, 1, 1)
        return n.Literal(value, span=span)

    def datetime(self, span: Span, children: Children) -> n.Literal:
        text = str(children[0])
        try:
            value: Any = parse_datetime_literal(text)
        except ValueError:
            self._error("QE025", f"`{text}` is not a valid datetime", span)
            value = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
        except OverflowError:
            self._error(
                "QE027", f"the datetime `{text}` is out of range", span,
                help="a datetime must be between years 1 and 9999 once converted to UTC",
            )
            value = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
        return n.Literal(value, span=span)

    def _duration(self, token: Token) -> n.Duration:
        text = str(token)
        return n.Duration(Decimal(text[:-1]), text[-1], span=Span.from_token(token))


def _string(token: Any) -> str:
    text: str = json.loads(str(token))  # a STRING token is a JSON string literal
    return text


_LARGEST_NUMBER = Decimal(sys.float_info.max)


def _shown(text: str) -> str:
    """A literal as a message quotes it: a very long one is cut."""
    return text if len(text) <= 40 else f"{text[:20]}...{text[-10:]}"


def build(tree: lark.Tree[Token], source: Source, comments: list[Token] | None = None) -> n.Module:
    """Turn a parse tree into a Module; raise ParseError on bad literals."""
    builder = _Builder(source)
    items = builder.transform(tree)
    if builder.diagnostics:
        raise ParseError(builder.diagnostics)
    comment_nodes = tuple(
        n.Comment(str(token), span=Span.from_token(token)) for token in (comments or ())
    )
    return n.Module(tuple(items), comment_nodes, path=source.path, span=source.span_at(0, len(source.text)))


def parse_module(source: Source) -> n.Module:
    """Parse and build one file's AST."""
    from .parse import parse

    tree, comments = parse(source)
    return build(tree, source, comments)
