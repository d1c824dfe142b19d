"""The exception hierarchy: one root, a subclass per stage.

Each stage collects every problem it finds and raises once, so a user sees
all their mistakes in one run.
"""

from __future__ import annotations

from collections.abc import Sequence

from .diagnostics import Diagnostic


class QualError(Exception):
    """A policy (or a file around it) is wrong. `.diagnostics` holds every problem."""

    def __init__(self, diagnostics: Sequence[Diagnostic]):
        self.diagnostics: tuple[Diagnostic, ...] = tuple(diagnostics)
        first = self.diagnostics[0] if self.diagnostics else None
        summary = (
            f"{first.path}:{first.span.line}:{first.span.column}: {first.message}"
            if first
            else "policy error"
        )
        if len(self.diagnostics) > 1:
            summary += f" (and {len(self.diagnostics) - 1} more)"
        super().__init__(summary)


class SourceError(QualError):
    """The file cannot be read as policy text (missing, binary, not UTF-8, too large)."""


class ParseError(QualError):
    """The text does not follow the grammar."""


class CheckError(QualError):
    """The policy parses but is not meaningful (names, types, includes...)."""
