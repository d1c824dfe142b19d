"""Policy tests: suites of leads with expected outcomes (`qualdsl test`).

    from qualdsl.testing import run_paths
    run = run_paths(["policies/saas_inbound.test.yaml"])
    run.passed, run.failed, run.coverage

The file format is documented in docs/testing.md.
"""

from .cases import Expectation, NumberExpectation, Suite, TestItem, discover, load_suite
from .runner import Coverage, Mismatch, Outcome, Run, run_paths, run_suites

__all__ = [
    "Coverage", "Expectation", "Mismatch", "NumberExpectation", "Outcome", "Run", "Suite",
    "TestItem", "discover", "load_suite", "run_paths", "run_suites",
]
