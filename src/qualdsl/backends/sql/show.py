"""A value's JSON text, exactly as `runtime.show` prints it in a warning.

`runtime.show` is `json.dumps(value, ensure_ascii=False, default=str)` of the
Python value the DuckDB client gives for the SQL value, cut past 1,000
characters. Built per static SQL type, recursively for LIST and STRUCT, so
separators (`, ` and `: `), float repr (`1e+16`, `1e-05`), string escapes
(lowercase `\\u001f`) and the 6-digit microseconds of `str(datetime)` match.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextvars import ContextVar

from sqlglot import exp

from . import builders as b
from .errors import SqlRefused

# True while compiling for a dialect other than DuckDB (compile_sql): use the
# forms every dialect's rewrite maps, not DuckDB-only shortcuts (to_json's
# escapes cut apart by regexp_extract_all).
PORTABLE: ContextVar[bool] = ContextVar("qualdsl_sql_portable", default=False)
# json.dumps escapes these and nothing else when ensure_ascii=False.
_SHORT = {"\\": "\\\\", '"': '\\"', "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_ESCAPES = [(c, _SHORT.get(c, f"\\u{ord(c):04x}")) for c in ["\\", '"'] + [chr(i) for i in range(32)]]

INTEGERS = {
    exp.DataType.Type.TINYINT, exp.DataType.Type.SMALLINT, exp.DataType.Type.INT,
    exp.DataType.Type.BIGINT, exp.DataType.Type.UTINYINT, exp.DataType.Type.USMALLINT,
    exp.DataType.Type.UINT, exp.DataType.Type.UBIGINT, exp.DataType.Type.INT128,
    exp.DataType.Type.UINT128,
}
FLOATS = {exp.DataType.Type.DOUBLE, exp.DataType.Type.FLOAT}
# JSON columns reach Python as their text (a str), so they are text here too.
TEXTS = {exp.DataType.Type.TEXT, exp.DataType.Type.VARCHAR, exp.DataType.Type.CHAR, exp.DataType.Type.JSON}
TIMESTAMPS = {exp.DataType.Type.TIMESTAMP, exp.DataType.Type.TIMESTAMPNTZ}
LISTS = {exp.DataType.Type.ARRAY, exp.DataType.Type.LIST}


def json_string(text: exp.Expr) -> exp.Expr:
    """A VARCHAR as a JSON string literal, escaped as json.dumps does."""
    name = f"__q{sum(1 for _ in text.find_all(exp.Lambda)) + 1}"
    return b.bind(text, name, _json_string(exp.column(name)))


def _json_string(text: exp.Expr) -> exp.Expr:
    """DuckDB's to_json escapes exactly the characters json.dumps does, with
    the same short forms, but writes `\\u001F` where Python writes
    `\\u001f`: its six-character `\\u` escapes (cut out whole, so an escaped
    backslash followed by `u` is not one) are lowercased. Cheaper to plan than
    34 replace() calls."""
    needs = b.matches(text, '[\\x00-\\x1f"\\\\]')
    if PORTABLE.get():
        escaped = b.replace_all(text, _ESCAPES)  # backslash first, so later escapes stay
        return b.concat(b.string('"'), b.case((needs, escaped), default=text), b.string('"'))
    name = f"__u{sum(1 for _ in text.find_all(exp.Lambda)) + 1}"
    token = exp.column(name)
    pieces = b.call("regexp_extract_all", b.cast(b.call("to_json", text), "VARCHAR"),
                    b.string(r"\\u[0-9A-Fa-f]{4}|\\.|[^\\]+"))
    fixed = exp.Transform(this=pieces, expression=b.lam(
        b.case((b.call("starts_with", token, b.string("\\u")), b.call("lower", token)), default=token), name))
    return b.case((needs, b.call("array_to_string", fixed, b.string(""))),
                  default=b.concat(b.string('"'), text, b.string('"')))


def show(value: exp.Expr, source: exp.DataType) -> exp.Expr:
    """`runtime.show` of a non-NULL value of SQL type `source` (cut at 1,000)."""
    text = json_text(value, source)
    if source.this == exp.DataType.Type.JSON:
        text = b.case((has_unprintable_int(value), _type_placeholder(value)), default=text)
    name = f"__v{sum(1 for _ in text.find_all(exp.Lambda)) + 1}"
    shown = exp.column(name)  # the text built once, read three times
    return b.bind(text, name, b.case(
        (exp.LTE(this=b.call("length", shown), expression=b.integer(1000)), shown),
        default=b.concat(b.call("substring", shown, b.integer(1), b.integer(997)), b.string("...")),
    ))


def json_text(value: exp.Expr, source: exp.DataType, depth: int = 0) -> exp.Expr:
    """json.dumps of a non-NULL value (NULL inside lists and structs is `null`)."""
    kind = source.this
    if kind == exp.DataType.Type.JSON:
        return _json_value(value, depth)
    if kind in TEXTS:
        return json_string(value)
    if kind in INTEGERS:
        return b.cast(value, "VARCHAR")
    if kind in FLOATS:
        return _float_json(b.cast(value, "DOUBLE"))
    if kind == exp.DataType.Type.BOOLEAN:
        return b.case((value, b.string("true")), default=b.string("false"))
    if kind == exp.DataType.Type.DATE:
        return b.concat(b.string('"'), b.cast(value, "VARCHAR"), b.string('"'))
    if kind in TIMESTAMPS or kind == exp.DataType.Type.TIMESTAMPTZ:
        return b.concat(b.string('"'), _datetime_str(value, kind == exp.DataType.Type.TIMESTAMPTZ), b.string('"'))
    if kind == exp.DataType.Type.DECIMAL:  # json.dumps(default=str) of a Decimal
        return b.concat(b.string('"'), b.cast(value, "VARCHAR"), b.string('"'))
    if kind in LISTS:
        element = source.expressions[0]
        name = f"__s{depth}"
        shown = exp.Transform(this=value, expression=b.lam(json_or_null(exp.column(name), element, depth + 1), name))
        return b.concat(
            b.string("["), b.call("array_to_string", shown, b.string(", ")), b.string("]")
        )
    if kind == exp.DataType.Type.STRUCT:
        parts: list[exp.Expr] = [b.string("{")]
        for index, field in enumerate(source.expressions):
            name = field.this.name
            key = json.dumps(name, ensure_ascii=False) + ": "
            parts.append(b.string((", " if index else "") + key))
            member = exp.Dot(this=b.paren(value), expression=exp.to_identifier(name, quoted=True))
            parts.append(json_or_null(member, field.args["kind"], depth + 1))
        parts.append(b.string("}"))
        return b.concat(*parts)
    raise SqlRefused(f"a column of type {source.sql(b.DIALECT)}", "duckdb")


def _type_placeholder(value: exp.Expr) -> exp.Expr:
    """runtime.show's last resort, `<int>` / `<list>` / `<dict>`: json.dumps
    and repr both refuse a value holding an int they cannot print."""
    kind = json_kind(value)
    return b.case((b.eq(kind, b.string("ARRAY")), b.string("<list>")),
                  (b.eq(kind, b.string("OBJECT")), b.string("<dict>")), default=b.string("<int>"))


def json_or_null(value: exp.Expr, source: exp.DataType, depth: int = 0) -> exp.Expr:
    return b.case((b.is_null(value), b.string("null")), default=json_text(value, source, depth))


def json_kind(value: exp.Expr) -> exp.Expr:
    return b.call("json_type", value)


# One JSON token: a string, a number, or a run of anything else (brackets,
# separators, whitespace, true/false/null, NaN, Infinity).
_TOKEN = r'"(?:[^"\\]|\\.)*"|-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|[^"0-9-]+|-'  # noqa: S105  # a regex, not a password


def _json_value(value: exp.Expr, depth: int) -> exp.Expr:
    """json.dumps of what json.loads gives for a JSON value, at any depth: the
    JSON text is cut into tokens, and each is written as Python writes it
    (strings re-escaped, floats by repr, `, ` and `: ` as separators, no
    other whitespace). One flat transform, however deep the value nests."""
    name = f"__t{sum(1 for _ in value.find_all(exp.Lambda)) + 1}"
    token = exp.column(name)
    tokens = b.call("regexp_extract_all", b.cast(value, "VARCHAR"), b.string(_TOKEN))
    return b.call("array_to_string", exp.Transform(this=tokens, expression=b.lam(_json_token(token), name)),
                  b.string(""))


def _json_token(token: exp.Expr) -> exp.Expr:
    other = b.call("regexp_replace", token, b.string("[ \t\n\r]"), b.string(""), b.string("g"))
    spaced = exp.Replace(this=exp.Replace(this=other, expression=b.string(","), replacement=b.string(", ")),
                         expression=b.string(":"), replacement=b.string(": "))
    return b.case(
        (b.call("starts_with", token, b.string('"')),
         json_string(b.call("json_extract_string", b.cast(token, "JSON"), b.string("$")))),
        (b.full_match(token, "-?[0-9]+"), b.case((b.eq(token, b.string("-0")), b.string("0")), default=token)),
        (b.full_match(token, "-?[0-9].*"), _float_json(b.try_cast(token, "DOUBLE"))),  # 1e400: inf
        default=spaced,
    )


def has_unprintable_int(value: exp.Expr) -> exp.Expr:
    """Does the JSON text hold an integer of more digits than Python prints
    (4,300)? Strings aside: the text is cut into tokens as above."""
    text = b.cast(value, "VARCHAR")
    name = f"__t{sum(1 for _ in value.find_all(exp.Lambda)) + 1}"
    token = exp.column(name)
    huge = b.and_(b.full_match(token, "-?[0-9]+"),
                  exp.GT(this=b.call("length", b.call("ltrim", token, b.string("-"))), expression=b.integer(4300)))
    tokens = b.call("regexp_extract_all", text, b.string(_TOKEN))
    return b.and_(exp.GT(this=b.call("length", text), expression=b.integer(4300)),
                  b.call("coalesce", b.call("list_bool_or", exp.Transform(this=tokens, expression=b.lam(huge, name))),
                         b.false()))


def _float_json(value: exp.Expr) -> exp.Expr:
    """A double as Python's json.dumps writes it (repr; NaN, Infinity)."""
    special = [(b.call("isnan", value), b.string("NaN")),
               (b.not_(b.call("isfinite", value)),
                b.case((exp.GT(this=value, expression=b.double(0.0)), b.string("Infinity")),
                       default=b.string("-Infinity")))]
    if not PORTABLE.get():
        # DuckDB's own double-to-text is Python's repr (`40.0`, `1e+16`, `5e-324`,
        # `-0.0`): checked on 500,000 doubles against DuckDB 1.1 and 2.0 (the
        # extra's range), and by tests/sql/test_show.py. It took half the time of
        # the ledger text built with the format('{}') spelling below, which the
        # other dialects rewrite.
        return b.case(*special, default=b.cast(value, "VARCHAR"))
    text = b.call("format", b.string("{}"), value)
    integral = b.full_match(text, "-?[0-9]+")
    return b.case(*special, (integral, b.concat(text, b.string(".0"))), default=text)


def _datetime_str(value: exp.Expr, aware: bool) -> exp.Expr:
    """str(datetime): `YYYY-MM-DD HH:MM:SS[.ffffff][+00:00]`."""
    utc = b.call("timezone", b.string("UTC"), value) if aware else value
    micros = b.call("microsecond", utc)  # seconds * 1e6 + microseconds
    fraction = exp.Mod(this=micros, expression=b.integer(1_000_000))
    tail = b.case(
        (exp.NEQ(this=fraction, expression=b.integer(0)),
         b.concat(b.string("."), b.call("lpad", b.cast(fraction, "VARCHAR"), b.integer(6), b.string("0")))),
        default=b.string(""),
    )
    day = b.cast(b.cast(utc, "DATE"), "VARCHAR")  # zero-padded years, as Python
    text = b.concat(day, b.call("strftime", utc, b.string(" %H:%M:%S")), tail)
    shown = b.concat(text, b.string("+00:00")) if aware else text
    shown.meta[DATETIME_STR] = (value, aware)  # dialects without timezone() rebuild it from epoch_us
    return shown


DATETIME_STR = "qualdsl_datetime_str"
DAY_US = 86_400_000_000


def datetime_text(us: exp.Expr, aware: bool, date_text: Callable[[exp.Expr], exp.Expr]) -> exp.Expr:
    """_datetime_str rebuilt from the time's microseconds since the epoch
    (`us`, UTC) in integer arithmetic, whatever the session time zone, for a
    dialect without DuckDB's timezone() and strftime(); `date_text(days)`:
    the `YYYY-MM-DD` of a day number (days since 1970-01-01)."""
    from .events import floor_div

    name = "__dt"
    t = exp.column(name)
    days = floor_div(t, DAY_US)
    rest = exp.Paren(this=exp.Sub(this=t.copy(), expression=exp.Mul(this=exp.Paren(this=days.copy()),
                                                                   expression=b.integer(DAY_US))))

    def part(divisor: int, modulo: int | None) -> exp.Expr:
        value: exp.Expr = exp.IntDiv(this=rest.copy(), expression=b.integer(divisor))
        if modulo is not None:
            value = exp.Mod(this=exp.Paren(this=value), expression=b.integer(modulo))
        return b.call("lpad", b.cast(value, "VARCHAR"), b.integer(2), b.string("0"))

    fraction = exp.Mod(this=rest.copy(), expression=b.integer(1_000_000))
    tail = b.case((exp.NEQ(this=fraction, expression=b.integer(0)),
                   b.concat(b.string("."),
                            b.call("lpad", b.cast(fraction.copy(), "VARCHAR"), b.integer(6), b.string("0")))),
                  default=b.string(""))
    text = b.concat(date_text(days), b.string(" "), part(3_600_000_000, None), b.string(":"), part(60_000_000, 60),
                    b.string(":"), part(1_000_000, 60), tail)
    if aware:
        text = b.concat(text, b.string("+00:00"))
    # In parentheses: a rewrite maps a node's children, and bind's list_extract is one.
    return exp.Paren(this=b.bind(us, name, text))


def civil_date_text(days: exp.Expr) -> exp.Expr:
    """`YYYY-MM-DD` (zero-padded, as Python's date.isoformat) of a day number
    in years 1 to 9999, in integer arithmetic only: H. Hinnant's
    civil_from_days (chrono-Compatible Low-Level Date Algorithms), each
    intermediate bound once. Every dividend is >= 0 there (z >= 306), so a
    truncating `//` is the floor."""
    def n(value: int) -> exp.Expr:
        return b.integer(value)

    def div(value: exp.Expr, divisor: int) -> exp.Expr:
        return exp.IntDiv(this=exp.Paren(this=value), expression=n(divisor))

    def add(*terms: exp.Expr) -> exp.Expr:
        total = terms[0]
        for term in terms[1:]:
            total = exp.Add(this=total, expression=term)
        return exp.Paren(this=total)

    def sub(left: exp.Expr, right: exp.Expr) -> exp.Expr:
        return exp.Paren(this=exp.Sub(this=left, expression=exp.Paren(this=right)))

    def mul(factor: int, value: exp.Expr) -> exp.Expr:
        return exp.Mul(this=n(factor), expression=exp.Paren(this=value))

    def pad(value: exp.Expr, width: int) -> exp.Expr:
        return b.call("lpad", b.cast(value, "VARCHAR"), n(width), b.string("0"))

    def col(name: str) -> exp.Expr:
        return exp.column(name)

    era = div(col("__z"), 146_097)
    month = b.case((exp.LT(this=col("__mp"), expression=n(10)), add(col("__mp"), n(3))),
                   default=sub(col("__mp"), n(9)))
    day = add(sub(col("__doy"), div(add(mul(153, col("__mp")), n(2)), 5)), n(1))
    year = add(col("__yoe"), mul(400, era), b.case((exp.GTE(this=col("__mp"), expression=n(10)), n(1)), default=n(0)))
    text = b.concat(pad(year, 4), b.string("-"), pad(month, 2), b.string("-"), pad(day, 2))
    steps = [  # (name, value), each value reading the names before it
        ("__z", add(days, n(719_468))),
        ("__doe", sub(col("__z"), mul(146_097, div(col("__z"), 146_097)))),
        ("__yoe", div(sub(add(sub(col("__doe"), div(col("__doe"), 1_460)), div(col("__doe"), 36_524)),
                          div(col("__doe"), 146_096)), 365)),
        ("__doy", sub(col("__doe"), sub(add(mul(365, col("__yoe")), div(col("__yoe"), 4)), div(col("__yoe"), 100)))),
        ("__mp", div(add(mul(5, col("__doy")), n(2)), 153)),
    ]
    for name, value in reversed(steps):
        text = b.bind(value, name, text)
    return text
