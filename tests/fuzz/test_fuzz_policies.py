"""Generated and mutated policy text: a QualError (whose diagnostics render)
or a Policy that lint, fmt and evaluation handle; never another exception,
never a hang."""

from __future__ import annotations

from pathlib import Path

import pytest
from fuzz_budget import fuzz_settings, no_hang
from fuzz_properties import check_lead, check_policy_text, schema_fields
from hypothesis import given

import fuzz_strategies as fs

pytestmark = pytest.mark.fuzz


@fuzz_settings()
@given(text=fs.policies(), data=fs.st.data())
def test_generated_policies(text: str, data: fs.st.DataObject) -> None:
    with no_hang():
        policy = check_policy_text(text, path=fs.POLICIES / "generated.qual")
        if policy is not None:
            for _ in range(2):
                check_lead(policy, data.draw(fs.leads(schema_fields(policy))), data.draw(fs.as_of_moments))


@fuzz_settings()
@given(mutated=fs.mutated_policies())
def test_mutated_policies(mutated: tuple[Path, str]) -> None:
    path, text = mutated
    with no_hang():
        check_policy_text(text, path=path)


@fuzz_settings(weight=0.5)
@given(mutated=fs.mutated_bytes())
def test_mutated_policy_bytes(mutated: tuple[Path, bytes]) -> None:
    path, data = mutated
    with no_hang():
        check_policy_text(data, path=path)
