"""Policy source text and locations in it."""

from __future__ import annotations

import errno
import os
import re
import stat
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple, Protocol

import attrs


class Span(NamedTuple):
    """A region of a source file: 1-based lines and columns, 0-based offsets.

    A NamedTuple, not an attrs class: the builder makes one per AST node and
    tuples are the cheapest immutable record to build."""

    start: int
    end: int
    line: int
    column: int
    end_line: int
    end_column: int

    @classmethod
    def from_token(cls, token: Any) -> Span:
        return cls(
            token.start_pos,
            token.end_pos,
            token.line,
            token.column,
            token.end_line,
            token.end_column,
        )

    def cover(self, other: Span) -> Span:
        """The smallest span holding both."""
        first = self if self.start <= other.start else other
        end = self if self.end >= other.end else other
        return Span(first.start, end.end, first.line, first.column, end.end_line, end.end_column)


UNKNOWN_SPAN = Span(0, 0, 1, 1, 1, 1)


class Spanned(Protocol):
    """Anything with a source span: an AST node, a statement, a list element."""

    @property
    def span(self) -> Span: ...


@attrs.frozen
class Source:
    """The text of one policy file, with the path it is shown as.

    `name` and `loader` say where it came from: the loader that read it (see
    loader.py) and the name that loader knows it by, which its includes are
    resolved against. Both are None for text that came from nowhere
    (`loads(text)` without a path), and neither takes part in equality."""

    text: str
    path: str = "<string>"
    name: str | None = attrs.field(default=None, eq=False, repr=False)
    loader: Any = attrs.field(default=None, eq=False, repr=False)

    def line_text(self, line: int) -> str:
        # Split on "\n" only, as positions are counted (splitlines() would
        # also split on form feeds and U+2028 and shift every later line).
        lines = self.text.split("\n")
        if 1 <= line <= len(lines):
            return lines[line - 1].removesuffix("\r")
        return ""

    def position(self, offset: int) -> tuple[int, int]:
        """1-based line and column of a character offset."""
        offset = max(0, min(offset, len(self.text)))
        line = self.text.count("\n", 0, offset) + 1
        column = offset - (self.text.rfind("\n", 0, offset) + 1) + 1
        return line, column

    def span_at(self, offset: int, length: int = 1) -> Span:
        line, column = self.position(offset)
        end_line, end_column = self.position(offset + length)
        return Span(offset, offset + length, line, column, end_line, end_column)


# A policy larger than this is not a policy: refuse it before the parser sees it.
MAX_SOURCE_BYTES = 2 * 1024 * 1024


# ============================================================ reading user files
#
# Every file a user names (policies, includes, leads, suites and their tables,
# lint configuration) is read here, so the same guards hold everywhere: only a
# regular file is read (a FIFO would block, /dev/zero never ends), never more
# than a limit (counted while reading, so an endless file cannot exhaust
# memory), and every failure is a sentence, not an exception type.


class UnreadableFile(Exception):
    """A user file cannot be read; str() is the reason ("no such file").
    `offset` is the byte where decoding failed, when that is the reason."""

    def __init__(self, reason: str, offset: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.offset = offset


_KINDS = (
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def path_problem(path: str) -> str | None:
    """Why a path cannot name a file at all (None when it can)."""
    if "\x00" in path:
        return "the path contains a NUL character"
    try:
        os.fsencode(path)
    except UnicodeError:
        return "the path is not valid text (it holds a lone surrogate)"
    return None


def _kind_problem(mode: int, what: str) -> str | None:
    if stat.S_ISDIR(mode):
        return f"is a directory, not {what}"
    for test, kind in _KINDS:
        if test(mode):
            return f"is {kind}, not a regular file"
    if not stat.S_ISREG(mode):
        return "is not a regular file"
    return None


def _too_large(limit: int) -> str:
    return f"file is too large (over the limit of {limit:,} bytes)"


def read_limited(stream: BinaryIO | int, limit: int) -> bytes:
    """At most `limit` bytes from a stream or file descriptor; UnreadableFile
    past that. Reads limit+1 bytes at most, whatever the stream holds."""
    chunks: list[bytes] = []
    total = 0
    while total <= limit:
        want = min(limit + 1 - total, 1 << 20)
        try:
            chunk = os.read(stream, want) if isinstance(stream, int) else stream.read(want)
        except BlockingIOError:
            raise UnreadableFile("is not ready to be read (a FIFO or a terminal?)") from None
        except OSError as error:
            raise UnreadableFile(f"cannot read file: {error.strerror or error}") from None
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    if total > limit:
        raise UnreadableFile(_too_large(limit))
    return b"".join(chunks)


def _open_problem(error: OSError) -> str:
    if isinstance(error, FileNotFoundError):
        return "no such file"
    if isinstance(error, PermissionError):
        return "permission denied"
    if error.errno == errno.ELOOP:
        return "too many levels of symbolic links (a symlink loop?)"
    if error.errno == errno.ENAMETOOLONG:
        return "the path is too long"
    return f"cannot read file: {error.strerror or error}"


def open_user_file(path: str | Path, what: str = "a file", *, pipes: bool = False) -> BinaryIO:
    """A user's file opened for reading (a binary file object; the caller
    closes it), or UnreadableFile.

    Opened with O_NONBLOCK, so that a FIFO cannot block the open itself, then
    fstat-ed (the file opened, not a name that may since have changed):
    anything but a regular file is refused, except FIFOs and sockets when
    `pipes` (a stream read line by line, like `--leads <(zcat leads.gz)`).
    Reads then block as usual. For whole files, read_file_bytes."""
    name = os.fspath(path)
    problem = path_problem(name)
    if problem is not None:
        raise UnreadableFile(problem)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        descriptor = os.open(name, flags)
    except IsADirectoryError:
        raise UnreadableFile(f"is a directory, not {what}") from None
    except OSError as error:
        raise UnreadableFile(_open_problem(error)) from None
    try:
        try:
            mode = os.fstat(descriptor).st_mode
        except OSError as error:
            raise UnreadableFile(_open_problem(error)) from None
        streamed = pipes and (stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode))
        problem = None if streamed else _kind_problem(mode, what)
        if problem is not None:
            raise UnreadableFile(problem)
        os.set_blocking(descriptor, True)
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise


def read_file_bytes(path: str | Path, limit: int, what: str = "a file") -> bytes:
    """The bytes of a regular file, at most `limit` (counted while reading);
    UnreadableFile otherwise (see open_user_file)."""
    with open_user_file(path, what) as file:
        return read_limited(file, limit)


def wide_text(start: bytes) -> str | None:
    """The reason for a file that starts with a UTF-16 or UTF-32 byte order
    mark (what Excel saves as "Unicode text"), which reads as binary to a
    UTF-8 reader; None for any other start."""
    if start.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")):
        return ("file is UTF-16 or UTF-32 text (it starts with a byte order mark), not UTF-8: save it as UTF-8, "
                "e.g. `iconv -f UTF-16 -t UTF-8`")
    return None


def decode_text(data: bytes, what: str = "text") -> str:
    """UTF-8 text without a BOM; UnreadableFile (with the offset) for NUL bytes
    or bad UTF-8."""
    offset = data.find(b"\x00")
    if offset != -1:
        raise UnreadableFile(wide_text(data) or f"file is binary (it contains NUL bytes), not {what}", offset)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise UnreadableFile(f"file is not valid UTF-8 (bad byte at offset {error.start})", error.start) from None
    return text.removeprefix("\ufeff")


def read_text_file(path: str | Path, limit: int, what: str = "a file") -> str:
    """A regular file's UTF-8 text (BOM dropped), read within `limit` bytes."""
    return decode_text(read_file_bytes(path, limit, what), what)


def decode_source(data: bytes, path: str) -> tuple[str | None, str | None]:
    """Decode policy bytes; returns (text, None) or (None, error message)."""
    if len(data) > MAX_SOURCE_BYTES:
        return None, _too_large(MAX_SOURCE_BYTES)
    try:
        return decode_text(data, "a policy"), None
    except UnreadableFile as problem:
        return None, problem.reason


def problem_code(problem: str) -> str:
    """The compile-error code of a decode_source problem."""
    if problem.startswith("file is too large"):
        return "QE002"
    if problem.startswith(("file is binary", "file is UTF-16")):
        return "QE003"
    return "QE004"


def problem_span(data: bytes) -> Span:
    """Where decode_source found its problem: the first NUL or bad UTF-8 byte."""
    if len(data) > MAX_SOURCE_BYTES:
        return UNKNOWN_SPAN
    try:
        decode_text(data)
        return UNKNOWN_SPAN
    except UnreadableFile as problem:
        offset = problem.offset if problem.offset is not None else 0
    return _byte_span(data, offset)


def _byte_span(data: bytes, offset: int) -> Span:
    head = data[:offset]
    line = head.count(b"\n") + 1
    column = len(head[head.rfind(b"\n") + 1:].decode("utf-8", "replace")) + 1
    return Span(offset, offset + 1, line, column, line, column + 1)


def source_error(
    reason: str, path: str, span: Span = UNKNOWN_SPAN, help: str | None = None, code: str | None = None
) -> Exception:
    """A SourceError with one diagnostic (imported late: errors imports us)."""
    from .diagnostics import Diagnostic
    from .errors import SourceError

    return SourceError([Diagnostic.error(reason, path, span, help=help, code=code)])


def decode_policy(data: bytes, path: str, prefix: str = "") -> str:
    """Policy text from bytes, or SourceError located at the bad byte."""
    text, problem = decode_source(data, path)
    if problem is not None:
        raise source_error(prefix + problem, path, problem_span(data), code=problem_code(problem))
    assert text is not None
    return text


def read_source(path: str | Path) -> Source:
    """Read a policy file, raising SourceError with a clear message on bad files."""
    name = os.fspath(path)
    try:
        data = read_file_bytes(name, MAX_SOURCE_BYTES, "a policy file")
    except UnreadableFile as error:
        raise source_error(error.reason, name, code="QE001") from None
    return Source(decode_policy(data, name), name)


_POLICY_LINE = re.compile(r"^\s*policy\s", re.MULTILINE)


def is_policy_file(path: str | Path) -> bool:
    """A file with a `policy` line; included fragments have none. A file that
    cannot be read as policy text (binary, not UTF-8, too large) counts as a
    policy, so that loading it reports why instead of skipping it silently."""
    try:
        data = read_file_bytes(path, MAX_SOURCE_BYTES)
    except UnreadableFile:
        return True
    text, problem = decode_source(data, str(path))
    if problem is not None or text is None:
        return True
    return _POLICY_LINE.search(text) is not None
