"""A value's JSON text, exactly as `runtime.show` prints it in a warning.

`runtime.show` is `json.dumps(value, ensure_ascii=False, default=str)` of the
Python value the DuckDB client gives for the SQL value, cut past 1,000
characters. Built per static SQL type, recursively for LIST and STRUCT, so
separators (`, ` and `: `), float repr (`1e+16`, `1e-05`), string escapes
(lowercase `\\u001f`) and the 6-digit microseconds of `str(datetime)` match.
"""

from __future__ import annotations

import json

from sqlglot import exp

from . import builders as b
from .errors import SqlRefused

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
    escaped = b.replace_all(text, _ESCAPES)  # backslash first, so later escapes stay
    needs = b.matches(text, '[\\x00-\\x1f"\\\\]')
    return b.concat(b.string('"'), b.case((needs, escaped), default=text), b.string('"'))


def show(value: exp.Expr, source: exp.DataType) -> exp.Expr:
    """`runtime.show` of a non-NULL value of SQL type `source` (cut at 1,000)."""
    text = json_text(value, source)
    return b.case(
        (exp.LTE(this=b.call("length", text), expression=b.integer(1000)), text),
        default=b.concat(b.call("substring", text, b.integer(1), b.integer(997)), b.string("...")),
    )


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
        shown = exp.Transform(this=value, expression=b.lam(_or_null(exp.column(name), element, depth + 1), name))
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
            parts.append(_or_null(member, field.args["kind"], depth + 1))
        parts.append(b.string("}"))
        return b.concat(*parts)
    raise SqlRefused(f"a column of type {source.sql(b.DIALECT)}", "duckdb")


def _or_null(value: exp.Expr, source: exp.DataType, depth: int = 0) -> exp.Expr:
    return b.case((b.is_null(value), b.string("null")), default=json_text(value, source, depth))


JSON_DEPTH = 2  # nesting shown exactly inside a JSON-typed value; deeper: DuckDB's text


def json_kind(value: exp.Expr) -> exp.Expr:
    return b.call("json_type", value)


def _json_value(value: exp.Expr, depth: int) -> exp.Expr:
    """json.dumps of what json.loads gives for a JSON value (a column DuckDB
    typed JSON because its values differ in kind)."""
    bound = f"__j{sum(1 for _ in value.find_all(exp.Lambda)) + 1}"
    return b.bind(value, bound, _json_shown(exp.column(bound), depth))


def _json_shown(value: exp.Expr, depth: int) -> exp.Expr:
    kind = json_kind(value)
    text = b.call("json_extract_string", value, b.string("$"))
    whens = [
        (b.eq(kind, b.string("VARCHAR")), json_string(text)),
        (b.eq(kind, b.string("DOUBLE")), _float_json(b.cast(value, "DOUBLE"))),
        (b.eq(kind, b.string("NULL")), b.string("null")),
    ]
    if depth < JSON_DEPTH:
        name = f"__s{depth}"
        items = exp.Transform(this=b.cast(value, "JSON[]"),
                              expression=b.lam(b.call("coalesce", _json_value(exp.column(name), depth + 1),
                                                      b.string("null")), name))
        key = exp.column(f"__k{depth}")
        entries = b.call("map_entries", b.cast(value, "MAP(VARCHAR, JSON)"))
        pairs = exp.Transform(this=entries, expression=b.lam(b.concat(
            json_string(exp.Dot(this=key, expression=exp.to_identifier("key"))), b.string(": "),
            b.call("coalesce", _json_value(exp.Dot(this=key, expression=exp.to_identifier("value")), depth + 1),
                   b.string("null"))), key.name))
        whens += [
            (b.eq(kind, b.string("ARRAY")),
             b.concat(b.string("["), b.call("array_to_string", items, b.string(", ")), b.string("]"))),
            (b.eq(kind, b.string("OBJECT")),
             b.concat(b.string("{"), b.call("array_to_string", pairs, b.string(", ")), b.string("}"))),
        ]
    # BIGINT, UBIGINT, BOOLEAN: the JSON text is Python's (digits, true/false).
    return b.case(*whens, default=b.cast(value, "VARCHAR"))


def _float_json(value: exp.Expr) -> exp.Expr:
    text = b.call("format", b.string("{}"), value)
    return b.case(
        (b.call("isnan", value), b.string("NaN")),
        (b.not_(b.call("isfinite", value)),
         b.case((exp.GT(this=value, expression=b.double(0.0)), b.string("Infinity")), default=b.string("-Infinity"))),
        (b.full_match(text, "-?[0-9]+"), b.concat(text, b.string(".0"))),
        default=text,
    )


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
