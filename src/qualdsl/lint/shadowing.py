"""First-match lists (tiers, routes): which entries can never be chosen."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from .. import nodes as n
from ..source import Span
from .engine import LintContext


def shadowed(
    context: LintContext, kind: str, items: Sequence[tuple[n.Expr | None, str, Span]]
) -> Iterator[tuple[str, str, Span]]:
    """(label, what shadows it, span) for every entry whose condition implies
    the conditions before it. Entries that can never hold at all are left to
    QD101/QD104."""
    reasoner = context.reasoner(kind, with_scores=True)
    before: list[tuple[n.Expr, str]] = []
    for condition, label, span in items:
        if condition is None:
            continue
        if before and not reasoner.never(condition):
            single = next((name for c, name in before if reasoner.implies(condition, [c])), None)
            if single is not None:
                yield label, single, span
            else:
                covering = reasoner.covering(condition, [c for c, _ in before])
                if covering:
                    yield label, " or ".join(before[i][1] for i in covering), span
        before.append((condition, label))
