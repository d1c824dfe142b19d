"""Every rule is complete: module named after it, documented, with a fixture,
a snapshot, and a current entry in docs/lint-rules.md."""

from __future__ import annotations

import inspect
import re

import pytest

from qualdsl.lint.docs import rules_markdown
from qualdsl.lint.registry import DOC_SECTIONS, RULES, get_rule, load_rules

from .helpers import FIXTURES, HERE, ROOT, expected

load_rules()
CODES = sorted(RULES)


def test_rules_are_registered() -> None:
    assert len(CODES) >= 16
    assert all(re.fullmatch(r"QD1\d\d", code) for code in CODES)
    names = [RULES[code].name for code in CODES]
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("code", CODES)
def test_rule_module_is_named_after_the_rule(code: str) -> None:
    rule = RULES[code]
    module = inspect.getmodule(rule.check)
    assert module is not None
    assert module.__name__.rsplit(".", 1)[1] == f"{code.lower()}_{rule.name.replace('-', '_')}"


@pytest.mark.parametrize("code", CODES)
def test_rule_doc_has_every_section(code: str) -> None:
    doc = RULES[code].doc
    headings = re.findall(r"^## (.+)$", doc, re.MULTILINE)
    assert headings == list(DOC_SECTIONS)
    assert doc.splitlines()[0].endswith("."), "the first line is a one-sentence summary"
    assert doc.count("```") >= 4, "an example and what to write instead"


@pytest.mark.parametrize("code", CODES)
def test_rule_has_a_fixture_that_triggers_it(code: str) -> None:
    rule = RULES[code]
    fixture = FIXTURES / f"{code.lower()}_{rule.name.replace('-', '_')}.qual"
    assert fixture.is_file(), f"missing fixture {fixture.name}"
    assert any(c == code for _, c in expected(fixture)), f"{fixture.name} marks no `# expect: {code}`"


@pytest.mark.parametrize("code", CODES)
def test_rule_has_a_snapshot(code: str) -> None:
    rule = RULES[code]
    snapshots = (HERE / "__snapshots__" / "test_lint_rules.ambr").read_text(encoding="utf-8")
    stem = f"{code.lower()}_{rule.name.replace('-', '_')}"
    assert f"# name: test_rendered_findings[{stem}]" in snapshots
    assert f"[{code}]" in snapshots


def test_docs_page_is_current() -> None:
    page = (ROOT / "docs" / "lint-rules.md").read_text(encoding="utf-8")
    assert page == rules_markdown(), "regenerate: python -m qualdsl.lint.docs > docs/lint-rules.md"


def test_rules_are_found_by_code_or_name() -> None:
    assert get_rule("qd101") is RULES["QD101"]
    assert get_rule("unreachable-tier") is RULES["QD101"]
    assert get_rule("QD000") is not None and get_rule("QD000").name == "compile-error"
    assert get_rule("QD999") is None
