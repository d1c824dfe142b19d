"""A column of any SQL type coerced to a schema type, as `runtime.COERCE` does.

The Python value of a SQL value is what the DuckDB client returns for it
(VARCHAR -> str, BIGINT -> int, DOUBLE -> float, DATE -> date, TIMESTAMP ->
naive datetime, TIMESTAMPTZ -> aware datetime, DECIMAL -> Decimal, LIST ->
list, STRUCT -> dict); every builder here gives what runtime.py's function
gives for that value, and NULL where it gives BAD or the value is missing.

Representations in SQL: string VARCHAR, int BIGINT, number DOUBLE, bool
BOOLEAN, date and datetime BIGINT microseconds since the epoch (UTC),
list[string] VARCHAR[], list[number] DOUBLE[].

An `int` is 64-bit in SQL, a `number` a DOUBLE. A value Python holds
exactly and these cannot (an int of `"99999999999999999999"`, `1e19` or a
UBIGINT over 2**63-1; a number of an int beyond 2**53, which Python keeps
as an int; the digits of an integral float of 2**127 or more) stops the
query with builders.stop, naming the field and the value: never a
different decision. The engines then hand the input to the python engine.
"""

from __future__ import annotations

import attrs
from sqlglot import exp

from . import builders as b
from .show import FLOATS, INTEGERS, LISTS, TEXTS, TIMESTAMPS, show

T = exp.DataType.Type

SQL_TYPES = {
    "string": "VARCHAR", "int": "BIGINT", "number": "DOUBLE", "bool": "BOOLEAN",
    "date": "BIGINT", "datetime": "BIGINT", "list[string]": "VARCHAR[]", "list[number]": "DOUBLE[]",
}

_INT_TEXT = r"[+-]?[0-9]+(?:\.0+)?"
_DECIMAL_TEXT = r"[+-]?[0-9]+(?:\.[0-9]+)?"
_DATE_TEXT = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
# runtime._DATETIME_TEXT, in RE2 (the same syntax for these constructs).
_DATETIME_TEXT = (
    r"^([0-9]{4}-[0-9]{2}-[0-9]{2})"
    r"(?:[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]+))?)?"
    r"(Z|([+-])([0-9]{2})(?::?([0-9]{2}))?)?)?$"
)
MIN_US = -62135596800000000  # 0001-01-01T00:00:00Z, the first datetime Python has
MAX_US = 253402300799999999  # 9999-12-31T23:59:59.999999Z, the last
_INT64 = 2.0**63


@attrs.frozen
class Coerced:
    """A field's value after coercion, and its warning (None: none is possible)."""

    value: exp.Expr
    warning: exp.Expr | None


def coerce_field(value: exp.Expr, source: exp.DataType, target: str, field: str) -> Coerced:
    """`runtime.coerce_field`: the value converted, NULL when missing or bad, and
    the warning `"<field>: expected <type>, got <value>; treated as missing"`."""
    converted = coerce(value, source, target, field)
    if converted is value:
        return Coerced(value, None)
    if _never_bad(source, target):
        return Coerced(converted, None)
    warning = b.case((
        b.and_(b.not_null(value), b.is_null(converted)),
        b.concat(b.string(f"{field}: expected {target}, got "), show(value, source),
                 b.string("; treated as missing")),
    ))
    return Coerced(converted, warning)


def coerce(value: exp.Expr, source: exp.DataType, target: str, field: str = "a value") -> exp.Expr:
    """`runtime.COERCE[target]` of a value of SQL type `source`; NULL for BAD;
    a stop (builders.stop, naming `field`) for a value Python holds exactly
    and SQL cannot."""
    kind = source.this
    if kind == T.JSON:
        return _from_json(value, target, field)
    if target == "string":
        return _to_string(value, kind, field)
    if target == "int":
        return _to_int(value, kind, field)
    if target == "number":
        return _to_number(value, kind, field)
    if target == "bool":
        if kind == T.BOOLEAN:
            return value
        if kind in TEXTS:
            return b.case(
                (b.full_match(value, "[Tt][Rr][Uu][Ee]"), b.true()),
                (b.full_match(value, "[Ff][Aa][Ll][Ss][Ee]"), b.false()),
            )
        return b.cast(b.null(), "BOOLEAN")
    if target == "date":
        if kind == T.DATE:
            return micros(value, kind)
        if kind in TEXTS:
            return b.case((
                b.and_(b.full_match(value, _DATE_TEXT),
                       exp.NEQ(this=b.call("substring", value, b.integer(1), b.integer(4)),
                               expression=b.string("0000"))),
                micros(b.try_cast(value, "DATE"), T.DATE),
            ))
        return b.cast(b.null(), "BIGINT")
    if target == "datetime":
        if kind == T.DATE or kind in TIMESTAMPS or kind == T.TIMESTAMPTZ:
            return micros(value, kind)
        if kind in TEXTS:
            return datetime_from_text(value)
        return b.cast(b.null(), "BIGINT")
    if target in ("list[string]", "list[number]"):
        return _to_list(value, source, target[5:-1], field)
    raise AssertionError(target)


def _from_json(value: exp.Expr, target: str, field: str) -> exp.Expr:
    """A JSON-typed value (DuckDB's type for a JSONL key whose values differ in
    kind), coerced by what json.loads gives: each JSON kind as its SQL type."""
    kind = b.call("json_type", value)
    whens = [
        (b.eq(kind, b.string("VARCHAR")),
         coerce(b.call("json_extract_string", value, b.string("$")), b.sql_type("VARCHAR"), target, field)),
        # An integer beyond UBIGINT: json.loads gives Python an exact int (DuckDB a DOUBLE).
        (b.and_(b.eq(kind, b.string("DOUBLE")), json_big_integer(value)),
         _big_integer(b.cast(value, "VARCHAR"), target, field)),
        (b.eq(kind, b.string("BIGINT")), coerce(b.cast(value, "BIGINT"), b.sql_type("BIGINT"), target, field)),
        (b.eq(kind, b.string("UBIGINT")), coerce(b.cast(value, "UBIGINT"), b.sql_type("UBIGINT"), target, field)),
        (b.eq(kind, b.string("DOUBLE")), coerce(b.cast(value, "DOUBLE"), b.sql_type("DOUBLE"), target, field)),
        (b.eq(kind, b.string("BOOLEAN")), coerce(b.cast(value, "BOOLEAN"), b.sql_type("BOOLEAN"), target, field)),
    ]
    if target.startswith("list["):
        elements = b.sql_type("JSON[]")
        whens.append((b.eq(kind, b.string("ARRAY")), coerce(b.cast(value, "JSON[]"), elements, target, field)))
    return b.case(*whens, default=b.cast(b.null(), SQL_TYPES[target]))


def json_big_integer(value: exp.Expr) -> exp.Expr:
    """A JSON number written as an integer (its text is kept as written)."""
    return b.full_match(b.cast(value, "VARCHAR"), "-?[0-9]+")


PYTHON_DIGITS = 4300  # str(int) of more digits raises in Python (sys.get_int_max_str_digits)


def _big_integer(digits: exp.Expr, target: str, field: str) -> exp.Expr:
    """A Python int beyond 2**64, given as its digits: its digits as a string;
    as an int or a number, a stop (Python holds the int exactly). Past
    Python's 4300 digits the JSON reader keeps the text, which is no int and
    overflows as a number: missing."""
    printable = exp.LTE(this=b.call("length", b.call("ltrim", digits, b.string("-"))),
                        expression=b.integer(PYTHON_DIGITS))
    if target == "string":
        return b.case((printable, digits))
    if target in ("int", "number"):
        return b.case((printable, _beyond(field, digits, target)))
    return b.cast(b.null(), SQL_TYPES[target])


def _beyond(field: str, text: exp.Expr, target: str) -> exp.Expr:
    """The stop for `field`'s value (`text`, its SQL text) that SQL cannot hold as `target`."""
    what = {"int": "an int beyond 64 bits", "number": "a number that is an int beyond 2**53",
            "string": "the digits of a float of 2**127 or more"}[target]
    return b.stop(b.concat(b.string(f"{field} = "), b.call("left", text, b.integer(60)), b.string(f" ({what})")),
                  SQL_TYPES[target])


# Meta of an epoch_us call: the SQL type it reads. A dialect rewriting
# epoch_us needs it, and cannot infer it for a lambda's member (an event's `at`).
TIME_TYPE = "qualdsl_time_type"


def micros(value: exp.Expr, kind: object) -> exp.Expr:
    """A DATE, TIMESTAMP or TIMESTAMPTZ (`kind`) as microseconds since the epoch, UTC."""
    node = b.call("epoch_us", value)
    node.meta[TIME_TYPE] = kind
    return node


def _to_string(value: exp.Expr, kind: object, field: str) -> exp.Expr:
    if kind in TEXTS:
        return value
    if kind in INTEGERS:
        return b.cast(value, "VARCHAR")
    if kind in FLOATS:
        number = b.cast(value, "DOUBLE")
        # str(int(f)): exact through HUGEINT; an integral float of 2**127 or
        # more (39 to 309 digits) stops.
        in_range = b.and_(
            exp.GT(this=number, expression=b.double(-(2.0**127))),
            exp.LT(this=number, expression=b.double(2.0**127)),
        )
        return b.case((b.and_(_integral(number), in_range), b.cast(b.cast(number, "HUGEINT"), "VARCHAR")),
                      (_integral(number), _beyond(field, show(number, b.sql_type("DOUBLE")), "string")))
    return b.cast(b.null(), "VARCHAR")


def _integral(number: exp.Expr) -> exp.Expr:
    """float.is_integer() (false for NaN and infinities)."""
    return b.and_(b.call("isfinite", number), b.eq(number, b.call("trunc", number)))


# Integer types whose every value is a BIGINT, and a double, exactly.
SMALL_INTEGERS = {T.TINYINT, T.SMALLINT, T.INT, T.UTINYINT, T.USMALLINT, T.UINT}


def _to_int(value: exp.Expr, kind: object, field: str) -> exp.Expr:
    if kind == T.BIGINT:
        return value
    if kind in SMALL_INTEGERS:
        return b.cast(value, "BIGINT")
    if kind in INTEGERS:
        small = b.try_cast(value, "BIGINT")
        return b.case((b.and_(b.is_null(small), b.not_null(value)), _beyond(field, b.cast(value, "VARCHAR"), "int")),
                      default=small)
    if kind in FLOATS:
        number = b.cast(value, "DOUBLE")
        in_range = b.and_(
            exp.GTE(this=number, expression=b.double(-_INT64)),
            exp.LT(this=number, expression=b.double(_INT64)),
        )
        return b.case((b.and_(_integral(number), in_range), b.cast(number, "BIGINT")),
                      (_integral(number), _beyond(field, show(number, b.sql_type("DOUBLE")), "int")))
    if kind in TEXTS:
        digits = b.call("regexp_extract", value, b.string(r"^[+-]?[0-9]+"))
        small = b.try_cast(digits, "BIGINT")
        # int() of more than 4300 digits (the sign aside) raises: BAD in Python.
        magnitude = b.call("regexp_extract", value, b.string("[0-9]+"))  # the first run: the int's digits
        printable = exp.LTE(this=b.call("length", magnitude), expression=b.integer(PYTHON_DIGITS))
        return b.case((b.full_match(value, _INT_TEXT),
                       b.case((b.and_(b.is_null(small), printable), _beyond(field, value, "int")), default=small)))
    return b.cast(b.null(), "BIGINT")


_EXACT_DOUBLE = 2**53  # every int up to this is a double; Python keeps a larger one exact


def _to_number(value: exp.Expr, kind: object, field: str) -> exp.Expr:
    if kind == T.DOUBLE:
        return b.case((b.call("isfinite", value), value))
    if kind in FLOATS:
        number = b.cast(value, "DOUBLE")
        return b.case((b.call("isfinite", number), number))
    if kind in INTEGERS:
        if kind in SMALL_INTEGERS:
            return b.cast(value, "DOUBLE")
        beyond = b.or_(exp.GT(this=value, expression=b.integer(_EXACT_DOUBLE)),
                       exp.LT(this=value, expression=b.integer(-_EXACT_DOUBLE)))
        return b.case((beyond, _beyond(field, b.cast(value, "VARCHAR"), "number")), default=b.cast(value, "DOUBLE"))
    if kind in TEXTS:
        # float(text), correctly rounded; hundreds of digits overflow to inf,
        # which is no number (the contract: numbers are finite): missing, as in Python.
        number = b.try_cast(value, "DOUBLE")
        return b.case((b.and_(b.full_match(value, _DECIMAL_TEXT), b.call("isfinite", number)), number))
    return b.cast(b.null(), "DOUBLE")


def _never_bad(source: exp.DataType, target: str) -> bool:
    """A list whose every element is of the target's element type already:
    coercing it only drops its nulls, so it has no warning."""
    if not target.startswith("list[") or source.this not in LISTS:
        return False
    element = exp.column("__probe")
    return coerce(element, source.expressions[0], target[5:-1]) is element


def _to_list(value: exp.Expr, source: exp.DataType, element: str, field: str) -> exp.Expr:
    sql = SQL_TYPES[f"list[{element}]"]
    if source.this not in LISTS:
        return b.cast(b.null(), sql)  # a scalar is not wrapped
    inner = source.expressions[0]
    name = f"__e{_depth(value)}"
    present = exp.ArrayFilter(this=value, expression=b.lam(b.not_null(exp.column(name)), name))
    if _never_bad(source, f"list[{element}]"):
        return b.cast(present, sql)
    converted = exp.Transform(this=present, expression=b.lam(coerce(exp.column(name), inner, element, field), name))
    kept = exp.ArrayFilter(this=converted, expression=b.lam(b.not_null(exp.column(name)), name))
    return b.case((
        b.eq(b.call("len", kept), b.call("len", present)),  # no element was BAD
        b.cast(converted, sql),
    ))


def _depth(value: exp.Expr) -> int:
    """A lambda variable name unique within the expression it is built into."""
    return sum(1 for _ in value.find_all(exp.Lambda)) + 1


def datetime_from_text(text: exp.Expr) -> exp.Expr:
    """runtime.to_datetime of a string, as microseconds since the epoch, UTC.

    `datetime.fromisoformat` after runtime's rewrites accepts: a valid date
    from year 1; hours < 24, minutes and seconds < 60; 1 or more fraction
    digits (cut to 6); an offset `Z`, `+HH`, `+HH:MM` or `+HHMM` of less
    than 24 hours (minutes up to 99 are taken as minutes); and then the
    instant must lie in years 1..9999 UTC."""
    # All groups by one regexp_extract into a STRUCT, bound once (each call
    # costs DuckDB a regex compile when it plans the query).
    bound = exp.column(f"__dt{sum(1 for _ in text.find_all(exp.Lambda)) + 1}")
    from .show import PORTABLE

    portable = PORTABLE.get()

    def group(index: int) -> exp.Expr:
        if portable:  # a call per group: the form every dialect's rewrite maps
            return b.call("regexp_extract", text, b.string(_DATETIME_TEXT), b.integer(index))
        return exp.Dot(this=bound, expression=exp.to_identifier(f"g{index}"))

    def number(index: int) -> exp.Expr:
        return b.cast(b.call("nullif", group(index), b.string("")), "BIGINT")

    def zero_if_empty(index: int) -> exp.Expr:
        return b.call("coalesce", number(index), b.integer(0))

    day = group(1)
    has_clock = exp.NEQ(this=group(2), expression=b.string(""))
    hour, minute, second = zero_if_empty(2), zero_if_empty(3), zero_if_empty(4)
    fraction = b.call("coalesce", b.cast(b.call("nullif", b.call(
        "rpad", b.call("left", group(5), b.integer(6)), b.integer(6), b.string("0")), b.string("000000")), "BIGINT"),
        b.integer(0))
    offset_minutes = exp.Mul(
        this=b.case((b.eq(group(7), b.string("-")), b.integer(-1)), default=b.integer(1)),
        expression=exp.Paren(this=exp.Add(
            this=exp.Mul(this=zero_if_empty(8), expression=b.integer(60)), expression=zero_if_empty(9))),
    )
    midnight = micros(b.try_cast(day, "DATE"), T.DATE)
    clock_us = exp.Add(
        this=exp.Mul(this=exp.Paren(this=exp.Add(
            this=exp.Mul(this=exp.Paren(this=exp.Add(
                this=exp.Mul(this=hour, expression=b.integer(60)), expression=minute)), expression=b.integer(60)),
            expression=second)), expression=b.integer(1_000_000)),
        expression=fraction,
    )
    instant = exp.Sub(
        this=exp.Add(this=midnight, expression=exp.Paren(this=clock_us)),
        expression=exp.Mul(this=exp.Paren(this=offset_minutes), expression=b.integer(60_000_000)),
    )
    valid = b.and_(
        b.matches(text, _DATETIME_TEXT),
        exp.NEQ(this=b.call("left", day, b.integer(4)), expression=b.string("0000")),
        b.not_null(midnight),
        b.or_(b.not_(has_clock), b.and_(
            exp.LT(this=hour, expression=b.integer(24)),
            exp.LT(this=minute, expression=b.integer(60)),
            exp.LT(this=second, expression=b.integer(60)),
            exp.LT(this=exp.Paren(this=exp.Add(
                this=exp.Mul(this=zero_if_empty(8), expression=b.integer(60)), expression=zero_if_empty(9))),
                expression=b.integer(24 * 60)),
        )),
    )
    in_range = exp.Between(this=instant, low=b.integer(MIN_US), high=b.integer(MAX_US))
    groups = b.call("regexp_extract", text, b.string(_DATETIME_TEXT),
                    exp.Array(expressions=[b.string(f"g{index}") for index in range(1, 10)]))
    if portable:
        return b.case((b.and_(valid, in_range), instant))
    return b.bind(groups, bound.name, b.case((b.and_(valid, in_range), instant)))
