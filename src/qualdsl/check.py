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
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import attrs

from . import nodes as n
from .build import parse_module
from .diagnostics import Diagnostic, Severity, Suggestion
from .errors import CheckError, QualError, SourceError
from .functions import FUNCTIONS
from .regex import regex_error
from .schema import FIELD_TYPES, category, describe, element_type, list_type, literal_type
from .source import Source, Span
from .visitor import children

RESERVED_BLOCK_NAMES = ("total", "score", "icp", "tier")
DISQUALIFIED = "disqualified"
# Contexts a name can be read in.
LEAD, EVENT, TIERS, ROUTE = "lead", "event", "tiers", "route"

# The numeric range of the language (docs/language.md, "Numbers"): points and
# block caps stay where float64 adds whole numbers exactly, so no sum of
# points can overflow; `max K` and durations stay where dates can be
# computed from them.
MAX_POINTS = 10**15
MAX_EVENTS_PER_RULE = 10**9
MAX_DURATION_DAYS = 365_000  # about 1,000 years
# Errors reported at most (as parse.MAX_SYNTAX_ERRORS): past this many, the
# rest are counted in one note, so a generated policy with thousands of
# unknown names cannot write hundreds of megabytes of diagnostics.
MAX_CHECK_ERRORS = 100


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


@attrs.frozen
class ConditionSite:
    """A place where the policy states a condition, and what reads it."""

    kind: str  # require, reject, rule, where, tier, route
    context: str  # LEAD, EVENT, TIERS or ROUTE: what names mean in `expr`
    expr: n.Expr
    owner: object  # the statement holding it (Require, WhenRule, EventRule, Tier, ...)
    block: str | None  # the score block of a rule or `where`; None elsewhere


@attrs.frozen
class _Names:
    """The lookup tables of `resolve`, built once per policy (a policy with
    thousands of statements must not scan them once per name read)."""

    blocks: frozenset[str]
    tiers: dict[str, str]  # casefolded name -> declared name (and `disqualified`)
    set_types: dict[str, str]


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
    _names: _Names | None = attrs.field(default=None, init=False, eq=False, repr=False)

    @property
    def tier_names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.tiers.tiers) if self.tiers else ()

    def resolve(self, name: n.Name, context: str) -> Ref:
        return resolve(self, name, context)

    def lookup(self) -> _Names:
        """The lookup tables (blocks, sets and tiers do not change once checked)."""
        if self._names is None:
            tiers = {DISQUALIFIED: DISQUALIFIED}
            for tier in reversed(self.tier_names):  # the first declaration wins
                tiers[tier.casefold()] = tier
            self._names = _Names(
                blocks=frozenset(block.name for block in self.blocks),
                tiers=tiers,
                set_types={
                    name: list_type([item.value for item in decl.items.items]) for name, decl in self.sets.items()
                },
            )
        return self._names

    def conditions(self) -> Iterator[ConditionSite]:
        """Every condition the policy states, in evaluation order: ICP, score
        rules (and the `where` of event rules), tiers, routes. Conditions
        inside `count(events where ...)` are part of their expression
        (walk it with `expression_nodes`)."""
        if self.icp:
            for statement in self.icp.statements:
                kind = "require" if isinstance(statement, n.Require) else "reject"
                yield ConditionSite(kind, LEAD, statement.condition, statement, None)
        for block in self.blocks:
            for rule in block.rules:
                if isinstance(rule, n.WhenRule):
                    yield ConditionSite("rule", LEAD, rule.condition, rule, block.name)
                elif rule.where is not None:
                    yield ConditionSite("where", EVENT, rule.where, rule, block.name)
        for tier in self.tiers.tiers if self.tiers else ():
            if tier.condition is not None:
                yield ConditionSite("tier", TIERS, tier.condition, tier, None)
        for route in self.routes.routes if self.routes else ():
            if route.condition is not None:
                yield ConditionSite("route", ROUTE, route.condition, route, None)


_EVENT_FIELD_TYPES: dict[tuple[str, ...], str] = {("type",): "string", ("at",): "datetime"}
_TIER_OUTCOME = Ref("outcome", "tier", ("tier",), "tier")


def resolve(policy: CheckedPolicy, name: n.Name, context: str) -> Ref:
    """The meaning of a name: the contract's lookup order, by context."""
    path = name.path
    if name.is_bare:
        word = path[0]
        tables = policy.lookup()
        if context in (TIERS, ROUTE):
            if word == "score":
                return Ref("outcome", "score", path, "number")
            if word in tables.blocks:
                return Ref("outcome", word, path, "number")
            if word == "icp":
                return Ref("outcome", "icp", path, "bool")
            if context == ROUTE and word == "tier":
                return Ref("outcome", "tier", path, "tier")
        if word in policy.lets:
            return Ref("let", word, path, policy.let_types.get(word, "any"))
        if word in policy.sets:
            return Ref("set", word, path, tables.set_types[word])
        if context in (TIERS, ROUTE):
            tier = tables.tiers.get(word.casefold())
            if tier is not None:
                return Ref("tier", tier, path, "tier")
    if context == EVENT:
        return Ref("event_field", name.dotted, path, _EVENT_FIELD_TYPES.get(path, "any"))
    if policy.schema is None:
        if policy.events_field == path:
            return Ref("field", name.dotted, path, "events")
        return Ref("field", name.dotted, path, "any")
    info = policy.schema.get(path)
    if info is None:
        return Ref("unknown", name.dotted, path, "any")
    return Ref("field", name.dotted, path, info.type)


def expression_nodes(expr: object, context: str) -> Iterator[tuple[object, str]]:
    """Every node of an expression, pre-order, with the context its names are
    read in: inside `count(events where ...)` they are the event's."""
    stack: list[tuple[object, str]] = [(expr, context)]
    while stack:
        node, current = stack.pop()
        yield node, current
        inner = EVENT if isinstance(node, n.EventsQuery) else current
        stack.extend((child, inner) for child in reversed(list(children(node))))


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

    def error(
        self, code: str, message: str, span: Span, help: str | None = None, path: str | None = None,
        suggestion: Suggestion | None = None,
    ) -> None:
        path = path or self.source.path
        source = self.sources.get(path, self.source)
        self.diagnostics.append(
            Diagnostic.error(message, path, span, help=help, code=code, source_text=source.text, suggestion=suggestion)
        )

    def did_you_mean(
        self, word: str, candidates: Iterable[str], span: Span, otherwise: str | None, cutoff: float = 0.6
    ) -> tuple[str | None, Suggestion | None]:
        """The help and the structured fix for a mistyped word: the closest
        candidate (difflib), or `otherwise` when none is close."""
        close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=cutoff)
        if not close:
            return otherwise, None
        message = f"did you mean `{close[0]}`?"
        return message, Suggestion(span, close[0], message)

    # ----------------------------------------------------------- structure
    def run(self) -> CheckedPolicy:
        module = self.module
        policy_decls = module.all(n.PolicyDecl)
        name, title = "policy", None
        if not policy_decls:
            self.error(
                "QE100", "missing `policy` line",
                module.items[0].span if module.items else Span(0, 0, 1, 1, 1, 1),
                help='a policy file starts with `policy NAME "title"`',
            )
        else:
            name, title = policy_decls[0].name, policy_decls[0].title
            if module.items[0] is not policy_decls[0]:
                self.error("QE101", "the `policy` line must come first", policy_decls[0].span)
            for extra in policy_decls[1:]:
                self.error(
                    "QE102", "a second `policy` line",
                    extra.span,
                    help=f"a file holds one policy; this one is `{name}`",
                )
        one_only: tuple[tuple[type[n.Icp | n.Tiers | n.Routes | n.Schema], str], ...] = (
            (n.Icp, "icp"), (n.Tiers, "tiers"), (n.Routes, "route"), (n.Schema, "schema"),
        )
        for kind, word in one_only:
            for block in module.all(kind)[1:]:
                self.error(
                    "QE103", f"a second `{word}` block", block.span, help=f"merge it into the first `{word}` block"
                )

        included, sources, include_errors = load_modules(self.source, module)
        self.sources.update(sources)
        self.diagnostics.extend(_with_include_code(d) for d in include_errors)
        # A file that could not be included may have defined any field, set
        # or let: an unknown name then is most likely its, not a mistake.
        self.failed_include = bool(include_errors)
        for other in included:
            for item in other.items:
                if not isinstance(item, (n.Schema, n.SetDecl, n.LetDecl, n.Include)):
                    word = _item_word(item)
                    self.error(
                        "QE104", f"an included file may not hold `{word}`",
                        item.span,
                        help="an included file holds only `schema`, `set`, `let` and `include`",
                        path=other.path,
                    )

        all_modules = [module, *included]
        schema = self.check_schema(all_modules)
        events_field = None
        if schema is not None:
            events_fields = [info for info in schema.values() if info.type == "events"]
            for extra_field in events_fields[1:]:
                self.error(
                    "QE108", f"a second `events` field `{'.'.join(extra_field.path)}`",
                    extra_field.span,
                    help=f"a policy has one events field; it is `{'.'.join(events_fields[0].path)}`",
                    path=extra_field.file,
                )
            if events_fields:
                events_field = events_fields[0].path
        else:
            events_field = ("events",)

        sets: dict[str, n.SetDecl] = {}
        lets: dict[str, n.LetDecl] = {}
        # "set" or "let" + name -> the first definition and its file
        first_of: dict[str, tuple[n.SetDecl | n.LetDecl, str]] = {}
        for current in all_modules:
            for item in current.items:
                if isinstance(item, (n.SetDecl, n.LetDecl)):
                    word = "set" if isinstance(item, n.SetDecl) else "let"
                    first = first_of.get(word + item.name)
                    if first is not None:
                        where = first[1]
                        self.error(
                            "QE109", f"{word} `{item.name}` is defined twice",
                            item.span,
                            help=f"the first definition is in `{where}`" if where != current.path
                            else f"the first is at line {first[0].span.line}",
                            path=current.path,
                        )
                        continue
                    first_of[word + item.name] = (item, current.path)
                    if isinstance(item, n.SetDecl):
                        sets[item.name] = item
                    else:
                        lets[item.name] = item
        self.set_files = {name: first_of["set" + name][1] for name in sets}
        self.let_files = {name: first_of["let" + name][1] for name in lets}

        icp = module.first(n.Icp)
        blocks = module.all(n.ScoreBlock)
        tiers = module.first(n.Tiers)
        routes = module.first(n.Routes)
        policy = CheckedPolicy(
            module=module, source=self.source, name=name, title=title, schema=schema,
            events_field=events_field, sets=sets, lets=lets, let_order=[], let_types={},
            icp=icp, blocks=blocks, tiers=tiers, routes=routes,
            included=tuple(included), sources=self.sources,
        )
        self.policy = policy
        self.check_names()
        self.check_blocks()
        self.check_tiers_and_routes()
        self.check_lets()
        self.check_expressions()
        if self.diagnostics:
            raise CheckError(_capped(sorted(self.diagnostics, key=_order(self.source.path)), self.source.path))
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
                        help, fix = self.did_you_mean(
                            type_name, FIELD_TYPES, field.type.span, f"types are {', '.join(FIELD_TYPES)}"
                        )
                        self.error(
                            "QE105", f"unknown type `{type_name}` for field `{field.field.dotted}`",
                            field.type.span, help=help, path=current.path, suggestion=fix,
                        )
                        continue
                    known = schema.get(field.field.path)
                    if known is not None:
                        if known.type != type_name:
                            self.error(
                                "QE106",
                                f"field `{field.field.dotted}` is declared as `{known.type}` and as `{type_name}`",
                                field.span,
                                help=f"the other declaration is in `{known.file}`, line {known.span.line}",
                                path=current.path,
                            )
                        elif known.file == current.path:
                            self.error(
                                "QE107", f"field `{field.field.dotted}` is declared twice", field.span,
                                path=current.path,
                            )
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
                    "QE110", f"{what} `{name}` has the same name as {other_what} `{name}`",
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
        for name, set_decl in policy.sets.items():
            claim(name, "set", set_decl.span, self.set_files[name])
        for name, let_decl in policy.lets.items():
            claim(name, "let", let_decl.span, self.let_files[name])
        blocks_seen: set[str] = set()
        for block in policy.blocks:
            if block.name in RESERVED_BLOCK_NAMES:
                self.error(
                    "QE111", f"a score block may not be named `{block.name}`",
                    block.span,
                    help=f"`{block.name}` already means something in tiers and routes",
                )
                continue
            if block.name in blocks_seen:
                self.error("QE112", f"score block `{block.name}` is defined twice", block.span)
                continue
            blocks_seen.add(block.name)
            claim(block.name, "score block", block.span, self.source.path)
        folded: dict[str, n.Tier] = {}
        for tier in policy.tiers.tiers if policy.tiers else ():
            if tier.name.casefold() == DISQUALIFIED:
                self.error(
                    "QE113", "a tier may not be named `disqualified`",
                    tier.span,
                    help="`disqualified` is the tier of every lead that fails ICP",
                )
                continue
            if tier.name.casefold() in folded:
                first = folded[tier.name.casefold()]
                self.error(
                    "QE114", f"tier `{tier.name}` is declared twice",
                    tier.span,
                    help=f"tier names ignore case; `{first.name}` is at line {first.span.line}",
                )
                continue
            folded[tier.name.casefold()] = tier
            claim(tier.name, "tier", tier.span, self.source.path)

    # -------------------------------------------------------------- blocks
    def check_blocks(self) -> None:
        for block in self.policy.blocks:
            for word, cap in (("max", block.max), ("min", block.min)):
                if cap is not None:
                    self.check_points(cap, f"the block's `{word}`", block.span)
            for rule in block.rules:
                self.check_points(rule.points, "the points", rule.span)
            if block.max is not None and block.min is not None and block.min > block.max:
                self.error(
                    "QE115", f"block `{block.name}` has `min {_num(block.min)}` above `max {_num(block.max)}`",
                    block.span,
                )
            decays = [s for s in block.statements if isinstance(s, (n.DecayEvery, n.DecayHalfLife))]
            for extra_decay in decays[1:]:
                self.error(
                    "QE116", f"block `{block.name}` declares `decay` twice", extra_decay.span,
                    help="a block has one decay",
                )
            expires = [s for s in block.statements if isinstance(s, n.Expire)]
            for extra_expire in expires[1:]:
                self.error("QE117", f"block `{block.name}` declares `expire` twice", extra_expire.span)
            for statement in block.statements:
                if isinstance(statement, n.DecayEvery):
                    if not (0 < statement.percent <= 100):
                        self.error(
                            "QE118", f"decay of {_num(statement.percent)}% is outside 0–100%",
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
                        "QE120", f"rule `{rule.name}` is defined twice in block `{block.name}`",
                        rule.span,
                        help=f"the first is at line {names[rule.name].span.line}; rule names are unique within a block",
                    )
                else:
                    names[rule.name] = rule
                if isinstance(rule, n.EventRule):
                    if rule.max is not None and rule.max < 1:
                        self.error(
                            "QE121", f"`max {rule.max}` counts no events", rule.span, help="`max` takes 1 or more"
                        )
                    elif rule.max is not None and rule.max > MAX_EVENTS_PER_RULE:
                        self.error(
                            "QE150", f"`max {_cut(str(rule.max))}` is out of range", rule.span,
                            help=f"`max` counts at most {MAX_EVENTS_PER_RULE:,} events",
                        )
                    if self.policy.events_field is None:
                        self.error(
                            "QE122", f"rule `{rule.name}` counts events but the schema has no `events` field",
                            rule.span,
                            help="declare one in the schema: `events: events`",
                        )

    def check_period(self, duration: n.Duration) -> None:
        if duration.microseconds <= 0:
            self.error(
                "QE119", f"the duration `{duration}` is zero", duration.span, help="a period must be longer than zero"
            )
        self.check_duration_range(duration)

    def check_duration_range(self, duration: n.Duration, path: str | None = None) -> None:
        if duration.microseconds > MAX_DURATION_DAYS * 86_400 * 1_000_000:
            self.error(
                "QE151", f"the duration `{_cut(str(duration))}` is out of range", duration.span,
                help=f"a duration is at most {MAX_DURATION_DAYS:,}d (about 1,000 years)", path=path,
            )

    def check_points(self, value: float | int, what: str, span: Span) -> None:
        if abs(value) > MAX_POINTS:
            self.error(
                "QE150", f"{what} `{_cut(_num(value))}` is out of range", span,
                help="points, `max` and `min` are at most 1,000,000,000,000,000 (1e15) in size",
            )

    # ------------------------------------------------------ tiers + routes
    def check_tiers_and_routes(self) -> None:
        policy = self.policy
        sections: tuple[tuple[Sequence[n.Tier | n.Route], str], ...] = (
            (policy.tiers.tiers if policy.tiers else (), "tier"),
            (policy.routes.routes if policy.routes else (), "route"),
        )
        for items, word in sections:
            for index, item in enumerate(items):
                if item.condition is None and index != len(items) - 1:
                    self.error(
                        "QE123", "`otherwise` must be last",
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
                            "QE124", f"let `{used}` depends on itself: {' -> '.join(cycle)}",
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
        for site in self.policy.conditions():
            self.condition(site.expr, site.context)

    def condition(self, expr: n.Expr, context: str, path: str | None = None) -> None:
        found = self.expression(expr, context, path)
        if category(found) not in ("bool", "any"):
            self.error(
                "QE125", f"a condition must be true or false, but this is {describe(found)}",
                expr.span,
                help="compare it: `x >= 10`, `x == \"a\"`, `x is present`",
                path=path,
            )

    def expression(self, expr: n.Expr | n.EventsQuery, context: str, path: str | None = None) -> str:
        """Check an expression; return its static type."""
        check: Callable[[Any, str, str | None], str] = getattr(self, "expr_" + type(expr).__name__)
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

    def hidden_by_failed_include(self, expr: n.Name) -> bool:
        return self.failed_include

    def unknown_name(self, expr: n.Name, context: str, path: str | None, container: bool = False) -> None:
        if self.hidden_by_failed_include(expr):
            return
        policy = self.policy
        candidates = [".".join(p) for p in (policy.schema or {})]
        if expr.is_bare:
            candidates += list(policy.lets) + list(policy.sets)
            if context in (TIERS, ROUTE):
                candidates += ["score", "icp"] + [b.name for b in policy.blocks] + list(policy.tier_names)
                if context == ROUTE:
                    candidates.append("tier")
        if not expr.is_bare:
            code, message, otherwise = "QE127", f"unknown field `{expr.dotted}`", "declare the field in the schema"
        elif container:
            code, message = "QE128", f"unknown set `{expr.dotted}`"
            otherwise = "define it with `set NAME = [...]`, or declare a list field in the schema"
        else:
            # A bare word may be a field, a let or a set (or, in tiers and
            # routes, an outcome or a tier): say which were tried.
            tried = "a score block, tier, let, set or schema field" if context in (TIERS, ROUTE) \
                else "a schema field, let or set"
            code, message = "QE126", f"unknown name `{expr.dotted}`: not {tried}"
            otherwise = "declare the field in the schema, or define it with `let`"
        help, fix = self.did_you_mean(expr.dotted, candidates, expr.span, otherwise)
        self.error(code, message, expr.span, help=help, path=path, suggestion=fix)

    def expr_Call(self, expr: n.Call, context: str, path: str | None) -> str:
        if expr.function not in FUNCTIONS:
            name_span = Span(
                expr.span.start, expr.span.start + len(expr.function), expr.span.line, expr.span.column,
                expr.span.line, expr.span.column + len(expr.function),
            )
            help, fix = self.did_you_mean(expr.function, FUNCTIONS, name_span, f"functions are {', '.join(FUNCTIONS)}")
            self.error("QE129", f"unknown function `{expr.function}`", expr.span, help=help, path=path, suggestion=fix)
            return "any"
        function = FUNCTIONS[expr.function]
        result = function.result
        if len(expr.arguments) != len(function.parameters):
            count = len(function.parameters)
            self.error(
                "QE130", f"`{expr.function}` takes exactly {'one argument' if count == 1 else f'{count} arguments'}",
                expr.span, path=path,
            )
            return result
        for argument, accepted in zip(expr.arguments, function.parameters):
            if "events_query" in accepted:
                self.events_argument(expr, argument, context, path)
            elif isinstance(argument, n.EventsQuery):
                self.error(
                    "QE134", f"`{expr.function}` cannot take an events query; only `count` can",
                    argument.span, help="to name a field called `events`, write `` `events` ``", path=path,
                )
            else:
                found = self.expression(argument, context, path)
                if category(found) not in accepted and found != "any":
                    wanted = " or ".join(describe(a if a != "time" else "date") for a in accepted)
                    self.error(
                        "QE135", f"`{expr.function}` takes {wanted}, not {describe(found)}",
                        argument.span, path=path,
                    )
        return result

    def events_argument(self, call: n.Call, argument: n.Expr | n.EventsQuery, context: str, path: str | None) -> None:
        """The argument of `count`: an events query over the lead's events."""
        if not isinstance(argument, n.EventsQuery):
            self.error(
                "QE131", f"`{call.function}` counts events: write `{call.function}(events where ... within ...)`",
                call.span, path=path,
            )
            return
        if context == EVENT:
            self.error("QE132", f"`{call.function}` cannot be used inside `where`", call.span, path=path)
        if self.policy.events_field is None:
            self.error(
                "QE122", f"`{call.function}` reads events but the schema has no `events` field",
                call.span, help="declare one in the schema: `events: events`", path=path,
            )
        if argument.where is not None:
            self.condition(argument.where, EVENT, path)
        if argument.within is not None:
            if argument.within.microseconds < 0:
                self.error("QE133", "`within` must not be negative", argument.within.span, path=path)
            self.check_duration_range(argument.within, path)

    def expr_EventsQuery(self, expr: n.EventsQuery, context: str, path: str | None) -> str:
        self.error("QE136", "an events query only goes inside `count(...)`", expr.span, path=path)
        return "any"

    def _operands_bool(self, operands: tuple[n.Expr, ...], context: str, path: str | None) -> str:
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
            is_tier = isinstance(side, n.Name) and resolve(self.policy, side, context) == _TIER_OUTCOME
            if not is_tier:
                continue
            names = self.policy.tier_names + (DISQUALIFIED,)
            unknown = None
            if (isinstance(other, n.Name) and other.is_bare
                    and resolve(self.policy, other, context).kind in ("field", "unknown")):
                unknown = other.dotted
            elif isinstance(other, n.Literal) and isinstance(other.value, str) and \
                    other.value.casefold() not in {t.casefold() for t in names}:
                unknown = other.value
            if unknown is not None:
                help, fix = self.did_you_mean(unknown, names, other.span, f"tiers are {', '.join(names)}")
                if fix is not None and isinstance(other, n.Literal):
                    fix = attrs.evolve(fix, replacement=json.dumps(fix.replacement, ensure_ascii=False))
                self.error("QE137", f"unknown tier `{unknown}`", other.span, help=help, path=path, suggestion=fix)
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
                "QE138", f"`{op}` compares {describe(left)} with {describe(right)}; it is never true",
                expr.span, help="compare values of the same type", path=path,
            )
        elif op not in ("==", "!=") and lc not in ("number", "string", "time"):
            self.error("QE139", f"`{op}` does not order {describe(left)} values", expr.span, path=path)

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
                "QE140", f"`{word}` needs a list (a list literal, a set or a list field), not {describe(container)}",
                expr.container.span,
                help="to test for a substring, use `contains`" if category(container) == "string" else None,
                path=path,
            )
        elif category(container) == "list":
            element = element_type(container)
            if category(item) not in ("any",) and category(element) not in ("any",) \
                    and category(item) != category(element):
                self.error(
                    "QE141", f"`{word}` looks for {describe(item)} in a list of {element} values; it never matches",
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
                self.error(
                    "QE142", f"`{expr.op}` works on strings, not {describe(found)}", side.span, help=help, path=path
                )
        return "bool"

    def expr_Matches(self, expr: n.Matches, context: str, path: str | None) -> str:
        found = self.expression(expr.value, context, path)
        if category(found) not in ("string", "any"):
            self.error("QE143", f"`matches` works on strings, not {describe(found)}", expr.value.span, path=path)
        problem = regex_error(expr.pattern, expr.ignore_case)
        if problem is not None:
            self.error(problem.code, f"bad regex `/{expr.pattern}/`: {problem.message}", expr.span, path=path)
        return "bool"

    def expr_IsMissing(self, expr: n.IsMissing, context: str, path: str | None) -> str:
        self.expression(expr.value, context, path)
        return "bool"

    def expr_Arith(self, expr: n.Arith, context: str, path: str | None) -> str:
        left = self.expression(expr.left, context, path)
        right = self.expression(expr.right, context, path)
        for found, side in ((left, expr.left), (right, expr.right)):
            if category(found) not in ("number", "any"):
                self.error("QE147", f"`{expr.op}` works on numbers, not {describe(found)}", side.span, path=path)
        if left == right == "int" and expr.op != "/":
            return "int"
        return "number"

    def expr_Negate(self, expr: n.Negate, context: str, path: str | None) -> str:
        found = self.expression(expr.operand, context, path)
        if category(found) not in ("number", "any"):
            self.error("QE148", f"`-` works on numbers, not {describe(found)}", expr.operand.span, path=path)
        return found if found in ("int", "number") else "number"


def _names_in(expr: object) -> list[n.Name]:
    """Every Name inside an expression that reads the lead's side: inside
    `where` (which reads events) only bare words, which may name lets and sets."""
    return [
        node for node, context in expression_nodes(expr, LEAD)
        if isinstance(node, n.Name) and (context != EVENT or node.is_bare)
    ]


# Codes of the include errors of `load_modules`, by the start of their message;
# an error it reports without a code gets one here (the loader may say why
# a file cannot be read in its own words: QE034).
_INCLUDE_MESSAGES = (
    ("`include` needs the policy", "QE030"),
    ("is an absolute path", "QE031"),
    ("leaves the policy's directory", "QE032"),
    ("makes a cycle", "QE033"),
)


def _with_include_code(diagnostic: Diagnostic) -> Diagnostic:
    if diagnostic.code is not None:
        return diagnostic
    for words, code in _INCLUDE_MESSAGES:
        if words in diagnostic.message:
            return attrs.evolve(diagnostic, code=code)
    return attrs.evolve(diagnostic, code="QE034")


def _item_word(item: object) -> str:
    return {
        n.PolicyDecl: "policy", n.Icp: "icp", n.ScoreBlock: "score", n.Tiers: "tiers", n.Routes: "route",
    }.get(type(item), type(item).__name__.lower())


def _cut(text: str) -> str:
    """A number as a message quotes it: a very long one is cut."""
    return text if len(text) <= 40 else f"{text[:20]}...{text[-10:]}"


def _num(value: object) -> str:
    text = str(value)
    return text[:-2] if text.endswith(".0") else text


def _capped(diagnostics: list[Diagnostic], path: str) -> list[Diagnostic]:
    """The first MAX_CHECK_ERRORS diagnostics, and a note counting the rest."""
    if len(diagnostics) <= MAX_CHECK_ERRORS:
        return diagnostics
    hidden = len(diagnostics) - MAX_CHECK_ERRORS
    last = diagnostics[MAX_CHECK_ERRORS - 1]
    note = Diagnostic.error(
        f"{hidden:,} more error{'s' if hidden != 1 else ''} not shown (the first {MAX_CHECK_ERRORS} are)",
        last.path, last.span, help="fix these and check again", code=last.code)
    return [*diagnostics[:MAX_CHECK_ERRORS], attrs.evolve(note, severity=Severity.INFO)]


def _order(main: str) -> Callable[[Diagnostic], tuple[bool, str, int, int]]:
    def key(d: Diagnostic) -> tuple[bool, str, int, int]:
        return (d.path != main, d.path, d.span.line, d.span.column)

    return key


def check(module: n.Module, source: Source) -> CheckedPolicy:
    """Check a parsed policy; raise CheckError with every problem found."""
    return _Checker(module, source).run()
