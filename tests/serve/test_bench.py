"""benchmarks/serve_bench.py keeps working: a short run over loopback answers
every request of every target with a 200 and reports the figures."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT


@pytest.mark.slow  # real servers under load
def test_a_short_benchmark_run(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "serve_bench.py"), "--seconds", "0.4", "--concurrency", "4",
         "--json", str(out)], check=False, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr
    figures = json.loads(out.read_text())
    for target in ("bare", "evaluate", "batch"):
        assert figures[target]["requests"] > 0 and set(figures[target]["statuses"]) == {"200"}
    assert figures["batch"]["leads_per_s"] == figures["batch"]["rps"] * 100
    assert "evaluate / bare throughput" in result.stdout
