"""Property: a policy diffed against a reformatted copy of itself has no change.

Hypothesis rewrites the whitespace between tokens (extra spaces, tabs, line
breaks, blank lines) and inserts comments; strings, backticked names, regexes
and comments themselves are left alone, since there whitespace is meaning.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import qualdsl
from qualdsl.build import parse_module
from qualdsl.diff.semantic import diff_policies
from qualdsl.diff.syntax import statement_text
from qualdsl.source import Source

from budget import examples

FIXTURES = Path(__file__).resolve().parent / "fixtures"
POLICIES = ["saas_old.qual", "saas_new.qual", "features.qual", "small_old.qual"]
LAYOUTS = [" ", "   ", "\t", "\n", "\n\n", "\n\n\n    ", "  # reviewer note\n",
           "\n# a whole comment line\n\n", " \t # tab, then a comment \"with quotes\"\n  "]


def whitespace_gaps(text: str) -> list[tuple[int, int, bool]]:
    """(start, end, follows_a_comment) of each whitespace run between tokens."""
    gaps: list[tuple[int, int, bool]] = []
    i, after_comment = 0, False
    while i < len(text):
        c = text[i]
        if c in " \t\r\n":
            j = i
            while j < len(text) and text[j] in " \t\r\n":
                j += 1
            gaps.append((i, j, after_comment))
            i, after_comment = j, False
            continue
        after_comment = False
        if c == '"':
            i += 1
            while text[i] != '"':
                i += 2 if text[i] == "\\" else 1
        elif c == "`":
            i = text.index("`", i + 1)
        elif c == "#":
            i = text.index("\n", i) - 1
            after_comment = True
        elif c == "/" and text[:i].rstrip().endswith("matches"):
            i += 1
            while text[i] != "/":
                i += 2 if text[i] == "\\" else 1
        i += 1
    return gaps


def reformat(text: str, layout: dict[int, str]) -> str:
    gaps = whitespace_gaps(text)
    pieces, last = [], 0
    for index, (start, end, follows_comment) in enumerate(gaps):
        if index not in layout:
            continue
        # A comment runs to the end of its line: keep that line break.
        replacement = ("\n" if follows_comment else "") + layout[index]
        pieces += [text[last:start], replacement]
        last = end
    pieces.append(text[last:])
    return "".join(pieces)


def test_gap_scanner_skips_strings_names_regexes_and_comments() -> None:
    text = 'let x = a matches /a b/ and `A b` == "c d" # e f\nlet y = 1'
    assert [text[s:e] for s, e, _ in whitespace_gaps(text)] == [" "] * 10 + ["\n"] + [" "] * 3
    assert whitespace_gaps(text)[10][2] is True  # the line break after the comment


def test_reformatting_changes_the_text_but_not_the_meaning() -> None:
    text = (FIXTURES / "features.qual").read_text(encoding="utf-8")
    noisy = reformat(text, {i: "\n\n  # note\n" for i in range(0, 200, 3)})
    assert noisy != text and noisy.count("# note") > 50
    path = FIXTURES / "features.qual"
    assert diff_policies(qualdsl.loads(text, path=path).checked,
                         qualdsl.loads(noisy, path=path).checked) == ()


@pytest.mark.parametrize("name", POLICIES)
@settings(max_examples=examples(30), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_reformatted_copy_has_no_semantic_change(name: str, data: st.DataObject) -> None:
    path = FIXTURES / name
    text = path.read_text(encoding="utf-8")
    count = len(whitespace_gaps(text))
    layout = data.draw(st.dictionaries(st.integers(0, count - 1), st.sampled_from(LAYOUTS), max_size=40))
    original = qualdsl.loads(text, path=path).checked
    copy = qualdsl.loads(reformat(text, layout), path=path).checked
    assert diff_policies(original, copy) == ()


@pytest.mark.parametrize("name", POLICIES)
def test_canonical_reprint_has_no_semantic_change(name: str) -> None:
    """The policy printed back item by item (the diff's own syntax) means the same."""
    path = FIXTURES / name
    text = path.read_text(encoding="utf-8")
    printed = "\n\n".join(statement_text(item) for item in parse_module(Source(text, str(path))).items)
    assert printed != text
    assert diff_policies(qualdsl.loads(text, path=path).checked,
                         qualdsl.loads(printed, path=path).checked) == ()
