"""What a backtest reads from each row besides the lead: its outcome.

Rows come from batch.inputs (the readers `qualdsl score` uses); each row's
as-of time from asof.AsOf. A row that cannot be used is kept as a skip with
its reason by measure.py, never dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from ..api import parse_field_path
from ..asof import AsOf, parse_duration, shown
from ..runtime import lookup

_WHOLE = re.compile(r"[0-9]+\.0+")  # "1.0": a whole number written as a float
DEFAULT_POSITIVE = ("1", "true", "yes")
DEFAULT_NEGATIVE = ("0", "false", "no")


def _folded(value: Any) -> str | None:
    """An outcome cell as comparable text: 1, 1.0, "1", "1.0", True all read "1"/"true"
    (a CSV written from a float column says `1.0`)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, str):
        text = value.strip().casefold()
        if _WHOLE.fullmatch(text):
            text = text[:text.index(".")]
        return text or None
    return None  # a list or an object is not an outcome


@attrs.frozen
class Outcomes:
    """Which outcome values count as converted, and which as not."""

    field: str
    path: tuple[str, ...]
    positive: frozenset[str]
    negative: frozenset[str]

    @classmethod
    def build(cls, field: str, positive: Iterable[str] = DEFAULT_POSITIVE,
              negative: Iterable[str] = DEFAULT_NEGATIVE) -> Outcomes:
        """Raises ValueError for a bad field path."""
        positives = frozenset(value.strip().casefold() for value in positive)
        # A value named positive is positive, even when it is a default negative.
        negatives = frozenset(value.strip().casefold() for value in negative) - positives
        return cls(field, parse_field_path(field), positives, negatives)

    def read(self, lead: Mapping[str, Any]) -> tuple[bool | None, str | None]:
        """(converted?, None), or (None, why not): "missing" or the unknown value."""
        raw = lookup(lead, self.path, ".".join(self.path))
        text = _folded(raw)
        if text is None:
            return None, "missing" if raw is None or raw == "" else shown(raw)
        if text in self.positive:
            return True, None
        if text in self.negative:
            return False, None
        return None, shown(raw)



__all__ = ["DEFAULT_NEGATIVE", "DEFAULT_POSITIVE", "AsOf", "Outcomes", "parse_duration"]
