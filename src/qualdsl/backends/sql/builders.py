"""Small constructors over sqlglot expression nodes.

User text only ever becomes a `string()` literal node; function names and
types are constants of this package.
"""

from __future__ import annotations

import math

from sqlglot import exp

DIALECT = "duckdb"


def call(name: str, *args: exp.Expr) -> exp.Expr:
    """A DuckDB function by its own name (no sqlglot reinterpretation)."""
    return exp.Anonymous(this=name.upper(), expressions=list(args))


def string(text: str) -> exp.Literal:
    return exp.Literal.string(text)


def integer(value: int) -> exp.Expr:
    literal = exp.Literal.number(abs(value))
    return exp.Neg(this=literal) if value < 0 else literal


def double(value: float) -> exp.Expr:
    """A DOUBLE literal; repr() round-trips every finite float exactly (-0.0 too)."""
    assert math.isfinite(value), value
    node = exp.Cast(this=exp.Literal.number(repr(abs(value))), to=sql_type("DOUBLE"))
    return exp.Neg(this=node) if math.copysign(1.0, value) < 0 else node


def null() -> exp.Null:
    return exp.Null()


def true() -> exp.Boolean:
    return exp.Boolean(this=True)


def false() -> exp.Boolean:
    return exp.Boolean(this=False)


def sql_type(text: str) -> exp.DataType:
    return exp.DataType.build(text, dialect=DIALECT)


def cast(value: exp.Expr, to: str) -> exp.Cast:
    return exp.Cast(this=value, to=sql_type(to))


def try_cast(value: exp.Expr, to: str) -> exp.TryCast:
    return exp.TryCast(this=value, to=sql_type(to))


STOP = "qualdsl_stop"  # meta of a stop's cast: a dialect may raise its own way (Spark's raise_error)


def stop(what: exp.Expr, to: str) -> exp.Expr:
    """An expression of type `to` that stops the query with errors.CANNOT_HOLD
    and `what` (SQL text). It is the text cast to BIGINT, which fails in
    every engine with the text in its message (DuckDB does not let a
    volatile error() be read through a column alias, as this SQL reads
    its values)."""
    from .errors import CANNOT_HOLD, CANNOT_HOLD_END

    message = concat(string(CANNOT_HOLD), what, string(CANNOT_HOLD_END))
    node = cast(cast(message, "BIGINT"), to)
    node.meta[STOP] = message
    return node


def case(*whens: tuple[exp.Expr, exp.Expr], default: exp.Expr | None = None) -> exp.Case:
    node = exp.Case()
    for condition, result in whens:
        node = node.when(condition, result, copy=False)
    if default is not None:
        node = node.else_(default, copy=False)
    return node


def concat(*parts: exp.Expr) -> exp.Expr:
    """`a || b || ...` (NULL when any part is NULL)."""
    result = parts[0]
    for part in parts[1:]:
        result = exp.DPipe(this=result, expression=part, safe=True)
    return result


def and_(*parts: exp.Expr) -> exp.Expr:
    result = parts[0]
    for part in parts[1:]:
        result = exp.And(this=paren(result), expression=paren(part))
    return result


def or_(*parts: exp.Expr) -> exp.Expr:
    result = parts[0]
    for part in parts[1:]:
        result = exp.Or(this=paren(result), expression=paren(part))
    return result


def not_(value: exp.Expr) -> exp.Expr:
    return exp.Not(this=paren(value))


def paren(value: exp.Expr) -> exp.Expr:
    # Binary nodes (AND is a Func in sqlglot too) always get parentheses.
    if isinstance(value, (exp.Binary, exp.Not, exp.Neg, exp.Is)):
        return exp.Paren(this=value)
    if isinstance(value, (exp.Column, exp.Literal, exp.Paren, exp.Func, exp.Boolean, exp.Null, exp.Case, exp.Cast)):
        return value
    return exp.Paren(this=value)


def is_null(value: exp.Expr) -> exp.Expr:
    return exp.Is(this=paren(value), expression=exp.Null())


def not_null(value: exp.Expr) -> exp.Expr:
    return exp.Not(this=is_null(value))


def eq(a: exp.Expr, b: exp.Expr) -> exp.Expr:
    return exp.EQ(this=paren(a), expression=paren(b))


def lam(body: exp.Expr, *names: str) -> exp.Lambda:
    return exp.Lambda(this=body, expressions=[exp.to_identifier(name) for name in names])


def column(name: str) -> exp.Column:
    return exp.column(name, quoted=True)


def matches(value: exp.Expr, pattern: str) -> exp.Expr:
    """RE2 search of a constant pattern (ours, never the user's here)."""
    return call("regexp_matches", value, string(pattern))


def full_match(value: exp.Expr, pattern: str) -> exp.Expr:
    return call("regexp_full_match", value, string(pattern))


def bind(value: exp.Expr, name: str, body: exp.Expr) -> exp.Expr:
    """`body` with `name` bound to `value`, computed once: DuckDB has no LET
    in expressions, so a one-element list is transformed and unpacked."""
    listed = exp.Transform(this=exp.Array(expressions=[value]), expression=lam(body, name))
    return call("list_extract", listed, integer(1))


def replace_all(text: exp.Expr, pairs: list[tuple[str, str]]) -> exp.Expr:
    """replace() of each (old, new) in order, as one flat list_reduce rather
    than nested calls (nesting hundreds deep breaks parsers, sqlglot's too)."""
    table = exp.Array(expressions=[exp.Array(expressions=[string(old), string(new)]) for old, new in pairs])
    step = exp.Replace(
        this=exp.column("__acc"),
        expression=call("list_extract", exp.column("__pair"), integer(1)),
        replacement=call("list_extract", exp.column("__pair"), integer(2)),
    )
    return call("list_reduce", table, lam(step, "__acc", "__pair"), text)


def json_member(value: exp.Expr, key: str) -> exp.Expr:
    """A key of a JSON object (SQL NULL when the value is not an object or
    has no such key; JSON `null` when the key holds null). The JSON pointer
    names the key literally, so dots and slashes in it are no syntax."""
    pointer = "/" + key.replace("~", "~0").replace("/", "~1")
    is_object = eq(call("json_type", value), string("OBJECT"))
    return case((is_object, call("json_extract", value, string(pointer))))


def json_present(value: exp.Expr) -> exp.Expr:
    """A JSON value with `null` made SQL NULL (missing, as Python's None)."""
    return case((exp.NEQ(this=call("json_type", value), expression=string("NULL")), value))
