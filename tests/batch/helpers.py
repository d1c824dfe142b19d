"""Shared helpers for the batch tests: the bundled policies, a CLI runner."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from qualdsl.cli import cli

ROOT = Path(__file__).resolve().parents[2]
POLICIES = ROOT / "policies"
SAAS = str(POLICIES / "saas_inbound.qual")
XEDU = str(POLICIES / "xeducation.qual")
EXPORT = POLICIES / "data" / "xeducation_leads.csv"
AS_OF = "2026-11-01"


def saas_leads() -> list[dict[str, Any]]:
    text = (POLICIES / "saas_inbound.leads.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def invoke(*args: str, input: str | bytes | None = None) -> Result:
    return CliRunner().invoke(cli, ["--color", "never", *args], input=input)


def jsonl(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def run_process(*args: str, input: bytes | None = None, timeout: float = 60) -> subprocess.CompletedProcess[bytes]:
    """qualdsl in a new process (for real pipes, FIFOs and devices)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    return subprocess.run([sys.executable, "-m", "qualdsl", "--color", "never", *args], input=input,
                          capture_output=True, timeout=timeout, env=env, check=False)


@pytest.fixture
def saas_policy():
    import qualdsl

    return qualdsl.load(SAAS)
