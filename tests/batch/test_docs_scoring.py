"""docs/scoring.md: every command in its console examples runs, and shows what it says."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .helpers import ROOT

DOC = ROOT / "docs" / "scoring.md"
CONSOLE = re.compile(r"```console\n(.*?)```", re.DOTALL)
TIMING = re.compile(r"in [0-9.]+s, [0-9,]+ rows/s")


def examples() -> list[tuple[str, list[str]]]:
    """(command, the output lines shown after it) for each `$ ` line."""
    found: list[tuple[str, list[str]]] = []
    for block in CONSOLE.findall(DOC.read_text(encoding="utf-8")):
        for line in block.splitlines():
            if line.startswith("$ "):
                found.append((line[2:], []))
            elif found:
                found[-1][1].append(line)
    return found


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "policies").symlink_to(ROOT / "policies")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "qualdsl"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m qualdsl "$@"\n', encoding="utf-8")
    shim.chmod(0o755)
    return tmp_path


def test_the_page_has_examples() -> None:
    commands = [command for command, _ in examples()]
    assert any("xeducation_leads.csv" in c and "-o decisions.parquet" in c for c in commands)
    assert any(c.startswith("cat ") and " - " in c for c in commands)


@pytest.mark.parametrize("command, shown", examples(), ids=lambda v: v[:60] if isinstance(v, str) else "")
def test_console_example_runs(workdir: Path, command: str, shown: list[str]) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), PATH=f"{workdir / 'bin'}:{os.environ['PATH']}")
    result = subprocess.run(["bash", "-c", command], cwd=workdir, env=env, capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    if shown:
        got = [TIMING.sub("in Xs, N rows/s", line) for line in result.stderr.splitlines()]
        assert got == [TIMING.sub("in Xs, N rows/s", line) for line in shown]
    outputs = [p for p in workdir.iterdir() if p.suffix in (".jsonl", ".csv", ".parquet")]
    assert outputs, "every example writes decisions"
    for path in outputs:
        if path.suffix == ".jsonl":
            lines = path.read_text(encoding="utf-8").splitlines()
            assert lines and all("tier" in json.loads(line) for line in lines)
