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


def json_string(text: exp.Expression) -> exp.Expression:
    """A VARCHAR as a JSON string literal, escaped as json.dumps does."""
    escaped: exp.Expression = text
    for char, escape in _ESCAPES:  # backslash first, so later escapes stay
        escaped = exp.Replace(this=escaped, expression=b.string(char), replacement=b.string(escape))
    needs = b.matches(text, '[\\x00-\\x1f"\\\\]')
    return b.concat(b.string('"'), b.case((needs, escaped), default=text), b.string('"'))


def show(value: exp.Expression, source: exp.DataType) -> exp.Expression:
    """`runtime.show` of a non-NULL value of SQL type `source` (cut at 1,000)."""
    text = json_text(value, source)
    return b.case(
        (exp.LTE(this=b.call("length", text), expression=b.integer(1000)), text),
        default=b.concat(b.call("substring", text, b.integer(1), b.integer(997)), b.string("...")),
    )


def json_text(value: exp.Expression, source: exp.DataType) -> exp.Expression:
    """json.dumps of a non-NULL value (NULL inside lists and structs is `null`)."""
    kind = source.this
    if kind == exp.DataType.Type.JSON:
        return json_string(b.cast(value, "VARCHAR"))
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
        shown = exp.Transform(this=value, expression=b.lam(_or_null(exp.column("e"), element), "e"))
        return b.concat(
            b.string("["), b.call("array_to_string", shown, b.string(", ")), b.string("]")
        )
    if kind == exp.DataType.Type.STRUCT:
        parts: list[exp.Expression] = [b.string("{")]
        for index, field in enumerate(source.expressions):
            name = field.this.name
            key = json.dumps(name, ensure_ascii=False) + ": "
            parts.append(b.string((", " if index else "") + key))
            member = exp.Dot(this=b.paren(value), expression=exp.to_identifier(name, quoted=True))
            parts.append(_or_null(member, field.args["kind"]))
        parts.append(b.string("}"))
        return b.concat(*parts)
    raise SqlRefused(f"a column of type {source.sql(b.DIALECT)}", "duckdb")


def _or_null(value: exp.Expression, source: exp.DataType) -> exp.Expression:
    return b.case((b.is_null(value), b.string("null")), default=json_text(value, source))


def _float_json(value: exp.Expression) -> exp.Expression:
    text = b.call("format", b.string("{}"), value)
    return b.case(
        (b.call("isnan", value), b.string("NaN")),
        (b.not_(b.call("isfinite", value)),
         b.case((exp.GT(this=value, expression=b.double(0.0)), b.string("Infinity")), default=b.string("-Infinity"))),
        (b.full_match(text, "-?[0-9]+"), b.concat(text, b.string(".0"))),
        default=text,
    )


def _datetime_str(value: exp.Expression, aware: bool) -> exp.Expression:
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
    return b.concat(text, b.string("+00:00")) if aware else text
