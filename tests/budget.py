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
Besides those marked by hand, every test listed in tests/slow_tests.txt is
marked `slow` at collection (conftest.py): the tests that took half a second or
more in a measured run of the whole suite, so the quick default stays a
quick edit-test loop however the suite grows. Regenerate the list with
`python tests/budget.py` (it runs the whole suite once, `-m ""`, and keeps
every test whose setup, call and teardown took `SLOW_SECONDS` or more).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import NoReturn

PROFILE = os.environ.get("QUALDSL_TEST_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
THOROUGH = PROFILE == "ci"
# On the CI machine (.ci/run sets CI=true) `make test` installs every tool a
# `missing_tool` test needs, so a missing one there is a broken install.
IN_CI = os.environ.get("CI", "").lower() == "true"

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


def missing_tool(reason: str) -> NoReturn:
    """Skip the calling test for want of a tool, or fail it under CI=true: a
    test CI must run never turns into a skip there that nobody reads."""
    import pytest

    if IN_CI:
        pytest.fail(f"{reason} (CI=true: `make test` installs it, so CI must run this test)", pytrace=False)
    pytest.skip(reason)


SLOW_LIST = Path(__file__).resolve().with_name("slow_tests.txt")
SLOW_SECONDS = 0.5


def measured_slow() -> frozenset[str]:
    """The node ids tests/slow_tests.txt lists (comments and blanks skipped)."""
    lines = SLOW_LIST.read_text(encoding="utf-8").splitlines() if SLOW_LIST.is_file() else []
    return frozenset(line for line in lines if line.strip() and not line.startswith("#"))


_DURATION = re.compile(r"^([0-9.]+)s (?:call|setup|teardown)\s+(.+?)\s*$")


def slow_from_durations(report: str, seconds: float = SLOW_SECONDS) -> list[str]:
    """The node ids whose setup + call + teardown in pytest's `--durations=0`
    report add up to `seconds` or more, sorted."""
    total: dict[str, float] = {}
    for line in report.splitlines():
        match = _DURATION.match(line)
        if match:
            total[match.group(2)] = total.get(match.group(2), 0.0) + float(match.group(1))
    return sorted(node for node, spent in total.items() if spent >= seconds)


def main() -> None:
    """Run the whole suite once and rewrite tests/slow_tests.txt."""
    root = SLOW_LIST.parents[1]
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-m", "", "-p", "no:cacheprovider",
                          "--durations=0", f"--durations-min={SLOW_SECONDS / 3}"],
                         cwd=root, capture_output=True, text=True, check=False)
    if run.returncode != 0:
        sys.exit(f"the suite failed; slow_tests.txt left as it was\n{run.stdout[-3000:]}")
    slow = slow_from_durations(run.stdout)
    header = (f"# Tests that took {SLOW_SECONDS:g} s or more (setup + call + teardown) in a measured run of the\n"
              "# whole suite: marked `slow` at collection (tests/conftest.py), so the quick default\n"
              "# `pytest` skips them and `make test` (`-m \"\"`, CI) runs them. Regenerate: python tests/budget.py\n")
    SLOW_LIST.write_text(header + "".join(f"{node}\n" for node in slow), encoding="utf-8")
    print(f"{len(slow)} slow tests written to {SLOW_LIST}")


if __name__ == "__main__":
    main()
