"""The typed IR: what a checked policy means, for every backend and tool.

`lower.py` builds it from a CheckedPolicy; the Python backend
(`backends/python.py`), the SQL backend, `explain`, the JSON export and the
policy hash read it. Nothing here is a convention of one generator: every
name is resolved (a field, a let, a set's values, an outcome, a tier), every
expression carries its static type and whether it can be missing, and the
language's rules that a generator must honour are spelled out on the nodes
that need them.

The semantics every backend implements (the contract, language.md):

- Missing is one value. A `FieldRef` is missing when the lead lacks the
  field, has null, or (declared fields) has a value that does not coerce to
  the declared type (which also adds the coercion warning).
- Comparisons and string tests are two-valued: any missing operand makes
  them false (`!=` and `not in` included); values of different kinds are
  never equal nor ordered; strings compare by Unicode casefold; `Truth`
  turns a value into a condition (true only for the boolean true).
- Arithmetic with a missing operand, or division by zero, is missing;
  ints stay exact, `/` gives a float.
- Events (`Policy.events`) exist as of T only when `at <= T`; they are
  taken most recent first, ties going to the later element of the input.

Format changes are additive; `FORMAT` is bumped when a node kind is added or
a field changes meaning. Planned v1.1 constructs (maps, labels, computed
queues, typed event fields, missing markers, date formats) fit as new node
kinds: `MapLookup`/`OneOf` as `Choice.target` expressions, `Label` as a new
first-match list on `Policy`, markers and formats as fields of `Field`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

from .source import Span

FORMAT = 1

# Static types use schema.py's vocabulary: string, int, number, bool, date,
# datetime, list[string], list[number], list[datetime], list[bool],
# list[any], events, tier, any.
Type = str
LiteralValue = str | int | float | bool | dt.date | dt.datetime


@attrs.frozen
class Loc:
    """Where a node came from: a file and a span in it (not part of meaning)."""

    path: str
    span: Span


def _loc() -> Any:
    return attrs.field(default=None, eq=False, repr=False, kw_only=True)


# ============================================================ expressions


@attrs.frozen(kw_only=True)
class Const:
    """A literal value: a string, number, boolean, date or datetime."""

    value: LiteralValue
    type: Type
    nullable: bool = False
    loc: Loc | None = _loc()


@attrs.frozen(kw_only=True)
class ConstList:
    """A list of literals: a list literal, or a set's items (`set` names it)."""

    values: tuple[LiteralValue, ...]
    type: Type
    set: str | None = None
    nullable: bool = False
    loc: Loc | None = _loc()


@attrs.frozen(kw_only=True)
class FieldRef:
    """A lead field, after coercion to its declared type (`Policy.fields`)."""

    path: tuple[str, ...]
    type: Type
    nullable: bool = True
    loc: Loc | None = _loc()

    @property
    def name(self) -> str:
        return ".".join(self.path)


@attrs.frozen(kw_only=True)
class EventsRef:
    """The lead's events list itself (only `is missing`/`is present` read it)."""

    type: Type = "events"
    nullable: bool = True
    loc: Loc | None = _loc()


@attrs.frozen(kw_only=True)
class EventAttr:
    """Inside `where`: the event's `type`, `at`, or another key it carries
    (looked up like a lead field: nested, then the flat dotted key; untyped)."""

    path: tuple[str, ...]
    type: Type
    nullable: bool
    loc: Loc | None = _loc()

    @property
    def name(self) -> str:
        return ".".join(self.path)


@attrs.frozen(kw_only=True)
class LetRef:
    """A let, by name (`Policy.lets` holds its value, in dependency order)."""

    name: str
    type: Type
    nullable: bool
    loc: Loc | None = _loc()


@attrs.frozen(kw_only=True)
class Outcome:
    """In tiers and routes: `score` (the total), a block's total, `icp`
    (passed), and in routes `tier` (the tier name, null when there is none)."""

    outcome: str  # "total", "block", "icp" or "tier"
    block: str | None = None
    type: Type = "number"
    nullable: bool = False
    loc: Loc | None = _loc()


@attrs.frozen(kw_only=True)
class TierConst:
    """A tier name written in a route condition (`tier == SQL`); compares as text."""

    name: str
    type: Type = "tier"
    nullable: bool = False
    loc: Loc | None = _loc()


@attrs.frozen(kw_only=True)
class Call:
    """A built-in function (functions.py); missing in, missing out."""

    function: str
    arguments: tuple[Expr, ...]
    type: Type
    nullable: bool = True
    loc: Loc | None = _loc()


@attrs.frozen(kw_only=True)
class Count:
    """`count(events where CONDITION within D)`: existing events that pass
    `where` and whose age `T - at` is at most `within` (microseconds)."""

    where: Expr | None
    within: int | None
    type: Type = "int"
    nullable: bool = False
    loc: Loc | None = _loc()


@attrs.frozen(kw_only=True)
class Truth:
    """A value used as a condition: true only when it is the boolean true."""

    operand: Expr
    type: Type = "bool"
    nullable: bool = False
    loc: Loc | None = _loc()


@attrs.frozen(kw_only=True)
class Not:
    """`not C` of a condition (never missing, so `not` is plain negation)."""

    operand: Expr
    type: Type = "bool"
    nullable: bool = False
    loc: Loc | None = _loc()


@attrs.frozen(kw_only=True)
class And:
    """Conditions, all true (short-circuit, left to right)."""

    operands: tuple[Expr, ...]
    type: Type = "bool"
    nullable: bool = False
    loc: Loc | None = _loc()


@attrs.frozen(kw_only=True)
class Or:
    """Conditions, any true (short-circuit, left to right)."""

    operands: tuple[Expr, ...]
    type: Type = "bool"
    nullable: bool = False
    loc: Loc | None = _loc()


@attrs.frozen(kw_only=True)
class Compare:
    """`==`, `!=`, `<`, `<=`, `>`, `>=`: two-valued, casefolded for strings,
    false on a missing operand or on operands of different kinds."""

    op: str
    left: Expr
    right: Expr
    type: Type = "bool"
    nullable: bool = False
    loc: Loc | None = _loc()


@attrs.frozen(kw_only=True)
class Member:
    """`x in LIST` / `x not in LIST`: false when x is missing or the list is
    missing; elements compare as `==` does."""

    item: Expr
    container: Expr
    negated: bool = False
    type: Type = "bool"
    nullable: bool = False
    loc: Loc | None = _loc()


@attrs.frozen(kw_only=True)
class Between:
    """`x between LOW and HIGH`: `x >= LOW and x <= HIGH`, both two-valued."""

    value: Expr
    low: Expr
    high: Expr
    type: Type = "bool"
    nullable: bool = False
    loc: Loc | None = _loc()


@attrs.frozen(kw_only=True)
class StringTest:
    """`contains`, `starts_with`, `ends_with`: casefolded; false unless both are strings."""

    op: str
    left: Expr
    right: Expr
    type: Type = "bool"
    nullable: bool = False
    loc: Loc | None = _loc()


@attrs.frozen(kw_only=True)
class Matches:
    """`x matches /pattern/`: an RE2 search (regex.py), case-sensitive unless
    `ignore_case`; false unless x is a string."""

    value: Expr
    pattern: str
    ignore_case: bool = False
    type: Type = "bool"
    nullable: bool = False
    loc: Loc | None = _loc()


@attrs.frozen(kw_only=True)
class IsMissing:
    """`x is missing` / `x is present` (negated)."""

    value: Expr
    negated: bool = False
    type: Type = "bool"
    nullable: bool = False
    loc: Loc | None = _loc()


@attrs.frozen(kw_only=True)
class Arith:
    """`+ - * /` on numbers: missing when an operand is not a number, on
    division by zero, or when an int is too large for a float64 operation."""

    op: str
    left: Expr
    right: Expr
    type: Type
    nullable: bool = True
    loc: Loc | None = _loc()


@attrs.frozen(kw_only=True)
class Negate:
    """`-x`: missing unless x is a number."""

    operand: Expr
    type: Type
    nullable: bool = True
    loc: Loc | None = _loc()


Expr = (
    Const | ConstList | FieldRef | EventsRef | EventAttr | LetRef | Outcome | TierConst | Call
    | Count | Truth | Not | And | Or | Compare | Member | Between | StringTest | Matches
    | IsMissing | Arith | Negate
)

# Nodes whose value is always a boolean, never missing: usable as a condition as they are.
CONDITION_NODES = (Truth, Not, And, Or, Compare, Member, Between, StringTest, Matches, IsMissing)

# =========================================================== declarations


@attrs.frozen(kw_only=True)
class Field:
    """A lead field the policy reads or declares. A declared field is coerced
    to its type (every one, read or not: a failure warns); an undeclared one
    (no schema) is read as it is, with type `any`."""

    path: tuple[str, ...]
    type: Type
    declared: bool
    loc: Loc | None = _loc()

    @property
    def name(self) -> str:
        return ".".join(self.path)


@attrs.frozen(kw_only=True)
class Events:
    """Where the lead's events are (`path`), read as the contract says: each an
    object with a string `type` and an ISO 8601 `at` (others ignored with a
    warning), kept only when `at <= T`, most recent first, ties to the later one
    in the input. `position` is its place among `Policy.fields` for the order of
    warnings (None: after every field)."""

    path: tuple[str, ...]
    position: int | None
    loc: Loc | None = _loc()

    @property
    def name(self) -> str:
        return ".".join(self.path)


@attrs.frozen(kw_only=True)
class Let:
    """`let NAME = EXPR`; `Policy.lets` lists them so each comes after what it reads."""

    name: str
    value: Expr
    loc: Loc | None = _loc()


@attrs.frozen(kw_only=True)
class IcpCheck:
    """`require C else R` (fails when C is false) or `reject C as R` (fails when C is true)."""

    kind: str  # "require" or "reject"
    condition: Expr
    reason: str
    loc: Loc | None = _loc()


@attrs.frozen(kw_only=True)
class StepDecay:
    """`decay P% every D`: factor `keep ** floor(age / period)`, the floor exact
    on microseconds; `keep` is `1 - P/100` as a float64."""

    percent: str  # P as written, exact decimal text
    keep: float
    period: int  # microseconds
    loc: Loc | None = _loc()


@attrs.frozen(kw_only=True)
class HalfLife:
    """`decay half_life D`: factor `0.5 ** (age / period)`, continuous."""

    period: int  # microseconds
    loc: Loc | None = _loc()


@attrs.frozen(kw_only=True)
class Expiry:
    """`expire after D`: factor 0 when `age > after`; multiplies the decay."""

    after: int  # microseconds
    loc: Loc | None = _loc()


@attrs.frozen(kw_only=True)
class WhenRule:
    """`rule NAME POINTS when C`: POINTS times the block's factor for the age
    `T - latest activity` (0 with no events) when C holds, else 0."""

    name: str
    points: float
    condition: Expr
    loc: Loc | None = _loc()


@attrs.frozen(kw_only=True)
class EventRule:
    """`rule NAME POINTS per event "TYPE" where C max K`: for each existing
    event of that type (casefolded, `event_type_folded`) passing C, most recent
    first, at most K of them: POINTS times the factor for its age, summed in
    that order. Fired when at least one event counted."""

    name: str
    points: float
    event_type: str
    event_type_folded: str
    where: Expr | None
    max_events: int | None
    loc: Loc | None = _loc()


Rule = WhenRule | EventRule
Decay = StepDecay | HalfLife


@attrs.frozen(kw_only=True)
class Block:
    """`score NAME max M min N { ... }`: rule points (after decay and expiry)
    summed in rule order as float64, then capped by `max`, then floored by `min`."""

    name: str
    max: float | None
    min: float | None
    decay: Decay | None
    expire: Expiry | None
    rules: tuple[Rule, ...]
    loc: Loc | None = _loc()

    @property
    def decays(self) -> bool:
        return self.decay is not None or self.expire is not None


@attrs.frozen(kw_only=True)
class Choice:
    """One line of a first-match list: `target` when `condition` holds
    (`condition` None: `otherwise`). v1 targets are string constants."""

    target: Expr
    condition: Expr | None
    loc: Loc | None = _loc()


@attrs.frozen(kw_only=True)
class Policy:
    """A whole policy. Evaluation order: fields and events (warnings in
    `fields` order), ICP checks (reasons in order), blocks (in order), the
    total (block totals summed in order), tiers (first match; `disqualified`
    without evaluating them when ICP failed; None when there are no tiers and
    ICP passed), routes (first match, always evaluated; None when none holds).
    `lead_id` is the field reported as the decision's `lead`, as text."""

    format: int
    name: str
    title: str | None
    fields: tuple[Field, ...]
    events: Events | None
    lets: tuple[Let, ...]
    icp: tuple[IcpCheck, ...]
    blocks: tuple[Block, ...]
    tiers: tuple[Choice, ...] | None
    routes: tuple[Choice, ...] | None
    lead_id: Field
    loc: Loc | None = _loc()

    def let(self, name: str) -> Let:
        for let in self.lets:
            if let.name == name:
                return let
        raise KeyError(name)

    @property
    def tier_names(self) -> tuple[str, ...]:
        return tuple(str(c.target.value) for c in self.tiers or () if isinstance(c.target, Const))

    @property
    def queues(self) -> tuple[str, ...]:
        return tuple(str(c.target.value) for c in self.routes or () if isinstance(c.target, Const))


NODE_TYPES: dict[str, type] = {
    cls.__name__: cls
    for cls in (
        Const, ConstList, FieldRef, EventsRef, EventAttr, LetRef, Outcome, TierConst, Call, Count,
        Truth, Not, And, Or, Compare, Member, Between, StringTest, Matches, IsMissing, Arith, Negate,
        Field, Events, Let, IcpCheck, StepDecay, HalfLife, Expiry, WhenRule, EventRule, Block, Choice,
        Policy,
    )
}
