"""Shared test fixtures. Tests never read the clock or ../shared."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import settings

import budget

ROOT = Path(__file__).resolve().parents[1]
POLICIES = ROOT / "policies"
AS_OF = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)

# The profiles of budget.py, for property tests that set no count of their own.
# No deadline in either: timing on a shared 2-core machine is noise.
settings.register_profile("ci", max_examples=budget.DEFAULT_FULL, deadline=None, print_blob=True)
settings.register_profile("dev", max_examples=budget.examples(budget.DEFAULT_FULL), deadline=None)
settings.load_profile(budget.PROFILE)

SLOW = budget.measured_slow()


@pytest.hookimpl(tryfirst=True)  # before pytest's own -m deselection reads the marks
def pytest_configure(config: pytest.Config) -> None:
    # Under a marker expression (the quick default deselects `slow`), the
    # snapshots of deselected tests look unused to syrupy, which then fails a
    # run where every test passed. `make test` (-m "") keeps the check strict.
    if config.getoption("markexpr", ""):
        config.option.warn_unused_snapshots = True


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark `slow` every test tests/slow_tests.txt lists (budget.py)."""
    for item in items:
        if item.nodeid in SLOW:
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def root() -> Path:
    return ROOT


@pytest.fixture
def policies_dir() -> Path:
    return POLICIES


@pytest.fixture
def as_of() -> dt.datetime:
    return AS_OF
