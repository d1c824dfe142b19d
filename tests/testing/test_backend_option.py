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


def _suite(tmp_path: Path, policy: str) -> Path:
    (tmp_path / "p.qual").write_text(policy, encoding="utf-8")
    suite = tmp_path / "p.test.yaml"
    suite.write_text("policy: p.qual\nas_of: 2026-11-01\ncases:\n  - name: one\n    lead: {x: 2}\n"
                     "    expect:\n      scores: {total: 1}\n", encoding="utf-8")
    return suite


def test_a_policy_the_backend_refuses_is_a_located_suite_error(tmp_path):
    """It was `internal error: SqlRefused` (exit 3); now the refusal is the
    suite's error, as a test file that cannot run is, exit 2."""
    suite = _suite(tmp_path, "policy p\nscore s {\n  rule r 1 when x > 1\n}\n")
    assert run(str(suite)).exit_code == 0
    result = CliRunner().invoke(cli, ["test", str(suite), "--backend", "duckdb"])
    assert result.exit_code == 2, result.output
    assert "p.qual:1:1: error: a policy without a schema" in result.output
    assert "cannot be compiled exactly to duckdb SQL" in result.output
    assert "0 passed, 0 failed, 1 error" in result.output and "internal error" not in result.output


def test_a_lead_the_backend_cannot_hold_is_a_located_case_error(tmp_path, monkeypatch):
    """backends.LeadRefused (a value a SQL backend cannot hold exactly) names the case, never a traceback."""
    suite = _suite(tmp_path, "policy p\nschema {\n  x: number\n}\nscore s {\n  rule r 1 when x > 1\n}\n")

    class Refusing:
        def evaluate(self, lead, *, as_of):
            raise backends.LeadRefused("x: an integer beyond 64 bits")

    monkeypatch.setitem(backends.BACKENDS, "refusing", "refusing_engine:evaluator")
    monkeypatch.setitem(sys.modules, "refusing_engine", types.SimpleNamespace(evaluator=lambda ir: Refusing()))
    result = CliRunner().invoke(cli, ["test", str(suite), "--backend", "refusing"])
    assert result.exit_code == 2, result.output
    assert "p.test.yaml:4:11: error: the refusing backend cannot decide case `one`: x: an integer beyond 64 bits" \
        in result.output
