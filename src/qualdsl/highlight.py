"""A Pygments lexer for qualdsl policies, and a one-line terminal highlighter.

Registered under the `pygments.lexers` entry point (pyproject.toml), so
`pygmentize -l qualdsl policy.qual` works and `*.qual` files are recognised.

The grammar's keywords are contextual (`score`, `tier`, `type`, `max`,
`events`, `rule` are also names). A regex lexer cannot run the parser, so it
approximates with two positions, as the parser's contextual lexer does:

- `root`: after an operand or at a statement start, words are keywords
  (`and`, `when`, `rule`, `max`, ...);
- `operand`: where a value is expected (after `when`, `and`, `==`, `(`, ...),
  a word is a field path, a set/let name or a function call; only `not`,
  `true`, `false` and `events` are keywords there.

Declarations are matched with what must follow them (`rule NAME POINTS`,
`tier NAME when|otherwise`, `score NAME {|max|min`), so a field named `rule`
or `tier` is not taken for one. After lexing, bare words that name a declared
set or let, a score block, a tier or an outcome are re-tagged (`_retag`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, ClassVar

from pygments.lexer import RegexLexer, bygroups, default, include, words
from pygments.token import (
    Comment,
    Keyword,
    Literal,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Whitespace,
    _TokenType,
)

from . import keywords as kw

# Distinct subtypes of Number: styles that know nothing of them colour them as numbers.
Duration = Number.Duration
Percent = Number.Percent

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_QUOTED = r"`[^`\n]+`"
_NUMBER = r"[0-9]+(?:\.[0-9]+)?"
_SIGNED = r"[+-]?[0-9]+(?:\.[0-9]+)?"
_WS = r"(\s+)"
_END = r"(?![A-Za-z0-9_])"  # a word ends here (\b would accept `a.b`'s `a`)

# Words after which an operand is expected.
_OPERAND_AFTER = ("when", "where", "require", "reject", "and", "or", "not", "in", "between")
_STRING_TESTS = ("contains", "starts_with", "ends_with")
_OTHER_WORD_OPERATORS = tuple(
    w for w in kw.WORD_OPERATORS if w not in _OPERAND_AFTER and w not in _STRING_TESTS
)
_OTHER_STATEMENTS = tuple(w for w in kw.STATEMENTS if w not in _OPERAND_AFTER)
_OTHER_DECLARATIONS = tuple(w for w in kw.DECLARATIONS if w not in ("include",))


TokenStream = Iterator[tuple[int, _TokenType, str]]
# A pygments rule: (regex, token type or callback[, new state]), or an
# `include("state")` / `default("state")` entry.
_Rule = tuple[Any, ...] | include | default


def _word_type(lexer: RegexLexer, match: re.Match[str]) -> TokenStream:
    text = match.group()
    yield match.start(), Keyword if text in kw.STATEMENTS else Operator.Word, text


def _call(lexer: RegexLexer, match: re.Match[str]) -> TokenStream:
    """`domain(`: a built-in function (or an unknown one) and its parenthesis."""
    name, space, paren = match.groups()
    start = match.start()
    yield start, Name.Builtin if name in kw.FUNCTIONS else Name.Function, name
    if space:
        yield start + len(name), Whitespace, space
    yield start + len(name) + len(space), Punctuation, paren


def _literals(then: str | tuple[str, ...] | None) -> list[_Rule]:
    """Literal values; `then` is the state change after one (None: stay)."""
    rules: list[tuple[str, _TokenType]] = [
        (r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?"
         r"(?:Z|[+-][0-9]{2}:[0-9]{2})?", Literal.Date),
        (r"[0-9]{4}-[0-9]{2}-[0-9]{2}", Literal.Date),
        (_NUMBER + r"[hdw]" + _END, Duration),
        (_NUMBER + r"%", Percent),
        (r"[0-9]+\.[0-9]+", Number.Float),
        (r"[0-9]+", Number.Integer),
    ]
    string_then: str | tuple[str, ...] = "string"
    if then is not None:
        string_then = (then, "string") if isinstance(then, str) else (*then, "string")
    out: list[_Rule] = [(r'"', String.Double, string_then)]
    out += [rule if then is None else (*rule, then) for rule in rules]
    return out


class QualdslLexer(RegexLexer):
    """Lexer for qualdsl lead-qualification policies (`*.qual`)."""

    name = "qualdsl"
    aliases: ClassVar[Sequence[str]] = ["qualdsl", "qual"]
    filenames: ClassVar[Sequence[str]] = ["*.qual"]
    mimetypes: ClassVar[Sequence[str]] = ["text/x-qualdsl"]

    tokens: ClassVar[dict[str, list[_Rule]]] = {
        "space": [
            (r"\s+", Whitespace),
            (r"#[^\n]*", Comment.Single),
        ],
        # Statement starts and operator positions: words are keywords here.
        "root": [
            include("space"),
            # Declarations, matched with what must follow them.
            (r"(policy)" + _WS + "(" + _NAME + ")",
             bygroups(Keyword.Declaration, Whitespace, Name.Namespace)),
            (r"(schema)(\s*)(\{)", bygroups(Keyword.Declaration, Whitespace, Punctuation),
             "schema"),
            (r"(set|let)" + _WS + "(" + _NAME + r")(\s*)(=)",
             bygroups(Keyword.Declaration, Whitespace, Name.Constant, Whitespace, Operator),
             "operand"),
            (r"(score)" + _WS + "(" + _NAME + r")(?=\s*(?:\{|max" + _END + "|min" + _END + "))",
             bygroups(Keyword.Declaration, Whitespace, Name.Class)),
            (r"(rule)" + _WS + "(" + _NAME + ")" + _WS + "(" + _SIGNED + ")",
             bygroups(Keyword, Whitespace, Name.Function, Whitespace, Number)),
            (r"(tier)" + _WS + "(" + _NAME + r")(?=\s+(?:when|otherwise)" + _END + ")",
             bygroups(Keyword, Whitespace, Name.Label)),
            (r"(max|min)" + _WS + "(" + _SIGNED + ")", bygroups(Keyword, Whitespace, Number)),
            (r"(matches)" + _WS + r"(/(?:\\.|[^\\/\n])*/i?)",
             bygroups(Operator.Word, Whitespace, String.Regex)),
            (r"(not)" + _WS + "(in)" + _END,
             bygroups(Operator.Word, Whitespace, Operator.Word), "operand"),
            (r"include" + _END, Keyword.Namespace),
            # Words after which a value comes.
            (words(_OPERAND_AFTER, suffix=_END), _word_type, "operand"),
            (words(_STRING_TESTS, suffix=_END), Operator.Word, "operand"),
            (words(_OTHER_WORD_OPERATORS, suffix=_END), Operator.Word),
            (words(_OTHER_DECLARATIONS, suffix=_END), Keyword.Declaration),
            (words(_OTHER_STATEMENTS, suffix=_END), Keyword),
            (words(kw.CONSTANTS, suffix=_END), Keyword.Constant),
            (words(kw.QUERIES, suffix=_END), Keyword.Pseudo),
            # A word in no keyword's place is a value (a field path, a name).
            (r"(" + _NAME + r")(\s*)(\()", _call, "operand"),
            (_NAME, Name.Variable, "path"),
            (_QUOTED, Name.Variable, "path"),
            (r"==|!=|<=|>=|<|>|[+\-*/=]", Operator, "operand"),
            (r"[(,]", Punctuation, "operand"),
            (r"[)\[\]{}:.]", Punctuation),
            *_literals(None),
        ],
        # Where a value is expected: words are names, one value then back to root.
        "operand": [
            include("space"),
            (r"not" + _END, Operator.Word),
            (words(kw.CONSTANTS, suffix=_END), Keyword.Constant, "#pop"),
            (r"events(?=\s*(?:(?:where|within)" + _END + r"|\)))", Keyword.Pseudo, "#pop"),
            (r"(" + _NAME + r")(\s*)(\()", _call),
            (_NAME, Name.Variable, ("#pop", "path")),
            (_QUOTED, Name.Variable, ("#pop", "path")),
            (r"\(", Punctuation),
            (r"[+\-]", Operator),
            (r"\[", Punctuation, "#pop"),  # a list's items are lexed in root
            *_literals("#pop"),
            default("#pop"),
        ],
        # The rest of a dotted field path.
        "path": [
            (r"(\.)(" + _NAME + ")", bygroups(Punctuation, Name.Variable)),
            (r"(\.)(" + _QUOTED + ")", bygroups(Punctuation, Name.Variable)),
            default("#pop"),
        ],
        "string": [
            (r'\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})', String.Escape),
            (r'[^"\\\n]+', String.Double),
            (r'"', String.Double, "#pop"),
            (r"\n", Whitespace, "#pop"),  # an unterminated string ends with its line
        ],
        "schema": [
            include("space"),
            (r"(:)(\s*)(" + _NAME + ")", bygroups(Punctuation, Whitespace, Keyword.Type)),
            (r"(\[)(\s*)(" + _NAME + r")(\s*)(\])",
             bygroups(Punctuation, Whitespace, Keyword.Type, Whitespace, Punctuation)),
            (_NAME, Name.Variable),
            (_QUOTED, Name.Variable),
            (r"\.", Punctuation),
            (r"\}", Punctuation, "#pop"),
        ],
    }

    def get_tokens_unprocessed(self, text: str, stack: Iterable[str] = ("root",)) -> TokenStream:
        tokens = list(super().get_tokens_unprocessed(text, stack))
        yield from _merge(_retag(tokens))


def _retag(tokens: list[tuple[int, _TokenType, str]]) -> TokenStream:
    """Bare words that name a declared set/let, block or tier, or an outcome.

    A bare word is a Name.Variable not joined by `.` to another segment. Sets
    and lets keep their meaning everywhere; blocks, tiers and the outcomes
    `score`, `icp`, `tier` only inside `tiers { }` and `route { }`.
    """
    constants = {value for _, token, value in tokens if token is Name.Constant}
    blocks = {value for _, token, value in tokens if token is Name.Class}
    tiers = {value for _, token, value in tokens if token is Name.Label}
    in_outcome_block = False
    for index, (position, token, value) in enumerate(tokens):
        if token is Keyword.Declaration and value in ("tiers", "route"):
            in_outcome_block = True
        elif token is Punctuation and value == "}":
            in_outcome_block = False
        elif token is Name.Variable and _is_bare(tokens, index):
            if value in constants:
                token = Name.Constant
            elif in_outcome_block and value in kw.OUTCOMES:
                token = Name.Builtin.Pseudo
            elif in_outcome_block and value in blocks:
                token = Name.Class
            elif in_outcome_block and value in tiers:
                token = Name.Label
        yield position, token, value


def _merge(tokens: TokenStream) -> TokenStream:
    """Join neighbours of one type (a string's quotes and body), for readable token lists."""
    pending: tuple[int, _TokenType, str] | None = None
    for position, token, value in tokens:
        if pending is not None and pending[1] is token and token is not Whitespace:
            pending = (pending[0], token, pending[2] + value)
            continue
        if pending is not None:
            yield pending
        pending = (position, token, value)
    if pending is not None:
        yield pending


def _is_bare(tokens: list[tuple[int, _TokenType, str]], index: int) -> bool:
    def is_dot(i: int) -> bool:
        return 0 <= i < len(tokens) and tokens[i][1] is Punctuation and tokens[i][2] == "."

    return not is_dot(index - 1) and not is_dot(index + 1) and not tokens[index][2].startswith("`")


def highlight_line(text: str) -> str:
    """One line of policy source in terminal colours (no trailing newline)."""
    from pygments import highlight
    from pygments.formatters import TerminalFormatter

    lexer = QualdslLexer(stripnl=False, ensurenl=False)
    return highlight(text, lexer, TerminalFormatter()).rstrip("\n")


def highlight_policy(text: str) -> str:
    """A whole policy in terminal colours."""
    from pygments import highlight
    from pygments.formatters import TerminalFormatter

    return highlight(text, QualdslLexer(stripnl=False), TerminalFormatter())
