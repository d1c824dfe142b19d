"""Human messages for syntax errors, and statement-level error recovery."""

from __future__ import annotations

import contextlib
import re
from typing import Any

from .diagnostics import Diagnostic
from .source import Source

# How each terminal reads in a message.
TERMINAL_NAMES = {
    "NAME": "a name",
    "QUOTED_NAME": "a `backticked` name",
    "STRING": "a string",
    "NUMBER": "a number",
    "DATE": "a date",
    "DATETIME": "a datetime",
    "DURATION": "a duration like `30d`, `12h` or `2w`",
    "PERCENT": "a percentage like `10%`",
    "REGEX": "a regex like `/pattern/`",
    "COMPARE_OP": "a comparison (`==`, `<`, ...)",
    "ADD_OP": "`+` or `-`",
    "MUL_OP": "`*` or `/`",
    "STRING_TEST": "`contains`, `starts_with` or `ends_with`",
    "LBRACE": "`{`",
    "RBRACE": "`}`",
    "LPAR": "`(`",
    "RPAR": "`)`",
    "LSQB": "`[`",
    "RSQB": "`]`",
    "COMMA": "`,`",
    "DOT": "`.`",
    "COLON": "`:`",
    "EQUAL": "`=`",
    "$END": "end of file",
}

# Statements start with one of these words at the start of a line; used to
# find where the broken statement ends when recovering.
STATEMENT_WORDS = (
    "policy", "schema", "set", "let", "include", "icp", "score", "tiers", "route",
    "require", "reject", "rule", "decay", "expire", "tier", "to",
)
# Words that open a top-level item: one inside a block means the block was left open.
DECLARATION_WORDS = frozenset({"schema", "set", "let", "include", "icp", "score", "tiers", "route", "policy"})
_STATEMENT_LINE = re.compile(r"^[ \t]*(?:(?:" + "|".join(STATEMENT_WORDS) + r")\b|\})")


def terminal_name(name: str) -> str:
    if name in TERMINAL_NAMES:
        return TERMINAL_NAMES[name]
    if name.startswith("_"):
        return f"`{name[1:].lower()}`"
    return name.lower()


def _expected_text(expected: set[str]) -> str:
    expression_starts = {"NAME", "NUMBER", "STRING", "LPAR"}
    names = set(expected)
    parts: list[str] = []
    if expression_starts <= names:
        parts.append("an expression")
        names -= expression_starts | {
            "QUOTED_NAME", "DATE", "DATETIME", "LSQB", "_TRUE", "_FALSE", "_NOT", "ADD_OP",
        }
    top_level = {"_SCHEMA", "_SET", "_LET", "_ICP", "_SCORE", "_TIERS", "_ROUTE"}
    if top_level <= names:
        parts.append("a declaration (`set`, `let`, `score`, `tiers`, ...)")
        names -= top_level | {"_POLICY", "_INCLUDE"}
    operators = {"COMPARE_OP", "ADD_OP", "MUL_OP", "_AND", "_OR"}
    if operators <= names:
        parts.append("an operator")
        names -= operators | {
            "_IN", "_NOT", "_BETWEEN", "STRING_TEST", "_MATCHES", "_IS", "DOT", "LPAR",
        }
    parts.extend(sorted(terminal_name(n) for n in names))
    if len(parts) > 6:
        parts = parts[:6] + ["..."]
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " or " + parts[-1]


def _token_text(token: Any) -> str:
    if token.type == "$END":
        return "end of file"
    return f"`{token}`"


def describe(error: Any, source: Source, text: str) -> tuple[Diagnostic, int]:
    """A diagnostic for a lark UnexpectedInput, and the offset it points at."""
    import lark

    help: str | None = None
    code = "QE010"  # an unexpected token or character
    if isinstance(error, lark.exceptions.UnexpectedCharacters):
        offset = error.pos_in_stream or 0  # always set here; lark types it Optional
        char = text[offset] if offset < len(text) else ""
        length = 1
        if char == '"':
            message = "unterminated string or invalid escape in string"
            code = "QE011"
            help = 'strings end on the same line: `"..."`, with JSON escapes (`\\"`, `\\n`, `\\u00e9`)'
            line_end = text.find("\n", offset)
            length = (line_end if line_end != -1 else len(text)) - offset
        elif char == "=":
            message = "unexpected `=`"
            code = "QE012"
            help = "use `==` to compare; `=` only follows `set NAME` and `let NAME`"
        elif char == "`":
            message = "unterminated `backticked` name"
            code = "QE013"
        elif char == "/":
            message = "unexpected `/`"
            code = "QE014"
            help = "a regex literal only follows `matches`: `x matches /pattern/`"
        else:
            shown = char if char.isprintable() else repr(char)
            message = f"unexpected character `{shown}`"
            allowed = getattr(error, "allowed", None)
            if allowed:
                message += f"; expected {_expected_text(set(allowed))}"
    else:
        token = error.token
        expected = set(getattr(error, "expected", ()) or ())
        interactive = getattr(error, "interactive_parser", None)
        if interactive is not None:
            # LALR merges lookaheads; the interactive parser knows exactly.
            with contextlib.suppress(Exception):  # pragma: no cover - else keep the coarse set
                expected = set(interactive.accepts())
        if len(expected) > 1:
            expected.discard("$END")
        if token.type == "$END":
            offset = len(text)
            length = 0
            message = "unexpected end of file"
            code = "QE015"
            if "RBRACE" in expected:
                open_at = _unclosed_brace(text)
                message += ": a `{` is never closed"
                code = "QE016"
                if open_at is not None:
                    line, column = source.position(open_at)
                    help = (
                        f"the block {_block_header(text, open_at)}opened at line {line}, column {column} needs a `}}`"
                    )
            elif expected:
                message += f"; expected {_expected_text(expected)}"
        else:
            offset = token.start_pos
            length = max(1, len(str(token)))
            message = f"unexpected {_token_text(token)}"
            if expected:
                message += f"; expected {_expected_text(expected)}"
            line_start = text.rfind("\n", 0, offset) + 1
            before = text[line_start:offset].strip()
            if before in STATEMENT_WORDS and token.type not in ("$END",):
                # `x ==` then a new `rule` line: the keyword was read as a name.
                message = f"the statement before this `{before}` is unfinished"
                code = "QE017"
                offset = line_start + text[line_start:offset].index(before)
                length = len(before)
                help = f"`{before}` was read as a name because the line before it ends mid-expression"
            elif str(token) in DECLARATION_WORDS and not before and "RBRACE" in expected \
                    and (open_at := _unclosed_brace(text[:offset])) is not None:
                # A declaration inside a block: the block before it is never closed.
                line, column = source.position(open_at)
                message = f"unexpected {_token_text(token)}: a `{{` is never closed"
                code = "QE016"
                help = f"the block {_block_header(text, open_at)}opened at line {line} needs a `}}` before this line"
            elif token.type == "REGEX" or (str(token) == "/" and "MUL_OP" not in expected):
                code = "QE014"
                help = "a regex literal only follows `matches`: `x matches /pattern/`"
            elif token.type == "EQUAL":
                message = "unexpected `=`"
                code = "QE012"
                help = "use `==` to compare; `=` only follows `set NAME` and `let NAME`"
            elif token.type == "COMPARE_OP" and "COMPARE_OP" not in expected:
                message = f"comparisons do not chain: unexpected {_token_text(token)}"
                code = "QE018"
                help = "write `1 < x and x < 3`"
            elif expected == {"_WHEN", "_PER"}:
                help = 'a rule reads `rule NAME +5 when CONDITION` or `rule NAME +5 per event "TYPE"`'
            elif "_ELSE" in expected and len(expected) > 1 and token.type != "_ELSE":
                help = '`require CONDITION else "reason"` needs its reason'
            elif "_AS" in expected and token.type != "_AS":
                help = '`reject CONDITION as "reason"` needs its reason'
    span = source.span_at(offset, length) if offset < len(source.text) or length == 0 else source.span_at(offset, 0)
    return Diagnostic.error(message, source.path, span, help=help, code=code, source_text=source.text), offset


def _block_header(text: str, open_at: int) -> str:
    """`score fit ` for the `{` at `open_at`: the words before it on its line."""
    header = text[text.rfind("\n", 0, open_at) + 1:open_at].strip()
    header = " ".join(header.split())
    return f"`{header}` " if header and len(header) <= 60 else ""


def _unclosed_brace(text: str) -> int | None:
    """Offset of the last `{` without its `}`, skipping strings and comments."""
    stack: list[int] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "#":
            j = text.find("\n", i)
            i = n if j == -1 else j
            continue
        if c == '"':
            j = i + 1
            while j < n and text[j] not in '"\n':
                j += 2 if text[j] == "\\" else 1
            i = j + 1
            continue
        if c == "{":
            stack.append(i)
        elif c == "}" and stack:
            stack.pop()
        i += 1
    return stack[-1] if stack else None


def blank_statement(text: str, offset: int) -> str | None:
    """Blank out (with spaces, keeping newlines) the statement around `offset`.

    The statement runs from the last line at or before the error that starts
    with a statement word, to just before the next such line. Returns None
    when there is nothing left to blank.
    """
    if offset >= len(text):
        return None
    lines = text.splitlines(keepends=True)
    starts = []
    position = 0
    for line in lines:
        starts.append(position)
        position += len(line)
    error_line = max(i for i, start in enumerate(starts) if start <= offset)
    at_line_start = text[starts[error_line]:offset].strip() == ""
    if at_line_start and error_line > 0 and _STATEMENT_LINE.match(lines[error_line]):
        # The statement on this line is fine so far: the one before it is
        # unfinished (`when x ==` then a new `rule`). Blank that one.
        first = error_line - 1
        while first > 0 and not _STATEMENT_LINE.match(lines[first]):
            first -= 1
        if lines[first].rstrip().endswith("{"):
            return None
        chunk = text[starts[first]:starts[error_line]]
        return text[:starts[first]] + re.sub(r"[^\n]", " ", chunk) + text[starts[error_line]:]
    first = error_line
    while first > 0 and not _STATEMENT_LINE.match(lines[first]):
        first -= 1
    # Blank from the error itself when the statement starts earlier on a block
    # header line (keeps the `{` so the block's `}` still matches).
    start_offset = starts[first]
    if lines[first].rstrip().endswith("{") and first != error_line:
        start_offset = starts[first + 1]
    elif lines[first].rstrip().endswith("{"):
        start_offset = offset
    last = error_line + 1
    while last < len(lines) and not _STATEMENT_LINE.match(lines[last]):
        last += 1
    end_offset = starts[last] if last < len(lines) else len(text)
    if lines[error_line].lstrip().startswith("}") and offset >= starts[error_line]:
        # The error is at a closing brace: blank only that token.
        end_offset = offset + 1
        start_offset = offset
    chunk = text[start_offset:end_offset]
    blanked = re.sub(r"[^\n]", " ", chunk)
    return text[:start_offset] + blanked + text[end_offset:]
