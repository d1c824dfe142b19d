"""Diagnostics: one located message about a policy, from any stage."""

from __future__ import annotations

import enum

import attrs

from .source import UNKNOWN_SPAN, Span


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 3, "warning": 2, "info": 1}[self.value]


@attrs.frozen
class Suggestion:
    """A fix an editor can offer: replace the text at `span` with `replacement`."""

    span: Span
    replacement: str
    message: str  # "did you mean `company.employees`?"

    def to_dict(self) -> dict[str, object]:
        return {
            "line": self.span.line,
            "column": self.span.column,
            "end_line": self.span.end_line,
            "end_column": self.span.end_column,
            "replacement": self.replacement,
            "message": self.message,
        }


@attrs.frozen
class Diagnostic:
    """A message about a place in a policy file."""

    message: str
    path: str
    span: Span = UNKNOWN_SPAN
    severity: Severity = Severity.ERROR
    code: str | None = None
    help: str | None = None
    # The source text, so a diagnostic can be rendered without re-reading the file.
    source_text: str | None = attrs.field(default=None, eq=False, repr=False)
    suggestion: Suggestion | None = attrs.field(default=None, kw_only=True)

    @classmethod
    def error(
        cls,
        message: str,
        path: str,
        span: Span = UNKNOWN_SPAN,
        *,
        help: str | None = None,
        code: str | None = None,
        source_text: str | None = None,
        suggestion: Suggestion | None = None,
    ) -> Diagnostic:
        return cls(message, path, span, Severity.ERROR, code, help, source_text, suggestion=suggestion)

    def to_dict(self) -> dict[str, object]:
        data: dict[str, object] = {
            "path": self.path,
            "line": self.span.line,
            "column": self.span.column,
            "end_line": self.span.end_line,
            "end_column": self.span.end_column,
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
        }
        if self.help:
            data["help"] = self.help
        if self.suggestion is not None:
            data["suggestion"] = self.suggestion.to_dict()
        return data


def sort_key(diagnostic: Diagnostic) -> tuple[str, int, int]:
    return (diagnostic.path, diagnostic.span.line, diagnostic.span.column)
