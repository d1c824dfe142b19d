"""ir.Policy -> one DuckDB SELECT over the leads relation, deciding every lead
as `Policy.evaluate` does (warnings included).

The SELECT is layered (each layer a subquery reading the one below):
1. fields: every declared field coerced (coerce.py) with its warning, the
   events loaded (events.py), the lead id;
2. rules: each rule's `fired` and points, the ICP reasons;
3. totals: block totals (capped, floored), the total, ICP passed;
4. the tier; 5. the route; then the decision columns.

Types come from the relation (`columns`: name -> SQL type, as DuckDB's
DESCRIBE gives them): a nested field is a STRUCT member or a flat column
named by its dotted path. Anything the SQL cannot decide exactly is refused
with a located error (errors.SqlRefused).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping, Sequence

import attrs
from sqlglot import exp

from ... import ir
from ...source import Span
from . import builders as b
from . import events as ev
from . import logic
from .casefold import casefold, python_lower
from .coerce import SQL_TYPES, coerce, coerce_field
from .errors import SqlRefused, has_lone_surrogate
from .logic import Value
from .show import INTEGERS, json_or_null, json_text

LOC = "qualdsl_loc"  # meta key: the policy location an expression was compiled from
T_COLUMN = "__t"  # the evaluation time, microseconds since the epoch, UTC


@attrs.frozen
class Source:
    """Where a lead field is in the relation: SQL expressions and their types."""

    nested: tuple[exp.Expr, exp.DataType] | None  # a STRUCT member, or a value inside a JSON column
    absent: exp.Expr | None  # true when the nested lookup fails (runtime.lookup then tries the flat key)
    flat: tuple[exp.Expr, exp.DataType] | None  # a column named `a.b`


def _loc_of(node: object) -> tuple[str, Span | None]:
    loc: ir.Loc | None = getattr(node, "loc", None)
    return (loc.path, loc.span) if loc is not None else ("<policy>", None)


def refuse(construct: str, node: object) -> SqlRefused:
    path, span = _loc_of(node)
    if span is None:
        return SqlRefused(construct, b.DIALECT, path=path)
    return SqlRefused(construct, b.DIALECT, path=path, span=span)


class _Compiler:
    def __init__(self, policy: ir.Policy, columns: Mapping[str, exp.DataType]):
        self.policy = policy
        self.columns = dict(columns)
        self.fields: dict[tuple[str, ...], Value] = {}
        self.block_totals: dict[str, str] = {}
        self.event_element: exp.DataType | None = None  # the SQL type of one input event
        self.carry: tuple[str, ...] = ()  # input columns passed through to the output (a row number)
        self.order_by: str | None = None  # a carried column the rows are sorted on, below the text columns
        # Each lookup computed once per row, in a layer below the fields: a
        # value read from JSON is referenced many times by its coercion.
        self.lookups: list[exp.Expr] = []
        self.sources: dict[tuple[str, ...], Source] = {}
        self.int_sources: dict[tuple[str, ...], bool] = {}  # a field's columns can give Python an int
        # A rule's points column that is its constant points when fired and 0.0
        # otherwise (a `when` rule of a block without decay): p column -> points.
        self.constant_points: dict[str, float] = {}
        # A built-in's result on a row's fields (`domain(person.email)`) is
        # computed once per row, with its casefold, in layers between the
        # fields and the rules: inline, a nested call and its casefold repeat
        # their argument (domain's split of the email 16 times). derived[L]
        # is the L-th layer; `derive` knows each call by function and argument.
        self.derived: list[list[exp.Expr]] = []
        self.derived_values: dict[str, Value] = {}
        self.derived_levels: dict[str, int] = {}  # derived column -> its layer
        self.points: list[exp.Expr] = []  # the `when` rules' points, over their fired columns
        self.event_type_members: tuple[exp.Expr, ...] = ()  # `type` of the loaded events' STRUCTs (DuckDB's form)

    # ------------------------------------------------------------ sources
    def source(self, path: tuple[str, ...]) -> Source:
        """runtime.lookup: the nested value, or the flat dotted key when the
        nesting is missing (a STRUCT on the way is NULL, or a JSON value on
        the way is not an object or lacks the key)."""
        if path not in self.sources:
            self.sources[path] = self._source(path)
        return self.sources[path]

    def _source(self, path: tuple[str, ...]) -> Source:
        nested = None
        failed: list[exp.Expr] = []  # conditions under which the nested lookup fails
        if path[0] in self.columns:
            node: exp.Expr = b.column(path[0])
            sql_type = self.columns[path[0]]
            for segment in path[1:]:
                if sql_type.this == exp.DataType.Type.JSON:
                    node = b.json_member(node, segment)
                    continue
                members = {c.this.name: c.args["kind"] for c in sql_type.expressions} \
                    if sql_type.this == exp.DataType.Type.STRUCT else {}
                if segment not in members:
                    node = b.null()
                    break
                failed.append(b.is_null(node))
                node = exp.Dot(this=b.paren(node), expression=exp.to_identifier(segment, quoted=True))
                sql_type = members[segment]
            if not isinstance(node, exp.Null):
                if sql_type.this == exp.DataType.Type.JSON:
                    if len(path) > 1:
                        failed.append(b.is_null(node))
                    node = b.json_present(node)
                nested = (node, sql_type)
        flat_name = ".".join(path)
        flat = (b.column(flat_name), self.columns[flat_name]) if len(path) > 1 and flat_name in self.columns else None
        absent = b.or_(*failed) if failed else None
        # A lookup into JSON (function calls) is computed once, below; a STRUCT member stays in place.
        if nested is not None and nested[0].find(exp.Anonymous) is not None:
            nested = (self.lookup_column(nested[0]), nested[1])
        if absent is not None and absent.find(exp.Anonymous) is not None:
            absent = self.lookup_column(absent)
        return Source(nested, absent, flat)

    def lookup_column(self, value: exp.Expr) -> exp.Column:
        name = f"__l{len(self.lookups)}"
        self.lookups.append(value.as_(name, copy=False))
        return exp.column(name)

    def coerced(self, path: tuple[str, ...], target: str, name: str) -> tuple[exp.Expr, exp.Expr | None]:
        source = self.source(path)
        parts = [p for p in (source.nested, source.flat) if p is not None]
        # Python keeps a JSON integer, or an integer column's value, an int (logic.Value.may_be_int).
        self.int_sources[path] = any(t.this == exp.DataType.Type.JSON or t.this in INTEGERS for _, t in parts)
        if not parts:
            return b.cast(b.null(), SQL_TYPES[target]), None
        coerced = [coerce_field(value, sql_type, target, name) for value, sql_type in parts]
        if len(coerced) == 1:
            return coerced[0].value, coerced[0].warning
        # Both a nested value and a flat column: the flat one only when the nested lookup fails.
        if source.absent is None:
            return coerced[0].value, coerced[0].warning
        use_flat = source.absent
        warnings = [c.warning if c.warning is not None else b.cast(b.null(), "VARCHAR") for c in coerced]
        return (b.case((use_flat, coerced[1].value), default=coerced[0].value),
                b.case((use_flat, warnings[1]), default=warnings[0]))

    # ------------------------------------------------------------ layer 1
    def fields_layer(self) -> list[exp.Expr]:
        policy = self.policy
        out: list[exp.Expr] = []
        warnings: list[exp.Expr] = []
        declared = [f for f in policy.fields if f.declared]
        if len(declared) != len(policy.fields):
            raise refuse("a policy without a schema (SQL needs each field's type)", policy)
        events = policy.events
        event_warnings: exp.Expr | None = None
        for index, field in enumerate(declared):
            if events is not None and events.position == index:
                event_warnings = self.events_columns(out)
                warnings.append(event_warnings)
            value, warning = self.coerced(field.path, field.type, field.name)
            out.append(value.as_(f"__f{index}", copy=False))
            folded = exp.column(f"__k{index}") if field.type == "string" else None
            self.fields[field.path] = Value(exp.column(f"__f{index}"), field.type, folded=folded,
                                            may_be_int=self.int_sources[field.path])
            if warning is not None:
                warnings.append(exp.Array(expressions=[warning]))
        if events is not None and (events.position is None or events.position >= len(declared)):
            warnings.append(self.events_columns(out))
        elif events is None:
            out.append(b.cast(b.null(), ev.EVENTS_TYPE).as_("__ev", copy=False))
        listed = exp.ArrayConcat(this=b.cast(exp.Array(expressions=[]), "VARCHAR[]"), expressions=warnings) \
            if warnings else b.cast(exp.Array(expressions=[]), "VARCHAR[]")
        kept = exp.ArrayFilter(this=listed, expression=b.lam(b.not_null(exp.column("__w")), "__w"))
        out.append(kept.as_("__warnings", copy=False))
        # The decision's `lead`: the id as text (runtime.lead_id), never a warning.
        lead = policy.lead_id
        if lead.declared and lead.path in self.fields:
            # The declared field as coerced, as text: an int or an integral
            # number its digits; a list, a bool or a time is no text (null),
            # nor is a value the field's coercion rejected.
            id_value: exp.Expr = self.fields[lead.path].sql
            lead_value: exp.Expr
            if lead.type == "string":
                lead_value = id_value
            elif lead.type in ("int", "number"):
                lead_value = coerce(id_value, b.sql_type(SQL_TYPES[lead.type]), "string")
            else:
                lead_value = b.cast(b.null(), "VARCHAR")
        else:
            lead_value = self.coerced(lead.path, "string", lead.name)[0]  # its warning is never shown
        out.append(lead_value.as_("__lead", copy=False))
        return out

    def events_columns(self, out: list[exp.Expr]) -> exp.Expr:
        events = self.policy.events
        assert events is not None
        source = self.source(events.path)
        part = source.nested or source.flat
        if part is None:
            out.append(b.cast(b.null(), ev.EVENTS_TYPE).as_("__ev", copy=False))
            return b.cast(exp.Array(expressions=[]), "VARCHAR[]")
        loaded = ev.load_events(part[0], part[1], events.name, exp.column(T_COLUMN),
                                keep_element=_reads_event_keys(self.policy))
        if part[1].this in (exp.DataType.Type.ARRAY, exp.DataType.Type.LIST):
            self.event_element = part[1].expressions[0]
        elif part[1].this == exp.DataType.Type.JSON:
            self.event_element = part[1]  # each element a JSON value
        self.event_type_members = loaded.type_members
        # A dialect refusing the loading names the schema's events field.
        out.append(_located(loaded.events, events).as_("__ev", copy=False))
        return _located(loaded.warnings, events)

    # -------------------------------------------------------- expressions
    def value(self, node: ir.Expr, event: exp.Expr | None = None) -> Value:
        if isinstance(node, ir.Const):
            if isinstance(node.value, (dt.datetime, dt.date)):
                return Value(b.integer(_micros(node.value)), node.type, nullable=False)
            return logic.literal(node.value)
        if isinstance(node, ir.FieldRef):
            return self.fields[node.path]
        if isinstance(node, ir.LetRef):
            return self.value(self.policy.let(node.name).value, event)
        if isinstance(node, ir.EventAttr):
            assert event is not None
            if node.path == ("type",):
                raw = exp.Dot(this=event, expression=exp.to_identifier("type"))
                raw.meta[RAW_EVENT_TYPE] = True  # the loaded events keep `type` only if this is used
                return Value(raw, "string", nullable=False,
                             folded=exp.Dot(this=event, expression=exp.to_identifier("folded")))
            if node.path == ("at",):
                return Value(exp.Dot(this=event, expression=exp.to_identifier("at")), "datetime", nullable=False)
            found = ev.attribute(event, self.event_element, node.path)
            if found is None:
                raise refuse(f"the event field `{node.name}` of this column type", node)
            return Value(found[0], found[1])
        if isinstance(node, ir.Outcome):
            if node.outcome == "total":
                return Value(exp.column("__total"), "number", nullable=False, may_be_int=False)
            if node.outcome == "block":
                assert node.block is not None
                return Value(exp.column(self.block_totals[node.block]), "number", nullable=False,
                             may_be_int=False)
            if node.outcome == "icp":
                return Value(exp.column("__passed"), "bool", nullable=False)
            # One of the policy's tier names (or NULL): folded by a table of them.
            tier = exp.column("__tier")
            names = [str(c.target.value) for c in self.policy.tiers or () if isinstance(c.target, ir.Const)]
            names.append("disqualified")
            folded = b.case(*((b.eq(tier, b.string(n)), b.string(n.casefold())) for n in dict.fromkeys(names)))
            return Value(tier, "tier", folded=folded)
        if isinstance(node, ir.TierConst):
            return Value(b.string(node.name), "tier", nullable=False)
        if isinstance(node, ir.Count):
            return Value(self.count(node, event), "int", nullable=False)
        if isinstance(node, ir.Call):
            return self.call(node, event)
        if isinstance(node, ir.Arith):
            return logic.arith(node.op, self.value(node.left, event), self.value(node.right, event))
        if isinstance(node, ir.Negate):
            return logic.negate(self.value(node.operand, event))
        if isinstance(node, ir.CONDITION_NODES):
            return Value(self.condition(node, event), "bool", nullable=False)
        raise refuse(f"`{type(node).__name__}`", node)

    def condition(self, node: ir.Expr, event: exp.Expr | None = None) -> exp.Expr:
        """A never-NULL BOOLEAN, its node's location kept (a dialect's refusal names it)."""
        return _located(self._condition(node, event), node)

    def _condition(self, node: ir.Expr, event: exp.Expr | None = None) -> exp.Expr:
        if isinstance(node, ir.Truth):
            return logic.truth(self.value(node.operand, event))
        if isinstance(node, ir.Not):
            return b.not_(self.condition(node.operand, event))
        if isinstance(node, ir.And):
            return b.and_(*(self.condition(o, event) for o in node.operands))
        if isinstance(node, ir.Or):
            return b.or_(*(self.condition(o, event) for o in node.operands))
        if isinstance(node, ir.Compare):
            return logic.compare(node.op, self.value(node.left, event), self.value(node.right, event))
        if isinstance(node, ir.Between):
            return logic.between(self.value(node.value, event), self.value(node.low, event),
                                 self.value(node.high, event))
        if isinstance(node, ir.StringTest):
            return logic.string_test(node.op, self.value(node.left, event), self.value(node.right, event))
        if isinstance(node, ir.IsMissing):
            if isinstance(node.value, ir.EventsRef):
                return b.not_null(exp.column("__ev")) if node.negated else b.is_null(exp.column("__ev"))
            return logic.is_missing(self.value(node.value, event), node.negated)
        if isinstance(node, ir.Matches):
            return logic.matches(self.value(node.value, event), node.pattern, node.ignore_case)
        if isinstance(node, ir.Member):
            item = self.value(node.item, event)
            container = node.container
            if isinstance(container, ir.ConstList):
                elements = [self.value(ir.Const(value=v, type=_const_type(v)), event) for v in container.values]
                return logic.member(item, elements, node.negated)
            values = self.value(container, event)
            if values.type not in ("list[string]", "list[number]"):
                raise refuse(f"`in` over a value of type {values.type}", node)
            return logic.list_member(item, values, node.negated)
        if isinstance(node, ir.LetRef):
            return self.condition(self.policy.let(node.name).value, event)
        return logic.truth(self.value(node, event))  # a value as a condition: true only for true

    def call(self, node: ir.Call, event: exp.Expr | None) -> Value:
        if node.function in ("lower", "domain", "len") and self.value(node.arguments[0], event).type == "any":
            raise refuse(f"`{node.function}()` of an untyped value (an event's own key)", node)
        if node.function == "days_since":
            argument = self.value(node.arguments[0], event)
            if argument.category != "time":
                return Value(b.cast(b.null(), "BIGINT"), "int")
            age = exp.Sub(this=exp.column(T_COLUMN), expression=b.paren(argument.sql))
            return Value(ev.floor_div(age, 86_400_000_000), "int", argument.nullable)
        if node.function in ("lower", "domain"):
            argument = self.value(node.arguments[0], event)
            if argument.category != "string":
                return Value(b.cast(b.null(), "VARCHAR"), "string")
            text = argument.sql
            if node.function == "lower":
                result = Value(python_lower(text), "string", argument.nullable)
            else:
                after: exp.Expr = b.case((b.call("contains", text, b.string("@")),
                                          b.call("list_extract", b.call("string_split", text, b.string("@")),
                                                 b.integer(-1))))
                if event is None:  # lower() reads its text four times: the email is split once
                    after = self.derive(("after @", text), Value(after, "string"), fold=False).sql
                result = Value(python_lower(after), "string")
            return result if event is not None else self.derive((node.function, text), result)
        if node.function == "len":
            argument = self.value(node.arguments[0], event)
            if argument.category == "string":
                return Value(b.call("length", argument.sql), "int", argument.nullable)
            if argument.category == "list":
                return Value(b.call("len", argument.sql), "int", argument.nullable)
            return Value(b.cast(b.null(), "BIGINT"), "int")
        raise refuse(f"the built-in `{node.function}()`", node)

    def derive(self, call: tuple[str, exp.Expr], value: Value, fold: bool = True) -> Value:
        """The string value of `call` (what it computes, of which argument)
        as a column of its own, computed once per row (with `fold`, its
        casefold as another, one layer up)."""
        key = f"{call[0]}({call[1].sql(dialect='duckdb')})"  # the argument: a column, or another call's
        if key not in self.derived_values:
            index = len(self.derived_values)
            level = 1 + max((self.derived_levels.get(column.name, -1) for column in value.sql.find_all(exp.Column)),
                            default=-1)
            name = f"__d{index}"
            while len(self.derived) < level + 2:
                self.derived.append([])
            self.derived[level].append(value.sql.as_(name, copy=False))
            self.derived_levels[name] = level
            folded = None
            if fold:
                self.derived[level + 1].append(casefold(exp.column(name)).as_(f"__dk{index}", copy=False))
                self.derived_levels[f"__dk{index}"] = level + 1
                folded = exp.column(f"__dk{index}")
            self.derived_values[key] = Value(exp.column(name), value.type, value.nullable, folded=folded)
        return self.derived_values[key]

    def count(self, node: ir.Count, event: exp.Expr | None) -> exp.Expr:
        if event is not None:
            raise refuse("`count` inside `where`", node)
        name = "__c"
        tests: list[exp.Expr] = []
        if node.where is not None:
            tests.append(self.condition(node.where, exp.column(name)))
        if node.within is not None:
            tests.append(exp.LTE(this=ev.age(exp.column(name)), expression=b.integer(node.within)))
        selected = exp.Column(this=exp.to_identifier("__ev")) if not tests else exp.ArrayFilter(
            this=exp.column("__ev"), expression=b.lam(b.and_(*tests), name))
        return _located(b.call("coalesce", b.call("len", selected), b.integer(0)), node)

    # ------------------------------------------------------------- blocks
    def rules_layer(self) -> tuple[list[exp.Expr], list[tuple[str, str, str, str]]]:
        out: list[exp.Expr] = []
        ledger: list[tuple[str, str, str, str]] = []
        reasons = []
        for check in self.policy.icp:
            condition = self.condition(check.condition)
            fails = b.not_(condition) if check.kind == "require" else condition
            reasons.append(b.case((fails, b.string(check.reason))))
        listed = exp.Array(expressions=reasons) if reasons else b.cast(exp.Array(expressions=[]), "VARCHAR[]")
        out.append(exp.ArrayFilter(this=b.cast(listed, "VARCHAR[]"),
                                   expression=b.lam(b.not_null(exp.column("__r")), "__r")).as_("__reasons", copy=False))
        counter = 0
        for block in self.policy.blocks:
            when_factor = None
            if block.decays and any(isinstance(r, ir.WhenRule) for r in block.rules):
                latest_at = ev.latest_at(exp.column("__ev"))
                when_age = b.call("coalesce", exp.Sub(this=exp.column(T_COLUMN), expression=latest_at), b.integer(0))
                when_factor = _located(ev.factor(block, when_age), block)
            for rule in block.rules:
                counter += 1
                p, h = f"__p{counter}", f"__h{counter}"
                points = b.double(float(rule.points))
                if isinstance(rule, ir.WhenRule):
                    fired = self.condition(rule.condition)
                    value: exp.Expr = points if when_factor is None else exp.Add(
                        this=exp.Mul(this=points, expression=b.paren(when_factor)), expression=b.double(0.0))
                    out.append(fired.as_(h, copy=False))
                    if when_factor is None:
                        self.constant_points[p] = float(rule.points)
                        # In the layer above, from the fired column: each condition is
                        # written once (a smaller SELECT; DuckDB already shared it).
                        self.points.append(b.case((exp.column(h), value), default=b.double(0.0)).as_(p, copy=False))
                    else:  # decayed: inline, so a dialect refusing events names their loading first (snowflake)
                        out.append(b.case((fired, value), default=b.double(0.0)).as_(p, copy=False))
                else:
                    name = "__e"
                    test: exp.Expr = b.eq(exp.Dot(this=exp.column(name), expression=exp.to_identifier("folded")),
                                                b.string(rule.event_type_folded))
                    if rule.where is not None:
                        test = b.and_(test, self.condition(rule.where, exp.column(name)))
                    chosen: exp.Expr = exp.ArrayFilter(
                        this=b.call("coalesce", exp.column("__ev"), exp.Array(expressions=[])),
                        expression=b.lam(test, name))
                    # The order matters only for decayed points: which are the
                    # most recent K, and their sum (float addition is not
                    # associative). Equal points give the same sum whichever K
                    # are taken, in any order.
                    matching = chosen.copy()
                    each: exp.Expr = points
                    if block.decays:
                        chosen, age = ev.most_recent(chosen, name, rule.max_events)
                        each = exp.Mul(this=points, expression=b.paren(_located(ev.factor(block, age), block)))
                    elif rule.max_events is not None:
                        chosen = b.call("list_slice", chosen, b.integer(1), b.integer(rule.max_events))
                    total = _points_sum(chosen, each, name)
                    # Fired: any event chosen (counted before the sort, which only orders them).
                    counted = matching if rule.max_events is None else b.call(
                        "list_slice", matching, b.integer(1), b.integer(rule.max_events))
                    fired_any = exp.GT(this=b.call("len", counted), expression=b.integer(0))
                    out.append(_located(fired_any, rule).as_(h, copy=False))
                    out.append(_located(total, rule).as_(p, copy=False))
                ledger.append((block.name, rule.name, h, p))
        return out, ledger

    def totals_layer(self, ledger: list[tuple[str, str, str, str]]) -> list[exp.Expr]:
        out: list[exp.Expr] = []
        for index, block in enumerate(self.policy.blocks):
            terms = [exp.column(p) for name, _, _, p in ledger if name == block.name]
            total = _sum(terms)
            if block.max is not None:
                cap = b.double(float(block.max))
                total = b.case((exp.GT(this=total, expression=cap), cap), default=total)
            if block.min is not None:
                floor = b.double(float(block.min))
                total = b.case((exp.LT(this=total, expression=floor), floor), default=total)
            column = f"__b{index}"
            self.block_totals[block.name] = column
            out.append(total.as_(column, copy=False))
        return out

    def first_match(self, choices: tuple[ir.Choice, ...] | None) -> exp.Expr:
        whens = []
        default: exp.Expr = b.cast(b.null(), "VARCHAR")
        for choice in choices or ():
            assert isinstance(choice.target, ir.Const) and isinstance(choice.target.value, str)
            target = b.string(choice.target.value)
            if choice.condition is None:
                default = target
                break
            whens.append((self.condition(choice.condition), target))
        return b.case(*whens, default=default) if whens else default

    # -------------------------------------------------------------- whole
    def select(self, table: exp.Expr, as_of: exp.Expr, as_of_text: exp.Expr,
               flat: bool = False, policy_hash: str = "", jsonl: bool = False) -> exp.Select:
        policy = self.policy
        base = _select(exp.Star(), as_of.as_(T_COLUMN, copy=False), as_of_text.as_("__as_of", copy=False)).from_(
            table, copy=False)
        fields = self.fields_layer()
        if self.lookups:
            base = _select(exp.Star(), *self.lookups).from_(base.subquery("__lookups", copy=False), copy=False)
        carried = [b.column(name) for name in self.carry]
        layer1 = _select(exp.column(T_COLUMN), exp.column("__as_of"), *fields, *carried).from_(
            base.subquery("__leads", copy=False), copy=False)
        # Each string field casefolded once per row (comparisons read `__k`).
        folds = [casefold(value.sql).as_(value.folded.name, copy=False) for value in self.fields.values()
                 if value.folded is not None]
        if folds:
            layer1 = _select(exp.Star(), *folds).from_(layer1.subquery("__coerced", copy=False), copy=False)
        # Every condition compiled before the layers are stacked: any of them
        # (a route's too) may add a derived column, computed below the rules.
        rules, ledger = self.rules_layer()
        totals = self.totals_layer(ledger)
        if policy.tiers:
            tier = b.case((b.not_(exp.column("__passed")), b.string("disqualified")),
                          default=self.first_match(policy.tiers))
        else:
            tier = b.case((exp.column("__passed"), b.cast(b.null(), "VARCHAR")), default=b.string("disqualified"))
        route = self.first_match(policy.routes)
        if self.event_type_members and not any(
                node.meta.get(RAW_EVENT_TYPE) for column in (*rules, *self.points, tier, route)
                for node in column.find_all(exp.Dot)):
            # Every reader of the loaded events copies their elements: a
            # second string in each, which only a condition on `type` as it is
            # (not casefolded) reads, costs time for nothing (8% of a run).
            for member in self.event_type_members:
                member.pop()
        for level, columns in enumerate(self.derived):
            if columns:
                layer1 = _select(exp.Star(), *columns).from_(layer1.subquery(f"__derived{level}", copy=False),
                                                             copy=False)
        layer2 = _select(exp.Star(), *rules).from_(layer1.subquery("__fields", copy=False), copy=False)
        if self.points:
            layer2 = _select(exp.Star(), *self.points).from_(layer2.subquery("__fired", copy=False), copy=False)
        total = _sum([exp.column(self.block_totals[block.name]) for block in policy.blocks])
        passed = b.eq(b.call("len", exp.column("__reasons")), b.integer(0))
        layer3 = _select(
            exp.Star(), *totals, total.as_("__total", copy=False), passed.as_("__passed", copy=False),
        ).from_(layer2.subquery("__rules", copy=False), copy=False)
        layer4 = _select(exp.Star(), tier.as_("__tier", copy=False)).from_(
            layer3.subquery("__totals", copy=False), copy=False)
        layer5 = _select(exp.Star(), route.as_("__route", copy=False)).from_(
            layer4.subquery("__tiers", copy=False), copy=False)
        scores = [exp.PropertyEQ(this=exp.to_identifier(block.name, quoted=True),
                                 expression=exp.column(self.block_totals[block.name])) for block in policy.blocks]
        scores.append(exp.PropertyEQ(this=exp.to_identifier("total", quoted=True), expression=exp.column("__total")))
        rules_list = exp.Array(expressions=[
            exp.Struct(expressions=[
                exp.PropertyEQ(this=exp.to_identifier("block"), expression=b.string(block_name)),
                exp.PropertyEQ(this=exp.to_identifier("rule"), expression=b.string(rule_name)),
                exp.PropertyEQ(this=exp.to_identifier("fired"), expression=exp.column(h)),
                exp.PropertyEQ(this=exp.to_identifier("points"), expression=exp.column(p)),
            ]) for block_name, rule_name, h, p in ledger
        ])
        rules_value = rules_list if ledger else b.cast(
            exp.Array(expressions=[]), "STRUCT(block VARCHAR, rule VARCHAR, fired BOOLEAN, points DOUBLE)[]")
        if self.order_by is not None:
            # Sorted before the outermost projection: the sort then moves the
            # narrow columns, not the ledger and warnings text built above it
            # (about 5% of the duckdb engine's time when sorted last). DuckDB
            # keeps a subquery's order through a SELECT over it alone.
            layer5 = layer5.order_by(b.column(self.order_by), copy=False)
        source = layer5.subquery("__routes", copy=False)
        if flat or jsonl:
            flat_select = self.jsonl_columns(ledger, policy_hash) if jsonl else self.flat_columns(ledger, policy_hash)
            flat_select.set("expressions", flat_select.expressions + [b.column(name) for name in self.carry])
            return flat_select.from_(source, copy=False)
        icp = exp.Struct(expressions=[
            exp.PropertyEQ(this=exp.to_identifier("pass", quoted=True), expression=exp.column("__passed")),
            exp.PropertyEQ(this=exp.to_identifier("reasons"), expression=exp.column("__reasons")),
        ])
        return _select(
            b.string(policy.name).as_("policy", copy=False),
            exp.column("__lead").as_("lead", copy=False),
            exp.column("__as_of").as_("as_of", copy=False),
            icp.as_("icp", copy=False),
            exp.Struct(expressions=scores).as_("scores", copy=False),
            exp.column("__tier").as_("tier", copy=False),
            exp.column("__route").as_("route", copy=False),
            rules_value.as_("rules", copy=False),
            exp.column("__warnings").as_("warnings", copy=False),
            *(b.column(name) for name in self.carry),
        ).from_(source, copy=False)

    def ledger_text(self, ledger: list[tuple[str, str, str, str]], separator: str) -> exp.Expr:
        """The rules ledger as the JSON text Python's json.dumps writes, its
        entries joined by `separator` (batch's flat rows join them by `,`,
        a whole decision's json.dumps by `, `)."""
        parts: list[exp.Expr | str] = ["["]
        for index, (block_name, rule_name, h, p) in enumerate(ledger):
            head = (separator if index else "") + _rule_head(block_name, rule_name)
            constant = self.constant_points.get(p)
            if constant is not None:
                # Fired: its points, else 0.0; both texts made here, as Python writes them.
                parts.append(b.case((exp.column(h), b.string(head + _rule_tail(True, constant))),
                                    default=b.string(head + _rule_tail(False, 0.0))))
                continue
            # A rule that did not fire has points 0.0: only a fired one's are written out.
            fired_text = _concat([head + 'true, "points": ', json_text(exp.column(p), b.sql_type("DOUBLE")), "}"])
            parts.append(b.case((exp.column(h), fired_text), default=b.string(head + _rule_tail(False, 0.0))))
        parts.append("]")
        return _concat(parts)

    def warnings_text(self) -> exp.Expr:
        return b.case((b.eq(b.call("len", exp.column("__warnings")), b.integer(0)), b.string("[]")),
                      default=json_text(exp.column("__warnings"), b.sql_type("VARCHAR[]")))

    def flat_columns(self, ledger: list[tuple[str, str, str, str]], policy_hash: str) -> exp.Select:
        """The flat row of batch's CSV and Parquet outputs: the lists as the
        JSON text Python's json.dumps writes (rules joined by `,`, as batch does)."""
        columns = [
            b.string(self.policy.name).as_("policy", copy=False),
            b.string(policy_hash).as_("policy_hash", copy=False),
            exp.column("__lead").as_("lead", copy=False),
            exp.column("__as_of").as_("as_of", copy=False),
            exp.column("__passed").as_("icp_pass", copy=False),
            self.reasons_text().as_("icp_reasons", copy=False),
        ]
        columns += [exp.column(self.block_totals[block.name]).as_(f"score_{block.name}", copy=False)
                    for block in self.policy.blocks]
        columns += [
            exp.column("__total").as_("score_total", copy=False),
            exp.column("__tier").as_("tier", copy=False),
            exp.column("__route").as_("route", copy=False),
            self.ledger_text(ledger, ",").as_("rules", copy=False),
            self.warnings_text().as_("warnings", copy=False),
        ]
        return _select(*columns)

    def jsonl_columns(self, ledger: list[tuple[str, str, str, str]], policy_hash: str) -> exp.Select:
        """Each decision as batch's JSONL line (`line`, without its newline:
        json.dumps of Decision.to_dict() with `policy_hash` after `policy`),
        with its `tier` and `route` for the summary's counts. The keys and
        the policy's own strings are texts made here, as Python writes them."""
        text = b.sql_type("VARCHAR")

        def key(name: str, first: bool = False) -> str:
            return ("" if first else ", ") + json.dumps(name, ensure_ascii=False) + ": "

        parts: list[exp.Expr | str] = [
            "{" + key("policy", True) + json.dumps(self.policy.name, ensure_ascii=False)
            + key("policy_hash") + json.dumps(policy_hash) + key("lead"),
            json_or_null(exp.column("__lead"), text), key("as_of"), json_text(exp.column("__as_of"), text),
            key("icp") + "{" + key("pass", True),
            b.case((exp.column("__passed"), b.string("true")), default=b.string("false")),
            key("reasons"), self.reasons_text(), "}" + key("scores") + "{",
        ]
        totals = [(block.name, self.block_totals[block.name]) for block in self.policy.blocks]
        for index, (name, column) in enumerate([*totals, ("total", "__total")]):
            parts += [key(name, index == 0), json_text(exp.column(column), b.sql_type("DOUBLE"))]
        parts += ["}" + key("tier"), json_or_null(exp.column("__tier"), text), key("route"),
                  json_or_null(exp.column("__route"), text), key("rules"), self.ledger_text(ledger, ", "),
                  key("warnings"), self.warnings_text(), "}"]
        return _select(exp.column("__tier").as_("tier", copy=False), exp.column("__route").as_("route", copy=False),
                       _concat(parts).as_("line", copy=False))

    def reasons_text(self) -> exp.Expr:
        """The ICP reasons as JSON text. They are the policy's own strings: when
        none holds a character JSON escapes, each is its text in quotes."""
        reasons = exp.column("__reasons")
        plain = all(json.dumps(check.reason, ensure_ascii=False) == f'"{check.reason}"' for check in self.policy.icp)
        if not plain:
            return json_text(reasons, b.sql_type("VARCHAR[]"))
        listed = b.concat(b.string('["'), b.call("array_to_string", reasons, b.string('", "')), b.string('"]'))
        return b.case((b.eq(b.call("len", reasons), b.integer(0)), b.string("[]")), default=listed)


RAW_EVENT_TYPE = "qualdsl_raw_event_type"  # meta of an event's `type` read as it is


def _reads_event_keys(policy: ir.Policy) -> bool:
    """Whether a condition reads an event's own key (not `type` or `at`)."""
    seen: set[int] = set()

    def walk(node: object) -> bool:
        if isinstance(node, ir.EventAttr):
            return node.path not in (("type",), ("at",))
        if isinstance(node, (tuple, list)):
            return any(walk(item) for item in node)
        if attrs.has(type(node)) and not isinstance(node, ir.Loc) and id(node) not in seen:
            seen.add(id(node))
            fields: tuple[attrs.Attribute[object], ...] = attrs.fields(type(node))  # type: ignore[arg-type]
            return any(walk(getattr(node, f.name)) for f in fields)
        return False

    return walk(policy)


def _located(sql: exp.Expr, node: object) -> exp.Expr:
    """`sql` with the policy location of `node` (a dialect's refusal names it)."""
    loc = getattr(node, "loc", None)
    if loc is not None and LOC not in sql.meta:
        sql.meta[LOC] = loc
    return sql


def located_refusal(error: SqlRefused, node: exp.Expr | None) -> SqlRefused:
    """The refusal at the policy location of `node` or its nearest marked ancestor."""
    while node is not None:
        loc = node.meta.get(LOC) if node._meta else None
        if loc is not None:
            return SqlRefused(error.construct, error.dialect, path=loc.path, span=loc.span)
        node = node.parent
    return error


def refuse_lone_surrogates(select: exp.Expr, dialect: str) -> None:
    """Refuse user text SQL cannot hold: a lone surrogate (half a UTF-16
    pair; Python strings keep it, SQL text is UTF-8)."""
    for literal in select.find_all(exp.Literal):
        if literal.is_string and has_lone_surrogate(literal.this):
            shown = json.dumps(literal.this)[:60]
            raise located_refusal(SqlRefused(f"the text {shown} (it holds a lone surrogate, half a UTF-16 pair)",
                                             dialect), literal)


def _select(*columns: exp.Expr) -> exp.Select:
    """A SELECT of these columns, built without copying them (sqlglot's
    builders copy by default: quadratic on a policy's deep trees)."""
    return exp.Select(expressions=list(columns))


def _rule_head(block: str, rule: str) -> str:
    """A ledger entry's text as batch writes it (json.dumps of
    RuleResult.to_dict()), up to the value of `fired`."""
    return json.dumps({"block": block, "rule": rule}, ensure_ascii=False)[:-1] + ', "fired": '


def _rule_tail(fired: bool, points: float) -> str:
    """The end of a ledger entry's text, from the value of `fired` on."""
    return f'{json.dumps(fired)}, "points": {json.dumps(points)}}}'


def _merged(parts: list[exp.Expr | str]) -> list[exp.Expr]:
    """Adjacent constant texts as one literal."""
    merged: list[exp.Expr] = []
    pending = ""
    for part in parts:
        if isinstance(part, str):
            pending += part
            continue
        if pending:
            merged.append(b.string(pending))
            pending = ""
        merged.append(part)
    if pending:
        merged.append(b.string(pending))
    return merged


def _concat(parts: list[exp.Expr | str]) -> exp.Expr:
    """The texts joined, none of them NULL: for DuckDB one concat() call
    (a chain of `||` copies the growing text at every step)."""
    from .show import PORTABLE

    merged = _merged(parts)
    if PORTABLE.get() or len(merged) == 1:
        return b.concat(*merged)
    return b.call("concat", *merged)


def _points_sum(chosen: exp.Expr, each: exp.Expr, name: str) -> exp.Expr:
    """The float sum, from 0.0 and in list order, of a per-event rule's
    points `each` (over the element `name`) for the `chosen` elements. In
    DuckDB's own form one list_reduce adds each element's points to the
    running sum (one pass over the list, not a list of points and a second
    pass to add them); the same additions in the same order. The other
    dialects' rewrites map a reduce of a transform."""
    from .show import PORTABLE

    if not PORTABLE.get():
        step = exp.Add(this=exp.column("__a"), expression=b.paren(each))
        return b.call("list_reduce", chosen, b.lam(step, "__a", name), b.double(0.0))
    contributions = exp.Transform(this=chosen, expression=b.lam(each, name))
    return b.call("list_reduce", contributions,
                  b.lam(exp.Add(this=exp.column("__a"), expression=exp.column("__x")), "__a", "__x"), b.double(0.0))


def _sum(terms: Sequence[exp.Expr]) -> exp.Expr:
    """Left to right, as the Python backend adds: `a + b + c`, `0.0` for none."""
    if not terms:
        return b.double(0.0)
    total = terms[0]
    for term in terms[1:]:
        total = exp.Add(this=total, expression=term)
    return total


def _const_type(value: object) -> str:
    from ...schema import literal_type

    return literal_type(value)


EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _micros(value: dt.datetime | dt.date) -> int:
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    elif value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    delta = value - EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


@attrs.frozen
class AsOfField:
    """Each lead decided as of its own field (read as a `datetime` field of the
    schema is) plus `offset_us`: `--as-of-field PATH --as-of-offset D`. A lead
    whose field is missing, not a datetime, or past the year 9999 with the
    offset gets a NULL `as_of` (the caller reports it, as asof.AsOf.read does)."""

    path: tuple[str, ...]
    offset_us: int = 0


def compile_select(
    policy: ir.Policy, columns: Mapping[str, str | exp.DataType], *, table: str = "leads",
    as_of: dt.datetime | AsOfField | None = None, flat: bool = False, carry: Sequence[str] = (),
    order_by: str | None = None, jsonl: bool = False,
) -> exp.Select:
    """The decision SELECT as a sqlglot tree. `as_of` None: the named parameter
    `$as_of` (an ISO 8601 text, read as `--as-of` is); an AsOfField: each row's
    own moment. `flat`: batch's flat columns (policy, policy_hash, lead, ...,
    rules and warnings as JSON text). `jsonl`: batch's JSONL line of each
    decision, with its tier and route. `order_by`: a carried column the
    rows come out sorted on."""
    types = {name: t if isinstance(t, exp.DataType) else b.sql_type(t) for name, t in columns.items()}
    compiler = _Compiler(policy, types)
    compiler.carry = tuple(carry)
    assert order_by is None or order_by in compiler.carry
    compiler.order_by = order_by
    if isinstance(as_of, dt.datetime):
        from ...api import format_as_of, normalize_as_of

        moment = normalize_as_of(as_of)
        t_value: exp.Expr = b.integer(_micros(moment))
        t_text: exp.Expr = b.string(format_as_of(moment))
    else:
        from .coerce import MAX_US, datetime_from_text

        if isinstance(as_of, AsOfField):
            own, _ = compiler.coerced(as_of.path, "datetime", ".".join(as_of.path))
            later = exp.Add(this=b.paren(own), expression=b.integer(as_of.offset_us))
            t_value = b.case((exp.LTE(this=b.paren(own), expression=b.integer(MAX_US - as_of.offset_us)), later))
        else:
            t_value = datetime_from_text(b.cast(exp.Placeholder(this="as_of"), "VARCHAR"))
        parsed = exp.column("__tv")  # the parsed time, bound once (it is a large expression)
        seconds = b.call("strftime", b.call("make_timestamp", parsed), b.string("%Y-%m-%dT%H:%M:%S"))
        # The microseconds within the second, also before 1970 (SQL's % keeps the sign).
        fraction = exp.Mod(this=b.paren(exp.Add(this=exp.Mod(this=parsed, expression=b.integer(1_000_000)),
                                                expression=b.integer(1_000_000))), expression=b.integer(1_000_000))
        t_text = b.bind(t_value.copy(), "__tv", b.concat(seconds, b.case(
            (exp.NEQ(this=fraction, expression=b.integer(0)),
             b.concat(b.string("."), b.call("lpad", b.cast(fraction, "VARCHAR"), b.integer(6), b.string("0")))),
            default=b.string("")), b.string("Z")))
    from ...ir_json import policy_hash

    return compiler.select(table_ref(table), t_value, t_text, flat, policy_hash(policy) if flat or jsonl else "",
                           jsonl)


def table_ref(name: str) -> exp.Table:
    """`--table`: a relation's name, qualified with dots (`db.schema.leads`),
    a part in double quotes when it holds a dot; anything else in a part
    (`leads; DROP TABLE x`) is that part's quoted name. ValueError for a name
    sqlglot cannot read as one (empty, an unclosed quote)."""
    from sqlglot.errors import SqlglotError

    if not name.strip():
        raise ValueError("the table name is empty")
    try:
        return exp.to_table(name)
    except SqlglotError:
        raise ValueError(f"`{name}` is not a table name (a name, or db.schema.name with a part that holds a dot "
                         "in double quotes)") from None


Types = Mapping[str, exp.DataType]


def _duckdb_sql(select: exp.Select, columns: Types, event: exp.DataType | None, pretty: bool) -> str:
    # copy=False: the tree is built for this one call, and sqlglot's default
    # deep copy of it took half of the generation time.
    return select.sql(dialect="duckdb", pretty=pretty, copy=False)


def _spark_sql(select: exp.Select, columns: Types, event: exp.DataType | None, pretty: bool) -> str:
    from .dialects import spark_sql

    return spark_sql(select, columns, pretty=pretty)


def _postgres_sql(select: exp.Select, columns: Types, event: exp.DataType | None, pretty: bool) -> str:
    from .postgres import to_postgres

    return to_postgres(select, columns, event).sql(dialect="postgres", pretty=pretty, copy=False)  # a new tree


def _bigquery_sql(select: exp.Select, columns: Types, event: exp.DataType | None, pretty: bool) -> str:
    from .bigquery import bigquery_sql

    return bigquery_sql(select, columns, event, pretty)


def _snowflake_sql(select: exp.Select, columns: Types, event: exp.DataType | None, pretty: bool) -> str:
    from .snowflake import snowflake_sql

    return snowflake_sql(select, columns, event, pretty)


# dialect -> the SELECT (built in DuckDB's terms) as that dialect's SQL text,
# or SqlRefused naming what it cannot run exactly. A dialect not here is refused.
REWRITES: dict[str, Callable[[exp.Select, Types, exp.DataType | None, bool], str]] = {
    "duckdb": _duckdb_sql,
    "spark": _spark_sql,
    "postgres": _postgres_sql,
    "bigquery": _bigquery_sql,
    "snowflake": _snowflake_sql,
}
# Dialects no engine here runs (dialect -> the engine's name): their SQL
# says so in its first line.
UNVERIFIED = {"bigquery": "BigQuery", "snowflake": "Snowflake"}


def unverified_note(dialect: str) -> str:
    return f"-- qualdsl: {dialect} SQL checked by sqlglot round-trip only, not run against {UNVERIFIED[dialect]}\n"


def compile_sql(
    policy: ir.Policy, columns: Mapping[str, str | exp.DataType], *, dialect: str = "duckdb",
    table: str = "leads", as_of: dt.datetime | AsOfField | None = None, flat: bool = False, pretty: bool = False,
    carry: Sequence[str] = (), order_by: str | None = None, jsonl: bool = False,
) -> str:
    """The decision SELECT as SQL text for a dialect of REWRITES: DuckDB's
    tree, rewritten for the others, each proven exact against its engine;
    any other dialect is refused. `carry`: input columns passed through
    (a row number, to keep input order); `order_by`: one of them the rows
    come out sorted on."""
    path = policy.loc.path if policy.loc is not None else "<policy>"
    rewrite = REWRITES.get(dialect)
    if rewrite is None:
        raise SqlRefused("the decision SELECT (not proven exact on this engine)", dialect, path=path)
    types = {name: t if isinstance(t, exp.DataType) else b.sql_type(t) for name, t in columns.items()}
    from .show import PORTABLE

    portable = PORTABLE.set(dialect != "duckdb")
    try:
        select = compile_select(policy, types, table=table, as_of=as_of, flat=flat, carry=carry, order_by=order_by,
                                jsonl=jsonl)
    finally:
        PORTABLE.reset(portable)
    try:
        refuse_lone_surrogates(select, dialect)
        sql = rewrite(select, types, _event_type(policy, types), pretty)
        return unverified_note(dialect) + sql if dialect in UNVERIFIED else sql
    except SqlRefused as refused:  # located at the policy when the rewrite could not say where
        if refused.diagnostics[0].path != "<policy>":
            raise
        raise SqlRefused(refused.construct, refused.dialect, path=path) from None


def _event_type(policy: ir.Policy, columns: Mapping[str, exp.DataType]) -> exp.DataType | None:
    """The SQL type of one input event, when the events column is a LIST."""
    if policy.events is None:
        return None
    part = _Compiler(policy, columns).source(policy.events.path)
    found = part.nested or part.flat
    if found is None or found[1].this not in (exp.DataType.Type.ARRAY, exp.DataType.Type.LIST):
        return None
    element: exp.DataType = found[1].expressions[0]
    return element
