"""Stage 4: CheckedPolicy -> generated Python source -> one evaluate function.

The policy becomes a single straight-line Python function, compiled once with
`compile()`. User text (names, reasons, strings) enters the generated source
only as `repr()` of plain literals; anything else (dates, regexes, sets) is
passed in the function's namespace as a constant. Identifiers in the code are
always generated (`f3`, `L1`, `r7`), never taken from the policy.

Where the schema fixes a value's type, comparisons compile to plain Python
(`(f3 is not None and f3 >= 10)`); where it does not, they call the
missing-aware helpers in runtime.py.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any, Callable

import attrs

from . import nodes as n
from . import runtime
from .check import EVENT, LEAD, ROUTE, TIERS, CheckedPolicy, _names_in, resolve
from .decision import Decision, RuleResult
from .schema import category


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


_COMPARE_OPS = ("==", "!=", "<", "<=", ">", ">=")
_SIMPLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z|'[^'\\]*'\Z|-?[0-9.]+\Z")


@attrs.frozen
class RuleInfo:
    """A rule's identity in the ledger."""

    block: str
    rule: str
    node: n.Rule


@attrs.frozen
class CompiledPolicy:
    """The evaluate function and what the ledger needs to name its entries."""

    function: Callable[..., Decision]
    source: str  # the generated Python (`Policy.compiled.source`), for the curious and for debugging
    rules: tuple[RuleInfo, ...]


class _Codegen:
    def __init__(self, policy: CheckedPolicy, id_field: tuple[str, ...] = ("id",)):
        self.policy = policy
        self.id_field = id_field
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
        }
        for helper in (
            "lookup", "load_events", "group_by_type", "event_field", "coercion_warning", "coerce_field",
            "eq", "ne", "lt", "le", "gt", "ge", "between", "member", "not_member", "str_member",
            "list_has_str",
            "contains", "starts_with", "ends_with", "matches", "add", "sub", "mul", "div", "neg",
            "domain", "lower", "length", "days_since", "lead_id",
        ):
            self.namespace[helper] = getattr(runtime, helper)
        self.constants: dict[Any, str] = {}
        self.counter = 0
        self.prelude: list[str] = []
        self.field_vars: dict[tuple[str, ...], str] = {}
        self.let_vars: dict[str, Code] = {}
        self.count_vars: dict[n.Call, str] = {}
        self.folded_vars: dict[str, str] = {}
        self.uses_by_type = False
        self.events_emitted = False
        self.event_var = "e"

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
        assert type(value) in (str, int, float, bool, type(None)), value
        if type(value) is float:
            return repr(value) if value == value and value not in (float("inf"), float("-inf")) else "float(%r)" % repr(value)
        return repr(value)

    # -------------------------------------------------------------- fields
    def emit_fields(self, out: list[str]) -> None:
        policy = self.policy
        groups: dict[str, str] = {}

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
                return (
                    f"({group}.get({self.literal(path[1])}, MISS) if {group} is not None else MISS)"
                )
            return f"lookup(lead, {path!r}, {self.literal(flat)})"

        if policy.schema is None:
            return
        for path, info in policy.schema.items():
            flat = ".".join(path)
            if info.type == "events":
                self.emit_events(out)  # in schema order, so warnings are too
                continue
            var = self.fresh("f")
            self.field_vars[path] = var
            fetch = raw(path)
            out.append(f"    {var} = {fetch}")
            if len(path) == 2:
                out.append(f"    if {var} is MISS: {var} = lead.get({self.literal(flat)})")
            fast = {
                "string": "str", "int": "int", "bool": "bool",
            }.get(info.type)
            convert = self.const(runtime.COERCE[info.type])
            # The common case (already the right type) costs one test; the
            # rest goes through one helper call, which keeps the code small.
            test = f"{var} is not None and type({var}) is not {fast}" if fast else f"{var} is not None"
            out.append(
                f"    if {test}: {var} = coerce_field({var}, {convert}, "
                f"{self.literal(flat)}, {self.literal(info.type)}, W)"
            )

    def emit_events(self, out: list[str]) -> None:
        """Load the events field (`EV`: existing events, most recent first)."""
        self.events_emitted = True
        events_path = self.policy.events_field
        if events_path is None:
            # A schema without an `events` field: the lead has no events (an
            # `events` key is just an undeclared key), so no latest activity.
            out.append("    EV = None")
            return
        flat = self.literal(".".join(events_path))
        fetch = (
            f"lead.get({self.literal(events_path[0])})" if len(events_path) == 1
            else f"lookup(lead, {events_path!r}, {flat})"
        )
        out.append(f"    EV = load_events({fetch}, {flat}, T, W)")

    def field_var(self, path: tuple[str, ...]) -> str:
        """A lead field's variable; without a schema, fetched raw on first use."""
        if path not in self.field_vars:
            var = self.fresh("f")
            self.field_vars[path] = var
            flat = ".".join(path)
            if len(path) == 1:
                self.prelude.append(f"    {var} = lead.get({self.literal(path[0])})")
            else:
                self.prelude.append(f"    {var} = lookup(lead, {path!r}, {self.literal(flat)})")
        return self.field_vars[path]

    # --------------------------------------------------------- expressions
    def cond(self, expr: n.Expr, context: str) -> str:
        code = self.expr(expr, context)
        return code.text if code.is_bool else f"({code.text} is True)"

    def expr(self, expr: Any, context: str) -> Code:
        return getattr(self, "gen_" + type(expr).__name__)(expr, context)

    def gen_Literal(self, expr: n.Literal, context: str) -> Code:
        from .schema import literal_type

        value = expr.value
        text = self.literal(value) if type(value) in (str, int, float, bool) else self.const(value)
        return Code(text, literal_type(value), nullable=False, is_bool=type(value) is bool)

    def gen_ListLiteral(self, expr: n.ListLiteral, context: str) -> Code:
        from .schema import list_type

        values = tuple(item.value for item in expr.items)
        return Code(self.const(values), list_type(list(values)), nullable=False)

    def gen_Name(self, expr: n.Name, context: str) -> Code:
        ref = resolve(self.policy, expr, context)
        if ref.kind == "field":
            if ref.type == "events":
                return Code("EV", "events")
            return Code(self.field_var(ref.path), ref.type, is_bool=False)
        if ref.kind == "event_field":
            if ref.path == ("type",):
                return Code(f"{self.event_var}[1]", "string", nullable=False)
            if ref.path == ("at",):
                return Code(f"{self.event_var}[0]", "datetime", nullable=False)
            return Code(
                f"event_field({self.event_var}, {ref.path!r}, {self.literal(ref.name)})", "any"
            )
        if ref.kind == "let":
            return self.ensure_let(ref.name)
        if ref.kind == "set":
            values = tuple(item.value for item in self.policy.sets[ref.name].items.items)
            return Code(self.const(values), ref.type, nullable=False)
        if ref.kind == "outcome":
            if ref.name == "score":
                return Code("total", "number", nullable=False)
            if ref.name == "icp":
                return Code("passed", "bool", nullable=False, is_bool=True)
            if ref.name == "tier":
                return Code("tier", "tier")
            return Code(self.block_vars[ref.name], "number", nullable=False)
        if ref.kind == "tier":
            return Code(self.literal(ref.name), "tier", nullable=False)
        raise AssertionError(f"unresolved name {expr.dotted}")  # the checker prevents this

    def ensure_let(self, name: str) -> Code:
        if name not in self.let_vars:
            # The lets it needs, transitively, generated in dependency order
            # (no recursion through chains of lets).
            needed = {name}
            stack = [name]
            while stack:
                for used in _names_in(self.policy.lets[stack.pop()].value):
                    word = used.path[0]
                    if used.is_bare and word in self.policy.lets and word not in needed \
                            and word not in self.let_vars:
                        needed.add(word)
                        stack.append(word)
            for let in self.policy.let_order:
                if let in needed and let not in self.let_vars:
                    var = self.fresh("L")
                    code = self.expr(self.policy.lets[let].value, LEAD)
                    self.prelude.append(f"    {var} = {code.text}")
                    self.let_vars[let] = Code(var, code.type, code.nullable, code.is_bool)
        return self.let_vars[name]

    def gen_Call(self, expr: n.Call, context: str) -> Code:
        if expr.function == "count":
            return Code(self.ensure_count(expr), "int", nullable=False)
        argument = self.expr(expr.arguments[0], context)
        if expr.function == "domain":
            return Code(f"domain({argument.text})", "string")
        if expr.function == "lower":
            return Code(f"lower({argument.text})", "string")
        if expr.function == "len":
            return Code(f"length({argument.text})", "int")
        if expr.function == "days_since":
            return Code(f"days_since({argument.text}, T)", "int")
        raise AssertionError(expr.function)

    def event_source(self, where: n.Expr | None) -> tuple[str, n.Expr | None]:
        """Which events to loop over: one type's events when the condition
        requires `type == "X"`, all events otherwise. Returns the rest of the
        condition still to test."""
        if where is None:
            return "(EV or ())", None
        conjuncts = list(where.operands) if isinstance(where, n.And) else [where]
        for index, part in enumerate(conjuncts):
            if (
                isinstance(part, n.Compare) and part.op == "=="
                and isinstance(part.left, n.Name) and part.left.path == ("type",)
                and resolve(self.policy, part.left, EVENT).kind == "event_field"
                and isinstance(part.right, n.Literal) and type(part.right.value) is str
            ):
                self.uses_by_type = True
                rest = conjuncts[:index] + conjuncts[index + 1:]
                remaining = None if not rest else rest[0] if len(rest) == 1 else n.And(tuple(rest))
                return f"BT.get({self.literal(part.right.value.casefold())}, ())", remaining
        return "(EV or ())", where

    def ensure_count(self, expr: n.Call) -> str:
        if expr in self.count_vars:
            return self.count_vars[expr]
        query = expr.arguments[0]
        assert isinstance(query, n.EventsQuery)
        var = self.fresh("C")
        source, remaining = self.event_source(query.where)
        condition = self.cond(remaining, EVENT) if remaining is not None else None
        lines = [f"    {var} = 0", f"    for e in {source}:"]
        if query.within is not None:
            lines.append(f"        if T - e[0] > {self.const(query.within.timedelta)}: break")
        if condition:
            lines.append(f"        if {condition}: {var} += 1")
        else:
            lines.append(f"        {var} += 1")
        self.prelude.extend(lines)
        self.count_vars[expr] = var
        return var

    def gen_Not(self, expr: n.Not, context: str) -> Code:
        return Code(f"(not {self.cond(expr.operand, context)})", "bool", False, True)

    def gen_And(self, expr: n.And, context: str) -> Code:
        parts = " and ".join(self.cond(o, context) for o in expr.operands)
        return Code(f"({parts})", "bool", False, True)

    def gen_Or(self, expr: n.Or, context: str) -> Code:
        parts = " or ".join(self.cond(o, context) for o in expr.operands)
        return Code(f"({parts})", "bool", False, True)

    def _guard(self, *codes: Code) -> str:
        """`x is not None and ` for each nullable operand."""
        return "".join(f"{c.text} is not None and " for c in codes if c.nullable)

    def _folded(self, code: Code) -> Code:
        """A string literal's casefolded form, computed now."""
        if code.text.startswith("'") or code.text.startswith('"'):
            import ast

            return Code(self.literal(ast.literal_eval(code.text).casefold()), code.type, False)
        return code

    def folded_field(self, code: Code) -> str | None:
        """The casefolded copy of a string-typed lead field, computed once per
        lead (missing stays None: `None == 'x'` and `None in {...}` are false)."""
        if category(code.type) != "string" or code.type == "tier" or code.text not in self.field_vars.values():
            return None
        if code.text not in self.folded_vars:
            folded = f"F{code.text}"
            self.prelude.append(f"    {folded} = {code.text}.casefold() if {code.text} is not None else None")
            self.folded_vars[code.text] = folded
        return self.folded_vars[code.text]

    def gen_Compare(self, expr: n.Compare, context: str) -> Code:
        # Operators come from the grammar; a hand-built AST must not smuggle code in.
        assert expr.op in _COMPARE_OPS, expr.op
        left = self.expr(expr.left, context)
        right = self.expr(expr.right, context)
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
        helper = {"==": "eq", "!=": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge"}[op]
        return self._bool(f"{helper}({left.text}, {right.text})")

    @staticmethod
    def _bool(text: str) -> Code:
        return Code(text, "bool", False, True)

    def gen_In(self, expr: n.In, context: str) -> Code:
        item = self.expr(expr.item, context)
        container = self.expr(expr.container, context)
        values = self._constant_list(expr.container, context)
        if values is not None and values and all(type(v) is str for v in values):
            folded = self.const(frozenset(v.casefold() for v in values))
            field = self.folded_field(item)
            if field is not None:
                guard = f"{field} is not None and " if expr.negated else ""
                word = "not in" if expr.negated else "in"
                return self._bool(f"({guard}{field} {word} {folded})")
            if item.simple and category(item.type) == "string":
                word = "not in" if expr.negated else "in"
                return self._bool(f"({self._guard(item)}{item.text}.casefold() {word} {folded})")
            if not expr.negated:
                return self._bool(f"str_member({item.text}, {folded})")
        literal = self._folded(item)
        if not expr.negated and literal is not item and container.type == "list[string]" \
                and isinstance(expr.container, n.Name):
            return self._bool(f"list_has_str({literal.text}, {container.text})")
        helper = "not_member" if expr.negated else "member"
        return self._bool(f"{helper}({item.text}, {container.text})")

    def _constant_list(self, expr: n.Expr, context: str) -> tuple | None:
        if isinstance(expr, n.ListLiteral):
            return tuple(item.value for item in expr.items)
        if isinstance(expr, n.Name):
            ref = resolve(self.policy, expr, context)
            if ref.kind == "set":
                return tuple(item.value for item in self.policy.sets[ref.name].items.items)
        return None

    def gen_Between(self, expr: n.Between, context: str) -> Code:
        value = self.expr(expr.value, context)
        low = self.expr(expr.low, context)
        high = self.expr(expr.high, context)
        cats = {category(value.type), category(low.type), category(high.type)}
        if value.simple and low.simple and high.simple and cats == {"number"}:
            return self._bool(
                f"({self._guard(value, low, high)}{low.text} <= {value.text} <= {high.text})"
            )
        return self._bool(f"between({value.text}, {low.text}, {high.text})")

    def gen_StringTest(self, expr: n.StringTest, context: str) -> Code:
        assert expr.op in ("contains", "starts_with", "ends_with"), expr.op
        left = self.expr(expr.left, context)
        right = self.expr(expr.right, context)
        folded = self._folded(right)
        if folded is not right:  # a string literal on the right
            field = self.folded_field(left)
            if field is not None:  # a string field, casefolded once per lead
                subject, guard = field, f"{field} is not None and "
            elif left.simple and category(left.type) == "string":
                subject, guard = f"{left.text}.casefold()", self._guard(left)
            else:
                subject = None
            if subject is not None:
                test = {
                    "contains": f"{folded.text} in {subject}",
                    "starts_with": f"{subject}.startswith({folded.text})",
                    "ends_with": f"{subject}.endswith({folded.text})",
                }[expr.op]
                return self._bool(f"({guard}{test})")
        return self._bool(f"{expr.op}({left.text}, {right.text})")

    def gen_Matches(self, expr: n.Matches, context: str) -> Code:
        value = self.expr(expr.value, context)
        pattern = self.const(re.compile(expr.pattern, re.IGNORECASE if expr.ignore_case else 0))
        if value.simple and category(value.type) == "string":
            return self._bool(f"({self._guard(value)}{pattern}.search({value.text}) is not None)")
        return self._bool(f"matches({value.text}, {pattern})")

    def gen_IsMissing(self, expr: n.IsMissing, context: str) -> Code:
        value = self.expr(expr.value, context)
        word = "is not" if expr.negated else "is"
        return self._bool(f"({value.text} {word} None)")

    def gen_Arith(self, expr: n.Arith, context: str) -> Code:
        left = self.expr(expr.left, context)
        right = self.expr(expr.right, context)
        helper = {"+": "add", "-": "sub", "*": "mul", "/": "div"}[expr.op]
        kind = "int" if left.type == right.type == "int" and expr.op != "/" else "number"
        return Code(f"{helper}({left.text}, {right.text})", kind)

    def gen_Negate(self, expr: n.Negate, context: str) -> Code:
        operand = self.expr(expr.operand, context)
        return Code(f"neg({operand.text})", operand.type if operand.type == "int" else "number")

    # ------------------------------------------------------------- blocks
    def factor_lines(self, block: n.ScoreBlock, age: str, target: str, indent: str) -> list[str]:
        """Lines setting `target` to the block's decay factor for an age."""
        decay, expire = block.decay, block.expire
        if decay is None and expire is None:
            return []
        if isinstance(decay, n.DecayEvery):
            keep = 1 - float(decay.percent) / 100
            factor = f"{self.literal(keep)} ** ({age} // {self.const(decay.period.timedelta)})"
        elif isinstance(decay, n.DecayHalfLife):
            factor = f"0.5 ** ({age} / {self.const(decay.period.timedelta)})"
        else:
            factor = "1.0"
        if expire is not None:
            factor = f"0.0 if {age} > {self.const(expire.after.timedelta)} else {factor}"
        return [f"{indent}{target} = {factor}"]

    def emit_block(self, block: n.ScoreBlock, out: list[str], ledger: list[str]) -> str:
        decays = block.decay is not None or block.expire is not None
        when_factor = None
        if decays and any(isinstance(r, n.WhenRule) for r in block.rules):
            when_factor = self.fresh("w")
            out.append("    a = (T - LATEST) if LATEST is not None else ZERO")
            out.extend(self.factor_lines(block, "a", when_factor, "    "))
        points_vars = []
        for rule in block.rules:
            points = self.literal(float(rule.points))
            p, h = self.fresh("p"), self.fresh("h")
            if isinstance(rule, n.WhenRule):
                condition = self.cond(rule.condition, LEAD)
                value = f"{points} * {when_factor} + 0.0" if when_factor else points
                out.append(f"    {h} = {condition}")
                out.append(f"    {p} = {value} if {h} else 0.0")
            else:
                source = f"BT.get({self.literal(rule.event_type.casefold())}, ())"
                self.uses_by_type = True
                count = self.fresh("k")
                out.append(f"    {p} = 0.0; {count} = 0")
                out.append(f"    for e in {source}:")
                if rule.where is not None:
                    out.append(f"        if not {self.cond(rule.where, EVENT)}: continue")
                out.append(f"        {count} += 1")
                if decays:
                    out.append("        a = T - e[0]")
                    out.extend(self.factor_lines(block, "a", "f", "        "))
                    out.append(f"        {p} += {points} * f")
                else:
                    out.append(f"        {p} += {points}")
                if rule.max is not None:
                    assert type(rule.max) is int, rule.max
                    out.append(f"        if {count} == {rule.max}: break")
                out.append(f"    {h} = {count} > 0")
            points_vars.append(p)
            events = count if isinstance(rule, n.EventRule) else "None"
            ledger.append(
                f"RR(RULE, ({self.literal(block.name)}, {self.literal(rule.name)}, {h}, {p}, {events}))"
            )
        total = self.fresh("t")
        out.extend(self.sum_lines(total, points_vars))
        if block.max is not None:
            out.append(f"    if {total} > {self.literal(float(block.max))}: {total} = {self.literal(float(block.max))}")
        if block.min is not None:
            out.append(f"    if {total} < {self.literal(float(block.min))}: {total} = {self.literal(float(block.min))}")
        return total

    def first_match(
        self, target: str, choices: list[tuple[str, n.Expr | None]], context: str, indent: str
    ) -> list[str]:
        """`target` = the value of the first choice whose condition holds (None:
        `otherwise`). Flat `if ...: break` inside a one-pass loop, not an
        `elif` chain: thousands of `elif`s overflow Python's compiler."""
        lines = [f"{indent}while True:"]
        for value, condition in choices:
            if condition is None:
                lines.append(f"{indent}  {target} = {value}; break")
                break
            lines.append(f"{indent}  if {self.cond(condition, context)}: {target} = {value}; break")
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
            "def evaluate(lead, T, T_TEXT):",
            "    W = []",
            "    if type(lead) is not dict:",
            "        if isinstance(lead, Mapping): lead = dict(lead)",
            "        else:",
            "            W.append('lead: expected an object, got ' + rt.show(lead) + '; evaluated as {}')",
            "            lead = {}",
        ]
        self.emit_fields(head)
        if not self.events_emitted:
            self.emit_events(head)
        head.append("    LATEST = EV[0][0] if EV else None")

        body: list[str] = []
        # ICP
        body.append("    reasons = []")
        for statement in policy.icp.statements if policy.icp else ():
            condition = self.cond(statement.condition, LEAD)
            test = f"not {condition}" if isinstance(statement, n.Require) else condition
            body.append(f"    if {test}: reasons.append({self.literal(statement.reason)})")
        body.append("    passed = not reasons")
        # Scores
        ledger: list[str] = []
        self.block_vars: dict[str, str] = {}
        for block in policy.blocks:
            self.block_vars[block.name] = self.emit_block(block, body, ledger)
        totals = [self.block_vars[b.name] for b in policy.blocks]
        body.extend(self.sum_lines("total", totals))
        # Tiers, then the route: the first that holds.
        if policy.tiers and policy.tiers.tiers:
            body.append("    tier = None")
            body.append("    if not passed: tier = 'disqualified'")
            body.append("    else:")
            choices = [(self.literal(t.name), t.condition) for t in policy.tiers.tiers]
            body.extend(self.first_match("tier", choices, TIERS, "      "))
        else:
            body.append("    tier = None if passed else 'disqualified'")
        body.append("    route = None")
        if policy.routes and policy.routes.routes:
            choices = [(self.literal(r.queue), r.condition) for r in policy.routes.routes]
            body.extend(self.first_match("route", choices, ROUTE, "    "))
        scores = ", ".join(
            f"{self.literal(b.name)}: {self.block_vars[b.name]}" for b in policy.blocks
        )
        scores = f"{{{scores}{', ' if scores else ''}'total': total}}"
        id_path = self.id_field
        id_code = self.field_vars.get(id_path) or (
            f"lead.get({self.literal(id_path[0])})" if len(id_path) == 1
            else f"lookup(lead, {id_path!r}, {self.literal('.'.join(id_path))})"
        )
        body.append(
            f"    return DEC(DECISION, ({self.literal(policy.name)}, lead_id({id_code}), T_TEXT, passed, "
            f"reasons, {scores}, tier, route, ({', '.join(ledger)}{',' if len(ledger) == 1 else ''}), W))"
        )
        if self.uses_by_type:
            head.append("    BT = group_by_type(EV)")
        return "\n".join(head + self.prelude + body) + "\n"


def compile_policy(policy: CheckedPolicy, id_field: tuple[str, ...] = ("id",)) -> CompiledPolicy:
    """Generate and compile the policy's evaluate function; `id_field` is the
    field reported as the decision's `lead`."""
    codegen = _Codegen(policy, id_field)
    source = codegen.generate()
    code = compile(source, f"<qualdsl policy {policy.name}>", "exec")
    namespace = dict(codegen.namespace)
    exec(code, namespace)  # the generated source only, never policy text
    rules = tuple(
        RuleInfo(block.name, rule.name, rule) for block in policy.blocks for rule in block.rules
    )
    return CompiledPolicy(namespace["evaluate"], source, rules)
