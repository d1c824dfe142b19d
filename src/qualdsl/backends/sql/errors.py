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
