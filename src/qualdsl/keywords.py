"""The words of the policy language, grouped by what they do.

This is the one list of keywords outside the grammar: the lexer
(`highlight.py`) and the formatter (`printer.py`) read it, and a test checks it
against the grammar's keyword terminals (`grammar_keywords`), so the grammar
cannot gain a keyword that the highlighter does not know.
"""

from __future__ import annotations

import re

from .functions import FUNCTIONS as _BUILTINS

# Words that open a top-level item.
DECLARATIONS: tuple[str, ...] = (
    "policy", "include", "schema", "set", "let", "icp", "score", "tiers", "route",
)

# Words that make up statements inside blocks.
STATEMENTS: tuple[str, ...] = (
    "require", "else", "reject", "as",
    "max", "min", "decay", "every", "half_life", "expire", "after",
    "rule", "when", "per", "event", "where", "within",
    "tier", "to", "otherwise",
)

# Operators written as words.
WORD_OPERATORS: tuple[str, ...] = (
    "or", "and", "not", "in", "between", "matches", "is", "missing", "present",
    "contains", "starts_with", "ends_with",
)

CONSTANTS: tuple[str, ...] = ("true", "false")

# `count(events where ... within ...)`: the lead's events, as a query.
QUERIES: tuple[str, ...] = ("events",)

KEYWORDS: frozenset[str] = frozenset(
    DECLARATIONS + STATEMENTS + WORD_OPERATORS + CONSTANTS + QUERIES
)

# Not keywords of the grammar (they are NAME tokens), but words with a fixed
# meaning that the highlighter shows as such.
SCHEMA_TYPES: tuple[str, ...] = (
    "string", "int", "number", "bool", "date", "datetime", "list", "events",
)
# The built-in functions' names, from their one table (functions.py).
FUNCTIONS: tuple[str, ...] = tuple(_BUILTINS)
# Bare words that read a decision's outcome inside `tiers` and `route`.
OUTCOMES: tuple[str, ...] = ("score", "icp", "tier")

# Words the parser reads as keywords where an operand is expected, so a field
# path must put them in backticks when they are its first segment.
OPERAND_KEYWORDS: frozenset[str] = frozenset({"not", "true", "false", "events"})

_KEYWORD_TERMINAL = re.compile(r'^\s*_[A-Z_]+\s*:\s*"([a-z_]+)"\s*$', re.MULTILINE)
_STRING_TEST = re.compile(r"^\s*STRING_TEST\s*:(.*)$", re.MULTILINE)


def grammar_keywords(grammar: str) -> frozenset[str]:
    """The keywords a Lark grammar defines: `_NAME: "word"` lines and STRING_TEST."""
    words = set(_KEYWORD_TERMINAL.findall(grammar))
    for alternatives in _STRING_TEST.findall(grammar):
        words.update(re.findall(r'"([a-z_]+)"', alternatives))
    return frozenset(words)
