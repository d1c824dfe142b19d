"""Stage 1: policy text -> lark parse tree, with located syntax errors.

The parser is LALR with Lark's contextual lexer, built once per process and
cached on disk by Lark (`cache=`). Syntax errors are collected, not raised one
at a time: after an error the offending statement is blanked out (keeping
every offset) and the text is parsed again, so one run reports several
mistakes.
"""

from __future__ import annotations

import functools
import re
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import syntax_errors
from .diagnostics import Diagnostic
from .errors import ParseError
from .source import Source

if TYPE_CHECKING:
    import lark

# An expression nested deeper than this is refused: it is never what an ops
# team means, and the later stages (and Python's own compiler) recurse.
MAX_NESTING = 64
MAX_SYNTAX_ERRORS = 20

_comments = threading.local()


def grammar_path() -> Path:
    """The grammar file: inside the installed package, or the repo's grammar/."""
    packaged = Path(__file__).with_name("grammar") / "qualdsl.lark"
    if packaged.is_file():
        return packaged
    return Path(__file__).resolve().parents[2] / "grammar" / "qualdsl.lark"


def grammar_text() -> str:
    return grammar_path().read_text(encoding="utf-8")


def _collect_comment(token: Any) -> Any:
    bucket = getattr(_comments, "bucket", None)
    if bucket is not None:
        bucket.append(token)
    return token


_IDENTIFIER_CHAR = re.compile(r"[A-Za-z0-9_]")
_IDENTIFIER_RUN = re.compile(r"[A-Za-z0-9_]*")
_DURATION_RUN = re.compile(r"[0-9.]*[A-Za-z0-9_]*")


def _keyword_terminals(grammar: str) -> list[str]:
    """Terminals whose text is a word: `_WHEN: "when"`, `STRING_TEST: "contains" | ...`."""
    return re.findall(r'^([A-Z_]+):\s*"[a-z_]+"', grammar, re.MULTILINE)


def _check_keyword(token: Any) -> Any:
    """A keyword glued to a name (`whenx`) is one identifier, never the
    keyword: where a name cannot occur, the contextual lexer would otherwise
    read `whenx > 1` as `when x > 1`. Recorded here, reported by parse()."""
    text = getattr(_comments, "text", None)
    if text is not None and token.end_pos < len(text) and _IDENTIFIER_CHAR.match(text[token.end_pos]):
        run = (_DURATION_RUN if token.type == "DURATION" else _IDENTIFIER_RUN).match(text, token.start_pos)
        if run is not None:  # always: both runs may be empty
            _comments.glued.setdefault(token.start_pos, (token, run.group()))
    return token


@functools.lru_cache(maxsize=1)
def parser() -> lark.Lark:
    import lark

    grammar = grammar_text()
    callbacks = {name: _check_keyword for name in _keyword_terminals(grammar)}
    callbacks["DURATION"] = _check_keyword  # `7days` is not `7d` followed by `ays`
    callbacks["COMMENT"] = _collect_comment
    return lark.Lark(
        grammar,
        parser="lalr",
        lexer="contextual",
        # Positions are computed by the builder from the kept tokens: Lark's
        # propagate_positions costs ~40% of parse time on a large policy.
        propagate_positions=False,
        keep_all_tokens=True,
        maybe_placeholders=False,
        cache=True,
        lexer_callbacks=callbacks,
    )


def parse(source: Source) -> tuple[lark.Tree[lark.Token], list[lark.Token]]:
    """Parse a source into a lark tree and its comment tokens; raise ParseError."""
    import lark

    text = source.text
    diagnostics: list[Diagnostic] = []
    seen_offsets: set[int] = set()
    glued: dict[int, tuple[Any, str]] = {}
    _comments.glued = glued
    while True:
        _comments.bucket = []
        _comments.text = text
        try:
            tree = parser().parse(text)
            comments = _comments.bucket
            break
        except lark.exceptions.UnexpectedInput as error:
            diagnostic, offset = syntax_errors.describe(error, source, text)
            if offset in seen_offsets:
                break
            seen_offsets.add(offset)
            diagnostics.append(diagnostic)
            if len(diagnostics) >= MAX_SYNTAX_ERRORS:
                break
            blanked = syntax_errors.blank_statement(text, offset)
            if blanked is None or blanked == text:
                break
            text = blanked
        finally:
            _comments.bucket = None
            _comments.text = None
    if glued:
        diagnostics = _with_glued_keywords(source, diagnostics, glued)
    if diagnostics:
        raise ParseError(diagnostics)
    _check_nesting(tree, source)
    return tree, comments


def _with_glued_keywords(
    source: Source, diagnostics: list[Diagnostic], glued: dict[int, tuple[Any, str]]
) -> list[Diagnostic]:
    """Report each keyword glued to a name; drop syntax errors inside those
    words (they only echo the misreading)."""
    found = []
    for offset, (token, word) in sorted(glued.items()):
        keyword = str(token)
        if token.type == "DURATION":
            code = "QE020"
            message = f"bad duration `{word}`"
            help = "a duration is a number and a unit `h`, `d` or `w`: `12h`, `30d`, `1.5d`, `2w`"
        else:
            code = "QE019"
            message = f"unexpected `{word}`"
            help = (
                f"`{word}` is one word, not the keyword `{keyword}`; "
                f"write `{keyword} {word[len(keyword):]}` if that is what you meant"
            )
        found.append(
            Diagnostic.error(
                message, source.path, source.span_at(offset, len(word)), help=help, code=code,
                source_text=source.text,
            )
        )
    inside = [(d.span.start, d.span.end) for d in found]
    kept = [d for d in diagnostics if not any(start <= d.span.start < end for start, end in inside)]
    return sorted(found + kept, key=lambda d: d.span.start)


def _check_nesting(tree: lark.Tree[lark.Token], source: Source) -> None:
    """Refuse absurdly deep expressions without recursing (no RecursionError)."""
    import lark

    stack: list[tuple[Any, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_NESTING:
            from .source import Span

            first = node
            while isinstance(first, lark.Tree) and first.children:
                first = first.children[0]
            span = Span.from_token(first) if isinstance(first, lark.Token) else source.span_at(0, 0)
            raise ParseError(
                [
                    Diagnostic.error(
                        f"expression is nested too deeply (more than {MAX_NESTING} levels)",
                        source.path,
                        span,
                        help="split it into named parts with `let`",
                        code="QE021",
                        source_text=source.text,
                    )
                ]
            )
        for child in node.children:
            if isinstance(child, lark.Tree):
                if child.data == "atom":
                    # `((((x))))` means x: keep the outermost parentheses (for
                    # the parent's span) around the innermost expression, so
                    # redundant parentheses add no depth.
                    while isinstance(child.children[1], lark.Tree) and child.children[1].data == "atom":
                        child.children[1] = child.children[1].children[1]
                    stack.append((child, depth))
                else:
                    stack.append((child, depth + 1))
