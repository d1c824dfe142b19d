"""RE2 patterns rewritten for Java's regex engine (Spark), exactly or not at all.

Only a subset means the same in both engines; `to_java` translates it and
raises `Untranslatable` for anything else, so the compile refuses instead of
guessing. The subset, and what each piece becomes:

- literal characters (any, escaped as `\\x{...}` when not alphanumeric);
- escaped punctuation (`\\.`, `\\(`, ...);
- `.` -> `[^\\n]` (RE2's `.` stops only at `\\n`; Java's at five line ends);
- `^` -> `^`, `$` -> `\\z` (Java's `$` also matches before a final newline);
- `\\A`, `\\z`;
- `\\d` `\\D` `\\w` `\\W` -> ASCII classes; `\\s` `\\S` -> `[\\t\\n\\f\\r ]` and its
  complement (Java's `\\s` also has `\\x0B`);
- `\\xHH`, `\\x{H...}`, `\\t`, `\\n`, `\\r`, `\\f`;
- classes `[...]` of those characters, ranges and escapes, `[^...]`;
- groups `(...)`, `(?:...)`, alternation `|`, quantifiers `* + ?`, `{n}`,
  `{n,}`, `{n,m}`, each optionally lazy (`?`): a search's answer, match or no
  match, does not depend on greediness.

- `\\b` `\\B` -> lookarounds over the ASCII word class (Java 17's `\\b` is
  Unicode's);
- `fold` (the `i` flag): every ASCII letter becomes the class of its RE2
  case orbit (`k` -> `[kK\\x{212a}]`, `s` -> `[sS\\x{17f}]`), in classes
  and ranges too; Java's own case-insensitive mode is never used.

Refused: inline flags (`(?i)`, `(?s)`, ...), `\\p{..}`, POSIX classes, named
groups, `\\Q..\\E`, `\\C`, any other escape; with `fold`, a cased
non-ASCII character and `\\w` `\\W`.
"""

from __future__ import annotations

import functools


class Untranslatable(ValueError):
    """The pattern (at `position`) has a construct outside the exact subset."""

    def __init__(self, construct: str, position: int):
        super().__init__(f"{construct} at offset {position}")
        self.construct = construct
        self.position = position


_SPECIAL = set(".^$|()[]{}*+?\\")
_CLASS_ESCAPES = {
    "d": "0-9", "w": "0-9A-Za-z_", "s": "\\t\\n\\f\\r ",
}
_NEGATED = {"D": "d", "W": "w", "S": "s"}
_CONTROL = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}


_WORD = "[0-9A-Za-z_]"
_BOUNDARY = f"(?:(?<={_WORD})(?!{_WORD})|(?<!{_WORD})(?={_WORD}))"
_NOT_BOUNDARY = f"(?:(?<={_WORD})(?={_WORD})|(?<!{_WORD})(?!{_WORD}))"
# RE2's simple case folding orbits of the ASCII letters that hold more than a
# letter's two cases (Unicode CaseFolding: KELVIN SIGN -> k, LONG S -> s).
_EXTRA_ORBIT = {"k": "\u212a", "s": "\u017f"}


def _orbit(c: str) -> str:
    """The characters RE2's `i` flag matches for an ASCII letter (itself otherwise)."""
    if not (c.isascii() and c.isalpha()):
        return c
    low = c.lower()
    return low + low.upper() + _EXTRA_ORBIT.get(low, "")


@functools.lru_cache(maxsize=1)
def _cased() -> frozenset[str]:
    """Every non-ASCII character with a case mapping, or the target of one."""
    found: set[str] = set()
    for code in range(0x80, 0x110000):
        if 0xD800 <= code <= 0xDFFF:
            continue
        c = chr(code)
        mapped = {c.lower(), c.upper(), c.casefold(), c.title()} - {c}
        if mapped:
            found.add(c)
            found.update(m for m in mapped if len(m) == 1)
    return frozenset(found | {"\u212a", "\u017f"})


def _char(c: str) -> str:
    """One literal character, safe anywhere in a Java pattern (classes too)."""
    if c.isascii() and c.isalnum():
        return c
    return f"\\x{{{ord(c):x}}}"


def to_java(pattern: str, *, full: bool = False, fold: bool = False) -> str:
    """The Java pattern that finds (or, `full`, fully matches) the same texts
    as RE2 (`fold`: with RE2's `i` flag)."""
    translated = _Translator(pattern, fold).run()
    return f"^(?:{translated})\\z" if full else translated


class _Translator:
    def __init__(self, pattern: str, fold: bool = False):
        self.pattern = pattern
        self.fold = fold
        self.i = 0

    def literal(self, c: str, position: int, *, in_class: bool) -> str:
        if not self.fold:
            return _char(c)
        if not c.isascii() and c in _cased():
            raise Untranslatable("a non-ASCII cased character under the `i` flag", position)
        orbit = _orbit(c)
        if len(orbit) == 1:
            return _char(c)
        chars = "".join(_char(o) for o in orbit)
        return chars if in_class else f"[{chars}]"

    def folded_range(self, low: str, high: str, position: int) -> str:
        """A class range under `fold`: the range and the orbits of its letters."""
        if high < low:
            raise Untranslatable("a range out of order", position)
        if high > "\x7f":
            cased = _cased()
            start = max(ord(low), 0x80)
            if any(chr(code) in cased for code in range(start, ord(high) + 1)):
                raise Untranslatable("a range of non-ASCII cased characters under the `i` flag", position)
        extra = "".join(_orbit(chr(code)) for code in range(ord(low), min(ord(high), 0x7F) + 1)
                        if chr(code).isalpha())
        return f"{_char(low)}-{_char(high)}" + "".join(_char(c) for c in extra)

    def peek(self) -> str:
        return self.pattern[self.i] if self.i < len(self.pattern) else ""

    def run(self) -> str:
        out: list[str] = []
        depth = 0
        p = self.pattern
        while self.i < len(p):
            c = p[self.i]
            start = self.i
            self.i += 1
            if c == "\\":
                out.append(self.escape(start, in_class=False))
            elif c == "[":
                out.append(self.char_class(start))
            elif c == ".":
                out.append("[^\\n]")
            elif c == "^":
                out.append("^")
            elif c == "$":
                out.append("\\z")
            elif c == "(":
                if self.peek() == "?":
                    if p.startswith("?:", self.i):
                        self.i += 2
                        out.append("(?:")
                    else:
                        raise Untranslatable("a group flag or named group `(?`", start)
                else:
                    out.append("(")
                depth += 1
            elif c == ")":
                if depth == 0:
                    raise Untranslatable("an unbalanced `)`", start)
                depth -= 1
                out.append(")")
            elif c == "|":
                out.append("|")
            elif c in "*+?":
                out.append(c + self.lazy())
            elif c == "{":
                out.append(self.counted(start))
            else:
                out.append(self.literal(c, start, in_class=False))
        if depth:
            raise Untranslatable("an unclosed group", len(p))
        return "".join(out)

    def lazy(self) -> str:
        if self.peek() == "?":
            self.i += 1
            return "?"
        if self.peek() == "+":
            raise Untranslatable("a possessive quantifier", self.i)
        return ""

    def counted(self, start: int) -> str:
        end = self.pattern.find("}", self.i)
        body = self.pattern[self.i:end] if end >= 0 else ""
        low, _, high = body.partition(",")
        if end < 0 or not low.isdigit() or (high and not high.isdigit()):
            raise Untranslatable("a `{` that is not a repetition count", start)
        self.i = end + 1
        return "{" + body + "}" + self.lazy()

    def escape(self, start: int, *, in_class: bool) -> str:
        c = self.peek()
        if not c:
            raise Untranslatable("a trailing `\\`", start)
        self.i += 1
        if self.fold and c in "wW":
            raise Untranslatable(f"`\\{c}` under the `i` flag", start)
        if c in _CLASS_ESCAPES:
            return _CLASS_ESCAPES[c] if in_class else f"[{_CLASS_ESCAPES[c]}]"
        if c in _NEGATED and not in_class:
            return f"[^{_CLASS_ESCAPES[_NEGATED[c]]}]"
        if c in "bB" and not in_class:
            return _BOUNDARY if c == "b" else _NOT_BOUNDARY
        if c in _CONTROL:
            return _char(_CONTROL[c])
        if c == "x":
            return _char(chr(self.hex_code(start)))
        if not in_class and c in "Az":
            return "\\" + c
        if not c.isalnum() and c.isascii():
            return _char(c)
        raise Untranslatable(f"the escape `\\{c}`", start)

    def hex_code(self, start: int) -> int:
        p = self.pattern
        if self.peek() == "{":
            end = p.find("}", self.i)
            digits = p[self.i + 1:end] if end >= 0 else ""
            self.i = end + 1
        else:
            digits = p[self.i:self.i + 2]
            self.i += 2
        try:
            code = int(digits, 16)
        except ValueError:
            raise Untranslatable("a malformed `\\x` escape", start) from None
        if not 0 <= code < 0x110000 or 0xD800 <= code <= 0xDFFF:
            raise Untranslatable("a `\\x` escape that is not a character", start)
        return code

    def class_char(self, position: int) -> str | None:
        """One character of a class (an escape decoded), or None for a class escape."""
        c = self.pattern[self.i]
        self.i += 1
        if c != "\\":
            return c
        nxt = self.peek()
        if nxt in _NEGATED:
            raise Untranslatable("a negated class escape inside `[...]`", position)
        if nxt in _CLASS_ESCAPES:
            return None
        if nxt in _CONTROL:
            self.i += 1
            return _CONTROL[nxt]
        if nxt == "x":
            self.i += 1
            return chr(self.hex_code(position))
        if nxt and not nxt.isalnum() and nxt.isascii():
            self.i += 1
            return nxt
        raise Untranslatable(f"the escape `\\{nxt}`" if nxt else "a trailing `\\`", position)

    def char_class(self, start: int) -> str:
        p = self.pattern
        out = ["["]
        if self.peek() == "^":
            self.i += 1
            out.append("^")
        first = True
        while True:
            c = self.peek()
            if not c:
                raise Untranslatable("an unclosed `[`", start)
            if c == "]" and not first:
                self.i += 1
                break
            first = False
            if c == "[" and p.startswith("[:", self.i):
                raise Untranslatable("a POSIX class `[:...:]`", self.i)
            position = self.i
            low = self.class_char(position)
            if low is None:  # \d \w \s
                out.append(self.escape(position, in_class=True))
                continue
            if self.peek() == "-" and self.i + 1 < len(p) and p[self.i + 1] != "]":
                self.i += 1
                high = self.class_char(self.i)
                if high is None:
                    raise Untranslatable("a range to a class escape", position)
                if self.fold:
                    out.append(self.folded_range(low, high, position))
                else:
                    out.append(f"{_char(low)}-{_char(high)}")
                continue
            out.append(self.literal(low, position, in_class=True))
        out.append("]")
        return "".join(out)
