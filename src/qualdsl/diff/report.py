"""Rendering a diff: text for a terminal, markdown for a pull request, JSON.

Markdown reads top-down the way a reviewer decides: headline counts first,
warnings (demotions, disqualifications, the --fail-above gate), the transition
tables, then the changes grouped by section with before/after collapsed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import attrs

from .impact import Impact, OutcomeSummary, Transition
from .semantic import SECTIONS, Change, Changed, Moved, change_to_dict

SECTION_TITLES = {
    "policy": "Policy", "schema": "Schema", "set": "Sets", "let": "Lets", "icp": "ICP",
    "score": "Scores", "tiers": "Tiers", "route": "Routes",
}
NONE = "—"  # a missing tier or route (a policy without tiers, or a new policy)


@attrs.frozen
class DiffReport:
    """Everything `qualdsl diff` found, ready to render."""

    old_label: str
    new_label: str
    changes: tuple[Change, ...]
    impact: Impact | None = None
    fail_above: float | None = None
    old_missing: bool = False  # the policy does not exist in the old version

    @property
    def gate_tripped(self) -> bool:
        """More than --fail-above percent of leads change tier or route."""
        return (self.fail_above is not None and self.impact is not None
                and self.impact.shifted_percent > self.fail_above)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "old": self.old_label,
            "new": self.new_label,
            "changes": [change_to_dict(c) for c in self.changes],
        }
        if self.impact is not None:
            data["impact"] = self.impact.to_dict()
        if self.fail_above is not None:
            data["fail_above"] = {"percent": self.fail_above, "tripped": self.gate_tripped}
        return data


def render_json(report: DiffReport) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False)


# ================================================================= helpers


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count:,} {word if count == 1 else (plural or word + 's')}"


def _percent(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:.1f}%" if whole else "0.0%"


def _value(value: str | None) -> str:
    return NONE if value is None else value


def _number(value: float) -> str:
    text = f"{value:+.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("+0", "-0") else text


def _grouped(changes: Iterable[Change]) -> list[tuple[str, list[Change]]]:
    by_section: dict[str, list[Change]] = {}
    for change in changes:
        by_section.setdefault(change.section, []).append(change)
    return [(s, by_section[s]) for s in SECTIONS if s in by_section]


def _summary_line(change: Change) -> str:
    """`changed fit.right_size (points, condition)`, `moved tier MQL (2 → 1)`."""
    if isinstance(change, Moved):
        return f"position {change.before} → {change.after}"
    if isinstance(change, Changed):
        detail = ", ".join(change.aspects)
        if change.items_added:
            detail += "; added " + ", ".join(change.items_added)
        if change.items_removed:
            detail += "; removed " + ", ".join(change.items_removed)
        return detail
    return ""


def _before_after(change: Change) -> tuple[str | None, str | None]:
    if isinstance(change, Moved):
        return None, change.statement
    return change.before, change.after


def _headline_counts(report: DiffReport) -> str:
    count = len(report.changes)
    if not count:
        return "no semantic change"
    parts = ", ".join(f"{SECTION_TITLES[s].lower()} {len(items)}" for s, items in _grouped(report.changes))
    return f"{_plural(count, 'change')} ({parts})"


def _impact_sentence(impact: Impact, strong: str = "") -> str:
    s = strong

    def verb(count: int) -> str:
        return "changes" if count == 1 else "change"

    return (f"{s}{_plural(impact.tier_changed, 'lead')} {verb(impact.tier_changed)} tier{s} "
            f"({_percent(impact.tier_changed, impact.leads)}), "
            f"{s}{impact.route_changed:,} {verb(impact.route_changed)} route{s} "
            f"({_percent(impact.route_changed, impact.leads)}), "
            f"{impact.icp_changed:,} {verb(impact.icp_changed)} ICP result, "
            f"{impact.score_changed:,} {verb(impact.score_changed)} score")


def _warnings(report: DiffReport) -> list[str]:
    impact = report.impact
    lines = []
    if impact is not None:
        if impact.demoted:
            lines.append(f"{_plural(impact.demoted, 'lead is', 'leads are')} demoted to a lower tier")
        if impact.disqualified:
            lines.append(f"{_plural(impact.disqualified, 'lead is', 'leads are')} newly disqualified (ICP)")
        if impact.errors:
            lines.append(f"{_plural(len(impact.errors), 'lead')} could not be read and "
                         f"{'was' if len(impact.errors) == 1 else 'were'} not evaluated")
    return lines


def _gate_line(report: DiffReport) -> str | None:
    if report.fail_above is None or report.impact is None:
        return None
    shifted = report.impact.shifted_percent
    if report.gate_tripped:
        return (f"{shifted:.1f}% of leads change tier or route, above the --fail-above limit of "
                f"{report.fail_above:g}%: this change needs an explicit sign-off")
    return f"{shifted:.1f}% of leads change tier or route (limit {report.fail_above:g}%)"


def _rate(rate: float | None) -> str:
    return "n/a" if rate is None else f"{100 * rate:.0f}%"


def _history(t: Transition, kind: str, outcome: OutcomeSummary | None) -> str:
    """`34% of them converted, against 61% of today's SQL` (with --outcome)."""
    if outcome is None or t.with_outcome is None:
        return ""
    if not t.with_outcome:
        return "no known outcome"
    text = f"{_rate(t.rate)} of them converted"
    if t.with_outcome != t.count:
        text += f" ({t.converted:,} of {t.with_outcome:,} with an outcome)"
    today = outcome.tier_rate(t.after) if kind == "tier" else outcome.route_rate(t.after) \
        if kind == "route" else None
    if kind in ("tier", "route"):
        text += (f", against {_rate(today)} of today's {_value(t.after)}" if today is not None else
                 f"; no lead with an outcome is {_value(t.after)} today")
    return text


def _outcome_line(outcome: OutcomeSummary) -> str:
    line = (f"Outcome {outcome.field}: {outcome.converted:,} of {outcome.with_outcome:,} leads converted "
            f"({_percent(outcome.converted, outcome.with_outcome)})")
    if outcome.unknown:
        line += f"; {_plural(outcome.unknown, 'lead')} with a missing or unknown outcome left out of the rates"
    return line


# ==================================================================== text


def render_text(report: DiffReport, *, color: bool = False) -> str:
    def style(text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if color else text

    out = [style(f"{report.old_label} → {report.new_label}", "1")]
    if report.old_missing:
        out.append(f"(the policy does not exist in {report.old_label.split(':')[0]}: everything is added)")
    out.append(_headline_counts(report))
    for section, changes in _grouped(report.changes):
        out.append("")
        out.append(style(SECTION_TITLES[section], "1"))
        for change in changes:
            kind = style(f"{change.kind:<8}", {"added": "32", "removed": "31"}.get(change.kind, "33"))
            detail = _summary_line(change)
            out.append(f"  {kind} {change.target}" + (f"  ({detail})" if detail else ""))
            before, after = _before_after(change)
            if isinstance(change, Moved):
                out.append(f"      {after}")
                continue
            for line in (before or "").splitlines():
                out.append(style(f"    - {line}", "31"))
            for line in (after or "").splitlines():
                out.append(style(f"    + {line}", "32"))
    impact = report.impact
    if impact is not None:
        out.append("")
        out.append(style(f"Impact on {_plural(impact.leads, 'lead')} as of {impact.as_of}", "1"))
        out.append(f"  {_plural(impact.changed, 'lead')} changed: " + _impact_sentence(impact))
        if impact.outcome is not None:
            out.append(f"  {_outcome_line(impact.outcome)}")
        for warning in _warnings(report):
            out.append(style(f"  warning: {warning}", "33"))
        for title, transitions in (("Tier", impact.tier_transitions), ("Route", impact.route_transitions),
                                   ("ICP", impact.icp_transitions)):
            if not transitions:
                continue
            out.append(f"  {title} transitions")
            width = max(len(f"{_value(t.before)} → {_value(t.after)}") for t in transitions)
            for t in transitions:
                pair = f"{_value(t.before)} → {_value(t.after)}"
                history = _history(t, title.lower(), impact.outcome)
                out.append(f"    {pair:<{width}}  {t.count:>6,}   " + (f"{history}; " if history else "")
                           + f"e.g. {', '.join(t.examples)}")
        if impact.score_deltas:
            out.append(f"  Score changes (total, new - old): min {_number(impact.score_delta_min or 0)}, "
                       f"max {_number(impact.score_delta_max or 0)}, "
                       f"mean {_number(impact.score_delta_mean or 0)}")
            for label, count in impact.score_deltas:
                out.append(f"    {label:<12} {count:>6,}")
        if impact.causes or impact.flips_without_rule_change:
            out.append("  Behind the tier/route changes (leads touched; a lead can count for several)")
            rows = [(c.cause, c.leads) for c in impact.causes[:10]]
            if impact.flips_without_rule_change:
                rows.append(("no rule or ICP change (tier/route conditions)", impact.flips_without_rule_change))
            width = max(len(label) for label, _ in rows)
            out += [f"    {label:<{width}}  {count:>6,}" for label, count in rows]
        for error in impact.errors[:10]:
            out.append(style(f"  {error.location}: error: {error.error}", "31"))
        if len(impact.errors) > 10:
            out.append(f"  ... and {len(impact.errors) - 10} more unreadable leads")
    gate = _gate_line(report)
    if gate:
        out.append("")
        out.append(style(("FAIL: " if report.gate_tripped else "ok: ") + gate,
                         "1;31" if report.gate_tripped else "32"))
    return "\n".join(out)


# ================================================================ markdown


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    """Inline code that survives backticks in the text."""
    fence = "``" if "`" in text else "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _fence(body: str) -> str:
    ticks = "```"
    while ticks in body:
        ticks += "`"
    return ticks


def _transition_table(transitions: tuple[Transition, ...], total: int, kind: str = "",
                      outcome: OutcomeSummary | None = None) -> list[str]:
    if outcome is None:
        lines = ["| From | To | Leads | Share | Examples |", "|---|---|---:|---:|---|"]
    else:
        lines = ["| From | To | Leads | Share | Converted | Today's rate in To | Examples |",
                 "|---|---|---:|---:|---:|---:|---|"]
    for t in transitions:
        examples = ", ".join(_code(e) for e in t.examples)
        history = ""
        if outcome is not None:
            today = (outcome.tier_rate(t.after) if kind == "tier" else
                     outcome.route_rate(t.after) if kind == "route" else None)
            moved = f"{_rate(t.rate)} of {t.with_outcome:,}" if t.with_outcome else "n/a"
            history = f"{moved} | {_rate(today) if kind in ('tier', 'route') else '—'} | "
        lines.append(f"| {_cell(_value(t.before))} | {_cell(_value(t.after))} | {t.count:,} | "
                     f"{_percent(t.count, total)} | {history}{_cell(examples)} |")
    return lines


def render_markdown(report: DiffReport) -> str:
    out: list[str] = []
    impact = report.impact
    out.append(f"### Policy diff: {_code(report.old_label)} → {_code(report.new_label)}")
    out.append("")
    headline = f"**{_headline_counts(report)}**"
    if impact is not None:
        headline += (f" · **{_plural(impact.leads, 'lead')}** as of {impact.as_of}: "
                     + _impact_sentence(impact, "**"))
    out.append(headline)
    if report.old_missing:
        out.append("")
        out.append(f"The policy is new: it does not exist in {_code(report.old_label)}.")
    gate = _gate_line(report)
    warnings = _warnings(report)
    if report.gate_tripped and gate:
        out += ["", "> [!CAUTION]", f"> {gate}."]
    if warnings:
        out += ["", "> [!WARNING]"] + [f"> - {w}" for w in warnings]
    if gate and not report.gate_tripped:
        out += ["", f"✅ {gate}."]
    if impact is not None:
        if impact.outcome is not None:
            out += ["", _cell(_outcome_line(impact.outcome)) + "."]
        for title, transitions in (("Tier transitions", impact.tier_transitions),
                                   ("Route transitions", impact.route_transitions),
                                   ("ICP transitions", impact.icp_transitions)):
            if transitions:
                out += ["", f"#### {title}", ""] + _transition_table(
                    transitions, impact.leads, title.split()[0].lower(), impact.outcome)
        if not (impact.tier_transitions or impact.route_transitions or impact.icp_transitions):
            out += ["", "No lead changes tier, route or ICP result."]
    if report.changes:
        out += ["", "#### Changes"]
        for section, changes in _grouped(report.changes):
            out += ["", f"**{SECTION_TITLES[section]}**", ""]
            for change in changes:
                detail = _summary_line(change)
                out.append(f"- {change.kind} {_code(change.target)}" + (f" ({detail})" if detail else ""))
            body = _diff_body(changes)
            fence = _fence(body)
            out += ["", "<details><summary>before / after</summary>", "",
                    f"{fence}diff", body, fence, "", "</details>"]
    if impact is not None:
        if impact.score_deltas:
            out += ["", "<details><summary>Score changes (total score, new − old)</summary>", "",
                    f"{impact.score_changed:,} leads change score: min {_number(impact.score_delta_min or 0)}, "
                    f"max {_number(impact.score_delta_max or 0)}, mean {_number(impact.score_delta_mean or 0)}.",
                    "", "| Change | Leads |", "|---|---:|"]
            out += [f"| {label} | {count:,} |" for label, count in impact.score_deltas]
            out += ["", "</details>"]
        if impact.causes or impact.flips_without_rule_change:
            out += ["", "<details><summary>What moved the leads that changed tier or route</summary>", "",
                    "Leads whose ledger differs for each changed rule (a lead can count for several).", "",
                    "| Changed rule or ICP reason | Leads |", "|---|---:|"]
            out += [f"| {_cell(_code(c.cause))} | {c.leads:,} |" for c in impact.causes[:10]]
            if impact.flips_without_rule_change:
                out.append(f"| no rule or ICP change (tier/route conditions alone) | "
                           f"{impact.flips_without_rule_change:,} |")
            out += ["", "</details>"]
        if impact.errors:
            out += ["", f"<details><summary>{_plural(len(impact.errors), 'lead')} could not be read</summary>",
                    ""]
            out += [f"- {_code(e.location)}: {e.error}" for e in impact.errors[:20]]
            if len(impact.errors) > 20:
                out.append(f"- ... and {len(impact.errors) - 20:,} more")
            out += ["", "</details>"]
    return "\n".join(out) + "\n"


def _diff_body(changes: list[Change]) -> str:
    lines: list[str] = []
    for change in changes:
        if lines:
            lines.append("")
        before, after = _before_after(change)
        if isinstance(change, Moved):
            lines.append(f"# {change.target}: position {change.before} → {change.after}")
            lines.append(f"  {after}")
            continue
        lines.append(f"# {change.target}")
        lines += [f"- {line}" for line in (before or "").splitlines()]
        lines += [f"+ {line}" for line in (after or "").splitlines()]
    return "\n".join(lines)
