"""Hostile leads against every bundled policy: evaluate always returns a
Decision whose JSON parses strictly, evaluate_many agrees, and it is the
same twice."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given

import qualdsl

import fuzz_strategies as fs
from fuzz_budget import fuzz_settings, no_hang
from fuzz_properties import check_lead, schema_fields

pytestmark = pytest.mark.fuzz

BUNDLED = [path for path, text in fs.BUNDLED if path.parent == fs.POLICIES]


@pytest.mark.parametrize("path", BUNDLED, ids=[path.stem for path in BUNDLED])
def test_hostile_leads(path: Any) -> None:
    policy = qualdsl.load(path)

    @fuzz_settings()
    @given(lead=fs.leads(schema_fields(policy)), as_of=fs.as_of_moments)
    def run(lead: Any, as_of: Any) -> None:
        with no_hang():
            check_lead(policy, lead, as_of)

    run()
