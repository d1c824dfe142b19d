"""Fuzz tests (every module here sets `pytestmark = pytest.mark.fuzz`):
`-m fuzz` selects them and makes them long (see fuzz_budget.py)."""

from __future__ import annotations

import fuzz_budget
import pytest


def pytest_configure(config: pytest.Config) -> None:
    if "fuzz" in (config.getoption("markexpr", "") or ""):
        fuzz_budget.long_run = True
