"""The DuckDB decision SELECT rewritten for BigQuery (GoogleSQL), node by node.

Built on postgres.py's rewrite, which already turns DuckDB's list lambdas
into subqueries over arrays (BigQuery has no lambdas either): `_BigQuery`
keeps its structure and replaces what is PostgreSQL's own. Each mapping
below gives the same value as DuckDB's for every input, by GoogleSQL's
reference (ZetaSQL's docs/, the dialect BigQuery runs; cited as
`functions.md: NAME`); anything without such a mapping is refused
(SqlRefused naming the construct and `bigquery`, located at the policy
condition it came from). No BigQuery runs here: the output is checked by
sqlglot round-trip only, and says so in its first line.

- Lists: `ARRAY(SELECT .. FROM UNNEST(l) AS e WITH OFFSET AS o .. ORDER BY o)`
  (query-syntax.md: UNNEST destroys the order, WITH OFFSET keeps it;
  array_functions.md: ARRAY of a subquery with ORDER BY keeps that order),
  NULL for a NULL list as DuckDB's list functions; `l[SAFE_ORDINAL(i)]` is
  NULL out of range as DuckDB's list_extract; a value bound once is a
  correlated UNNEST of one STRUCT; the generator's STRUCTs are native.
- Text: comparisons are code point by code point (operators.md), as
  Python's; casefold is PostgreSQL's table for an ASCII-only lower(), with
  TRANSLATE of A-Z for that lower() (never BigQuery's LOWER, whose Unicode
  version is not ours).
- Regexes: REGEXP_CONTAINS is RE2's partial match (string_functions.md), as
  DuckDB's regexp_matches: the pattern is passed unchanged, the `i` flag as
  a leading `(?i)` (RE2's flag for the whole pattern).
- Numbers: `//` is DIV (truncates toward zero: DIV(12, -7) = -1), `%` MOD
  (the sign of X), `/` IEEE_DIVIDE (IEEE division, never an error); ints
  are INT64, so an int against a double is compared through FLOOR/CEIL cast
  to INT64 behind a 2**63 bound, as on Spark.

- Sums over events: an undecayed per-event rule's is `0.0 + n * C`, the
  same float as the ordered sum for the points it is kept for
  (`constant_sum`); a datetime shown in a warning is rebuilt from
  UNIX_MICROS in integer arithmetic (show.datetime_text).

Refused (each named in the error): decay (`decay N% every` and `half_life`:
POW is not proven to be the C pow() Python uses), integer arithmetic that
could pass 64 bits, any other sum over events (SUM has no order), text
parsed as a number or a time (BigQuery's CAST from STRING is not proven to
be DuckDB's: text-typed columns read as numbers or times, and `$as_of`
without --as-of), JSON-typed columns, column types without a BigQuery twin.
Decided at run time: a float shown in a warning is printed when it is
integral below 2**53, any other float stops the query
(ERROR) naming it. A float operation that overflows raises an error in
BigQuery (operators.md) where Python gives inf: an error, never a silent
difference.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from sqlglot import exp

from . import builders as b
from . import casefold as cf
from . import postgres as pg
from .coerce import TIME_TYPE, micros
from .errors import SqlRefused
from .show import DATETIME_STR, civil_date_text, datetime_text

BIGQUERY = "bigquery"
T = exp.DataType.Type
_TWO_63 = 2.0**63
_TWO_126 = 2.0**126
_UPPER = "".join(chr(c) for c in range(ord("A"), ord("Z") + 1))
# PostgreSQL's names in the shared mappings, and BigQuery's for the same function.
_RENAMED = {
    "OCTET_LENGTH": "BYTE_LENGTH",  # string_functions.md: BYTE_LENGTH, the length in bytes
    "CARDINALITY": "ARRAY_LENGTH",  # array_functions.md: NULL for a NULL array, 0 for an empty one
}
_f = pg._f
_s = b.string
_n = b.integer


def refuse(construct: str) -> SqlRefused:
    return SqlRefused(construct, BIGQUERY)


def _ascii_lower(text: exp.Expr) -> exp.Expr:
    """A-Z to a-z, nothing else (string_functions.md: TRANSLATE, per character)."""
    return _f("TRANSLATE", text, _s(_UPPER), _s(_UPPER.lower()))


def _double(value: float) -> exp.Expr:
    """A FLOAT64 constant (conversion_functions.md: 'inf', '-inf', 'NaN' are
    the texts CAST reads as the special values)."""
    if value != value or value in (float("inf"), float("-inf")):
        text = "NaN" if value != value else ("inf" if value > 0 else "-inf")
        return exp.Cast(this=_s(text), to=b.sql_type("DOUBLE"))
    return b.double(value)


def _is_double_literal(node: exp.Expr, value: float) -> bool:
    return (isinstance(node, exp.Cast) and node.to.this == T.DOUBLE and isinstance(node.this, exp.Literal)
            and float(node.this.name) == value)


def _constant_points(values: exp.Expr) -> float | None:
    """C of list_transform(events, e -> C) (an undecayed per-event rule's
    points, compile._points_sum), or None for any other list."""
    if not isinstance(values, exp.Transform):
        return None
    body = _unparen(values.expression.this)
    sign = 1.0
    if isinstance(body, exp.Neg):
        sign, body = -1.0, _unparen(body.this)
    if isinstance(body, exp.Cast) and body.to.this == T.DOUBLE and isinstance(body.this, exp.Literal):
        return sign * float(body.this.name)
    return None


def _unparen(node: exp.Expr) -> exp.Expr:
    while isinstance(node, exp.Paren):
        node = node.this
    return node


class _BigQuery(pg._Rewriter):
    dialect = BIGQUERY

    def rewrite(self, node: exp.Expr) -> exp.Expr:
        marked = node.meta.get(cf.MARK)
        if marked is not None:
            return pg._casefold(self(marked[1]), marked[0], ascii_lower=_ascii_lower)
        if TIME_TYPE in node.meta:  # coerce.micros: the type of a value no column names (an event's `at`)
            return self.epoch(node.expressions[0], node.meta[TIME_TYPE])
        if DATETIME_STR in node.meta:
            # Rebuilt from its microseconds (DuckDB's timezone() and strftime() have no proven twin).
            value, aware = node.meta[DATETIME_STR]
            us = micros(value.copy(), T.TIMESTAMPTZ if aware else T.TIMESTAMP)
            return self(datetime_text(us, aware, civil_date_text))
        if isinstance(node, exp.Placeholder):
            raise refuse("the `$as_of` parameter (text read as a time; give --as-of)")
        if isinstance(node, exp.Struct):
            return self.args(node)  # native STRUCT(value AS name, ...)
        if isinstance(node, exp.Array):
            # data-types.md: an untyped `[]` takes its type from the context (COALESCE's other argument).
            return self.args(node)
        if isinstance(node, exp.IntDiv):
            return _f("DIV", self(node.this), self(node.expression))
        if isinstance(node, exp.Div):
            return _f("IEEE_DIVIDE", self(node.this), self(node.expression))
        if isinstance(node, exp.Pow):
            raise refuse("decay (`decay N% every` / `decay half_life`: POW is not proven to be Python's pow())")
        if isinstance(node, exp.ArrayConcat):
            parts = [_f("COALESCE", self(part), exp.Cast(this=exp.Array(expressions=[]), to=b.sql_type("TEXT[]")))
                     for part in (node.this, *node.expressions)]
            return _f("ARRAY_CONCAT", *parts)  # array_functions.md: NULL if any input is NULL
        if isinstance(node, exp.GT) and _is_double_literal(node.expression, _TWO_126):
            return self.beyond_int64(node)
        if isinstance(node, (exp.LT, exp.LTE, exp.GT, exp.GTE)):
            return self.args(node)  # STRING order is code point order already
        if isinstance(node, exp.Dot) and not self.input_member(node):
            return exp.Dot(this=self(node.this), expression=node.expression.copy())
        return super().rewrite(node)

    def beyond_int64(self, node: exp.GT) -> exp.Expr:
        """logic._int_vs_double's `abs(x) > 2**126` (a double beyond every
        int): BigQuery's ints are 64-bit, so beyond is x >= 2**63 or
        x < -2**63, and FLOOR/CEIL/TRUNC of any other double fit an INT64."""
        inner = _unparen(node.this)
        if not (isinstance(inner, exp.Anonymous) and str(inner.this).upper() == "ABS"):
            return self.args(node)
        x = self(inner.expressions[0])
        return exp.Paren(this=exp.Or(this=exp.GTE(this=x, expression=_double(_TWO_63)),
                                     expression=exp.LT(this=x.copy(), expression=_double(-_TWO_63))))

    def input_member(self, node: exp.Dot) -> bool:
        base: exp.Expr = node
        while isinstance(base, (exp.Dot, exp.Paren)):
            base = base.this
        return isinstance(base, exp.Column) and base.name in self.columns

    def select(self, node: exp.Select) -> exp.Expr:
        select = super().select(node)
        select.set("offset", None)  # PostgreSQL's fence; BigQuery has no OFFSET without LIMIT
        return select

    def cast(self, node: exp.Cast | exp.TryCast) -> exp.Expr:
        to = node.to
        value = _unparen(node.this)
        if isinstance(node, exp.TryCast):
            raise refuse(f"text read as {to.sql('duckdb')} (BigQuery's CAST from text is not proven to be DuckDB's)")
        if to.this in (T.INT128, T.INT256):
            if isinstance(value, exp.Anonymous) and str(value.this).upper() in ("CEIL", "FLOOR", "TRUNC"):
                # Behind beyond_int64: the value is integral and within INT64 (conversion_rules.md:
                # FLOAT64 to INT64 is the closest integer, exact for an integral value).
                return exp.Cast(this=self(value), to=b.sql_type("BIGINT"))
            raise refuse("integer arithmetic beyond 64 bits")
        if to.this == T.JSON:
            raise refuse("a JSON-typed column")
        if isinstance(value, exp.Array) and not value.expressions:
            return exp.Cast(this=exp.Array(expressions=[]), to=to.copy())  # printed as ARRAY<type>[]
        if to.this in (T.TEXT, T.VARCHAR) and self.is_double(value):
            raise refuse("a double shown as text")
        return exp.Cast(this=self(node.this), to=to.copy())

    def over_list(self, values: exp.Expr, lam: exp.Lambda, *, keep_element: bool) -> exp.Expr:
        names = [e.name for e in lam.expressions]
        element = names[0]
        listed = self(values)
        # Named after the lambda's index: an index used in a nested list's body is not captured there.
        offset = f"{names[1]}_o" if len(names) > 1 else "__o"
        body = self(lam.this)
        if len(names) > 1:  # DuckDB's 1-based index: the offset + 1
            index = exp.Paren(this=exp.Add(this=exp.column(offset, quoted=True), expression=_n(1)))
            body = body.transform(lambda n: index.copy() if isinstance(n, exp.Column) and not n.table
                                  and n.name == names[1] else n, copy=True)
        selected = exp.column(element, quoted=True) if keep_element else body
        select = exp.Select(expressions=[selected]).from_(_unnest(listed, element, offset), copy=False)
        if keep_element:
            select = select.where(body, copy=False)
        select = select.order_by(exp.column(offset, quoted=True), copy=False)
        return b.case((b.is_null(listed), exp.Null()), default=exp.Array(expressions=[select]))

    def array_filter(self, node: exp.ArrayFilter) -> exp.Expr:
        lam = node.expression
        assert isinstance(lam, exp.Lambda)
        return self.over_list(node.this, lam, keep_element=True)

    def list_extract(self, args: list[exp.Expr]) -> exp.Expr:
        values, index = args
        binding = pg.bound(values, index)
        if binding is not None:
            # builders.bind: a value computed once, under a name. A correlated FROM
            # reads an array (query-syntax.md): one STRUCT, whose field is a column.
            lam, value = binding
            name = exp.to_identifier(lam.expressions[0].name, quoted=True)
            member = exp.PropertyEQ(this=name, expression=self(value))
            row = exp.Unnest(expressions=[exp.Array(expressions=[exp.Struct(expressions=[member])])])
            return exp.Subquery(this=exp.Select(expressions=[self(lam.this)]).from_(row, copy=False))
        split = pg.last_split_part(values, index)
        if split is not None:
            # The last part: string_functions.md SPLIT gives [''] for '' as DuckDB's string_split
            # (an empty separator splits into characters in BigQuery: refused).
            if not pg._string_value(split[1], "a split on a non-constant separator"):
                raise refuse("a split on an empty separator")
            parts = _f("ARRAY_REVERSE", _f("SPLIT", self(split[0]), self(split[1])))
            return _ordinal(parts, _n(1))
        if isinstance(index, exp.Literal) and index.is_int and int(index.this) > 0:
            return _ordinal(self(values), index.copy())
        raise refuse("a list element at a computed index")

    def list_reduce(self, args: list[exp.Expr]) -> exp.Expr:
        values, lam, _ = args
        assert isinstance(lam, exp.Lambda)
        if isinstance(values, exp.Array) and isinstance(lam.this, exp.Replace):
            return super().list_reduce(args)  # builders.replace_all: a chain of REPLACE
        points = _constant_points(values)
        if points is not None:
            assert isinstance(values, exp.Transform)
            return self.constant_sum(values, points, args[2])
        raise refuse("a sum over events (BigQuery's SUM has no defined order; float sums depend on it)")

    def epoch(self, value: exp.Expr, kind: object) -> exp.Expr:
        """epoch_us of a value of SQL type `kind`."""
        return _epoch_of(self, value, kind)

    def constant_sum(self, values: exp.Transform, points: float, initial: exp.Expr) -> exp.Expr:
        """The sum from 0.0, in list order, of an undecayed per-event rule's
        points (the same constant C for each of the n events) as `0.0 + n * C`.

        Exact: with C = m * 2**e (m an odd integer), every partial sum k * C
        (k <= n) is a float when n * |m| <= 2**53, so each addition is exact
        and so is the product; `0.0 +` makes n = 0 give 0.0 as the sum does,
        not the product's -0.0. A BigQuery row holds at most 100 MB, so no list
        has 2**31 elements: the rewrite is refused for a C whose m allows
        fewer (0.1, say: its m allows two)."""
        mantissa = abs(points).as_integer_ratio()[0] if points else 1
        if 2**53 // mantissa < 2**31:
            raise refuse(f"a sum over events of {points!r} points each (BigQuery's SUM has no defined order; "
                         "float sums of this value depend on it)")
        count = b.cast(_f("ARRAY_LENGTH", self(values.this)), "DOUBLE")
        return exp.Add(this=self(initial), expression=exp.Mul(this=count, expression=self(values.expression.this)))


def _ordinal(listed: exp.Expr, index: exp.Expr) -> exp.Expr:
    """The element at a 1-based index, NULL beyond the end (arrays.md: SAFE_ORDINAL)."""
    return exp.Bracket(this=exp.Paren(this=listed), expressions=[_f("SAFE_ORDINAL", index)])


def _unnest(listed: exp.Expr, element: str, offset: str) -> exp.Expr:
    """`UNNEST(listed) AS element WITH OFFSET AS offset` (0-based)."""
    alias = exp.TableAlias(columns=[exp.to_identifier(element, quoted=True)])  # BigQuery names the value itself
    return exp.Unnest(expressions=[listed], alias=alias,
                      offset=exp.to_identifier(offset, quoted=True))


# ------------------------------------------------------------------ functions
Mapping_ = Callable[[pg._Rewriter, list[exp.Expr]], exp.Expr]


def _regex(node: exp.Expr, *, ignore_case: bool = False, full: bool = False) -> exp.Expr:
    pattern = pg._string_value(node, "a regex that is not a constant")
    if full:
        pattern = f"^(?:{pattern})$"  # ours only (builders.full_match): RE2's `$` is the end of the text
    return _s(("(?i)" if ignore_case else "") + pattern)


def matcher(name: str, regex: Callable[..., exp.Expr]) -> Mapping_:
    """DuckDB's regexp_matches(text, re[, 'c' | 'i']) as the dialect's `name`
    of the pattern `regex` writes."""
    def matches(r: pg._Rewriter, args: list[exp.Expr]) -> exp.Expr:
        ignore_case = False
        if len(args) == 3:
            flags = pg._string_value(args[2], "regex flags that are not a constant")
            if flags not in ("c", "i"):
                raise refuse(f"the regex flags {flags!r}")
            ignore_case = flags == "i"
        return _f(name, r(args[0]), regex(args[1], ignore_case=ignore_case))
    return matches


def contains_by(found: Callable[[exp.Expr, exp.Expr], exp.Expr]) -> Mapping_:
    """DuckDB's contains(): `found(text, part)` (a 1-based position, 0 when
    absent) > 0, and '' is in every text (NULL stays NULL)."""
    def contains(r: pg._Rewriter, args: list[exp.Expr]) -> exp.Expr:
        text, part = r(args[0]), r(args[1])
        empty = b.and_(b.eq(_f("CHAR_LENGTH", part), _n(0)), b.not_null(text.copy()))
        return b.or_(exp.GT(this=found(text, part.copy()), expression=_n(0)), empty)
    return contains


_matches = matcher("REGEXP_CONTAINS", _regex)
_contains = contains_by(lambda text, part: _f("STRPOS", text, part))  # string_functions.md: STRPOS


def _epoch(r: pg._Rewriter, args: list[exp.Expr]) -> exp.Expr:
    """epoch_us of a column or a value whose type the columns tell, by the
    dialect's own `epoch` (Snowflake overrides it)."""
    from .dialects import _type_of

    assert isinstance(r, _BigQuery)
    return r.epoch(args[0], _type_of(args[0], r.columns))


def _epoch_of(r: pg._Rewriter, value: exp.Expr, kind: object) -> exp.Expr:
    """Microseconds since the epoch, UTC, of a value of SQL type `kind`
    (date_functions.md: UNIX_DATE; timestamp_functions.md: UNIX_MICROS; a
    naive DATETIME read as UTC)."""
    if kind == T.DATE:
        return exp.Mul(this=_f("UNIX_DATE", r(value)), expression=_n(86_400_000_000))
    if kind in (T.TIMESTAMPTZ, T.TIMESTAMPLTZ):
        return _f("UNIX_MICROS", r(value))
    if kind == T.TIMESTAMP:
        return _f("UNIX_MICROS", _f("TIMESTAMP", r(value), _s("UTC")))
    raise refuse("a time value of this column type")


def _float_text(r: pg._Rewriter, args: list[exp.Expr]) -> exp.Expr:
    """DuckDB's format('{}', x), Python's repr, where BigQuery can print it
    exactly: an integral value below 2**53 (its INT64 digits and `.0`), and
    +0.0; anything else stops the query (debugging_functions.md: ERROR)
    rather than show another text."""
    if pg._string_value(args[0], "a format that is not a constant") != "{}":
        raise refuse("format()")
    x = r(args[1])
    whole = b.and_(b.eq(x.copy(), _f("TRUNC", x.copy())), exp.LT(this=_f("ABS", x.copy()), expression=_double(2.0**53)),
                   b.not_(b.and_(b.eq(x.copy(), _double(0.0)),
                                 exp.LT(this=_f("IEEE_DIVIDE", _double(1.0), x.copy()), expression=_double(0.0)))))
    digits = b.concat(exp.Cast(this=exp.Cast(this=x.copy(), to=b.sql_type("BIGINT")), to=b.sql_type("TEXT")),
                      _s(".0"))
    stop = _f("ERROR", b.concat(_s("qualdsl: bigquery cannot show this number exactly as Python does: "),
                                _f("FORMAT", _s("%g"), x.copy())))
    return b.case((whole, digits), default=exp.Cast(this=stop, to=b.sql_type("TEXT")))


def _bool_or(r: pg._Rewriter, args: list[exp.Expr]) -> exp.Expr:
    """DuckDB's list_bool_or: NULL for an empty or NULL list (aggregate_functions.md:
    LOGICAL_OR of no rows is NULL), true if any element is."""
    select = exp.Select(expressions=[_f("LOGICAL_OR", exp.column("__m", quoted=True))]).from_(
        _unnest(r(args[0]), "__m", "__mo"), copy=False)
    return exp.Subquery(this=select)


def _sorted_events(r: pg._Rewriter, args: list[exp.Expr]) -> exp.Expr:
    """list_sort of loaded events: by (k, j), unique per event."""
    listed = r(args[0])
    element = exp.column("__s", quoted=True)
    order = [exp.Dot(this=element.copy(), expression=exp.to_identifier(key, quoted=True)) for key in ("k", "j")]
    select = exp.Select(expressions=[element]).from_(_unnest(listed, "__s", "__so"), copy=False)
    select = select.order_by(*order, copy=False)
    return b.case((b.is_null(listed), exp.Null()), default=exp.Array(expressions=[select]))


def _slice(r: pg._Rewriter, args: list[exp.Expr]) -> exp.Expr:
    """list_slice(l, 1, n): the first n elements in order."""
    if not pg._is_one(args[1]):
        raise refuse("a list slice not from the start")
    listed, end = r(args[0]), r(args[2])
    select = exp.Select(expressions=[exp.column("__e", quoted=True)]).from_(
        _unnest(listed, "__e", "__eo"), copy=False)
    select = select.where(exp.LT(this=exp.column("__eo", quoted=True), expression=end), copy=False)
    select = select.order_by(exp.column("__eo", quoted=True), copy=False)
    return b.case((b.is_null(listed), exp.Null()), default=exp.Array(expressions=[select]))


def _refused(construct: str) -> Mapping_:
    def refusal(r: pg._Rewriter, args: list[exp.Expr]) -> exp.Expr:
        raise refuse(construct)
    return refusal


def _same(name: str) -> Mapping_:
    return lambda r, args: _f(name, *(r(a) for a in args))


# The same function under the same name (but SUBSTR) in GoogleSQL and Snowflake, NULL for NULL
# (string_functions.md, mathematical_functions.md; Snowflake's functions/NAME).
SAME_NAMED: dict[str, Mapping_] = {
    "ABS": _same("ABS"), "COALESCE": _same("COALESCE"), "LEFT": _same("LEFT"), "LPAD": _same("LPAD"),
    "RPAD": _same("RPAD"), "NULLIF": _same("NULLIF"), "SUBSTRING": _same("SUBSTR"), "TRANSLATE": _same("TRANSLATE"),
    "FLOOR": _same("FLOOR"), "CEIL": _same("CEIL"), "TRUNC": _same("TRUNC"),
}
_FUNCTIONS: dict[str, Mapping_] = {
    **SAME_NAMED,
    "STARTS_WITH": _same("STARTS_WITH"), "SUFFIX": _same("ENDS_WITH"),
    "LENGTH": _same("CHAR_LENGTH"),  # characters (code points), as DuckDB's length()
    "STRLEN": _same("BYTE_LENGTH"),  # UTF-8 bytes, as DuckDB's strlen()
    "LEN": _same("ARRAY_LENGTH"),
    "ARRAY_TO_STRING": _same("ARRAY_TO_STRING"),  # array_functions.md: NULL elements are omitted, as DuckDB's
    "ISNAN": _same("IS_NAN"),
    "ISFINITE": lambda r, args: b.not_(b.or_(_f("IS_NAN", r(args[0])), _f("IS_INF", r(args[0])))),
    "CONTAINS": _contains, "REGEXP_MATCHES": _matches,
    "REGEXP_FULL_MATCH": lambda r, args: _f("REGEXP_CONTAINS", r(args[0]), _regex(args[1], full=True)),
    "LIST_BOOL_OR": _bool_or, "LIST_SORT": _sorted_events, "LIST_SLICE": _slice,
    "EPOCH_US": _epoch, "FORMAT": _float_text,
    "LOWER": _refused("lower() outside casefold"),
    "JSON_TYPE": _refused("a JSON-typed column"), "JSON_EXTRACT_STRING": _refused("a JSON-typed column"),
    "MAP_ENTRIES": _refused("a JSON-typed column"),
}
_BigQuery.functions = _FUNCTIONS


def renamer(names: Mapping[str, str]) -> Callable[[exp.Expr], exp.Expr]:
    """A transform giving the shared mappings' PostgreSQL names the dialect's."""
    def renamed(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Anonymous) and str(node.this).upper() in names:
            node.set("this", names[str(node.this).upper()])
        return node
    return renamed


def rewritten(rewriter: type[pg._Rewriter], select: exp.Expr, columns: Mapping[str, exp.DataType],
              event: exp.DataType | None, column_type: Callable[[exp.DataType], None],
              names: Mapping[str, str]) -> exp.Expr:
    """`select` rewritten by `rewriter`, after `column_type` has refused the
    types of the columns it reads (a column the policy does not read may be
    of any type); the shared mappings' names then made the dialect's."""
    read = {column.name for column in select.find_all(exp.Column)}
    for name, data_type in columns.items():
        if name in read:
            column_type(data_type)
    tree = rewriter(columns, event)(select)
    return tree.transform(renamer(names), copy=False)


# Column types of the relation with a BigQuery type holding the same values
# (INT64 holds every DuckDB integer type, FLOAT64 a DOUBLE, DATETIME a naive
# TIMESTAMP, TIMESTAMP an instant); JSON is refused where it is read.
_COLUMN_TYPES = {T.VARCHAR, T.TEXT, T.BIGINT, T.INT, T.SMALLINT, T.TINYINT, T.DOUBLE, T.BOOLEAN, T.DATE,
                 T.TIMESTAMP, T.TIMESTAMPTZ, T.JSON}


def _column_type(data_type: exp.DataType) -> None:
    kind = data_type.this
    if kind in (T.ARRAY, T.LIST):
        inner = data_type.expressions[0]
        if inner.this in (T.ARRAY, T.LIST):
            raise refuse("a list of lists (BigQuery has no arrays of arrays)")
        _column_type(inner)
    elif kind == T.STRUCT:
        for member in data_type.expressions:
            _column_type(member.args["kind"])
    elif kind not in _COLUMN_TYPES:
        raise refuse(f"a column of type {data_type.sql('duckdb')}")


def to_bigquery(select: exp.Expr, columns: Mapping[str, exp.DataType],
                event: exp.DataType | None = None) -> exp.Expr:
    """The DuckDB SELECT as BigQuery's tree (refusing what has no exact mapping)."""
    return rewritten(_BigQuery, select, columns, event, _column_type, _RENAMED)


def bigquery_sql(select: exp.Expr, columns: Mapping[str, exp.DataType], event: exp.DataType | None,
                 pretty: bool) -> str:
    sql: str = to_bigquery(select, columns, event).sql(dialect=BIGQUERY, pretty=pretty)
    return sql

