"""Policy source text and locations in it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, NamedTuple

import attrs


class Span(NamedTuple):
    """A region of a source file: 1-based lines and columns, 0-based offsets.

    A NamedTuple, not an attrs class: the builder makes one per AST node and
    tuples are the cheapest immutable record to build."""

    start: int
    end: int
    line: int
    column: int
    end_line: int
    end_column: int

    @classmethod
    def from_token(cls, token: Any) -> Span:
        return cls(
            token.start_pos,
            token.end_pos,
            token.line,
            token.column,
            token.end_line,
            token.end_column,
        )

    def cover(self, other: Span) -> Span:
        """The smallest span holding both."""
        first, last = (self, other) if self.start <= other.start else (other, self)
        end = self if self.end >= other.end else other
        return Span(first.start, end.end, first.line, first.column, end.end_line, end.end_column)


UNKNOWN_SPAN = Span(0, 0, 1, 1, 1, 1)


@attrs.frozen
class Source:
    """The text of one policy file, with the path it was read from."""

    text: str
    path: str = "<string>"

    def line_text(self, line: int) -> str:
        lines = self.text.splitlines()
        if 1 <= line <= len(lines):
            return lines[line - 1]
        return ""

    def position(self, offset: int) -> tuple[int, int]:
        """1-based line and column of a character offset."""
        offset = max(0, min(offset, len(self.text)))
        line = self.text.count("\n", 0, offset) + 1
        column = offset - (self.text.rfind("\n", 0, offset) + 1) + 1
        return line, column

    def span_at(self, offset: int, length: int = 1) -> Span:
        line, column = self.position(offset)
        end_line, end_column = self.position(offset + length)
        return Span(offset, offset + length, line, column, end_line, end_column)


# A policy larger than this is not a policy: refuse it before the parser sees it.
MAX_SOURCE_BYTES = 2 * 1024 * 1024


def decode_source(data: bytes, path: str) -> tuple[str | None, str | None]:
    """Decode policy bytes; returns (text, None) or (None, error message)."""
    if len(data) > MAX_SOURCE_BYTES:
        return None, f"file is too large ({len(data)} bytes; the limit is {MAX_SOURCE_BYTES})"
    if b"\x00" in data:
        return None, "file is binary (it contains NUL bytes), not a policy"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        return None, f"file is not valid UTF-8 (bad byte at offset {error.start})"
    if text.startswith("\ufeff"):
        text = text[1:]
    return text, None


def problem_code(problem: str) -> str:
    """The compile-error code of a decode_source problem."""
    if problem.startswith("file is too large"):
        return "QE002"
    if problem.startswith("file is binary"):
        return "QE003"
    return "QE004"


def problem_span(data: bytes) -> Span:
    """Where decode_source found its problem: the first NUL or bad UTF-8 byte."""
    if len(data) > MAX_SOURCE_BYTES:
        return UNKNOWN_SPAN
    offset = data.find(b"\x00")
    if offset == -1:
        try:
            data.decode("utf-8")
            return UNKNOWN_SPAN
        except UnicodeDecodeError as error:
            offset = error.start
    head = data[:offset]
    line = head.count(b"\n") + 1
    column = len(head[head.rfind(b"\n") + 1:].decode("utf-8", "replace")) + 1
    return Span(offset, offset + 1, line, column, line, column + 1)


def read_source(path: str | Path) -> Source:
    """Read a policy file, raising SourceError with a clear message on bad files."""
    from .diagnostics import Diagnostic
    from .errors import SourceError

    name = str(path)
    try:
        data = Path(path).read_bytes()
    except IsADirectoryError:
        raise SourceError([Diagnostic.error("is a directory, not a policy file", name, code="QE001")]) from None
    except FileNotFoundError:
        raise SourceError([Diagnostic.error("no such file", name, code="QE001")]) from None
    except OSError as error:
        raise SourceError([Diagnostic.error(f"cannot read file: {error.strerror}", name, code="QE001")]) from None
    text, problem = decode_source(data, name)
    if problem is not None:
        raise SourceError([Diagnostic.error(problem, name, problem_span(data), code=problem_code(problem))])
    assert text is not None
    return Source(text, name)


_POLICY_LINE = re.compile(r"^\s*policy\s", re.MULTILINE)


def is_policy_file(path: str | Path) -> bool:
    """A file with a `policy` line; included fragments have none. A file that
    cannot be read as policy text (binary, not UTF-8, too large) counts as a
    policy, so that loading it reports why instead of skipping it silently."""
    try:
        data = Path(path).read_bytes()
    except OSError:
        return True
    text, problem = decode_source(data, str(path))
    if problem is not None or text is None:
        return True
    return _POLICY_LINE.search(text) is not None
