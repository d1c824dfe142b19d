"""The Pygments lexer: keywords from one list, round trips, contextual words, snapshots."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pygments.lexers import get_lexer_by_name, get_lexer_for_filename
from pygments.token import Comment, Error, Keyword, Literal, Name, Number, Operator, String

from qualdsl import keywords
from qualdsl.functions import FUNCTIONS
from qualdsl.highlight import QualdslLexer, highlight_line
from qualdsl.parse import grammar_text
from qualdsl.schema import FIELD_TYPES

ROOT = Path(__file__).resolve().parents[2]
POLICY_FILES = sorted((ROOT / "policies").rglob("*.qual"))
FMT_CASES = sorted((ROOT / "tests" / "fmt" / "cases").glob("*.qual"))


def tokens(text: str) -> list[tuple[object, str]]:
    lexer = QualdslLexer(stripnl=False, ensurenl=False)
    return [(t, v) for t, v in lexer.get_tokens(text) if v.strip()]


def kind(text: str, word: str, occurrence: int = 0) -> object:
    found = [t for t, v in tokens(text) if v == word]
    return found[occurrence]


# ------------------------------------------------------- one keyword list


def test_keywords_match_the_grammar_exactly():
    assert keywords.grammar_keywords(grammar_text()) == keywords.KEYWORDS


def test_a_new_grammar_keyword_is_noticed():
    grammar = grammar_text() + '\n_UNLESS: "unless"\n'
    assert "unless" in keywords.grammar_keywords(grammar) - keywords.KEYWORDS


def test_functions_and_types_match_the_checker():
    assert set(keywords.FUNCTIONS) == set(FUNCTIONS)
    assert {t.split("[")[0] for t in FIELD_TYPES} | {"string", "number"} == set(keywords.SCHEMA_TYPES)


# ------------------------------------------------------------ registration


def test_found_by_name_and_by_file_name():
    assert isinstance(get_lexer_by_name("qualdsl"), QualdslLexer)
    assert isinstance(get_lexer_for_filename("inbound.qual"), QualdslLexer)


# ------------------------------------------------------------ every policy


ALL = POLICY_FILES + FMT_CASES


@pytest.mark.parametrize("path", ALL, ids=lambda p: str(p.relative_to(ROOT)))
def test_tokens_join_back_to_the_input_without_errors(path: Path):
    text = path.read_text(encoding="utf-8")
    lexed = list(QualdslLexer(stripnl=False, ensurenl=False).get_tokens(text))
    assert "".join(v for _, v in lexed) == text
    assert [v for t, v in lexed if t in Error] == []


@pytest.mark.parametrize("path", POLICY_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_token_snapshot(path: Path, snapshot):
    lines = [f"{str(t).removeprefix('Token.'):<24} {v!r}" for t, v in tokens(path.read_text(encoding="utf-8"))]
    assert "\n".join(lines) == snapshot


# ----------------------------------------------------------- token kinds


def test_each_kind_of_word_gets_its_conventional_type():
    text = (
        'policy p "t"\nschema { company.`Annual Revenue`: number events: events }\n'
        'set s = ["a"]\nlet l = 1\n'
        "score fit max 10 { decay 10% every 1.5d rule r +2.5 when company.`Annual Revenue` > 2 "
        'and d > 2026-01-31 and t < 2026-01-31T09:30:00Z and x matches /a\\/b/i and x in s and l }\n'
        "tiers { tier A when fit > 1 and score > 2 tier B otherwise }  # done\n"
        'route { to "q" when tier == A }\n'
    )
    assert kind(text, "policy") is Keyword.Declaration
    assert kind(text, "p") is Name.Namespace
    assert kind(text, "`Annual Revenue`", 1) is Name.Variable
    assert kind(text, "number") is Keyword.Type
    assert kind(text, "s", 1) is Name.Constant  # a set, where it is used
    assert kind(text, "l", 1) is Name.Constant  # a let, where it is used
    assert kind(text, "fit") is Name.Class
    assert kind(text, "fit", 1) is Name.Class  # the block, read in tiers
    assert kind(text, "10%") is Number.Percent
    assert kind(text, "1.5d") is Number.Duration
    assert kind(text, "r") is Name.Function
    assert kind(text, "+2.5") in Number
    assert kind(text, "2026-01-31") is Literal.Date
    assert kind(text, "2026-01-31T09:30:00Z") is Literal.Date
    assert kind(text, "/a\\/b/i") is String.Regex
    assert kind(text, "matches") is Operator.Word
    assert kind(text, "and") is Operator.Word
    assert kind(text, "A") is Name.Label
    assert kind(text, "A", 1) is Name.Label  # the tier, read in route
    assert kind(text, "score", 1) is Name.Builtin.Pseudo
    assert kind(text, "tier", 2) is Name.Builtin.Pseudo
    assert kind(text, "# done") is Comment.Single
    assert kind(text, '"q"') is String.Double


@pytest.mark.parametrize(
    ("text", "word", "occurrence", "expected"),
    [
        ("let a = rule.x > 1", "rule", 0, Name.Variable),
        ("let a = score > 1 and max == 2", "max", 0, Name.Variable),
        ("let a = tier == 1", "tier", 0, Name.Variable),
        ("let a = type == \"x\" and events.n > 1", "type", 0, Name.Variable),
        ("let a = count(events where type == \"x\") > 1", "events", 0, Keyword.Pseudo),
        ("let a = count(events where type == \"x\") > 1", "count", 0, Name.Builtin),
        ("let a = x.and == 1", "and", 0, Name.Variable),
        ("let a = x not in [1]", "in", 0, Operator.Word),
        ("score rule { rule rule +1 when rule }", "rule", 1, Keyword),
        ("score rule { rule rule +1 when rule }", "rule", 2, Name.Function),
        ("score rule { rule rule +1 when rule }", "rule", 3, Name.Variable),
    ],
)
def test_contextual_keywords_are_names_where_a_value_goes(text, word, occurrence, expected):
    assert kind(text, word, occurrence) is expected


def test_highlight_line_colours_and_keeps_the_text():
    line = '  rule demo +40 per event "demo_request"  # note'
    coloured = highlight_line(line)
    assert "\x1b[" in coloured
    assert not coloured.endswith("\n")
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == line
