"""What a dialect or engine cannot hold exactly: a construct the compile
refuses (never guesses), and lead text that is not UTF-8."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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


# A lead value Python holds exactly and SQL cannot (an int beyond 64 bits,
# say): the compiled query stops with this message (builders.stop) rather
# than decide the lead otherwise; the engines find it in the SQL engine's
# error and hand the input to the python engine (batch.engines).
CANNOT_HOLD = "qualdsl: cannot hold "
CANNOT_HOLD_END = " exactly in SQL; the python engine decides this lead"


def handed_over(refused: SqlRefused) -> Exception:
    """A policy construct a SQL engine refuses, as batch's HandOver: `score`
    has the python engine decide the input (the one-lead evaluators raise
    the refusal itself)."""
    from ...batch.engines import HandOver

    return HandOver(str(refused))


def held_back(error: BaseException) -> str | None:
    """What a SQL engine's error says the query stopped for: a value it
    could not hold ("cannot hold n = 99999999999999999999 (an int beyond
    64 bits)") or a dialect's own stop ("spark cannot show this number
    ..."); None for any other error."""
    for line in str(error).splitlines():
        start = line.find("qualdsl: ")
        if start < 0:
            continue
        text = line[start + len("qualdsl: "):]
        end = text.find(CANNOT_HOLD_END)
        if end >= 0:
            return text[:end].strip()
        return text.split(" SQLSTATE:")[0].strip()
    return None


def lone_surrogate_text(where: str, engine: str) -> str:
    """Why a SQL engine hands over a row whose text holds a lone surrogate
    (JSON's `\\ud800`): Python keeps it, a SQL engine's text cannot (UTF-8)."""
    return (f"{where}: a string holds a lone surrogate (a \\u escape of half a UTF-16 pair), which the {engine} "
            "engine cannot hold as text")


def lone_surrogate_in(name: str, engine: str) -> str:
    """The one-lead evaluators' LeadRefused message for such a value."""
    return f"{engine}: `{name}` holds a lone surrogate (half a UTF-16 pair), which {engine} text cannot hold"


def has_lone_surrogate(value: Any) -> bool:
    """Whether a lead value holds text that is not UTF-8 (a lone surrogate),
    in a string or a key, at any depth."""
    stack = [value]
    while stack:
        item = stack.pop()
        if type(item) is str:
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, Mapping):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return False
