"""What a backtest reads from each row: the lead, its outcome, its as-of time.

`read_leads` is the one place rows come from, so the reader can be swapped
(for `qualdsl.batch.inputs`, with Parquet) without touching anything else.
A row that cannot be used is kept as a `Skip` with its reason, never dropped.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from typing import Any

import attrs

from ..api import normalize_as_of, parse_field_path
from ..leads import MAX_LEADS_BYTES, LeadFileError, LeadRecord, parse_leads
from ..leads import read_text as _read_stdin
from ..nodes import Duration
from ..runtime import lookup

DEFAULT_POSITIVE = ("1", "true", "yes")
DEFAULT_NEGATIVE = ("0", "false", "no")
_DURATION = re.compile(r"([0-9]+(?:\.[0-9]+)?)([hdw])\Z")


CHUNK = 1 << 20


def read_leads(path: str) -> Iterator[LeadRecord]:
    """Rows of a leads file (CSV, JSONL, JSON; '-' is stdin), bad ones with
    their error. Raises LeadFileError when the file as a whole is unreadable."""
    return parse_leads(_read_text(path), path)


def _read_text(path: str) -> str:
    """The file's text, read in chunks so that /dev/zero or an endless pipe
    stops at the first NUL byte or at the size limit instead of filling memory."""
    if path == "-":
        return _read_stdin(path)
    try:
        with open(path, "rb") as file:
            chunks, size = [], 0
            while chunk := file.read(CHUNK):
                if b"\x00" in chunk:
                    raise LeadFileError(f"{path}: file is binary (it contains NUL bytes), not leads")
                size += len(chunk)
                if size > MAX_LEADS_BYTES:
                    raise LeadFileError(f"{path}: file is too large for a leads file")
                chunks.append(chunk)
    except FileNotFoundError:
        raise LeadFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise LeadFileError(f"{path}: is a directory, not a leads file") from None
    except OSError as error:
        raise LeadFileError(f"{path}: cannot read file: {error.strerror}") from None
    try:
        return b"".join(chunks).decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        raise LeadFileError(f"{path}: not valid UTF-8 (bad byte at offset {error.start})") from None


def parse_duration(text: str) -> dt.timedelta:
    """`12h`, `1d`, `1.5d`, `2w`, as in the language. Raises ValueError."""
    found = _DURATION.match(text.strip())
    if found is None:
        raise ValueError(f"`{text}` is not a duration: a number and a unit h, d or w (12h, 1d, 1.5d, 2w)")
    return Duration(Decimal(found.group(1)), found.group(2)).timedelta


def _folded(value: Any) -> str | None:
    """An outcome cell as comparable text: 1, 1.0, "1", True all read "1"/"true"."""
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
            return None, "missing" if raw is None or raw == "" else _shown(raw)
        if text in self.positive:
            return True, None
        if text in self.negative:
            return False, None
        return None, _shown(raw)


def _shown(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 40 else text[:39] + "…"


@attrs.frozen
class AsOf:
    """One moment for every lead, or each lead's own (a field plus an offset)."""

    moment: dt.datetime | None = None
    field: str | None = None
    path: tuple[str, ...] = ()
    offset: dt.timedelta = dt.timedelta(0)

    @classmethod
    def of_field(cls, field: str, offset: dt.timedelta = dt.timedelta(0)) -> AsOf:
        return cls(None, field, parse_field_path(field), offset)

    def read(self, lead: Mapping[str, Any]) -> tuple[dt.datetime | None, str | None]:
        """(the lead's as-of, None) or (None, why it has none)."""
        if self.moment is not None:
            return self.moment, None
        assert self.field is not None
        raw = lookup(lead, self.path, ".".join(self.path))
        if raw is None or raw == "":
            return None, f"{self.field} is missing"
        if isinstance(raw, (str, dt.date)):
            try:
                return normalize_as_of(raw) + self.offset, None
            except (ValueError, OverflowError):
                pass
        return None, f"{self.field} is not a date or datetime: {_shown(raw)}"

    def describe(self) -> str:
        if self.moment is not None:
            from ..api import format_as_of

            return format_as_of(self.moment)
        offset = f" + {_show_offset(self.offset)}" if self.offset else ""
        return f"each lead's {self.field}{offset}"


def _show_offset(offset: dt.timedelta) -> str:
    seconds = offset.total_seconds()
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600)):
        if seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds / 3600:g}h"
