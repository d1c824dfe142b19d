"""The backtest as text (terminal), markdown (pull-request comment) and JSON.

Text and markdown are built from the same sections (a title, lines, a
table), so they always say the same thing.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence

import attrs

from . import stats
from .measure import Backtest, Group, Threshold

SWEEP_ROWS = 9  # sweep rows shown in text and markdown (JSON has all)


def percent(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def number(value: float) -> str:
    return f"{value:g}"


def interval(low: float | None, high: float | None) -> str:
    return "n/a" if low is None or high is None else f"{100 * low:.1f}–{100 * high:.1f}%"


def lift_text(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}×"


@attrs.frozen
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[bool, ...]  # right-aligned columns


@attrs.frozen
class Section:
    title: str
    lines: tuple[str, ...] = ()
    table: Table | None = None
    after: tuple[str, ...] = ()


def _group_table(groups: Sequence[Group], key: str) -> Table:
    rows = tuple(
        (str(g.name), str(g.leads), str(g.positives), percent(g.rate), interval(g.ci_low, g.ci_high),
         percent(g.share))
        for g in groups)
    return Table((key, "leads", "converted", "rate", "95% interval", "share of conversions"), rows,
                 (False, True, True, True, True, True))


def _rule_table(report: Backtest) -> Table:
    rows = []
    for r in report.rules:
        points = f"{r.points:+g}" + (" per event" if r.per_event else "")
        rows.append((f"{r.block}.{r.rule}", points, str(r.fired), percent(r.rate_fired),
                     percent(r.rate_not_fired), lift_text(r.lift), r.verdict))
    return Table(("rule", "points", "fired", "rate when fired", "rate when not", "lift", "verdict"),
                 tuple(rows), (False, True, True, True, True, True, False))


def _cut_line(label: str, measure: str, cut: stats.Cut | None) -> str:
    if cut is None:
        return f"{label}: none"
    return (f"{label}: {measure} >= {number(cut.threshold)} — {percent(cut.volume_share)} of leads "
            f"({cut.volume}), {percent(cut.precision)} of them convert, {percent(cut.recall)} "
            f"of conversions (F1 {cut.f1:.2f})" if cut.f1 is not None else
            f"{label}: {measure} >= {number(cut.threshold)} — {percent(cut.volume_share)} of leads "
            f"({cut.volume}), {percent(cut.precision)} convert")


def _shown_cuts(cuts: Sequence[stats.Cut], keep: Sequence[stats.Cut | None]) -> list[stats.Cut]:
    """A readable slice of the sweep: evenly spread rows plus the ones named above."""
    if len(cuts) <= SWEEP_ROWS:
        return list(cuts)
    picked = {round(i * (len(cuts) - 1) / (SWEEP_ROWS - 1)) for i in range(SWEEP_ROWS)}
    kept = {c.threshold for c in keep if c is not None}
    return [c for i, c in enumerate(cuts) if i in picked or c.threshold in kept]


def _threshold_sections(thresholds: Sequence[Threshold]) -> list[Section]:
    """One section per measure (`score`, a block): its boundaries, proposals, one sweep."""
    by_measure: dict[str, list[Threshold]] = {}
    for threshold in thresholds:
        by_measure.setdefault(threshold.measure, []).append(threshold)
    found = []
    for measure, group in by_measure.items():
        first = group[0]
        lines = [_cut_line(f"tier {t.tier} now ({measure} {t.op} {number(t.current)})", measure, t.at_current)
                 for t in group]
        lines.append(_cut_line("best F1", measure, first.best_f1))
        if first.target_volume is not None:
            lines.append(_cut_line(f"closest to {percent(first.target_volume)} of leads", measure, first.target))
        marks: dict[float, list[str]] = {}
        for t in group:
            if t.at_current is not None:
                marks.setdefault(t.at_current.threshold, []).append(f"{t.tier} now")
        for label, cut in (("best F1", first.best_f1), ("target volume", first.target)):
            if cut is not None:
                marks.setdefault(cut.threshold, []).append(label)
        # Each boundary's sweep adds its own threshold: show their union.
        merged = sorted({c.threshold: c for t in group for c in t.cuts}.values(), key=lambda c: c.threshold)
        shown = _shown_cuts(merged, [t.at_current for t in group] + [first.best_f1, first.target])
        rows = tuple(
            (f"{measure} >= {number(c.threshold)}", str(c.volume), percent(c.volume_share), percent(c.precision),
             percent(c.recall), "n/a" if c.f1 is None else f"{c.f1:.2f}", ", ".join(marks.get(c.threshold, [])))
            for c in shown)
        table = Table(("threshold", "leads", "volume", "precision", "recall", "F1", ""), rows,
                      (False, True, True, True, True, True, False))
        found.append(Section(
            f"Thresholds on {measure}", tuple(lines), table,
            ((f"Proposals to consider, never applied. The sweep counts the {first.leads} ICP-passing leads "
             "at or above each threshold, as if that comparison alone decided the tier."),)))
    return found


def summary(report: Backtest) -> list[str]:
    """The few sentences a sales team reads first."""
    lines = []
    ranked = [g for g in report.tiers if g.leads]
    if ranked:
        rates = ", ".join(f"{g.name} {percent(g.rate)} of {g.leads}" for g in ranked)
        ordered = all(a.rate is not None and b.rate is not None and a.rate >= b.rate
                      for a, b in itertools.pairwise(ranked))
        lines.append(f"Conversion by tier: {rates} — "
                     + ("each tier converts at least as well as the next." if ordered else
                        "a higher tier converts worse than a lower one (see the warnings)."))
    total = report.auc.get("total")
    if total is not None:
        lines.append(f"The total score ranks a converted lead above one that did not convert "
                     f"{100 * total:.0f}% of the time (ROC AUC {total:.3f}; 50% is chance).")
    for verdicts, word in ((("overvalued", "adds points, converts below average"), "Overvalued"),
                           (("undervalued", "takes points, converts above average"), "Undervalued")):
        named = [f"{r.block}.{r.rule} ({r.points:+g}, lift {lift_text(r.lift)})" for r in report.rules
                 if r.verdict in verdicts]
        if named:
            lines.append(f"{word} rules (points out of line with their lift): {', '.join(named)}.")
    seen = set()
    for t in report.thresholds:
        best = t.best_f1
        if t.measure in seen or best is None:
            continue
        seen.add(t.measure)
        now = [f"{u.tier} {u.op} {number(u.current)}" for u in report.thresholds if u.measure == t.measure]
        lines.append(f"Best F1 on {t.measure}: {t.measure} >= {number(best.threshold)} "
                     f"({percent(best.volume_share)} of leads, {percent(best.precision)} convert, "
                     f"{percent(best.recall)} of conversions); the boundaries now: {', '.join(now)}.")
        if t.target is not None and t.target_volume is not None:
            lines.append(f"For about {percent(t.target_volume)} of leads: {t.measure} >= "
                         f"{number(t.target.threshold)} ({percent(t.target.volume_share)}, "
                         f"{percent(t.target.precision)} convert).")
    return lines


def sections(report: Backtest) -> list[Section]:
    found = [Section(
        f"Backtest of {report.policy} on {report.leads} lead{'s' if report.leads != 1 else ''}",
        ((f"Outcome `{report.outcome}`: {report.positives} converted ({percent(report.base_rate)}). "
         f"Decided as of {report.as_of}. Policy hash {report.policy_hash[:12]}."),))]
    lines = summary(report)
    if lines:
        found.append(Section("Summary", tuple(f"- {line}" for line in lines)))
    if report.tiers:
        found.append(Section("By tier", ("Tiers in policy order, disqualified last.",),
                             _group_table(report.tiers, "tier")))
    if report.routes:
        found.append(Section("By route", (), _group_table(report.routes, "route")))
    if report.rules:
        found.append(Section(
            "By rule", (("Lift: conversion when the rule fired over the base rate. Rules whose points "
                        "disagree most with their lift come first."),), _rule_table(report)))
    auc = ", ".join(f"{name} {'n/a' if value is None else f'{value:.3f}'}" for name, value in report.auc.items())
    found.append(Section(
        "Separation", (f"ROC AUC (0.5 is chance, 1 is perfect): {auc}.",),
        Table(("decile", "leads", "converted", "rate", "scores"),
              tuple((str(d.decile), str(d.leads), str(d.positives), percent(d.rate),
                     f"{number(d.score_min)} to {number(d.score_max)}") for d in report.deciles),
              (True, True, True, True, False)),
        ("Deciles of the total score, highest first: a good score converts less in each row.",)))
    found.extend(_threshold_sections(report.thresholds))
    if report.warnings:
        found.append(Section("Warnings", tuple(f"- {w}" for w in report.warnings)))
    return found


def _aligned(table: Table) -> list[str]:
    widths = [max(len(row[i]) for row in (table.headers, *table.rows)) for i in range(len(table.headers))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(cell.rjust(w) if right else cell.ljust(w)
                         for cell, w, right in zip(cells, widths, table.numeric)).rstrip()

    return ["  " + line(table.headers), *("  " + line(row) for row in table.rows)]


def render_text(report: Backtest) -> str:
    out: list[str] = []
    for section in sections(report):
        out += [section.title, "=" * len(section.title) if not out else "-" * len(section.title)]
        out += list(section.lines)
        if section.table is not None:
            out += _aligned(section.table)
        out += list(section.after)
        out.append("")
    return "\n".join(out)


def _md_cell(text: str) -> str:
    # A pipe would end the cell; a backslash escapes it in GitHub's tables.
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;")


def render_markdown(report: Backtest) -> str:
    out: list[str] = []
    for index, section in enumerate(sections(report)):
        out += [("## " if index == 0 else "### ") + _md_cell(section.title), ""]
        out += [_md_cell(line) for line in section.lines]
        if section.lines:
            out.append("")
        if section.table is not None:
            table = section.table
            out.append("| " + " | ".join(_md_cell(h) for h in table.headers) + " |")
            out.append("|" + "|".join("---:" if right else "---" for right in table.numeric) + "|")
            out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in table.rows]
            out.append("")
        if section.after:
            out += [f"_{_md_cell(line)}_" for line in section.after] + [""]
    return "\n".join(out)


def render_json(report: Backtest) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False)
