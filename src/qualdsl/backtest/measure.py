"""Run a backtest: decide every lead with a known outcome, then measure how
well tiers, routes, rules and scores predicted that outcome.

Rows come from batch.inputs (Row, or RowError for a row that cannot be
read). The engine that decides the usable ones is one entry of ENGINES:
`python` evaluates the leads read; `duckdb` runs the compiled SQL over the
same files and its decisions are matched to those rows by position.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import attrs
import click

from .. import nodes as n
from ..api import Policy, format_as_of
from ..asof import UNUSABLE, AsOf
from ..batch.inputs import Row, RowError
from ..decision import Decision
from . import stats
from .inputs import Outcomes

DISQUALIFIED = "disqualified"
MAX_CANDIDATES = 50  # thresholds tried per boundary: every distinct value, or quantiles
MAX_EXAMPLES = 5  # locations kept per reason a row was left out
MIN_FIRED = 10  # a rule that fired fewer times gets no verdict: its lift is noise



@attrs.frozen(slots=True)
class Usable:
    """A row with a known outcome and a moment, to be decided."""

    index: int  # its position among the rows read, error rows included
    lead: Mapping[str, Any]
    as_of: dt.datetime


class UsableRows:
    """The usable rows, in order; `read` counts every row read so far."""

    def __init__(self, rows: Iterator[Usable]) -> None:
        self.rows = rows
        self.read = 0

    def __iter__(self) -> Iterator[Usable]:
        return self.rows


Engine = Callable[[Policy, AsOf, UsableRows], Iterator[Decision]]


def python_engine(policy: Policy, as_of: AsOf, usable: UsableRows) -> Iterator[Decision]:
    for item in usable:
        yield policy.evaluate(item.lead, as_of=item.as_of)


def duckdb_engine(paths: Sequence[str], input_format: str | None) -> Engine:
    """The compiled SQL over `paths` in DuckDB (each row as of its own field
    with --as-of-field), its decisions matched to the rows read by position.
    InputError when DuckDB cannot read the files or reads other rows."""

    def decide(policy: Policy, as_of: AsOf, usable: UsableRows) -> Iterator[Decision]:
        from ..backends.sql.duckdb_engine import InputProblem, decisions
        from ..batch.engines import HandOver

        every = iter(decisions(policy, paths, as_of=as_of, format=input_format))
        position = 0  # decisions taken from DuckDB

        def mismatch(found: int) -> InputProblem:
            return InputProblem(f"{', '.join(paths)}: the duckdb engine read {found} rows where the reader read "
                                f"{usable.read}; use --engine python")

        rows = iter(usable)
        for item in rows:
            decision = None
            try:
                while position <= item.index:
                    decision = next(every, None)
                    if decision is None:
                        raise mismatch(position)
                    position += 1
            except HandOver as over:  # a lead DuckDB cannot decide exactly: Python decides the rest
                click.echo(over.note, err=True)
                yield policy.evaluate(item.lead, as_of=item.as_of)
                yield from python_engine(policy, as_of, UsableRows(rows))
                return
            assert decision is not None
            if decision.as_of != format_as_of(item.as_of):
                raise mismatch(position) if as_of.moment is not None else RuntimeError(
                    f"engines disagree on the as-of time of row {item.index + 1}: "
                    f"{decision.as_of} against {format_as_of(item.as_of)}")
            yield decision
        position += sum(1 for _ in every)
        if position != usable.read:
            raise mismatch(position)

    return decide


# name -> what makes the engine from the inputs (paths, --input-format)
ENGINES: dict[str, Callable[[Sequence[str], str | None], Engine]] = {
    "python": lambda paths, input_format: python_engine,
    "duckdb": duckdb_engine,
}


# ------------------------------------------------------------------ results


@attrs.frozen
class Group:
    """The leads of one tier or route, and how they converted."""

    name: str | None
    leads: int
    positives: int
    rate: float | None
    ci_low: float | None
    ci_high: float | None
    share: float | None  # of all conversions

    def to_dict(self, key: str) -> dict[str, Any]:
        return {key: self.name, "leads": self.leads, "positives": self.positives, "rate": self.rate,
                "ci_low": self.ci_low, "ci_high": self.ci_high, "share": self.share}


@attrs.frozen
class RuleStat:
    """How a rule's firing relates to conversion, beside the points it gives."""

    block: str
    rule: str
    points: float
    per_event: bool
    fired: int
    positives_fired: int
    rate_fired: float | None
    rate_not_fired: float | None
    lift: float | None  # rate when fired / base rate
    disagreement: float | None  # how far its points are from what its lift says
    verdict: str = ""  # "overvalued", "undervalued", a wrong sign, or ""

    def to_dict(self) -> dict[str, Any]:
        return {"block": self.block, "rule": self.rule, "fired": self.fired,
                "positives_fired": self.positives_fired, "rate_fired": self.rate_fired,
                "rate_not_fired": self.rate_not_fired, "lift": self.lift}


@attrs.frozen
class Threshold:
    """A tier boundary `MEASURE >= N` and the thresholds it could have."""

    tier: str
    measure: str  # "score" or a block name
    op: str  # ">=" or ">"
    current: float
    leads: int  # ICP-passing leads measured
    cuts: tuple[stats.Cut, ...]
    at_current: stats.Cut | None
    best_f1: stats.Cut | None
    target: stats.Cut | None
    target_volume: float | None  # the --target-volume share asked for, 0-1

    def to_dict(self) -> dict[str, Any]:
        def cut(value: stats.Cut | None) -> dict[str, Any] | None:
            return value.to_dict() if value is not None else None

        return {"tier": self.tier, "measure": self.measure, "op": self.op, "current": self.current,
                "leads": self.leads, "at_current": cut(self.at_current), "best_f1": cut(self.best_f1),
                "target_volume": self.target_volume, "for_target_volume": cut(self.target),
                "sweep": [c.to_dict() for c in self.cuts]}


@attrs.frozen
class Skipped:
    """Rows left out of the measures, by reason, with a few locations."""

    reason: str  # "could not be read", "outcome missing", "outcome not a known value", ...
    count: int
    examples: tuple[str, ...]
    values: tuple[tuple[str, int], ...] = ()  # unknown outcome values, most frequent first


@attrs.frozen
class Backtest:
    policy: str
    policy_hash: str
    as_of: str
    outcome: str
    leads: int
    positives: int
    base_rate: float | None
    tiers: tuple[Group, ...]
    routes: tuple[Group, ...]
    rules: tuple[RuleStat, ...]
    auc: dict[str, float | None]
    deciles: tuple[stats.Decile, ...]
    thresholds: tuple[Threshold, ...]
    warnings: tuple[str, ...]
    skipped: tuple[Skipped, ...]
    # Per lead, for the charts: total score and outcome, in input order.
    totals: tuple[float, ...] = ()
    labels: tuple[bool, ...] = ()
    roc: tuple[tuple[float, float], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The JSON report: exactly these keys (see docs/backtest.md)."""
        return {
            "policy": self.policy,
            "policy_hash": self.policy_hash,
            "leads": self.leads,
            "positives": self.positives,
            "base_rate": self.base_rate,
            "tiers": [g.to_dict("tier") for g in self.tiers],
            "routes": [g.to_dict("route") for g in self.routes],
            "rules": [r.to_dict() for r in self.rules],
            "auc": dict(self.auc),
            "deciles": [d.to_dict() for d in self.deciles],
            "thresholds": [t.to_dict() for t in self.thresholds],
            "warnings": list(self.warnings),
        }


# ------------------------------------------------------------------ running


@attrs.define
class _Lead:
    converted: bool
    tier: str | None
    route: str | None
    icp: bool
    scores: dict[str, float]
    fired: tuple[bool, ...]


def run_backtest(
    policy: Policy,
    rows: Iterable[Row | RowError],
    outcomes: Outcomes,
    as_of: AsOf,
    *,
    engine: Engine = python_engine,
    target_volume: float | None = None,
) -> Backtest:
    """Decide every usable row and measure. Raises batch.inputs.InputError
    when an input as a whole cannot be read; never on the data of one lead."""
    skips: dict[str, list[str]] = {}
    counts: Counter[str] = Counter()
    unknown: Counter[str] = Counter()

    def skip(reason: str, location: str) -> None:
        counts[reason] += 1
        examples = skips.setdefault(reason, [])
        if len(examples) < MAX_EXAMPLES:
            examples.append(location)

    converted: list[bool] = []

    def usable() -> Iterator[Usable]:
        for index, record in enumerate(rows):
            found.read = index + 1
            if type(record) is not Row:
                assert isinstance(record, RowError)
                skip("could not be read", f"{record.location}: {record.error}")
                continue
            lead = record.lead
            location = f"{record.source}:{record.line}"
            outcome, why = outcomes.read(lead)
            if outcome is None:
                if why == "missing":
                    skip("outcome missing", location)
                else:
                    assert why is not None
                    skip("outcome not a known value", f"{location}: {why}")
                    unknown[why] += 1
                continue
            moment, problem = as_of.read(lead)
            if moment is None:
                skip(UNUSABLE, f"{location}: {problem}")
                continue
            converted.append(outcome)
            yield Usable(index, lead, moment)

    found = UsableRows(usable())
    leads: list[_Lead] = []
    for index, decision in enumerate(engine(policy, as_of, found)):
        leads.append(_Lead(converted[index], decision.tier, decision.route, decision.icp_pass,
                           decision.scores, tuple(r.fired for r in decision.rules)))

    skipped = tuple(
        Skipped(reason, counts[reason], tuple(skips[reason]),
                tuple(unknown.most_common(10)) if reason == "outcome not a known value" else ())
        for reason in counts
    )
    return _measure(policy, leads, skipped, as_of.describe(), outcomes.field, target_volume)


def _group(name: str | None, members: Sequence[_Lead], all_positives: int) -> Group:
    hits = sum(1 for lead in members if lead.converted)
    low, high = stats.wilson(hits, len(members))
    return Group(name, len(members), hits, stats.rate(hits, len(members)), low, high,
                 stats.rate(hits, all_positives))


def _groups(names: Sequence[str | None], leads: Sequence[_Lead], key: Callable[[_Lead], str | None],
            positives: int) -> tuple[Group, ...]:
    members: dict[str | None, list[_Lead]] = {name: [] for name in names}
    for lead in leads:
        members.setdefault(key(lead), []).append(lead)
    return tuple(_group(name, found, positives) for name, found in members.items())


def _measure(policy: Policy, leads: list[_Lead], skipped: tuple[Skipped, ...], as_of: str,
             outcome: str, target_volume: float | None) -> Backtest:
    labels = [lead.converted for lead in leads]
    positives = sum(labels)
    base = stats.rate(positives, len(leads))
    tier_names: list[str | None] = [*policy.tiers, DISQUALIFIED] if policy.tiers else [DISQUALIFIED]
    tiers = _groups(tier_names, leads, lambda lead: lead.tier, positives)
    if not policy.tiers and not any(lead.tier == DISQUALIFIED for lead in leads):
        tiers = tuple(g for g in tiers if g.name != DISQUALIFIED)  # no tiers, no ICP failures: no table
    routes = _groups(list(policy.routes), leads, lambda lead: lead.route, positives) if policy.routes else ()
    totals = [lead.scores["total"] for lead in leads]
    auc: dict[str, float | None] = {"total": stats.roc_auc(totals, labels)}
    for block in policy.blocks:
        auc[block] = stats.roc_auc([lead.scores[block] for lead in leads], labels)
    rules = _rule_stats(policy, leads, base)
    thresholds = _thresholds(policy, leads, target_volume)
    warnings = _warnings(tiers, skipped, len(leads), positives)
    return Backtest(
        policy=policy.name, policy_hash=policy.hash, as_of=as_of, outcome=outcome,
        leads=len(leads), positives=positives, base_rate=base, tiers=tiers, routes=routes,
        rules=rules, auc=auc, deciles=tuple(stats.deciles(totals, labels)), thresholds=thresholds,
        warnings=tuple(warnings), skipped=skipped, totals=tuple(totals), labels=tuple(labels),
        roc=tuple(stats.roc_curve(totals, labels)),
    )


def _rule_stats(policy: Policy, leads: Sequence[_Lead], base: float | None) -> tuple[RuleStat, ...]:
    all_positives = sum(1 for lead in leads if lead.converted)
    found: list[RuleStat] = []
    for index, info in enumerate(policy.rules):
        fired = sum(1 for lead in leads if lead.fired[index])
        hits = sum(1 for lead in leads if lead.fired[index] and lead.converted)
        rate_fired = stats.rate(hits, fired)
        lift = rate_fired / base if rate_fired is not None and base else None
        found.append(RuleStat(info.block, info.rule, float(info.node.points),
                              isinstance(info.node, n.EventRule), fired, hits, rate_fired,
                              stats.rate(all_positives - hits, len(leads) - fired), lift, None))
    return tuple(sorted(_with_disagreement(found, base), key=_disagreement_order))


def _ranks(values: Sequence[float]) -> list[float]:
    """1 for the largest value; ties share their mean rank."""
    order = sorted(range(len(values)), key=lambda i: -values[i])
    ranks = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        for i in order[start:end + 1]:
            ranks[i] = (start + end) / 2 + 1
        start = end + 1
    return ranks


def _clear(rule: RuleStat, base: float | None) -> bool:
    low, high = stats.wilson(rule.positives_fired, rule.fired)
    return base is not None and low is not None and high is not None and not low <= base <= high


def _with_disagreement(rules: list[RuleStat], base: float | None) -> list[RuleStat]:
    """Rank the rules by points and by lift: a rule ranked far higher by its
    points than by its lift is overvalued, far lower undervalued; points of
    the wrong sign (a bonus for leads that convert below average) are the
    worst. Rules that never fired have no lift and no verdict."""
    known = [r for r in rules if r.lift is not None]
    if len(known) < 2:
        return rules
    by_points = _ranks([r.points for r in known])
    by_lift = _ranks([r.lift for r in known if r.lift is not None])
    scale = len(known) - 1
    judged: dict[int, RuleStat] = {}
    for r, rank_points, rank_lift in zip(known, by_points, by_lift):
        assert r.lift is not None
        if r.fired < MIN_FIRED:
            judged[id(r)] = attrs.evolve(r, verdict=f"fired {r.fired}×: too few to judge")
            continue
        gap = (rank_lift - rank_points) / scale  # > 0: the points rank it higher than its lift does
        # A wrong sign counts only when the rule's interval excludes the base
        # rate: 3 of 4 leads converting is not yet evidence.
        wrong_sign = ((r.points > 0 and r.lift < 1) or (r.points < 0 and r.lift > 1)) and _clear(r, base)
        verdict = ""
        if wrong_sign:
            verdict = "adds points, converts below average" if r.points > 0 else \
                "takes points, converts above average"
        elif gap >= 0.25:
            verdict = "overvalued"
        elif gap <= -0.25:
            verdict = "undervalued"
        judged[id(r)] = attrs.evolve(r, disagreement=abs(gap) + (1.0 if wrong_sign else 0.0), verdict=verdict)
    return [judged.get(id(r), r) for r in rules]


def _disagreement_order(rule: RuleStat) -> tuple[float, str, str]:
    # Rules that never fired (no evidence) come last.
    return (-(rule.disagreement if rule.disagreement is not None else -1.0), rule.block, rule.rule)


def boundaries(policy: Policy) -> list[tuple[str, str, str, float]]:
    """(tier, measure, op, N) for every `score >= N` / `BLOCK > N` comparison in
    a tier condition (`N <= score` too), in policy order."""
    measures = {"score", *policy.blocks}
    found: list[tuple[str, str, str, float]] = []
    flipped = {"<=": ">=", "<": ">"}

    def walk(tier: str, node: Any) -> None:
        if isinstance(node, n.Compare):
            left, right, op = node.left, node.right, node.op
            if isinstance(left, n.Literal) and op in flipped:
                left, right, op = right, left, flipped[op]
            if (op in (">=", ">") and isinstance(left, n.Name) and len(left.path) == 1
                    and left.path[0] in measures and isinstance(right, n.Literal)
                    and isinstance(right.value, (int, float)) and not isinstance(right.value, bool)):
                found.append((tier, left.path[0], op, float(right.value)))
            return
        if isinstance(node, (n.And, n.Or)):
            for operand in node.operands:
                walk(tier, operand)
        elif isinstance(node, n.Not):
            pass  # `not score >= 50` is an upper bound, not a boundary to sweep

    tiers = policy.checked.tiers
    for tier in tiers.tiers if tiers else ():
        if tier.condition is not None:
            walk(tier.name, tier.condition)
    return found


def _candidates(values: Sequence[float], current: float) -> list[float]:
    distinct = sorted(set(values))
    if len(distinct) > MAX_CANDIDATES:
        distinct = sorted({distinct[round(i * (len(distinct) - 1) / (MAX_CANDIDATES - 1))]
                           for i in range(MAX_CANDIDATES)})
    return sorted({*distinct, current})


def _thresholds(policy: Policy, leads: Sequence[_Lead], target_volume: float | None) -> tuple[Threshold, ...]:
    # Tiers are only reached by leads that pass ICP: those are the population.
    population = [lead for lead in leads if lead.icp]
    labels = [lead.converted for lead in population]
    found = []
    for tier, measure, op, current in boundaries(policy):
        key = "total" if measure == "score" else measure
        values = [lead.scores[key] for lead in population]
        # `> N` keeps leads strictly above N: the cut at the next value up.
        cuts = tuple(stats.sweep(values, labels, _candidates(values, current)))
        if op == ">":
            above = [c for c in cuts if c.threshold > current]
            at_current = above[0] if above else None
        else:
            at_current = next((c for c in cuts if c.threshold == current), None)
        found.append(Threshold(
            tier, measure, op, current, len(population), cuts, at_current, stats.best_f1(cuts),
            stats.for_volume(cuts, target_volume) if target_volume is not None else None, target_volume))
    return tuple(found)


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def _warnings(tiers: Sequence[Group], skipped: Sequence[Skipped], leads: int, positives: int) -> list[str]:
    warnings: list[str] = []
    for item in skipped:
        line = f"{item.count} row{'s' if item.count != 1 else ''} left out: {item.reason}"
        if item.values:
            line += " (" + ", ".join(f"{value!r} ×{count}" for value, count in item.values) + ")"
        warnings.append(line)
    if leads == 0:
        warnings.append("no usable leads: nothing to measure")
        return warnings
    if positives == 0:
        warnings.append("no lead converted: rates are 0 and the AUC is undefined")
    elif positives == leads:
        warnings.append("every lead converted: the AUC is undefined")
    for group in tiers:
        if group.leads == 0 and group.name != DISQUALIFIED:  # no ICP failure is no problem
            warnings.append(f"tier {group.name} has no leads")
    ranked = [g for g in tiers if g.leads]
    for position, higher in enumerate(ranked[:-1]):
        # Against the best-converting tier anywhere below, not only the next
        # one: hot 30%, warm 20%, cold 40% is a problem for hot too.
        lower = max(ranked[position + 1:], key=lambda g: g.rate or 0.0)
        assert higher.rate is not None and lower.rate is not None
        if higher.rate < lower.rate:
            overlap = (higher.ci_high is not None and lower.ci_low is not None
                       and higher.ci_high >= lower.ci_low)
            warnings.append(
                f"tier {higher.name} converts worse ({_percent(higher.rate)} of {higher.leads}) than "
                f"{lower.name} below it ({_percent(lower.rate)} of {lower.leads})"
                + ("; the 95% intervals overlap, so it may be chance" if overlap else ""))
    if leads < 30:
        warnings.append(f"only {leads} lead{'s' if leads != 1 else ''}: every rate is uncertain "
                        "(see the intervals)")
    return warnings
