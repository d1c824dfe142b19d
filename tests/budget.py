"""How hard the property tests try: a quick default for the edit-test loop,
a thorough profile for CI.

`QUALDSL_TEST_PROFILE=ci` (the default when `CI` is set, as on the CI
machine) runs every property test with its full number of examples;
`dev` (the default elsewhere) runs a tenth of them, at least 20, so the
whole suite stays under a minute on a 2-core machine.
"""

from __future__ import annotations

import os

PROFILE = os.environ.get("QUALDSL_TEST_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
THOROUGH = PROFILE == "ci"


def examples(full: int) -> int:
    """The number of examples a property test runs under this profile."""
    return full if THOROUGH else max(20, full // 10)
