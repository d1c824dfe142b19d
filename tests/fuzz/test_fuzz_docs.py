"""docs/fuzzing.md: its Python example runs, and the budgets it states are
the ones the fuzz tests use."""

from __future__ import annotations

import re
from pathlib import Path

import fuzz_budget
import pytest
import test_fuzz_cli

pytestmark = pytest.mark.fuzz

DOC = (Path(__file__).resolve().parents[2] / "docs" / "fuzzing.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("block", re.findall(r"```python\n(.*?)```", DOC, re.DOTALL))
def test_python_examples_run(block: str) -> None:
    exec(compile(block, "docs/fuzzing.md", "exec"), {})  # noqa: S102 - our own doc's example


def test_stated_budgets_are_the_real_ones() -> None:
    assert f"{fuzz_budget.SMALL_EXAMPLES} examples per property" in DOC
    assert f"{fuzz_budget.LONG_EXAMPLES:,} examples per property" in DOC
    assert f"more than {fuzz_budget.EXAMPLE_SECONDS:g} s" in DOC
    assert f"a {test_fuzz_cli.SECONDS} s timeout" in DOC
    assert f"a {test_fuzz_cli.MEMORY // 1024**3} GB address-space limit" in DOC
    assert "QUALDSL_FUZZ_EXAMPLES" in DOC and "`pytest -m fuzz`" in DOC
