"""Shared test fixtures. Tests never read the clock or ../shared."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
POLICIES = ROOT / "policies"
AS_OF = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


@pytest.fixture
def root() -> Path:
    return ROOT


@pytest.fixture
def policies_dir() -> Path:
    return POLICIES


@pytest.fixture
def as_of() -> dt.datetime:
    return AS_OF
