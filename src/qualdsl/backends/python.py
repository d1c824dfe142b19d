"""The Python backend: ir.Policy -> generated Python source -> one evaluate function.

Only emission lives here; what the policy means is in the IR (ir.py). The
policy becomes a single straight-line Python function, compiled once with
`compile()`. User text (names, reasons, strings) enters the generated source
only as `repr()` of plain literals; anything else (dates, regexes, sets) is
passed in the function's namespace as a constant. Identifiers in the code are
always generated (`f3`, `L1`, `r7`), never taken from the policy.

Where the IR says a value's type and that it cannot be missing, comparisons
compile to plain Python (`(f3 is not None and f3 >= 10)`); where it does not,
they call the missing-aware helpers in runtime.py.
"""

from __future__ import annotations

import ast
import datetime as dt
import math
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol, overload

import attrs

from .. import ir, runtime
from ..decision import Decision, RuleResult, json_text, strings_text
from ..regex import compile_regex
from ..schema import category
from ..visitor import walk

# Built-in functions: IR name -> (runtime helper, reads the evaluation time).
FUNCTIONS: dict[str, tuple[str, bool]] = {
    "domain": ("domain", False),
    "lower": ("lower", False),
    "len": ("length", False),
    "days_since": ("days_since", True),
}


@attrs.frozen
class Code:
    """A generated Python expression and what is known about its value."""

    text: str
    type: str  # static type (schema.py)
    nullable: bool = True  # may be None (missing)
    is_bool: bool = False  # always a Python bool

    @property
    def simple(self) -> bool:
        """Cheap and side-effect free to evaluate twice (a name or a literal)."""
        return bool(_SIMPLE.match(self.text))


_COMPARE_OPS = {"==": "eq", "!=": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge"}
_ARITH_OPS = {"+": "add", "-": "sub", "*": "mul", "/": "div"}
_STRING_TESTS = ("contains", "starts_with", "ends_with")
_SIMPLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z|'[^'\\]*'\Z|-?[0-9.]+\Z")


@attrs.frozen
class RuleInfo:
    """A rule's identity in the ledger, and its IR node (nominal points, kind)."""

    block: str
    rule: str
    node: ir.Rule


class EvaluateFunction(Protocol):
    """The generated function: (lead, as_of, as_of text) -> Decision; given
    the policy's hash as well, the flat output row instead (a tuple in
    outputs.flat_columns order), or the Decision when a number is not
    finite (see _Codegen.flat_lines). EVENTS, when given, is the lead's
    events already loaded as load_events would (runtime.Event tuples, as of
    T, most recent first; None when missing) and the lead's own events are
    not read: see CompiledPolicy.preload_events."""

    @overload
    def __call__(self, lead: Any, T: dt.datetime, T_TEXT: str, /) -> Decision: ...

    @overload
    def __call__(self, lead: Any, T: dt.datetime, T_TEXT: str, HASH: str, /) -> Decision | tuple[Any, ...]: ...

    @overload
    def __call__(self, lead: Any, T: dt.datetime, T_TEXT: str, HASH: str | None, EVENTS: Any, /) -> Any: ...


@attrs.frozen
class CompiledPolicy:
    """The evaluate function and what the ledger needs to name its entries."""

    function: EvaluateFunction
    source: str  # the generated Python (`Policy.compiled.source`), for the curious and for debugging
    rules: tuple[RuleInfo, ...]
    # The lead's key of its events when a caller may load them itself and
    # pass them as EVENTS: a top-level field, of which `where` reads only
    # `type` and `at` (the loaded events carry no raw event), not the lead's
    # id. None otherwise.
    preload_events: str | None = None


def _let_refs(expr: ir.Expr) -> Iterator[str]:
    return (node.name for node in walk(expr) if isinstance(node, ir.LetRef))


class _Codegen:
    def __init__(self, policy: ir.Policy):
        self.policy = policy
        self.namespace: dict[str, Any] = {
            "BAD": runtime.BAD,
            "MISS": runtime._MISS,
            "Mapping": Mapping,
            "DEC": tuple.__new__,
            "DECISION": Decision,
            "RR": tuple.__new__,
            "RULE": RuleResult,
            "rt": runtime,
            "ZERO": dt.timedelta(0),
            "json_text": json_text,
            "REASONS": strings_text,  # the ICP reasons' JSON text, from a small set
        }
        for helper in (
            "lookup", "load_events", "group_by_type", "event_field", "coercion_warning", "coerce_field",
            "eq", "ne", "lt", "le", "gt", "ge", "between", "member", "not_member", "str_member",
            "list_has_str", "contains", "starts_with", "ends_with", "matches", "search", "add", "sub", "mul", "div",
            "neg", "lead_id", *(name for name, _ in FUNCTIONS.values()),
        ):
            self.namespace[helper] = getattr(runtime, helper)
        self.constants: dict[Any, str] = {}
        self.counter = 0
        self.prelude: list[str] = []
        self.field_vars: dict[tuple[str, ...], str] = {}
        self.declared_vars: set[str] = set()
        self.let_vars: dict[str, Code] = {}
        self.count_vars: dict[ir.Count, str] = {}
        self.folded_vars: dict[str, str] = {}
        self.block_vars: dict[str, str] = {}
        self.missing: list[ir.Call] = []  # calls of built-ins this backend lacks
        self.lets = {let.name: let for let in policy.lets}
        self.let_order = {let.name: index for index, let in enumerate(policy.lets)}
        self.uses_by_type = False
        self.reads_event_keys = False
        self.event_var = "e"
        # Per rule, for the flat row's ledger text: its JSON piece (a constant
        # pair by `fired`, or the pair of prefixes its points follow) and its vars.
        self.flat_rules: list[tuple[str, str, str, bool]] = []  # (pieces, fired, points, points vary)

    # ------------------------------------------------------------- helpers
    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def const(self, value: Any) -> str:
        """A constant in the namespace; for values with no plain literal form."""
        key = (type(value).__name__, value)
        if key not in self.constants:
            name = f"K{len(self.constants)}"
            self.constants[key] = name
            self.namespace[name] = value
        return self.constants[key]

    @staticmethod
    def literal(value: Any) -> str:
        """Python source for a plain literal: only ever repr()."""
        if type(value) not in (str, int, float, bool, type(None)):
            # A real check, not an assert: it must hold under `python -O` too.
            raise TypeError(f"not a plain literal: {type(value).__name__}")
        if type(value) is float and (value != value or value in (float("inf"), float("-inf"))):
            return f"float({repr(value)!r})"
        return repr(value)

    def timedelta(self, microseconds: int) -> str:
        return self.const(dt.timedelta(microseconds=microseconds))

    # -------------------------------------------------------------- fields
    def emit_fields(self, out: list[str]) -> None:
        """Fetch and coerce every declared field, in schema order (so are the
        warnings), loading the events where the schema declares them."""
        groups: dict[str, str] = {}
        events = self.policy.events

        def raw(path: tuple[str, ...]) -> str:
            flat = ".".join(path)
            if len(path) == 1:
                return f"lead.get({self.literal(path[0])})"
            if len(path) == 2:
                if path[0] not in groups:
                    group = self.fresh("g")
                    groups[path[0]] = group
                    out.append(f"    {group} = lead.get({self.literal(path[0])})")
                    out.append(f"    if type({group}) is not dict and not isinstance({group}, Mapping): {group} = None")
                group = groups[path[0]]
                return f"({group}.get({self.literal(path[1])}, MISS) if {group} is not None else MISS)"
            return f"lookup(lead, {path!r}, {self.literal(flat)})"

        declared = [field for field in self.policy.fields if field.declared]
        for index, field in enumerate(declared):
            if events is not None and events.position == index:
                self.emit_events(out)
            var = self.fresh("f")
            self.field_vars[field.path] = var
            self.declared_vars.add(var)
            out.append(f"    {var} = {raw(field.path)}")
            if len(field.path) == 2:
                out.append(f"    if {var} is MISS: {var} = lead.get({self.literal(field.name)})")
            fast = {"string": "str", "int": "int", "bool": "bool"}.get(field.type)
            convert = self.const(runtime.COERCE[field.type])
            # The common case (already the right type) costs one test; the
            # rest goes through one helper call, which keeps the code small.
            test = f"{var} is not None and type({var}) is not {fast}" if fast else f"{var} is not None"
            out.append(
                f"    if {test}: {var} = coerce_field({var}, {convert}, "
                f"{self.literal(field.name)}, {self.literal(field.type)}, W)"
            )
        if events is None:
            # No events field (a schema without one): the lead has no events,
            # so no latest activity.
            out.append("    EV = None")
        elif events.position is None or events.position >= len(declared):
            self.emit_events(out)

    def emit_events(self, out: list[str]) -> None:
        """Load the events field (`EV`: existing events, most recent first)."""
        events = self.policy.events
        assert events is not None
        flat = self.literal(events.name)
        fetch = (
            f"lead.get({self.literal(events.path[0])})" if len(events.path) == 1
            else f"lookup(lead, {events.path!r}, {flat})"
        )
        # EVENTS: the events already loaded by the caller (batch.inputs.preload_events).
        out.append(f"    EV = load_events({fetch}, {flat}, T, W) if EVENTS is MISS else EVENTS")

    def field_var(self, path: tuple[str, ...]) -> str:
        """A lead field's variable; an undeclared one is fetched raw on first use."""
        if path not in self.field_vars:
            var = self.fresh("f")
            self.field_vars[path] = var
            if len(path) == 1:
                self.prelude.append(f"    {var} = lead.get({self.literal(path[0])})")
            else:
                self.prelude.append(f"    {var} = lookup(lead, {path!r}, {self.literal('.'.join(path))})")
        return self.field_vars[path]

    # --------------------------------------------------------- expressions
    def cond(self, expr: ir.Expr) -> str:
        code = self.expr(expr)
        return code.text if code.is_bool else f"({code.text} is True)"

    def expr(self, expr: ir.Expr) -> Code:
        method: Callable[[Any], Code] = getattr(self, "gen_" + type(expr).__name__)
        return method(expr)

    @staticmethod
    def _bool(text: str) -> Code:
        return Code(text, "bool", False, True)

    def gen_Const(self, expr: ir.Const) -> Code:
        value = expr.value
        text = self.literal(value) if type(value) in (str, int, float, bool) else self.const(value)
        return Code(text, expr.type, nullable=False, is_bool=type(value) is bool)

    def gen_ConstList(self, expr: ir.ConstList) -> Code:
        return Code(self.const(expr.values), expr.type, nullable=False)

    def gen_FieldRef(self, expr: ir.FieldRef) -> Code:
        return Code(self.field_var(expr.path), expr.type)

    def gen_EventsRef(self, expr: ir.EventsRef) -> Code:
        return Code("EV", "events")

    def gen_EventAttr(self, expr: ir.EventAttr) -> Code:
        if expr.path == ("type",):
            return Code(f"{self.event_var}[1]", "string", nullable=False)
        if expr.path == ("at",):
            return Code(f"{self.event_var}[0]", "datetime", nullable=False)
        self.reads_event_keys = True  # the raw event is read: no preloaded events (preloadable)
        return Code(f"event_field({self.event_var}, {expr.path!r}, {self.literal(expr.name)})", "any")

    def gen_LetRef(self, expr: ir.LetRef) -> Code:
        if expr.name not in self.let_vars:
            # The lets it needs, transitively, generated in dependency order
            # (no recursion through chains of lets).
            needed = {expr.name}
            stack = [expr.name]
            while stack:
                for used in _let_refs(self.lets[stack.pop()].value):
                    if used not in needed and used not in self.let_vars:
                        needed.add(used)
                        stack.append(used)
            for name in sorted(needed, key=self.let_order.__getitem__):
                var = self.fresh("L")
                code = self.expr(self.lets[name].value)
                self.prelude.append(f"    {var} = {code.text}")
                self.let_vars[name] = Code(var, code.type, code.nullable, code.is_bool)
        return self.let_vars[expr.name]

    def gen_Outcome(self, expr: ir.Outcome) -> Code:
        if expr.outcome == "total":
            return Code("total", "number", nullable=False)
        if expr.outcome == "icp":
            return Code("passed", "bool", nullable=False, is_bool=True)
        if expr.outcome == "tier":
            return Code("tier", "tier")
        assert expr.block is not None
        return Code(self.block_vars[expr.block], "number", nullable=False)

    def gen_TierConst(self, expr: ir.TierConst) -> Code:
        return Code(self.literal(expr.name), "tier", nullable=False)

    def gen_Call(self, expr: ir.Call) -> Code:
        if expr.function not in FUNCTIONS:  # reported after generation, located
            self.missing.append(expr)
            return Code("None", expr.type)
        helper, reads_time = FUNCTIONS[expr.function]
        arguments = [self.expr(argument).text for argument in expr.arguments]
        if reads_time:
            arguments.append("T")
        return Code(f"{helper}({', '.join(arguments)})", expr.type)

    def event_source(self, where: ir.Expr | None) -> tuple[str, ir.Expr | None]:
        """Which events to loop over: one type's events when the condition
        requires `type == "X"`, all events otherwise. Returns the rest of the
        condition still to test."""
        if where is None:
            return "(EV or ())", None
        conjuncts = list(where.operands) if isinstance(where, ir.And) else [where]
        for index, part in enumerate(conjuncts):
            if (
                isinstance(part, ir.Compare) and part.op == "=="
                and isinstance(part.left, ir.EventAttr) and part.left.path == ("type",)
                and isinstance(part.right, ir.Const) and type(part.right.value) is str
            ):
                self.uses_by_type = True
                rest = conjuncts[:index] + conjuncts[index + 1:]
                remaining = None if not rest else rest[0] if len(rest) == 1 else ir.And(operands=tuple(rest))
                return f"BT.get({self.literal(part.right.value.casefold())}, ())", remaining
        return "(EV or ())", where

    def gen_Count(self, expr: ir.Count) -> Code:
        if expr not in self.count_vars:
            var = self.fresh("C")
            source, remaining = self.event_source(expr.where)
            condition = self.cond(remaining) if remaining is not None else None
            lines = [f"    {var} = 0", f"    for e in {source}:"]
            if expr.within is not None:
                lines.append(f"        if T - e[0] > {self.timedelta(expr.within)}: break")
            lines.append(f"        if {condition}: {var} += 1" if condition else f"        {var} += 1")
            self.prelude.extend(lines)
            self.count_vars[expr] = var
        return Code(self.count_vars[expr], "int", nullable=False)

    def gen_Truth(self, expr: ir.Truth) -> Code:
        code = self.expr(expr.operand)
        return code if code.is_bool else self._bool(f"({code.text} is True)")

    def gen_Not(self, expr: ir.Not) -> Code:
        return self._bool(f"(not {self.cond(expr.operand)})")

    def gen_And(self, expr: ir.And) -> Code:
        return self._bool(f"({' and '.join(self.cond(o) for o in expr.operands)})")

    def gen_Or(self, expr: ir.Or) -> Code:
        return self._bool(f"({' or '.join(self.cond(o) for o in expr.operands)})")

    def _guard(self, *codes: Code) -> str:
        """`x is not None and ` for each nullable operand."""
        return "".join(f"{c.text} is not None and " for c in codes if c.nullable)

    def _folded(self, code: Code) -> Code:
        """A string literal's casefolded form, computed now."""
        if code.text.startswith("'") or code.text.startswith('"'):
            return Code(self.literal(ast.literal_eval(code.text).casefold()), code.type, False)
        return code

    def folded_field(self, code: Code) -> str | None:
        """The casefolded copy of a string-typed lead field, computed once per
        lead (missing stays None: `None == 'x'` and `None in {...}` are false)."""
        if category(code.type) != "string" or code.type == "tier" or code.text not in self.declared_vars:
            return None
        if code.text not in self.folded_vars:
            folded = f"F{code.text}"
            self.prelude.append(f"    {folded} = {code.text}.casefold() if {code.text} is not None else None")
            self.folded_vars[code.text] = folded
        return self.folded_vars[code.text]

    def gen_Compare(self, expr: ir.Compare) -> Code:
        # Operators come from the grammar; a hand-built IR must not smuggle code in.
        assert expr.op in _COMPARE_OPS, expr.op
        left = self.expr(expr.left)
        right = self.expr(expr.right)
        lc, rc = category(left.type), category(right.type)
        op = expr.op
        if lc == rc == "string" and op in ("==", "!="):
            for field, other in ((left, right), (right, left)):
                literal = self._folded(other)
                folded = self.folded_field(field) if literal is not other else None
                if folded is not None:
                    guard = f"{folded} is not None and " if op == "!=" else ""
                    return self._bool(f"({guard}{folded} {op} {literal.text})")
        if left.simple and right.simple and lc == rc:
            if lc == "string" and op in ("==", "!="):
                lf, rf = self._folded(left), self._folded(right)
                l_text = lf.text if lf is not left else f"{left.text}.casefold()"
                r_text = rf.text if rf is not right else f"{right.text}.casefold()"
                return self._bool(f"({self._guard(left, right)}{l_text} {op} {r_text})")
            if lc == "number" or (lc == "time" and left.type == right.type):
                return self._bool(f"({self._guard(left, right)}{left.text} {op} {right.text})")
        return self._bool(f"{_COMPARE_OPS[op]}({left.text}, {right.text})")

    def gen_Member(self, expr: ir.Member) -> Code:
        item = self.expr(expr.item)
        container = self.expr(expr.container)
        values = expr.container.values if isinstance(expr.container, ir.ConstList) else None
        word = "not in" if expr.negated else "in"
        if values and all(type(v) is str for v in values):
            folded = self.const(frozenset(str(v).casefold() for v in values))
            field = self.folded_field(item)
            if field is not None:
                guard = f"{field} is not None and " if expr.negated else ""
                return self._bool(f"({guard}{field} {word} {folded})")
            if item.simple and category(item.type) == "string":
                return self._bool(f"({self._guard(item)}{item.text}.casefold() {word} {folded})")
            if not expr.negated:
                return self._bool(f"str_member({item.text}, {folded})")
        literal = self._folded(item)
        if not expr.negated and literal is not item and container.type == "list[string]" \
                and isinstance(expr.container, ir.FieldRef):
            return self._bool(f"list_has_str({literal.text}, {container.text})")
        helper = "not_member" if expr.negated else "member"
        return self._bool(f"{helper}({item.text}, {container.text})")

    def gen_Between(self, expr: ir.Between) -> Code:
        value, low, high = self.expr(expr.value), self.expr(expr.low), self.expr(expr.high)
        cats = {category(value.type), category(low.type), category(high.type)}
        if value.simple and low.simple and high.simple and cats == {"number"}:
            return self._bool(f"({self._guard(value, low, high)}{low.text} <= {value.text} <= {high.text})")
        return self._bool(f"between({value.text}, {low.text}, {high.text})")

    def gen_StringTest(self, expr: ir.StringTest) -> Code:
        assert expr.op in _STRING_TESTS, expr.op
        left = self.expr(expr.left)
        right = self.expr(expr.right)
        folded = self._folded(right)
        if folded is not right:  # a string literal on the right
            field = self.folded_field(left)
            subject: str | None = None
            if field is not None:  # a string field, casefolded once per lead
                subject, guard = field, f"{field} is not None and "
            elif left.simple and category(left.type) == "string":
                subject, guard = f"{left.text}.casefold()", self._guard(left)
            if subject is not None:
                test = {
                    "contains": f"{folded.text} in {subject}",
                    "starts_with": f"{subject}.startswith({folded.text})",
                    "ends_with": f"{subject}.endswith({folded.text})",
                }[expr.op]
                return self._bool(f"({guard}{test})")
        return self._bool(f"{expr.op}({left.text}, {right.text})")

    def gen_Matches(self, expr: ir.Matches) -> Code:
        value = self.expr(expr.value)
        # RE2 (regex.py): linear time, so no pattern can stall an evaluation.
        pattern = self.const(compile_regex(expr.pattern, expr.ignore_case))
        if value.simple and category(value.type) == "string":
            return self._bool(f"({self._guard(value)}search({pattern}, {value.text}))")
        return self._bool(f"matches({value.text}, {pattern})")

    def gen_IsMissing(self, expr: ir.IsMissing) -> Code:
        value = self.expr(expr.value)
        if not value.nullable:  # a literal or an outcome: never missing
            return self._bool("True" if expr.negated else "False")
        return self._bool(f"({value.text} {'is not' if expr.negated else 'is'} None)")

    def gen_Arith(self, expr: ir.Arith) -> Code:
        assert expr.op in _ARITH_OPS, expr.op
        left, right = self.expr(expr.left), self.expr(expr.right)
        return Code(f"{_ARITH_OPS[expr.op]}({left.text}, {right.text})", expr.type)

    def gen_Negate(self, expr: ir.Negate) -> Code:
        return Code(f"neg({self.expr(expr.operand).text})", expr.type)

    # ------------------------------------------------------------- blocks
    def factor_lines(self, block: ir.Block, age: str, target: str, indent: str) -> list[str]:
        """Lines setting `target` to the block's decay factor for an age."""
        decay, expire = block.decay, block.expire
        if decay is None and expire is None:
            return []
        if isinstance(decay, ir.StepDecay):
            factor = f"{self.literal(decay.keep)} ** ({age} // {self.timedelta(decay.period)})"
        elif isinstance(decay, ir.HalfLife):
            factor = f"0.5 ** ({age} / {self.timedelta(decay.period)})"
        else:
            factor = "1.0"
        if expire is not None:
            factor = f"0.0 if {age} > {self.timedelta(expire.after)} else {factor}"
        return [f"{indent}{target} = {factor}"]

    def emit_block(self, block: ir.Block, out: list[str], ledger: list[str]) -> str:
        when_factor = None
        if block.decays and any(isinstance(r, ir.WhenRule) for r in block.rules):
            when_factor = self.fresh("w")
            out.append("    a = (T - LATEST) if LATEST is not None else ZERO")
            out.extend(self.factor_lines(block, "a", when_factor, "    "))
        points_vars = []
        for rule in block.rules:
            points = self.literal(float(rule.points))
            p, h = self.fresh("p"), self.fresh("h")
            events = skipped = "None"
            if isinstance(rule, ir.WhenRule):
                condition = self.cond(rule.condition)
                value = f"{points} * {when_factor} + 0.0" if when_factor else points
                out.append(f"    {h} = {condition}")
                out.append(f"    {p} = {value} if {h} else 0.0")
            else:
                self.uses_by_type = True
                events = self.fresh("k")
                out.append(f"    {p} = 0.0; {events} = 0")
                if rule.where is not None:
                    # Events of the type that fail the `where`: explain says so.
                    skipped = self.fresh("s")
                    out.append(f"    {skipped} = 0")
                out.append(f"    for e in BT.get({self.literal(rule.event_type_folded)}, ()):")
                if rule.where is not None:
                    out.append(f"        if not {self.cond(rule.where)}: {skipped} += 1; continue")
                out.append(f"        {events} += 1")
                if block.decays:
                    out.append("        a = T - e[0]")
                    out.extend(self.factor_lines(block, "a", "f", "        "))
                    out.append(f"        {p} += {points} * f")
                else:
                    out.append(f"        {p} += {points}")
                if rule.max_events is not None:
                    assert type(rule.max_events) is int, rule.max_events
                    out.append(f"        if {events} == {rule.max_events}: break")
                out.append(f"    {h} = {events} > 0")
            points_vars.append(p)
            constant = isinstance(rule, ir.WhenRule) and not when_factor
            self.flat_rules.append(self.ledger_piece(block.name, rule.name, h, p,
                                                     float(rule.points) if constant else None))
            ledger.append(
                f"RR(RULE, ({self.literal(block.name)}, {self.literal(rule.name)}, {h}, {p}, {events}, {skipped}))"
            )
        total = self.fresh("t")
        out.extend(self.sum_lines(total, points_vars))
        if block.max is not None:
            out.append(f"    if {total} > {self.literal(block.max)}: {total} = {self.literal(block.max)}")
        if block.min is not None:
            out.append(f"    if {total} < {self.literal(block.min)}: {total} = {self.literal(block.min)}")
        return total

    def ledger_piece(self, block: str, rule: str, fired: str, points: str,
                     constant: float | None) -> tuple[str, str, str, bool]:
        """A rule's entry in the ledger text (outputs.py's `rules` column):
        with points known by `fired` alone (a `when` rule without decay), a
        constant pair of whole pieces indexed by `fired`; otherwise a pair of
        prefixes that `repr()` of the points completes (json.dumps writes a
        finite float as its repr). Both come from json_text itself, so the
        text is the slow path's exactly (a test compares them)."""
        def piece(fired_value: bool, points_value: float) -> str:
            return json_text({"block": block, "rule": rule, "fired": fired_value, "points": points_value})

        if constant is not None and math.isfinite(constant):
            return self.const((piece(False, 0.0), piece(True, constant))), fired, points, False
        prefixes = []
        for fired_value in (False, True):
            text = piece(fired_value, 0.0)
            if not text.endswith("0.0}"):  # a real check: json's float form is what this relies on
                raise AssertionError(f"unexpected ledger JSON: {text}")
            prefixes.append(text[:-4])
        return self.const(tuple(prefixes)), fired, points, True

    def flat_lines(self, points: list[str], before: list[str], after: list[str]) -> list[str]:
        """With HASH (the policy's hash) given, return the flat output row
        (outputs.flat_columns: the cells `before` the ledger text, the
        ledger text, the cells `after` it) when every number is finite; otherwise fall
        through to the Decision, which outputs.finite() mends and the caller
        encodes. One sum of the total and the points that vary tells: it is
        finite only if every term is (it may overflow on finite terms too;
        the slow path is right then). A rule with constant pieces has finite
        points by construction (ledger_piece)."""
        lines = ["    if HASH is not None:"]
        lines.extend("    " + line for line in self.sum_lines("c", ["total", *points]))
        lines.append("        if c - c == 0.0:")
        # The ledger text in f-strings of at most 32 entries a statement (as
        # sum_lines, for the compiler); only the generator's own characters
        # ([ , } ]) are literal in them, everything else is a constant or a repr.
        chunks = []
        entries = 32
        for start in range(0, max(len(self.flat_rules), 1), entries):
            parts = []
            for index, (pieces, fired, value, varies) in enumerate(self.flat_rules[start:start + entries], start):
                comma = "," if index else ""
                parts.append(f"{comma}{{{pieces}[{fired}]}}{{{value}!r}}}}}}" if varies
                             else f"{comma}{{{pieces}[{fired}]}}")
            chunks.append("".join(parts))
        chunks[0] = "[" + chunks[0]
        chunks[-1] += "]"  # the same chunk when there is one
        if len(chunks) == 1:
            text = f"f'{chunks[0]}'"
        else:
            lines.append(f"            x = f'{chunks[0]}'")
            lines.extend(f"            x += f'{chunk}'" for chunk in chunks[1:])
            text = "x"
        lines.append(f"            return ({', '.join([*before, text, *after])})")
        return lines

    def first_match(self, target: str, choices: tuple[ir.Choice, ...], indent: str) -> list[str]:
        """`target` = the value of the first choice whose condition holds (None:
        `otherwise`). Flat `if ...: break` inside a one-pass loop, not an
        `elif` chain: thousands of `elif`s overflow Python's compiler."""
        lines = [f"{indent}while True:"]
        for choice in choices:
            value = self.expr(choice.target).text
            if choice.condition is None:
                lines.append(f"{indent}  {target} = {value}; break")
                break
            lines.append(f"{indent}  if {self.cond(choice.condition)}: {target} = {value}; break")
        lines.append(f"{indent}  break")
        return lines

    @staticmethod
    def sum_lines(target: str, terms: list[str]) -> list[str]:
        """`target = a + b + c`, summed left to right, in statements of a few
        terms: one expression of thousands of terms overflows Python's compiler."""
        if not terms:
            return [f"    {target} = 0.0"]
        # 16 terms a statement: `t = t + a + b` still adds left to right.
        lines = [f"    {target} = {' + '.join(terms[:16])}"]
        for start in range(16, len(terms), 16):
            lines.append(f"    {target} = {target} + {' + '.join(terms[start:start + 16])}")
        return lines

    # ---------------------------------------------------------- the whole
    def generate(self) -> str:
        policy = self.policy
        head: list[str] = [
            "def evaluate(lead, T, T_TEXT, HASH=None, EVENTS=MISS):",
            "    W = []",
            "    if type(lead) is not dict:",
            "        if isinstance(lead, Mapping): lead = dict(lead)",
            "        else:",
            "            W.append('lead: expected an object, got ' + rt.show(lead) + '; evaluated as {}')",
            "            lead = {}",
        ]
        self.emit_fields(head)
        head.append("    LATEST = EV[0][0] if EV else None")

        body: list[str] = ["    reasons = []"]
        for check in policy.icp:
            condition = self.cond(check.condition)
            test = f"not {condition}" if check.kind == "require" else condition
            body.append(f"    if {test}: reasons.append({self.literal(check.reason)})")
        body.append("    passed = not reasons")
        ledger: list[str] = []
        for block in policy.blocks:
            self.block_vars[block.name] = self.emit_block(block, body, ledger)
        body.extend(self.sum_lines("total", [self.block_vars[b.name] for b in policy.blocks]))
        # Tiers, then the route: the first that holds.
        if policy.tiers:
            body.append("    tier = None")
            body.append("    if not passed: tier = 'disqualified'")
            body.append("    else:")
            body.extend(self.first_match("tier", policy.tiers, "      "))
        else:
            body.append("    tier = None if passed else 'disqualified'")
        body.append("    route = None")
        if policy.routes:
            body.extend(self.first_match("route", policy.routes, "    "))
        scores = ", ".join(f"{self.literal(b.name)}: {self.block_vars[b.name]}" for b in policy.blocks)
        scores = f"{{{scores}{', ' if scores else ''}'total': total}}"
        id_path = policy.lead_id.path
        id_code = self.field_vars.get(id_path) if policy.lead_id.declared else None
        if id_code is None:
            id_code = (
                f"lead.get({self.literal(id_path[0])})" if len(id_path) == 1
                else f"lookup(lead, {id_path!r}, {self.literal('.'.join(id_path))})"
            )
        body.extend(self.flat_lines(
            # A rule with constant pieces has finite points: only the others can be otherwise.
            [points for _, _, points, varies in self.flat_rules if varies],
            [self.literal(policy.name), "HASH", f"lead_id({id_code})", "T_TEXT", "passed",
             "'[]' if passed else REASONS(tuple(reasons))", *(self.block_vars[b.name] for b in policy.blocks),
             "total", "tier", "route"],
            ["'[]' if not W else json_text(W)"]))
        body.append(
            f"    return DEC(DECISION, ({self.literal(policy.name)}, lead_id({id_code}), T_TEXT, passed, "
            f"reasons, {scores}, tier, route, ({', '.join(ledger)}{',' if len(ledger) == 1 else ''}), W))"
        )
        if self.uses_by_type:
            head.append("    BT = group_by_type(EV)")
        return "\n".join(head + self.prelude + body) + "\n"


def unsupported(policy: ir.Policy) -> list[ir.Call]:
    """Calls of built-ins this backend does not implement (located by their `loc`)."""
    return [node for node in walk(policy) if isinstance(node, ir.Call) and node.function not in FUNCTIONS]


def compile_policy(policy: ir.Policy) -> CompiledPolicy:
    """Generate and compile the policy's evaluate function; a built-in this
    backend lacks is a located CheckError."""
    codegen = _Codegen(policy)
    source = codegen.generate()
    if codegen.missing:
        from ..diagnostics import Diagnostic
        from ..errors import CheckError

        raise CheckError([
            Diagnostic.error(f"the python backend has no built-in `{call.function}`",
                             call.loc.path if call.loc else "<policy>", *([call.loc.span] if call.loc else []))
            for call in codegen.missing
        ])
    code = compile(source, f"<qualdsl policy {policy.name}>", "exec")
    namespace = dict(codegen.namespace)
    exec(code, namespace)  # noqa: S102 - the generated source only, never policy text
    rules = tuple(RuleInfo(block.name, rule.name, rule) for block in policy.blocks for rule in block.rules)
    return CompiledPolicy(namespace["evaluate"], source, rules, preloadable(policy, codegen))


def preloadable(policy: ir.Policy, codegen: _Codegen) -> str | None:
    """CompiledPolicy.preload_events."""
    events = policy.events
    if events is None or len(events.path) != 1 or policy.lead_id.path == events.path or codegen.reads_event_keys:
        return None
    return events.path[0]


class PythonEvaluator:
    """The Python backend as an `Evaluator` (what `qualdsl.Policy` runs)."""

    def __init__(self, policy: ir.Policy):
        self.compiled = compile_policy(policy)

    def evaluate(self, lead: Mapping[str, Any], *, as_of: dt.datetime | dt.date | str) -> Decision:
        from ..api import format_as_of, normalize_as_of

        moment = normalize_as_of(as_of)
        return self.compiled.function(lead, moment, format_as_of(moment))


def evaluator(policy: ir.Policy) -> PythonEvaluator:
    return PythonEvaluator(policy)
