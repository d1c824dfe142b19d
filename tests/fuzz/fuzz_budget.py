"""How hard the fuzz tests try: small in the normal suite, long on demand.

`QUALDSL_FUZZ_EXAMPLES=N` sets the examples per property; `-m fuzz` (see
conftest.py) switches to LONG_EXAMPLES. Every example also runs under a
wall-clock guard, so a hang fails with the input instead of stalling CI.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterator
from typing import Any

from hypothesis import HealthCheck, settings

SMALL_EXAMPLES = 12
LONG_EXAMPLES = 1500
EXAMPLE_SECONDS = 20.0  # a generous bound for one example on a loaded 2-core machine

long_run = False  # set by conftest.py when the run selects `-m fuzz`


def examples(weight: float = 1.0) -> int:
    """Examples for one property; `weight` scales the slow ones down."""
    configured = os.environ.get("QUALDSL_FUZZ_EXAMPLES")
    base = int(configured) if configured else (LONG_EXAMPLES if long_run else SMALL_EXAMPLES)
    return max(1, int(base * weight))


def fuzz_settings(weight: float = 1.0) -> Any:
    # No hypothesis deadline (timing on a shared machine is noise); `no_hang`
    # bounds each example instead. No database: a fuzz failure is reported
    # with its reproducer, and the suite stays read-only.
    return settings(
        max_examples=examples(weight),
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                               HealthCheck.filter_too_much, HealthCheck.large_base_example],
    )


class Hang(Exception):
    """One example ran longer than EXAMPLE_SECONDS."""


@contextlib.contextmanager
def no_hang(seconds: float = EXAMPLE_SECONDS) -> Iterator[None]:
    """Fail with Hang if the body runs longer than `seconds` (main thread only)."""

    def expire(signum: int, frame: Any) -> None:
        raise Hang(f"no result after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
