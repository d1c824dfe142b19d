"""Hardening: DuckDB opens input files itself, so the duckdb engine (and
`compile --like`) refuse anything but a regular file, as every other reader
does: a FIFO would block it, a device reads as endless or empty."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
POLICY = str(ROOT / "policies" / "saas_inbound.qual")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "qualdsl", *args], capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("kind", ["device", "fifo"])
def test_duckdb_engine_and_like_refuse_what_is_not_a_regular_file(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "leads.csv"
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to("/dev/zero")
    score = run("score", POLICY, str(path), "--engine", "duckdb", "--as-of", "2026-11-01", "--no-progress")
    assert score.returncode == 2, score.stderr
    assert "not a regular file" in score.stderr and "Traceback" not in score.stderr
    like = run("compile", POLICY, "--target", "sql", "--like", str(path))
    assert like.returncode == 2 and "not a regular file" in like.stderr
