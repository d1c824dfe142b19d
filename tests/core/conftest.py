"""The conformance harness: tests that use the `backend` fixture (or
parametrize over `qd_helpers.BACKENDS`) run once per backend."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import qd_helpers


@pytest.fixture(params=qd_helpers.BACKENDS)
def backend(request: pytest.FixtureRequest) -> Iterator[str]:
    """Runs the test on one backend: `qd_helpers.compiled()` builds that
    backend's evaluator while it runs."""
    qd_helpers.BACKEND = request.param
    yield request.param
    qd_helpers.BACKEND = "python"
