"""Colour on the terminal: diagnostics show highlighted policy lines; explain colours outcomes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import qualdsl
from qualdsl.cli import source_highlighter
from qualdsl.errors import QualError
from qualdsl.explain import explain
from qualdsl.render import render_all_text

ANSI = re.compile(r"\x1b\[[0-9;]*m")
POLICY = (Path(__file__).resolve().parents[1] / "fmt" / "cases" / "contract.qual").read_text(
    encoding="utf-8"
)
LEAD = {
    "id": "L-1",
    "company": {"country": "US", "employees": 1500, "industry": "software", "region": "east"},
    "person": {"email": "a@acme.com", "seniority": "vp", "title": "VP"},
    "events": [{"type": "demo_request", "at": "2026-10-30T00:00:00Z"}],
}


def test_the_cli_finds_the_highlighter():
    from qualdsl.highlight import highlight_line

    assert source_highlighter() is highlight_line


def test_a_diagnostic_shows_the_policy_line_highlighted_only_in_colour():
    with pytest.raises(QualError) as caught:
        qualdsl.loads('policy p\nschema { t: string }\nlet a = t contains "x" and nope > 1\n')
    coloured = render_all_text(caught.value.diagnostics, color=True, highlight=source_highlighter())
    plain = render_all_text(caught.value.diagnostics, color=False, highlight=source_highlighter())
    source_line = next(line for line in coloured.splitlines() if line.startswith("3 | "))
    assert "\x1b[" in source_line  # the policy text itself is coloured, not just the label
    assert ANSI.sub("", source_line) == '3 | let a = t contains "x" and nope > 1'
    assert "\x1b[" not in plain


def test_explain_in_colour_is_the_plain_text_plus_styles():
    policy = qualdsl.loads(POLICY)
    decision = policy.evaluate(LEAD, as_of="2026-11-01")
    plain = explain(decision, policy)
    coloured = explain(decision, policy, color=True)
    assert "\x1b[" not in plain
    assert "\x1b[32mpass\x1b[0m" in coloured
    assert ANSI.sub("", coloured) == plain
