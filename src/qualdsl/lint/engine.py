"""Run the lint rules over a policy and turn their findings into diagnostics."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Any

import attrs

from .. import nodes as n
from ..check import EVENT, LEAD, ROUTE, TIERS, CheckedPolicy, ConditionSite, Ref, expression_nodes, resolve
from ..diagnostics import Diagnostic, Severity
from ..errors import QualError
from ..source import is_policy_file
from .conditions import Reasoner
from .config import LintConfig
from .registry import COMPILE_ERROR, load_rules
from .scores import ScoreRange, outcome_facts, outcome_ranges

# `# qualdsl: ignore[QD101, QD106]` on a line silences those codes on it;
# `# qualdsl: ignore` without codes silences every rule on it.
SUPPRESSION = re.compile(r"#\s*qualdsl:\s*ignore(?:\[(?P<codes>[^\]]*)\])?", re.IGNORECASE)


@attrs.frozen
class Place:
    """A condition somewhere in a policy, and how to name where it is."""

    condition: n.Expr
    context: str  # LEAD, EVENT, TIERS or ROUTE
    where: str  # "tier `SQL`", "rule `demo` in block `fit`", ...
    path: str | None = None  # when the condition is in an included file


@attrs.frozen
class Read:
    """A name read somewhere, with what it means there."""

    name: n.Name
    ref: Ref
    context: str
    path: str  # the file it is written in
    let: str | None = None  # the let whose value reads it


class LintContext:
    """What every rule gets: the checked policy, the configuration, and shared
    analyses (computed once, on first use)."""

    def __init__(self, policy: CheckedPolicy, config: LintConfig):
        self.policy = policy
        self.config = config
        self._reasoners: dict[tuple[str, bool], Reasoner] = {}

    @property
    def path(self) -> str:
        return self.policy.source.path

    def reasoner(self, context: str, *, with_scores: bool = False) -> Reasoner:
        """The one reasoner of a context (shared by every rule, so what it
        works out about the lets is worked out once)."""
        with_scores = with_scores and context in (TIERS, ROUTE) and self.score_facts is not None
        key = (context, with_scores)
        if key not in self._reasoners:
            self._reasoners[key] = (Reasoner(self.policy, context, self.score_facts) if with_scores
                                    else Reasoner(self.policy, context))
        return self._reasoners[key]

    @functools.cached_property
    def score_ranges(self) -> dict[str, ScoreRange]:
        return outcome_ranges(self.policy)

    @functools.cached_property
    def score_facts(self) -> Any:
        return outcome_facts(self.policy)

    def places(self) -> Iterator[Place]:
        """Every condition in the policy, in source order (lets of included
        files too). Conditions inside `count(events where ...)` are included."""
        policy = self.policy
        for module in (policy.module, *policy.included):
            path = None if module is policy.module else module.path
            for item in module.items:
                if isinstance(item, n.LetDecl) and policy.let_types.get(item.name) == "bool":
                    yield from self._with_queries(Place(item.value, LEAD, f"let `{item.name}`", path))
        for site in policy.conditions():
            place = Place(site.expr, site.context, describe_site(site))
            yield from (self._with_queries(place) if site.kind != "where" else (place,))

    def _with_queries(self, place: Place) -> Iterator[Place]:
        yield place
        for node, _ in walk(place.condition, place.context):
            if isinstance(node, n.EventsQuery) and node.where is not None:
                yield Place(node.where, EVENT, f"the `where` of `count` in {place.where}", place.path)

    @functools.cached_property
    def reads(self) -> tuple[Read, ...]:
        """Every name the policy reads, where it is written (included lets too)."""
        policy = self.policy
        found: list[Read] = []

        def add(expr: Any, context: str, path: str, let: str | None = None) -> None:
            for node, inner in walk(expr, context):
                if isinstance(node, n.Name):
                    found.append(Read(node, resolve(policy, node, inner), inner, path, let))

        main = policy.source.path
        for module in (policy.module, *policy.included):
            for item in module.items:
                if isinstance(item, n.LetDecl):
                    add(item.value, LEAD, main if module is policy.module else module.path, item.name)
        for site in policy.conditions():
            add(site.expr, site.context, main)
        return tuple(found)

    def reads_events(self) -> bool:
        """Does anything count events (per-event rules or `count`)?"""
        if any(isinstance(rule, n.EventRule) for block in self.policy.blocks for rule in block.rules):
            return True
        return any(isinstance(node, n.Call) and node.function == "count" for node in self._all_nodes())

    def _all_nodes(self) -> Iterator[Any]:
        for place in self.places():
            for node, _ in walk(place.condition, place.context):
                yield node
        for decl in self.policy.lets.values():
            for node, _ in walk(decl.value, LEAD):
                yield node

    def snippet(self, node: Any, path: str | None = None) -> str:
        """The policy text of a node, on one line."""
        text = self.source_text(path or self.path) or ""
        return " ".join(text[node.span.start:node.span.end].split())

    def source_text(self, path: str) -> str | None:
        source = self.policy.sources.get(path)
        return source.text if source else None


def describe_site(site: ConditionSite) -> str:
    """How a finding names where a condition is: "tier `SQL`", ..."""
    owner: Any = site.owner
    if site.kind in ("require", "reject"):
        return f'`{site.kind} ... "{owner.reason}"`'
    if site.kind == "rule":
        return f"rule `{owner.name}` in block `{site.block}`"
    if site.kind == "where":
        return f"the `where` of rule `{owner.name}` in block `{site.block}`"
    if site.kind == "tier":
        return f"tier `{owner.name}`"
    return f'route to "{owner.queue}"'


# Every node of an expression with the context its names are read in (the
# checker's walker: inside `count(events where ...)` names are the event's).
walk = expression_nodes


# ============================================================== running


@attrs.frozen
class LintResult:
    """The diagnostics for one policy file (compile errors or lint findings)."""

    path: str
    diagnostics: tuple[Diagnostic, ...]
    compiled: bool


def lint_policy(policy: CheckedPolicy, config: LintConfig = LintConfig()) -> list[Diagnostic]:
    """Every enabled rule over a checked policy; suppressions applied, sorted."""
    rules = load_rules()
    context = LintContext(policy, config)
    found: list[Diagnostic] = []
    for code, rule in rules.items():
        if not config.enabled(code):
            continue
        for finding in rule.check(context):
            path = finding.path or policy.source.path
            found.append(Diagnostic(
                finding.message, path, finding.span, config.level(code, rule.level), code, finding.help,
                source_text=context.source_text(path),
            ))
    suppressed = suppressions(policy)
    kept = [d for d in found if not _silenced(d, suppressed)]
    unique = list(dict.fromkeys(kept))
    main = policy.source.path
    return sorted(unique, key=lambda d: (d.path != main, d.path, d.span.line, d.span.column, d.code or ""))


def suppressions(policy: CheckedPolicy) -> dict[tuple[str, int], frozenset[str] | None]:
    """(file, line) -> codes silenced there (None: every code)."""
    found: dict[tuple[str, int], frozenset[str] | None] = {}
    for module in (policy.module, *policy.included):
        path = policy.source.path if module is policy.module else module.path
        for comment in module.comments:
            match = SUPPRESSION.search(comment.text)
            if match is None:
                continue
            codes = match.group("codes")
            key = (path, comment.span.line)
            if codes is None:
                found[key] = None
            else:
                names = frozenset(c.strip().upper() for c in codes.split(",") if c.strip())
                previous = found.get(key, frozenset())
                found[key] = None if previous is None else previous | names
    return found


def _silenced(diagnostic: Diagnostic, suppressed: dict[tuple[str, int], frozenset[str] | None]) -> bool:
    key = (diagnostic.path, diagnostic.span.line)
    if key not in suppressed:
        return False
    codes = suppressed[key]
    return codes is None or (diagnostic.code or "") in codes


def lint_file(path: str, config: LintConfig = LintConfig()) -> LintResult:
    """Compile and lint one policy file. A policy that does not compile gets
    its compile errors (with their QE codes; QD000 for one without) and no
    lint findings."""
    from ..api import load

    try:
        policy = load(path)
    except QualError as error:
        diagnostics = tuple(
            attrs.evolve(d, code=d.code or COMPILE_ERROR.code,
                         severity=Severity.INFO if d.severity is Severity.INFO else Severity.ERROR)
            for d in error.diagnostics
        )
        return LintResult(path, diagnostics, compiled=False)
    return LintResult(path, tuple(lint_policy(policy.checked, config)), compiled=True)


__all__ = [
    "EVENT",
    "LEAD",
    "ROUTE",
    "TIERS",
    "LintContext",
    "LintResult",
    "Place",
    "Read",
    "is_policy_file",
    "lint_file",
    "lint_policy",
    "walk",
]
