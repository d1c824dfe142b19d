"""A real uvicorn server on 127.0.0.1 (a free port): concurrent clients,
a hot reload during the load, decisions equal to Policy.evaluate on messy
leads; a slow body; the `qualdsl serve` command itself."""

from __future__ import annotations

import concurrent.futures
import contextlib
import io
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

import qualdsl
from qualdsl.serve import Limits, create_app

from .conftest import AS_OF, DEMO_LEAD, ROOT, fixed_clock


@contextlib.contextmanager
def live_server(app: Any) -> Iterator[str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(20)
        sock.close()
        assert not thread.is_alive()


JUNK: list[Any] = [None, "", "n/a", "850", 850.0, -3, 10**12, 1.5, True, [], {}, ["Salesforce", None, 3],
                   "  SOFTWARE ", "2026-10-30T10:00:00+02:00", "\u00e9\u4e2d\U0001f600", "x" * 300]


def messy_lead(rng: random.Random, index: int) -> Any:
    """A lead from a CRM that nobody cleaned: right values, wrong types, junk, missing parts."""
    if rng.random() < 0.03:
        return rng.choice([[1, 2], "lead", 7, None])
    lead = json.loads(json.dumps(DEMO_LEAD))
    lead["id"] = rng.choice([f"L-{index}", index, None, float(index)])
    for section in ("company", "person"):
        for key in list(lead[section]):
            roll = rng.random()
            if roll < 0.15:
                lead[section][key] = rng.choice(JUNK)
            elif roll < 0.25:
                del lead[section][key]
    if rng.random() < 0.2:
        lead["company"] = rng.choice(JUNK)
    events = []
    for _ in range(rng.randrange(8)):
        day = rng.randrange(1, 45)
        at = rng.choice([f"2026-{9 + day // 30:02d}-{day % 30 + 1:02d}T10:00:00Z", "yesterday", None, 5])
        events.append({"type": rng.choice(["demo_request", "pricing_view", "email_click", "webinar_attended", 3]),
                       "at": at})
    lead["events"] = rng.choice([events, events, "none", [1, "x"]])
    return lead


def test_concurrent_clients_and_a_hot_reload_lose_nothing(policy_dir: Path) -> None:
    path = policy_dir / "saas_inbound.qual"
    policies = {qualdsl.load(path).hash: qualdsl.load(path)}
    app = create_app(policy_dir, reload_interval=0.05, clock=fixed_clock, log_stream=io.StringIO())
    rng = random.Random(11)
    leads = [messy_lead(rng, i) for i in range(600)]
    jobs = [("one", [lead]) for lead in leads[:400]] + [("batch", leads[i:i + 20]) for i in range(400, 600, 20)]
    random.Random(3).shuffle(jobs)
    edited = threading.Event()

    with live_server(app) as url:
        def run(job: tuple[str, list[Any]], client: httpx.Client) -> tuple[list[Any], dict[str, Any]]:
            kind, sent = job
            if kind == "one":
                response = client.post(
                    f"{url}/v1/policies/saas_inbound/evaluate", json={"lead": sent[0], "as_of": AS_OF}
                )
                assert response.status_code == 200, response.text
                body = response.json()
                return sent, {"decisions": [body["decision"]], "policy_hash": body["policy_hash"]}
            response = client.post(
                f"{url}/v1/policies/saas_inbound/evaluate-batch", json={"leads": sent, "as_of": AS_OF}
            )
            assert response.status_code == 200, response.text
            return sent, response.json()

        def worker(share: list[tuple[str, list[Any]]]) -> list[tuple[list[Any], dict[str, Any]]]:
            with httpx.Client(timeout=30) as client:
                done = []
                for number, job in enumerate(share):
                    if number == len(share) // 3 and not edited.is_set():
                        edited.set()  # one worker edits the policy while the others keep sending
                        text = path.read_text(encoding="utf-8").replace("+20  when", "+21  when")
                        path.write_text(text, encoding="utf-8")
                    done.append(run(job, client))
                return done

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            results = [r for share in pool.map(worker, [jobs[i::8] for i in range(8)]) for r in share]
        new = qualdsl.load(path)
        policies[new.hash] = new
        deadline = time.monotonic() + 15
        while httpx.get(f"{url}/v1/policies/saas_inbound").json()["hash"] != new.hash:
            assert time.monotonic() < deadline, "the edit was never served"
            time.sleep(0.05)
        after = httpx.post(f"{url}/v1/policies/saas_inbound/evaluate", json={"lead": DEMO_LEAD, "as_of": AS_OF})
        assert after.json() == {"decision": new.evaluate(DEMO_LEAD, as_of=AS_OF).to_dict(), "policy_hash": new.hash}

    assert len(results) == len(jobs) and len(policies) == 2
    seen = set()
    for sent, body in results:
        policy = policies[body["policy_hash"]]  # only the old or the new version, never anything else
        seen.add(body["policy_hash"])
        assert body["decisions"] == [d.to_dict() for d in policy.evaluate_many(sent, as_of=AS_OF)]
    assert sum(len(sent) for sent, _ in results) == 600
    assert seen == set(policies)  # the old version answered before the swap, the new one after, under load


def _raw(url: str, data: bytes) -> bytes:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(data)
        reply = b""
        while b"\r\n\r\n" not in reply or len(reply.split(b"\r\n\r\n", 1)[1]) < _length(reply):
            chunk = conn.recv(65536)
            if not chunk:
                break
            reply += chunk
        return reply


def _length(reply: bytes) -> int:
    for line in reply.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 0


@pytest.mark.parametrize("limits,length,sent,status,code", [
    # A body that never finishes arriving: the time limit answers.
    (Limits(request_timeout=0.3), 1000, b'{"lead": ', 408, "request_timeout"),
    # Content-Length over the limit: refused before any of the 5 GB is sent.
    (Limits(max_body_bytes=1000), 5_000_000_000, b"", 413, "body_too_large"),
])
def test_slow_and_huge_bodies_are_refused_without_waiting_for_them(
    policy_dir: Path, limits: Limits, length: int, sent: bytes, status: int, code: str
) -> None:
    app = create_app(policy_dir, reload_interval=None, clock=fixed_clock, log_stream=io.StringIO(), limits=limits)
    with live_server(app) as url:
        head = (b"POST /v1/policies/saas_inbound/evaluate HTTP/1.1\r\nHost: x\r\n"
                b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % length)
        reply = _raw(url, head + sent)
        assert reply.startswith(b"HTTP/1.1 %d" % status)
        assert b'"code":"%s"' % code.encode() in reply


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_serve(policy_dir: Path, *options: str, probe: str, env: dict[str, str] | None = None,
                ) -> tuple[subprocess.Popen[str], str]:
    """`qualdsl serve POLICY_DIR OPTIONS` on a free loopback port, once `probe`
    answers 200 (at most 30 s): the process and its base URL."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "qualdsl", "serve", str(policy_dir), "--port", str(port), *options],
        env={**os.environ, "PYTHONPATH": str(ROOT / "src"), **(env or {})}, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None or time.monotonic() >= deadline:
            process.kill()
            _, err = process.communicate(timeout=30)
            raise AssertionError(f"the server did not start: {err}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url + probe).status_code == 200:
                return process, url
        time.sleep(0.1)


def test_the_serve_command_with_two_workers_scores_a_lead_and_stops_cleanly(policy_dir: Path, tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("t0ken-for-the-test\n")
    process, url = start_serve(policy_dir, "--token-file", str(token), "--reload-interval", "0.1",
                               "--workers", "2", probe="/healthz")
    try:
        headers = {"Authorization": "Bearer t0ken-for-the-test"}
        assert httpx.get(f"{url}/readyz").status_code == 401
        response = httpx.post(f"{url}/v1/policies/saas_inbound/evaluate", headers=headers,
                              json={"lead": DEMO_LEAD, "as_of": AS_OF})
        assert response.status_code == 200
        assert response.json()["decision"]["tier"] == "SQL"
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert {"decision", "reload"} <= {line["event"] for line in lines}
    assert "Traceback" not in err
