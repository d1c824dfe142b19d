"""The printer writes policy syntax that reads back as the same node."""

from __future__ import annotations

from pathlib import Path

import pytest

from qualdsl import nodes as n
from qualdsl.build import parse_module
from qualdsl.diff.syntax import expr_text, statement_text
from qualdsl.source import Source

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _module(text: str) -> n.Module:
    return parse_module(Source(text, "<test>"))


def _statements(module: n.Module) -> list[object]:
    """Every item and every statement inside the items."""
    found: list[object] = []
    for item in module.items:
        found.append(item)
        for attribute in ("statements", "tiers", "routes", "fields"):
            found.extend(getattr(item, attribute, ()))
    return found


@pytest.mark.parametrize("name", ["saas_old.qual", "features.qual", "features_shared.qual", "small_new.qual"])
def test_whole_module_round_trips(name: str) -> None:
    """Printing every item of a policy and parsing it again gives an equal module."""
    module = _module((FIXTURES / name).read_text(encoding="utf-8"))
    printed = "\n\n".join(statement_text(item) for item in module.items)
    assert _module(printed) == module


@pytest.mark.parametrize("name", ["saas_old.qual", "features.qual"])
def test_every_expression_round_trips(name: str) -> None:
    module = _module((FIXTURES / name).read_text(encoding="utf-8"))
    conditions = [
        getattr(s, attribute) for s in _statements(module)
        for attribute in ("condition", "value", "where")
        if isinstance(getattr(s, attribute, None), (n.Compare, n.And, n.Or, n.Not, n.In, n.Between,
                                                     n.StringTest, n.Matches, n.IsMissing, n.Arith,
                                                     n.Call, n.Name, n.Literal))
    ]
    assert len(conditions) > 10
    for condition in conditions:
        reparsed = _module(f"policy p\nlet x = {expr_text(condition)}").first(n.LetDecl)
        assert reparsed.value == condition, expr_text(condition)


@pytest.mark.parametrize(
    "source, printed",
    [
        ("(a or b) and c", "(a or b) and c"),
        ("a or (b or c)", "a or (b or c)"),
        ("not (a and b)", "not (a and b)"),
        ("a - (b - c)", "a - (b - c)"),
        ("(a - b) - c", "a - b - c"),
        ("a * (b + c) > -d", "a * (b + c) > -d"),
        ("x   between 1 and 5", "x between 1 and 5"),
        ("email matches /a\\/b/i", "email matches /a\\/b/i"),
        ("company.`Annual Revenue` >= 1000000", "company.`Annual Revenue` >= 1000000"),
        ("count(events where type == \"x\" within 1.5d) >= 2",
         "count(events where type == \"x\" within 1.5d) >= 2"),
        ("s in [\"a\", \"b\"] and d < 2026-01-31", "s in [\"a\", \"b\"] and d < 2026-01-31"),
        ("t >= 2026-01-31T09:30:00Z", "t >= 2026-01-31T09:30:00Z"),
        ("x == \"quote \\\" and ü\"", "x == \"quote \\\" and ü\""),
        ("n == 2.50", "n == 2.5"),
    ],
)
def test_expressions_print_with_only_needed_parentheses(source: str, printed: str) -> None:
    expr = _module(f"policy p\nlet x = {source}").first(n.LetDecl).value
    assert expr_text(expr) == printed


def test_statements_print_in_contract_style() -> None:
    module = _module((FIXTURES / "saas_old.qual").read_text(encoding="utf-8"))
    texts = [statement_text(s) for s in _statements(module)]
    assert 'rule right_size +20 when company.employees between 200 and 5000' in texts
    assert 'rule webinar +10 per event "webinar_attended" max 2' in texts
    assert 'decay 10% every 7d' in texts
    assert 'require company.employees >= 10 else "company too small"' in texts
    assert 'reject domain(person.email) in free_email as "personal email address"' in texts
    assert 'tier nurture otherwise' in texts
    assert 'to "enterprise-east" when tier == SQL and enterprise and company.region == "east"' in texts
    assert 'company.tech: list[string]' in texts
