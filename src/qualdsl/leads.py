"""Reading leads from files: a JSON object, a JSON array, JSONL or CSV.

Every record is returned, good or bad: a record that does not load carries
its error and location, so callers count and report it instead of dropping it.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs

MAX_LEADS_BYTES = 512 * 1024 * 1024


@attrs.frozen
class LeadRecord:
    """One lead read from a file, or the reason it could not be read."""

    lead: Any
    location: str  # "leads.jsonl:12"
    error: str | None = None


class LeadFileError(Exception):
    """The file as a whole cannot be read (missing, binary, not UTF-8)."""


def read_text(path: str) -> str:
    """The text of a leads file, or '-' for standard input."""
    import sys

    if path == "-":
        data = sys.stdin.buffer.read()
    else:
        try:
            file = Path(path)
            if file.is_dir():
                raise LeadFileError(f"{path}: is a directory, not a leads file")
            if file.stat().st_size > MAX_LEADS_BYTES:
                raise LeadFileError(f"{path}: file is too large for a leads file")
            data = file.read_bytes()
        except FileNotFoundError:
            raise LeadFileError(f"{path}: no such file") from None
        except OSError as error:
            raise LeadFileError(f"{path}: cannot read file: {error.strerror}") from None
    if b"\x00" in data:
        raise LeadFileError(f"{path}: file is binary (it contains NUL bytes), not leads")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise LeadFileError(f"{path}: not valid UTF-8 (bad byte at offset {error.start})") from None
    return text.removeprefix("\ufeff")


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
            stripped = text.lstrip()
            if stripped.startswith("["):
                format = "json"
            elif stripped.startswith("{"):
                # One object (possibly over many lines) or JSON lines.
                try:
                    json.loads(text)
                    format = "json"
                except json.JSONDecodeError:
                    format = "jsonl"
            else:
                format = "jsonl"
    if format == "csv":
        yield from _csv(text, display)
    elif format == "json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            yield LeadRecord(None, f"{display}:{error.lineno}:{error.colno}", f"invalid JSON: {error.msg}")
            return
        except RecursionError:
            yield LeadRecord(None, display, "invalid JSON: nested too deeply")
            return
        if isinstance(data, list):
            for index, lead in enumerate(data):
                yield LeadRecord(lead, f"{display}[{index}]")
        else:
            yield LeadRecord(data, display)
    else:
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                yield LeadRecord(json.loads(line), f"{display}:{number}")
            except json.JSONDecodeError as error:
                yield LeadRecord(None, f"{display}:{number}:{error.colno}", f"invalid JSON: {error.msg}")
            except RecursionError:
                yield LeadRecord(None, f"{display}:{number}", "invalid JSON: nested too deeply")


def _csv(text: str, display: str) -> Iterator[LeadRecord]:
    """CSV rows as flat objects; `company.employees` columns are found by the
    flat-key lookup. Empty cells are missing values, not empty strings."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as error:
        yield LeadRecord(None, f"{display}:1", f"invalid CSV: {error}")
        return
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield LeadRecord(None, f"{display}:{reader.line_num}", f"invalid CSV: {error}")
            continue
        location = f"{display}:{reader.line_num}"
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            yield LeadRecord(
                None, location, f"row has {len(row)} cells but the header has {len(header)}"
            )
            continue
        yield LeadRecord({key: cell for key, cell in zip(header, row) if cell != ""}, location)


def read_leads(path: str, *, format: str | None = None) -> Iterator[LeadRecord]:
    """Records from a file path ('-' for standard input)."""
    return parse_leads(read_text(path), path, format=format)
