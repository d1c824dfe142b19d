"""Reading leads from files: a JSON object, a JSON array, JSONL or CSV.

A thin layer over batch.inputs (the one streaming reader) for callers that
want LeadRecords (`diff --leads`, test suites' lead files). Every record is
returned, good or bad: a record that does not load carries its error and
location, so callers count and report it instead of dropping it.
"""

from __future__ import annotations

import io
import os
import stat
import sys
from collections.abc import Iterator

import attrs

from .batch.inputs import InputError, Row, RowError, read_rows, read_stream, sniff_format
from .source import wide_text

MAX_LEADS_BYTES = 512 * 1024 * 1024

# The file as a whole cannot be read (missing, binary, not UTF-8).
LeadFileError = InputError


@attrs.frozen
class LeadRecord:
    """One lead read from a file, or the reason it could not be read."""

    lead: object
    location: str  # "leads.jsonl:12"
    error: str | None = None


def read_text(path: str) -> str:
    """The whole text of a small file (a suite, a case table), '-' for stdin:
    read with a size limit while reading, regular files and FIFOs only."""
    if path == "-":
        data = sys.stdin.buffer.read(MAX_LEADS_BYTES + 1)
    else:
        try:
            mode = os.stat(path).st_mode
            if stat.S_ISDIR(mode):
                raise LeadFileError(f"{path}: is a directory, not a leads file")
            if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode)):
                raise LeadFileError(f"{path}: not a regular file")
            with open(path, "rb") as file:
                data = file.read(MAX_LEADS_BYTES + 1)
        except FileNotFoundError:
            raise LeadFileError(f"{path}: no such file") from None
        except OSError as error:
            raise LeadFileError(f"{path}: cannot read file: {error.strerror}") from None
    if len(data) > MAX_LEADS_BYTES:
        raise LeadFileError(f"{path}: file is too large for a leads file")
    if b"\x00" in data:
        raise LeadFileError(f"{path}: {wide_text(data) or 'file is binary (it contains NUL bytes), not leads'}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise LeadFileError(f"{path}: not valid UTF-8 (bad byte at offset {error.start})") from None
    return text.removeprefix("\ufeff")


def records(rows: Iterator[Row | RowError]) -> Iterator[LeadRecord]:
    """batch.inputs rows as LeadRecords: a row that cannot be read keeps its
    location and error."""
    for row in rows:
        if isinstance(row, Row):
            yield LeadRecord(row.lead, f"{row.source}:{row.line}")
        else:
            yield LeadRecord(None, row.location, row.error)


def parse_leads(text: str, name: str, *, format: str | None = None) -> Iterator[LeadRecord]:
    """Records from text. `format` is json, jsonl or csv; guessed when None."""
    display = "<stdin>" if name == "-" else name
    if format is None:
        lowered = name.lower()
        if lowered.endswith(".csv"):
            format = "csv"
        elif lowered.endswith((".jsonl", ".ndjson")):
            format = "jsonl"
        else:
            format = "json" if text.lstrip()[:1] in ("[", "{") else "jsonl"
    stream = io.BytesIO(text.encode("utf-8", "surrogatepass"))
    return records(read_stream(stream, display, format))


def read_leads(path: str, *, format: str | None = None) -> Iterator[LeadRecord]:
    """Records from a file path ('-' for standard input), streamed."""
    return records(read_rows([path], format=sniff_format(path, format)))
