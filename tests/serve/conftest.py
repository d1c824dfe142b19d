"""Fixtures for the HTTP service: a copy of the bundled policies, clients
with a fixed clock and a captured log. Nothing here reads the clock."""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# Starlette 1.x prefers httpx2 for its TestClient; httpx (installed) works the same.
warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
from starlette.testclient import TestClient  # noqa: E402 - after the filter: it warns on import

from qualdsl.serve import create_app  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
POLICIES = ROOT / "policies"
NOW = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)  # the server's "clock" in tests
AS_OF = "2026-11-01"
DEMO_LEAD = json.loads((POLICIES / "saas_inbound.lead.json").read_text(encoding="utf-8"))


def fixed_clock() -> dt.datetime:
    return NOW


@pytest.fixture
def policy_dir(tmp_path: Path) -> Path:
    """The bundled policies (and their shared fragment), in a folder a test may edit."""
    target = tmp_path / "policies"
    target.mkdir()
    for path in POLICIES.glob("*.qual"):
        shutil.copy(path, target / path.name)
    shutil.copytree(POLICIES / "shared", target / "shared")
    return target


class Served:
    """A TestClient over a running app (lifespan entered) and its log."""

    def __init__(self, client: TestClient, log: io.StringIO):
        self.client = client
        self.log = log

    def log_lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.log_text().splitlines()]

    def log_text(self) -> str:
        """The log so far, decision lines still buffered (at most 0.1 s) included."""
        self.client.app.state.server.log.flush()  # type: ignore[attr-defined]
        return self.log.getvalue()

    def wait_for(self, predicate: Callable[[], bool], seconds: float = 15.0) -> None:
        """Poll until the background reload has happened (bounded)."""
        deadline = time.monotonic() + seconds
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError("the server did not reach the expected state in time")
            time.sleep(0.02)


@pytest.fixture
def serve(policy_dir: Path) -> Iterator[Callable[..., Served]]:
    opened: list[TestClient] = []

    def make(directory: Path | None = None, **options: Any) -> Served:
        log = io.StringIO()
        options.setdefault("reload_interval", None)
        options.setdefault("clock", fixed_clock)
        app = create_app(directory or policy_dir, log_stream=log, **options)
        client = TestClient(app)
        client.__enter__()
        opened.append(client)
        return Served(client, log)

    yield make
    for client in opened:
        client.__exit__(None, None, None)
