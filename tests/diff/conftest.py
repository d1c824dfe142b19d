"""Fixtures for the diff tests: policies and leads under tests/diff/fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

import qualdsl
from qualdsl.diff.semantic import diff_policies

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture
def diff_texts():
    """diff(old_text, new_text) -> changes, both compiled from strings."""

    def run(old: str, new: str):
        return diff_policies(qualdsl.loads(old).checked, qualdsl.loads(new).checked)

    return run
