"""The backtest as one self-contained HTML page: inline CSS and SVG charts
drawn here, no script, no network. Every user string (policy, tier, rule,
route, field and outcome values) goes through `escape`."""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from .measure import Backtest, Group, RuleStat
from .report import Section, number, percent, sections

WIDTH = 640
POSITIVE, NEGATIVE, ACCENT, INK, GRID = "#1b7f5b", "#b0463c", "#2f5d9e", "#222", "#ddd"

STYLE = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #222; margin: 2em auto;
       max-width: 980px; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: .2em; } h2 { margin-top: 2em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: .6em 0; } td, th { padding: .25em .7em; border-bottom: 1px solid #eee; }
th { text-align: left; background: #f6f6f6; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
.note { color: #555; font-size: .92em; } .warn { background: #fff4e0; border-left: 4px solid #e0a030;
        padding: .5em 1em; } svg { display: block; margin: .8em 0; } .key span { margin-right: 1.2em; }
"""


def _text(x: float, y: float, content: str, *, anchor: str = "start", size: int = 12,
          color: str = INK, weight: str = "normal") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" fill="{color}" text-anchor="{anchor}" '
            f'font-weight="{weight}">{escape(content)}</text>')


def _svg(height: float, body: Sequence[str], title: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height:.0f}" '
            f'viewBox="0 0 {WIDTH} {height:.0f}" role="img" aria-label="{escape(title)}">'
            f"<title>{escape(title)}</title>" + "".join(body) + "</svg>")


def conversion_chart(groups: Sequence[Group], base: float | None, title: str) -> str:
    """Horizontal bars of each group's rate, its Wilson interval as a whisker,
    the base rate as a dashed line."""
    shown = [g for g in groups if g.leads]
    if not shown:
        return ""
    left, right, row = 180, WIDTH - 110, 30
    top = 24
    height = top + row * len(shown) + 30
    span = right - left

    # The axis ends at the first round value above every interval: a 10% rate stays readable.
    highest = max((g.ci_high if g.ci_high is not None else g.rate or 0.0) for g in shown)
    highest = max(highest, base or 0.0)
    axis = next(end for end in (0.05, 0.1, 0.2, 0.25, 0.5, 0.75, 1.0) if end >= highest)

    def x(rate: float) -> float:
        return left + span * rate / axis

    body = [_text(left, 14, "conversion rate (bar), 95% interval (whisker)", size=11, color="#555")]
    for step in range(6):
        tick = axis * step / 5
        body.append(f'<line x1="{x(tick):.1f}" y1="{top}" x2="{x(tick):.1f}" '
                    f'y2="{top + row * len(shown)}" stroke="{GRID}"/>')
        body.append(_text(x(tick), top + row * len(shown) + 16, f"{100 * tick:g}%", anchor="middle", size=11))
    for index, g in enumerate(shown):
        y = top + row * index
        assert g.rate is not None
        body.append(_text(left - 8, y + 19, f"{g.name}", anchor="end", weight="bold"))
        body.append(f'<rect x="{left}" y="{y + 6}" width="{x(g.rate) - left:.1f}" height="{row - 12}" '
                    f'fill="{ACCENT}" opacity="0.8"/>')
        if g.ci_low is not None and g.ci_high is not None:
            mid = y + row / 2
            body.append(f'<line x1="{x(g.ci_low):.1f}" y1="{mid:.1f}" x2="{x(g.ci_high):.1f}" y2="{mid:.1f}" '
                        f'stroke="{INK}" stroke-width="1.5"/>')
            for end in (g.ci_low, g.ci_high):
                body.append(f'<line x1="{x(end):.1f}" y1="{mid - 6:.1f}" x2="{x(end):.1f}" y2="{mid + 6:.1f}" '
                            f'stroke="{INK}" stroke-width="1.5"/>')
        body.append(_text(right + 6, y + 19, f"{percent(g.rate)} of {g.leads}", size=11))
    if base is not None:
        body.append(f'<line x1="{x(base):.1f}" y1="{top - 4}" x2="{x(base):.1f}" y2="{top + row * len(shown)}" '
                    f'stroke="{NEGATIVE}" stroke-dasharray="4 3" stroke-width="1.5"/>')
        body.append(_text(x(base) + 4, top + row * len(shown) + 28, f"all leads {percent(base)}",
                          size=11, color=NEGATIVE))
    return _svg(height + 10, body, title)


def roc_chart(points: Sequence[tuple[float, float]], auc: float | None) -> str:
    size, pad = 300, 40

    def at(fpr: float, tpr: float) -> str:
        return f"{pad + size * fpr:.1f},{pad + size * (1 - tpr):.1f}"

    body = [f'<rect x="{pad}" y="{pad}" width="{size}" height="{size}" fill="none" stroke="{GRID}"/>',
            f'<line x1="{pad}" y1="{pad + size}" x2="{pad + size}" y2="{pad}" stroke="#aaa" stroke-dasharray="4 3"/>',
            (f'<polyline points="{" ".join(at(f, t) for f, t in points)}" fill="none" stroke="{ACCENT}" '
            'stroke-width="2.5"/>'),
            _text(pad + size / 2, pad + size + 30, "false positive rate (non-converters reached)", anchor="middle",
                  size=11),
            f'<g transform="translate(14 {pad + size / 2}) rotate(-90)">'
            + _text(0, 0, "true positive rate (converters reached)", anchor="middle", size=11) + "</g>",
            _text(pad + size + 20, pad + 20, f"AUC {'n/a' if auc is None else f'{auc:.3f}'}", size=16,
                  weight="bold"),
            _text(pad + size + 20, pad + 42, "0.5 = chance (dashed line)", size=11, color="#555"),
            _text(pad + size + 20, pad + 58, "1.0 = every converter scored first", size=11, color="#555")]
    for tick in (0, 0.5, 1):
        body.append(_text(pad + size * tick, pad + size + 14, f"{tick:g}", anchor="middle", size=10))
        body.append(_text(pad - 6, pad + size * (1 - tick) + 4, f"{tick:g}", anchor="end", size=10))
    return _svg(size + 2 * pad + 10, body, "ROC curve of the total score")


def distribution_chart(totals: Sequence[float], labels: Sequence[bool], bins: int = 20) -> str:
    """Share of each outcome's leads per score bin: converters should sit to the right."""
    if not totals:
        return ""
    low, high = min(totals), max(totals)
    width = (high - low) / bins if high > low else 1.0
    counts = {True: [0] * bins, False: [0] * bins}
    for total, label in zip(totals, labels):
        index = min(bins - 1, int((total - low) / width)) if high > low else 0
        counts[label][index] += 1
    sizes = {label: sum(values) for label, values in counts.items()}
    shares = {label: [c / sizes[label] if sizes[label] else 0.0 for c in values]
              for label, values in counts.items()}
    peak = max(max(shares[True]), max(shares[False])) or 1.0
    left, top, plot_w, plot_h = 50, 30, WIDTH - 80, 200
    slot = plot_w / bins
    body = [f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="{INK}"/>']
    for label, color, offset in ((False, NEGATIVE, 0.1), (True, POSITIVE, 0.5)):
        for index, share in enumerate(shares[label]):
            h = plot_h * share / peak
            body.append(f'<rect x="{left + slot * (index + offset):.1f}" y="{top + plot_h - h:.1f}" '
                        f'width="{slot * 0.4:.1f}" height="{h:.1f}" fill="{color}"/>')
    for index in range(0, bins + 1, 4):
        body.append(_text(left + slot * index, top + plot_h + 16, number(round(low + width * index, 1)),
                          anchor="middle", size=11))
    body.append(_text(left + plot_w / 2, top + plot_h + 34, "total score", anchor="middle", size=11))
    body.append(_text(left, 16, f"share of each group's leads per score bin — converted ({sizes[True]}) in "
                                f"green, not converted ({sizes[False]}) in red", size=11, color="#555"))
    return _svg(top + plot_h + 44, body, "Score distribution by outcome")


def lift_chart(rules: Sequence[RuleStat]) -> str:
    """Each rule's lift on a log scale around 1× (the base rate), its points beside it."""
    shown = [r for r in rules if r.lift is not None]
    if not shown:
        return ""
    row, left, top = 24, 230, 24
    centre, half = left + (WIDTH - left - 80) / 2, (WIDTH - left - 80) / 2
    extreme = max((abs(math.log2(r.lift)) for r in shown if r.lift), default=1.0) or 1.0
    extreme = max(extreme, 1.0)

    def x(lift: float) -> float:
        value = math.log2(lift) if lift > 0 else -extreme
        return centre + half * max(-1.0, min(1.0, value / extreme))

    height = top + row * len(shown) + 30
    body = [_text(left, 14, "lift (conversion when fired ÷ base rate), log scale; points in brackets",
                  size=11, color="#555"),
            f'<line x1="{centre:.1f}" y1="{top - 4}" x2="{centre:.1f}" y2="{top + row * len(shown)}" stroke="{INK}"/>']
    for lift in (0.25, 0.5, 2, 4):
        if abs(math.log2(lift)) <= extreme:
            body.append(_text(x(lift), top + row * len(shown) + 16, f"{lift:g}×", anchor="middle", size=10))
    body.append(_text(centre, top + row * len(shown) + 16, "1×", anchor="middle", size=10))
    for index, r in enumerate(shown):
        assert r.lift is not None
        y = top + row * index
        start, end = sorted((centre, x(r.lift)))
        color = POSITIVE if r.lift >= 1 else NEGATIVE
        body.append(_text(left - 8, y + 16, f"{r.block}.{r.rule} ({r.points:+g})", anchor="end", size=11))
        body.append(f'<rect x="{start:.1f}" y="{y + 5}" width="{max(end - start, 1):.1f}" height="{row - 10}" '
                    f'fill="{color}" opacity="0.85"/>')
        body.append(_text(WIDTH - 70, y + 16, f"{r.lift:.2f}×", size=11))
    return _svg(height + 6, body, "Lift per rule")


def _table(section: Section) -> str:
    table = section.table
    if table is None:
        return ""
    head = "".join(f"<th>{escape(h)}</th>" for h in table.headers)
    rows = "".join(
        "<tr>" + "".join(f'<td class="n">{escape(c)}</td>' if right else f"<td>{escape(c)}</td>"
                         for c, right in zip(row, table.numeric)) + "</tr>"
        for row in table.rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _lines(lines: Sequence[str]) -> str:
    if lines and all(line.startswith("- ") for line in lines):
        return "<ul>" + "".join(f"<li>{escape(line[2:])}</li>" for line in lines) + "</ul>"
    return "".join(f"<p>{escape(line)}</p>" for line in lines)


def _section(section: Section, chart: str = "") -> str:
    lines = _lines(section.lines)
    after = "".join(f'<p class="note">{escape(line)}</p>' for line in section.after)
    return f"<section><h2>{escape(section.title)}</h2>{lines}{chart}{_table(section)}{after}</section>"


def render_html(report: Backtest) -> str:
    parts = sections(report)
    head, rest = parts[0], parts[1:]
    charts = {
        "By tier": conversion_chart(report.tiers, report.base_rate, "Conversion by tier"),
        "By route": conversion_chart(report.routes, report.base_rate, "Conversion by route"),
        "By rule": lift_chart(report.rules),
        "Separation": roc_chart(report.roc, report.auc.get("total"))
        + distribution_chart(report.totals, report.labels),
    }
    body: list[str] = []
    for section in rest:
        if section.title == "Warnings":
            at = 1 if rest and rest[0].title == "Summary" else 0  # right under the summary
            body.insert(at, f'<section class="warn"><strong>Warnings</strong>{_lines(section.lines)}</section>')
            continue
        body.append(_section(section, charts.get(section.title, "")))
    summary = "".join(f"<p>{escape(line)}</p>" for line in head.lines)
    title = escape(head.title)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{title}</title><style>{STYLE}</style></head><body>"
        f"<h1>{title}</h1>{summary}" + "".join(body)
        + '<p class="note">Made by <code>qualdsl backtest</code>. Intervals are Wilson 95% intervals; '
        "proposals are to consider, never applied.</p></body></html>\n"
    )
