"""The events window in SQL, as runtime.load_events and the Python backend
read it: elements with a string `type` and an ISO 8601 `at` (others warned
about, in input order, and ignored), only those with `at <= T`, most recent
first with ties to the later element; ages, step decay with an exact floor on
microseconds, half-life and expiry.

Loaded events are a LIST of STRUCT(k, j, at, type, folded): `k = -at` and
`j = -index` make DuckDB's list_sort (ascending, field by field) put them in
the contract's order.

For DuckDB itself (not PORTABLE) a loaded event is STRUCT(at, [type,]
folded[, e]), the list stays in input order, and each reader that needs the
contract's order sorts its own few events' `at`s (`most_recent`): sorting
every lead's whole list cost more than all the rules that read it. The
element itself (`e`) is kept only when the policy reads an event's own key.
The other dialects' rewrites keep the form they map.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs
from sqlglot import exp

from ... import ir
from . import builders as b
from .casefold import casefold
from .coerce import coerce, micros
from .show import LISTS, TEXTS, show

EVENTS_TYPE = "STRUCT(k BIGINT, j BIGINT, \"at\" BIGINT, \"type\" VARCHAR, folded VARCHAR)[]"
T = exp.DataType.Type


@attrs.frozen
class Loaded:
    events: exp.Expr  # EVENTS_TYPE, NULL when the field is missing or not a list
    warnings: exp.Expr  # VARCHAR[] (NULL entries are dropped later)
    # In DuckDB's form, `type` in each copy of the event's STRUCT (pop() drops it).
    type_members: tuple[exp.Expr, ...] = ()


def _member(value: exp.Expr, name: str) -> exp.Expr:
    return exp.Dot(this=b.paren(value), expression=exp.to_identifier(name, quoted=True))


def sorted_here() -> bool:
    """Whether the loaded list is sorted once (the PORTABLE form) rather
    than by each reader (`most_recent`)."""
    from .show import PORTABLE

    return PORTABLE.get()


def most_recent(events: exp.Expr, name: str, most: int | None) -> tuple[exp.Expr, exp.Expr]:
    """What a decayed per-event rule sums over: the loaded `events` it
    matched (or the `most` recent of them) in the contract's order, most
    recent first, as a list; and, in a lambda over that list with parameter
    `name`, the element's age.

    In DuckDB's own form the list is of the events' `at`s (BIGINTs). A
    decayed event's points depend on its `at` alone, so the sorted `at`s
    give the same sum as the sorted events, and the same most recent K (of
    two events with the same `at`, either gives the same points); sorting
    a list of STRUCTs cost more than twice as much. The list is sorted only
    when its order can matter: more than K elements, or more than two
    (float addition is not associative, but it is commutative: a sum of
    two is the same either way, signed zeros included)."""
    element = exp.column(name)
    if sorted_here():
        chosen = events
        age_of = age(element)
    else:
        ats = exp.Transform(this=events, expression=b.lam(_member(element, "at"), name))
        up_to = min(2, most or 2)
        chosen = b.case((exp.LTE(this=b.call("len", ats), expression=b.integer(up_to)), ats),
                        default=b.call("list_reverse_sort", ats))
        age_of = exp.Sub(this=exp.column("__t"), expression=element)
    if most is not None:
        chosen = b.call("list_slice", chosen, b.integer(1), b.integer(most))
    return chosen, age_of


def latest_at(events: exp.Expr) -> exp.Expr:
    """`at` of the most recent loaded event (NULL when there is none)."""
    if sorted_here():
        return exp.Dot(this=b.paren(b.call("list_extract", events, b.integer(1))), expression=exp.to_identifier("at"))
    return b.call("list_max", exp.Transform(this=events, expression=b.lam(_member(exp.column("__x"), "at"), "__x")))


def load_events(value: exp.Expr, source: exp.DataType, field: str, as_of: exp.Expr,
                keep_element: bool = True) -> Loaded:
    """runtime.load_events of a column of SQL type `source`. `keep_element`:
    the loaded events carry the element (`e`), for its own keys."""
    if source.this == T.JSON:
        return _load_json_events(value, field, as_of, keep_element)
    if source.this not in LISTS:
        warning = b.case((b.not_null(value), b.concat(
            b.string(f"{field}: expected events, got "), show(value, source), b.string("; treated as missing"))))
        return Loaded(b.cast(b.null(), EVENTS_TYPE), exp.Array(expressions=[warning]))
    element_type = source.expressions[0]
    members = {c.this.name: c.args["kind"] for c in element_type.expressions} \
        if element_type.this == T.STRUCT else {}
    element = _member(exp.column("__x"), "e") if sorted_here() else exp.column("__v")
    prelude: list[tuple[str, exp.Expr]] = []  # (name, value) bound per element before `at` and `type`
    if "type" in members and members["type"].this in TEXTS and "at" in members:
        at = coerce(_member(element, "at"), members["at"], "datetime")
        kind = _member(element, "type")
        valid: exp.Expr = b.and_(b.not_null(element), b.not_null(kind), b.not_null(at))
    elif element_type.this == T.JSON:
        # Each element a JSON value: an object with a string `type` and an `at`.
        type_value = b.json_member(element, "type")
        at_value = b.json_present(b.json_member(element, "at"))
        if not sorted_here():  # each member read (a parse of the element) once: _window_unsorted binds them
            prelude = [("__tj", type_value), ("__aj", at_value)]
            type_value, at_value = exp.column("__tj"), exp.column("__aj")
        kind = b.case((b.eq(b.call("json_type", type_value), b.string("VARCHAR")),
                       b.call("json_extract_string", type_value, b.string("$"))))
        at = coerce(at_value, element_type, "datetime")
        valid = b.and_(b.not_null(kind), b.not_null(at))
    else:  # no element can be an event (not an object, or no string `type`)
        at, kind, valid = b.cast(b.null(), "BIGINT"), b.cast(b.null(), "VARCHAR"), b.false()
    if sorted_here():
        return _window(value, element_type, field, as_of, element, at, kind, valid)
    return _window_unsorted(value, element_type, field, as_of, element, at, kind, valid, keep_element, prelude)


def _load_json_events(value: exp.Expr, field: str, as_of: exp.Expr, keep_element: bool) -> Loaded:
    """A JSON value (never JSON null: sources make that NULL): a JSON array
    is read element by element; anything else is warned about."""
    is_array = b.eq(b.call("json_type", value), b.string("ARRAY"))
    warning = b.case((b.not_(is_array), b.concat(
        b.string(f"{field}: expected events, got "), show(value, b.sql_type("JSON")),
        b.string("; treated as missing"))))
    listed = b.case((is_array, b.cast(value, "JSON[]")))
    loaded = load_events(listed, b.sql_type("JSON[]"), field, as_of, keep_element)
    return Loaded(loaded.events, exp.ArrayConcat(this=exp.Array(expressions=[warning]), expressions=[loaded.warnings]),
                  loaded.type_members)


def _window(value: exp.Expr, element_type: exp.DataType, field: str, as_of: exp.Expr, element: exp.Expr,
            at: exp.Expr, kind: exp.Expr, valid: exp.Expr) -> Loaded:
    """The events that exist as of T, in the contract's order, and the
    warnings for malformed elements (in input order)."""
    x = exp.column("__x")
    pair = exp.Struct(expressions=[
        exp.PropertyEQ(this=exp.to_identifier("e"), expression=exp.column("__v")),
        exp.PropertyEQ(this=exp.to_identifier("i"),
                       expression=exp.Sub(this=exp.column("__n"), expression=b.integer(1))),
    ])
    indexed = exp.Transform(this=value, expression=b.lam(pair, "__v", "__n"))
    shown = b.case((b.is_null(element), b.string("null")), default=show(element, element_type))
    message = b.concat(
        b.string(f"{field}["), b.cast(_member(x, "i"), "VARCHAR"),
        b.string("]: expected an event with a string `type` and an ISO 8601 `at`, got "), shown,
        b.string("; ignored"),
    )
    bad = exp.ArrayFilter(this=indexed, expression=b.lam(b.not_(valid), "__x"))
    warnings = exp.Transform(this=bad, expression=b.lam(message, "__x"))
    exists = exp.ArrayFilter(this=indexed, expression=b.lam(
        b.and_(valid, exp.LTE(this=at, expression=as_of)), "__x"))
    event = exp.Struct(expressions=[
        exp.PropertyEQ(this=exp.to_identifier("k"), expression=exp.Neg(this=b.paren(at))),
        exp.PropertyEQ(this=exp.to_identifier("j"), expression=exp.Neg(this=_member(x, "i"))),
        exp.PropertyEQ(this=exp.to_identifier("at", quoted=True), expression=at),
        exp.PropertyEQ(this=exp.to_identifier("type", quoted=True), expression=kind),
        exp.PropertyEQ(this=exp.to_identifier("folded"), expression=casefold(kind)),
        exp.PropertyEQ(this=exp.to_identifier("e"), expression=element),  # other keys, as they are
    ])
    events = b.call("list_sort", exp.Transform(this=exists, expression=b.lam(event, "__x")))
    return Loaded(events, warnings)


def _costly(value: exp.Expr) -> bool:
    """A regex or a JSON parse in it: worth a binding (a one-element list per
    element) over computing it in each place it is used."""
    text = value.sql(b.DIALECT).upper()
    return "REGEXP" in text or "JSON" in text


def _window_unsorted(value: exp.Expr, element_type: exp.DataType, field: str, as_of: exp.Expr,
                     element: exp.Expr, at: exp.Expr, kind: exp.Expr, valid: exp.Expr,
                     keep_element: bool, prelude: Sequence[tuple[str, exp.Expr]] = ()) -> Loaded:
    """_window for DuckDB: each element made its loaded event in one pass
    (`__v` the element, `__n` its 1-based position), in input order, as
    STRUCT(at, [type,] folded[, e]); the warnings' pass runs only for a list
    holding a malformed element. `type` is dropped by the compiler when
    no condition reads it as it is (Loaded.type_members)."""
    v, n = exp.column("__v"), exp.column("__n")
    # `at` read from text is a long expression (coerce.datetime_from_text),
    # and `type` from JSON parses the element: each is bound once per
    # element rather than computed in every place it is used.
    bound = [*prelude, *((name, part) for name, part in (("__at", at), ("__ty", kind)) if _costly(part))]
    for name, part in bound[len(prelude):]:
        valid = valid.transform(lambda node, part=part, name=name: exp.column(name) if node == part else node)
    at_value: exp.Expr = exp.column("__at") if any(name == "__at" for name, _ in bound) else at
    kind = exp.column("__ty") if any(name == "__ty" for name, _ in bound) else kind

    def per_element(body: exp.Expr) -> exp.Expr:
        for name, part in reversed(bound):
            body = b.bind(part.copy(), name, body)
        return body

    type_members: list[exp.Expr] = []

    def made() -> exp.Expr:
        """Each element as its loaded event; NULL for one after T; for a
        malformed one, a STRUCT with `at` NULL. The events and the check for
        a malformed element each read a copy: DuckDB computes the two equal
        expressions once (its common-subexpression pass), where a check of
        its own evaluated every element a second time."""
        type_member = exp.PropertyEQ(this=exp.to_identifier("type", quoted=True), expression=kind.copy())
        type_members.append(type_member)
        members = [exp.PropertyEQ(this=exp.to_identifier("at", quoted=True),
                                  expression=b.case((valid.copy(), at_value.copy()))),
                   type_member, exp.PropertyEQ(this=exp.to_identifier("folded"), expression=casefold(kind.copy()))]
        if keep_element:
            members.append(exp.PropertyEQ(this=exp.to_identifier("e"), expression=v.copy()))  # other keys, as they are
        kept = b.or_(b.not_(valid.copy()), exp.LTE(this=at_value.copy(), expression=as_of.copy()))
        event = b.case((kept, exp.Struct(expressions=members)))
        return exp.Transform(this=value.copy(), expression=b.lam(per_element(event), "__v", "__n"))

    x = exp.column("__x")
    events = exp.ArrayFilter(this=made(), expression=b.lam(b.not_null(_member(x, "at")), "__x"))
    any_bad = b.call("list_bool_or", exp.Transform(this=made(), expression=b.lam(
        b.and_(b.not_null(x), b.is_null(_member(x, "at"))), "__x")))
    shown = b.case((b.is_null(v), b.string("null")), default=show(v, element_type))
    message = b.concat(
        b.string(f"{field}["), b.cast(exp.Sub(this=n, expression=b.integer(1)), "VARCHAR"),
        b.string("]: expected an event with a string `type` and an ISO 8601 `at`, got "), shown,
        b.string("; ignored"),
    )
    each = exp.Transform(this=value, expression=b.lam(per_element(b.case((b.not_(valid), message))), "__v", "__n"))
    return Loaded(events, b.case((any_bad, each), default=b.cast(exp.Array(expressions=[]), "VARCHAR[]")),
                  tuple(type_members))


# What Python sees for an event key of each SQL type (runtime.event_field
# returns the value as it is): its static type in the IR's vocabulary.
_ATTR_TYPES = {
    "string": TEXTS, "bool": {T.BOOLEAN},
    "int": {T.TINYINT, T.SMALLINT, T.INT, T.BIGINT, T.UTINYINT, T.USMALLINT, T.UINT},
    "number": {T.DOUBLE, T.FLOAT},
}


def attribute(event: exp.Expr, element_type: exp.DataType | None, path: tuple[str, ...]) -> tuple[exp.Expr, str] | None:
    """An event's own key (not `type` or `at`) as (SQL, static type); None
    when the events' SQL type cannot hold it exactly as Python sees it."""
    node = _member(event, "e")
    sql_type = element_type
    if sql_type is not None and sql_type.this == T.JSON:
        return json_lookup(node, path), "any"
    for segment in path:
        if sql_type is None or sql_type.this != T.STRUCT:
            return b.null(), "string"  # missing for every event: compares false
        members = {c.this.name: c.args["kind"] for c in sql_type.expressions}
        if segment not in members:
            return b.null(), "string"
        node, sql_type = _member(node, segment), members[segment]
    assert sql_type is not None
    if sql_type.this == T.JSON:
        return b.cast(node, "VARCHAR"), "string"
    for static, kinds in _ATTR_TYPES.items():
        if sql_type.this in kinds:
            return node, static
    if sql_type.this in (T.TIMESTAMP, T.TIMESTAMPNTZ, T.TIMESTAMPTZ, T.DATE):
        return micros(node, sql_type.this), "datetime"
    return None


def json_lookup(value: exp.Expr, path: tuple[str, ...]) -> exp.Expr:
    """runtime.lookup inside a JSON object: nested, then the flat dotted key;
    JSON null is SQL NULL."""
    nested = value
    for segment in path:
        nested = b.json_member(nested, segment)
    if len(path) > 1:
        nested = b.call("coalesce", nested, b.json_member(value, ".".join(path)))
    return b.json_present(nested)


def age(event: exp.Expr) -> exp.Expr:
    """`T - at` of a loaded event, in microseconds (never negative)."""
    return exp.Sub(this=exp.column("__t"), expression=_member(event, "at"))


def floor_div(value: exp.Expr, divisor: int) -> exp.Expr:
    """Python's `//` of a BIGINT by a positive constant (DuckDB's `//` truncates)."""
    assert divisor > 0
    quotient = exp.IntDiv(this=b.paren(value), expression=b.integer(divisor))
    remainder = exp.Mod(this=b.paren(value), expression=b.integer(divisor))
    return exp.Sub(this=quotient, expression=b.case(
        (exp.LT(this=remainder, expression=b.integer(0)), b.integer(1)), default=b.integer(0)))


STEP_DECAY = "qualdsl_step_decay"  # meta of a step decay's Pow: (keep, max steps or None)


def factor(block: ir.Block, age_us: exp.Expr) -> exp.Expr:
    """The block's decay factor for an age (backends/python.py factor_lines)."""
    decay, expire = block.decay, block.expire
    if isinstance(decay, ir.StepDecay):
        steps = exp.IntDiv(this=b.paren(age_us), expression=b.integer(decay.period))  # age >= 0: the floor
        value: exp.Expr = exp.Pow(this=b.double(decay.keep), expression=b.cast(steps, "DOUBLE"))
        # For a dialect whose pow() is not C's (Spark: Java's): keep and the most
        # steps an unexpired event can reach, to tabulate keep ** k in Python.
        value.meta[STEP_DECAY] = (decay.keep, None if expire is None else expire.after // decay.period)
    elif isinstance(decay, ir.HalfLife):
        ratio = exp.Div(this=b.cast(age_us, "DOUBLE"), expression=b.cast(b.integer(decay.period), "DOUBLE"))
        value = exp.Pow(this=b.double(0.5), expression=ratio)
    else:
        value = b.double(1.0)
    if expire is not None:
        value = b.case((exp.GT(this=b.paren(age_us), expression=b.integer(expire.after)), b.double(0.0)),
                       default=value)
    return value
