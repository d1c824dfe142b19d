"""A construct a dialect cannot run exactly: the compile refuses, never guesses."""

from __future__ import annotations

from ...diagnostics import Diagnostic
from ...errors import QualError
from ...source import UNKNOWN_SPAN, Span


class SqlRefused(QualError):
    """`construct` cannot be compiled to `dialect` with the Python semantics."""

    def __init__(self, construct: str, dialect: str, *, path: str = "<policy>", span: Span = UNKNOWN_SPAN):
        self.construct = construct
        self.dialect = dialect
        super().__init__([Diagnostic.error(
            f"{construct} cannot be compiled exactly to {dialect} SQL", path, span,
            help="use the python engine, or another dialect",
        )])


def lone_surrogate(where: str, engine: str) -> str:
    """The message for a row whose text holds a lone surrogate (JSON's
    `\\ud800`): Python keeps it, a SQL engine's text cannot (UTF-8)."""
    return (f"{where}: a string holds a lone surrogate (a \\u escape of half a UTF-16 pair), which the {engine} "
            "engine cannot hold as text; the python engine (--engine python) reads it")
