"""Values at evaluation time: coercion of lead data, lookups, and the
missing-aware operators that generated code calls when types are not known
at compile time.

Missing is `None`. A helper never raises on lead data: a value of the wrong
kind makes a comparison false and a function or arithmetic result missing.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import operator
import re
from collections.abc import Mapping
from typing import Any

UTC = dt.UTC
BAD = object()  # a value that did not coerce; becomes missing with a warning
_MISS = object()

# ============================================================== lookups


def lookup(lead: Mapping[str, Any], path: tuple[str, ...], flat: str) -> Any:
    """`a.b` is a nested lookup; when that fails, the flat key "a.b" is tried."""
    current: Any = lead
    for segment in path:
        if isinstance(current, Mapping):
            current = current.get(segment, _MISS)
            if current is _MISS:
                break
        else:
            current = _MISS
            break
    if current is _MISS:
        return lead.get(flat) if len(path) > 1 else None
    return current


# ============================================================ coercion

_INT_TEXT = re.compile(r"[+-]?[0-9]+(?:\.0+)?\Z")
_DECIMAL_TEXT = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?\Z")
_DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
_DATETIME_TEXT = re.compile(
    r"([0-9]{4}-[0-9]{2}-[0-9]{2})"
    r"(?:[T ]([0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.([0-9]+))?)?)"
    r"(Z|[+-][0-9]{2}(?::?[0-9]{2})?)?)?\Z"
)


def to_int(value: Any) -> Any:
    kind = type(value)
    if kind is int:
        return value
    if kind is float:
        return int(value) if value.is_integer() else BAD
    if kind is str:
        if _INT_TEXT.match(value):
            try:
                return int(value.split(".", 1)[0])
            except ValueError:  # more digits than Python converts (4300)
                return BAD
        return BAD
    return BAD


def to_number(value: Any) -> Any:
    kind = type(value)
    if kind is int:
        return value
    if kind is float:
        return value if math.isfinite(value) else BAD
    if kind is str:
        if _DECIMAL_TEXT.match(value):
            number = float(value)
            # Hundreds of digits overflow to inf, which is no number (numbers are finite).
            return number if math.isfinite(number) else BAD
        return BAD
    return BAD


def to_bool(value: Any) -> Any:
    if type(value) is bool:
        return value
    if type(value) is str:
        lowered = value.lower()
        if lowered == "true":
            return True
        if lowered == "false":
            return False
    return BAD


def to_string(value: Any) -> Any:
    kind = type(value)
    if kind is str:
        return value
    try:
        if kind is int:
            return str(value)
        if kind is float and value.is_integer():
            return str(int(value))
    except ValueError:  # an int of more digits than Python converts (4300)
        return BAD
    return BAD


def to_date(value: Any) -> Any:
    kind = type(value)
    if kind is dt.date:
        return value
    if kind is str and _DATE_TEXT.match(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return BAD
    return BAD


def to_datetime(value: Any) -> Any:
    kind = type(value)
    if kind is str:
        # Fast path for the shape CRMs export most, `2026-10-30T10:00:00Z`:
        # fromisoformat checks every digit itself, and "Z" gives exactly UTC.
        if (
            len(value) == 20 and value[19] == "Z" and value[10] == "T" and value[4] == "-"
            and value[7] == "-" and value[13] == ":" and value[16] == ":" and value.isascii()
        ):
            try:
                return _fromisoformat(value)
            except ValueError:
                return BAD
        return _parse_datetime_text(value)
    if kind is dt.datetime:
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        try:
            return value.astimezone(UTC)
        except OverflowError:
            return BAD
    if kind is dt.date:
        return dt.datetime(value.year, value.month, value.day, tzinfo=UTC)
    return BAD


_fromisoformat = dt.datetime.fromisoformat


def _parse_datetime_text(value: str) -> Any:
    """Any ISO 8601 date or datetime the contract accepts (the general path)."""
    match = _DATETIME_TEXT.match(value)
    if match is None:
        return BAD
    day, clock, fraction, zone = match.groups()
    try:
        if clock is None:
            return dt.datetime.fromisoformat(day).replace(tzinfo=UTC)
        if fraction is not None and len(fraction) > 6:
            clock = clock[: len(clock) - len(fraction) + 6]
        text = f"{day}T{clock}"
        if zone and zone != "Z":
            text += zone if ":" in zone or len(zone) == 3 else f"{zone[:3]}:{zone[3:]}"
        parsed = dt.datetime.fromisoformat(text)
        if parsed.tzinfo is None:
            return parsed.replace(tzinfo=UTC)
        # An offset can push year 1 or 9999 out of range: not a datetime.
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        return BAD


def _list_of(convert: Any) -> Any:
    def to_list(value: Any) -> Any:
        if type(value) not in (list, tuple):
            return BAD
        result = []
        for element in value:
            if element is None:
                continue
            converted = convert(element)
            if converted is BAD:
                return BAD
            result.append(converted)
        return result

    return to_list


COERCE = {
    "string": to_string,
    "int": to_int,
    "number": to_number,
    "bool": to_bool,
    "date": to_date,
    "datetime": to_datetime,
    "list[string]": _list_of(to_string),
    "list[number]": _list_of(to_number),
}


def show(value: Any) -> str:
    """A lead value as it appears in a warning: its JSON text, in full (the
    contract's `got <value>`); only an absurd value over 1,000 characters is cut."""
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except RecursionError:  # nested deeper than json.dumps goes: only the start is shown anyway
        text = _json_prefix(value, 1001)
    except (TypeError, ValueError):
        try:
            text = repr(value)
        except (ValueError, RecursionError):  # e.g. an int of more than 4300 digits
            text = f"<{type(value).__name__}>"
    return text if len(text) <= 1000 else text[:997] + "..."


def _json_prefix(value: Any, limit: int) -> str:
    """The first `limit` characters of `json.dumps(value, ensure_ascii=False,
    default=str)`, written without recursion, for values nested too deeply."""
    out: list[str] = []
    size = 0
    # The stack holds text to emit and values still to encode, last first.
    stack: list[tuple[bool, Any]] = [(False, value)]
    while stack and size < limit:
        is_text, item = stack.pop()
        if is_text:
            piece = item
        elif isinstance(item, (list, tuple)):
            piece = "["
            stack.append((True, "]"))
            for index in range(len(item) - 1, -1, -1):
                stack.append((False, item[index]))
                if index:
                    stack.append((True, ", "))
        elif isinstance(item, dict):
            piece = "{"
            stack.append((True, "}"))
            entries = list(item.items())
            for index in range(len(entries) - 1, -1, -1):
                key, element = entries[index]
                stack.append((False, element))
                if not isinstance(key, str):  # as json.dumps writes a key
                    key = json.dumps(key) if key is None or isinstance(key, (bool, int, float)) else str(key)
                stack.append((True, json.dumps(key, ensure_ascii=False) + ": "))
                if index:
                    stack.append((True, ", "))
        else:
            try:
                piece = json.dumps(item, ensure_ascii=False, default=str)
            except (TypeError, ValueError):
                piece = f"<{type(item).__name__}>"
        out.append(piece)
        size += len(piece)
    return "".join(out)[:limit]


def coerce_field(value: Any, convert: Any, field: str, type_name: str, warnings: list[str]) -> Any:
    """A present lead value of the wrong type: converted, or missing with a warning."""
    converted = convert(value)
    if converted is BAD:
        warnings.append(coercion_warning(field, type_name, value))
        return None
    return converted


def coercion_warning(field: str, type_name: str, value: Any) -> str:
    return f"{field}: expected {type_name}, got {show(value)}; treated as missing"


# =============================================================== events

# (at, type, casefolded type, the raw event, its index in the input)
Event = tuple[dt.datetime, str, str, Mapping[str, Any], int]


def load_events(raw: Any, field: str, as_of: dt.datetime, warnings: list[str]) -> Any:
    """The lead's events that exist as of T, most recent first (ties: later
    in the input first). Returns None when the field is missing or not a list."""
    if raw is None:
        return None
    if type(raw) not in (list, tuple):
        warnings.append(coercion_warning(field, "events", raw))
        return None
    events: list[Event] = []
    for index, element in enumerate(raw):
        at: Any = BAD
        kind = element.get("type") if type(element) is dict or isinstance(element, Mapping) else None
        if type(kind) is str:
            at = element.get("at")
            # to_datetime's fast path, inlined: this loop runs for every event.
            if (
                type(at) is str and len(at) == 20 and at[19] == "Z" and at[10] == "T"
                and at[4] == "-" and at[7] == "-" and at[13] == ":" and at[16] == ":" and at.isascii()
            ):
                try:
                    at = _fromisoformat(at)
                except ValueError:
                    at = BAD
            else:
                at = to_datetime(at)
        if at is BAD:
            warnings.append(
                f"{field}[{index}]: expected an event with a string `type` and an "
                f"ISO 8601 `at`, got {show(element)}; ignored"
            )
            continue
        if at <= as_of:
            name: str = kind  # type: ignore[assignment]  # a str: checked above
            events.append((at, name, name.casefold(), element, index))
    events.sort(key=_RECENCY, reverse=True)
    return events


_RECENCY = operator.itemgetter(0, 4)  # by `at`, ties: later in the input first


def group_by_type(events: list[Event] | None) -> dict[str, list[Event]]:
    groups: dict[str, list[Event]] = {}
    for event in events or ():
        groups.setdefault(event[2], []).append(event)
    return groups


def event_field(event: Event, path: tuple[str, ...], flat: str) -> Any:
    """A field of an event inside `where`: `type`, `at`, or any other key."""
    if path == ("type",):
        return event[1]
    if path == ("at",):
        return event[0]
    return lookup(event[3], path, flat)


# ============================================================ operators


def kind(value: Any) -> str | None:
    """The kind of a value for comparison: s, n, b, t (time), l (list), or None."""
    t = type(value)
    if t is str:
        return "s"
    if t is bool:
        return "b"
    if t is int or t is float:
        return "n"
    if t is dt.datetime or t is dt.date:
        return "t"
    if t is list or t is tuple:
        return "l"
    return None


def _time(value: Any) -> dt.datetime:
    if type(value) is dt.date:
        return dt.datetime(value.year, value.month, value.day, tzinfo=UTC)
    moment: dt.datetime = value
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def eq(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return False
    ka = kind(a)
    if ka is None or ka != kind(b):
        return False
    if ka == "s":
        return bool(a.casefold() == b.casefold())
    if ka == "t":
        return _time(a) == _time(b)
    if ka == "l":
        return _lists_equal(a, b)
    return bool(a == b)


def _lists_equal(a: Any, b: Any) -> bool:
    """Lists equal element by element (as `eq`), without recursion: lead data
    may nest lists thousands deep."""
    pairs = [(a, b)]
    while pairs:
        left, right = pairs.pop()
        if len(left) != len(right):
            return False
        for x, y in zip(left, right):
            if type(x) in (list, tuple) and type(y) in (list, tuple):
                pairs.append((x, y))
            elif not eq(x, y):
                return False
    return True


def ne(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return False
    ka = kind(a)
    if ka is None or ka != kind(b):
        return False
    return not eq(a, b)


def _ordered(a: Any, b: Any) -> tuple[Any, Any] | None:
    if a is None or b is None:
        return None
    ka = kind(a)
    if ka != kind(b) or ka not in ("s", "n", "t"):
        return None
    if ka == "s":
        return a.casefold(), b.casefold()
    if ka == "t":
        return _time(a), _time(b)
    return a, b


def lt(a: Any, b: Any) -> bool:
    pair = _ordered(a, b)
    return pair is not None and pair[0] < pair[1]


def le(a: Any, b: Any) -> bool:
    pair = _ordered(a, b)
    return pair is not None and pair[0] <= pair[1]


def gt(a: Any, b: Any) -> bool:
    pair = _ordered(a, b)
    return pair is not None and pair[0] > pair[1]


def ge(a: Any, b: Any) -> bool:
    pair = _ordered(a, b)
    return pair is not None and pair[0] >= pair[1]


def between(value: Any, low: Any, high: Any) -> bool:
    return ge(value, low) and le(value, high)


def member(item: Any, container: Any) -> bool:
    if item is None or type(container) not in (list, tuple):
        return False
    return any(eq(item, element) for element in container)


def not_member(item: Any, container: Any) -> bool:
    if item is None or type(container) not in (list, tuple):
        return False
    return not any(eq(item, element) for element in container)


def list_has_str(folded: str, values: Any) -> bool:
    """`"x" in LIST_FIELD` for a list[string] field: `folded` is casefolded."""
    if values is None:
        return False
    for value in values:  # noqa: SIM110 - a plain loop: faster than any() over a generator
        if value.casefold() == folded:
            return True
    return False


def str_member(item: Any, folded: frozenset[str]) -> bool:
    """`x in SET` where the set holds only strings (pre-casefolded)."""
    return type(item) is str and item.casefold() in folded


def contains(a: Any, b: Any) -> bool:
    return type(a) is str and type(b) is str and b.casefold() in a.casefold()


def starts_with(a: Any, b: Any) -> bool:
    return type(a) is str and type(b) is str and a.casefold().startswith(b.casefold())


def ends_with(a: Any, b: Any) -> bool:
    return type(a) is str and type(b) is str and a.casefold().endswith(b.casefold())


_SURROGATE = re.compile("[\ud800-\udfff]")


def search(pattern: Any, text: str) -> bool:
    """An RE2 search of a string."""
    try:
        return pattern.search(text) is not None
    except UnicodeEncodeError:
        # RE2 searches UTF-8, which cannot hold the lone surrogates lead data
        # may carry: each is searched as U+FFFD, still one character.
        return pattern.search(_SURROGATE.sub("\ufffd", text)) is not None


def matches(value: Any, pattern: Any) -> bool:
    return type(value) is str and search(pattern, value)


def truth(value: Any) -> bool:
    """A condition holds only when its value is the boolean true."""
    return value is True


def _number(value: Any) -> bool:
    t = type(value)
    return t is int or t is float


# An int too large for a float64 (JSON allows any) overflows when mixed with
# a float or divided: like division by zero, the result is missing.


def add(a: Any, b: Any) -> Any:
    if _number(a) and _number(b):
        try:
            return a + b
        except OverflowError:
            return None
    return None


def sub(a: Any, b: Any) -> Any:
    if _number(a) and _number(b):
        try:
            return a - b
        except OverflowError:
            return None
    return None


def mul(a: Any, b: Any) -> Any:
    if _number(a) and _number(b):
        try:
            return a * b
        except OverflowError:
            return None
    return None


def div(a: Any, b: Any) -> Any:
    if _number(a) and _number(b) and b != 0:
        try:
            return a / b
        except OverflowError:
            return None
    return None


def neg(a: Any) -> Any:
    return -a if _number(a) else None


# ============================================================ built-ins


def domain(email: Any) -> Any:
    if type(email) is not str or "@" not in email:
        return None
    return email.rsplit("@", 1)[1].lower()


def lower(text: Any) -> Any:
    return text.lower() if type(text) is str else None


def length(value: Any) -> Any:
    if type(value) in (str, list, tuple):
        return len(value)
    return None


_DAY = dt.timedelta(days=1)


def days_since(value: Any, as_of: dt.datetime) -> Any:
    t = type(value)
    if t is dt.date or t is dt.datetime:
        return (as_of - _time(value)) // _DAY
    return None


def lead_id(value: Any) -> str | None:
    """The decision's `lead`: the id as text, or null."""
    text = to_string(value) if value is not None else None
    return None if text is BAD else text
