"""docs/sql.md's Python examples run and their assertions hold."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BLOCKS = re.findall(r"```python\n(.*?)```", (ROOT / "docs" / "sql.md").read_text(encoding="utf-8"), re.DOTALL)


@pytest.mark.parametrize("block", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_example_runs(block, monkeypatch):
    monkeypatch.chdir(ROOT)
    exec(compile(block, "docs/sql.md", "exec"), {"__name__": "docs"})  # noqa: S102 (the doc's own code)


def test_there_are_examples():
    assert len(BLOCKS) >= 2 and os.path.exists(ROOT / "docs" / "sql.md")
