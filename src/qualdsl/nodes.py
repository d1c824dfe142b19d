"""The policy AST: frozen attrs nodes with source spans.

Spans are excluded from equality, so `==` is semantic equality: two policies
that differ only in layout or comments compare equal (the formatter and the
semantic diff rely on that).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import ClassVar, TypeVar

import attrs

from .source import UNKNOWN_SPAN, Span


def _span() -> Span:
    return attrs.field(default=UNKNOWN_SPAN, eq=False, repr=False, kw_only=True)


# ================================================================ literals

LiteralValue = str | int | float | bool | dt.date | dt.datetime


@attrs.frozen
class Literal:
    """A string, number, boolean, date or datetime written in the policy."""

    value: LiteralValue
    span: Span = _span()


@attrs.frozen
class ListLiteral:
    """`["a", "b"]`: a list of literals."""

    items: tuple[Literal, ...]
    span: Span = _span()


@attrs.frozen
class Duration:
    """`30d`, `12h`, `2w`, `1.5d`: an amount of time."""

    amount: Decimal
    unit: str  # "h", "d" or "w"
    span: Span = _span()

    UNIT_SECONDS: ClassVar[dict[str, int]] = {"h": 3600, "d": 86400, "w": 604800}

    @property
    def microseconds(self) -> int:
        return int(
            (self.amount * self.UNIT_SECONDS[self.unit] * 1_000_000).to_integral_value()
        )

    @property
    def timedelta(self) -> dt.timedelta:
        return dt.timedelta(microseconds=self.microseconds)

    def __str__(self) -> str:
        return f"{_decimal_text(self.amount)}{self.unit}"


def _decimal_text(value: Decimal) -> str:
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


# ============================================================= expressions


@attrs.frozen
class Name:
    """A bare word or dotted path: a field, let, set, outcome or tier, by context."""

    path: tuple[str, ...]
    quoted: tuple[bool, ...] = attrs.field(default=(), eq=False)  # per segment: backticked?
    span: Span = _span()

    @property
    def dotted(self) -> str:
        return ".".join(self.path)

    @property
    def is_bare(self) -> bool:
        """A single, unquoted word: may name a let, set, outcome or tier."""
        return len(self.path) == 1 and not any(self.quoted)


@attrs.frozen
class EventsQuery:
    """`events where CONDITION within DURATION`, the argument of `count`."""

    where: Expr | None
    within: Duration | None
    span: Span = _span()


@attrs.frozen
class Call:
    """A built-in function call: `domain(x)`, `count(events ...)`."""

    function: str
    arguments: tuple[Expr | EventsQuery, ...]
    span: Span = _span()


@attrs.frozen
class Not:
    """`not X`."""

    operand: Expr
    span: Span = _span()


@attrs.frozen
class And:
    """`A and B and ...`."""

    operands: tuple[Expr, ...]
    span: Span = _span()


@attrs.frozen
class Or:
    """`A or B or ...`."""

    operands: tuple[Expr, ...]
    span: Span = _span()


@attrs.frozen
class Compare:
    """`A op B` with op one of == != < <= > >=."""

    op: str
    left: Expr
    right: Expr
    span: Span = _span()


@attrs.frozen
class In:
    """`X in LIST` or, negated, `X not in LIST`."""

    item: Expr
    container: Expr
    negated: bool = False
    span: Span = _span()


@attrs.frozen
class Between:
    """`X between LOW and HIGH`, inclusive."""

    value: Expr
    low: Expr
    high: Expr
    span: Span = _span()


@attrs.frozen
class StringTest:
    """`A contains B`, `A starts_with B`, `A ends_with B`."""

    op: str
    left: Expr
    right: Expr
    span: Span = _span()


@attrs.frozen
class Matches:
    """`X matches /pattern/flags`."""

    value: Expr
    pattern: str
    ignore_case: bool = False
    span: Span = _span()


@attrs.frozen
class IsMissing:
    """`X is missing` or, negated, `X is present`."""

    value: Expr
    negated: bool = False
    span: Span = _span()


@attrs.frozen
class Arith:
    """`A + B`, `A - B`, `A * B`, `A / B`."""

    op: str
    left: Expr
    right: Expr
    span: Span = _span()


@attrs.frozen
class Negate:
    """`-X` (a unary `+X` is dropped by the builder)."""

    operand: Expr
    span: Span = _span()


Expr = (
    Literal | ListLiteral | Name | Call | Not | And | Or | Compare | In | Between | StringTest
    | Matches | IsMissing | Arith | Negate
)

# ============================================================ declarations


@attrs.frozen
class PolicyDecl:
    """`policy NAME "title"`."""

    name: str
    title: str | None = None
    span: Span = _span()


@attrs.frozen
class TypeRef:
    """A schema type: `int`, `list[string]`, ..."""

    name: str
    argument: str | None = None
    span: Span = _span()

    def __str__(self) -> str:
        return f"{self.name}[{self.argument}]" if self.argument else self.name


@attrs.frozen
class SchemaField:
    """`company.employees: int`."""

    field: Name
    type: TypeRef
    span: Span = _span()


@attrs.frozen
class Schema:
    """`schema { ... }`."""

    fields: tuple[SchemaField, ...]
    span: Span = _span()


@attrs.frozen
class SetDecl:
    """`set NAME = [...]`."""

    name: str
    items: ListLiteral
    span: Span = _span()


@attrs.frozen
class LetDecl:
    """`let NAME = EXPR`."""

    name: str
    value: Expr
    span: Span = _span()


@attrs.frozen
class Include:
    """`include "path.qual"`."""

    path: str
    span: Span = _span()


@attrs.frozen
class Require:
    """`require CONDITION else "reason"`: fails the lead unless CONDITION holds."""

    condition: Expr
    reason: str
    span: Span = _span()


@attrs.frozen
class Reject:
    """`reject CONDITION as "reason"`: fails the lead when CONDITION holds."""

    condition: Expr
    reason: str
    span: Span = _span()


IcpStatement = Require | Reject


@attrs.frozen
class Icp:
    """`icp { ... }`."""

    statements: tuple[IcpStatement, ...]
    span: Span = _span()


@attrs.frozen
class DecayEvery:
    """`decay P% every D`: stepwise decay."""

    percent: Decimal
    period: Duration
    span: Span = _span()


@attrs.frozen
class DecayHalfLife:
    """`decay half_life D`: continuous decay."""

    period: Duration
    span: Span = _span()


@attrs.frozen
class Expire:
    """`expire after D`."""

    after: Duration
    span: Span = _span()


@attrs.frozen
class WhenRule:
    """`rule NAME POINTS when CONDITION`."""

    name: str
    points: int | float
    condition: Expr
    span: Span = _span()


@attrs.frozen
class EventRule:
    """`rule NAME POINTS per event "TYPE" [where CONDITION] [max K]`."""

    name: str
    points: int | float
    event_type: str
    where: Expr | None = None
    max: int | None = None
    span: Span = _span()


Rule = WhenRule | EventRule
BlockStatement = DecayEvery | DecayHalfLife | Expire | WhenRule | EventRule


@attrs.frozen
class ScoreBlock:
    """`score NAME [max N] [min N] { ... }`; statements keep source order."""

    name: str
    max: int | float | None
    min: int | float | None
    statements: tuple[BlockStatement, ...]
    span: Span = _span()

    @property
    def rules(self) -> tuple[Rule, ...]:
        return tuple(s for s in self.statements if isinstance(s, (WhenRule, EventRule)))

    @property
    def decay(self) -> DecayEvery | DecayHalfLife | None:
        return next(
            (s for s in self.statements if isinstance(s, (DecayEvery, DecayHalfLife))), None
        )

    @property
    def expire(self) -> Expire | None:
        return next((s for s in self.statements if isinstance(s, Expire)), None)


@attrs.frozen
class Tier:
    """`tier NAME when CONDITION`, or `tier NAME otherwise` (condition None)."""

    name: str
    condition: Expr | None
    span: Span = _span()


@attrs.frozen
class Tiers:
    """`tiers { ... }`."""

    tiers: tuple[Tier, ...]
    span: Span = _span()


@attrs.frozen
class Route:
    """`to "QUEUE" when CONDITION`, or `to "QUEUE" otherwise` (condition None)."""

    queue: str
    condition: Expr | None
    span: Span = _span()


@attrs.frozen
class Routes:
    """`route { ... }`."""

    routes: tuple[Route, ...]
    span: Span = _span()


Item = PolicyDecl | Schema | SetDecl | LetDecl | Include | Icp | ScoreBlock | Tiers | Routes


@attrs.frozen
class Comment:
    """A `# ...` comment; kept for the formatter, not part of the meaning."""

    text: str
    span: Span = _span()


_ItemT = TypeVar("_ItemT")


@attrs.frozen
class Module:
    """One parsed file: its top-level items in order, and its comments."""

    items: tuple[Item, ...]
    comments: tuple[Comment, ...] = attrs.field(default=(), eq=False)
    path: str = attrs.field(default="<string>", eq=False)
    span: Span = _span()

    def first(self, kind: type[_ItemT]) -> _ItemT | None:
        return next((item for item in self.items if isinstance(item, kind)), None)

    def all(self, kind: type[_ItemT]) -> tuple[_ItemT, ...]:
        return tuple(item for item in self.items if isinstance(item, kind))
