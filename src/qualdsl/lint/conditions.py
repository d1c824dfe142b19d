"""A small reasoner over policy conditions: can a condition hold, must it
hold, does one condition imply another?

A condition is turned into disjunctive normal form: a list of conjunctions,
each mapping a *subject* (a field, an outcome such as `score` or `tier`, or
any other expression such as `domain(person.email)`) to the set of values it
may take. The value sets understand what the linter needs:

- `x == c`, `x != c`, `x in [...]`, `x not in [...]` (strings compared
  case-insensitively, as the language does);
- `x < c`, `x <= c`, `x > c`, `x >= c`, `x between a and b` on numbers,
  dates and datetimes;
- `x is missing`, `x is present`, and the language's missing-data rule: every
  comparison with a missing value is false, while `not (...)` of it is true.

Lets are expanded where they are read; everything else (string tests,
`matches`, comparisons between two fields, `"a" in list_field`) is an opaque
proposition, equal only to itself. So "never", "always" and "implies" are
proofs: when the reasoner cannot decide, it answers no. It never reports a
mistake it cannot prove; it can miss some (e.g. it does not know that
`x + 1 > 5` means `x > 4`, or that an `int` field has no value strictly
between 5 and 6).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import attrs

from .. import nodes as n
from ..check import EVENT, ROUTE, TIERS, CheckedPolicy, resolve
from ..visitor import map_children

Value = tuple[str, Any]  # (kind, normalised value): ("s", "gb"), ("n", 5.0), ...
Subject = tuple[Any, ...]  # ("field", path), ("event", path), ("outcome", name), ("expr", node)

# Past this many conjunctions a condition is "too complex to reason about".
MAX_TERMS = 256


def value_of(literal: object) -> Value | None:
    """A literal's value as the reasoner compares it."""
    if isinstance(literal, bool):
        return ("b", literal)
    if isinstance(literal, (int, float)):
        return ("n", float(literal))
    if isinstance(literal, str):
        return ("s", literal.casefold())
    if isinstance(literal, dt.datetime):
        moment = literal if literal.tzinfo else literal.replace(tzinfo=dt.UTC)
        return ("t", moment)
    if isinstance(literal, dt.date):
        return ("t", dt.datetime(literal.year, literal.month, literal.day, tzinfo=dt.UTC))
    return None


def show(value: Value) -> str:
    kind, raw = value
    if kind == "n":
        return str(int(raw)) if float(raw).is_integer() else str(raw)
    if kind == "s":
        return f'"{raw}"'
    if kind == "b":
        return "true" if raw else "false"
    moment: dt.datetime = raw  # kind "t"
    return moment.isoformat()


@attrs.frozen
class Bound:
    """One end of an interval."""

    value: Value
    inclusive: bool


def _lt(a: Value, b: Value) -> bool | None:
    """a < b, or None when the kinds cannot be ordered against each other."""
    if a[0] != b[0] or a[0] not in ("n", "t", "s"):
        return None
    less: bool = a[1] < b[1]  # same kind: both floats, datetimes or strings
    return less


@attrs.frozen
class Values:
    """The values a subject may take: an interval, optionally a finite list of
    allowed values, minus excluded ones; and whether it may be missing."""

    missing: bool = True  # may the subject be missing?
    low: Bound | None = None
    high: Bound | None = None
    allowed: frozenset[Value] | None = None  # None: any value
    excluded: frozenset[Value] = frozenset()
    present: bool = True  # may the subject have a value at all?

    def _fits(self, value: Value) -> bool:
        if value in self.excluded:
            return False
        if self.allowed is not None and value not in self.allowed:
            return False
        if self.low is not None:
            below = _lt(value, self.low.value)
            if below is None or below or (value == self.low.value and not self.low.inclusive):
                return False
        if self.high is not None:
            above = _lt(self.high.value, value)
            if above is None or above or (value == self.high.value and not self.high.inclusive):
                return False
        return True

    def no_value(self) -> bool:
        """No present value satisfies the constraint."""
        if not self.present:
            return True
        if self.allowed is not None:
            return not any(self._fits(v) for v in self.allowed)
        if self.low is not None and self.high is not None:
            lt = _lt(self.low.value, self.high.value)
            if lt is None:
                return True
            if not lt:
                if self.low.value != self.high.value:
                    return True
                return not (self.low.inclusive and self.high.inclusive) or self.low.value in self.excluded
        return False

    def empty(self) -> bool:
        return not self.missing and self.no_value()

    def constants(self) -> frozenset[Value]:
        """The constants that shape these values: the bounds, the allowed
        values that fit, the excluded values that would otherwise fit."""
        found = {bound.value for bound in (self.low, self.high) if bound is not None}
        if self.allowed is not None:
            found.update(value for value in self.allowed if self._fits(value))
        if self.excluded:
            unexcluded = attrs.evolve(self, excluded=frozenset())
            found.update(value for value in self.excluded if unexcluded._fits(value))
        return frozenset(found)

    def __and__(self, other: Values) -> Values:
        allowed = self.allowed if other.allowed is None else (
            other.allowed if self.allowed is None else self.allowed & other.allowed)
        return Values(
            missing=self.missing and other.missing,
            low=_tighter(self.low, other.low, low=True),
            high=_tighter(self.high, other.high, low=False),
            allowed=allowed,
            excluded=self.excluded | other.excluded,
            present=self.present and other.present,
        )

    def within(self, other: Values) -> bool:
        """Every state this allows, `other` allows too (self implies other)."""
        if self.missing and not other.missing:
            return False
        if self.no_value():
            return True
        if not other.present:
            return False
        if self.allowed is not None:
            return all(other._fits(v) for v in self.allowed if self._fits(v))
        if other.allowed is not None:
            # An interval is a finite set only when it is one point.
            if self.low is not None and self.high is not None and self.low.value == self.high.value:
                return other._fits(self.low.value) or not self._fits(self.low.value)
            return False
        for value in other.excluded:
            if self._fits(value):
                return False
        return _covers(other.low, self.low, low=True) and _covers(other.high, self.high, low=False)


ANY = Values()


def _tighter(a: Bound | None, b: Bound | None, *, low: bool) -> Bound | None:
    if a is None or b is None:
        return a or b
    lt = _lt(a.value, b.value)
    if lt is None:
        # Bounds of different kinds: nothing satisfies both; keep a bound
        # that makes the interval empty.
        return Bound(("?", None), False)
    if a.value == b.value:
        return Bound(a.value, a.inclusive and b.inclusive)
    return (b if lt else a) if low else (a if lt else b)


def _covers(outer: Bound | None, inner: Bound | None, *, low: bool) -> bool:
    """`outer` is no tighter than `inner` (on the low or the high side)."""
    if outer is None:
        return True
    if inner is None:
        return False
    if outer.value == inner.value:
        return outer.inclusive or not inner.inclusive
    lt = _lt(outer.value, inner.value)
    if lt is None:
        return False
    return lt if low else not lt


@attrs.frozen
class Conjunction:
    """Constraints that all hold: per subject, and opaque propositions."""

    subjects: tuple[tuple[Subject, Values], ...] = ()
    opaque: frozenset[tuple[Any, bool]] = frozenset()  # (expression, holds?)

    def get(self, subject: Subject) -> Values:
        for key, values in self.subjects:
            if key == subject:
                return values
        return ANY

    def __and__(self, other: Conjunction) -> Conjunction:
        merged: dict[Subject, Values] = dict(self.subjects)
        for key, values in other.subjects:
            merged[key] = merged[key] & values if key in merged else values
        return Conjunction(tuple(merged.items()), self.opaque | other.opaque)

    def contradictory(self) -> bool:
        if any(values.empty() for _, values in self.subjects):
            return True
        return any((expr, not holds) in self.opaque for expr, holds in self.opaque)

    def implies(self, other: Conjunction) -> bool:
        if self.contradictory():
            return True
        if not other.opaque <= self.opaque:
            return False
        return all(self.get(key).within(values) for key, values in other.subjects)


TRUE = Conjunction()


def _one(subject: Subject, values: Values) -> Conjunction:
    return Conjunction(((subject, values),))


# Lets expanded inside one another at most (see Reasoner.expand).
MAX_LET_EXPANSION = 16


class Reasoner:
    """Answers questions about the conditions of one policy, in one context
    (LEAD, EVENT, TIERS, ROUTE). `facts` are known to hold for every lead
    (e.g. the reachable range of `score`)."""

    def __init__(self, policy: CheckedPolicy, context: str, facts: Conjunction = TRUE):
        self.policy = policy
        self.context = context
        self.facts = facts
        self._expanded: dict[tuple[str, int], Any] = {}  # (let, nesting) -> its expansion
        self._dnfs: dict[tuple[str, bool], list[Conjunction] | None] = {}  # (let, positive) -> its dnf
        self._filling = False

    # ------------------------------------------------------------ questions
    def never(self, expr: n.Expr) -> bool:
        """Provably false for every lead."""
        terms = self.dnf(expr)
        return terms is not None and all((term & self.facts).contradictory() for term in terms)

    def always(self, expr: n.Expr) -> bool:
        """Provably true for every lead."""
        terms = self.dnf(expr, positive=False)
        return terms is not None and all((term & self.facts).contradictory() for term in terms)

    def implies(self, antecedent: n.Expr, consequents: Iterable[n.Expr]) -> bool:
        """Whenever `antecedent` holds, one of `consequents` holds."""
        left = self.dnf(antecedent)
        if left is None:
            return False
        right: list[Conjunction] = []
        for consequent in consequents:
            terms = self.dnf(consequent)
            if terms is not None:
                right.extend(terms)
        for term in left:
            term = term & self.facts
            if term.contradictory():
                continue
            if not any(term.implies(other) for other in right):
                return False
        return True

    def covering(self, antecedent: n.Expr, consequents: list[n.Expr]) -> list[int] | None:
        """Which of `consequents` (by index, first match per alternative) take
        every lead that meets `antecedent`; None when that cannot be proved."""
        left = self.dnf(antecedent)
        if left is None:
            return None
        right = [self.dnf(c) or [] for c in consequents]
        used: list[int] = []
        for term in left:
            term = term & self.facts
            if term.contradictory():
                continue
            index = next((i for i, terms in enumerate(right) if any(term.implies(t) for t in terms)), None)
            if index is None:
                return None
            if index not in used:
                used.append(index)
        return sorted(used)

    def equivalent(self, a: n.Expr, b: n.Expr) -> bool:
        return self.implies(a, [b]) and self.implies(b, [a])

    def signature(self, expr: n.Expr) -> frozenset[Any] | None:
        """A key that conditions this reasoner can prove `equivalent` share
        (None when the condition is too complex to reason about): the
        constants each subject is compared with, and the opaque parts, over
        the alternatives that can hold and are not absorbed by another.
        Rules are compared pairwise only within one key (QD113 on thousands
        of rules), so two conditions with different keys are never proved
        equivalent; redundant constants (`x > 5 and x != 2`) may split a key
        and hide an equivalence, never report a false one."""
        terms = self.dnf(expr)
        if terms is None:
            return None
        live = [term & self.facts for term in terms]
        live = [term for term in live if not term.contradictory()]
        kept = [term for i, term in enumerate(live)
                if not any(j != i and term.implies(other) and (not other.implies(term) or j < i)
                           for j, other in enumerate(live))]
        key: set[Any] = set()
        for term in kept:
            key.update(term.opaque)
            for subject, values in term.subjects:
                key.update((subject, value) for value in values.constants())
        return frozenset(key)

    def satisfiable_with(self, expr: n.Expr, extra: Conjunction) -> bool:
        """Can `expr` hold together with `extra`? (False only when provably not.)"""
        terms = self.dnf(expr)
        if terms is None:
            return True
        return any(not (term & extra & self.facts).contradictory() for term in terms)

    # ------------------------------------------------------ normal form
    def dnf(self, expr: n.Expr, positive: bool = True, depth: int = 0) -> list[Conjunction] | None:
        """The condition (or its negation) as a list of alternatives; None
        when it is too complex."""
        if depth > 50:
            return None
        if isinstance(expr, n.Not):
            return self.dnf(expr.operand, not positive, depth + 1)
        if isinstance(expr, (n.And, n.Or)):
            parts: list[list[Conjunction]] = []
            for op in expr.operands:
                part = self.dnf(op, positive, depth + 1)
                if part is None:
                    return None
                parts.append(part)
            conjunctive = isinstance(expr, n.And) == positive
            if not conjunctive:
                return [term for part in parts for term in part]
            result = [TRUE]
            for part in parts:
                result = [a & b for a in result for b in part]
                result = [t for t in result if not t.contradictory()] or []
                if len(result) > MAX_TERMS:
                    return None
            return result
        if isinstance(expr, n.Literal):
            holds = expr.value is True
            return [TRUE] if holds == positive else []
        if isinstance(expr, n.Name):
            let = self._let(expr)
            if let is not None:
                return self._let_dnf(resolve(self.policy, expr, self.context).name, positive)
            subject = self.subject(expr)
            truth = ("b", True)
            if positive:
                return [_one(subject, Values(missing=False, allowed=frozenset({truth})))]
            return [_one(subject, Values(missing=True, excluded=frozenset({truth})))]
        atoms = self.atom(expr, positive)
        if atoms is not None:
            return atoms
        key = self.expand(expr)
        return [Conjunction(opaque=frozenset({(key, positive)}))]

    def atom(self, expr: n.Expr, positive: bool) -> list[Conjunction] | None:
        if isinstance(expr, n.Compare):
            subject, op, constant = self._oriented(expr)
            if subject is None:
                return None
            return self._compare(subject, op, constant, positive)
        if isinstance(expr, n.In):
            constants = self.constant_list(expr.container)
            if constants is None or self.constant(expr.item) is not None:
                return None
            subject = self.subject(expr.item)
            inside = positive != expr.negated
            if positive:  # `x in L` / `x not in L`: false when x is missing
                values = Values(missing=False, allowed=constants) if inside else \
                    Values(missing=False, excluded=constants)
            else:
                values = Values(missing=True, allowed=constants) if inside else \
                    Values(missing=True, excluded=constants)
            # Under negation `missing=True` reads "missing, or ...": `not (x in L)`
            # holds for a lead without x.
            return [_one(subject, values)]
        if isinstance(expr, n.Between):
            low, high = self.constant(expr.low), self.constant(expr.high)
            if low is None or high is None or self.constant(expr.value) is not None:
                return None
            subject = self.subject(expr.value)
            if positive:
                return [_one(subject, Values(missing=False, low=Bound(low, True), high=Bound(high, True)))]
            return [
                _one(subject, Values(missing=True, present=False)),
                _one(subject, Values(missing=False, high=Bound(low, False))),
                _one(subject, Values(missing=False, low=Bound(high, False))),
            ]
        if isinstance(expr, n.IsMissing):
            if self.constant(expr.value) is not None:
                return None
            subject = self.subject(expr.value)
            wants_missing = (not expr.negated) == positive
            if wants_missing:
                return [_one(subject, Values(missing=True, present=False))]
            return [_one(subject, Values(missing=False))]
        return None

    def _compare(self, subject: Subject, op: str, constant: Value, positive: bool) -> list[Conjunction]:
        if not positive:
            op = {"==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}[op]
        if op == "==":
            values = Values(allowed=frozenset({constant}))
        elif op == "!=":
            values = Values(excluded=frozenset({constant}))
        elif op in ("<", "<="):
            values = Values(high=Bound(constant, op == "<="))
        else:
            values = Values(low=Bound(constant, op == ">="))
        if positive:
            return [_one(subject, attrs.evolve(values, missing=False))]
        # not (x op c): x is missing, or x has a value where the comparison fails
        return [_one(subject, attrs.evolve(values, missing=True))]

    def _oriented(self, expr: n.Compare) -> tuple[Subject | None, str, Value]:
        right = self.constant(expr.right)
        left = self.constant(expr.left)
        if right is not None and left is None:
            return self.subject(expr.left), expr.op, right
        if left is not None and right is None:
            flipped = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}.get(expr.op, expr.op)
            return self.subject(expr.right), flipped, left
        return None, expr.op, ("?", None)

    # ------------------------------------------------------------ pieces
    def _let(self, name: n.Name) -> n.Expr | None:
        if self.context == EVENT and not name.is_bare:
            return None
        ref = resolve(self.policy, name, self.context)
        if ref.kind == "let":
            return self.policy.lets[ref.name].value
        return None

    def constant(self, expr: n.Expr) -> Value | None:
        """The value of a constant expression (a literal, `-5`, a tier name)."""
        if isinstance(expr, n.Literal):
            return value_of(expr.value)
        if isinstance(expr, n.Negate) and isinstance(expr.operand, n.Literal) \
                and isinstance(expr.operand.value, (int, float)) and not isinstance(expr.operand.value, bool):
            return ("n", -float(expr.operand.value))
        if isinstance(expr, n.Name) and self.context in (TIERS, ROUTE):
            ref = resolve(self.policy, expr, self.context)
            if ref.kind == "tier":
                return ("s", ref.name.casefold())
        return None

    def constant_list(self, expr: n.Expr) -> frozenset[Value] | None:
        items: tuple[n.Literal, ...] | None = None
        if isinstance(expr, n.ListLiteral):
            items = expr.items
        elif isinstance(expr, n.Name) and expr.is_bare:
            ref = resolve(self.policy, expr, self.context)
            if ref.kind == "set":
                items = self.policy.sets[ref.name].items.items
        if items is None:
            return None
        values: list[Value] = []
        for item in items:
            value = value_of(item.value)
            if value is None:
                return None
            values.append(value)
        return frozenset(values)

    def _let_dnf(self, name: str, positive: bool) -> list[Conjunction] | None:
        """A let's dnf, computed once. The first one asked for fills in every
        let before it in dependency order, so no let's dnf recurses through
        the lets it reads (an 800-let chain: linear, and within the stack)."""
        key = (name, positive)
        if key in self._dnfs:
            return self._dnfs[key]
        if not self._filling:
            self._filling = True
            try:
                for other in self.policy.let_order:
                    if other == name:
                        break
                    for polarity in (True, False):
                        if (other, polarity) not in self._dnfs:
                            self._dnfs[(other, polarity)] = self.dnf(self.policy.lets[other].value, polarity)
            finally:
                self._filling = False
        self._dnfs[key] = self.dnf(self.policy.lets[name].value, positive)
        return self._dnfs[key]

    def subject(self, expr: n.Expr) -> Subject:
        """What a comparison is about, so two mentions of it are recognised."""
        while isinstance(expr, n.Name):  # a let that names another let: follow it (no recursion)
            let = self._let(expr)
            if let is None or not isinstance(let, n.Name):
                break
            expr = let
        if isinstance(expr, n.Name):
            let = self._let(expr)
            if let is not None:
                return self.subject(let)
            ref = resolve(self.policy, expr, self.context)
            if ref.kind == "outcome":
                return ("outcome", ref.name)
            if ref.kind == "event_field":
                return ("event", ref.path)
            return ("field", ref.path)
        return ("expr", self.expand(expr))

    def expand(self, expr: Any, lets: int = 0) -> Any:
        """The expression with every let replaced by its value, through at
        most MAX_LET_EXPANSION nested lets (deeper ones stay names: equal
        names still mean equal values). Unbounded, an 800-let chain ran out
        of stack, and lets that each read the previous one twice would
        double the tree at every step."""
        if isinstance(expr, n.Name):
            if lets >= MAX_LET_EXPANSION:
                return expr
            let = self._let(expr)
            if let is None:
                return expr
            key = (expr.path[0], lets)
            if key not in self._expanded:
                self._expanded[key] = self.expand(let, lets + 1)
            return self._expanded[key]
        if isinstance(expr, n.EventsQuery):
            return expr  # `where` reads the event, not the lead
        return map_children(expr, lambda child: self.expand(child, lets))


def interval(low: float | None, high: float | None) -> Values:
    """A numeric range that is never missing (scores)."""
    return Values(
        missing=False,
        low=Bound(("n", float(low)), True) if low is not None else None,
        high=Bound(("n", float(high)), True) if high is not None else None,
    )


def facts(pairs: Iterable[tuple[Subject, Values]]) -> Conjunction:
    return Conjunction(tuple(pairs))
