"""The contract's two-valued operators over typed SQL values.

Every condition built here is a BOOLEAN that is never NULL, so SQL's
three-valued logic cannot leak: a comparison or string test with a missing
operand is FALSE (`!=` and `not in` included), `NOT` of that is TRUE, and a
condition that is not a boolean is FALSE. Operands carry their static type
(as the IR will give it); kinds that differ compare FALSE without SQL.

Numbers follow Python: BIGINT against BIGINT exactly; BIGINT against DOUBLE
exactly (through floor and ceil, not a rounding cast); NaN equal to nothing
and unordered (DuckDB orders it above every number); integer arithmetic
exact in HUGEINT with its width bounded at compile time (a policy whose
integer arithmetic could pass 128 bits is refused); division by zero and
arithmetic with a missing operand give NULL.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs
from sqlglot import exp

from ...schema import category
from . import builders as b
from .casefold import casefold
from .errors import SqlRefused

_ORDERED = {"<": exp.LT, "<=": exp.LTE, ">": exp.GT, ">=": exp.GTE}
_ALL = {"==": exp.EQ, "!=": exp.NEQ, **_ORDERED}


@attrs.frozen
class Value:
    """A typed SQL expression: static schema type, whether it can be missing,
    and for an int the bits its value can need (sign included)."""

    sql: exp.Expr
    type: str
    nullable: bool = True
    bits: int = 64
    folded: exp.Expr | None = None  # the casefolded string, computed once per row
    constant: object = None  # the policy literal this value is, if it is one
    # A number Python may hold as an int (a JSON integer, an integer column):
    # its `+ - *` are exact there. False where Python has a float (a float
    # literal, text, a DOUBLE column, a division, a score).
    may_be_int: bool = True

    @property
    def category(self) -> str:
        return category(self.type)


def literal(value: object) -> Value:
    """A policy literal as a typed SQL value (user text as a literal node)."""
    if type(value) is bool:
        return Value(b.true() if value else b.false(), "bool", nullable=False)
    if type(value) is int:
        bits = value.bit_length() + 1
        if bits > 128:
            raise SqlRefused(f"the integer literal {value}", b.DIALECT)
        return Value(b.cast(b.integer(value), "HUGEINT" if bits > 64 else "BIGINT"), "int", False, bits,
                     constant=value)
    if type(value) is float:
        return Value(b.double(value), "number", nullable=False, may_be_int=False)
    if type(value) is str:
        return Value(b.string(value), "string", nullable=False)
    raise AssertionError(value)


def views(value: Value) -> list[tuple[exp.Expr, Value]]:
    """An untyped value (`any`: a JSON value, an event's own key) as the typed
    values it can be, each with the test that it is that kind; Python's
    operators compare only values of one kind, so a test over an untyped value
    is the OR of the test over each view."""
    kind = b.call("json_type", value.sql)
    x = value.sql

    def of(*names: str) -> exp.Expr:
        return exp.In(this=kind, expressions=[b.string(n) for n in names])

    return [
        (of("VARCHAR"), Value(b.call("json_extract_string", x, b.string("$")), "string", nullable=False)),
        (of("BIGINT"), Value(b.cast(x, "BIGINT"), "int", nullable=False)),
        (of("UBIGINT"), Value(b.cast(x, "HUGEINT"), "int", nullable=False, bits=65)),
        # Integers beyond 2**64 too (a known gap: Python compares those exactly).
        (of("DOUBLE"), Value(b.cast(x, "DOUBLE"), "number", nullable=False)),
        (of("BOOLEAN"), Value(b.cast(x, "BOOLEAN"), "bool", nullable=False)),
    ]


def over_views(test: Callable[[Value], exp.Expr], value: Value) -> exp.Expr:
    """`test(value)` for an untyped value: true when it holds for the view of
    the value's kind (never NULL)."""
    cases = [b.and_(guard, test(view)) for guard, view in views(value)]
    return never_null(b.or_(*cases))


def never_null(condition: exp.Expr) -> exp.Expr:
    return b.call("coalesce", condition, b.false())


def truth(value: Value) -> exp.Expr:
    """A condition holds only when its value is the boolean true."""
    if value.type == "any":
        return over_views(truth, value)
    if value.type != "bool":
        return b.false()
    return never_null(value.sql) if value.nullable else value.sql


def folded(value: Value) -> exp.Expr:
    """A string value casefolded; a literal is folded now, in Python."""
    if isinstance(value.sql, exp.Literal) and value.sql.is_string:
        return b.string(value.sql.this.casefold())
    if value.folded is not None:
        return value.folded
    return casefold(value.sql)


def compare(op: str, left: Value, right: Value) -> exp.Expr:
    """`left op right` with the contract's semantics (runtime.eq/ne/lt/...)."""
    if op not in _ALL:
        raise AssertionError(op)
    if left.type == "any":
        return over_views(lambda view: compare(op, view, right), left)
    if right.type == "any":
        return over_views(lambda view: compare(op, left, view), right)
    kind = left.category
    if kind != right.category or kind in ("list", "events", "any"):
        return b.false()
    if kind == "bool" and op not in ("==", "!="):
        return b.false()  # booleans are not ordered
    if kind == "string":
        test: exp.Expr = _ALL[op](this=b.paren(folded(left)), expression=b.paren(folded(right)))
    elif kind == "number":
        test = _compare_numbers(op, left, right)
    else:  # bool, and time (microseconds): plain SQL on non-NULL operands
        test = _ALL[op](this=b.paren(left.sql), expression=b.paren(right.sql))
    # A missing operand makes the comparison false, whatever the branch (NaN's
    # `!=` is true, and must not be for a missing one).
    guards = [b.not_null(v.sql) for v in (left, right) if v.nullable]
    return never_null(b.and_(*guards, test)) if guards else test


def _is_nan(value: Value) -> exp.Expr:
    return b.call("isnan", value.sql) if value.type == "number" else b.false()


def _compare_numbers(op: str, left: Value, right: Value) -> exp.Expr:
    if left.type == "number" and right.type == "number":
        plain = _ALL[op](this=b.paren(left.sql), expression=b.paren(right.sql))
        if op == "==":
            return b.and_(plain, b.not_(_is_nan(left)))
        if op == "!=":
            return b.or_(plain, _is_nan(left), _is_nan(right))
        return b.and_(plain, b.not_(_is_nan(left)), b.not_(_is_nan(right)))
    if left.type == "int" and right.type == "int":
        return _ALL[op](this=b.paren(left.sql), expression=b.paren(right.sql))
    # An int literal a double holds exactly compares as that double (no
    # rounding either way), NaN included.
    exact = [_exact_double(v) for v in (left, right)]
    if exact[0] is not None or exact[1] is not None:
        return _compare_numbers(op, exact[0] or left, exact[1] or right)
    if left.type == "number":  # flip to int OP double
        flipped = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}[op]
        return _int_vs_double(flipped, left=right, right=left)
    return _int_vs_double(op, left, right)


def _exact_double(value: Value) -> Value | None:
    """An int literal of at most 53 bits as a DOUBLE literal (the same number)."""
    if value.type != "int" or type(value.constant) is not int or abs(value.constant) > 2**53:
        return None
    return Value(b.double(float(value.constant)), "number", nullable=False)


def _int_vs_double(op: str, left: Value, right: Value) -> exp.Expr:
    """An integer against a double, exactly: for an integer i and a real x,
    i < x iff i < ceil(x), i <= x iff i <= floor(x), i == x iff x is integral
    and equal. Doubles beyond 2**126 are beyond every int the SQL holds."""
    i, x = left.sql, right.sql
    limit = b.double(2.0**126)
    big = exp.GT(this=b.call("abs", x), expression=limit)
    positive = exp.GT(this=x, expression=b.double(0.0))

    def rounded(function: str) -> exp.Expr:
        return b.cast(b.call(function, x), "HUGEINT")

    if op in ("<", ">="):
        exact: exp.Expr = _ALL[op](this=b.paren(i), expression=rounded("ceil"))
    elif op in ("<=", ">"):
        exact = _ALL[op](this=b.paren(i), expression=rounded("floor"))
    else:
        exact = b.and_(b.eq(x, b.call("trunc", x)), b.eq(i, rounded("trunc")))
        if op == "!=":
            exact = b.not_(exact)
    # A big double (or an infinity) is above or below every int: i < x when x > 0.
    beyond = {
        "<": positive, "<=": positive, ">": b.not_(positive), ">=": b.not_(positive),
        "==": b.false(), "!=": b.true(),
    }[op]
    nan = b.true() if op == "!=" else b.false()
    return b.case((b.call("isnan", x), nan), (big, beyond), default=exact)


def between(value: Value, low: Value, high: Value) -> exp.Expr:
    return b.and_(compare(">=", value, low), compare("<=", value, high))


def member(item: Value, elements: list[Value], negated: bool = False) -> exp.Expr:
    """`item in [...]` / `not in` over a constant list (runtime.member/not_member):
    `not in` is false when the item is missing."""
    if item.type == "any":
        any_found = over_views(lambda view: member(view, elements), item)
        # A present value of a kind in no view (a list, an object) is `not in` too.
        return never_null(b.and_(b.not_null(item.sql), b.not_(any_found))) if negated else any_found
    same_kind = [e for e in elements if e.category == item.category and item.category != "list"]
    nullable = item.nullable  # whether `found` can be NULL
    if item.category == "string" and same_kind:
        strings = [folded(e) for e in same_kind]
        from .show import PORTABLE

        if PORTABLE.get():
            found: exp.Expr = exp.In(this=b.paren(folded(item)), expressions=strings)
        else:
            # Measured cheaper than IN (...) in DuckDB (0.15 s per 100,000 leads
            # on one thread). Not list_contains: DuckDB's optimizer rewrites
            # that over six or more constants into IN and then a hash join
            # (about 5% of a run of the benchmark policy). list_position is
            # NULL for a NULL item, so this is never NULL.
            found = b.not_null(b.call("list_position", exp.Array(expressions=strings), folded(item)))
            nullable = False
    elif same_kind:
        found = b.or_(*(compare("==", item, e) for e in same_kind))
    else:
        found = b.false()
    if not negated:
        return never_null(found) if nullable else found
    present = b.not_null(item.sql) if item.nullable else b.true()
    return never_null(b.and_(present, b.not_(found)))


def list_member(item: Value, values: Value, negated: bool = False) -> exp.Expr:
    """`item in LIST_FIELD` for a list[string] or list[number] field."""
    if item.type == "any":
        any_found = over_views(lambda view: list_member(view, values), item)
        if not negated:
            return any_found
        return never_null(b.and_(b.not_null(item.sql), b.not_null(values.sql), b.not_(any_found)))
    element = Value(exp.column("__m"), values.type[5:-1], nullable=False)
    if item.category != element.category:
        found: exp.Expr = b.false()
    else:
        test = compare("==", attrs.evolve(item, nullable=False), element)
        found = never_null(b.call("list_bool_or", exp.Transform(this=values.sql, expression=b.lam(test, "__m"))))
    if not negated:
        return found
    present = b.and_(b.not_null(item.sql), b.not_null(values.sql))
    return never_null(b.and_(present, b.not_(found)))


def string_test(op: str, left: Value, right: Value) -> exp.Expr:
    """contains / starts_with / ends_with, casefolded; false unless both are strings."""
    if left.type == "any":
        return over_views(lambda view: string_test(op, view, right), left)
    if right.type == "any":
        return over_views(lambda view: string_test(op, left, view), right)
    if left.category != "string" or right.category != "string":
        return b.false()
    function = {"contains": "contains", "starts_with": "starts_with", "ends_with": "suffix"}[op]
    return never_null(b.call(function, folded(left), folded(right)))


def matches(value: Value, pattern: str, ignore_case: bool) -> exp.Expr:
    """`x matches /re/`: DuckDB's regexp_matches is RE2's unanchored search with
    RE2's defaults (`.` stops at newline, `$` is the end of the text), as
    regex.compile_regex; the pattern is a literal node, flags `c` or `i`."""
    if value.type == "any":
        return over_views(lambda view: matches(view, pattern, ignore_case), value)
    if value.category != "string":
        return b.false()
    flags = b.string("i" if ignore_case else "c")
    return never_null(b.call("regexp_matches", value.sql, b.string(pattern), flags))


def is_missing(value: Value, negated: bool = False) -> exp.Expr:
    return b.not_null(value.sql) if negated else b.is_null(value.sql)


def arith(op: str, left: Value, right: Value) -> Value:
    """`+ - * /` on numbers (runtime.add/sub/mul/div); NULL for a missing operand,
    a non-number, or division by zero."""
    if "any" in (left.type, right.type):
        raise SqlRefused("arithmetic on an untyped value (an event's own key)", b.DIALECT)
    if left.category != "number" or right.category != "number":
        return Value(b.cast(b.null(), "DOUBLE"), "number")
    nullable = left.nullable or right.nullable or op == "/"
    if op == "/":
        divisor = _as_double(right)
        quotient: exp.Expr = exp.Div(this=b.paren(_as_double(left)), expression=b.paren(divisor))
        zero = b.eq(divisor, b.double(0.0))
        if left.type == "int" and right.type == "int" and max(left.bits, right.bits) > 53:
            # Python's int / int is correctly rounded for any size; the
            # doubles' quotient is that only while both ints are doubles.
            beyond = [b.or_(exp.GT(this=b.paren(v.sql), expression=b.integer(2**53)),
                            exp.LT(this=b.paren(v.sql), expression=b.integer(-(2**53))))
                      for v in (left, right) if v.bits > 53]
            # The message holds the operands (a constant one PostgreSQL would raise while planning).
            division = b.concat(b.cast(left.sql, "VARCHAR"), b.string(" / "), b.cast(right.sql, "VARCHAR"),
                                b.string(" (an int / int with an operand beyond 2**53)"))
            quotient = b.case((b.or_(*beyond), b.stop(division, "DOUBLE")), default=quotient)
        return Value(b.case((zero, b.cast(b.null(), "DOUBLE")), default=quotient), "number", nullable,
                     may_be_int=False)
    node = {"+": exp.Add, "-": exp.Sub, "*": exp.Mul}[op]
    if left.type == "int" and right.type == "int":
        bits = left.bits + right.bits if op == "*" else max(left.bits, right.bits) + 1
        if bits > 128:
            raise SqlRefused("integer arithmetic that can exceed 128 bits", b.DIALECT)
        wide = "HUGEINT" if bits > 64 else "BIGINT"
        result = node(this=b.paren(b.cast(left.sql, wide)), expression=b.paren(b.cast(right.sql, wide)))
        return Value(result, "int", nullable, bits)
    if not (left.may_be_int and right.may_be_int):  # Python computes in floats too
        return Value(node(this=b.paren(_as_double(left)), expression=b.paren(_as_double(right))), "number",
                     nullable, may_be_int=False)
    return Value(_whole_arith(op, node, left, right), "number", nullable)


def _whole_arith(op: str, node: type[exp.Binary], left: Value, right: Value) -> exp.Expr:
    """`left OP right` in doubles where Python may have two ints, and so an
    exact int: the double is that int while it is below 2**53 in size, so a
    result of whole operands at or past it stops the query (the python engine
    decides the lead; a float operand there would have been decided alike)."""
    depth = 1 + sum(1 for v in (left, right) for _ in v.sql.find_all(exp.Lambda))
    bound: list[tuple[str, exp.Expr]] = []
    operands: list[exp.Expr] = []
    for value, side in ((left, "a"), (right, "b")):
        double = _as_double(value)
        if not isinstance(double, (exp.Column, exp.Literal)):  # computed once, not per use
            name = f"__m{side}{depth}"
            bound.append((name, double))
            double = exp.column(name)
        operands.append(double)
    result = node(this=b.paren(operands[0]), expression=b.paren(operands[1]))
    whole = [b.and_(b.call("isfinite", x), b.eq(x, b.call("trunc", x)))
             for x, value in zip(operands, (left, right), strict=True) if value.type == "number"]
    past = exp.GTE(this=b.call("abs", result.copy()), expression=b.double(2.0**53))
    what = b.concat(b.cast(operands[0].copy(), "VARCHAR"), b.string(f" {op} "), b.cast(operands[1].copy(), "VARCHAR"),
                    b.string(" (whole numbers Python may hold as ints, whose exact result is at or past 2**53)"))
    checked: exp.Expr = b.case((b.and_(*whole, past), b.stop(what, "DOUBLE")), default=result)
    for name, double in reversed(bound):
        checked = b.bind(double, name, checked)
    return checked


def negate(value: Value) -> Value:
    if value.type == "any":
        raise SqlRefused("arithmetic on an untyped value (an event's own key)", b.DIALECT)
    if value.category != "number":
        return Value(b.cast(b.null(), "DOUBLE"), "number")
    if value.type == "int":
        bits = value.bits + 1
        if bits > 128:
            raise SqlRefused("integer arithmetic that can exceed 128 bits", b.DIALECT)
        return Value(exp.Neg(this=b.paren(b.cast(value.sql, "HUGEINT" if bits > 64 else "BIGINT"))), "int",
                     value.nullable, bits)
    return Value(exp.Neg(this=b.paren(value.sql)), "number", value.nullable, may_be_int=value.may_be_int)


def _as_double(value: Value) -> exp.Expr:
    """float(x) as Python rounds it: BIGINT casts round correctly; HUGEINT
    goes through its digits (DuckDB's HUGEINT -> DOUBLE cast does not)."""
    if value.type == "number":
        return value.sql
    if value.bits > 64:
        return b.cast(b.cast(value.sql, "VARCHAR"), "DOUBLE")
    return b.cast(value.sql, "DOUBLE")
