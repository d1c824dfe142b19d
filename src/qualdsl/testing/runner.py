"""Running test items and measuring decision coverage.

An item's lead is decided by the policy as of the item's `as_of`; each
expectation is checked against the decision and a Mismatch records what was
expected, what happened, and where the expectation is written.

Decision coverage, per policy, over every decision the run made:
  - a rule is covered when it fired for at least one lead;
  - an ICP statement is covered when it failed at least one lead (its reason
    is among the decision's reasons; two statements with one reason text are
    covered together, since the decision names reasons, not statements);
  - a tier is covered when some lead got it (declared tiers; `disqualified`
    is measured by the ICP statements);
  - a route is covered when some lead was sent to its queue (queues are
    counted once even when several `to` lines name them).
  percent = 100 * covered items / all items (100 when a policy has no items).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any

import attrs

from .. import backends
from ..api import Policy
from ..backends import Evaluator
from ..decision import Decision
from ..diagnostics import Diagnostic
from ..errors import QualError
from .cases import (
    Expectation,
    NumberExpectation,
    PolicyCache,
    Suite,
    TestItem,
    load_suite,
    number_text,
)


@attrs.frozen
class Mismatch:
    """One expectation the decision did not meet."""

    expectation: Expectation
    expected: str
    actual: str

    @property
    def message(self) -> str:
        return f"{self.expectation.key}: expected {self.expected}, got {self.actual}"


@attrs.frozen
class Outcome:
    """An item, its decision, and the expectations it missed."""

    item: TestItem
    decision: Decision
    mismatches: tuple[Mismatch, ...]
    seconds: float = attrs.field(eq=False)

    @property
    def errors(self) -> tuple[Any, ...]:
        """Expectations naming what the policy does not have (TestItem.errors)."""
        return self.item.errors

    @property
    def passed(self) -> bool:
        return not self.mismatches and not self.item.errors


@attrs.frozen
class Coverage:
    """Which parts of one policy no decision in the run exercised."""

    policy: str
    path: str
    items: int
    covered: int
    rules_never_fired: tuple[str, ...]
    icp_never_failed: tuple[str, ...]
    tiers_never_reached: tuple[str, ...]
    routes_never_reached: tuple[str, ...]

    @property
    def percent(self) -> float:
        return 100.0 if self.items == 0 else 100.0 * self.covered / self.items


@attrs.frozen
class Run:
    """Everything a report needs."""

    suites: tuple[Suite, ...]
    outcomes: tuple[Outcome, ...]
    coverage: tuple[Coverage, ...]

    @property
    def passed(self) -> int:
        return sum(1 for o in self.outcomes if o.passed)

    @property
    def failed(self) -> int:
        return sum(1 for o in self.outcomes if not o.passed)

    @property
    def errors(self) -> int:
        """Suites that could not run: a bad test file or a policy that does not compile."""
        return sum(1 for s in self.suites if not s.ok)


def _show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_show(v) for v in value) + "]" if value else "none"
    if isinstance(value, str):
        return f'"{value}"' if any(c in value for c in " ,[]") else value
    return str(value)


def check(expectation: Expectation, decision: Decision) -> Mismatch | None:
    """The mismatch between an expectation and a decision, or None."""
    key, want = expectation.key, expectation.want
    if key == "icp":
        if decision.icp_pass == want:
            return None
        actual = "pass" if decision.icp_pass else f"fail ({_show(decision.reasons)})"
        return Mismatch(expectation, "pass" if want else "fail", actual)
    if key in ("tier", "route"):
        chosen = decision.tier if key == "tier" else decision.route
        return None if chosen == want else Mismatch(expectation, _show(want), _show(chosen))
    if key == "total" or key.startswith("scores."):
        assert isinstance(want, NumberExpectation)
        block = "total" if key == "total" else key.removeprefix("scores.")
        actual_score = decision.scores[block]
        if want.holds(actual_score):
            return None
        return Mismatch(expectation, want.describe(), number_text(actual_score))
    if key in ("reasons", "warnings"):
        actual_list = decision.reasons if key == "reasons" else decision.warnings
        if want is None:
            return None if not actual_list else Mismatch(expectation, "none", _show(actual_list))
        if key == "reasons":
            found = want in actual_list
            expected = f"{_show(want)} among the ICP reasons"
        else:
            found = any(want in warning for warning in actual_list)
            expected = f"a warning containing {_show(want)}"
        return None if found else Mismatch(expectation, expected, _show(actual_list))
    if key in ("fired", "not_fired"):
        block, rule = want
        result = next(r for r in decision.rules if (r.block, r.rule) == (block, rule))
        should_fire = key == "fired"
        if result.fired == should_fire:
            return None
        if should_fire:
            return Mismatch(expectation, f"{block}.{rule} to fire", "not fired")
        return Mismatch(expectation, f"{block}.{rule} not to fire",
                        f"fired ({number_text(result.points)} points)")
    raise AssertionError(key)


def run_item(policy: Evaluator, item: TestItem) -> Outcome:
    start = time.perf_counter()
    decision = policy.evaluate(item.lead, as_of=item.as_of)
    mismatches = tuple(m for m in (check(e, decision) for e in item.expectations) if m is not None)
    return Outcome(item, decision, mismatches, time.perf_counter() - start)


def coverage_of(policy: Policy, decisions: Iterable[Decision]) -> Coverage:
    """Decision coverage of one policy (see the module docstring)."""
    fired: set[tuple[str, str]] = set()
    reasons: set[str] = set()
    tiers: set[str | None] = set()
    routes: set[str | None] = set()
    for decision in decisions:
        fired.update((r.block, r.rule) for r in decision.rules if r.fired)
        reasons.update(decision.reasons)
        tiers.add(decision.tier)
        routes.add(decision.route)
    rules = [f"{r.block}.{r.rule}" for r in policy.rules if (r.block, r.rule) not in fired]
    icp = []
    statements = policy.checked.icp.statements if policy.checked.icp else ()
    for statement in statements:
        if statement.reason not in reasons:
            verb = "require" if type(statement).__name__ == "Require" else "reject"
            icp.append(f'line {statement.span.line}: {verb} … "{statement.reason}"')
    tier_names = list(policy.tiers)
    queues = list(dict.fromkeys(policy.routes))
    missing_tiers = [t for t in tier_names if t not in tiers]
    missing_routes = [q for q in queues if q not in routes]
    total = len(policy.rules) + len(statements) + len(tier_names) + len(queues)
    uncovered = len(rules) + len(icp) + len(missing_tiers) + len(missing_routes)
    return Coverage(policy.name, policy.path, total, total - uncovered, tuple(rules), tuple(icp),
                    tuple(missing_tiers), tuple(missing_routes))


def run_suites(suites: Sequence[Suite], backend: str = "python") -> Run:
    """Run every item of every suite that loaded cleanly on a backend (see
    backends/: the same suites hold every backend to the same decisions);
    measure coverage per policy. Raises BackendUnavailable."""
    outcomes: list[Outcome] = []
    by_policy: dict[str, tuple[Policy, list[Decision]]] = {}
    evaluators: dict[str, Evaluator] = {}
    ran: list[Suite] = []
    for suite in suites:
        ran.append(suite)
        if suite.policy is None:
            continue
        entry = by_policy.setdefault(suite.policy.path, (suite.policy, []))
        if not suite.ok:
            continue
        if suite.policy.path not in evaluators:
            evaluators[suite.policy.path] = (
                suite.policy if backend == "python" else backends.evaluator(backend, suite.policy.ir)
            )
        done: list[Outcome] = []
        try:
            for item in suite.items:
                done.append(run_item(evaluators[suite.policy.path], item))
        except QualError as refused:  # a SQL backend refusing the policy (compiled at the first lead)
            ran[-1] = attrs.evolve(suite, problems=tuple(refused.diagnostics))
            continue
        except backends.LeadRefused as refused:  # a lead the backend cannot hold exactly
            ran[-1] = attrs.evolve(suite, problems=(Diagnostic.error(
                f"the {backend} backend cannot decide case `{item.name}`: {refused}", item.path, item.span),))
            continue
        outcomes.extend(done)
        entry[1].extend(outcome.decision for outcome in done)
    coverage = tuple(coverage_of(policy, decisions) for policy, decisions in by_policy.values())
    return Run(tuple(ran), tuple(outcomes), coverage)


def run_paths(paths: Sequence[str], backend: str = "python") -> Run:
    """Load the given suite files and run them (the Python entry point)."""
    cache = PolicyCache()
    return run_suites([load_suite(path, cache) for path in paths], backend)
