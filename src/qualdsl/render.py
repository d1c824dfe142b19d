"""One renderer for every diagnostic, from every stage and the linter.

Text: `path:line:col: severity[CODE]: message`, the source line with a caret
under the span, and the help. JSON: a list of `Diagnostic.to_dict()`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable

from .diagnostics import Diagnostic

Highlighter = Callable[[str], str]


def _style(text: str, code: str, color: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if color else text


SEVERITY_COLORS = {"error": "1;31", "warning": "1;33", "info": "1;36"}


def render_text(
    diagnostic: Diagnostic,
    *,
    color: bool = False,
    source_text: str | None = None,
    highlight: Highlighter | None = None,
) -> str:
    """One diagnostic as text, with the source line and a caret."""
    span = diagnostic.span
    severity = diagnostic.severity.value
    label = f"{severity}[{diagnostic.code}]" if diagnostic.code else severity
    location = f"{diagnostic.path}:{span.line}:{span.column}"
    lines = [
        f"{_style(location, '1', color)}: {_style(label, SEVERITY_COLORS[severity], color)}: "
        f"{diagnostic.message}"
    ]
    text = source_text if source_text is not None else diagnostic.source_text
    if text is not None:
        # Split on "\n" only, as positions are counted (splitlines() also
        # splits on form feeds and U+2028 and would show the wrong line).
        source_lines = text.split("\n")
        if text.endswith("\n"):
            source_lines.pop()  # the end of file after a last newline shows no line
        if 1 <= span.line <= len(source_lines):
            line = source_lines[span.line - 1].removesuffix("\r").expandtabs(1)
            number = str(span.line)
            gutter = " " * len(number)
            start = max(span.column - 1, 0)
            if span.end_line == span.line:
                width = max(span.end_column - span.column, 1)
            else:
                width = max(len(line) - start, 1)
            line, start, width = _window(line, start, width)
            shown = highlight(line) if (highlight and color) else line
            lines.append(f"{gutter} |")
            lines.append(f"{number} | {shown}")
            caret = " " * start + "^" * width
            lines.append(f"{gutter} | {_style(caret, SEVERITY_COLORS[severity], color)}")
            if diagnostic.help:
                lines.append(f"{gutter} = help: {diagnostic.help}")
            return "\n".join(lines)
    if diagnostic.help:
        lines.append(f"  = help: {diagnostic.help}")
    return "\n".join(lines)


# A source line longer than this is shown as a window around the span, so a
# policy written on one huge line does not reprint it for every diagnostic.
MAX_LINE_SHOWN = 160


def _window(line: str, start: int, width: int) -> tuple[str, int, int]:
    """(the part of `line` shown, the caret's start and width in it)."""
    if len(line) <= MAX_LINE_SHOWN:
        return line, start, width
    left = max(0, min(start - MAX_LINE_SHOWN // 4, len(line) - MAX_LINE_SHOWN))
    right = left + MAX_LINE_SHOWN
    before = "…" if left > 0 else ""
    after = "…" if right < len(line) else ""
    width = max(1, min(width, right - start))
    return before + line[left:right] + after, start - left + len(before), width


def render_all_text(
    diagnostics: Iterable[Diagnostic], *, color: bool = False, highlight: Highlighter | None = None
) -> str:
    return "\n\n".join(render_text(d, color=color, highlight=highlight) for d in diagnostics)


def render_json(diagnostics: Iterable[Diagnostic]) -> str:
    return json.dumps([d.to_dict() for d in diagnostics], indent=2, ensure_ascii=False)


def render_github(diagnostics: Iterable[Diagnostic]) -> str:
    """GitHub Actions workflow commands: one `::error file=...::` line each."""

    def escape_property(value: str) -> str:
        return (
            value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
            .replace(":", "%3A").replace(",", "%2C")
        )

    def escape_data(value: str) -> str:
        return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")

    out = []
    for d in diagnostics:
        level = {"error": "error", "warning": "warning", "info": "notice"}[d.severity.value]
        title = f"{d.code} " if d.code else ""
        message = d.message + (f" (help: {d.help})" if d.help else "")
        out.append(
            f"::{level} file={escape_property(d.path)},line={d.span.line},col={d.span.column},"
            f"endLine={d.span.end_line},endColumn={d.span.end_column},"
            f"title={escape_property((title + d.severity.value).strip())}::{escape_data(message)}"
        )
    return "\n".join(out)
