"""Reading leads for batch scoring: CSV, JSONL, a JSON array, Parquet, stdin.

One streaming reader for every input kind. It yields, in input order, a
`Row` for each lead and a `RowError` for each row that cannot be read, so a
caller counts and reports bad rows instead of dropping them. Memory stays
constant: JSONL and CSV are read line by line with a size limit per line
(an endless line or /dev/zero ends in a RowError or an InputError, never
MemoryError), Parquet by record batches. Only a JSON array is read whole,
and only up to MAX_JSON_BYTES.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import json
import os
import stat
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import IO, Any

import attrs

FORMATS = ("csv", "jsonl", "json", "parquet")
EXTENSIONS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".parquet": "parquet",
              ".pq": "parquet"}
MAX_LINE_BYTES = 64 * 1024 * 1024  # one JSONL line or one physical CSV line
MAX_CELL_CHARS = 16 * 1024 * 1024  # one CSV cell (csv.field_size_limit)
MAX_JSON_BYTES = 256 * 1024 * 1024  # a JSON array is parsed whole: bounded
MAX_RAW_CHARS = 100_000  # the `raw` text kept in an error record
MAX_INT_DIGITS = 4300  # Python's int <-> text conversion limit
PARQUET_BATCH_ROWS = 4096
READ_BUFFER = 1 << 20  # bytes of a Parquet column chunk read at a time
BOM = b"\xef\xbb\xbf"
STDIN = "-"


@attrs.frozen(slots=True)
class Row:
    """One lead read from `source`; `line` is its first physical line (CSV,
    JSONL, JSON array) or its row number (Parquet), counting from 1."""

    source: str
    line: int
    lead: dict[str, Any]


@attrs.frozen(slots=True)
class RowError:
    """A row that cannot be read, with its text (cut to MAX_RAW_CHARS)."""

    source: str
    line: int
    error: str
    raw: str
    column: int | None = None  # where in the line, when known (JSON syntax errors)

    def to_dict(self) -> dict[str, Any]:
        """The error record of `--errors FILE`."""
        error = self.error if self.column is None else f"{self.error} (column {self.column})"
        return {"source": self.source, "line": self.line, "error": error, "raw": self.raw}

    @property
    def location(self) -> str:
        where = f"{self.source}:{self.line}"
        return where if self.column is None else f"{where}:{self.column}"


class InputError(Exception):
    """An input as a whole cannot be read (missing, a directory, binary,
    not Parquet, too large); the message names the file."""


def display_name(path: str) -> str:
    return "<stdin>" if path == STDIN else path


def input_format(path: str, override: str | None = None) -> str:
    """The format of an input: `override`, else its extension; stdin is JSONL."""
    if override is not None:
        return override
    if path == STDIN:
        return "jsonl"
    suffix = os.path.splitext(path)[1].lower()
    if suffix in EXTENSIONS:
        return EXTENSIONS[suffix]
    raise InputError(
        f"{path}: cannot tell the format from the extension `{suffix or '(none)'}`; "
        f"name the file *.csv, *.jsonl, *.ndjson, *.json or *.parquet, or give --input-format"
    )


def json_cells(schema: Mapping[str, str] | None) -> Callable[[str], bool]:
    """Which CSV columns hold JSON text: the list and events fields of the
    schema; without a schema, any cell that looks like a list or object."""
    if schema is None:
        return lambda key: True
    fields = {path for path, kind in schema.items() if kind.startswith("list[") or kind == "events"}
    return fields.__contains__


# ------------------------------------------------------------------ opening


def check_input(path: str) -> None:
    """InputError unless `path` can be opened as a leads input: a regular
    file, a FIFO or a character device (looked at, not opened: opening a
    FIFO would wait for its writer)."""
    if path == STDIN:
        return
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (OSError, ValueError) as error:
        raise InputError(f"{path}: cannot read: {getattr(error, 'strerror', None) or error}") from None
    if stat.S_ISDIR(mode):
        raise InputError(f"{path}: is a directory, not a leads file")
    if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode) or stat.S_ISCHR(mode)):
        raise InputError(f"{path}: not a regular file")


def open_input(path: str) -> IO[bytes]:
    """A binary stream; regular files, FIFOs and character devices only."""
    if path == STDIN:
        return sys.stdin.buffer
    check_input(path)
    try:
        return open(path, "rb")
    except OSError as error:
        raise InputError(f"{path}: cannot read: {error.strerror}") from None


def _size(stream: IO[bytes]) -> int | None:
    try:
        info = os.fstat(stream.fileno())
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        return None
    return info.st_size if stat.S_ISREG(info.st_mode) else None


class Progress:
    """How far through its inputs a reader is, as a fraction, when sizes are known."""

    def __init__(self) -> None:
        self.done = 0  # bytes (or rows, for Parquet, scaled to bytes) of finished inputs
        self.position: Callable[[], int] = lambda: 0

    def fraction(self, total: int | None) -> float | None:
        if total is None or total <= 0:
            return None
        try:
            return min(1.0, (self.done + self.position()) / total)
        except (OSError, ValueError):
            return None


def total_size(paths: Iterable[str]) -> int | None:
    """Sum of the input sizes, or None when one is a stream."""
    total = 0
    for path in paths:
        if path == STDIN:
            return None
        try:
            info = os.stat(path)
        except OSError:
            return None
        if not stat.S_ISREG(info.st_mode):
            return None
        total += info.st_size
    return total


# ------------------------------------------------------------------ reading


def read_rows(
    paths: Iterable[str],
    *,
    format: str | None = None,
    schema: Mapping[str, str] | None = None,
    progress: Progress | None = None,
) -> Iterator[Row | RowError]:
    """Rows of every input in turn. InputError for an input that cannot be
    read at all (raised when that input is reached)."""
    # Without batches=True, read_units yields no Batch.
    return read_units(paths, format=format, schema=schema, progress=progress)  # type: ignore[return-value]


def read_units(
    paths: Iterable[str],
    *,
    format: str | None = None,
    schema: Mapping[str, str] | None = None,
    progress: Progress | None = None,
    batch_rows: int | None = None,
) -> Iterator[Row | RowError | Batch]:
    """read_rows; with `batch_rows`, Parquet rows come as Batches of that
    many rows, for worker processes to make into leads."""
    is_json = json_cells(schema)
    for path in paths:
        kind = input_format(path, format)
        if kind == "parquet":
            if batch_rows is None:
                yield from _parquet(path, progress)
            else:
                yield from _parquet(path, progress, batches=True, batch_rows=batch_rows)
            continue
        stream = open_input(path)
        try:
            if progress is not None:
                size = _size(stream)
                tell = stream.tell if size is not None else (lambda: 0)
                progress.position = tell
            yield from read_stream(stream, display_name(path), kind, is_json)
            if progress is not None and size is not None:
                progress.done += size
                progress.position = lambda: 0
        finally:
            if stream is not sys.stdin.buffer:
                stream.close()


def read_stream(stream: IO[bytes], source: str, kind: str,
                is_json: Callable[[str], bool] | None = None) -> Iterator[Row | RowError]:
    """Rows of one open binary stream in a text format (csv, json, jsonl)."""
    if kind == "csv":
        return _csv(stream, source, is_json or json_cells(None))
    if kind == "json":
        return _json(stream, source)
    return _jsonl(stream, source)


def sniff_format(path: str, override: str | None = None) -> str:
    """input_format, but a name without a known extension (or stdin) is
    looked at: a JSON array if it starts with `[`, JSON Lines otherwise.
    Only what is already buffered is looked at on stdin, so leads piped in
    one by one are still answered one by one."""
    if override is not None:
        return override
    try:
        if path != STDIN:
            return input_format(path)
    except InputError:
        pass
    first = b""
    try:
        if path == STDIN:
            stream = sys.stdin.buffer
            if hasattr(stream, "peek"):
                first = stream.peek(64)
            elif stream.seekable():  # e.g. a BytesIO in tests
                start = stream.tell()
                first = stream.read(64)
                stream.seek(start)
        elif stat.S_ISREG(os.stat(path).st_mode):  # a FIFO read here would lose what it read
            with open(path, "rb") as file:
                first = file.read(64)
    except (OSError, ValueError):
        pass
    return "json" if first.lstrip(b" \t\r\n").removeprefix(BOM).startswith(b"[") else "jsonl"


def _cut(text: str) -> str:
    return text if len(text) <= MAX_RAW_CHARS else text[:MAX_RAW_CHARS]


def _binary(source: str, line: int, chunk: bytes = b"") -> InputError:
    """A NUL byte on `line` (`chunk`: that line, as read)."""
    from ..source import wide_text

    wide = wide_text(chunk) if line == 1 else None
    return InputError(f"{source}: {wide or f'file is binary (a NUL byte on line {line}), not leads'}")


def _too_long(source: str, line: int, chunk: bytes) -> RowError:
    return RowError(source, line, f"line is longer than {MAX_LINE_BYTES} bytes; the rest of the file is not read",
                    _cut(chunk[:MAX_RAW_CHARS].decode("utf-8", "replace")))


def _digits_as_text(text: str) -> Any:
    """parse_int for integers past Python's conversion limit: the digits stay
    text, as the same value in a CSV cell would (a typed field then warns)."""
    return int(text) if len(text) <= MAX_INT_DIGITS else text


_LENIENT = json.JSONDecoder(parse_int=_digits_as_text)


def parse_json(text: str, parse_constant: Callable[[str], Any] | None = None) -> Any:
    """json.loads, with integers over 4,300 digits kept as text. Raises
    json.JSONDecodeError and RecursionError. `parse_constant`: for NaN and
    the infinities (json.loads's own reads them as floats)."""
    try:
        return json.loads(text, parse_constant=parse_constant)
    except json.JSONDecodeError:
        raise
    except ValueError:  # an integer past the conversion limit
        return json.JSONDecoder(parse_int=_digits_as_text, parse_constant=parse_constant).decode(text)


def _jsonl(stream: IO[bytes], source: str) -> Iterator[Row | RowError]:
    # Binary readline splits on b"\n" only: a raw U+2028 or U+0085 inside a
    # string stays in its line (str.splitlines would split there).
    number = 0
    readline = stream.readline
    while True:
        chunk = readline(MAX_LINE_BYTES)
        if not chunk:
            return
        number += 1
        if number == 1 and chunk.startswith(BOM):
            chunk = chunk[3:]
        if b"\x00" in chunk:
            raise _binary(source, number, chunk)
        if len(chunk) >= MAX_LINE_BYTES and not chunk.endswith(b"\n"):
            yield _too_long(source, number, chunk)
            return
        yield from _json_line(chunk, source, number)


def _json_line(chunk: bytes, source: str, number: int) -> Iterator[Row | RowError]:
    try:
        text = chunk.decode("utf-8")
    except UnicodeDecodeError as error:
        yield RowError(source, number, f"not valid UTF-8 (bad byte at offset {error.start})",
                       _cut(chunk.decode("utf-8", "replace").rstrip("\r\n")))
        return
    text = text.removesuffix("\n").removesuffix("\r")
    if not text.strip():
        return
    try:
        lead = parse_json(text)
    except json.JSONDecodeError as error:
        message = f"invalid JSON: {error.msg}"
        if number == 1 and "," in text and text.lstrip()[:1] not in ("{", "["):
            # A CSV export piped in (stdin, or a name without .csv) reads as JSON Lines.
            message += " (a CSV header? read it with --input-format csv)"
        yield RowError(source, number, message, _cut(text), error.colno)
        return
    except RecursionError:
        yield RowError(source, number, "invalid JSON: nested too deeply", _cut(text))
        return
    if type(lead) is not dict:
        yield RowError(source, number, f"a lead is a JSON object, not {_json_kind(lead)}", _cut(text))
        return
    yield Row(source, number, lead)


def _json_kind(value: Any) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    return "a number"


def _json(stream: IO[bytes], source: str) -> Iterator[Row | RowError]:
    """A JSON array of leads (or one lead object), parsed element by element
    so each element has its own line and a bad element stops only the rest."""
    # The start is looked at first: /dev/zero is binary at once, not after 256 MiB.
    data = stream.read(min(64 * 1024, MAX_JSON_BYTES + 1))
    if b"\x00" not in data and len(data) <= MAX_JSON_BYTES:
        data += stream.read(MAX_JSON_BYTES + 1 - len(data))
    if b"\x00" in data:
        raise _binary(source, data[: data.index(b"\x00")].count(b"\n") + 1, data)
    if len(data) > MAX_JSON_BYTES:
        raise InputError(f"{source}: JSON over {MAX_JSON_BYTES // (1024 * 1024)} MiB (an array, or one lead) is "
                         "not read whole; write one lead per line (JSONL) instead")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(f"{source}: not valid UTF-8 (bad byte at offset {error.start})") from None
    position = _skip_space(text, 0)
    if position == len(text):
        return
    if text[position] != "[":
        # One lead object (eval --lead); JSON Lines with a .json name are read as such.
        if text[position] == "{":
            try:
                parse_json(text)
            except (json.JSONDecodeError, RecursionError):
                yield from _jsonl(io.BytesIO(data), source)
                return
            yield from _json_line(data.removeprefix(BOM), source, text.count("\n", 0, position) + 1)
            return
        line = text.count("\n", 0, position) + 1
        yield RowError(source, line, "a leads file in JSON is an array of lead objects", _cut(text))
        return
    decoder = json.JSONDecoder()
    line, counted = 1, 0
    position = _skip_space(text, position + 1)
    if text.startswith("]", position):
        return
    while True:
        line += text.count("\n", counted, position)
        counted = position
        try:
            try:
                value, end = decoder.raw_decode(text, position)
            except json.JSONDecodeError:
                raise
            except ValueError:  # an integer past the conversion limit
                value, end = _LENIENT.raw_decode(text, position)
        except json.JSONDecodeError as error:
            yield RowError(source, error.lineno, f"invalid JSON: {error.msg}; the rest of the array "
                           "cannot be read", _cut(text[position:]), error.colno)
            return
        except RecursionError:
            yield RowError(source, line, "invalid JSON: nested too deeply; the rest of the array cannot be read",
                           _cut(text[position:]))
            return
        if type(value) is dict:
            yield Row(source, line, value)
        else:
            yield RowError(source, line, f"a lead is a JSON object, not {_json_kind(value)}",
                           _cut(text[position:end]))
        position = _skip_space(text, end)
        if text.startswith(",", position):
            position = _skip_space(text, position + 1)
        elif text.startswith("]", position):
            return
        else:
            where = text.count("\n", 0, position) + 1
            yield RowError(source, where, "invalid JSON: expected `,` or `]` after an array element; "
                           "the rest of the array cannot be read", _cut(text[position:]))
            return


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


# ---------------------------------------------------------------------- CSV


class _LineTooLong(Exception):
    pass


class _BadText(Exception):
    pass


class _Lines:
    """Decoded physical lines for csv.reader, each read with a size limit;
    keeps the text of the current row for its error record."""

    def __init__(self, stream: IO[bytes], source: str) -> None:
        self.readline = stream.readline
        self.source = source
        self.number = 0
        self.raw: list[str] = []
        self.raw_size = 0

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        chunk = self.readline(MAX_LINE_BYTES)
        if not chunk:
            raise StopIteration
        self.number += 1
        if self.number == 1 and chunk.startswith(BOM):
            chunk = chunk[3:]
        if b"\x00" in chunk:
            raise _binary(self.source, self.number, chunk)
        if len(chunk) >= MAX_LINE_BYTES and not chunk.endswith(b"\n"):
            self.keep(chunk[:MAX_RAW_CHARS].decode("utf-8", "replace"))
            raise _LineTooLong
        try:
            text = chunk.decode("utf-8")
        except UnicodeDecodeError as error:
            self.keep(chunk.decode("utf-8", "replace"))
            raise _BadText(f"not valid UTF-8 (bad byte at offset {error.start} of line {self.number})") from None
        self.keep(text)
        return text

    def keep(self, text: str) -> None:
        if self.raw_size < MAX_RAW_CHARS:
            self.raw.append(text)
            self.raw_size += len(text)

    def take_raw(self) -> str:
        text = _cut("".join(self.raw))
        self.raw, self.raw_size = [], 0
        return text.removesuffix("\n").removesuffix("\r")


def cell_value(cell: str) -> Any:
    """A CSV cell of a list or events field: JSON lists/objects (tech stacks,
    events) are parsed, as in `qualdsl test` case tables; anything else, or
    JSON that does not parse, stays text for the schema to coerce."""
    stripped = cell.strip()
    if stripped[:1] in ("[", "{"):
        try:
            return parse_json(stripped)
        except (json.JSONDecodeError, RecursionError):
            return cell
    return cell


def header_key(cell: str, source: str, index: int) -> str | None:
    """A header cell as the lead key: a field path (`company.employees`, the
    flat key the evaluator looks up) or a label with spaces (`Lead Source`).
    Backticks are allowed as in a policy; an empty cell names no field."""
    cell = cell.strip()
    if not cell:
        return None
    if "`" in cell:
        from ..api import parse_field_path

        try:
            return ".".join(parse_field_path(cell))
        except ValueError as error:
            raise InputError(f"{source}: header column {index + 1}: {error}") from None
    return cell


def check_csv_header(path: str) -> None:
    """InputError where this reader refuses the CSV's header (a field named
    twice, a bad backtick path, a line too long): the header and the first
    row are read, no more."""
    with open_input(path) as stream:
        next(_csv(stream, path, lambda key: False), None)


def _csv(stream: IO[bytes], source: str, is_json: Callable[[str], bool]) -> Iterator[Row | RowError]:
    if csv.field_size_limit() < MAX_CELL_CHARS:
        csv.field_size_limit(MAX_CELL_CHARS)
    lines = _Lines(stream, source)
    reader = csv.reader(lines)
    header: list[str] | None = None
    while header is None:
        try:
            header = next(reader)
        except StopIteration:
            return
        except _LineTooLong:
            raise InputError(f"{source}: the header line is longer than {MAX_LINE_BYTES} bytes") from None
        except (_BadText, csv.Error) as error:
            raise InputError(f"{source}: cannot read the header: {error}") from None
        if not header:
            header = None  # blank lines before the header
    lines.take_raw()
    keys = [header_key(cell, source, index) for index, cell in enumerate(header)]
    seen: dict[str, int] = {}
    for index, key in enumerate(keys):
        if key is None:
            continue
        if key in seen:
            raise InputError(f"{source}: the header names `{key}` twice (columns {seen[key] + 1} and {index + 1})")
        seen[key] = index
    columns = [(key, key is not None and is_json(key)) for key in keys]
    width = len(header)
    while True:
        start = lines.number + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except _LineTooLong:
            yield RowError(source, start, f"line {lines.number} is longer than {MAX_LINE_BYTES} bytes; "
                           "the rest of the file is not read", lines.take_raw())
            return
        except (_BadText, csv.Error) as error:
            yield RowError(source, start, f"invalid CSV: {error}", lines.take_raw())
            continue
        raw = lines.raw
        if not cells:  # a blank line is no row
            lines.raw, lines.raw_size = [], 0
            continue
        if len(cells) != width:
            yield RowError(source, start, f"row has {len(cells)} cells but the header has {width}", lines.take_raw())
            continue
        del raw[:]
        lines.raw_size = 0
        lead: dict[str, Any] = {}
        for (key, parse), cell in zip(columns, cells):
            if key is not None and cell != "":
                lead[key] = cell_value(cell) if parse else cell
        yield Row(source, start, lead)


# ------------------------------------------------------------------ Parquet


@attrs.frozen(slots=True)
class Batch:
    """Parquet rows not yet made into leads: an Arrow RecordBatch, cheap to
    send to a worker process (Arrow buffers, no Python objects), which
    makes the leads itself."""

    source: str
    line: int  # the first row's number
    records: Any  # pyarrow.RecordBatch

    def leads(self) -> list[dict[str, Any]]:
        import pyarrow as pa

        columns = [python_values(_plain(column, pa), pa) for column in self.records.columns]
        return _records(self.records.schema.names, columns, self.records.num_rows)

    def leads_and_events(self, name: str, as_of: dt.datetime) -> tuple[list[dict[str, Any]], list[Any] | None]:
        """The leads, and their events of column `name` loaded as of `as_of`
        (preload_events) to pass to the evaluate function as EVENTS. A lead
        whose events cannot be preloaded gets runtime._MISS and its events as
        usual; one whose events are preloaded has no `name` key (the
        function does not read it). (leads(), None) when the column is not a
        list of events with a string `type` and a TIMESTAMP `at`."""
        import pyarrow as pa

        names = self.records.schema.names
        at = names.index(name) if names.count(name) == 1 else -1
        loaded = preload_events(self.records.column(at), as_of, pa) if at >= 0 else None
        if loaded is None:
            return self.leads(), None
        events, slow = loaded
        others = [python_values(_plain(column, pa), pa) for index, column in enumerate(self.records.columns)
                  if index != at]
        leads = _records(names[:at] + names[at + 1:], others, self.records.num_rows)
        if slow:  # leads with an event load_events warns about: their events as the lead has them
            column = self.records.column(at).take(pa.array(slow, pa.int64()))
            for row, value in zip(slow, python_values(_plain(column, pa), pa), strict=True):
                leads[row][name] = value
        return leads, events


def _parquet(path: str, progress: Progress | None, batches: bool = False,
             batch_rows: int = PARQUET_BATCH_ROWS) -> Iterator[Row | RowError | Batch]:
    try:
        import numpy  # noqa: F401  # python_values makes TIMESTAMPs with it
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise InputError(f"{path}: reading Parquet needs pyarrow and numpy: pip install 'qualdsl[parquet]'") from None
    source = display_name(path)
    if path == STDIN:
        raise InputError("<stdin>: Parquet cannot be read from stdin; give a file")
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except OSError as error:
        raise InputError(f"{path}: cannot read: {error.strerror}") from None
    if not stat.S_ISREG(mode):
        raise InputError(f"{path}: Parquet is read from a regular file only")
    try:
        # Column chunks are read through a 1 MiB buffer, never pre-buffered:
        # pyarrow's pre-buffering keeps the ranges it has read (90 MB after a
        # million rows, growing with the file), which made memory grow with
        # the input; streamed, the reader holds about 13 MB at any size.
        file = pq.ParquetFile(path, pre_buffer=False, buffer_size=READ_BUFFER)
    except (pa.ArrowException, OSError) as error:
        raise InputError(f"{path}: not a Parquet file ({error})") from None
    size = os.stat(path).st_size
    rows_total = file.metadata.num_rows
    number = 0
    if progress is not None:
        progress.position = lambda: (number * size // rows_total) if rows_total else 0
    try:
        for records in file.iter_batches(batch_size=batch_rows):
            batch = Batch(source, number + 1, records)
            number += records.num_rows
            if batches:
                yield batch
            else:
                for offset, lead in enumerate(batch.leads()):
                    yield Row(source, batch.line + offset, lead)
    except (pa.ArrowException, OSError) as error:
        yield RowError(source, number + 1, f"cannot read Parquet: {error}; the rest of the file is not read", "")
    if progress is not None:
        progress.done += size
        progress.position = lambda: 0


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_FIRST_US = -62_135_596_800_000_000  # 0001-01-01T00:00:00Z, microseconds since the epoch
_LAST_US = 253_402_300_799_999_999  # 9999-12-31T23:59:59.999999Z


def _plain(array: Any, pa: Any) -> Any:
    """A column with values coercion accepts, converted in Arrow.
    Timestamps become Python datetimes in microseconds, a zoned one in UTC
    (`+00:00`), a zone-less one naive (UTC, as in the contract): the values
    the SQL engines read from the same file, so a warning shows a time
    (`2026-08-02 23:59:59+00:00`) and a `string` field rejects one alike on
    every engine. Decimals become float64. Structs and lists are rebuilt
    around converted children."""
    kind = array.type
    if pa.types.is_timestamp(kind):
        micros, in_years = _utc_micros(array, pa)
        if not in_years:
            # Outside Python's years 1-9999 a value cannot be a datetime: this
            # batch's column is its text (`10000-01-01 00:00:00.000000`), which a
            # time field rejects with a warning, rather than a crash.
            return micros.cast(pa.timestamp("us")).cast(pa.string())
        return micros
    if pa.types.is_decimal(kind):
        return array.cast(pa.float64())
    if pa.types.is_struct(kind):
        if not _needs_conversion(kind, pa):
            return array
        children = [_plain(child, pa) for child in array.flatten()]
        return pa.StructArray.from_arrays(children, names=[field.name for field in kind], mask=array.is_null())
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        if not _needs_conversion(kind, pa):
            return array
        offsets, values = array.offsets, array.values
        if array.offset:  # a slice: from_arrays takes no sliced offsets with a mask, so rebase them
            import pyarrow.compute as pc

            first = offsets[0]
            offsets = pc.subtract(offsets, first)
            values = values.slice(first.as_py(), offsets[-1].as_py())
        return type(array).from_arrays(offsets, _plain(values, pa), mask=array.is_null())
    return array


def _utc_micros(array: Any, pa: Any) -> tuple[Any, bool]:
    """A TIMESTAMP column in microseconds (a zoned one in UTC, a zone-less
    one as it is), and whether every value is within Python's years 1-9999."""
    import pyarrow.compute as pc

    micros = array.cast(pa.timestamp("us", tz="UTC" if array.type.tz is not None else None), safe=False)
    bounds = pc.min_max(micros.cast(pa.int64())).as_py()
    return micros, bounds["min"] is None or (bounds["min"] >= _FIRST_US and bounds["max"] <= _LAST_US)


def preload_events(array: Any, as_of: dt.datetime, pa: Any) -> tuple[list[Any], list[int]] | None:
    """A batch's events column loaded in Arrow and numpy as runtime.load_events
    loads one lead's: per lead the Event tuples of its events with `at <=
    as_of`, most recent first, ties to the later one in the input; None for
    a null list. Making an event dict per event and loading it in Python was
    a third of what deciding a lead with seven events cost.
    Only events load_events takes as they are: a lead with a null event, or
    a null `type` or `at`, gets runtime._MISS (and is listed second) so the
    evaluate function loads its events itself, with the warning. The tuples
    carry no raw event (None): CompiledPolicy.preload_events says when the
    policy never reads one. None when the column is not a list of structs
    with one string `type` and one TIMESTAMP `at`, or holds a time outside
    years 1-9999 (_plain makes those text)."""
    import numpy as np

    from ..runtime import _MISS

    kind = array.type
    if not (pa.types.is_list(kind) or pa.types.is_large_list(kind)) or not pa.types.is_struct(kind.value_type):
        return None
    fields = [field.name for field in kind.value_type]
    if fields.count("type") != 1 or fields.count("at") != 1:
        return None
    type_kind, at_kind = kind.value_type.field("type").type, kind.value_type.field("at").type
    if not (pa.types.is_string(type_kind) or pa.types.is_large_string(type_kind)) or not pa.types.is_timestamp(at_kind):
        return None
    count = len(array)
    if count == 0:
        return [], []
    offsets = array.offsets.to_numpy(zero_copy_only=False).astype(np.int64)
    first = int(offsets[0])
    children = array.values.slice(first, int(offsets[-1]) - first).flatten()  # a null event: null children
    types, ats = children[fields.index("type")], children[fields.index("at")]
    micros_array, in_years = _utc_micros(ats, pa)
    if not in_years:
        return None
    micros_array = micros_array.cast(pa.int64())
    micros = micros_array.fill_null(0).to_numpy(zero_copy_only=False)
    valid = (types.is_valid().to_numpy(zero_copy_only=False) & micros_array.is_valid().to_numpy(zero_copy_only=False))
    parent = np.repeat(np.arange(count), np.diff(offsets))
    index = np.arange(len(parent)) - (offsets[:-1] - first)[parent]
    listed = array.is_valid().to_numpy(zero_copy_only=False)
    counted = listed[parent]
    slow = np.zeros(count, dtype=bool)
    slow[parent[counted & ~valid]] = True
    limit = (as_of - _EPOCH) // dt.timedelta(microseconds=1)
    keep = np.flatnonzero(counted & ~slow[parent] & (micros <= limit))
    keep = keep[_recency_order(parent[keep], micros[keep], index[keep], count, np)]
    moments = list(map(_EPOCH.__add__, micros[keep].astype("timedelta64[us]").tolist()))
    # Each distinct type made a str and casefolded once (dictionary-encoded).
    encoded = types.take(pa.array(keep, pa.int64())).dictionary_encode()
    distinct = encoded.dictionary.to_pylist()
    codes = encoded.indices.to_numpy(zero_copy_only=False).tolist()
    loaded = list(zip(moments, map(distinct.__getitem__, codes),
                      map([name.casefold() for name in distinct].__getitem__, codes), itertools.repeat(None),
                      index[keep].tolist(), strict=False))
    ends = np.cumsum(np.bincount(parent[keep], minlength=count)).tolist()
    events: list[Any] = []
    begin = 0
    for end, has_list, is_slow in zip(ends, listed.tolist(), slow.tolist(), strict=True):
        events.append(_MISS if is_slow else loaded[begin:end] if has_list else None)
        begin = end
    return events, np.flatnonzero(slow).tolist()


def _recency_order(parent: Any, micros: Any, index: Any, leads: int, np: Any) -> Any:
    """The order of events by lead, then `at` descending, then input index
    descending (load_events' order). One stable sort of one int64 key (lead,
    then `at` descending) over the events reversed, so that ties come out
    later-first, when the key fits (it does unless the times span most of
    years 1-9999): six times faster than the three-key lexsort."""
    if len(micros) == 0:
        return np.arange(0)
    low, high = int(micros.min()), int(micros.max())
    span = high - low + 1
    if leads * span >= 2**62:
        return np.lexsort((-index, -micros, parent))
    key = parent.astype(np.int64) * span + (high - micros)
    return (len(key) - 1) - np.argsort(key[::-1], kind="stable")


def python_values(array: Any, pa: Any) -> list[Any]:
    """`array.to_pylist()`, built column by column: a struct's or a list's
    children are converted whole and then assembled, which is several times
    faster than pyarrow building each nested value on its own."""
    kind = array.type
    if pa.types.is_struct(kind):
        values: list[Any] = _records([field.name for field in kind],
                                     [python_values(child, pa) for child in array.flatten()], len(array))
    elif pa.types.is_list(kind) or pa.types.is_large_list(kind):
        offsets = array.offsets.to_pylist()
        start = offsets[0] if offsets else 0
        inner = python_values(array.values.slice(start, offsets[-1] - start), pa) if offsets else []
        if start:
            offsets = [offset - start for offset in offsets]
        values = [inner[begin:end] for begin, end in itertools.pairwise(offsets)]
    elif pa.types.is_timestamp(kind):
        # Microseconds (_plain) as timedeltas made by numpy, added to the epoch
        # in a C-level map: 1.2 -> 0.2 µs a value (a timedelta built by its
        # Python constructor costs 0.9 µs; pyarrow's own zoned datetimes 3).
        # Nulls are set below.
        epoch = _EPOCH if kind.tz is not None else _EPOCH.replace(tzinfo=None)
        micros = array.cast(pa.int64()).fill_null(0).to_numpy(zero_copy_only=False).astype("timedelta64[us]").tolist()
        values = list(map(epoch.__add__, micros))
    else:
        return array.to_pylist()  # type: ignore[no-any-return]
    if array.null_count:
        for index in itertools.compress(range(len(values)), array.is_null().to_pylist()):
            values[index] = None
    return values


def _records(names: list[str], columns: list[list[Any]], count: int) -> list[Any]:
    """One dict per row from one list per column. The dicts are started
    from the first column and filled key by key: `dict(zip(names, row))`
    costs three times as much."""
    if not names:
        return [{} for _ in range(count)]
    first = names[0]
    rows = [{first: value} for value in columns[0]]
    for name, column in zip(names[1:], columns[1:], strict=True):
        for row, value in zip(rows, column, strict=True):
            row[name] = value
    return rows


def _needs_conversion(kind: Any, pa: Any) -> bool:
    if pa.types.is_timestamp(kind) or pa.types.is_decimal(kind):
        return True
    if pa.types.is_struct(kind):
        return any(_needs_conversion(field.type, pa) for field in kind)
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        return _needs_conversion(kind.value_type, pa)
    return False

