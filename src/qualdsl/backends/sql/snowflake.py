"""The DuckDB decision SELECT rewritten for Snowflake, node by node.

Built on bigquery.py's rewrite (itself on postgres.py's): `_Snowflake` keeps
its refusals and its handling of casefold, int-vs-double bounds and SELECT
layers, and replaces what is BigQuery's own. Each mapping gives the same
value as DuckDB's for every input, by Snowflake's SQL reference
(docs.snowflake.com/en/sql-reference, cited as `functions/NAME` or the
page's name); anything without such a mapping is refused (SqlRefused naming
the construct and `snowflake`, located at the policy condition it came
from). No Snowflake runs here: the output is checked by sqlglot round-trip
only, and says so in its first line.

Decisions:
- Regexes: Snowflake's are POSIX ERE (+ Perl's \\d \\s \\w \\b \\B), and
  REGEXP_LIKE matches the whole subject (functions/regexp_like: "implicitly
  anchors a pattern at both ends"). RE2's partial match becomes
  `(.|\\n)*(p)(.|\\n)*`, `p` translated by regex_dialects.to_snowflake for the
  subset whose meaning POSIX fixes (its docstring); the `i` flag is written as
  RE2's case orbits, never Snowflake's `i` parameter. The rest is refused,
  named.
- Text: with no collation, strings compare "according to the Unicode codes
  that represent the characters" (collation: Understanding collation), as
  Python; the relation's text columns must have none (an account's
  DEFAULT_DDL_COLLATION would change every comparison). Casefold is
  PostgreSQL's table for an ASCII-only lower() with TRANSLATE of A-Z (never
  Snowflake's LOWER, whose Unicode version is not ours); starts/ends with are
  LEFT/RIGHT of LENGTH (characters), `contains` CHARINDEX > 0 or an empty part.
- Arrays hold VARIANTs: lists are ARRAY_CONSTRUCT (a SQL NULL argument is
  kept as an element, functions/array_construct), dropping missing elements
  is ARRAY_COMPACT ("missing and null values removed", the order kept),
  concatenation ARRAY_CAT of COALESCEd parts, a list's length ARRAY_SIZE.
  `x in LIST` over a list of text is TRANSFORM with each VARIANT element cast
  back to VARCHAR, then ARRAY_CONTAINS of TRUE / FALSE (`_any_of`); any
  other list function with a computed body would read VARIANTs whose SQL
  type is not known here, and is refused (lists of numbers, events). A value bound once (builders.bind) is written in
  place: Snowflake has no LET and a correlated scalar subquery is not always
  accepted. The last part of a split is SPLIT_PART(t, sep, -1) (negative
  parts count from the end; '' when the text is '').
- Structures: a STRUCT input column is a structured OBJECT whose members
  have the schema's types, read by GET(obj, 'name') cast to the member's
  type; the decision's `icp`, `scores` and each rule of `rules` are
  OBJECT_CONSTRUCT_KEEP_NULL (a NULL member kept as JSON null). Snowflake
  OBJECTs have no key order: the values are the decision's, the order of
  `scores`' keys is not.
- Numbers: BIGINT is NUMBER(38, 0) and DOUBLE is FLOAT (IEEE double).
  `a // d` (d a non-zero constant: day and decay periods) is
  `(a - MOD(a, d)) / d` cast to BIGINT: MOD keeps the sign of the dividend
  (functions/mod), as DuckDB's %, so the quotient is DuckDB's truncated one,
  exactly (and the generator's floor, `//` less one where `%` is negative,
  comes out the same under either sign convention for a positive divisor);
  any other integer division is refused (Snowflake raises on a zero
  divisor). A double `/` is `a / NULLIF(d, 0)`: the generator already gives
  NULL for a zero divisor, and this keeps Snowflake from raising on it.
  NaN equals NaN and is above every other value in Snowflake as in DuckDB
  (data types, numeric: special values); a float operation that overflows
  gives inf or raises — never another number.
- Names: the decision's columns are quoted (`"policy"`, `"icp"`, ...: an
  unquoted name is upper-cased by Snowflake), and so are the input columns,
  as the schema spells them (the relation's columns must be created with
  those quoted names); `--table` is written as given.
- Times: DATE as DATEDIFF(DAY, 1970-01-01, d) days, TIMESTAMP_TZ/NTZ by
  DATE_PART(EPOCH_MICROSECOND, t) (an NTZ read as UTC); a date shown in a
  warning is TO_VARCHAR(d, 'YYYY-MM-DD').

Refused as on BigQuery, for the same reasons: decay (POW is not proven to
be Python's pow()), integer arithmetic that could pass 64 bits, sums over
events (no ordered SUM), text read as a number or a time (TRY_CAST from
text is not proven to accept what DuckDB's does) and so `$as_of` without
--as-of, a datetime shown in a warning, JSON-typed columns, column types
without a Snowflake twin. Decided at run time: a float shown in a warning is
printed when it is integral, non-zero and below 2**53; any other float stops
the query with an error naming it (TO_NUMBER of a text that is no number).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from sqlglot import exp

from . import bigquery as bq
from . import builders as b
from . import casefold as cf
from . import postgres as pg
from . import regex_dialects
from .errors import SqlRefused
from .show import DATETIME_STR

SNOWFLAKE = "snowflake"
T = exp.DataType.Type
STOP = "qualdsl: snowflake cannot show this number exactly as Python does: "
_f = pg._f
_s = b.string
_n = b.integer
_DAY_US = 86_400_000_000
# PostgreSQL's names in the shared mappings, and Snowflake's for the same function.
_RENAMED = {
    "CHAR_LENGTH": "LENGTH",  # functions/length: characters
    "CARDINALITY": "ARRAY_SIZE",  # functions/array_size: NULL for NULL
}
# DuckDB's column and cast types -> Snowflake's type holding the same values.
_TYPES = {T.VARCHAR: "VARCHAR", T.TEXT: "VARCHAR", T.BIGINT: "BIGINT", T.INT: "BIGINT", T.SMALLINT: "BIGINT",
          T.TINYINT: "BIGINT", T.DOUBLE: "DOUBLE", T.BOOLEAN: "BOOLEAN", T.DATE: "DATE",
          T.TIMESTAMP: "TIMESTAMP_NTZ", T.TIMESTAMPTZ: "TIMESTAMP_TZ"}


def refuse(construct: str) -> SqlRefused:
    return SqlRefused(construct, SNOWFLAKE)


def snowflake_type(data_type: exp.DataType) -> exp.DataType:
    kind = data_type.this
    if kind in (T.ARRAY, T.LIST):
        return exp.DataType.build("ARRAY", dialect=SNOWFLAKE)  # semi-structured: VARIANT elements
    if kind == T.STRUCT:
        return exp.DataType.build("OBJECT", dialect=SNOWFLAKE)
    if kind not in _TYPES:
        raise refuse(f"a value of type {data_type.sql('duckdb')}")
    return exp.DataType.build(_TYPES[kind], dialect=SNOWFLAKE)


def _unparen(node: exp.Expr) -> exp.Expr:
    while isinstance(node, exp.Paren):
        node = node.this
    return node


def _empty_array() -> exp.Expr:
    return _f("ARRAY_CONSTRUCT")


def _inline(body: exp.Expr, name: str, value: exp.Expr) -> exp.Expr:
    """`body` with the column `name` replaced by `value` (pure SQL: the same
    value wherever it is computed)."""
    return body.transform(lambda n: exp.Paren(this=value.copy())
                          if isinstance(n, exp.Column) and not n.table and n.name == name else n, copy=True)


class _Snowflake(bq._BigQuery):
    # The element type of each list the SELECT names (`CAST(... AS TEXT[]) AS __f3`), read
    # from the whole tree at the first call: a lambda over the list reads VARIANTs, cast back.
    dialect = SNOWFLAKE
    list_types: dict[str, exp.DataType] | None = None
    kept: list[exp.Expr]

    def __call__(self, node: exp.Expr) -> exp.Expr:
        if self.list_types is None:
            self.kept = []
            self.list_types = {alias.alias: alias.this.to.expressions[0] for alias in node.find_all(exp.Alias)
                               if isinstance(alias.this, exp.Cast) and alias.this.to.this in (T.ARRAY, T.LIST)
                               and alias.this.to.expressions}
        return pg._Rewriter.__call__(self, node)

    def epoch(self, value: exp.Expr, kind: object) -> exp.Expr:
        return _epoch_of(self, value, kind)

    def rewrite(self, node: exp.Expr) -> exp.Expr:
        marked = node.meta.get(cf.MARK)
        if marked is not None:
            return pg._casefold(self(marked[1]), marked[0], ascii_lower=bq._ascii_lower)
        if DATETIME_STR in node.meta:
            raise refuse("a datetime shown in a warning")
        if isinstance(node, exp.Placeholder):
            raise refuse("the `$as_of` parameter (text read as a time; give --as-of)")
        if isinstance(node, exp.Struct):
            return _f("OBJECT_CONSTRUCT_KEEP_NULL", *self.struct_pairs(node))
        if isinstance(node, exp.Array):
            return _f("ARRAY_CONSTRUCT", *(self(e) for e in node.expressions))
        if isinstance(node, exp.IntDiv):
            return self.int_div(node)
        if isinstance(node, exp.Mod):
            return _f("MOD", self(node.this), self(self.constant_divisor(node.expression)))
        if isinstance(node, exp.Div):
            divisor = self(node.expression)
            return exp.Div(this=self(node.this), expression=_f("NULLIF", divisor, bq._double(0.0)))
        if isinstance(node, exp.Pow):
            raise refuse("decay (`decay N% every` / `decay half_life`: POW is not proven to be Python's pow())")
        if isinstance(node, exp.ArrayConcat):
            parts = [_f("COALESCE", self(part), _empty_array()) for part in (node.this, *node.expressions)]
            result = parts[0]
            for part in parts[1:]:
                result = _f("ARRAY_CAT", result, part)  # functions/array_cat: in order
            return result
        if isinstance(node, exp.Dot):
            return self.member(node)
        if isinstance(node, (exp.Transform, exp.ArrayFilter)) and not self.drops_missing(node):
            raise refuse(self.list_function(node))
        return super().rewrite(node)

    def constant_divisor(self, node: exp.Expr) -> exp.Expr:
        if not (isinstance(node, exp.Literal) and node.is_int and int(node.this) != 0):
            raise refuse("integer division by a computed divisor (Snowflake raises on zero)")
        return node

    def int_div(self, node: exp.IntDiv) -> exp.Expr:
        """DuckDB's truncating `//` by a non-zero constant, exactly."""
        divisor = self.constant_divisor(node.expression)
        a = self(node.this)
        exact = exp.Sub(this=pg._p(a), expression=_f("MOD", a.copy(), divisor.copy()))
        return exp.Cast(this=exp.Div(this=exp.Paren(this=exact), expression=divisor.copy()), to=b.sql_type("BIGINT"))

    def list_function(self, node: exp.Expr) -> str:
        """What a refused list function is for, in the user's words."""
        source = node.this
        if isinstance(source, exp.Column) and source.name in ("__warnings", "__reasons"):
            return "`--flat` (its JSON text of a list is built by a list function over the list)"
        lam = node.expression
        over_events = any(c.name.startswith("__ev") for c in source.find_all(exp.Column))
        if over_events or (isinstance(lam, exp.Lambda) and len(lam.expressions) > 1):
            return "events (each is loaded with its position: Snowflake's lambdas take one argument)"
        return "a list function with a computed body (Snowflake's lambdas read VARIANT elements)"

    def drops_missing(self, node: exp.Expr) -> bool:
        """list_filter(l, x -> x IS NOT NULL)."""
        lam = node.expression
        if isinstance(node, exp.Transform) or not isinstance(lam, exp.Lambda):
            return False
        body = lam.this
        name = lam.expressions[0].name
        return (isinstance(body, exp.Not) and isinstance(body.this, exp.Is) and isinstance(body.this.this, exp.Column)
                and body.this.this.name == name and isinstance(body.this.expression, exp.Null))

    def member(self, node: exp.Dot) -> exp.Expr:
        """A member of a STRUCT input column: GET of the structured OBJECT, as
        the member's type (functions/get: NULL for a missing key)."""
        base, names = pg.member_path(node)
        if not (isinstance(base, exp.Column) and base.name in self.columns):
            raise refuse(f"the STRUCT member {'.'.join(names)} of a computed value")
        sql_type = self.columns[base.name]
        value: exp.Expr = self(base)
        for name in names:
            members = {c.this.name: c.args["kind"] for c in sql_type.expressions} if sql_type.this == T.STRUCT else {}
            if name not in members:
                raise refuse(f"the STRUCT member {name}")
            sql_type = members[name]
            value = exp.Cast(this=_f("GET", value, _s(name)), to=snowflake_type(sql_type))
        return value

    def cast(self, node: exp.Cast | exp.TryCast) -> exp.Expr:
        to = node.to
        value = _unparen(node.this)
        if isinstance(node, exp.TryCast):
            raise refuse(f"text read as {to.sql('duckdb')} (Snowflake's TRY_CAST from text is not proven to be "
                         "DuckDB's)")
        if to.this in (T.INT128, T.INT256):
            if isinstance(value, exp.Anonymous) and str(value.this).upper() in ("CEIL", "FLOOR", "TRUNC"):
                # Behind beyond_int64: an integral double within INT64, exact as a NUMBER(38, 0).
                return exp.Cast(this=self(value), to=snowflake_type(b.sql_type("BIGINT")))
            raise refuse("integer arithmetic beyond 64 bits")
        if to.this == T.JSON:
            raise refuse("a JSON-typed column")
        if to.this in (T.ARRAY, T.LIST):
            if isinstance(value, exp.Array) and not value.expressions:
                return _empty_array()
            if isinstance(value, exp.Null):
                return exp.Cast(this=exp.Null(), to=snowflake_type(to))
            return exp.Cast(this=self(node.this), to=snowflake_type(to))
        if to.this in (T.TEXT, T.VARCHAR):
            if self.is_double(value):
                raise refuse("a double shown as text")
            from .dialects import _type_of

            if _type_of(value, self.columns) == T.DATE:
                # functions/to_char: YYYY-MM-DD is the ISO date, as DuckDB's (and Python's) text.
                return _f("TO_VARCHAR", self(node.this), _s("YYYY-MM-DD"))
        return exp.Cast(this=self(node.this), to=snowflake_type(to))

    def array_filter(self, node: exp.ArrayFilter) -> exp.Expr:
        return _f("ARRAY_COMPACT", self(node.this))  # drops_missing only: the order is kept

    def list_extract(self, args: list[exp.Expr]) -> exp.Expr:
        binding = pg.bound(*args)
        if binding is not None:
            lam, value = binding
            inlined = _inline(lam.this, lam.expressions[0].name, value)
            # Kept alive: the rewrite's memo is keyed by id(), which a freed node's id would reuse.
            self.kept.append(inlined)
            return self(inlined)
        split = pg.last_split_part(*args)
        if split is not None:
            if not pg._string_value(split[1], "a split on a non-constant separator"):
                raise refuse("a split on an empty separator")
            # functions/split_part: a negative part counts from the end.
            return _f("SPLIT_PART", self(split[0]), self(split[1]), _n(-1))
        raise refuse("a list element (Snowflake's elements are VARIANTs)")

    def list_reduce(self, args: list[exp.Expr]) -> exp.Expr:
        values, lam, _ = args
        assert isinstance(lam, exp.Lambda)
        if isinstance(values, exp.Array) and isinstance(lam.this, exp.Replace):
            return pg._Rewriter.list_reduce(self, args)  # builders.replace_all: a chain of REPLACE
        raise refuse("a sum over events (Snowflake's SUM has no defined order; float sums depend on it)")


# ------------------------------------------------------------------ functions
Mapping_ = Callable[[pg._Rewriter, list[exp.Expr]], exp.Expr]


def _regex(node: exp.Expr, *, ignore_case: bool = False, full: bool = False) -> exp.Expr:
    pattern = pg._string_value(node, "a regex that is not a constant")
    try:
        return _s(regex_dialects.to_snowflake(pattern, full=full, fold=ignore_case))
    except regex_dialects.Untranslatable as error:
        raise refuse(f"the regex /{pattern}/ ({error.construct})") from None


_matches = bq.matcher("REGEXP_LIKE", _regex)
# functions/charindex: CHARINDEX(part, text), 1-based, 0 when not found.
_contains = bq.contains_by(lambda text, part: _f("CHARINDEX", part, text))


def _starts_with(r: pg._Rewriter, args: list[exp.Expr]) -> exp.Expr:
    text, start = r(args[0]), r(args[1])
    return b.eq(_f("LEFT", text, _f("LENGTH", start)), start.copy())


def _ends_with(r: pg._Rewriter, args: list[exp.Expr]) -> exp.Expr:
    text, end = r(args[0]), r(args[1])
    return b.eq(_f("RIGHT", text, _f("LENGTH", end)), end.copy())


def _epoch_of(r: pg._Rewriter, value: exp.Expr, kind: object) -> exp.Expr:
    """Microseconds since the epoch, UTC, of a value of SQL type `kind`
    (functions/datediff: DAY counts day boundaries; functions/date_part:
    EPOCH_MICROSECOND)."""
    if kind == T.DATE:
        epoch = exp.Cast(this=_s("1970-01-01"), to=b.sql_type("DATE"))
        return exp.Mul(this=_f("DATEDIFF", exp.var("DAY"), epoch, r(value)), expression=_n(_DAY_US))
    if kind in (T.TIMESTAMP, T.TIMESTAMPTZ):
        return _f("DATE_PART", exp.var("EPOCH_MICROSECOND"), r(value))
    raise refuse("a time value of this column type")


def _float_text(r: pg._Rewriter, args: list[exp.Expr]) -> exp.Expr:
    """DuckDB's format('{}', x), Python's repr, where Snowflake can print it
    exactly: a non-zero integral value below 2**53 (its NUMBER digits and
    `.0`); anything else stops the query (TO_NUMBER of a text that is no
    number raises, naming the text) rather than show another text."""
    if pg._string_value(args[0], "a format that is not a constant") != "{}":
        raise refuse("format()")
    x = r(args[1])
    whole = b.and_(b.eq(x.copy(), _f("TRUNC", x.copy())),
                   exp.LT(this=_f("ABS", x.copy()), expression=bq._double(2.0**53)),
                   exp.NEQ(this=x.copy(), expression=bq._double(0.0)))
    digits = b.concat(exp.Cast(this=exp.Cast(this=x.copy(), to=b.sql_type("BIGINT")), to=b.sql_type("VARCHAR")),
                      _s(".0"))
    stop = _f("TO_NUMBER", b.concat(_s(STOP), _f("TO_VARCHAR", x.copy())))
    return b.case((whole, digits), default=exp.Cast(this=stop, to=b.sql_type("VARCHAR")))


def _any_of(r: pg._Rewriter, args: list[exp.Expr]) -> exp.Expr:
    """DuckDB's list_bool_or(list_transform(l, x -> test)) for a list of text
    `l` (`"a" in tags`): TRANSFORM (functions/transform: NULL for a NULL
    array) with each VARIANT element cast back to VARCHAR (a JSON string's
    text; JSON null is NULL), then true if some result is TRUE, false if
    none is and some is FALSE, else NULL (functions/array_contains), as
    list_bool_or — whether ARRAY_CONTAINS of an array holding NULLs is FALSE
    or NULL does not change the CASE's answer."""
    transform = args[0]
    assert isinstance(r, _Snowflake) and r.list_types is not None
    source = transform.this if isinstance(transform, exp.Transform) else None
    lam = transform.expression if isinstance(transform, exp.Transform) else None
    element = r.list_types.get(source.name) if isinstance(source, exp.Column) else None
    if not isinstance(source, exp.Column) or not isinstance(lam, exp.Lambda) or element is None \
            or element.this not in (T.TEXT, T.VARCHAR):
        raise refuse("a test over a list's elements other than text (Snowflake's ARRAY elements are VARIANTs)")
    # The body reads the element as text: its name means the cast of the lambda's VARIANT
    # (another name), wherever it stands, casefold's marked texts too.
    name = lam.expressions[0].name
    element_name = f"{name}_v"
    saved = r.lateral
    r.lateral = {**saved, name: exp.Cast(this=exp.column(element_name), to=b.sql_type("VARCHAR"))}
    try:
        body = r.fresh(lam.this)
    finally:
        r.lateral = saved
    lambda_ = exp.Lambda(this=body, expressions=[exp.to_identifier(element_name)])
    tests = exp.Transform(this=r(source), expression=lambda_)

    def holds(value: bool) -> exp.Expr:
        return _f("ARRAY_CONTAINS", exp.Cast(this=exp.Boolean(this=value), to=exp.DataType.build("VARIANT")),
                  tests.copy())
    return b.case((holds(True), exp.Boolean(this=True)), (holds(False), exp.Boolean(this=False)))


_same = bq._same
_FUNCTIONS: dict[str, Mapping_] = {
    **bq.SAME_NAMED,
    "STARTS_WITH": _starts_with, "SUFFIX": _ends_with,
    "LENGTH": _same("LENGTH"),  # characters, as DuckDB's length()
    "STRLEN": _same("OCTET_LENGTH"),  # UTF-8 bytes, as DuckDB's strlen()
    "LEN": _same("ARRAY_SIZE"),
    # functions/array_to_string: each element as text; DuckDB's skips NULLs, so they are dropped first
    # (the generator joins lists of text only: reasons, warnings' parts).
    "ARRAY_TO_STRING": lambda r, args: _f("ARRAY_TO_STRING", _f("ARRAY_COMPACT", r(args[0])), r(args[1])),
    "LIST_BOOL_OR": lambda r, args: _any_of(r, args),
    "LIST_SLICE": bq._refused("`max K` over events (a slice of an ARRAY of VARIANTs)"),
    "LIST_SORT": bq._refused("events in time order (a sort of an ARRAY of VARIANTs)"),
    "ISNAN": lambda r, args: pg._isnan(r, args), "ISFINITE": lambda r, args: pg._isfinite(r, args),
    "CONTAINS": _contains, "REGEXP_MATCHES": _matches,
    "REGEXP_FULL_MATCH": lambda r, args: _f("REGEXP_LIKE", r(args[0]), _regex(args[1], full=True)),
    "EPOCH_US": bq._epoch, "FORMAT": _float_text,
    "LOWER": bq._refused("lower() outside casefold"),
    "JSON_TYPE": bq._refused("a JSON-typed column"), "JSON_EXTRACT_STRING": bq._refused("a JSON-typed column"),
    "MAP_ENTRIES": bq._refused("a JSON-typed column"),
}
_Snowflake.functions = _FUNCTIONS


def _column_type(data_type: exp.DataType) -> None:
    kind = data_type.this
    if kind in (T.ARRAY, T.LIST):
        _column_type(data_type.expressions[0])
    elif kind == T.STRUCT:
        for member in data_type.expressions:
            _column_type(member.args["kind"])
    elif kind != T.JSON and kind not in _TYPES:
        raise refuse(f"a column of type {data_type.sql('duckdb')}")


def to_snowflake(select: exp.Expr, columns: Mapping[str, exp.DataType],
                 event: exp.DataType | None = None) -> exp.Expr:
    """The DuckDB SELECT as Snowflake's tree (refusing what has no exact mapping)."""
    tree = bq.rewritten(_Snowflake, select, columns, event, _column_type, _RENAMED)
    for item in tree.expressions if isinstance(tree, exp.Select) else ():
        if isinstance(item, exp.Alias):
            # Snowflake upper-cases an unquoted name: the decision's columns keep theirs (`policy`, `icp`, ...).
            item.set("alias", exp.to_identifier(item.alias, quoted=True))
    return tree


def snowflake_sql(select: exp.Expr, columns: Mapping[str, exp.DataType], event: exp.DataType | None,
                  pretty: bool) -> str:
    sql: str = to_snowflake(select, columns, event).sql(dialect=SNOWFLAKE, pretty=pretty)
    return sql
