"""Helpers for the core tests: compile small policies, evaluate one condition.

Every test passes `as_of` explicitly; nothing here reads the clock.
"""

from __future__ import annotations

import datetime as dt
import functools
import os

import qualdsl
from qualdsl import backends
from qualdsl.backends import Evaluator

UTC = dt.UTC
T = dt.datetime(2026, 11, 1, tzinfo=UTC)  # the evaluation time of most tests


def days(n: float) -> dt.timedelta:
    return dt.timedelta(days=n)


def iso(moment: dt.datetime) -> str:
    """An event `at` as ISO 8601 text with a Z."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def ago(delta: dt.timedelta, t: dt.datetime = T) -> str:
    return iso(t - delta)


def _test_backends(default: str = "python") -> list[str]:
    """QUALDSL_TEST_BACKENDS (comma separated: `python,duckdb`), else `default`."""
    chosen = os.environ.get("QUALDSL_TEST_BACKENDS") or default
    return [b.strip() for b in chosen.split(",") if b.strip()]


def _duckdb_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("duckdb") is not None


def _spark_installed() -> bool:
    import importlib.util
    import shutil

    return importlib.util.find_spec("pyspark") is not None and (
        shutil.which("java") is not None or bool(os.environ.get("JAVA_HOME")))


def _default_conformance_backends() -> str:
    """python, duckdb when installed, and spark when pyspark and Java are
    here in the ci profile (a Spark plan takes seconds, as in tests/sql_engines)."""
    from budget import THOROUGH

    chosen = ["python"]
    if _duckdb_installed():
        chosen.append("duckdb")
    if THOROUGH and _spark_installed():
        chosen.append("spark")
    return ",".join(chosen)


# The backends the property tests run on (QUALDSL_TEST_BACKENDS, default python).
BACKENDS = _test_backends()
# The backends of the conformance harness (the `backend` fixture: the golden
# semantic tests and the contract's examples): every installed one (spark in
# the ci profile only). A DuckDB evaluation plans one SELECT per lead, a
# Spark one analyses one per shape of lead (seconds), so by default they run
# a representative subset (tests/core/conftest.py); CI=true, or an explicit
# QUALDSL_TEST_BACKENDS, runs all of it (on Spark about 4.5 minutes here).
CONFORMANCE_BACKENDS = _test_backends(_default_conformance_backends())
_CI = os.environ.get("CI", "").lower() == "true"
EVERY_CASE_BACKENDS = set(CONFORMANCE_BACKENDS) if os.environ.get("QUALDSL_TEST_BACKENDS") or _CI else {"python"}
# The backend `compiled()` builds evaluators for; the `backend` fixture
# (tests/core/conftest.py) sets it, so one corpus runs on every backend.
BACKEND = "python"


def on_backend(policy: qualdsl.Policy, backend: str) -> Evaluator:
    """The policy as the named backend runs it. A backend may refuse a policy
    it cannot run exactly (a located QualError): the test is then skipped for
    that backend, with the refusal as the reason — a refusal is allowed, a
    different decision never is."""
    import pytest

    evaluator = _on_backend(policy, backend)
    if isinstance(evaluator, qualdsl.QualError):
        pytest.skip(f"{backend} refuses: {evaluator}")
    return evaluator if backend == "python" else _Refusing(evaluator, backend)


class _Refusing:
    """A backend's evaluator whose refusals skip the test: a backend that
    compiles per shape of the lead's values (spark) may refuse a construct
    only at a later lead (a located QualError), or a lead it cannot hold or
    show exactly (backends.LeadRefused, naming the value)."""

    def __init__(self, evaluator: Evaluator, backend: str) -> None:
        self.evaluator = evaluator
        self.backend = backend

    def evaluate(self, lead: object, *, as_of: object) -> object:
        import pytest

        try:
            return self.evaluator.evaluate(lead, as_of=as_of)  # type: ignore[arg-type]
        except (qualdsl.QualError, backends.LeadRefused) as refusal:
            pytest.skip(f"{self.backend} refuses: {refusal}")


@functools.cache
def _on_backend(policy: qualdsl.Policy, backend: str) -> Evaluator | qualdsl.QualError:
    if backend == "python":
        return policy
    evaluator = backends.evaluator(backend, policy.ir)
    try:
        evaluator.evaluate({}, as_of="2026-01-01")  # compiles: a refusal shows here
    except qualdsl.QualError as refusal:
        return refusal
    return evaluator


def compiled(text: str) -> Evaluator:
    return _compiled(text, BACKEND)


@functools.cache
def _compiled(text: str, backend: str) -> Evaluator:
    return on_backend(qualdsl.loads(text), backend)


def evaluate(text: str, lead: object, as_of: object = T) -> dict:
    return compiled(text).evaluate(lead, as_of=as_of).to_dict()


def condition_policy(condition: str, schema: str | None = None, prelude: str = "") -> str:
    schema_text = f"schema {{\n{schema}\n}}\n" if schema is not None else ""
    return f"policy t\n{schema_text}{prelude}\nscore probe_block {{\n  rule r 1 when {condition}\n}}\n"


def holds(condition: str, lead: object, schema: str | None = None, prelude: str = "",
          as_of: object = T) -> bool:
    """Does CONDITION hold for LEAD? (It is the condition of a one-rule block.)"""
    decision = compiled(condition_policy(condition, schema, prelude)).evaluate(lead, as_of=as_of)
    (rule,) = decision.rules
    assert rule.points == (1.0 if rule.fired else 0.0)
    return rule.fired


def warnings_of(text: str, lead: object, as_of: object = T) -> list[str]:
    return compiled(text).evaluate(lead, as_of=as_of).warnings
