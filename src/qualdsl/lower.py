"""Stage 4: CheckedPolicy -> ir.Policy.

Lowering never judges a policy: the checker has accepted it, so every name
resolves (through `check.resolve`, the one place that says what a name means)
and every construct is well typed. What lowering adds is what generators
must not work out for themselves: each expression's static type and whether
it can be missing, set names replaced by their values, lets in dependency
order, includes merged, durations in microseconds, decay factors as the
float64 every backend multiplies by, and conditions made explicit (`Truth`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import ir
from . import nodes as n
from .check import EVENT, LEAD, ROUTE, TIERS, CheckedPolicy, resolve
from .functions import FUNCTIONS
from .schema import list_type, literal_type
from .source import Spanned


class _Lowering:
    def __init__(self, policy: CheckedPolicy, id_field: tuple[str, ...]):
        self.policy = policy
        self.id_field = id_field
        self.path = policy.source.path
        self.lets: dict[str, ir.Let] = {}
        self.undeclared: dict[tuple[str, ...], ir.Field] = {}
        self.let_files: dict[str, str] = {}
        for module in (policy.module, *policy.included):
            for item in module.all(n.LetDecl):
                self.let_files.setdefault(item.name, module.path)

    def loc(self, node: Spanned) -> ir.Loc:
        return ir.Loc(self.path, node.span)

    # --------------------------------------------------------- expressions
    def condition(self, expr: n.Expr, context: str) -> ir.Expr:
        lowered = self.expr(expr, context)
        if isinstance(lowered, ir.CONDITION_NODES) or (lowered.type == "bool" and not lowered.nullable):
            return lowered
        return ir.Truth(operand=lowered, loc=lowered.loc)

    def expr(self, expr: n.Expr | n.EventsQuery, context: str) -> ir.Expr:
        lowering = _EXPRESSIONS.get(type(expr))
        if lowering is None:
            raise AssertionError(f"a checked policy has no {type(expr).__name__} here")
        return lowering(self, expr, context, self.loc(expr))

    def literal(self, expr: n.Literal, context: str, loc: ir.Loc | None) -> ir.Expr:
        return ir.Const(value=expr.value, type=literal_type(expr.value), loc=loc)

    def list_literal(self, expr: n.ListLiteral, context: str, loc: ir.Loc | None) -> ir.Expr:
        values = tuple(item.value for item in expr.items)
        return ir.ConstList(values=values, type=list_type(list(values)), loc=loc)

    def not_(self, expr: n.Not, context: str, loc: ir.Loc | None) -> ir.Expr:
        return ir.Not(operand=self.condition(expr.operand, context), loc=loc)

    def and_(self, expr: n.And, context: str, loc: ir.Loc | None) -> ir.Expr:
        return ir.And(operands=tuple(self.condition(o, context) for o in expr.operands), loc=loc)

    def or_(self, expr: n.Or, context: str, loc: ir.Loc | None) -> ir.Expr:
        return ir.Or(operands=tuple(self.condition(o, context) for o in expr.operands), loc=loc)

    def compare(self, expr: n.Compare, context: str, loc: ir.Loc | None) -> ir.Expr:
        return ir.Compare(op=expr.op, left=self.expr(expr.left, context), right=self.expr(expr.right, context), loc=loc)

    def member(self, expr: n.In, context: str, loc: ir.Loc | None) -> ir.Expr:
        return ir.Member(
            item=self.expr(expr.item, context), container=self.expr(expr.container, context),
            negated=expr.negated, loc=loc,
        )

    def between(self, expr: n.Between, context: str, loc: ir.Loc | None) -> ir.Expr:
        return ir.Between(
            value=self.expr(expr.value, context), low=self.expr(expr.low, context),
            high=self.expr(expr.high, context), loc=loc,
        )

    def string_test(self, expr: n.StringTest, context: str, loc: ir.Loc | None) -> ir.Expr:
        return ir.StringTest(
            op=expr.op, left=self.expr(expr.left, context), right=self.expr(expr.right, context), loc=loc
        )

    def matches(self, expr: n.Matches, context: str, loc: ir.Loc | None) -> ir.Expr:
        return ir.Matches(
            value=self.expr(expr.value, context), pattern=expr.pattern, ignore_case=expr.ignore_case, loc=loc
        )

    def is_missing(self, expr: n.IsMissing, context: str, loc: ir.Loc | None) -> ir.Expr:
        return ir.IsMissing(value=self.expr(expr.value, context), negated=expr.negated, loc=loc)

    def arith(self, expr: n.Arith, context: str, loc: ir.Loc | None) -> ir.Expr:
        left, right = self.expr(expr.left, context), self.expr(expr.right, context)
        kind = "int" if left.type == right.type == "int" and expr.op != "/" else "number"
        return ir.Arith(op=expr.op, left=left, right=right, type=kind, loc=loc)

    def negate(self, expr: n.Negate, context: str, loc: ir.Loc | None) -> ir.Expr:
        operand = self.expr(expr.operand, context)
        return ir.Negate(operand=operand, type="int" if operand.type == "int" else "number", loc=loc)

    def name(self, expr: n.Name, context: str, loc: ir.Loc | None) -> ir.Expr:
        ref = resolve(self.policy, expr, context)
        if ref.kind == "field":
            if ref.type == "events":
                return ir.EventsRef(loc=loc)
            if self.policy.schema is None and ref.path not in self.undeclared:
                self.undeclared[ref.path] = ir.Field(path=ref.path, type="any", declared=False, loc=loc)
            return ir.FieldRef(path=ref.path, type=ref.type, loc=loc)
        if ref.kind == "event_field":
            if ref.path == ("type",):
                return ir.EventAttr(path=ref.path, type="string", nullable=False, loc=loc)
            if ref.path == ("at",):
                return ir.EventAttr(path=ref.path, type="datetime", nullable=False, loc=loc)
            return ir.EventAttr(path=ref.path, type="any", nullable=True, loc=loc)
        if ref.kind == "let":
            let = self.lets[ref.name]
            return ir.LetRef(name=ref.name, type=let.value.type, nullable=let.value.nullable, loc=loc)
        if ref.kind == "set":
            values = tuple(item.value for item in self.policy.sets[ref.name].items.items)
            return ir.ConstList(values=values, type=ref.type, set=ref.name, loc=loc)
        if ref.kind == "outcome":
            if ref.name == "score":
                return ir.Outcome(outcome="total", loc=loc)
            if ref.name == "icp":
                return ir.Outcome(outcome="icp", type="bool", loc=loc)
            if ref.name == "tier":
                return ir.Outcome(outcome="tier", type="tier", nullable=True, loc=loc)
            return ir.Outcome(outcome="block", block=ref.name, loc=loc)
        if ref.kind == "tier":
            return ir.TierConst(name=ref.name, loc=loc)
        raise AssertionError(f"unresolved name `{expr.dotted}` in a checked policy")

    def call(self, expr: n.Call, context: str, loc: ir.Loc | None) -> ir.Expr:
        if expr.function == "count":
            query = expr.arguments[0]
            assert isinstance(query, n.EventsQuery)
            where = self.condition(query.where, EVENT) if query.where is not None else None
            within = query.within.microseconds if query.within is not None else None
            return ir.Count(where=where, within=within, loc=loc)
        function = FUNCTIONS[expr.function]
        arguments = tuple(self.expr(argument, context) for argument in expr.arguments)
        return ir.Call(function=function.name, arguments=arguments, type=function.result, loc=loc)

    # -------------------------------------------------------- declarations
    def block(self, block: n.ScoreBlock) -> ir.Block:
        decay: ir.Decay | None = None
        found = block.decay
        if isinstance(found, n.DecayEvery):
            decay = ir.StepDecay(
                percent=str(found.percent), keep=1 - float(found.percent) / 100,
                period=found.period.microseconds, loc=self.loc(found),
            )
        elif isinstance(found, n.DecayHalfLife):
            decay = ir.HalfLife(period=found.period.microseconds, loc=self.loc(found))
        expire = ir.Expiry(after=block.expire.after.microseconds, loc=self.loc(block.expire)) if block.expire else None
        rules: list[ir.Rule] = []
        for rule in block.rules:
            if isinstance(rule, n.WhenRule):
                rules.append(ir.WhenRule(
                    name=rule.name, points=float(rule.points), condition=self.condition(rule.condition, LEAD),
                    loc=self.loc(rule),
                ))
            else:
                rules.append(ir.EventRule(
                    name=rule.name, points=float(rule.points), event_type=rule.event_type,
                    event_type_folded=rule.event_type.casefold(),
                    where=self.condition(rule.where, EVENT) if rule.where is not None else None,
                    max_events=rule.max, loc=self.loc(rule),
                ))
        return ir.Block(
            name=block.name,
            max=float(block.max) if block.max is not None else None,
            min=float(block.min) if block.min is not None else None,
            decay=decay, expire=expire, rules=tuple(rules), loc=self.loc(block),
        )

    def choices(self, items: tuple[n.Tier, ...] | tuple[n.Route, ...], context: str) -> tuple[ir.Choice, ...]:
        result = []
        for item in items:
            target = item.name if isinstance(item, n.Tier) else item.queue
            condition = self.condition(item.condition, context) if item.condition is not None else None
            result.append(ir.Choice(
                target=ir.Const(value=target, type="string", loc=self.loc(item)),
                condition=condition, loc=self.loc(item),
            ))
        return tuple(result)

    def run(self) -> ir.Policy:
        policy = self.policy
        fields: list[ir.Field] = []
        events: ir.Events | None = None
        if policy.schema is not None:
            for path, info in policy.schema.items():
                loc = ir.Loc(info.file, info.span)
                if info.type == "events":
                    events = ir.Events(path=path, position=len(fields), loc=loc)
                else:
                    fields.append(ir.Field(path=path, type=info.type, declared=True, loc=loc))
        elif policy.events_field is not None:
            events = ir.Events(path=policy.events_field, position=None)
        for name in policy.let_order:
            decl = policy.lets[name]
            self.path = self.let_files.get(name, policy.source.path)
            self.lets[name] = ir.Let(name=name, value=self.expr(decl.value, LEAD), loc=self.loc(decl))
        self.path = policy.source.path
        icp = tuple(
            ir.IcpCheck(
                kind="require" if isinstance(s, n.Require) else "reject",
                condition=self.condition(s.condition, LEAD), reason=s.reason, loc=self.loc(s),
            )
            for s in (policy.icp.statements if policy.icp else ())
        )
        blocks = tuple(self.block(block) for block in policy.blocks)
        tiers = self.choices(policy.tiers.tiers, TIERS) if policy.tiers and policy.tiers.tiers else None
        routes = self.choices(policy.routes.routes, ROUTE) if policy.routes and policy.routes.routes else None
        declared = {field.path: field for field in fields}
        lead_id = declared.get(self.id_field) or ir.Field(path=self.id_field, type="any", declared=False)
        if policy.schema is None:
            fields.extend(self.undeclared.values())
        return ir.Policy(
            format=ir.FORMAT, name=policy.name, title=policy.title, fields=tuple(fields), events=events,
            lets=tuple(self.lets[name] for name in policy.let_order), icp=icp, blocks=blocks,
            tiers=tiers, routes=routes, lead_id=lead_id, loc=ir.Loc(policy.source.path, policy.module.span),
        )


_EXPRESSIONS: dict[type, Callable[[_Lowering, Any, str, ir.Loc | None], ir.Expr]] = {
    n.Literal: _Lowering.literal, n.ListLiteral: _Lowering.list_literal, n.Name: _Lowering.name,
    n.Call: _Lowering.call, n.Not: _Lowering.not_, n.And: _Lowering.and_, n.Or: _Lowering.or_,
    n.Compare: _Lowering.compare, n.In: _Lowering.member, n.Between: _Lowering.between,
    n.StringTest: _Lowering.string_test, n.Matches: _Lowering.matches, n.IsMissing: _Lowering.is_missing,
    n.Arith: _Lowering.arith, n.Negate: _Lowering.negate,
}


def lower(policy: CheckedPolicy, *, id_field: tuple[str, ...] = ("id",)) -> ir.Policy:
    """The IR of a checked policy; `id_field` is the field reported as `lead`."""
    return _Lowering(policy, id_field).run()
