"""Stage 3: nodes.Module -> CheckedPolicy.

Reads includes, then runs the checks in order (structure, schema, names,
blocks, expressions). Every problem becomes a diagnostic; the stage raises
CheckError once with all of them.

`resolve()` is the one place that says what a name means in a context; the
compiler and the linter call it too, so they agree with the checker.
"""

from __future__ import annotations

import collections
import difflib
import re

import attrs

from . import nodes as n
from .build import parse_module
from .diagnostics import Diagnostic
from .errors import CheckError, QualError, SourceError
from .schema import FIELD_TYPES, category, describe, element_type, list_type, literal_type
from .source import Source, Span

RESERVED_BLOCK_NAMES = ("total", "score", "icp", "tier")
DISQUALIFIED = "disqualified"
FUNCTIONS = {
    # name: (accepted argument categories, result type)
    "domain": (("string",), "string"),
    "lower": (("string",), "string"),
    "len": (("string", "list"), "int"),
    "days_since": (("time",), "int"),
    "count": ((), "int"),  # takes an events query
}
# Contexts a name can be read in.
LEAD, EVENT, TIERS, ROUTE = "lead", "event", "tiers", "route"


@attrs.frozen
class Ref:
    """What a name means where it is read."""

    kind: str  # field, event_field, let, set, outcome, tier, unknown
    name: str  # the let/set/tier/outcome name, or the dotted field path
    path: tuple[str, ...]
    type: str


@attrs.frozen
class FieldInfo:
    """A schema field."""

    path: tuple[str, ...]
    type: str
    span: Span
    file: str


@attrs.define
class CheckedPolicy:
    """A policy that is known to be meaningful, with everything resolved."""

    module: n.Module
    source: Source
    name: str
    title: str | None
    schema: dict[tuple[str, ...], FieldInfo] | None  # None: the policy has no schema
    events_field: tuple[str, ...] | None
    sets: dict[str, n.SetDecl]
    lets: dict[str, n.LetDecl]
    let_order: list[str]
    let_types: dict[str, str]
    icp: n.Icp | None
    blocks: tuple[n.ScoreBlock, ...]
    tiers: n.Tiers | None
    routes: n.Routes | None
    included: tuple[n.Module, ...] = ()
    sources: dict[str, Source] = attrs.Factory(dict)

    @property
    def tier_names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.tiers.tiers) if self.tiers else ()

    def resolve(self, name: n.Name, context: str) -> Ref:
        return resolve(self, name, context)


def resolve(policy: CheckedPolicy, name: n.Name, context: str) -> Ref:
    """The meaning of a name: the contract's lookup order, by context."""
    if name.is_bare:
        word = name.path[0]
        if context in (TIERS, ROUTE):
            if word == "score":
                return Ref("outcome", "score", name.path, "number")
            if any(block.name == word for block in policy.blocks):
                return Ref("outcome", word, name.path, "number")
            if word == "icp":
                return Ref("outcome", "icp", name.path, "bool")
            if context == ROUTE and word == "tier":
                return Ref("outcome", "tier", name.path, "tier")
        if word in policy.lets:
            return Ref("let", word, name.path, policy.let_types.get(word, "any"))
        if word in policy.sets:
            return Ref("set", word, name.path, list_type([i.value for i in policy.sets[word].items.items]))
        if context in (TIERS, ROUTE):
            folded = word.casefold()
            for tier in policy.tier_names + (DISQUALIFIED,):
                if tier.casefold() == folded:
                    return Ref("tier", tier, name.path, "tier")
    if context == EVENT:
        event_type = {("type",): "string", ("at",): "datetime"}.get(name.path, "any")
        return Ref("event_field", name.dotted, name.path, event_type)
    if policy.schema is None:
        if policy.events_field == name.path:
            return Ref("field", name.dotted, name.path, "events")
        return Ref("field", name.dotted, name.path, "any")
    info = policy.schema.get(name.path)
    if info is None:
        return Ref("unknown", name.dotted, name.path, "any")
    return Ref("field", name.dotted, name.path, info.type)


# ====================================================== loading + includes


def load_modules(source: Source, module: n.Module) -> tuple[list[n.Module], dict[str, Source], list[Diagnostic]]:
    """Read every file the policy includes (transitively) through the
    source's loader (see loader.py; a file on disk without one gets the
    FileSystemLoader of its folder or project). Returns included modules in
    first-seen order, their sources by path, and every problem."""
    from .loader import FileSystemLoader, Loader

    diagnostics: list[Diagnostic] = []
    sources = {source.path: source}
    modules: list[n.Module] = []
    if not any(isinstance(item, n.Include) for item in module.items):
        return modules, sources, diagnostics
    loader: Loader | None = source.loader
    main = source.name
    if loader is None:
        if source.path.startswith("<"):
            for item in module.all(n.Include):
                diagnostics.append(
                    Diagnostic.error(
                        "`include` needs the policy to be read from a file",
                        source.path, item.span,
                        help="load the policy with `qualdsl.load(path)`, or pass `path=` or `loader=` to "
                             "`loads` (on the command line: `--stdin-filename PATH`)",
                        source_text=source.text,
                    )
                )
            return modules, sources, diagnostics
        files = FileSystemLoader.for_policy(source.path)
        loader, main = files, files.name_of(source.path)
    seen = {main}
    # Breadth-first, each file in order; `chain` is the include path that led
    # to a file, so an include back into it is a cycle (a diamond is not).
    queue: collections.deque[tuple[n.Module, Source, str | None, tuple[str | None, ...]]] = collections.deque(
        [(module, source, main, (main,))]
    )
    while queue:
        current, current_source, current_name, chain = queue.popleft()
        for item in current.all(n.Include):
            def error(message: str, help: str | None = None, item: n.Include = item,
                      where: Source = current_source) -> None:
                diagnostics.append(Diagnostic.error(message, where.path, item.span, help=help,
                                                    source_text=where.text))

            try:
                included_source = loader.get_source(item.path, current_name)
            except SourceError as problem:  # refused or unreadable: say so where it is included
                first = problem.diagnostics[0]
                error(f"include {first.message}", first.help)
                continue
            key = included_source.name if included_source.name is not None else included_source.path
            if key in chain:
                error(f"include `{item.path}` makes a cycle")
                continue
            if key in seen:
                continue  # a file included twice is read once
            seen.add(key)
            try:
                included = parse_module(included_source)
            except QualError as problem:
                diagnostics.extend(problem.diagnostics)
                continue
            sources[included_source.path] = included_source
            modules.append(included)
            queue.append((included, included_source, key, chain + (key,)))
    return modules, sources, diagnostics


# ================================================================ checker


class _Checker:
    def __init__(self, module: n.Module, source: Source):
        self.module = module
        self.source = source
        self.diagnostics: list[Diagnostic] = []
        self.sources: dict[str, Source] = {source.path: source}

    def error(self, message: str, span: Span, help: str | None = None, path: str | None = None) -> None:
        path = path or self.source.path
        source = self.sources.get(path, self.source)
        self.diagnostics.append(Diagnostic.error(message, path, span, help=help, source_text=source.text))

    # ----------------------------------------------------------- structure
    def run(self) -> CheckedPolicy:
        module = self.module
        policy_decls = module.all(n.PolicyDecl)
        name, title = "policy", None
        if not policy_decls:
            self.error(
                "missing `policy` line",
                module.items[0].span if module.items else Span(0, 0, 1, 1, 1, 1),
                help='a policy file starts with `policy NAME "title"`',
            )
        else:
            name, title = policy_decls[0].name, policy_decls[0].title
            if module.items[0] is not policy_decls[0]:
                self.error("the `policy` line must come first", policy_decls[0].span)
            for extra in policy_decls[1:]:
                self.error(
                    "a second `policy` line",
                    extra.span,
                    help=f"a file holds one policy; this one is `{name}`",
                )
        for kind, word in ((n.Icp, "icp"), (n.Tiers, "tiers"), (n.Routes, "route")):
            for extra in module.all(kind)[1:]:
                self.error(f"a second `{word}` block", extra.span, help=f"merge it into the first `{word}` block")
        schemas = module.all(n.Schema)
        for extra in schemas[1:]:
            self.error("a second `schema` block", extra.span, help="merge it into the first `schema` block")

        included, sources, include_errors = load_modules(self.source, module)
        self.sources.update(sources)
        self.diagnostics.extend(include_errors)
        for other in included:
            for item in other.items:
                if not isinstance(item, (n.Schema, n.SetDecl, n.LetDecl, n.Include)):
                    word = _item_word(item)
                    self.error(
                        f"an included file may not hold `{word}`",
                        item.span,
                        help="an included file holds only `schema`, `set`, `let` and `include`",
                        path=other.path,
                    )

        all_modules = [module, *included]
        schema = self.check_schema(all_modules)
        events_field = None
        if schema is not None:
            events_fields = [info for info in schema.values() if info.type == "events"]
            for extra in events_fields[1:]:
                self.error(
                    f"a second `events` field `{'.'.join(extra.path)}`",
                    extra.span,
                    help=f"a policy has one events field; it is `{'.'.join(events_fields[0].path)}`",
                    path=extra.file,
                )
            if events_fields:
                events_field = events_fields[0].path
        else:
            events_field = ("events",)

        sets: dict[str, n.SetDecl] = {}
        lets: dict[str, n.LetDecl] = {}
        files_of: dict[str, str] = {}
        for current in all_modules:
            for item in current.items:
                if isinstance(item, (n.SetDecl, n.LetDecl)):
                    table = sets if isinstance(item, n.SetDecl) else lets
                    word = "set" if isinstance(item, n.SetDecl) else "let"
                    if item.name in table:
                        where = files_of[word + item.name]
                        self.error(
                            f"{word} `{item.name}` is defined twice",
                            item.span,
                            help=f"the first definition is in `{where}`" if where != current.path
                            else f"the first is at line {table[item.name].span.line}",
                            path=current.path,
                        )
                        continue
                    table[item.name] = item
                    files_of[word + item.name] = current.path
        self.set_files = {name: files_of["set" + name] for name in sets}
        self.let_files = {name: files_of["let" + name] for name in lets}

        icp = module.first(n.Icp)
        blocks = module.all(n.ScoreBlock)
        tiers = module.first(n.Tiers)
        routes = module.first(n.Routes)
        policy = CheckedPolicy(
            module=module, source=self.source, name=name, title=title, schema=schema,
            events_field=events_field, sets=sets, lets=lets, let_order=[], let_types={},
            icp=icp, blocks=blocks, tiers=tiers, routes=routes,  # type: ignore[arg-type]
            included=tuple(included), sources=self.sources,
        )
        self.policy = policy
        self.check_names()
        self.check_blocks()
        self.check_tiers_and_routes()
        self.check_lets()
        self.check_expressions()
        if self.diagnostics:
            raise CheckError(sorted(self.diagnostics, key=_order(self.source.path)))
        return policy

    # -------------------------------------------------------------- schema
    def check_schema(self, modules: list[n.Module]) -> dict[tuple[str, ...], FieldInfo] | None:
        schema: dict[tuple[str, ...], FieldInfo] | None = None
        for current in modules:
            for block in current.all(n.Schema):
                schema = {} if schema is None else schema
                for field in block.fields:
                    type_name = str(field.type)
                    if type_name not in FIELD_TYPES:
                        close = difflib.get_close_matches(type_name, FIELD_TYPES, n=1)
                        self.error(
                            f"unknown type `{type_name}` for field `{field.field.dotted}`",
                            field.type.span,
                            help=f"did you mean `{close[0]}`?" if close else f"types are {', '.join(FIELD_TYPES)}",
                            path=current.path,
                        )
                        continue
                    known = schema.get(field.field.path)
                    if known is not None:
                        if known.type != type_name:
                            self.error(
                                f"field `{field.field.dotted}` is declared as `{known.type}` and as `{type_name}`",
                                field.span,
                                help=f"the other declaration is in `{known.file}`, line {known.span.line}",
                                path=current.path,
                            )
                        elif known.file == current.path:
                            self.error(f"field `{field.field.dotted}` is declared twice", field.span, path=current.path)
                        continue
                    schema[field.field.path] = FieldInfo(field.field.path, type_name, field.span, current.path)
        return schema

    # --------------------------------------------------------------- names
    def check_names(self) -> None:
        policy = self.policy
        seen: dict[str, tuple[str, Span, str]] = {}

        def claim(name: str, what: str, span: Span, path: str) -> None:
            if name in seen:
                other_what, other_span, _ = seen[name]
                self.error(
                    f"{what} `{name}` has the same name as {other_what} `{name}`",
                    span,
                    help=f"the {other_what} is at line {other_span.line}; rename one of them",
                    path=path,
                )
            else:
                seen[name] = (what, span, path)

        if policy.schema:
            for info in policy.schema.values():
                if len(info.path) == 1:
                    seen[info.path[0]] = ("field", info.span, info.file)
        for name, decl in policy.sets.items():
            claim(name, "set", decl.span, self.set_files[name])
        for name, decl in policy.lets.items():
            claim(name, "let", decl.span, self.let_files[name])
        blocks_seen: set[str] = set()
        for block in policy.blocks:
            if block.name in RESERVED_BLOCK_NAMES:
                self.error(
                    f"a score block may not be named `{block.name}`",
                    block.span,
                    help=f"`{block.name}` already means something in tiers and routes",
                )
                continue
            if block.name in blocks_seen:
                self.error(f"score block `{block.name}` is defined twice", block.span)
                continue
            blocks_seen.add(block.name)
            claim(block.name, "score block", block.span, self.source.path)
        folded: dict[str, n.Tier] = {}
        for tier in policy.tiers.tiers if policy.tiers else ():
            if tier.name.casefold() == DISQUALIFIED:
                self.error(
                    "a tier may not be named `disqualified`",
                    tier.span,
                    help="`disqualified` is the tier of every lead that fails ICP",
                )
                continue
            if tier.name.casefold() in folded:
                first = folded[tier.name.casefold()]
                self.error(
                    f"tier `{tier.name}` is declared twice",
                    tier.span,
                    help=f"tier names ignore case; `{first.name}` is at line {first.span.line}",
                )
                continue
            folded[tier.name.casefold()] = tier
            claim(tier.name, "tier", tier.span, self.source.path)

    # -------------------------------------------------------------- blocks
    def check_blocks(self) -> None:
        for block in self.policy.blocks:
            if block.max is not None and block.min is not None and block.min > block.max:
                self.error(
                    f"block `{block.name}` has `min {_num(block.min)}` above `max {_num(block.max)}`",
                    block.span,
                )
            decays = [s for s in block.statements if isinstance(s, (n.DecayEvery, n.DecayHalfLife))]
            for extra in decays[1:]:
                self.error(f"block `{block.name}` declares `decay` twice", extra.span, help="a block has one decay")
            expires = [s for s in block.statements if isinstance(s, n.Expire)]
            for extra in expires[1:]:
                self.error(f"block `{block.name}` declares `expire` twice", extra.span)
            for statement in block.statements:
                if isinstance(statement, n.DecayEvery):
                    if not (0 < statement.percent <= 100):
                        self.error(
                            f"decay of {_num(statement.percent)}% is outside 0–100%",
                            statement.span,
                            help="a decay takes more than 0% and at most 100% per period",
                        )
                    self.check_period(statement.period)
                elif isinstance(statement, n.DecayHalfLife):
                    self.check_period(statement.period)
                elif isinstance(statement, n.Expire):
                    self.check_period(statement.after)
            names: dict[str, n.Rule] = {}
            for rule in block.rules:
                if rule.name in names:
                    self.error(
                        f"rule `{rule.name}` is defined twice in block `{block.name}`",
                        rule.span,
                        help=f"the first is at line {names[rule.name].span.line}; rule names are unique within a block",
                    )
                else:
                    names[rule.name] = rule
                if isinstance(rule, n.EventRule):
                    if rule.max is not None and rule.max < 1:
                        self.error(f"`max {rule.max}` counts no events", rule.span, help="`max` takes 1 or more")
                    if self.policy.events_field is None:
                        self.error(
                            f"rule `{rule.name}` counts events but the schema has no `events` field",
                            rule.span,
                            help="declare one in the schema: `events: events`",
                        )

    def check_period(self, duration: n.Duration) -> None:
        if duration.microseconds <= 0:
            self.error(f"the duration `{duration}` is zero", duration.span, help="a period must be longer than zero")

    # ------------------------------------------------------ tiers + routes
    def check_tiers_and_routes(self) -> None:
        policy = self.policy
        for block, items, word in (
            (policy.tiers, policy.tiers.tiers if policy.tiers else (), "tier"),
            (policy.routes, policy.routes.routes if policy.routes else (), "route"),
        ):
            for index, item in enumerate(items):
                if item.condition is None and index != len(items) - 1:
                    self.error(
                        "`otherwise` must be last",
                        item.span,
                        help=f"every {word} after it could never be chosen",
                    )

    # ---------------------------------------------------------------- lets
    def check_lets(self) -> None:
        policy = self.policy
        state: dict[str, int] = {}  # 1 visiting, 2 done
        order: list[str] = []

        def uses(name: str) -> list[str]:
            return [
                used.path[0] for used in _names_in(policy.lets[name].value)
                if used.is_bare and used.path[0] in policy.lets
            ]

        # Depth-first, with an explicit stack: a chain of thousands of lets
        # must not hit Python's recursion limit.
        for root in policy.lets:
            if state.get(root) == 2:
                continue
            state[root] = 1
            trail = [root]
            stack = [iter(uses(root))]
            while stack:
                for used in stack[-1]:
                    if state.get(used) == 2:
                        continue
                    if state.get(used) == 1:
                        cycle = trail[trail.index(used):] + [used]
                        self.error(
                            f"let `{used}` depends on itself: {' -> '.join(cycle)}",
                            policy.lets[used].span,
                            path=self.let_files[used],
                        )
                        continue
                    state[used] = 1
                    trail.append(used)
                    stack.append(iter(uses(used)))
                    break
                else:
                    stack.pop()
                    done = trail.pop()
                    state[done] = 2
                    order.append(done)
        policy.let_order = order
        # Types in dependency order, so a let's type is known before its users.
        for name in order:
            decl = policy.lets[name]
            policy.let_types[name] = self.expression(decl.value, LEAD, path=self.let_files[name])

    # --------------------------------------------------------- expressions
    def check_expressions(self) -> None:
        policy = self.policy
        if policy.icp:
            for statement in policy.icp.statements:
                self.condition(statement.condition, LEAD)
        for block in policy.blocks:
            for rule in block.rules:
                if isinstance(rule, n.WhenRule):
                    self.condition(rule.condition, LEAD)
                elif rule.where is not None:
                    self.condition(rule.where, EVENT)
        for tier in policy.tiers.tiers if policy.tiers else ():
            if tier.condition is not None:
                self.condition(tier.condition, TIERS)
        for route in policy.routes.routes if policy.routes else ():
            if route.condition is not None:
                self.condition(route.condition, ROUTE)

    def condition(self, expr: n.Expr, context: str, path: str | None = None) -> None:
        found = self.expression(expr, context, path)
        if category(found) not in ("bool", "any"):
            self.error(
                f"a condition must be true or false, but this is {describe(found)}",
                expr.span,
                help="compare it: `x >= 10`, `x == \"a\"`, `x is present`",
                path=path,
            )

    def expression(self, expr: n.Expr | n.EventsQuery, context: str, path: str | None = None) -> str:
        """Check an expression; return its static type."""
        check = getattr(self, "expr_" + type(expr).__name__)
        return check(expr, context, path)

    def expr_Literal(self, expr: n.Literal, context: str, path: str | None) -> str:
        return literal_type(expr.value)

    def expr_ListLiteral(self, expr: n.ListLiteral, context: str, path: str | None) -> str:
        return list_type([item.value for item in expr.items])

    def expr_Name(self, expr: n.Name, context: str, path: str | None) -> str:
        ref = resolve(self.policy, expr, context)
        if ref.kind == "unknown":
            self.unknown_name(expr, context, path)
        return ref.type

    def unknown_name(self, expr: n.Name, context: str, path: str | None, container: bool = False) -> None:
        policy = self.policy
        candidates = [".".join(p) for p in (policy.schema or {})]
        if expr.is_bare:
            candidates += list(policy.lets) + list(policy.sets)
            if context in (TIERS, ROUTE):
                candidates += ["score", "icp"] + [b.name for b in policy.blocks] + list(policy.tier_names)
                if context == ROUTE:
                    candidates.append("tier")
        close = difflib.get_close_matches(expr.dotted, candidates, n=1, cutoff=0.6)
        if not expr.is_bare:
            message, otherwise = f"unknown field `{expr.dotted}`", "declare the field in the schema"
        elif container:
            message = f"unknown set `{expr.dotted}`"
            otherwise = "define it with `set NAME = [...]`, or declare a list field in the schema"
        else:
            # A bare word may be a field, a let or a set (or, in tiers and
            # routes, an outcome or a tier): say which were tried.
            tried = "a score block, tier, let, set or schema field" if context in (TIERS, ROUTE) \
                else "a schema field, let or set"
            message = f"unknown name `{expr.dotted}`: not {tried}"
            otherwise = "declare the field in the schema, or define it with `let`"
        self.error(
            message,
            expr.span,
            help=f"did you mean `{close[0]}`?" if close else otherwise,
            path=path,
        )

    def expr_Call(self, expr: n.Call, context: str, path: str | None) -> str:
        if expr.function not in FUNCTIONS:
            close = difflib.get_close_matches(expr.function, FUNCTIONS, n=1)
            self.error(
                f"unknown function `{expr.function}`",
                expr.span,
                help=f"did you mean `{close[0]}`?" if close else f"functions are {', '.join(FUNCTIONS)}",
                path=path,
            )
            return "any"
        accepted, result = FUNCTIONS[expr.function]
        if len(expr.arguments) != 1:
            self.error(f"`{expr.function}` takes exactly one argument", expr.span, path=path)
            return result
        argument = expr.arguments[0]
        if expr.function == "count":
            if not isinstance(argument, n.EventsQuery):
                self.error(
                    "`count` counts events: write `count(events where ... within ...)`",
                    expr.span, path=path,
                )
                return result
            if context == EVENT:
                self.error("`count` cannot be used inside `where`", expr.span, path=path)
            if self.policy.events_field is None:
                self.error(
                    "`count` reads events but the schema has no `events` field",
                    expr.span, help="declare one in the schema: `events: events`", path=path,
                )
            if argument.where is not None:
                self.condition(argument.where, EVENT, path)
            if argument.within is not None:
                if argument.within.microseconds < 0:
                    self.error("`within` must not be negative", argument.within.span, path=path)
            return result
        if isinstance(argument, n.EventsQuery):
            self.error(
                f"`{expr.function}` cannot take an events query; only `count` can",
                argument.span, help="to name a field called `events`, write `` `events` ``", path=path,
            )
            return result
        found = self.expression(argument, context, path)
        if category(found) not in accepted and found != "any":
            wanted = " or ".join(describe(a if a != "time" else "date") for a in accepted)
            self.error(
                f"`{expr.function}` takes {wanted}, not {describe(found)}",
                argument.span, path=path,
            )
        return result

    def expr_EventsQuery(self, expr: n.EventsQuery, context: str, path: str | None) -> str:
        self.error("an events query only goes inside `count(...)`", expr.span, path=path)
        return "any"

    def _operands_bool(self, operands: tuple, context: str, path: str | None) -> str:
        for operand in operands:
            self.condition(operand, context, path)
        return "bool"

    def expr_Not(self, expr: n.Not, context: str, path: str | None) -> str:
        return self._operands_bool((expr.operand,), context, path)

    def expr_And(self, expr: n.And, context: str, path: str | None) -> str:
        return self._operands_bool(expr.operands, context, path)

    def expr_Or(self, expr: n.Or, context: str, path: str | None) -> str:
        return self._operands_bool(expr.operands, context, path)

    def _unknown_tier(self, expr: n.Compare | n.In, context: str, path: str | None) -> n.Expr | None:
        """`tier == X`: X must be a declared tier (or disqualified). Returns the
        side it reported on, so that side is not also reported as a field."""
        if context != ROUTE or not isinstance(expr, n.Compare):
            return None
        for side, other in ((expr.left, expr.right), (expr.right, expr.left)):
            if not (isinstance(side, n.Name) and resolve(self.policy, side, context) == Ref("outcome", "tier", ("tier",), "tier")):
                continue
            names = self.policy.tier_names + (DISQUALIFIED,)
            unknown = None
            if isinstance(other, n.Name) and other.is_bare and resolve(self.policy, other, context).kind in ("field", "unknown"):
                unknown = other.dotted
            elif isinstance(other, n.Literal) and isinstance(other.value, str) and \
                    other.value.casefold() not in {t.casefold() for t in names}:
                unknown = other.value
            if unknown is not None:
                close = difflib.get_close_matches(unknown, names, n=1)
                self.error(
                    f"unknown tier `{unknown}`",
                    other.span,
                    help=f"did you mean `{close[0]}`?" if close else f"tiers are {', '.join(names)}",
                    path=path,
                )
                return other
        return None

    def expr_Compare(self, expr: n.Compare, context: str, path: str | None) -> str:
        reported = self._unknown_tier(expr, context, path)
        if reported is not None:
            return "bool"
        left = self.expression(expr.left, context, path)
        right = self.expression(expr.right, context, path)
        self.comparable(expr.op, left, right, expr, path)
        return "bool"

    def comparable(self, op: str, left: str, right: str, expr: n.Expr, path: str | None) -> None:
        lc, rc = category(left), category(right)
        if "any" in (lc, rc):
            return
        if lc != rc:
            self.error(
                f"`{op}` compares {describe(left)} with {describe(right)}; it is never true",
                expr.span, help="compare values of the same type", path=path,
            )
        elif op not in ("==", "!=") and lc not in ("number", "string", "time"):
            self.error(f"`{op}` does not order {describe(left)} values", expr.span, path=path)

    def expr_In(self, expr: n.In, context: str, path: str | None) -> str:
        item = self.expression(expr.item, context, path)
        if isinstance(expr.container, n.Name) and expr.container.is_bare \
                and resolve(self.policy, expr.container, context).kind == "unknown":
            self.unknown_name(expr.container, context, path, container=True)
            return "bool"
        container = self.expression(expr.container, context, path)
        word = "not in" if expr.negated else "in"
        if category(container) not in ("list", "any"):
            self.error(
                f"`{word}` needs a list (a list literal, a set or a list field), not {describe(container)}",
                expr.container.span,
                help="to test for a substring, use `contains`" if category(container) == "string" else None,
                path=path,
            )
        elif category(container) == "list":
            element = element_type(container)
            if category(item) not in ("any",) and category(element) not in ("any",) \
                    and category(item) != category(element):
                self.error(
                    f"`{word}` looks for {describe(item)} in a list of {element} values; it never matches",
                    expr.span, path=path,
                )
        return "bool"

    def expr_Between(self, expr: n.Between, context: str, path: str | None) -> str:
        value = self.expression(expr.value, context, path)
        for bound in (expr.low, expr.high):
            self.comparable("between", value, self.expression(bound, context, path), expr, path)
        return "bool"

    def expr_StringTest(self, expr: n.StringTest, context: str, path: str | None) -> str:
        for side in (expr.left, expr.right):
            found = self.expression(side, context, path)
            if category(found) not in ("string", "any"):
                help = None
                if category(found) == "list" and side is expr.left:
                    help = "to test a list, write `\"value\" in field`"
                self.error(f"`{expr.op}` works on strings, not {describe(found)}", side.span, help=help, path=path)
        return "bool"

    def expr_Matches(self, expr: n.Matches, context: str, path: str | None) -> str:
        found = self.expression(expr.value, context, path)
        if category(found) not in ("string", "any"):
            self.error(f"`matches` works on strings, not {describe(found)}", expr.value.span, path=path)
        try:
            re.compile(expr.pattern, re.IGNORECASE if expr.ignore_case else 0)
        except re.error as problem:
            self.error(f"bad regex `/{expr.pattern}/`: {problem.msg}", expr.span, path=path)
        return "bool"

    def expr_IsMissing(self, expr: n.IsMissing, context: str, path: str | None) -> str:
        self.expression(expr.value, context, path)
        return "bool"

    def expr_Arith(self, expr: n.Arith, context: str, path: str | None) -> str:
        left = self.expression(expr.left, context, path)
        right = self.expression(expr.right, context, path)
        for found, side in ((left, expr.left), (right, expr.right)):
            if category(found) not in ("number", "any"):
                self.error(f"`{expr.op}` works on numbers, not {describe(found)}", side.span, path=path)
        if left == right == "int" and expr.op != "/":
            return "int"
        return "number"

    def expr_Negate(self, expr: n.Negate, context: str, path: str | None) -> str:
        found = self.expression(expr.operand, context, path)
        if category(found) not in ("number", "any"):
            self.error(f"`-` works on numbers, not {describe(found)}", expr.operand.span, path=path)
        return found if found in ("int", "number") else "number"


def _names_in(expr: object) -> list[n.Name]:
    """Every Name inside an expression (not inside `where`, which reads events)."""
    found: list[n.Name] = []
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, n.Name):
            found.append(node)
        elif isinstance(node, n.EventsQuery):
            if node.where is not None:
                stack.extend(x for x in _names_in(node.where) if x.is_bare)
        elif attrs.has(type(node)):
            for field in attrs.fields(type(node)):
                value = getattr(node, field.name)
                if isinstance(value, tuple):
                    stack.extend(value)
                elif attrs.has(type(value)):
                    stack.append(value)
    return found


def _item_word(item: object) -> str:
    return {
        n.PolicyDecl: "policy", n.Icp: "icp", n.ScoreBlock: "score", n.Tiers: "tiers", n.Routes: "route",
    }.get(type(item), type(item).__name__.lower())


def _num(value: object) -> str:
    text = str(value)
    return text[:-2] if text.endswith(".0") else text


def _order(main: str):
    def key(d: Diagnostic) -> tuple:
        return (d.path != main, d.path, d.span.line, d.span.column)

    return key


def check(module: n.Module, source: Source) -> CheckedPolicy:
    """Check a parsed policy; raise CheckError with every problem found."""
    return _Checker(module, source).run()
