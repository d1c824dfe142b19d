"""RE2 patterns rewritten for another engine's regexes, exactly or not at all:
Java's (Spark, `to_java`), PostgreSQL's ARE (`to_are`) and Snowflake's POSIX
ERE (`to_snowflake`). One translator reads the pattern; a subclass per engine
spells the pieces that engine writes otherwise.

Only a subset means the same in both engines; each `to_...` translates it
and raises `Untranslatable` for anything else, so the compile refuses
instead of guessing. The subset, and what each piece becomes in Java (the
others at their classes below):

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
  and ranges too, and `\\w` gains those two (RE2 folds the class, then
  `\\W` is its complement); Java's own case-insensitive mode is never used.

Refused: inline flags (`(?i)`, `(?s)`, ...), `\\p{..}`, POSIX classes, named
groups, `\\Q..\\E`, `\\C`, any other escape; with `fold`, a cased
non-ASCII character.
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
    """RE2 to Java; a subclass spells the pieces its engine writes otherwise."""

    DOT = "[^\\n]"
    START = "^"
    END = "\\z"
    GROUP = "(?:"
    LAZY = "?"
    CLASS_ESCAPES = _CLASS_ESCAPES
    MAX_COUNT: int | None = None  # the largest repetition count the engine takes

    def __init__(self, pattern: str, fold: bool = False):
        self.pattern = pattern
        self.fold = fold
        self.i = 0

    def char(self, c: str) -> str:
        return _char(c)

    def boundary(self, c: str) -> str:
        return _BOUNDARY if c == "b" else _NOT_BOUNDARY

    def text_anchor(self, c: str) -> str:
        return "\\" + c

    def negated(self, members: str) -> str:
        return f"[^{members}]"

    def alternative(self, out: list[str], position: int) -> None:
        out.append("|")

    def close(self, out: list[str], position: int) -> None:
        out.append(")")

    def finish(self, out: list[str]) -> str:
        return "".join(out)

    def literal(self, c: str, position: int, *, in_class: bool) -> str:
        if not self.fold:
            return self.char(c)
        if not c.isascii() and c in _cased():
            raise Untranslatable("a non-ASCII cased character under the `i` flag", position)
        orbit = _orbit(c)
        if len(orbit) == 1:
            return self.char(c)
        chars = "".join(self.char(o) for o in orbit)
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
        return f"{self.in_class(low)}-{self.in_class(high)}" + "".join(self.in_class(c) for c in extra)

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
                out.append(self.DOT)
            elif c == "^":
                out.append(self.START)
            elif c == "$":
                out.append(self.END)
            elif c == "(":
                if self.peek() == "?":
                    if p.startswith("?:", self.i):
                        self.i += 2
                        out.append(self.GROUP)
                    else:
                        raise Untranslatable("a group flag or named group `(?`", start)
                else:
                    out.append("(")
                depth += 1
            elif c == ")":
                if depth == 0:
                    raise Untranslatable("an unbalanced `)`", start)
                depth -= 1
                self.close(out, start)
            elif c == "|":
                self.alternative(out, start)
            elif c in "*+?":
                out.append(c + self.lazy())
            elif c == "{":
                out.append(self.counted(start))
            else:
                out.append(self.literal(c, start, in_class=False))
        if depth:
            raise Untranslatable("an unclosed group", len(p))
        return self.finish(out)

    def lazy(self) -> str:
        if self.peek() == "?":
            self.i += 1
            return self.LAZY
        if self.peek() == "+":
            raise Untranslatable("a possessive quantifier", self.i)
        return ""

    def counted(self, start: int) -> str:
        end = self.pattern.find("}", self.i)
        body = self.pattern[self.i:end] if end >= 0 else ""
        low, _, high = body.partition(",")
        if end < 0 or not low.isdigit() or (high and not high.isdigit()):
            raise Untranslatable("a `{` that is not a repetition count", start)
        if self.MAX_COUNT is not None and any(int(n) > self.MAX_COUNT for n in (low, high) if n):
            raise Untranslatable(f"a repetition count over {self.MAX_COUNT} (POSIX's RE_DUP_MAX)", start)
        self.i = end + 1
        return "{" + body + "}" + self.lazy()

    def escape(self, start: int, *, in_class: bool) -> str:
        c = self.peek()
        if not c:
            raise Untranslatable("a trailing `\\`", start)
        self.i += 1
        escapes = self.CLASS_ESCAPES
        if self.fold and c in "wW":  # RE2 folds \w's letters (k and s gain their third case), then negates
            word = escapes["w"] + "".join(self.in_class(extra) for extra in _EXTRA_ORBIT.values())
            if c == "W":
                return self.negated(word)  # never in a class: class_char refuses `[\W]`
            return word if in_class else f"[{word}]"
        if c in escapes:
            return escapes[c] if in_class else f"[{escapes[c]}]"
        if c in _NEGATED and not in_class:
            return self.negated(escapes[_NEGATED[c]])
        if c in "bB" and not in_class:
            return self.boundary(c)
        if c in _CONTROL:
            return self.char(_CONTROL[c])
        if c == "x":  # a letter written by its code folds as the letter does
            return self.literal(chr(self.hex_code(start)), start, in_class=in_class)
        if not in_class and c in "Az":
            return self.text_anchor(c)
        if not c.isalnum() and c.isascii():
            return self.char(c)
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
        negate, members = self.class_members(start)
        return "[" + ("^" if negate else "") + "".join(members) + "]"

    def class_members(self, start: int) -> tuple[bool, list[str]]:
        """A class's `^` and its members, each written by class_single,
        class_range or (\\d \\w \\s) escape."""
        p = self.pattern
        negate = self.peek() == "^"
        if negate:
            self.i += 1
        members: list[str] = []
        first = True
        while True:
            c = self.peek()
            if not c:
                raise Untranslatable("an unclosed `[`", start)
            if c == "]" and not first:
                self.i += 1
                return negate, members
            first = False
            if c == "[" and p.startswith("[:", self.i):
                raise Untranslatable("a POSIX class `[:...:]`", self.i)
            position = self.i
            low = self.class_char(position)
            if low is None:  # \d \w \s
                members.append(self.escape(position, in_class=True))
                continue
            if self.peek() == "-" and self.i + 1 < len(p) and p[self.i + 1] != "]":
                self.i += 1
                high = self.class_char(self.i)
                if high is None:
                    raise Untranslatable("a range to a class escape", position)
                members.append(self.class_range(low, high, position))
                continue
            members.append(self.class_single(low, position))

    def class_range(self, low: str, high: str, position: int) -> str:
        if self.fold:
            return self.folded_range(low, high, position)
        return f"{self.in_class(low)}-{self.in_class(high)}"

    def class_single(self, c: str, position: int) -> str:
        return self.literal(c, position, in_class=True)

    def in_class(self, c: str) -> str:
        return self.char(c)


# ------------------------------------------------------------------ Snowflake
# Snowflake's regexes (functions-regexp: "String functions (regular
# expressions)") are POSIX ERE plus Perl's \d \s \w \b \B, without lazy
# quantifiers, and REGEXP_LIKE matches the WHOLE subject. `to_snowflake`
# writes a pattern only in the part of ERE whose reading does not depend on
# what POSIX leaves to the engine: no backslash inside `[...]` (POSIX reads
# it as itself), `-` last in a class, `]` `[` `\` refused there, control and
# non-ASCII characters written as themselves, no empty alternative. Where
# POSIX lets an engine keep `.` and `[^...]` off the newline (REG_NEWLINE),
# the newline is spelled out: `.` is `[^<newline>]` either way, a negated
# class that does not hold the newline gains `|<newline>`.
_NEWLINE = "\n"
_ERE_SPECIAL = set(".[()*+?{|^$\\")
_ERE_CLASS_ESCAPES = {"d": "0-9", "w": "0-9A-Za-z_", "s": "\t\n\f\r "}
_ANY = f"(.|{_NEWLINE})*"  # every text, newlines included, whatever `.` does with them


class _Ere(_Translator):
    DOT = f"[^{_NEWLINE}]"
    START = "^"  # without the `m` parameter: the subject's start and end only
    END = "$"
    GROUP = "("
    LAZY = ""  # a search's answer does not depend on greediness (Snowflake has no lazy quantifiers)
    CLASS_ESCAPES = _ERE_CLASS_ESCAPES
    MAX_COUNT = 255

    def char(self, c: str) -> str:
        if c == "\x00":
            raise Untranslatable("a NUL character", self.i)
        return "\\" + c if c in _ERE_SPECIAL else c

    def boundary(self, c: str) -> str:
        return "\\" + c  # Perl's \b \B over \w, which the reference defines as ASCII's [0-9A-Za-z_]

    def text_anchor(self, c: str) -> str:
        return "^" if c == "A" else "$"

    def negated(self, members: str) -> str:
        """RE2's `[^...]` (a newline too, unless listed) whatever the engine's newline mode."""
        return f"[^{members}]" if _holds_newline(members) else f"([^{members}]|{_NEWLINE})"

    def alternative(self, out: list[str], position: int) -> None:
        if not out or out[-1] in ("(", "|"):
            raise Untranslatable("an empty alternative", position)  # POSIX leaves `()` and `a||b` undefined
        out.append("|")

    def close(self, out: list[str], position: int) -> None:
        self.alternative(out, position)
        out[-1] = ")"

    def finish(self, out: list[str]) -> str:
        if not out or out[-1] == "|":
            raise Untranslatable("an empty alternative", len(self.pattern))
        return "".join(out)

    def in_class(self, c: str) -> str:
        return c  # POSIX: a member is itself inside `[...]`, a backslash too

    def class_single(self, c: str, position: int) -> str:
        _class_member(c, position, ranged=False)
        return self.literal(c, position, in_class=True) if c.isalpha() else c  # letters: their orbits under `fold`

    def class_range(self, low: str, high: str, position: int) -> str:
        for end in (low, high):
            _class_member(end, position, ranged=True)
        return super().class_range(low, high, position)

    def char_class(self, start: int) -> str:
        """`[...]` as POSIX reads it: members as themselves, `-` last."""
        negate, members = self.class_members(start)
        dash = "-" in members
        text = "".join(member for member in members if member != "-")
        if text.startswith("^"):
            text = text[1:] + "^"  # `^` is itself anywhere but first
        if text in ("", "^") and not dash:
            raise Untranslatable("a class of only `^`", start)
        if text == "^":
            text = "-^" if not negate else text
            dash = dash and negate
        text += "-" if dash else ""
        return self.negated(text) if negate else f"[{text}]"


def _class_member(c: str, position: int, *, ranged: bool) -> None:
    if c in "]\\[" or c == "\x00" or (ranged and c in "-^"):
        raise Untranslatable(f"`{c}` inside `[...]` (its reading there differs between POSIX and Perl)"
                             if c != "\x00" else "a NUL character", position)


def _holds_newline(members: str) -> bool:
    """Whether a class body written by _Ere (members as themselves, `-` only
    between a range's ends or last) holds the newline."""
    i = 0
    while i < len(members):
        if i + 2 < len(members) and members[i + 1] == "-":
            if members[i] <= _NEWLINE <= members[i + 2]:
                return True
            i += 3
        else:
            if members[i] == _NEWLINE:
                return True
            i += 1
    return False


def to_snowflake(pattern: str, *, full: bool = False, fold: bool = False) -> str:
    """The ERE that Snowflake's REGEXP_LIKE (whole-subject) matches exactly on
    the texts RE2 finds `pattern` in (`full`: fully matches; `fold`: RE2's
    `i` flag, as case orbits)."""
    if not pattern:  # RE2's empty pattern: found in every text; fully matches the empty one
        return "" if full else _ANY
    body = _Ere(pattern, fold).run()
    return f"({body})" if full else f"{_ANY}({body}){_ANY}"


# ------------------------------------------------------------------ PostgreSQL
# PostgreSQL's Advanced Regular Expressions (functions-posix-regexp), matched
# against text COLLATE "C" (ASCII classes and word boundaries, as RE2's):
# `^` and `$` are the text's start and end (no newline-sensitive mode), `\y`
# `\Y` its word boundaries, `(?:` and lazy quantifiers as in RE2; a character
# is written as a `\u`/`\U` escape, valid in `[...]` too. PostgreSQL text holds
# no NUL: outside `[...]` one is refused, inside it is a member never matched.


_ARE_CLASS_ESCAPES = {"d": "0-9", "w": "0-9A-Za-z_", "s": "\\u0009\\u000a\\u000c\\u000d "}


def _are_char(c: str) -> str:
    if c.isascii() and c.isalnum():
        return c
    return f"\\u{ord(c):04x}" if ord(c) <= 0xFFFF else f"\\U{ord(c):08x}"


class _Are(_Translator):
    DOT = "[^\\u000a]"
    START = "^"
    END = "$"
    CLASS_ESCAPES = _ARE_CLASS_ESCAPES
    MAX_COUNT = 255  # PostgreSQL's DUPMAX

    def char(self, c: str) -> str:
        if c == "\x00":
            raise Untranslatable("a NUL character (PostgreSQL text holds none)", self.i)
        return _are_char(c)

    def boundary(self, c: str) -> str:
        return "\\y" if c == "b" else "\\Y"

    def text_anchor(self, c: str) -> str:
        return "^" if c == "A" else "$"

    def class_single(self, c: str, position: int) -> str:
        return "" if c == "\x00" else super().class_single(c, position)

    def class_range(self, low: str, high: str, position: int) -> str:
        if high == "\x00":
            return ""
        return super().class_range("\x01" if low == "\x00" else low, high, position)

    def char_class(self, start: int) -> str:
        negate, members = self.class_members(start)
        if not any(members):
            raise Untranslatable("a class of nothing PostgreSQL text can hold", start)
        return "[" + ("^" if negate else "") + "".join(members) + "]"


def to_are(pattern: str, *, ignore_case: bool = False, full: bool = False) -> str:
    """The PostgreSQL ARE that finds (or, `full`, fully matches) exactly the
    texts the RE2 `pattern` finds (`ignore_case`: with RE2's `i` flag), when
    matched against text COLLATE "C"."""
    body = _Are(pattern, ignore_case).run()
    return f"^(?:{body})$" if full else body
