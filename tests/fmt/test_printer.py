"""The canonical layout: the contract's example, a messy policy, expressions, literals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import qualdsl
from qualdsl.build import parse_module
from qualdsl.fmt import format_text
from qualdsl.source import Source

from budget import examples

CASES = Path(__file__).parent / "cases"
CONTRACT = (CASES / "contract.qual").read_text(encoding="utf-8")
MESSY = (CASES / "messy.qual").read_text(encoding="utf-8")
AS_OF = "2026-11-01T00:00:00Z"


def module(text: str):
    return parse_module(Source(text))


def test_the_contract_example_is_already_canonical():
    assert format_text(CONTRACT) == CONTRACT


def test_messy_policy_becomes_the_canonical_layout(snapshot):
    assert format_text(MESSY) == snapshot


def test_formatting_keeps_the_meaning_and_is_idempotent():
    formatted = format_text(MESSY)
    assert module(formatted) == module(MESSY)
    assert format_text(formatted) == formatted


def test_formatting_keeps_every_comment_text():
    formatted = format_text(MESSY)
    before = [c.text.rstrip() for c in module(MESSY).comments]
    after = [c.text for c in module(formatted).comments]
    assert after == before  # same comments, same order


@pytest.mark.parametrize("lead_line", (CASES / "messy.leads.jsonl").read_text().splitlines())
def test_formatting_never_changes_a_decision(lead_line):
    lead = json.loads(lead_line)
    original = qualdsl.loads(MESSY).evaluate(lead, as_of=AS_OF).to_dict()
    formatted = qualdsl.loads(format_text(MESSY)).evaluate(lead, as_of=AS_OF).to_dict()
    assert formatted == original


def _policy(*lines: str) -> str:
    return "\n".join(["policy p", "", *lines]) + "\n"


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("(a or b) and c", "(a or b) and c"),
        ("a or (b and c)", "a or b and c"),
        ("a or (b or c)", "a or (b or c)"),
        ("not (a and b)", "not (a and b)"),
        ("not not a", "not not a"),
        ("(not a) and b", "not a and b"),
        ("(x == 1) == y", "(x == 1) == y"),
        ("x - (y - z) > 0", "x - (y - z) > 0"),
        ("(x - y) - z > 0", "x - y - z > 0"),
        ("x / (y * z) > 0", "x / (y * z) > 0"),
        ("(x + y) * z > 0", "(x + y) * z > 0"),
        ("- (x + y) > 0", "-(x + y) > 0"),
        ("- - x > 0", "--x > 0"),
        ("+x > 0", "x > 0"),
        ("x between 1 and 5 and y", "x between 1 and 5 and y"),
        ("x between (1 + 1) and 5", "x between 1 + 1 and 5"),
        ("x not in [\"a\",\"b\",]", 'x not in ["a", "b"]'),
        ("x is present or y is missing", "x is present or y is missing"),
        ("lower(x) starts_with \"a\"", 'lower(x) starts_with "a"'),
    ],
)
def test_parentheses_appear_exactly_where_precedence_needs_them(written, canonical):
    text = _policy(f"let c = {written}")
    from qualdsl.printer import format_module

    formatted = format_module(module(text))
    assert formatted == _policy(f"let c = {canonical}")
    assert module(formatted) == module(text)


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("d > 2026-01-31", "d > 2026-01-31"),
        ("t > 2026-01-31T09:30", "t > 2026-01-31T09:30:00Z"),
        ("t > 2026-01-31T09:30:00+02:00", "t > 2026-01-31T07:30:00Z"),
        ("t > 2026-01-31T09:30:00.250Z", "t > 2026-01-31T09:30:00.25Z"),
        ("x == 2.50", "x == 2.5"),
        ("x == 1.0", "x == 1.0"),
        ("x == 100000000000000000000.0", "x == 100000000000000000000.0"),
        ("x == 0.00001", "x == 0.00001"),
        (r'x == "a\"b\\c\u00e9\n"', r'x == "a\"b\\cé\n"'),
        (r"x matches /a\/b/i", r"x matches /a\/b/i"),
        (r"x matches /a\\\/b/", r"x matches /a\\\/b/"),
        ("a.`b`.`c d` == 1", "a.b.`c d` == 1"),
        ("`x` == 1", "`x` == 1"),
        ("`true`.x == 1", "`true`.x == 1"),
        ("a.true == 1", "a.true == 1"),
        ("count(events within 1.50d) > 0", "count(events within 1.5d) > 0"),
        ("count(events) > 0", "count(events) > 0"),
    ],
)
def test_literals_and_names_keep_their_value(written, canonical):
    from qualdsl.printer import format_module

    text = _policy(f"let c = {written}")
    formatted = format_module(module(text))
    assert formatted == _policy(f"let c = {canonical}")
    assert module(formatted) == module(text)


def test_block_statements_keep_decay_percentages_and_signs():
    from qualdsl.printer import format_module

    text = _policy(
        "score s max 10.5 min -2 { decay 12.50% every 1.5d expire after 2w",
        "rule a 0 when x rule b -0.5 per event \"e\" where kind == \"x\" max 3 }",
        "score h { decay half_life 36h rule c +1 when y }",
    )
    assert format_module(module(text)) == _policy(
        "score s max 10.5 min -2 {",
        "  decay 12.5% every 1.5d",
        "  expire after 2w",
        "  rule a   +0  when x",
        '  rule b -0.5  per event "e" where kind == "x" max 3',
        "}",
        "",
        "score h {",
        "  decay half_life 36h",
        "  rule c   +1  when y",
        "}",
    )


def test_empty_blocks_and_a_fragment_without_policy_line():
    from qualdsl.printer import format_module

    fragment = 'set a=[ ]\nlet b = a   \ninclude "x.qual"\nschema { }\n'
    assert format_module(module(fragment)) == (
        "set a = []\n\nlet b = a\n\ninclude \"x.qual\"\n\nschema {}\n"
    )
    assert format_module(module("")) == ""
    assert format_module(module("# only a comment\n")) == "# only a comment\n"


def test_a_comment_above_a_set_starts_a_new_group():
    from qualdsl.printer import format_module

    text = 'set a = [1]\nset bb = [2]\n# regions\nset ccc = [3]\nset d = [4]\n'
    assert format_module(module(text)) == (
        "set a  = [1]\nset bb = [2]\n\n# regions\nset ccc = [3]\nset d   = [4]\n"
    )


def test_a_long_set_is_written_one_item_per_line():
    from qualdsl.printer import format_module

    items = ", ".join(f'"domain-number-{i}.example"' for i in range(6))
    formatted = format_module(module(f"set big = [{items}]\n"))
    assert formatted.splitlines()[0] == "set big = ["
    assert formatted.splitlines()[1] == '  "domain-number-0.example",'
    assert formatted.endswith("]\n")
    assert module(formatted) == module(f"set big = [{items}]\n")


def test_a_comment_inside_a_long_let_moves_above_it():
    from qualdsl.printer import format_module

    text = "let x = a and  # why a\n  b  # why b\n"
    assert format_module(module(text)) == "# why a\nlet x = a and b  # why b\n"


# ------------------------------------------------- canonical: whitespace-free


def _comment_free(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


@settings(max_examples=examples(25), deadline=None)
@given(st.data())
def test_output_does_not_depend_on_the_original_whitespace(data):
    base = _comment_free(CONTRACT)
    expected = format_text(base)
    # Re-space the token stream at random: every gap gets some whitespace.
    tokens = parse_tokens(base)
    gaps = data.draw(
        st.lists(st.sampled_from([" ", "  ", "\n", "\t", " \n   "]), min_size=len(tokens), max_size=len(tokens))
    )
    respaced = "".join(token + gap for token, gap in zip(tokens, gaps))
    assert format_text(respaced) == expected


def parse_tokens(text: str) -> list[str]:
    from qualdsl.parse import parser

    return [str(t) for t in parser().lex(text) if t.type not in ("WHITESPACE", "COMMENT")]


def test_the_layout_example_in_the_docs_is_canonical():
    import re

    doc = (Path(__file__).resolve().parents[2] / "docs" / "formatting.md").read_text(encoding="utf-8")
    block = re.search(r"```qualdsl\n(.*?)```", doc, re.S).group(1)
    from qualdsl.printer import format_module

    assert format_module(module(block)) == block
