"""`qualdsl test --backend NAME`: the policies' own suites hold every backend."""

from __future__ import annotations

import sys
import types
from pathlib import Path

from click.testing import CliRunner

from qualdsl import backends
from qualdsl.cli import cli

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str):
    return CliRunner().invoke(cli, ["test", *args], catch_exceptions=False)


def test_the_bundled_suites_pass_on_the_python_backend():
    result = run(str(ROOT / "policies" / "saas_inbound.test.yaml"), "--backend", "python")
    assert result.exit_code == 0, result.output
    assert "0 failed" in result.output


def test_an_unknown_backend_is_a_usage_error():
    result = run(str(ROOT / "policies" / "saas_inbound.test.yaml"), "--backend", "cobol")
    assert result.exit_code == 2
    assert "`cobol` is not a backend" in result.output


def test_a_backend_whose_engine_is_missing_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(backends.BACKENDS, "ghost", "qualdsl_no_such_engine:evaluator")
    result = CliRunner().invoke(cli, ["test", str(ROOT / "policies" / "saas_inbound.test.yaml"),
                                      "--backend", "ghost"])
    assert result.exit_code == 2
    assert "pip install 'qualdsl[ghost]'" in result.output


def test_the_cases_really_run_on_the_chosen_backend(monkeypatch):
    """A backend that decides every lead as tier `nobody` fails the suite."""
    module = types.ModuleType("qualdsl_wrong_backend")

    class Wrong:
        def __init__(self, policy):
            from qualdsl.backends.python import PythonEvaluator

            self.inner = PythonEvaluator(policy)

        def evaluate(self, lead, *, as_of):
            return self.inner.evaluate(lead, as_of=as_of)._replace(tier="nobody")

    module.evaluator = Wrong  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "qualdsl_wrong_backend", module)
    monkeypatch.setitem(backends.BACKENDS, "wrong", "qualdsl_wrong_backend:evaluator")
    result = CliRunner().invoke(cli, ["test", str(ROOT / "policies" / "saas_inbound.test.yaml"),
                                      "--backend", "wrong"])
    assert result.exit_code == 1
    assert "nobody" in result.output
