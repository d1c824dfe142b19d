"""The CI scripts (.ci/*) are valid shell and run the README's test command.

A merge once left .ci/run unparseable (an unclosed backquote): CI failed after
0 s while every test passed locally. `bash -n` parses without running;
shellcheck (skipped when absent: `apt-get install -y shellcheck`) catches the
quieter mistakes."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = sorted((ROOT / ".ci").iterdir())


def test_there_are_ci_scripts() -> None:
    assert {path.name for path in SCRIPTS} >= {"run", "postgres.sh"}


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.name)
def test_ci_script_parses(script: Path) -> None:
    result = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck is not installed")
@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.name)
def test_ci_script_passes_shellcheck(script: Path) -> None:
    result = subprocess.run(["shellcheck", str(script)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert re.search(r"^make test\b", readme, re.MULTILINE), "README names `make test`"
    commands = [line.strip() for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
                if line.strip() and not line.lstrip().startswith("#")]
    assert commands[-1] == "make test"
    assert (ROOT / ".ci" / "run").stat().st_mode & 0o111, ".ci/run is executable"


def test_make_installs_every_extra_the_tests_use() -> None:
    """A test that skips without its extra never runs in CI unless the Makefile
    installs it. `fuzz` is for long runs by hand (docs/fuzzing.md); `dbt` goes
    to a venv of its own (the next test): dbt-core 1.x pins pathspec<0.13 and
    mypy 2.4 (the test extra) needs pathspec>=1.0, so pip cannot resolve both
    in one (docs/sql.md, "dbt")."""
    extras = set(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
                 ["project"]["optional-dependencies"])
    found = re.search(r"pip install [^\n]*-e '\.\[([a-z,]+)\]'", (ROOT / "Makefile").read_text(encoding="utf-8"))
    assert found is not None, "the Makefile installs the project with its extras"
    assert extras - {"fuzz", "dbt"} <= set(found.group(1).split(",")), extras - set(found.group(1).split(","))


needs_make = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def _make_dry_run(folder: Path, *targets: str) -> list[str]:
    """The commands `make` would run in `folder`, in order (nothing runs)."""
    done = subprocess.run(["make", "--no-print-directory", "-n", *targets], cwd=folder, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return [line for line in done.stdout.splitlines() if line.strip()]


@needs_make
def test_make_test_builds_the_dbt_venv_from_the_dbt_extra_and_names_its_dbt_to_pytest() -> None:
    commands = _make_dry_run(ROOT, "-B", "test")
    venv = commands.index("python3 -m venv .venv-dbt")
    requirements = commands[venv + 1]
    assert '["optional-dependencies"]["dbt"]' in requirements and "> .venv-dbt/requirements.txt" in requirements
    assert 'print("duckdb==" + version("duckdb"))' in commands[venv + 2] and commands[venv + 2].startswith(".venv/")
    install = commands.index(".venv-dbt/bin/python -m pip install --quiet -r .venv-dbt/requirements.txt")
    (pytest_line,) = [i for i, command in enumerate(commands) if "-m pytest" in command]
    assert venv < install < pytest_line
    assert commands[pytest_line].startswith(f"QUALDSL_DBT={ROOT}/.venv-dbt/bin/dbt ")


@needs_make
def test_docs_testing_shows_the_dbt_steps_make_test_runs() -> None:
    doc = (ROOT / "docs" / "testing.md").read_text(encoding="utf-8").split("## The dbt build in CI\n", 1)[1]
    (block,) = re.findall(r"```\n(.*?)```", doc.split("\n## ", 1)[0], re.DOTALL)
    target, run = (line.split("#")[0].strip() for line in block.splitlines())
    assert target == "make dbt-venv"
    assert re.search(r"^dbt-venv: \$\(DBT_STAMP\)$", (ROOT / "Makefile").read_text(encoding="utf-8"), re.MULTILINE)
    pytest_command = next(c for c in _make_dry_run(ROOT, "-B", "test") if "-m pytest" in c)
    assert run.replace("$PWD", str(ROOT)).split(" tests/")[0] == pytest_command.split(" -q")[0]


@needs_make
def test_a_second_make_test_installs_nothing_and_a_changed_pyproject_reinstalls_both(tmp_path: Path) -> None:
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy2(ROOT / name, tmp_path / name)
    for stamp in (".venv/.installed", ".venv-dbt/.installed"):
        (tmp_path / stamp).parent.mkdir()
        (tmp_path / stamp).touch()
    os.utime(tmp_path / "pyproject.toml", (1_000_000, 1_000_000))
    os.utime(tmp_path / ".venv/.installed", (2_000_000, 2_000_000))
    os.utime(tmp_path / ".venv-dbt/.installed", (3_000_000, 3_000_000))
    again = _make_dry_run(tmp_path, "test")
    assert again[0].startswith(".venv/bin/ruff")  # straight to the checks
    assert not [command for command in again if "pip install" in command or "-m venv" in command]
    os.utime(tmp_path / "pyproject.toml", (4_000_000, 4_000_000))
    changed = _make_dry_run(tmp_path, "test")
    assert "python3 -m venv .venv" in changed and "python3 -m venv .venv-dbt" in changed
