"""The DuckDB decision SELECT rewritten for Spark SQL, node by node.

compile.py builds one SELECT in DuckDB's terms. `spark_sql` walks that tree
and replaces every DuckDB function, type and operator by a Spark expression
that gives the same value for every input (each mapping is in
`_SPARK_FUNCTIONS` / `_spark_node` and proven by tests/sql_engines against a
real Spark). Anything without such a mapping is refused (`SqlRefused`,
naming the construct and the dialect, located at the policy condition it
came from): there is no best-effort output.

Nothing depends on the session's settings: it runs the same with
`spark.sql.ansi.enabled` on or off and in any `spark.sql.session.timeZone`
(lookups are `try_element_at`, sizes `array_size`, text to number
`try_cast` behind an exact pattern, times epoch microseconds from
`unix_micros`/`unix_date`, and a timestamp is shown from its microseconds).
Step decay is not built on Spark's pow() (Java's, not C's): its factors are a
table computed by Python's `**` (`decay_table`); a half-life is refused.
Casefold and Python's lower() are not built on Spark's lower() (Java's, and
the JVM's locale): `translate` and `replace` tables computed from Python's
own str.casefold and str.lower over every code point.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping

from sqlglot import exp

from . import builders as b
from . import regex_dialects
from .builders import STOP
from .casefold import LOWER_FILE, MARK, TABLE_FILE
from .coerce import TIME_TYPE
from .compile import LOC
from .errors import SqlRefused
from .events import STEP_DECAY
from .show import DATETIME_STR, datetime_text

SPARK = "spark"
VERIFIED = ("duckdb", SPARK)  # dialects whose output is proven against a real engine
T = exp.DataType.Type

_TWO_63 = 2.0**63
_TWO_126 = 2.0**126


def _f(name: str, *args: exp.Expr) -> exp.Expr:
    """A Spark function call (marked: the rewrite does not map it again)."""
    node = exp.Anonymous(this=name, expressions=list(args))
    node.meta[_DONE] = True
    return node


_DONE = "spark"


def _string(node: exp.Expr, construct: str) -> str:
    if not (isinstance(node, exp.Literal) and node.is_string):
        raise SqlRefused(construct, SPARK)
    return str(node.this)


def _regex(node: exp.Expr, full: bool = False, fold: bool = False) -> exp.Expr:
    pattern = _string(node, "a regex that is not a constant")
    try:
        return exp.Literal.string(regex_dialects.to_java(pattern, full=full, fold=fold))
    except regex_dialects.Untranslatable as error:
        raise SqlRefused(f"the regex /{pattern}/ ({error.construct})", SPARK) from None


def _rlike(text: exp.Expr, pattern: exp.Expr) -> exp.Expr:
    return exp.RegexpLike(this=text, expression=pattern)


def _matches(args: list[exp.Expr]) -> exp.Expr:
    flags = _string(args[2], "regex flags that are not a constant") if len(args) == 3 else "c"
    if flags not in ("c", "i"):
        raise SqlRefused(f"the regex flags {flags!r}", SPARK)
    return _rlike(args[0], _regex(args[1], fold=flags == "i"))


def _extract(args: list[exp.Expr]) -> exp.Expr:
    group = args[2] if len(args) > 2 else exp.Literal.number(0)  # Spark's default group is 1
    return _f("REGEXP_EXTRACT", args[0], _regex(args[1]), group)


def _isnan(args: list[exp.Expr]) -> exp.Expr:
    # Spark's isnan(NULL) is false; DuckDB's is NULL (and NOT of it stays NULL).
    x = args[0]
    return exp.Case(ifs=[exp.If(this=exp.Is(this=x.copy(), expression=exp.Null()), true=exp.Null())],
                    default=_f("ISNAN", x))


def _isfinite(args: list[exp.Expr]) -> exp.Expr:
    x = args[0]
    infinite = exp.EQ(this=_f("ABS", x.copy()), expression=_double_literal(float("inf")))
    return exp.Not(this=exp.Paren(this=exp.Or(this=_f("ISNAN", x), expression=infinite)))


MAX_DECAY_TABLE = 2048  # factors of one step decay written into the SQL


def decay_table(keep: float, max_steps: int | None) -> tuple[list[float], float] | None:
    """`keep ** k` by Python for k = 0, 1, ... while it can still change, and
    the value every later k has: up to `max_steps` (an older event has
    expired) or until it reaches 0.0 or stays 1.0. None when that takes more
    than MAX_DECAY_TABLE factors."""
    factors: list[float] = []
    for steps in range(MAX_DECAY_TABLE + 1):
        if max_steps is not None and steps > max_steps:
            return factors, 0.0  # never read: the expire CASE gives 0.0 first
        value = keep ** steps
        if steps > 0 and value in (0.0, factors[-1]) and value in (0.0, 1.0):
            return factors, value
        factors.append(value)
    return None


def _step_factor(steps: exp.Expr, keep: float, max_steps: int | None) -> exp.Expr:
    """`keep ** steps` (steps a whole DOUBLE >= 0) as a lookup in a table of
    Python-computed factors."""
    table = decay_table(keep, max_steps)
    if table is None:
        raise SqlRefused(f"`decay` whose factor {keep!r} ** k takes more than {MAX_DECAY_TABLE} steps to reach 0 "
                         "(add `expire after`, or use the duckdb engine)", SPARK)
    factors, later = table
    index = exp.Cast(this=steps, to=exp.DataType.build("BIGINT"))
    listed = _f("ARRAY", *(_double_literal(value) for value in factors))
    position = exp.Add(this=index.copy(), expression=exp.Literal.number(1))
    return exp.Case(ifs=[exp.If(this=exp.LT(this=index, expression=exp.Literal.number(len(factors))),
                                true=_f("ELEMENT_AT", listed, exp.Cast(this=position, to=exp.DataType.build("INT"))))],
                    default=_double_literal(later))


def _double_literal(value: float) -> exp.Expr:
    text = "inf" if value == float("inf") else repr(value)
    return exp.Cast(this=exp.Literal.string(text), to=exp.DataType.build("DOUBLE"))


def _trunc(args: list[exp.Expr]) -> exp.Expr:
    # x - fmod(x, 1) is exact for every finite double (callers guard the rest).
    x = args[0]
    return exp.Paren(this=exp.Sub(this=x.copy(), expression=exp.Paren(
        this=exp.Mod(this=x, expression=exp.Literal.number(1)))))


def _split(args: list[exp.Expr]) -> exp.Expr:
    separator = _string(args[1], "a split on a non-constant separator")
    if any(c in regex_dialects._SPECIAL for c in separator):
        raise SqlRefused("a split on a regex metacharacter", SPARK)
    return _f("SPLIT", args[0], args[1], exp.Literal.number(-1))


def _strftime(args: list[exp.Expr]) -> exp.Expr:
    fmt = _string(args[1], "a time format that is not a constant")
    if fmt != "%Y-%m-%dT%H:%M:%S":
        raise SqlRefused(f"the time format {fmt!r}", SPARK)
    return _f("DATE_FORMAT", args[0], exp.Literal.string("yyyy-MM-dd'T'HH:mm:ss"))


def _float_text(x: exp.Expr) -> exp.Expr:
    """Python's repr of a finite double, where Spark can print it exactly:
    integral values below 2**53 (digits and `.0`) and zeros (Java's text of
    0.0 and -0.0 is Python's). Java's shortest float text is not Python's
    repr for every double (JDK 17), so any other value stops the query with
    an error naming it rather than show a different text."""
    whole = exp.And(this=exp.EQ(this=x.copy(), expression=_trunc([x.copy()])),
                    expression=exp.LT(this=_f("ABS", x.copy()), expression=_double_literal(2.0**53)))
    digits = exp.DPipe(this=exp.Cast(this=exp.Cast(this=x.copy(), to=exp.DataType.build("BIGINT")),
                                     to=exp.DataType.build("STRING")), expression=exp.Literal.string(".0"), safe=True)
    zero = exp.EQ(this=x.copy(), expression=_double_literal(0.0))
    stop = _f("RAISE_ERROR", exp.DPipe(this=exp.Literal.string(
        "qualdsl: spark cannot show this number exactly as Python does in a warning: "),
        expression=exp.Cast(this=x, to=exp.DataType.build("STRING")), safe=True))
    return exp.Case(ifs=[exp.If(this=zero, true=exp.Cast(this=x.copy(), to=exp.DataType.build("STRING"))),
                         exp.If(this=whole, true=digits)],
                    default=exp.Cast(this=stop, to=exp.DataType.build("STRING")))


def _integral_text(x: exp.Expr) -> exp.Expr:
    """str(int(x)) of an integral DOUBLE (coerce: a float read as a string;
    DuckDB casts through HUGEINT): exact through BIGINT below 2**63; beyond,
    the query stops with an error naming the value rather than show other
    digits (Spark's DOUBLE to DECIMAL cast goes through Java's shortest text)."""
    fits = exp.And(this=exp.GTE(this=x.copy(), expression=_double_literal(-_TWO_63)),
                   expression=exp.LT(this=x.copy(), expression=_double_literal(_TWO_63)))
    digits = exp.Cast(this=exp.Cast(this=x.copy(), to=exp.DataType.build("BIGINT")), to=exp.DataType.build("STRING"))
    stop = _f("RAISE_ERROR", exp.DPipe(this=exp.Literal.string(
        "qualdsl: spark cannot show an integral number beyond 64 bits exactly as Python does: "),
        expression=exp.Cast(this=x, to=exp.DataType.build("STRING")), safe=True))
    return exp.Case(ifs=[exp.If(this=fits, true=digits)], default=exp.Cast(this=stop, to=exp.DataType.build("STRING")))


def _refuse(construct: str) -> Callable[[list[exp.Expr]], exp.Expr]:
    def refuse(args: list[exp.Expr]) -> exp.Expr:
        raise SqlRefused(construct, SPARK)
    return refuse


def _same(name: str) -> Callable[[list[exp.Expr]], exp.Expr]:
    return lambda args: _f(name, *args)


_SPARK_FUNCTIONS: dict[str, Callable[[list[exp.Expr]], exp.Expr]] = {
    "ABS": _same("ABS"), "COALESCE": _same("COALESCE"), "LEFT": _same("LEFT"), "LPAD": _same("LPAD"),
    "RPAD": _same("RPAD"), "NULLIF": _same("NULLIF"), "SUBSTRING": _same("SUBSTRING"),
    "TRANSLATE": _same("TRANSLATE"), "LOWER": _same("LOWER"), "CONTAINS": _same("CONTAINS"),
    "STARTS_WITH": _same("STARTSWITH"), "SUFFIX": _same("ENDSWITH"),
    "LENGTH": _same("CHAR_LENGTH"),  # code points, as DuckDB's length
    "STRLEN": _same("OCTET_LENGTH"),
    "LEN": _same("ARRAY_SIZE"),  # NULL for NULL whatever sizeOfNull says
    "LIST_EXTRACT": _same("TRY_ELEMENT_AT"),
    "LIST_SLICE": _same("SLICE"),  # always from 1 here: (start, length) = (1, end)
    "LIST_SORT": _same("ARRAY_SORT"),  # events: (k, j) is unique, so no ties or NULLs decide
    "LIST_BOOL_OR": lambda args: _f("ARRAY_CONTAINS", args[0], exp.Boolean(this=True)),
    "LIST_REDUCE": lambda args: _f("AGGREGATE", args[0], args[2], args[1]),
    "ARRAY_TO_STRING": _same("ARRAY_JOIN"),  # both skip NULL elements
    "STRING_SPLIT": _split,
    "REGEXP_MATCHES": _matches,
    "REGEXP_FULL_MATCH": lambda args: _rlike(args[0], _regex(args[1], full=True)),
    "REGEXP_EXTRACT": _extract,
    "ISNAN": _isnan, "ISFINITE": _isfinite, "TRUNC": _trunc,
    "MAKE_TIMESTAMP": _same("TIMESTAMP_MICROS"),
    "STRFTIME": _strftime,
    "FORMAT": lambda args: _float_text(args[1]),
    "JSON_TYPE": _refuse("a JSON-typed column"), "JSON_EXTRACT_STRING": _refuse("a JSON-typed column"),
    "MAP_ENTRIES": _refuse("a JSON-typed column"),
}

_SPARK_TYPES = {
    T.VARCHAR: "STRING", T.TEXT: "STRING", T.BIGINT: "BIGINT", T.INT: "INT", T.DOUBLE: "DOUBLE",
    T.BOOLEAN: "BOOLEAN", T.DATE: "DATE", T.FLOAT: "FLOAT", T.SMALLINT: "SMALLINT", T.TINYINT: "TINYINT",
}


def spark_type(data_type: exp.DataType) -> exp.DataType:
    """A DuckDB type of the SELECT as the Spark type holding the same values."""
    kind = data_type.this
    if kind in _SPARK_TYPES:
        return exp.DataType.build(_SPARK_TYPES[kind], dialect=SPARK)
    if kind in (T.ARRAY, T.LIST):
        return exp.DataType(this=T.ARRAY, expressions=[spark_type(data_type.expressions[0])], nested=True)
    if kind == T.STRUCT:
        members = [exp.ColumnDef(this=member.this.copy(), kind=spark_type(member.args["kind"]))
                   for member in data_type.expressions]
        return exp.DataType(this=T.STRUCT, expressions=members, nested=True)
    if kind in (T.TIMESTAMP, T.TIMESTAMPTZ, T.TIMESTAMPLTZ):
        return exp.DataType.build("TIMESTAMP", dialect=SPARK)
    if kind == T.TIMESTAMPNTZ:
        return exp.DataType.build("TIMESTAMP_NTZ", dialect=SPARK)
    raise SqlRefused(f"the type {data_type.sql('duckdb')}", SPARK)


def _is_double(node: exp.Expr, value: float) -> bool:
    return (isinstance(node, exp.Cast) and node.to.this == T.DOUBLE and isinstance(node.this, exp.Literal)
            and float(node.this.name) == value)


def _spark_node(node: exp.Expr, columns: Mapping[str, exp.DataType]) -> exp.Expr:
    if node._meta:
        if STOP in node._meta and isinstance(node, exp.Cast):  # with ANSI off the cast is NULL: raise_error stops
            return exp.Cast(this=_f("RAISE_ERROR", node._meta[STOP]), to=spark_type(node.to))
        if MARK in node._meta:
            table_file, text = node._meta[MARK]
            return _spark_fold({TABLE_FILE: "casefold", LOWER_FILE: "lower"}[table_file], text)
        if DATETIME_STR in node._meta:
            value, aware = node._meta[DATETIME_STR]
            # The rebuilt text's own root (a DuckDB list_extract) is mapped
            # here: the rewrite goes on with its children only.
            return _spark_node(_datetime_text(value, aware, columns), columns)
    if isinstance(node, exp.Transform) and len(node.expression.expressions) == 2 \
            and not node.expression.meta.get(_DONE):  # a shared subtree is shifted once
        # DuckDB's second lambda parameter is the 1-based index, Spark's 0-based.
        lam = node.expression
        index = lam.expressions[1].name
        for column in list(lam.this.find_all(exp.Column)):
            if column.name == index and not column.table:
                column.replace(exp.Paren(this=exp.Add(this=exp.column(index), expression=exp.Literal.number(1))))
        lam.meta[_DONE] = True
        return node
    if isinstance(node, exp.Anonymous) and not node.meta.get(_DONE):
        name = str(node.this).upper()
        if name == "EPOCH_US":
            return _epoch_us(node.expressions[0], columns, node.meta.get(TIME_TYPE) if node._meta else None)
        mapping = _SPARK_FUNCTIONS.get(name)
        if mapping is None:
            raise SqlRefused(f"the function {name.lower()}()", SPARK)
        return mapping(list(node.expressions))
    if isinstance(node, exp.GT) and isinstance(node.this, exp.Anonymous) and str(node.this.this).upper() == "ABS" \
            and _is_double(node.expression, _TWO_126):
        # logic._int_vs_double: a double beyond every int. Spark's ints are
        # 64-bit: beyond means x >= 2**63 or x < -2**63, and ceil/floor/trunc
        # of any other finite double then fit a BIGINT exactly.
        x = node.this.expressions[0]
        return exp.Paren(this=exp.Or(
            this=exp.GTE(this=x.copy(), expression=_double_literal(_TWO_63)),
            expression=exp.LT(this=x, expression=_double_literal(-_TWO_63))))
    if isinstance(node, (exp.Cast, exp.TryCast)):
        to = node.to
        if to.this in (T.INT128, T.INT256) and isinstance(node.this, exp.Anonymous) \
                and str(node.this.this).upper() in ("CEIL", "FLOOR", "TRUNC"):
            inner = node.this
            x = inner.expressions[0]
            value = _trunc([x]) if str(inner.this).upper() == "TRUNC" else _f(str(inner.this).upper(), x)
            return exp.Cast(this=value, to=exp.DataType.build("BIGINT"))
        if to.this in (T.INT128, T.INT256):
            raise SqlRefused("integer arithmetic beyond 64 bits", SPARK)
        if to.this in (T.VARCHAR, T.TEXT) and isinstance(node.this, exp.Cast) \
                and node.this.to.this in (T.INT128, T.INT256):
            return _integral_text(node.this.this)
        kind = spark_type(to)
        if isinstance(node, exp.TryCast):
            # `safe`: TRY_CAST. Without it sqlglot writes CAST, which is NULL on bad
            # input only with spark.sql.ansi.enabled off (Spark 4's default is on).
            return exp.TryCast(this=node.this, to=kind, safe=True)
        return exp.Cast(this=node.this, to=kind)
    if isinstance(node, exp.Pow):
        # Decay factors are `keep ** steps` and `0.5 ** (age / half-life)`:
        # Java's Math.pow is not the C pow() Python uses (0.9 ** 4 differs in
        # the last bit), so pow() is never emitted. A step decay's factors are
        # a table computed by Python's own `**`; a half-life is refused.
        mark = node.meta.get(STEP_DECAY) if node._meta else None
        if mark is None:
            raise SqlRefused("decay half_life (Java's pow() is not Python's)", SPARK)
        return _step_factor(node.expression, *mark)
    if isinstance(node, exp.ArrayConcat):
        # Spark's concat is NULL if any list is; DuckDB's skips NULL lists.
        parts = [node.this, *node.expressions]
        return _f("CONCAT", *(_f("COALESCE", part, exp.Array(expressions=[])) for part in parts))
    if isinstance(node, exp.Placeholder):
        return node
    return node


def _epoch_us(value: exp.Expr, columns: Mapping[str, exp.DataType], marked: object = None) -> exp.Expr:
    """UNIX_MICROS/UNIX_DATE of a time value: its type from the relation's
    columns, else from the compiler's mark (an event's `at` in a lambda)."""
    kind = _type_of(value, columns) or marked
    if kind == T.DATE:
        return exp.Mul(this=_f("UNIX_DATE", value), expression=exp.Literal.number(86_400_000_000))
    if kind in (T.TIMESTAMP, T.TIMESTAMPTZ, T.TIMESTAMPLTZ):
        return _f("UNIX_MICROS", value)
    if kind == T.TIMESTAMPNTZ:
        # A naive time read as UTC, from its parts: UNIX_MICROS would cast it to
        # TIMESTAMP in the session time zone. DATE_PART's SECOND is DECIMAL(8, 6).
        def part(name: str, unit: int) -> exp.Expr:
            # BIGINT first: MINUTE(x) * 60000000 is INT * INT, which overflows
            # (an error under ANSI) from minute 36 on.
            return exp.Mul(this=exp.Cast(this=_f(name, value.copy()), to=exp.DataType.build("BIGINT")),
                           expression=exp.Literal.number(unit))
        seconds = exp.Cast(this=exp.Mul(this=_f("DATE_PART", exp.Literal.string("SECOND"), value.copy()),
                                        expression=exp.Literal.number(1_000_000)), to=exp.DataType.build("BIGINT"))
        day = exp.Mul(this=_f("UNIX_DATE", exp.Cast(this=value, to=exp.DataType.build("DATE"))),
                      expression=exp.Literal.number(86_400_000_000))
        return exp.Paren(this=exp.Add(this=exp.Add(this=exp.Add(this=day, expression=part("HOUR", 3_600_000_000)),
                                                   expression=part("MINUTE", 60_000_000)), expression=seconds))
    raise SqlRefused("a time value of this column type", SPARK)


def _type_of(value: exp.Expr, columns: Mapping[str, exp.DataType]) -> object:
    while isinstance(value, exp.Paren):
        value = value.this
    if isinstance(value, (exp.Cast, exp.TryCast)):
        return value.to.this
    if isinstance(value, exp.Column) and value.name in columns:
        return columns[value.name].this
    if isinstance(value, exp.Dot):
        # a STRUCT member: walk the struct types
        path: list[str] = []
        node: exp.Expr = value
        while isinstance(node, exp.Dot):
            path.insert(0, node.expression.name)
            node = node.this
            while isinstance(node, exp.Paren):
                node = node.this
        if isinstance(node, exp.Column) and node.name in columns:
            sql_type = columns[node.name]
            for segment in path:
                members = {c.this.name: c.args["kind"] for c in sql_type.expressions}
                if segment not in members:
                    return None
                sql_type = members[segment]
            return sql_type.this
    return None


def to_spark(select: exp.Expr, columns: Mapping[str, exp.DataType]) -> exp.Expr:
    """The DuckDB SELECT as Spark SQL's tree (refusing what has no exact mapping)."""
    return _rewrite(select, columns)


def _rewrite(node: exp.Expr, columns: Mapping[str, exp.DataType]) -> exp.Expr:
    """Top-down: a node is mapped first (patterns see DuckDB's tree), then
    the children of what it became (iteratively deep trees stay in bounds)."""
    root = _spark_node(node, columns)
    stack = [root]
    while stack:
        current = stack.pop()
        for key, value in list(current.args.items()):
            children = value if isinstance(value, list) else [value]
            mapped = []
            for child in children:
                if isinstance(child, exp.Expr):
                    try:
                        mapped_child = _spark_node(child, columns)
                    except SqlRefused as error:
                        raise _located(error, child) from None
                    if mapped_child is not child and child._meta and LOC in child._meta:
                        mapped_child.meta[LOC] = child._meta[LOC]  # refusals below still find it
                    child = mapped_child
                    stack.append(child)
                mapped.append(child)
            current.set(key, mapped if isinstance(value, list) else mapped[0])
    return root



# ------------------------------------------------------------------ casefold

@functools.lru_cache(maxsize=2)
def _fold_table(what: str) -> tuple[str, str, tuple[tuple[str, str], ...]]:
    """(translate from, translate to, replacements) computing Python's
    str.casefold (or str.lower) of every code point, from Python itself.
    Each output is its own fold, so the replacements (one code point to
    several) and the translation (one to one) can run in either order."""
    target = str.casefold if what == "casefold" else str.lower
    singles_from: list[str] = []
    singles_to: list[str] = []
    multi: list[tuple[str, str]] = []
    for code in range(0x110000):
        if 0xD800 <= code <= 0xDFFF:
            continue
        char = chr(code)
        folded = target(char)
        if folded == char:
            continue
        assert target(folded) == folded, char
        if len(folded) == 1:
            singles_from.append(char)
            singles_to.append(folded)
        else:
            multi.append((char, folded))
    return "".join(singles_from), "".join(singles_to), tuple(multi)


def _spark_fold(what: str, text: exp.Expr) -> exp.Expr:
    """str.casefold / str.lower of a STRING (NULL stays NULL), in DuckDB's
    terms for the rewrite: ASCII text by an A-Z translation, other text
    by the replacements and then the translation of Python's table (each
    applied only when the text holds one of its characters)."""
    if isinstance(text, exp.Null):
        # NULL folds to NULL; untyped, it would be AGGREGATE's start of type VOID, which Spark refuses.
        return b.cast(b.null(), "VARCHAR")
    ascii_upper = "".join(chr(c) for c in range(ord("A"), ord("Z") + 1))
    singles_from, singles_to, multi = _fold_table(what)
    folded: exp.Expr = exp.column("__sf")
    if multi:
        keys = "".join(char for char, _ in multi)
        replaced = b.replace_all(exp.column("__sf"), list(multi))
        folded = b.case((_holds_any(folded, keys), replaced), default=folded)
    folded = b.bind(folded, "__sg", _translated(exp.column("__sg"), singles_from, singles_to))
    folded = b.bind(text.copy(), "__sf", folded)
    ascii_only = b.eq(b.call("strlen", text.copy()), b.call("length", text.copy()))
    return b.case((ascii_only, b.call("translate", text.copy(), b.string(ascii_upper), b.string(ascii_upper.lower()))),
                  default=folded)


def _translated(text: exp.Expr, source: str, target: str) -> exp.Expr:
    translated = b.call("translate", text, b.string(source), b.string(target))
    return b.case((_holds_any(text, source), translated), default=text)


def _holds_any(text: exp.Expr, chars: str) -> exp.Expr:
    pattern = "[" + "".join(regex_dialects._char(c) for c in chars) + "]"
    node = exp.RegexpLike(this=text, expression=exp.Literal.string(pattern))
    node.meta[_DONE] = True  # a Java pattern already
    return node


# ------------------------------------------------------------------ time text

def _datetime_text(value: exp.Expr, aware: bool, columns: Mapping[str, exp.DataType]) -> exp.Expr:
    """str(datetime) of a TIMESTAMP (aware: `+00:00`, UTC) from its epoch
    microseconds: integer arithmetic, whatever the session time zone."""
    us = _epoch_us(value.copy(), columns, T.TIMESTAMPTZ if aware else T.TIMESTAMP)
    return datetime_text(us, aware, lambda days: b.cast(_f("DATE_FROM_UNIX_DATE", b.cast(days, "INT")), "VARCHAR"))


# ------------------------------------------------------------------ entry

def spark_sql(select: exp.Expr, columns: Mapping[str, exp.DataType], *, pretty: bool = False) -> str:
    """The DuckDB SELECT as Spark SQL text, or SqlRefused (located when the
    construct came from a policy condition)."""
    return _rewrite(select, columns).sql(dialect=SPARK, pretty=pretty)


def _located(error: SqlRefused, node: exp.Expr | None) -> SqlRefused:
    from .compile import located_refusal

    return located_refusal(error, node)
