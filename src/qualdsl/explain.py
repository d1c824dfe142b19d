"""A decision as text a person can check: every point accounted for."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Protocol

from . import ir
from .decision import Decision, RuleResult


class HasIR(Protocol):
    """Anything that carries a policy's IR (an api.Policy)."""

    @property
    def ir(self) -> ir.Policy: ...


def _points(value: float) -> str:
    text = f"{value:+.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("+0", "-0") else text


def _number(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _painter(color: bool) -> Callable[[str, str], str]:
    """ANSI styling when colour is on; the identity (byte-identical text) otherwise."""

    def paint(text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if color else text

    return paint


BOLD, GREEN, RED, DIM, YELLOW = "1", "32", "1;31", "2", "33"


# Characters a terminal acts on or that break a line: control characters (C0,
# DEL, C1: escape sequences start with \x1b or \x9b), line and paragraph
# separators, bidirectional overrides (text shown reordered) and lone
# surrogates (which no output encoding accepts).
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _escaped(char: re.Match[str]) -> str:
    return f"\\u{ord(char.group()):04x}"


def shown(text: str) -> str:
    """Lead-provided text as explain prints it: `\x1b` becomes the six
    characters `\u001b`, so a lead value cannot drive the terminal."""
    return _UNPRINTABLE.sub(_escaped, text)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"


def _rule_detail(rule: RuleResult, nominal: ir.Rule | None) -> str:
    """Why a ledger line shows the points it does (needs the rule's nominal points)."""
    if nominal is None:
        return ""
    base = nominal.points
    each = _points(base)
    if rule.events is not None:  # a per-event rule
        skipped = rule.skipped or 0
        kind = f"of type {json.dumps(nominal.event_type)}" if isinstance(nominal, ir.EventRule) else ""
        if not rule.fired:
            if skipped:
                return f"   (no matching events: {skipped} {kind} outside the `where`; {each} each)"
            # The lead may have events, just none of this type: name it.
            return f"   (no events {kind}; {each} each)" if kind else f"   (no events; {each} each)"
        counted = _plural(rule.events, "event") + f" × {each}"
        if skipped:
            counted += f"; {skipped} outside the `where`"
        if rule.points == 0 and base != 0:
            return f"   ({counted}, expired)"
        if abs(rule.points - base * rule.events) > 1e-9:
            return f"   ({counted}, after decay)"
        return f"   ({counted})" if rule.events > 1 or skipped else ""
    if not rule.fired:
        return f"   (would give {each})"
    if rule.points == 0 and base != 0:
        return f"   ({each}, expired)"
    if abs(rule.points - base) > 1e-12:
        return f"   ({each} nominal, after decay)"
    return ""


def explain(decision: Decision, policy: ir.Policy | HasIR | None = None, *, color: bool = False) -> str:
    """The decision as an indented report; with the policy, nominal points and caps too.

    With `color`, outcomes are coloured (pass/fail, fired rules, tier, route);
    the text and its alignment are the same either way.
    """
    paint = _painter(color)
    lines = []
    head = f"policy {decision.policy}"
    head += f" · lead {shown(decision.lead)}" if decision.lead is not None else " · lead (no id)"
    head += f" · as of {decision.as_of}"
    lines.append(paint(head, BOLD))
    lines.append("")
    if decision.icp_pass:
        lines.append(f"ICP      {paint('pass', GREEN)}")
    else:
        lines.append(f"ICP      {paint('FAIL', RED)}")
        for reason in decision.reasons:
            lines.append(f"  {paint('✗', RED)} {shown(reason)}")
    meaning = policy if isinstance(policy, ir.Policy) or policy is None else policy.ir
    blocks = {b.name: b for b in meaning.blocks} if meaning is not None else {}
    nominal = {(b.name, r.name): r for b in blocks.values() for r in b.rules}
    width = max([len(r.rule) for r in decision.rules] + [10]) + 4
    for name, total in decision.scores.items():
        if name == "total":
            continue
        rules = [r for r in decision.rules if r.block == name]
        raw = 0.0
        for r in rules:
            raw += r.points
        block = blocks.get(name)
        note = ""
        if raw != total:
            note = f"   (rules sum to {_number(raw)}; "
            if block is not None and block.max is not None and total == float(block.max):
                note += f"capped at max {_number(block.max)})"
            elif block is not None and block.min is not None and total == float(block.min):
                note += f"floored at min {_number(block.min)})"
            else:
                note += "capped)"
        lines.append("")
        lines.append(f"{paint(f'{name:<{width + 2}}', BOLD)} {_number(total):>8}{note}")
        for r in rules:
            mark = paint("✓", GREEN) if r.fired else paint("·", DIM)
            detail = _rule_detail(r, nominal.get((r.block, r.rule)))
            lines.append(f"  {mark} {r.rule:<{width}} {_points(r.points):>8}{detail}")
    lines.append("")
    total_label = f"{'total':<{width + 2}}"
    lines.append(f"{paint(total_label, BOLD)} {_number(decision.scores['total']):>8}")
    lines.append(f"tier     {paint(decision.tier if decision.tier is not None else '(none)', BOLD)}")
    lines.append(f"route    {paint(decision.route if decision.route is not None else '(none)', BOLD)}")
    if decision.warnings:
        lines.append("")
        lines.append("warnings")
        for warning in decision.warnings:
            lines.append(f"  {paint('!', YELLOW)} {shown(warning)}")
    return "\n".join(lines)
