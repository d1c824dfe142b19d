"""`qualdsl serve` under load: `python benchmarks/serve_bench.py [--seconds 30]`.

Two uvicorn processes on 127.0.0.1 (free ports), three targets measured in
the same run by the same load generator, in interleaved one-second slices
(so a change in the machine's load hits all three alike):

1. bare     — a Starlette endpoint that reads and parses the body (orjson)
              and returns, serialised by orjson, the decision `evaluate`
              gives that lead, decided before the run: the same response
              bytes without deciding, the baseline.
2. evaluate — POST /v1/policies/saas_inbound/evaluate, one generated lead a
              request (benchmarks/leads.py), logs written (to /dev/null).
3. batch    — POST .../evaluate-batch with 100 leads a request.

The load generator is plain asyncio over keep-alive HTTP/1.1 connections
(prepared requests, responses read by Content-Length), so the client costs
little next to the server: `--concurrency` connections for `--seconds` each.
Targets: evaluate >= 0.7x bare requests/s; batch leads/s >= 5x evaluate's.
Every response must be a 200; any other fails the run.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT / "src"), str(HERE)]

AS_OF = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
AS_OF_TEXT = "2026-11-01T00:00:00Z"
BATCH = 100
LEADS = 2000


# ---------------------------------------------------------------- the servers (child processes)


def _bodies(leads: list[dict[str, Any]]) -> tuple[list[bytes], list[bytes]]:
    """The request bodies: one lead each, and batches of BATCH leads."""
    single = [json.dumps({"lead": lead, "as_of": AS_OF_TEXT}).encode() for lead in leads]
    batches = [json.dumps({"leads": leads[i:i + BATCH], "as_of": AS_OF_TEXT}).encode()
               for i in range(0, len(leads), BATCH)]
    return single, batches


def _bare_app() -> Any:
    """A fair peer of `evaluate` that decides nothing: a Starlette endpoint
    that reads the body, parses it with orjson, and serialises with orjson
    the very decision `evaluate` returns for that body (decided beforehand),
    so the responses are byte for byte the same size."""
    import orjson
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    import qualdsl

    from leads import generate

    policy = qualdsl.load(ROOT / "policies" / "saas_inbound.qual")
    leads = generate(LEADS, AS_OF)
    answers = {body: {"decision": decision.to_dict(), "policy_hash": policy.hash}
               for body, decision in zip(_bodies(leads)[0], policy.evaluate_many(leads, as_of=AS_OF))}

    async def endpoint(request: Request) -> Response:
        body = await request.body()
        orjson.loads(body)
        return Response(orjson.dumps(answers[body]), media_type="application/json")

    return Starlette(routes=[Route("/bare", endpoint, methods=["POST"])])


def serve(kind: str, port: int) -> None:
    import uvicorn

    if kind == "bare":
        app = _bare_app()
    else:
        from qualdsl.serve import create_app

        log = open(os.devnull, "w")  # noqa: SIM115 -- open for the life of the server process
        app = create_app(ROOT / "policies", reload_interval=None, log_stream=log)
    # The options `qualdsl serve` runs uvicorn with, for both servers.
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, server_header=False)


# ---------------------------------------------------------------- the load generator


def _request(path: str, body: bytes) -> bytes:
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n")
    return head.encode() + body


async def _connection(port: int, requests: list[bytes], offset: int, stop: float,
                      latencies: list[float], statuses: dict[int, int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    index = offset
    try:
        while time.perf_counter() < stop:
            started = time.perf_counter()
            writer.write(requests[index % len(requests)])
            index += 1
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            statuses[status] = statuses.get(status, 0) + 1
    finally:
        writer.close()


async def _load(port: int, requests: list[bytes], concurrency: int, seconds: float) -> dict[str, Any]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    start = time.perf_counter()
    stop = start + seconds
    await asyncio.gather(*(_connection(port, requests, i * 7, stop, latencies, statuses)
                           for i in range(concurrency)))
    return {"latencies": latencies, "elapsed": time.perf_counter() - start, "statuses": statuses}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _start(kind: str) -> tuple[subprocess.Popen[bytes], int]:
    """A server process on a free loopback port, once it accepts connections."""
    port = _free_port()
    process = subprocess.Popen([sys.executable, __file__, "--serve", kind, "--port", str(port)])
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            raise SystemExit(f"the {kind} server exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process, port
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                raise SystemExit(f"the {kind} server did not start") from None
            time.sleep(0.05)


def measure(targets: dict[str, tuple[str, list[bytes]]], concurrency: int, seconds: float,
            slice_seconds: float = 1.0) -> dict[str, dict[str, Any]]:
    """Interleaved: one slice of load on each target in turn until each has had
    `seconds`, so a change in the machine's load hits every target alike."""
    processes = {kind: _start(kind) for kind in ("bare", "qualdsl")}
    try:
        plans = {name: (processes["bare" if name == "bare" else "qualdsl"][1],
                        [_request(path, body) for body in bodies]) for name, (path, bodies) in targets.items()}
        for port, requests in plans.values():
            asyncio.run(_load(port, requests, concurrency, min(1.0, seconds / 5)))  # warm up
        latencies: dict[str, list[float]] = {name: [] for name in targets}
        statuses: dict[str, dict[int, int]] = {name: {} for name in targets}
        elapsed = dict.fromkeys(targets, 0.0)
        cpu = dict.fromkeys(targets, 0.0)
        rounds = max(1, round(seconds / slice_seconds))
        for _ in range(rounds):
            for name, (port, requests) in plans.items():
                pid = processes["bare" if name == "bare" else "qualdsl"][0].pid
                before = _cpu_seconds(pid)
                result = asyncio.run(_load(port, requests, concurrency, seconds / rounds))
                cpu[name] += _cpu_seconds(pid) - before
                latencies[name] += result["latencies"]
                elapsed[name] += result["elapsed"]
                for status, count in result["statuses"].items():
                    statuses[name][status] = statuses[name].get(status, 0) + count
        return {name: {**_summary(latencies[name], elapsed[name], statuses[name]),
                       "server_cpu_us": cpu[name] / max(1, len(latencies[name])) * 1e6} for name in targets}
    finally:
        for process, _ in processes.values():
            process.terminate()
            process.wait(30)


def _cpu_seconds(pid: int) -> float:
    """The server process's CPU time (user + system), from /proc: on a machine
    shared with other work, CPU per request is steadier than requests/s."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _summary(latencies: list[float], elapsed: float, statuses: dict[int, int]) -> dict[str, Any]:
    quantiles = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return {"requests": len(latencies), "rps": len(latencies) / elapsed, "p50_ms": quantiles[49] * 1000,
            "p99_ms": quantiles[98] * 1000, "statuses": statuses}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="load per server (default 10)")
    parser.add_argument("--concurrency", type=int, default=16, help="connections (default 16)")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    parser.add_argument("--serve", choices=["bare", "qualdsl"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return 0

    from leads import generate

    single, batches = _bodies(generate(LEADS, AS_OF))
    base = "/v1/policies/saas_inbound"
    results = measure({"bare": ("/bare", single), "evaluate": (f"{base}/evaluate", single),
                       "batch": (f"{base}/evaluate-batch", batches)}, args.concurrency, args.seconds)
    results["batch"]["leads_per_s"] = results["batch"]["rps"] * BATCH
    results["evaluate"]["leads_per_s"] = results["evaluate"]["rps"]
    ratio = results["evaluate"]["rps"] / results["bare"]["rps"]
    batch_ratio = results["batch"]["leads_per_s"] / results["evaluate"]["leads_per_s"]
    try:
        import httptools  # noqa: F401
        http = "httptools"
    except ImportError:
        http = "h11"

    print(f"qualdsl serve, {args.seconds:g} s per server, {args.concurrency} connections, "
          f"uvicorn with {http}, Python {sys.version.split()[0]}, {os.cpu_count()} cores")
    print(f"{'':24} {'req/s':>9} {'leads/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'server CPU µs/req':>18}")
    for name, label in (("bare", "bare Starlette endpoint"), ("evaluate", "evaluate"),
                        ("batch", f"evaluate-batch ({BATCH})")):
        r = results[name]
        leads_s = f"{r['leads_per_s']:9.0f}" if "leads_per_s" in r else f"{'':>9}"
        print(f"{label:24} {r['rps']:9.0f} {leads_s} {r['p50_ms']:8.2f} {r['p99_ms']:8.2f} "
              f"{r['server_cpu_us']:18.0f}")
    cpu_ratio = results["bare"]["server_cpu_us"] / max(results["evaluate"]["server_cpu_us"], 1e-9)
    print(f"evaluate / bare throughput: {ratio:.2f}x (target >= 0.7x); "
          f"by server CPU per request: {cpu_ratio:.2f}x")
    print(f"batch leads/s / evaluate leads/s: {batch_ratio:.1f}x (target >= 5x)")
    bad = {name: r["statuses"] for name, r in results.items() if set(r["statuses"]) != {200}}
    if bad:
        print(f"non-200 responses: {bad}", file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps({**results, "ratio": ratio, "cpu_ratio": cpu_ratio, "batch_ratio": batch_ratio,
                                         "http": http},
                                        indent=2) + "\n")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
