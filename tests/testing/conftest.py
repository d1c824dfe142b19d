"""Fixtures for the `qualdsl test` runner: a private copy of the fixture
suites (tests run `--update` on it), and a click runner."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from qualdsl.cli import cli

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The fixture suites copied to a temporary directory, which is the cwd
    (so reports show short relative paths, the same on every machine)."""
    target = tmp_path / "suites"
    shutil.copytree(FIXTURES, target)
    monkeypatch.chdir(target)
    monkeypatch.setenv("NO_COLOR", "1")
    return target


@pytest.fixture
def qualdsl_test() -> Callable[..., Result]:
    """Run `qualdsl test ARGS...`; stdout and stderr stay separate (click 8.2+)."""
    def run(*args: str) -> Result:
        return CliRunner().invoke(cli, ["--color", "never", "test", *args], catch_exceptions=False)
    return run


def break_threshold(workdir: Path) -> None:
    """The user's mistake the issue names: an expectation no longer matching."""
    suite = workdir / "demo.test.yaml"
    text = suite.read_text()
    text = text.replace("      tier: hot\n", "      tier: warm\n", 1)
    text = text.replace("        fit: 40\n", "        fit: 30..35\n", 1)
    suite.write_text(text)
