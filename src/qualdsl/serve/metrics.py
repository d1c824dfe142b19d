"""Prometheus metrics, in the text exposition format, written by hand.

Why not prometheus_client: its default registry is process-global (every
app built in a test process would share and clash on it), and what is needed
here (labelled counters, one histogram) is a few dozen lines with no
dependency. Updated only from the event loop, so no locks.

With `--workers N` every worker counts its own requests, and a scrape
reaches one worker at random. So each worker publishes its counts to a file
of its own in a directory the parent process made (`SharedMetrics`, at most
a second late, and at shutdown), and the worker answering `/metrics` adds
up every worker's file: counters and histograms are sums, so the total is
exact. A worker that exited leaves its file, so its counts stay in the
totals (counters never go down). Files rather than shared memory: uvicorn
starts workers with `spawn`, so nothing but the file system is shared
without a dependency.
"""

from __future__ import annotations

import bisect
import contextlib
import os
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import orjson

# Seconds; decisions take tens of microseconds, a big batch tens of milliseconds.
BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)

Labels = tuple[tuple[str, str], ...]


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(labels: Labels) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{name}="{_escape(value)}"' for name, value in labels) + "}"


def _number(value: float) -> str:
    return repr(float(value)) if isinstance(value, float) else str(value)


class Histogram:
    def __init__(self) -> None:
        self.counts = [0] * (len(BUCKETS) + 1)
        self.total = 0.0

    def observe(self, seconds: float) -> None:
        self.counts[bisect.bisect_left(BUCKETS, seconds)] += 1
        self.total += seconds


class Metrics:
    """Decisions by policy, tier and route; request latency by endpoint;
    errors by code; reloads by policy and result."""

    def __init__(self) -> None:
        self.decisions: Counter[tuple[str, str, str]] = Counter()
        self.errors: Counter[str] = Counter()
        self.reloads: Counter[tuple[str, str]] = Counter()
        self.latency: dict[str, Histogram] = {}

    def decision(self, policy: str, tier: str | None, route: str | None) -> None:
        self.decisions[(policy, tier or "", route or "")] += 1

    def request(self, endpoint: str, seconds: float) -> None:
        histogram = self.latency.get(endpoint)
        if histogram is None:
            histogram = self.latency[endpoint] = Histogram()
        histogram.observe(seconds)

    def error(self, code: str) -> None:
        self.errors[code] += 1

    def reload(self, policy: str, result: str) -> None:
        self.reloads[(policy, result)] += 1

    def snapshot(self) -> dict[str, Any]:
        """The counts as JSON-ready data, for `merge` in another process."""
        return {"decisions": [[*key, n] for key, n in self.decisions.items()],
                "errors": [[code, n] for code, n in self.errors.items()],
                "reloads": [[*key, n] for key, n in self.reloads.items()],
                "latency": {name: [h.counts, h.total] for name, h in self.latency.items()}}

    def merge(self, data: dict[str, Any]) -> None:
        """Add another worker's `snapshot`."""
        for policy, tier, route, n in data["decisions"]:
            self.decisions[(policy, tier, route)] += n
        for code, n in data["errors"]:
            self.errors[code] += n
        for policy, result, n in data["reloads"]:
            self.reloads[(policy, result)] += n
        for name, (counts, total) in data["latency"].items():
            histogram = self.latency.get(name)
            if histogram is None:
                histogram = self.latency[name] = Histogram()
            histogram.counts = [a + b for a, b in zip(histogram.counts, counts, strict=True)]
            histogram.total += total

    def render(self, policies: dict[str, str]) -> str:
        """The exposition text; `policies` is name -> hash of those serving."""
        out: list[str] = []

        def family(name: str, kind: str, help: str, rows: list[tuple[Labels, float]]) -> None:
            out.append(f"# HELP {name} {help}")
            out.append(f"# TYPE {name} {kind}")
            out.extend(f"{name}{_labels(labels)} {_number(value)}" for labels, value in rows)

        family("qualdsl_decisions_total", "counter", "Decisions made, by policy, tier and route.", [
            ((("policy", p), ("tier", t), ("route", r)), n) for (p, t, r), n in sorted(self.decisions.items())])
        out.append("# HELP qualdsl_request_duration_seconds Time to answer an evaluate request, by endpoint.")
        out.append("# TYPE qualdsl_request_duration_seconds histogram")
        for endpoint, histogram in sorted(self.latency.items()):
            running = 0
            for bound, count in zip((*BUCKETS, float("inf")), histogram.counts):
                running += count
                le = "+Inf" if bound == float("inf") else repr(bound)
                out.append(f'qualdsl_request_duration_seconds_bucket{{endpoint="{endpoint}",le="{le}"}} {running}')
            out.append(f'qualdsl_request_duration_seconds_sum{{endpoint="{endpoint}"}} {histogram.total!r}')
            out.append(f'qualdsl_request_duration_seconds_count{{endpoint="{endpoint}"}} {running}')
        family("qualdsl_errors_total", "counter", "Requests answered with an error, by error code.", [
            ((("code", code),), n) for code, n in sorted(self.errors.items())])
        family("qualdsl_reloads_total", "counter",
               "Policy (re)loads, by policy and result (loaded, failed, removed).", [
            ((("policy", p), ("result", r)), n) for (p, r), n in sorted(self.reloads.items())])
        family("qualdsl_policy_info", "gauge", "The policies serving, with their hash.", [
            ((("policy", name), ("hash", digest)), 1) for name, digest in sorted(policies.items())])
        return "\n".join(out) + "\n"


class SharedMetrics:
    """One worker's side of the shared directory (see the module's docstring)."""

    def __init__(self, directory: str | Path, metrics: Metrics):
        self.directory = Path(directory)
        self.metrics = metrics
        # The pid and a random part: a restarted worker may be given an old pid.
        self.path = self.directory / f"worker-{os.getpid()}-{uuid.uuid4().hex[:12]}.json"

    def publish(self) -> None:
        """Write this worker's counts; atomically, so a reader never sees half a file."""
        partial = self.path.with_suffix(".partial")
        partial.write_bytes(orjson.dumps(self.metrics.snapshot()))
        os.replace(partial, self.path)

    def total(self) -> Metrics:
        """Every worker's counts added up, this worker's as of now."""
        self.publish()
        total = Metrics()
        for path in sorted(self.directory.glob("worker-*.json")):
            with contextlib.suppress(OSError, ValueError, KeyError, TypeError):  # not one of ours: skip it
                total.merge(orjson.loads(path.read_bytes()))
        return total
