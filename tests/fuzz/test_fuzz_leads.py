"""Hostile leads against every bundled policy: evaluate always returns a
Decision whose JSON parses strictly, evaluate_many agrees, and it is the
same twice."""

from __future__ import annotations

from pathlib import Path

import pytest
from fuzz_budget import fuzz_settings, no_hang
from fuzz_properties import check_lead, schema_fields
from hypothesis import given

import qualdsl

import fuzz_strategies as fs

pytestmark = pytest.mark.fuzz

BUNDLED = [path for path, text in fs.BUNDLED if path.parent == fs.POLICIES]
_LOADED: dict[Path, qualdsl.Policy] = {}


@pytest.mark.parametrize("path", BUNDLED, ids=[path.stem for path in BUNDLED])
@fuzz_settings()
@given(data=fs.st.data())
def test_hostile_leads(path: Path, data: fs.st.DataObject) -> None:
    policy = _LOADED.get(path) or _LOADED.setdefault(path, qualdsl.load(path))
    lead = data.draw(fs.leads(schema_fields(policy)), label="lead")
    as_of = data.draw(fs.as_of_moments, label="as_of")
    with no_hang():
        check_lead(policy, lead, as_of)
