"""Prometheus metrics, in the text exposition format, written by hand.

Why not prometheus_client: its default registry is process-global (every
app built in a test process would share and clash on it), and what is needed
here (labelled counters, one histogram) is a few dozen lines with no
dependency. Updated only from the event loop, so no locks.
"""

from __future__ import annotations

import bisect
from collections import Counter

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
        family("qualdsl_reloads_total", "counter", "Policy (re)loads, by policy and result (loaded, failed, removed).", [
            ((("policy", p), ("result", r)), n) for (p, r), n in sorted(self.reloads.items())])
        family("qualdsl_policy_info", "gauge", "The policies serving, with their hash.", [
            ((("policy", name), ("hash", digest)), 1) for name, digest in sorted(policies.items())])
        return "\n".join(out) + "\n"
