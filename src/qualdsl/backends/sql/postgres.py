"""The DuckDB decision SELECT rewritten for PostgreSQL (15+), node by node.

compile.py builds one SELECT in DuckDB's terms; `to_postgres` rebuilds that
tree with PostgreSQL expressions that give the same value for every input,
and refuses (SqlRefused, naming the construct) whatever has no exact mapping.

What changes, and why it stays exact:
- Lambdas over lists become scalar subqueries over `unnest(...) WITH
  ORDINALITY`, ordered by the ordinality; `list_filter(x, x IS NOT NULL)` is
  `array_remove(x, NULL)`; a value bound to a name (builders.bind) is a
  one-row subquery; builders.replace_all is a chain of replace().
- Casefold: PostgreSQL's `lower()` depends on the collation. Under
  `COLLATE "C"` it lowers ASCII only, so the generated table for that lower()
  (casefold_postgres.json, built by casefold.build_table from Python alone)
  gives `str.casefold` exactly, whatever the database's locale.
- Regexes (ours and `matches`): RE2 patterns are translated to PostgreSQL's
  ARE for exactly the subset that means the same (`regex_dialects.to_are`,
  the translator Java's and Snowflake's patterns share), matched against
  the text `COLLATE "C"` (ASCII classes and word boundaries, as RE2's); the
  `i` flag becomes explicit case classes (RE2 folds `k` with the Kelvin sign
  and `s` with `ſ`). Anything else is refused.
- Casts that DuckDB tries (TRY_CAST) are guarded so PostgreSQL never raises:
  dates are checked against the calendar, digit strings against int64, long
  decimals against the range of a double (Python's `inf`).
- HUGEINT is NUMERIC; a double's exact integer value goes through three
  exactly representable parts (PostgreSQL's float8 -> numeric cast keeps 15
  digits).
- A float's text (warnings) is PostgreSQL's shortest round-trip output
  (extra_float_digits >= 1, the default), reformatted where Python's repr
  differs (1e15 <= |x| < 1e16 is positional in Python), and rebuilt where
  repr takes a tie PostgreSQL does not (`_shortest`: 1e23).
- List indexes are PostgreSQL's own, 1-based (`_at`), and marked so for
  sqlglot, which would shift a literal one.
- Ordered string comparisons are `COLLATE "C"`: code point order, as Python.
- STRUCT input columns are composite types (`(company)."employees"`), LIST
  columns arrays; the decision's `icp`, `scores` and `rules` are json (keys
  in the decision's order); the generator's own event STRUCTs are jsonb.
- Run it with `SET jit = off`: JIT-compiling the SELECT's thousands of
  expressions takes PostgreSQL minutes; without it, milliseconds a lead.
- `$as_of` is `current_setting('qualdsl.as_of')`: `SET qualdsl.as_of = '...'`.

Refused: JSON-typed columns, the constructs `to_are` names, and whatever
else has no rewrite here (each named by `refuse`).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from sqlglot import exp

from . import builders as b
from . import casefold as cf
from .errors import SqlRefused
from .regex_dialects import Untranslatable, to_are

POSTGRES = "postgres"
T = exp.DataType.Type
PG_TABLES = {cf.TABLE_FILE: "casefold_postgres.json", cf.LOWER_FILE: "lower_postgres.json"}
_FLOAT_MAX_HALF_ULP = 2**1024 - 2**970  # at or beyond this, a decimal is float('inf')
_HALF_SUBNORMAL = "0." + str(5**1075).rjust(1075, "0")  # 2**-1075 = 5**1075 / 10**1075, exactly
_TWO_52 = 2.0**52
_TWO_104 = 2.0**104
_TWO_54 = 2.0**54


def ascii_lower(chars: Any) -> list[str]:
    """PostgreSQL's lower() under COLLATE "C": ASCII letters only."""
    return ["".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in text) for text in chars]


def refuse(construct: str) -> SqlRefused:
    return SqlRefused(construct, POSTGRES)


def located(error: SqlRefused, node: exp.Expr, dialect: str) -> SqlRefused:
    """Named for `dialect` (the shared rewrite names PostgreSQL), at the
    policy condition the node came from when it can say."""
    from .compile import LOC

    if error.dialect == dialect and error.diagnostics[0].path != "<policy>":
        return error
    current: exp.Expr | None = node
    while current is not None:
        loc = current.meta.get(LOC) if current._meta else None
        if loc is not None:
            return SqlRefused(error.construct, dialect, path=loc.path, span=loc.span)
        current = current.parent
    return SqlRefused(error.construct, dialect)


# ------------------------------------------------------------------ helpers
def _f(name: str, *args: exp.Expr) -> exp.Expr:
    return exp.Anonymous(this=name, expressions=list(args))


_s = b.string  # the generator's own literal builders
_n = b.integer


def _type(text: str) -> exp.DataType:
    return exp.DataType.build(text, dialect=POSTGRES)


def _cast(value: exp.Expr, to: str) -> exp.Expr:
    return exp.Cast(this=_p(value), to=_type(to))


def _p(value: exp.Expr) -> exp.Expr:
    if isinstance(value, (exp.Column, exp.Literal, exp.Paren, exp.Anonymous, exp.Func, exp.Null, exp.Boolean,
                          exp.Subquery)):
        return value
    return exp.Paren(this=value)


def _c(value: exp.Expr) -> exp.Expr:
    """The text under the C collation (code point order, ASCII classes)."""
    return exp.Collate(this=_p(value), expression=exp.Identifier(this="C", quoted=True))


_case = b.case


def _is_null(value: exp.Expr) -> exp.Expr:
    return exp.Is(this=_p(value), expression=exp.Null())


def _double(value: float) -> exp.Expr:
    if math.isnan(value) or math.isinf(value):
        text = "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
        return exp.Cast(this=_s(text), to=_type("DOUBLE PRECISION"))
    return exp.Cast(this=exp.Literal.number(repr(value)), to=_type("DOUBLE PRECISION"))


def _at(listed: exp.Expr, index: exp.Expr) -> exp.Expr:
    """`(listed)[index]` with a 1-based index, as PostgreSQL's. offset=1 says
    so to sqlglot, which otherwise adds 1 to an integer literal index (it
    reads a Bracket as 0-based): `(__ev)[1]` came out `(__ev)[2]`."""
    return exp.Bracket(this=exp.Paren(this=listed), expressions=[index], offset=1)


def _subquery(select: exp.Select) -> exp.Expr:
    return exp.Subquery(this=select)


def _string_value(node: exp.Expr, construct: str) -> str:
    if isinstance(node, exp.Literal) and node.is_string:
        return str(node.this)
    raise refuse(construct)


# ------------------------------------------------------------------ regexes
def _are(node: exp.Expr, *, ignore_case: bool = False, full: bool = False) -> exp.Expr:
    pattern = _string_value(node, "a regex that is not a constant")
    try:
        return _s(to_are(pattern, ignore_case=ignore_case, full=full))
    except Untranslatable as error:
        raise refuse(f"the regex /{pattern}/ ({error.construct})") from None


def _regex_match(text: exp.Expr, pattern: exp.Expr) -> exp.Expr:
    return exp.RegexpLike(this=_c(text), expression=pattern)


# ------------------------------------------------------------------ casefold
@functools.lru_cache(maxsize=2)
def _pg_table(name: str) -> dict[str, Any]:
    return cf.table(PG_TABLES[name])


def _c_lower(text: exp.Expr) -> exp.Expr:
    return _f("LOWER", _c(text))


def _casefold(text: exp.Expr, name: str, ascii_lower: Callable[[exp.Expr], exp.Expr] = _c_lower) -> exp.Expr:
    """casefold.py's folding with the table for lower() under COLLATE "C"
    (`ascii_lower`: another engine's SQL lowering ASCII letters only)."""
    data = _pg_table(name)
    lowered: exp.Expr = text
    for char, fold in data["before"]:
        lowered = _f("REPLACE", lowered, _s(char), _s(fold))
    folded = ascii_lower(lowered)
    singles = data["translate"]
    if singles[0]:
        folded = _f("TRANSLATE", folded, _s(singles[0]), _s(singles[1]))
    for char, fold in data["replace"]:
        folded = _f("REPLACE", folded, _s(char), _s(fold))
    ascii_only = exp.EQ(this=_f("OCTET_LENGTH", text), expression=_f("CHAR_LENGTH", text))
    return _case((ascii_only, ascii_lower(text)), default=folded)


# ------------------------------------------------------------------ exact numbers
def _exact_numeric(x: exp.Expr) -> exp.Expr:
    """The exact NUMERIC of an integral double |x| < 2**127: three parts,
    each exactly a BIGINT (x - h * 2**104 and the rest are exact in float8)."""
    def part(value: exp.Expr, unit: float) -> exp.Expr:
        return _f("TRUNC", exp.Div(this=_p(value), expression=_double(unit)))

    h = part(x, _TWO_104)
    r1 = exp.Sub(this=_p(x), expression=exp.Mul(this=_p(h), expression=_double(_TWO_104)))
    m = part(r1, _TWO_52)
    r2 = exp.Sub(this=_p(r1), expression=exp.Mul(this=_p(m), expression=_double(_TWO_52)))

    def numeric(value: exp.Expr) -> exp.Expr:
        return _cast(_cast(value, "BIGINT"), "NUMERIC")

    return exp.Paren(this=exp.Add(
        this=exp.Add(
            this=exp.Mul(this=numeric(h), expression=exp.Literal.number(str(2**104))),
            expression=exp.Mul(this=numeric(m), expression=exp.Literal.number(str(2**52)))),
        expression=numeric(r2)))


def _try_bigint(text: exp.Expr) -> exp.Expr:
    number = _cast(text, "NUMERIC")
    in_range = exp.Between(this=number, low=_n(-(2**63)), high=_n(2**63 - 1))
    return _case((exp.Not(this=_p(_regex_match(text, _s("^[+-]?[0-9]+$")))), exp.Null()),
                 (in_range, _cast(number, "BIGINT")), default=_cast(exp.Null(), "BIGINT"))


def _try_double(text: exp.Expr) -> exp.Expr:
    """float(text) for a decimal text: inf past the largest double, signed
    zero below the smallest (PostgreSQL's float8in raises on both)."""
    number = _cast(text, "NUMERIC")
    big = exp.GTE(this=_f("ABS", number), expression=exp.Literal.number(str(_FLOAT_MAX_HALF_ULP)))
    negative = exp.EQ(this=_f("LEFT", _f("LTRIM", text), _n(1)), expression=_s("-"))
    # Half the smallest subnormal (2**-1075, written exactly) and below round to zero (ties to even).
    tiny_limit = _cast(exp.Literal.number(_HALF_SUBNORMAL), "NUMERIC")
    tiny = exp.LTE(this=_f("ABS", number), expression=tiny_limit)
    return _case(
        (exp.Not(this=_p(_regex_match(text, _s("^[+-]?[0-9]+(\\.[0-9]+)?$")))), _cast(exp.Null(), "DOUBLE PRECISION")),
        (big, _case((negative, _double(float("-inf"))), default=_double(float("inf")))),
        (tiny, _case((negative, _double(-0.0)), default=_double(0.0))),
        default=_cast(text, "DOUBLE PRECISION"))


def _try_date(text: exp.Expr) -> exp.Expr:
    """DuckDB's TRY_CAST(text AS DATE) for `YYYY-MM-DD` text (the only shape
    the generator gives it): NULL unless the calendar has that day."""
    year = _cast(_f("SUBSTR", text, _n(1), _n(4)), "INT")
    month = _cast(_f("SUBSTR", text, _n(6), _n(2)), "INT")
    day = _cast(_f("SUBSTR", text, _n(9), _n(2)), "INT")
    first = _f("MAKE_DATE", year, month, _n(1))
    last_day = _f("DATE_PART", _s("day"), exp.Sub(
        this=exp.Add(this=first, expression=exp.Interval(this=_s("1 month"))),
        expression=exp.Interval(this=_s("1 day"))))
    return _case(
        (exp.Not(this=_p(_regex_match(text, _s("^[0-9]{4}-[0-9]{2}-[0-9]{2}$")))), _cast(exp.Null(), "DATE")),
        (exp.EQ(this=year, expression=_n(0)), _cast(exp.Null(), "DATE")),
        (exp.Not(this=exp.Between(this=month, low=_n(1), high=_n(12))), _cast(exp.Null(), "DATE")),
        (exp.Not(this=exp.Between(this=day, low=_n(1), high=last_day)), _cast(exp.Null(), "DATE")),
        default=_f("MAKE_DATE", year, month, day))


def _epoch_us(value: exp.Expr) -> exp.Expr:
    """A DATE, TIMESTAMP or TIMESTAMPTZ as microseconds since the epoch, UTC
    (EXTRACT gives NUMERIC: exact)."""
    seconds = exp.Extract(this=exp.Var(this="EPOCH"), expression=value)
    return _cast(exp.Mul(this=seconds, expression=_n(1_000_000)), "BIGINT")


def _float_text(x: exp.Expr) -> exp.Expr:
    """DuckDB's format('{}', x): Python's repr digits. PostgreSQL's shortest
    output is Python's but for 1e15 <= |x| < 1e16, positional in Python, and
    for ties at |x| >= 2**54 (`_tie_free_shortest`)."""
    text = _cast(x, "TEXT")
    positional = exp.Paren(this=exp.And(
        this=exp.GTE(this=_f("ABS", x), expression=_double(1e15)),
        expression=exp.LT(this=_f("ABS", x), expression=_double(1e16))))
    large = exp.GTE(this=_f("ABS", x), expression=_double(_TWO_54))
    finite = exp.LT(this=_f("ABS", x), expression=_double(float("inf")))
    return _case((positional, _cast(_cast(text, "NUMERIC"), "TEXT")),
                 (exp.And(this=large, expression=finite), _shortest(x)), default=text)


def _shortest(x: exp.Expr) -> exp.Expr:
    """repr(x) for a finite |x| >= 2**54 (where repr is `d.ddde+XX`).

    PostgreSQL's shortest output (its Ryu) never takes a decimal lying exactly
    halfway to the next double, which Python's repr takes when it rounds back
    to x (ties to even): 1e23 is `9.999999999999999e+22` in PostgreSQL. Such
    ties need a decimal of few digits equal to x +- half an ulp, so only
    integral doubles of 2**54 and more have them. Here, as repr does: the
    first precision p (1..17) whose correctly rounded p-digit text (to_char's
    `EEEE` is C's `%.*e`) reads back as x; its digits have no trailing zero
    (they would have read back at p - 1)."""
    p = exp.column("__p", table="__g", quoted=True)
    digits = _case((exp.EQ(this=p, expression=_n(1)), _s("9EEEE")),
                   default=exp.DPipe(this=exp.DPipe(this=_s("9."), expression=_f(
                       "REPEAT", _s("9"), exp.Sub(this=p, expression=_n(1)))), expression=_s("EEEE")))
    candidate = exp.column("__c", table="__d", quoted=True)
    texts = exp.Select(expressions=[
        exp.alias_(_f("LTRIM", _f("TO_CHAR", x, digits)), "__c", quoted=True),
        exp.alias_(p.copy(), "__p", quoted=True),
    ]).from_(exp.Alias(this=_f("GENERATE_SERIES", _n(1), _n(17)), alias=exp.TableAlias(
        this=exp.to_identifier("__g"), columns=[exp.to_identifier("__p", quoted=True)])), copy=False)
    # A candidate at or past the largest double's rounding bound is no double (the cast would raise).
    reads_back = _case((exp.LT(this=_f("ABS", _cast(candidate, "NUMERIC")),
                               expression=exp.Literal.number(str(_FLOAT_MAX_HALF_ULP))),
                        exp.EQ(this=_cast(candidate, "DOUBLE PRECISION"), expression=_p(x))),
                       default=exp.false())
    first = exp.Select(expressions=[candidate.copy()]).from_(texts.subquery("__d", copy=False), copy=False)
    first = first.where(reads_back, copy=False).order_by(exp.column("__p", table="__d", quoted=True), copy=False)
    return _subquery(first.limit(1, copy=False))


# ------------------------------------------------------------------ the rewrite
# Members of the generator's own STRUCTs (events.py: the indexed input
# element {e, i} and a loaded event {k, j, at, type, folded, e}).
_OWN_MEMBERS = {"k": "BIGINT", "j": "BIGINT", "at": "BIGINT", "i": "BIGINT", "type": "TEXT", "folded": "TEXT"}


class _Rewriter:
    # DuckDB function name -> its rewrite (this module's _FUNCTIONS, set below
    # it); a dialect built on this rewriter gives its own table.
    functions: ClassVar[Mapping[str, Callable[[_Rewriter, list[exp.Expr]], exp.Expr]]]

    def __init__(self, columns: Mapping[str, exp.DataType], event: exp.DataType | None):
        self.columns = columns
        self.event = event  # the SQL type of one input event (a STRUCT), if any
        self.done: dict[int, exp.Expr] = {}
        self.lateral: dict[str, exp.Expr] = {}  # aliases made earlier in the SELECT list being rewritten

    dialect: ClassVar[str] = POSTGRES  # the dialect a refusal names

    def __call__(self, node: exp.Expr) -> exp.Expr:
        key = id(node)
        found = self.done.get(key)
        if found is None:
            try:
                found = self.rewrite(node)
            except SqlRefused as refused:
                raise located(refused, node, self.dialect) from None
            self.done[key] = found
        return found

    def args(self, node: exp.Expr) -> exp.Expr:
        """The node with every child rewritten (a new node; the input is kept)."""
        new: dict[str, Any] = {}
        for key, value in node.args.items():
            if isinstance(value, list):
                new[key] = [self(v) if isinstance(v, exp.Expr) else v for v in value]
            elif isinstance(value, exp.Expr):
                new[key] = self(value)
            else:
                new[key] = value
        return type(node)(**new)

    def rewrite(self, node: exp.Expr) -> exp.Expr:
        marked = node.meta.get(cf.MARK)
        if marked is not None:
            return _casefold(self(marked[1]), marked[0])
        if isinstance(node, exp.Anonymous):
            return self.function(str(node.this).upper(), list(node.expressions))
        if isinstance(node, exp.Select):
            return self.select(node)
        if isinstance(node, exp.Placeholder):
            return _f("CURRENT_SETTING", _s("qualdsl.as_of"))
        if isinstance(node, (exp.Cast, exp.TryCast)):
            return self.cast(node)
        if isinstance(node, exp.ArrayFilter):
            return self.array_filter(node)
        if isinstance(node, exp.Transform):
            return self.transform(node.this, node.expression)
        if isinstance(node, exp.ArrayConcat):
            parts = [node.this, *node.expressions]
            result: exp.Expr | None = None
            for part in parts:
                piece = _f("COALESCE", self(part), _cast(exp.Array(expressions=[]), "TEXT[]"))
                result = piece if result is None else _f("ARRAY_CAT", result, piece)
            assert result is not None
            return result
        if isinstance(node, exp.Struct):
            pairs = self.struct_pairs(node)
            names = {member.this.name for member in node.expressions}
            # The generator's own STRUCTs (events) are jsonb, read back by key;
            # the decision's (icp, scores, rules) json, which keeps key order.
            own = "folded" in names or names == {"e", "i"}
            return _f("JSONB_BUILD_OBJECT" if own else "JSON_BUILD_OBJECT", *pairs)
        if isinstance(node, exp.Array):
            if any(isinstance(e, exp.Struct) for e in node.expressions):
                return _f("JSON_BUILD_ARRAY", *(self(e) for e in node.expressions))
            if not node.expressions:
                raise refuse("an untyped empty list")
            return self.args(node)
        if isinstance(node, (exp.LT, exp.LTE, exp.GT, exp.GTE)) and (
                self.is_text(node.this) or self.is_text(node.expression)):
            return type(node)(this=_c(self(node.this)), expression=_c(self(node.expression)))
        if isinstance(node, exp.IntDiv):  # BIGINT / BIGINT truncates, as DuckDB's //
            return exp.Div(this=_cast(self(node.this), "BIGINT"), expression=_cast(self(node.expression), "BIGINT"),
                           typed=True)
        if isinstance(node, exp.Pow):
            return _power(self(node.this), self(node.expression))
        if isinstance(node, exp.Dot):
            return self.dot(node)
        if isinstance(node, exp.Column) and not node.table and node.name in self.lateral:
            return exp.Paren(this=self(self.lateral[node.name]))
        if isinstance(node, exp.Column) and self.column_type(node.name) == T.JSON:
            raise refuse("a JSON-typed column")
        return self.args(node)

    def struct_pairs(self, node: exp.Struct) -> list[exp.Expr]:
        """A STRUCT's members as ('name', value, ...), for an object constructor."""
        pairs: list[exp.Expr] = []
        for member in node.expressions:
            if not isinstance(member, exp.PropertyEQ):
                raise refuse("a STRUCT without member names")
            pairs += [_s(member.this.name), self(member.expression)]
        return pairs

    def select(self, node: exp.Select) -> exp.Expr:
        """DuckDB lets a SELECT item use an alias made earlier in the same
        list (`__b0 + __b1 AS __total`); PostgreSQL does not: the aliased
        value is used instead."""
        items = []
        earlier: dict[str, exp.Expr] = {}
        saved = self.lateral
        for item in node.expressions:
            self.lateral = dict(earlier)
            items.append(self.fresh(item))
            if isinstance(item, exp.Alias):
                earlier[item.alias] = item.this
        self.lateral = {}
        new: dict[str, Any] = {}
        for key, value in node.args.items():
            if key == "expressions":
                new[key] = items
            elif isinstance(value, list):
                new[key] = [self(v) if isinstance(v, exp.Expr) else v for v in value]
            elif isinstance(value, exp.Expr):
                new[key] = self(value)
            else:
                new[key] = value
        self.lateral = saved
        select = exp.Select(**new)
        if isinstance(node.parent, exp.Subquery):
            # A fence: PostgreSQL would pull the layer up into the one above,
            # copying each column's expression into every use (exponential).
            select.set("offset", exp.Offset(expression=_n(0)))
        return select

    def fresh(self, node: exp.Expr) -> exp.Expr:
        """Rewritten without the memo (a column may mean an earlier alias here)."""
        if not self.lateral:
            return self(node)
        saved = self.done
        self.done = {}
        try:
            return self(node)
        finally:
            self.done = saved

    def column_type(self, name: str) -> object:
        found = self.columns.get(name)
        return found.this if found is not None else None

    def is_text(self, node: exp.Expr) -> bool:
        while isinstance(node, exp.Paren):
            node = node.this
        if isinstance(node, exp.Literal):
            return bool(node.is_string)
        if cf.MARK in node.meta:
            return True
        if isinstance(node, exp.Column):
            return node.name.startswith("__k")
        return False

    def dot(self, node: exp.Dot) -> exp.Expr:
        """A STRUCT member: native on an input column (a composite type);
        typed jsonb extraction on the generator's own STRUCTs (jsonb here)."""
        base, names = member_path(node)
        if isinstance(base, exp.Column) and base.name in self.columns:
            # A composite column's member: `("company")."domain"` (unparenthesised it is a table).
            result: exp.Expr = exp.Paren(this=self(base))
            for name in names:
                result = exp.Dot(this=result, expression=exp.to_identifier(name, quoted=True))
            return result
        value = self(base)
        if names[0] != "e":
            if len(names) != 1 or names[0] not in _OWN_MEMBERS:
                raise refuse(f"the STRUCT member {'.'.join(names)}")
            text = exp.JSONExtractScalar(this=_p(value), expression=_s(names[0]))
            kind = _OWN_MEMBERS[names[0]]
            return text if kind == "TEXT" else _cast(text, kind)
        sql_type = self.event
        node_value: exp.Expr = _f("NULLIF", exp.JSONExtract(this=_p(value), expression=_s("e")),
                                  _cast(_s("null"), "JSONB"))
        for name in names[1:]:
            if sql_type is None or sql_type.this != T.STRUCT:
                raise refuse("an event member of this column type")
            members = {c.this.name: c.args["kind"] for c in sql_type.expressions}
            if name not in members:
                raise refuse(f"the event member {name}")
            sql_type = members[name]
            if sql_type.this in (T.STRUCT, T.ARRAY, T.LIST):
                if sql_type.this != T.STRUCT:
                    raise refuse("a list inside an event")
                node_value = _f("NULLIF", exp.JSONExtract(this=_p(node_value), expression=_s(name)),
                                _cast(_s("null"), "JSONB"))
            else:
                text = exp.JSONExtractScalar(this=_p(node_value), expression=_s(name))
                node_value = text if sql_type.this in (T.VARCHAR, T.TEXT) else exp.Cast(this=text, to=sql_type)
        return node_value

    def cast(self, node: exp.Cast | exp.TryCast) -> exp.Expr:
        to = node.to
        value = node.this
        if to.this == T.ARRAY and to.expressions and to.expressions[0].this == T.STRUCT:
            members = {c.this.name for c in to.expressions[0].expressions}
            events = "folded" in members  # events.EVENTS_TYPE: jsonb[]; the ledger: a jsonb array
            if isinstance(value, exp.Null):
                return _cast(exp.Null(), "JSONB[]" if events else "JSON")
            if isinstance(value, exp.Array) and not value.expressions:
                return _cast(exp.Array(expressions=[]), "JSONB[]") if events else _cast(_s("[]"), "JSON")
            raise refuse("a list of STRUCTs")
        if to.this == T.STRUCT:
            raise refuse("a STRUCT cast")
        if to.this in (T.INT128, T.INT256):
            inner = value
            while isinstance(inner, exp.Paren):
                inner = inner.this
            if isinstance(inner, exp.Anonymous) and str(inner.this).upper() in ("CEIL", "FLOOR", "TRUNC"):
                return _exact_numeric(_f(str(inner.this).upper(), self(inner.expressions[0])))
            if self.is_double(inner):
                return _exact_numeric(self(inner))
            return _cast(self(value), "NUMERIC")
        if isinstance(node, exp.TryCast):
            if to.this == T.DATE:
                return _try_date(self(value))
            if to.this == T.BIGINT:
                return _try_bigint(self(value))
            if to.this == T.DOUBLE:
                return _try_double(self(value))
            raise refuse(f"TRY_CAST to {to.sql('duckdb')}")
        if to.this in (T.ARRAY, T.LIST) and isinstance(value, exp.Array) and not value.expressions:
            return exp.Cast(this=exp.Array(expressions=[]), to=to)
        if to.this == T.TEXT and self.is_double(value):
            raise refuse("a double shown as text")
        return exp.Cast(this=self(value), to=to)

    def is_double(self, node: exp.Expr) -> bool:
        while isinstance(node, exp.Paren):
            node = node.this
        return isinstance(node, exp.Cast) and node.to.this == T.DOUBLE

    def array_filter(self, node: exp.ArrayFilter) -> exp.Expr:
        lam = node.expression
        assert isinstance(lam, exp.Lambda)
        body = lam.this
        name = lam.expressions[0].name
        # list_filter(x, v -> v IS NOT NULL): array_remove keeps the order.
        if isinstance(body, exp.Not) and isinstance(body.this, exp.Is) and isinstance(body.this.this, exp.Column) \
                and body.this.this.name == name and isinstance(body.this.expression, exp.Null):
            return _f("ARRAY_REMOVE", self(node.this), exp.Null())
        return self.over_list(node.this, lam, keep_element=True)

    def transform(self, values: exp.Expr, lam: exp.Expr) -> exp.Expr:
        assert isinstance(lam, exp.Lambda)
        return self.over_list(values, lam, keep_element=False)

    def over_list(self, values: exp.Expr, lam: exp.Lambda, *, keep_element: bool) -> exp.Expr:
        """ARRAY(SELECT ... FROM unnest(list) WITH ORDINALITY ... ORDER BY the
        ordinality), NULL for a NULL list as DuckDB's list functions."""
        names = [e.name for e in lam.expressions]
        element = names[0]
        index = names[1] if len(names) > 1 else "__o"
        listed = self(values)
        source = _elements(listed, element, index)
        selected = exp.column(element, quoted=True) if keep_element else self(lam.this)
        select = exp.Select(expressions=[selected]).from_(source, copy=False)
        if keep_element:
            select = select.where(self(lam.this), copy=False)
        select = select.order_by(exp.column(index, quoted=True), copy=False)
        array = exp.Array(expressions=[select])
        return _case((_is_null(listed), exp.Null()), default=array)

    def function(self, name: str, args: list[exp.Expr]) -> exp.Expr:
        if name == "LIST_EXTRACT":
            return self.list_extract(args)
        if name == "LIST_REDUCE":
            return self.list_reduce(args)
        mapping = self.functions.get(name)
        if mapping is None:
            raise refuse(f"the function {name.lower()}()")
        return mapping(self, args)

    def list_extract(self, args: list[exp.Expr]) -> exp.Expr:
        values, index = args
        binding = bound(values, index)
        if binding is not None:  # builders.bind: a value computed once, under a name.
            lam, value = binding
            inner = _fenced(exp.Select(expressions=[exp.alias_(self(value), lam.expressions[0].name, quoted=True)]))
            select = exp.Select(expressions=[self(lam.this)]).from_(inner.subquery("__b", copy=False), copy=False)
            return _subquery(select)
        split = last_split_part(values, index)
        if split is not None:
            return _f("SPLIT_PART", self(split[0]), self(split[1]), _n(-1))
        if isinstance(index, exp.Literal) and index.is_int and int(index.this) > 0:
            return _at(self(values), index)
        raise refuse("a list element at a computed index")

    def list_reduce(self, args: list[exp.Expr]) -> exp.Expr:
        values, lam, initial = args
        assert isinstance(lam, exp.Lambda)
        body = lam.this
        # builders.replace_all: replace() of each constant (old, new) pair, in order.
        if isinstance(values, exp.Array) and isinstance(body, exp.Replace):
            result = self(initial)
            for pair in values.expressions:
                assert isinstance(pair, exp.Array)
                old, new = pair.expressions
                if isinstance(old, exp.Literal) and "\x00" in str(old.this):
                    continue  # PostgreSQL text holds no NUL (nor can a literal)
                result = _f("REPLACE", result, self(old), self(new))
            return result
        # A sum in list order (events): ((0.0 + x1) + x2) ... is 0.0 + the
        # ordered sum (they differ only in the sign of a zero, which 0.0 + fixes).
        names = [e.name for e in lam.expressions]
        if isinstance(body, exp.Add) and isinstance(body.this, exp.Column) and body.this.name == names[0] \
                and isinstance(body.expression, exp.Column) and body.expression.name == names[1] \
                and isinstance(initial, exp.Cast) and float(initial.this.name) == 0.0:
            listed = self(values)
            alias = exp.TableAlias(this=exp.to_identifier("__u"), columns=[exp.to_identifier("__x", quoted=True)])
            total = exp.Select(expressions=[_f("SUM", exp.column("__x", quoted=True))]).from_(
                exp.Unnest(expressions=[listed], offset=exp.to_identifier("__o", quoted=True), alias=alias), copy=False)
            total.set("expressions", [_ordered_sum()])
            return exp.Add(this=_double(0.0), expression=_f("COALESCE", _subquery(total), _double(0.0)))
        raise refuse("a fold over a list")


def bound(values: exp.Expr, index: exp.Expr) -> tuple[exp.Lambda, exp.Expr] | None:
    """builders.bind's list_extract(list_transform([value], name -> body), 1):
    (the lambda, the value), or None for any other list_extract."""
    if isinstance(values, exp.Transform) and isinstance(values.this, exp.Array) \
            and len(values.this.expressions) == 1 and _is_one(index):
        lam = values.expression
        assert isinstance(lam, exp.Lambda)
        return lam, values.this.expressions[0]
    return None


def last_split_part(values: exp.Expr, index: exp.Expr) -> tuple[exp.Expr, exp.Expr] | None:
    """string_split(text, separator)[-1]: (text, separator), or None."""
    if isinstance(values, exp.Anonymous) and str(values.this).upper() == "STRING_SPLIT" \
            and isinstance(index, exp.Neg) and _is_one(index.this):
        return values.expressions[0], values.expressions[1]
    return None


def member_path(node: exp.Dot) -> tuple[exp.Expr, list[str]]:
    """`(base).a.b` as (base, ['a', 'b'])."""
    names: list[str] = []
    base: exp.Expr = node
    while isinstance(base, (exp.Dot, exp.Paren)):
        if isinstance(base, exp.Dot):
            names.insert(0, base.expression.name)
        base = base.this
    return base, names


def _fenced(select: exp.Select) -> exp.Select:
    """OFFSET 0: the subquery stays one (computed once), not pulled up into
    its parent with its value copied into every use."""
    select.set("offset", exp.Offset(expression=_n(0)))
    return select


def _elements(listed: exp.Expr, element: str, index: str) -> exp.Expr:
    """The rows (element, 1-based index) of a list, whatever its element
    type (unnest() would spread a composite element into its members):
    (SELECT (__w.__l)[__g.__i] AS element, __g.__i AS index
       FROM (SELECT listed AS __l) AS __w, generate_subscripts(__w.__l, 1) AS __g(__i)) AS __u"""
    bound = _fenced(exp.Select(expressions=[exp.alias_(listed, "__l", quoted=True)])).subquery("__w", copy=False)
    subscripts = exp.Anonymous(this="GENERATE_SUBSCRIPTS", expressions=[
        exp.column("__l", table="__w", quoted=True), _n(1)])
    numbered = exp.Alias(this=subscripts, alias=exp.TableAlias(
        this=exp.to_identifier("__g"), columns=[exp.to_identifier("__i", quoted=True)]))
    position = exp.column("__i", table="__g", quoted=True)
    rows = exp.Select(expressions=[
        exp.alias_(_at(exp.column("__l", table="__w", quoted=True), position), element, quoted=True),
        exp.alias_(position.copy(), index, quoted=True),
    ]).from_(bound, copy=False).join(numbered, copy=False)
    return rows.subquery("__u", copy=False)


def _ordered_sum() -> exp.Expr:
    """sum("__x" ORDER BY "__o"): float8 addition in list order."""
    import sqlglot

    return sqlglot.parse_one('SUM("__x" ORDER BY "__o")', read=POSTGRES)


def _power(base: exp.Expr, exponent: exp.Expr) -> exp.Expr:
    """Python's float ** for the decay factors (0 < base <= 1, exponent >= 0):
    PostgreSQL's power() raises where the result underflows to 0. Below
    2**-1080 the result is 0 in both; nearer, power() is exact or raises
    (never a silent difference)."""
    log2 = exp.Div(this=_f("LN", base), expression=_f("LN", _double(2.0)))
    tiny = exp.LT(this=exp.Mul(this=_p(exponent), expression=_p(log2)), expression=_double(-1080.0))
    positive = exp.And(this=exp.GT(this=_p(base), expression=_double(0.0)),
                       expression=exp.LT(this=_p(base), expression=_double(1.0)))
    return _case((exp.And(this=_p(positive), expression=_p(tiny)), _double(0.0)), default=_f("POWER", base, exponent))


def _is_one(node: exp.Expr) -> bool:
    return isinstance(node, exp.Literal) and node.is_int and int(node.this) == 1


Mapping_ = Callable[[_Rewriter, list[exp.Expr]], exp.Expr]


def _same(name: str) -> Mapping_:
    return lambda r, args: _f(name, *(r(a) for a in args))


def _matches(r: _Rewriter, args: list[exp.Expr]) -> exp.Expr:
    ignore_case = False
    if len(args) == 3:
        flags = _string_value(args[2], "regex flags that are not a constant")
        if flags not in ("c", "i"):
            raise refuse(f"the regex flags {flags!r}")
        ignore_case = flags == "i"
    return _regex_match(r(args[0]), _are(args[1], ignore_case=ignore_case))


def _extract(r: _Rewriter, args: list[exp.Expr]) -> exp.Expr:
    """DuckDB's regexp_extract: '' when there is no match (or the group did
    not take part), NULL for NULL text."""
    text = r(args[0])
    group = args[2] if len(args) > 2 else exp.Literal.number(0)
    found = _f("REGEXP_SUBSTR", _c(text), _are(args[1]), _n(1), _n(1), _s(""), group)
    return _case((_is_null(text), _cast(exp.Null(), "TEXT")), default=_f("COALESCE", found, _s("")))


def _isnan(r: _Rewriter, args: list[exp.Expr]) -> exp.Expr:
    return exp.EQ(this=_p(r(args[0])), expression=_double(float("nan")))


def _isfinite(r: _Rewriter, args: list[exp.Expr]) -> exp.Expr:
    x = r(args[0])
    return exp.Not(this=exp.Paren(this=exp.Or(
        this=exp.EQ(this=_p(x), expression=_double(float("nan"))),
        expression=exp.EQ(this=_f("ABS", x), expression=_double(float("inf"))))))


def _contains(r: _Rewriter, args: list[exp.Expr]) -> exp.Expr:
    return exp.GT(this=_f("STRPOS", r(args[0]), r(args[1])), expression=_n(0))


def _suffix(r: _Rewriter, args: list[exp.Expr]) -> exp.Expr:
    text, end = r(args[0]), r(args[1])
    return exp.EQ(this=_f("RIGHT", text, _f("CHAR_LENGTH", end)), expression=end)


def _strftime(r: _Rewriter, args: list[exp.Expr]) -> exp.Expr:
    fmt = _string_value(args[1], "a time format that is not a constant")
    inner = args[0]
    if fmt == " %H:%M:%S":
        return _f("TO_CHAR", r(args[0]), _s(" HH24:MI:SS"))
    if fmt != "%Y-%m-%dT%H:%M:%S" or not (isinstance(inner, exp.Anonymous)
                                          and str(inner.this).upper() == "MAKE_TIMESTAMP"):
        raise refuse(f"the time format {fmt!r}")
    micros = r(inner.expressions[0])
    seconds = _f("FLOOR", exp.Div(this=_cast(micros, "NUMERIC"), expression=_n(1_000_000), typed=True))
    moment = exp.AtTimeZone(this=_f("TO_TIMESTAMP", _cast(seconds, "DOUBLE PRECISION")), zone=_s("UTC"))
    return _f("TO_CHAR", moment, _s('YYYY-MM-DD"T"HH24:MI:SS'))


def _format(r: _Rewriter, args: list[exp.Expr]) -> exp.Expr:
    if _string_value(args[0], "a format that is not a constant") != "{}":
        raise refuse("format()")
    return _float_text(r(args[1]))


def _epoch(r: _Rewriter, args: list[exp.Expr]) -> exp.Expr:
    return _epoch_us(r(args[0]))


def _len(r: _Rewriter, args: list[exp.Expr]) -> exp.Expr:
    return _f("CARDINALITY", r(args[0]))


def _bool_or(r: _Rewriter, args: list[exp.Expr]) -> exp.Expr:
    element = exp.column("__m", quoted=True)
    alias = exp.TableAlias(this=exp.to_identifier("__u"), columns=[exp.to_identifier("__m", quoted=True)])
    select = exp.Select(expressions=[_f("BOOL_OR", element)]).from_(
        exp.Unnest(expressions=[r(args[0])], alias=alias), copy=False)
    return _subquery(select)


def _coalesce(r: _Rewriter, args: list[exp.Expr]) -> exp.Expr:
    # coalesce(__ev, []): the empty list of loaded events is a jsonb[].
    mapped = [_cast(exp.Array(expressions=[]), "JSONB[]") if isinstance(a, exp.Array) and not a.expressions
              else r(a) for a in args]
    return _f("COALESCE", *mapped)


def _sorted_events(listed: exp.Expr) -> exp.Expr:
    """DuckDB's list_sort of loaded events: by (k, j), unique per event."""
    alias = exp.TableAlias(this=exp.to_identifier("__u"), columns=[exp.to_identifier("__s", quoted=True)])
    element = exp.column("__s", quoted=True)
    order = [_cast(exp.JSONExtractScalar(this=element, expression=_s(key)), "BIGINT") for key in ("k", "j")]
    select = exp.Select(expressions=[element]).from_(exp.Unnest(expressions=[listed], alias=alias), copy=False)
    select = select.order_by(*order, copy=False)
    return _case((_is_null(listed), exp.Null()), default=exp.Array(expressions=[select]))


def _slice(r: _Rewriter, args: list[exp.Expr]) -> exp.Expr:
    listed, start, end = (r(a) for a in args)
    if not _is_one(args[1]):
        raise refuse("a list slice not from the start")
    return _at(listed, exp.Slice(this=start, expression=end))


def _refused(construct: str) -> Mapping_:
    def refusal(r: _Rewriter, args: list[exp.Expr]) -> exp.Expr:
        raise refuse(construct)
    return refusal


_FUNCTIONS: dict[str, Mapping_] = {
    "ABS": _same("ABS"), "COALESCE": lambda r, args: _coalesce(r, args), "LEFT": _same("LEFT"), "LPAD": _same("LPAD"),
    "RPAD": _same("RPAD"), "NULLIF": _same("NULLIF"), "SUBSTRING": _same("SUBSTR"),
    "TRANSLATE": _same("TRANSLATE"), "FLOOR": _same("FLOOR"), "CEIL": _same("CEIL"), "TRUNC": _same("TRUNC"),
    "LOWER": lambda r, args: _f("LOWER", _c(r(args[0]))),
    "CONTAINS": _contains, "STARTS_WITH": _same("STARTS_WITH"), "SUFFIX": _suffix,
    "LENGTH": _same("CHAR_LENGTH"), "STRLEN": _same("OCTET_LENGTH"), "LEN": _len,
    "ARRAY_TO_STRING": _same("ARRAY_TO_STRING"),  # both skip NULL elements
    "LIST_BOOL_OR": _bool_or,
    "REGEXP_MATCHES": _matches,
    "REGEXP_FULL_MATCH": lambda r, args: _regex_match(r(args[0]), _are(args[1], full=True)),
    "REGEXP_EXTRACT": _extract,
    "ISNAN": _isnan, "ISFINITE": _isfinite, "EPOCH_US": _epoch,
    "STRFTIME": _strftime, "FORMAT": _format,
    "LIST_SORT": lambda r, args: _sorted_events(r(args[0])),
    "LIST_SLICE": lambda r, args: _slice(r, args),
    "JSON_TYPE": _refused("a JSON-typed column"), "JSON_EXTRACT_STRING": _refused("a JSON-typed column"),
    "MAP_ENTRIES": _refused("a JSON-typed column"),
    "TIMEZONE": lambda r, args: exp.AtTimeZone(this=_p(r(args[1])), zone=_s(_string_value(args[0], "a time zone"))),
    "MICROSECOND": lambda r, args: _cast(exp.Extract(this=exp.Var(this="MICROSECONDS"), expression=r(args[0])),
                                         "BIGINT"),
}
_Rewriter.functions = _FUNCTIONS


def to_postgres(select: exp.Expr, columns: Mapping[str, exp.DataType],
                event: exp.DataType | None = None) -> exp.Expr:
    """The DuckDB SELECT as PostgreSQL's tree (refusing what has no exact
    mapping); `event`: the SQL type of one element of the events column."""
    return _Rewriter(columns, event)(select)
