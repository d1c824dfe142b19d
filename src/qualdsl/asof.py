"""When a lead is judged: one moment for every lead, or each lead's own.

`--as-of T` decides every lead as of T; `--as-of-field PATH [--as-of-offset D]`
decides each lead as of its own date or datetime field plus D (how the
policy judged the lead when it arrived). The three options are defined once
here (`as_of_options`) and read once (`from_options`), so eval, score,
backtest and diff accept and refuse the same values with the same messages.

A lead's own moment is its field read exactly as a `datetime` field of the
schema is (runtime.to_datetime, the flat-key lookup included), so the
DuckDB engine, which compiles the same coercion to SQL, agrees with it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, TypeVar

import attrs
import click

# The rest of qualdsl is imported where used: cli.py defines its options from
# this module, and `qualdsl --help` should not load the compiler.

_DURATION = re.compile(r"([0-9]+(?:\.[0-9]+)?)([hdw])\Z")
UNUSABLE = "as-of time unusable"  # how every command names a lead whose own moment cannot be read
MAX_SHOWN = 40  # characters of a bad value quoted in a message


def parse_duration(text: str) -> dt.timedelta:
    """`12h`, `1d`, `1.5d`, `2w`, as in the language. Raises ValueError."""
    from .nodes import Duration

    found = _DURATION.match(text.strip())
    if found is None:
        raise ValueError(f"`{text}` is not a duration: a number and a unit h, d or w (12h, 1d, 1.5d, 2w)")
    try:
        return Duration(Decimal(found.group(1)), found.group(2)).timedelta
    except OverflowError:
        raise ValueError(f"`{text}` is too long a duration") from None


def shown(value: Any) -> str:
    """A lead's value as a message quotes it, cut short."""
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN - 1] + "…"


@attrs.frozen
class AsOf:
    """One moment for every lead, or each lead's own (a field plus an offset)."""

    moment: dt.datetime | None = None
    field: str | None = None
    path: tuple[str, ...] = ()
    offset: dt.timedelta = dt.timedelta(0)

    @classmethod
    def of_field(cls, field: str, offset: dt.timedelta = dt.timedelta(0)) -> AsOf:
        """Raises ValueError for a malformed field path."""
        from .api import parse_field_path

        return cls(None, field, parse_field_path(field), offset)

    @classmethod
    def now(cls) -> AsOf:
        """The CLI's default when no moment is given (tests always give one)."""
        return cls(dt.datetime.now(dt.UTC).replace(microsecond=0))

    @property
    def per_lead(self) -> bool:
        return self.moment is None

    def read(self, lead: Mapping[str, Any]) -> tuple[dt.datetime | None, str | None]:
        """(the lead's moment, None) or (None, why it has none)."""
        if self.moment is not None:
            return self.moment, None
        from .runtime import BAD, lookup, to_datetime

        assert self.field is not None
        raw = lookup(lead, self.path, ".".join(self.path))
        if raw is None or raw == "":
            return None, f"{self.field} is missing"
        moment = to_datetime(raw)
        if moment is not BAD:
            try:
                found: dt.datetime = moment + self.offset
                return found, None
            except OverflowError:
                return None, f"{self.field} + {show_offset(self.offset)} is past the year 9999: {shown(raw)}"
        return None, f"{self.field} is not a date or datetime: {shown(raw)}"

    def describe(self) -> str:
        if self.moment is not None:
            from .api import format_as_of

            return format_as_of(self.moment)
        offset = f" + {show_offset(self.offset)}" if self.offset else ""
        return f"each lead's {self.field}{offset}"


def show_offset(offset: dt.timedelta) -> str:
    seconds = offset.total_seconds()
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600)):
        if seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds / 3600:g}h"


def unusable(problem: str) -> str:
    """The error of a row whose own moment cannot be read, the same everywhere."""
    return f"{UNUSABLE}: {problem}"


def raw_text(lead: Mapping[str, Any]) -> str:
    """A lead as the `raw` text of an error record."""
    return json.dumps(lead, ensure_ascii=False, default=str)


# ------------------------------------------------------------------ options

F = TypeVar("F", bound=Callable[..., Any])


def as_of_option_list(what: str = "Decide") -> list[Callable[[F], F]]:
    """The three options, with the same names, metavars and help everywhere."""
    return [
        click.option("--as-of", "as_of", metavar="DATE",
                     help=f"{what} every lead as of this date or ISO 8601 datetime (no zone: UTC)."),
        click.option("--as-of-field", "as_of_field", metavar="PATH",
                     help=f"{what} each lead as of its own date or datetime field (when it arrived)."),
        click.option("--as-of-offset", "as_of_offset", metavar="DURATION",
                     help="With --as-of-field: judge each lead this long after that time: 12h, 1d, 2w."),
    ]


def as_of_options(what: str = "Decide") -> Callable[[F], F]:
    """A decorator adding the three options to a click command."""

    def add(function: F) -> F:
        for option in reversed(as_of_option_list(what)):
            function = option(function)
        return function

    return add


def from_options(as_of: str | None, as_of_field: str | None, as_of_offset: str | None) -> AsOf | None:
    """The options read, or None when neither --as-of nor --as-of-field was
    given (the caller picks its default). Raises click usage errors."""
    if as_of is not None and as_of_field is not None:
        raise click.UsageError("give one of --as-of DATE (one moment) or --as-of-field PATH (each lead's own), "
                               "not both")
    if as_of_offset is not None and as_of_field is None:
        raise click.UsageError("--as-of-offset needs --as-of-field PATH")
    if as_of_field is not None:
        try:
            offset = parse_duration(as_of_offset) if as_of_offset is not None else dt.timedelta(0)
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--as-of-offset") from None
        try:
            return AsOf.of_field(as_of_field, offset)
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--as-of-field") from None
    if as_of is not None:
        from .api import normalize_as_of

        try:
            return AsOf(normalize_as_of(as_of))
        except ValueError as error:
            raise click.BadParameter(str(error).removeprefix("as_of: "), param_hint="--as-of") from None
    return None


__all__ = [
    "UNUSABLE", "AsOf", "as_of_option_list", "as_of_options", "from_options", "parse_duration", "raw_text", "unusable",
]
