"""With several workers (`--workers N`), /metrics adds up every worker's
counts, whichever worker answers the scrape."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from qualdsl.serve.metrics import Metrics

from .conftest import AS_OF, DEMO_LEAD
from .test_app import _samples
from .test_live import start_serve

EVALUATE = "/v1/policies/saas_inbound/evaluate"
SQL = 'qualdsl_decisions_total{policy="saas_inbound",tier="SQL",route="enterprise-east"}'


def test_a_scrape_adds_up_every_worker(serve: Any, tmp_path: Path) -> None:
    shared = tmp_path / "metrics"
    shared.mkdir()
    first = serve(metrics_dir=shared, metrics_interval=3600)  # publishes only at start, scrape and shutdown
    second = serve(metrics_dir=shared, metrics_interval=3600)
    for _ in range(3):
        first.client.post(EVALUATE, json={"lead": DEMO_LEAD, "as_of": AS_OF})
    for _ in range(2):
        second.client.post(EVALUATE, json={"lead": DEMO_LEAD, "as_of": AS_OF})
    second.client.post(EVALUATE, content=b"{", headers={"content-type": "application/json"})
    before = _samples(second.client.get("/metrics").text)
    assert before[SQL] == 2  # the first worker has not published its 3 yet
    first.client.__exit__(None, None, None)  # a worker that stops publishes its last counts
    after = _samples(second.client.get("/metrics").text)
    assert after[SQL] == 5
    assert after['qualdsl_request_duration_seconds_count{endpoint="evaluate"}'] == 5
    assert after['qualdsl_request_duration_seconds_bucket{endpoint="evaluate",le="+Inf"}'] == 5
    assert after['qualdsl_errors_total{code="malformed_json"}'] == 1
    assert after['qualdsl_reloads_total{policy="saas_inbound",result="loaded"}'] == 2  # each worker loads


def test_a_running_worker_publishes_within_its_interval(serve: Any, tmp_path: Path) -> None:
    first = serve(metrics_dir=tmp_path, metrics_interval=0.05)
    second = serve(metrics_dir=tmp_path, metrics_interval=0.05)
    first.client.post(EVALUATE, json={"lead": DEMO_LEAD, "as_of": AS_OF})
    second.wait_for(lambda: _samples(second.client.get("/metrics").text).get(SQL) == 1)


def test_a_file_that_is_not_a_workers_is_skipped(serve: Any, tmp_path: Path) -> None:
    (tmp_path / "worker-1-junk.json").write_bytes(b"\x00not json")
    (tmp_path / "worker-2-junk.json").write_bytes(b'{"decisions": 7}')
    served = serve(metrics_dir=tmp_path)
    served.client.post(EVALUATE, json={"lead": DEMO_LEAD, "as_of": AS_OF})
    response = served.client.get("/metrics")
    assert response.status_code == 200 and _samples(response.text)[SQL] == 1


def test_snapshot_and_merge_add_up() -> None:
    one, two = Metrics(), Metrics()
    one.decision("p", "A", "r")
    one.request("evaluate", 0.002)
    two.decision("p", "A", "r")
    two.decision("p", None, None)
    two.request("evaluate", 0.3)
    two.error("too_deep")
    two.reload("p", "failed")
    total = Metrics()
    total.merge(one.snapshot())
    total.merge(two.snapshot())
    assert total.decisions == {("p", "A", "r"): 2, ("p", "", ""): 1}
    assert total.errors == {"too_deep": 1} and total.reloads == {("p", "failed"): 1}
    assert sum(total.latency["evaluate"].counts) == 2
    assert abs(total.latency["evaluate"].total - 0.302) < 1e-12


@pytest.mark.slow  # a real server, two worker processes
def test_the_serve_command_with_two_workers_counts_every_request(policy_dir: Path, tmp_path: Path) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    process, url = start_serve(policy_dir, "--reload-interval", "0", "--workers", "2", probe="/readyz",
                               env={"TMPDIR": str(temp)})
    try:
        for _ in range(12):  # a new connection each: the kernel spreads them over the workers
            assert httpx.post(url + EVALUATE, json={"lead": DEMO_LEAD, "as_of": AS_OF}).status_code == 200
        deadline = time.monotonic() + 10
        while True:  # each worker publishes at most a second late; every scrape then sees all 12
            samples = _samples(httpx.get(f"{url}/metrics").text)
            if samples.get(SQL) == 12:
                break
            assert samples.get(SQL, 0) < 12 and time.monotonic() < deadline, samples.get(SQL)
            time.sleep(0.2)
        for _ in range(6):
            assert _samples(httpx.get(f"{url}/metrics").text)[SQL] == 12
        [shared] = temp.glob("qualdsl-serve-metrics-*")
        assert len(list(shared.glob("worker-*.json"))) == 2
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "Traceback" not in err
    assert list(temp.glob("qualdsl-serve-metrics-*")) == []  # the workers' metrics directory is gone too
