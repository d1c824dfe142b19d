"""The public Python API: load a policy, evaluate leads."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from . import ir
from .backends.python import CompiledPolicy, RuleInfo, compile_policy
from .build import parse_module
from .check import CheckedPolicy, check
from .decision import Decision
from .loader import Loader, source_at
from .lower import lower
from .source import MAX_SOURCE_BYTES, Source, decode_policy, read_source, source_error

UTC = dt.UTC


def normalize_as_of(as_of: dt.datetime | dt.date | str) -> dt.datetime:
    """`as_of` as an aware UTC datetime: a date means midnight UTC, no zone means UTC."""
    if isinstance(as_of, str):
        from .runtime import BAD, to_datetime

        value = to_datetime(as_of.strip())
        if value is BAD:
            raise ValueError(f"as_of: `{as_of}` is not an ISO 8601 date or datetime")
        moment: dt.datetime = value
        return moment
    if isinstance(as_of, dt.datetime):
        return as_of.replace(tzinfo=UTC) if as_of.tzinfo is None else as_of.astimezone(UTC)
    if isinstance(as_of, dt.date):
        return dt.datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC)
    raise TypeError(f"as_of must be a datetime, a date or an ISO 8601 string, not {type(as_of).__name__}")


def format_as_of(as_of: dt.datetime) -> str:
    # Not strftime: its %Y drops the zero padding of years before 1000 (`1-01-01`).
    text = (f"{as_of.year:04d}-{as_of.month:02d}-{as_of.day:02d}"
            f"T{as_of.hour:02d}:{as_of.minute:02d}:{as_of.second:02d}")
    if as_of.microsecond:
        text += f".{as_of.microsecond:06d}"
    return text + "Z"


class Policy:
    """A compiled policy, ready to evaluate leads."""

    def __init__(self, checked: CheckedPolicy, ir: ir.Policy, compiled: CompiledPolicy,
                 id_field: str | None = None):
        self.checked = checked
        self.ir = ir  # what the policy means: every backend and tool reads this
        self.compiled = compiled
        self.id_field = id_field
        self._evaluate = compiled.function
        self._last: tuple[Any, Any, str] = (object(), None, "")
        self._hash: str | None = None

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as its source texts (the policy and every file it includes),
        recompiled on load, so a process pool can ship it to its workers: what
        arrives is the policy that was loaded, even if the files changed since."""
        main = self.checked.source
        files = {
            _store_key(source): source.text
            for source in self.checked.sources.values() if source.name is not None
        }
        return (_unpickle, (main.text, main.path, _store_key(main) if main.name else None, files, self.id_field))

    @property
    def name(self) -> str:
        return self.checked.name

    @property
    def title(self) -> str | None:
        return self.checked.title

    @property
    def path(self) -> str:
        return self.checked.source.path

    @property
    def hash(self) -> str:
        """sha256 of the policy's canonical form: the same for two files that
        differ only in layout or comments, different for any change of meaning."""
        if self._hash is None:
            from .ir_json import policy_hash

            self._hash = policy_hash(self.ir)
        return self._hash

    @property
    def rules(self) -> tuple[RuleInfo, ...]:
        return self.compiled.rules

    @property
    def tiers(self) -> tuple[str, ...]:
        return self.ir.tier_names

    @property
    def routes(self) -> tuple[str, ...]:
        return self.ir.queues

    @property
    def schema(self) -> dict[str, str] | None:
        """Declared fields (dotted path -> type), in schema order; None without a schema."""
        if self.checked.schema is None:
            return None
        return {".".join(path): info.type for path, info in self.checked.schema.items()}

    @property
    def blocks(self) -> tuple[str, ...]:
        return tuple(b.name for b in self.ir.blocks)

    def _times(self, as_of: Any) -> tuple[Any, dt.datetime, str]:
        moment = normalize_as_of(as_of)
        self._last = (as_of, moment, format_as_of(moment))
        return self._last

    def times(self, as_of: dt.datetime | dt.date | str) -> tuple[dt.datetime, str]:
        """`as_of` as the evaluate function takes it: the UTC moment and the
        decision's `as_of` text; the last one is kept, as evaluate keeps it."""
        last = self._last
        if as_of is not last[0]:
            last = self._times(as_of)
        return last[1], last[2]

    def evaluate(self, lead: Mapping[str, Any], *, as_of: dt.datetime | dt.date | str) -> Decision:
        """Decide one lead as of a moment. Never raises on lead data."""
        # The same as_of object is usually passed for a whole batch: normalise once.
        last = self._last
        if as_of is not last[0]:
            last = self._times(as_of)
        return self._evaluate(lead, last[1], last[2])

    def evaluate_many(
        self, leads: Iterable[Mapping[str, Any]], *, as_of: dt.datetime | dt.date | str
    ) -> Iterator[Decision]:
        """Decide many leads as of one moment, lazily, in order."""
        moment, text = normalize_as_of(as_of), ""
        text = format_as_of(moment)
        evaluate = self._evaluate
        for lead in leads:
            yield evaluate(lead, moment, text)

    def __repr__(self) -> str:
        return f"<Policy {self.name!r} from {self.path!r}>"


def parse_field_path(text: str) -> tuple[str, ...]:
    """`company.id` -> ("company", "id"); a backticked segment may hold dots
    (`` `a.b`.c ``); `Prospect ID` is one segment. Raises ValueError."""
    segments: list[str] = []
    current, quoted, closed = "", False, False
    for char in text:
        if char == "`":
            if quoted:
                closed = True
            elif current:
                raise ValueError(f"field path `{text}`: a backtick inside a segment")
            quoted = not quoted
        elif char == "." and not quoted:
            if not current and not closed:
                raise ValueError(f"field path `{text}` has an empty segment")
            segments.append(current)
            current, closed = "", False
        elif closed:
            raise ValueError(f"field path `{text}`: text after a closing backtick")
        else:
            current += char
    if quoted:
        raise ValueError(f"field path `{text}` has an unclosed backtick")
    if not current and not closed:
        raise ValueError(f"field path `{text}` has an empty segment")
    segments.append(current)
    return tuple(segments)


def _store_key(source: Source) -> str:
    """A source's key in the DictLoader a pickled policy is rebuilt with: its
    loader name (an absolute path on disk) without the leading `/`, so that
    includes resolve between the keys as they did between the files."""
    return str(source.name).replace("\\", "/").lstrip("/")


def _unpickle(text: str, path: str, key: str | None, files: dict[str, str], id_field: str | None) -> Policy:
    from .loader import DictLoader

    source = Source(text, path, name=key, loader=DictLoader(files)) if key is not None else Source(text, path)
    return compile_source(source, id_field=id_field)


def compile_source(source: Source, *, id_field: str | None = None) -> Policy:
    """Parse, check and compile one source. `id_field` is the field path
    reported as the decision's `lead` (default `id`). Its includes are read
    through `source.loader` (see loader.py)."""
    id_path = parse_field_path(id_field) if id_field is not None else ("id",)
    checked = check(parse_module(source), source)
    lowered = lower(checked, id_field=id_path)
    return Policy(checked, lowered, compile_policy(lowered), id_field)


def load(path: str | Path, *, id_field: str | None = None, loader: Loader | None = None) -> Policy:
    """Load and compile a policy; raise QualError with every problem.

    Without `loader`, `path` is a file and its includes are read from disk,
    confined to its folder, or to its project (the folder of the nearest
    qualdsl.toml above it). With one, `path` is a name that loader knows
    (e.g. a key of a DictLoader) and includes come from it too."""
    if loader is not None:
        return compile_source(loader.get_source(os.fspath(path), None), id_field=id_field)
    return compile_source(source_at(read_source(path).text, path), id_field=id_field)


def loads(
    text: str | bytes, name: str = "<string>", *, path: str | Path | None = None,
    id_field: str | None = None, loader: Loader | None = None,
) -> Policy:
    """Compile policy text. `path` is where the text would live: includes are
    resolved from it, on disk, or through `loader` when one is given (then
    `path` is a name in that loader; without it, names are relative to the
    loader's root)."""
    display = os.fspath(path) if path is not None else name
    if isinstance(text, str) and len(text) > MAX_SOURCE_BYTES:
        raise source_error(
            f"policy text is too large ({len(text)} characters; the limit is {MAX_SOURCE_BYTES})", display,
            code="QE002")
    if isinstance(text, bytes):
        text = decode_policy(text, display)
    source = Source(text, display)
    if loader is not None:
        source = Source(text, display, name=display if path is not None else None, loader=loader)
    elif path is not None:
        source = source_at(text, display)
    return compile_source(source, id_field=id_field)
