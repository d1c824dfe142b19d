"""Regexes are RE2's: linear-time matching, no backreferences, no lookaround.

The contract (language.md, "Lexing"): `\\d`, `\\w`, `\\s` and `\\b` are ASCII,
`$` is the end of the text, the `i` flag ignores case. `regex_error()` is the
checker's judgement and `compile_regex()` the backends' compiler; both go
through `_compile`, so the checker accepts exactly what a backend compiles.
"""

from __future__ import annotations

import functools
import re

import attrs
import re2

# RE2 reads a counted repetition over 1000 as an error, except when the count
# overflows its parser: then `a{99999999999}` silently means the literal text.
# Refuse every count over the limit, so a typo cannot change the meaning.
MAX_REPEAT = 1000

# What RE2's error messages mean, in the contract's words.
_LOOKAROUND = {"(?=": "lookahead `(?=`", "(?!": "negative lookahead `(?!`",
               "(?<=": "lookbehind `(?<=`", "(?<!": "negative lookbehind `(?<!`"}
_BACKREFERENCE = re.compile(r"invalid escape sequence: \\[1-9]")


@attrs.frozen
class RegexError:
    """Why a pattern is refused: a compile-error code and a message."""

    code: str  # QE144 unsupported construct, QE145 invalid, QE146 too large
    message: str


class RegexCompileError(ValueError):
    def __init__(self, error: RegexError):
        super().__init__(error.message)
        self.error = error


def _options(ignore_case: bool) -> re2.Options:
    options = re2.Options()
    options.case_sensitive = not ignore_case
    options.never_capture = True  # matching only: groups need no memory
    options.log_errors = False  # RE2 would log every refused pattern to stderr
    return options


def _counted_repetitions(pattern: str) -> list[int]:
    """The counts of `{n}`, `{n,}`, `{n,m}` outside character classes and escapes."""
    counts: list[int] = []
    i, in_class = 0, False
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            i += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            if pattern.startswith("]", i + 1) or pattern.startswith("^]", i + 1):
                i += 1 + pattern.startswith("^", i + 1)  # `[]...]`: the `]` is a member
        elif char == "{":
            match = re.match(r"\{(\d+)(?:,(\d*))?\}", pattern[i:])
            if match:
                counts.extend(int(group) for group in match.groups() if group)
        i += 1
    return counts


@functools.lru_cache(maxsize=4096)
def _compile(pattern: str, ignore_case: bool) -> re2._Regexp | RegexError:
    for count in _counted_repetitions(pattern):
        if count > MAX_REPEAT:
            return RegexError("QE146", f"the repetition count {count} is over the limit of {MAX_REPEAT}")
    try:
        return re2.compile(pattern, options=_options(ignore_case))
    except re2.error as problem:
        detail = problem.args[0] if problem.args else b""
        text = detail.decode("utf-8", "replace") if isinstance(detail, bytes) else str(detail)
        return _explain(text)


def _explain(text: str) -> RegexError:
    if text.startswith("invalid perl operator:"):
        for opener, name in sorted(_LOOKAROUND.items(), key=lambda item: -len(item[0])):
            if text.endswith(opener):
                return RegexError("QE144", f"{name} is not supported (RE2 has no lookaround)")
    if _BACKREFERENCE.match(text):
        return RegexError("QE144", f"the backreference `{text.rsplit(' ', 1)[-1]}` is not supported "
                                   "(RE2 has no backreferences)")
    kind, _, fragment = text.partition(": ")
    message = f"{kind} at `{fragment}`" if fragment else kind
    too_many = "invalid repetition size" in text and any(int(d) > MAX_REPEAT for d in re.findall(r"\d+", fragment))
    if too_many or "too large" in text or "nested too deeply" in text:
        return RegexError("QE146", message)
    return RegexError("QE145", message)


def regex_error(pattern: str, ignore_case: bool) -> RegexError | None:
    """Why the checker refuses `pattern`, or None when it compiles."""
    found = _compile(pattern, ignore_case)
    return found if isinstance(found, RegexError) else None


def regex_problem(pattern: str, ignore_case: bool) -> str | None:
    """The message of `regex_error`, or None when the pattern compiles."""
    error = regex_error(pattern, ignore_case)
    return error.message if error else None


def compile_regex(pattern: str, ignore_case: bool) -> re2._Regexp:
    """The compiled pattern (search with `.search(text)`); raises
    RegexCompileError for a pattern the checker refuses."""
    found = _compile(pattern, ignore_case)
    if isinstance(found, RegexError):
        raise RegexCompileError(found)
    return found
