"""The public API is typed for users: `mypy --strict` on code that imports
qualdsl passes, and catches a wrong call."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import qualdsl

SRC = Path(qualdsl.__file__).resolve().parents[1]

USER_CODE = """
    import datetime as dt

    import qualdsl
    from qualdsl import Decision, QualError


    def tier_of(path: str) -> str | None:
        try:
            policy: qualdsl.Policy = qualdsl.load(path)
        except QualError as error:
            return str(error)
        decision: Decision = policy.evaluate({"country": "GB"}, as_of=dt.date(2026, 11, 1))
        return decision.tier


    def findings(error: qualdsl.CheckError) -> list[qualdsl.Diagnostic]:
        return list(error.diagnostics)
"""

WRONG_CALL = """
    import qualdsl

    policy = qualdsl.load(42)
    tier: int = policy.evaluate({}, as_of="2026-11-01").tier
"""


@pytest.fixture(scope="module")
def mypy_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("mypy")
    return tmp_path_factory.mktemp("mypy-cache")


def run_mypy(code: str, folder: Path, cache: Path) -> subprocess.CompletedProcess[str]:
    """mypy --strict on one user file, reading qualdsl as a user's mypy would
    (its own errors are not the user's: follow_imports=silent)."""
    (folder / "user.py").write_text(textwrap.dedent(code), encoding="utf-8")
    (folder / "mypy.ini").write_text(
        "[mypy]\nstrict = True\n\n[mypy-qualdsl.*]\nfollow_imports = silent\n", encoding="utf-8"
    )
    env = {**os.environ, "MYPYPATH": str(SRC)}
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", "mypy.ini", "--cache-dir", str(cache), "user.py"],
        cwd=folder, env=env, capture_output=True, text=True, timeout=300,
    )


def test_user_code_on_the_public_api_passes_mypy_strict(tmp_path: Path, mypy_cache: Path) -> None:
    result = run_mypy(USER_CODE, tmp_path, mypy_cache)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success: no issues found in 1 source file" in result.stdout


def test_mypy_strict_catches_a_wrong_call_on_the_public_api(tmp_path: Path, mypy_cache: Path) -> None:
    result = run_mypy(WRONG_CALL, tmp_path, mypy_cache)
    assert result.returncode == 1, result.stdout + result.stderr
    assert 'user.py:4: error: Argument 1 to "load" has incompatible type "int"' in result.stdout
    assert 'user.py:5: error: Incompatible types in assignment (expression has type "str | None"' in result.stdout
    assert "Found 2 errors in 1 file" in result.stdout


def test_all_lists_every_public_name_and_each_resolves() -> None:
    assert sorted(qualdsl.__all__) == sorted([*qualdsl._EXPORTS, "__version__"])
    for name in qualdsl.__all__:
        assert getattr(qualdsl, name) is not None, name
