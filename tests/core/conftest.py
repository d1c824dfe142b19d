"""The conformance harness: tests that use the `backend` fixture (or
parametrize over `qd_helpers.BACKENDS`) run once per backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import qd_helpers

HERE = Path(__file__).parent


@pytest.fixture(params=qd_helpers.CONFORMANCE_BACKENDS)
def backend(request: pytest.FixtureRequest) -> Iterator[str]:
    """Runs the test on one backend: `qd_helpers.compiled()` builds that
    backend's evaluator while it runs."""
    qd_helpers.BACKEND = request.param
    yield request.param
    qd_helpers.BACKEND = "python"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """By default a non-Python backend runs a representative subset of the
    conformance tests: the first case of each test function (every function,
    so every rule of the contract, is exercised). CI=true, or
    QUALDSL_TEST_BACKENDS, runs every case."""
    seen: set[tuple[str, str]] = set()
    kept, dropped = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        backend = callspec.params.get("backend") if callspec is not None else None
        if backend is None or backend in qd_helpers.EVERY_CASE_BACKENDS or item.path.parent != HERE:
            kept.append(item)
            continue
        owner = item.cls.__name__ if getattr(item, "cls", None) else ""
        function = (backend, f"{item.path}::{owner}::{getattr(item, 'originalname', item.name)}")
        if function in seen:
            dropped.append(item)
        else:
            seen.add(function)
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
