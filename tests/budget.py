"""How hard the test suite tries: a quick default for the edit-test loop,
a thorough profile for CI.

`QUALDSL_TEST_PROFILE=ci` (the default when `CI` is set, as on the CI
machine) runs every property test with its full number of examples;
`dev` (the default elsewhere) runs fewer: `examples(full)` gives a tenth,
at least 20, and a test whose examples are expensive (one DuckDB query
plan each, a real file tree) names its own quick count,
`examples(full, quick=n)`. Hypothesis tests that set no count follow the
profile of the same name (tests/conftest.py registers both).

Tests marked `slow` (real servers, a browser, a wheel build, inputs whose
size is the point) do not run in the quick default (pyproject's
`-m "not slow"`); `make test` passes `-m ""` and runs them, as CI does.
"""

from __future__ import annotations

import os

PROFILE = os.environ.get("QUALDSL_TEST_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
THOROUGH = PROFILE == "ci"

# Examples of a property test that sets no count of its own.
DEFAULT_FULL = 100
DEFAULT_QUICK = 20


def examples(full: int, quick: int | None = None) -> int:
    """The number of examples a property test runs under this profile: `full`
    in ci; in dev `quick` (default a tenth of `full`, at least 20), never more
    than `full`."""
    if THOROUGH:
        return full
    return min(full, quick if quick is not None else max(DEFAULT_QUICK, full // 10))
