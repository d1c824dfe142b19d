"""qualdsl benchmarks: `python benchmarks/run.py` (add `--leads 20000` for a quick run).

Every figure is a ratio against a baseline measured in the same run, on the
same machine, so the numbers travel: absolute times depend on the machine.

1. evaluate — the contract's example policy (policies/saas_inbound.qual) on
   generated leads: `Policy.evaluate` (a Decision with its rule ledger) and
   `Policy.evaluate(...).to_dict()` against a hand-written plain-Python
   function producing the same decision dict (benchmarks/handwritten.py).
   Before timing, both are run on every lead and must agree exactly.
2. peers — zen-engine and rule-engine on a subset policy they can express
   (benchmarks/peers.py), when they are installed.
3. compile — a generated 300-rule policy, `qualdsl.loads` in this process
   (target < 60 ms on the machine it was set on, where a hand-written lead
   took 21.2 µs: < 2,826 hand-written lead evaluations, the ratio measured
   in the same run, so the target travels to a slower or faster machine).
4. startup — `qualdsl --version` in a new process (target < 300 ms).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import qualdsl

import handwritten
import leads as lead_generator

AS_OF = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
AS_OF_TEXT = "2026-11-01T00:00:00Z"


def best_of(function, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def interleaved(functions: dict, rounds: int, cpu: dict | None = None) -> dict:
    """Best time of each function, run in alternation round after round, so
    a noisy neighbour on a shared machine slows all of them alike. `cpu`,
    when given, is filled with each one's best CPU time (what a busy machine
    disturbs least)."""
    best = {name: float("inf") for name in functions}
    for _ in range(rounds):
        for name, function in functions.items():
            start, used = time.perf_counter(), time.process_time()
            function()
            best[name] = min(best[name], time.perf_counter() - start)
            if cpu is not None:
                cpu[name] = min(cpu.get(name, float("inf")), time.process_time() - used)
    return best


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b and type(a) is type(b)


def bench_evaluate(count: int, repeat: int) -> dict:
    policy = qualdsl.load(ROOT / "policies" / "saas_inbound.qual")
    leads = lead_generator.generate(count, AS_OF)
    # Correctness first: the two implementations must agree on every lead.
    disagreements = [
        lead["id"] for lead in leads
        if not _same(policy.evaluate(lead, as_of=AS_OF).to_dict(),
                     handwritten.decide(lead, AS_OF, AS_OF_TEXT))
    ]
    if disagreements:
        raise SystemExit(f"qualdsl and the hand-written policy disagree on {len(disagreements)} leads, "
                         f"e.g. {disagreements[:5]}")
    decide = handwritten.decide
    evaluate = policy.evaluate

    def run_handwritten() -> None:
        for lead in leads:
            decide(lead, AS_OF, AS_OF_TEXT)

    def run_qualdsl() -> None:
        for lead in leads:
            evaluate(lead, as_of=AS_OF)

    def run_qualdsl_dict() -> None:
        for lead in leads:
            evaluate(lead, as_of=AS_OF).to_dict()

    def run_many() -> None:
        for _ in policy.evaluate_many(leads, as_of=AS_OF):
            pass

    cpu: dict[str, float] = {}
    times = interleaved(
        {"baseline": run_handwritten, "compiled": run_qualdsl, "as_dict": run_qualdsl_dict, "many": run_many},
        repeat, cpu,
    )
    baseline, compiled, as_dict, many = (times[k] for k in ("baseline", "compiled", "as_dict", "many"))
    tiers: dict[str, int] = {}
    for lead in leads[:10000]:
        tier = evaluate(lead, as_of=AS_OF).tier
        tiers[str(tier)] = tiers.get(str(tier), 0) + 1
    return {
        "leads": count,
        "agreement": f"{count}/{count} decisions identical",
        "handwritten_us": baseline / count * 1e6,
        "handwritten_cpu_us": cpu["baseline"] / count * 1e6,
        "evaluate_us": compiled / count * 1e6,
        "evaluate_ratio": baseline / compiled,
        "evaluate_to_dict_us": as_dict / count * 1e6,
        "evaluate_to_dict_ratio": baseline / as_dict,
        "evaluate_many_us": many / count * 1e6,
        "evaluate_many_ratio": baseline / many,
        "tier_mix_first_10k": tiers,
    }


def _policy_300_rules(style: str = "contract") -> str:
    """A 300-rule policy: 10 blocks of 30 rules.

    `contract`: rules shaped like the contract's example (a comparison, a set
    test, a range, a per-event rule, a count) — what real policies look like.
    `heavy`: every rule a compound condition with functions (a stress case).
    """
    lines = [f'policy big "300 generated rules ({style})"', "", "schema {"]
    for i in range(20):
        lines.append(f"  f.n{i}: int")
        lines.append(f"  f.s{i}: string")
    lines.append("  f.tech: list[string]")
    lines.append("  events: events")
    lines.append("}")
    lines.append('set words = ["alpha", "beta", "gamma", "delta"]')
    for block in range(10):
        lines.append(f"score b{block} max 100 {{")
        if block % 2:
            lines.append("  decay 10% every 7d")
            lines.append("  expire after 90d")
        for rule in range(30):
            i = (block * 30 + rule) % 20
            kind = rule % 6
            if style == "heavy":
                cond = [
                    f"f.n{i} >= {rule * 10} and f.s{i} in words",
                    f'f.s{i} contains "x{rule}" or f.n{i} between 1 and {rule + 5}',
                    f'lower(f.s{i}) starts_with "p" and not (f.n{i} < 3)',
                    f'count(events where type == "t{rule}" within 30d) >= 2',
                    f"f.n{i} is missing or f.n{i} * 2 > {rule}",
                    f'f.s{i} == "v{rule}" and f.n{i} != {rule}',
                ][kind]
                lines.append(f"  rule r{rule} +{rule % 7 + 1} when {cond}")
            elif kind == 3 and block % 2:
                lines.append(f'  rule r{rule} +{rule % 7 + 1} per event "t{rule}" max 3')
            else:
                cond = [
                    f"f.s{i} in words",
                    f"f.n{i} between {rule} and {rule * 100 + 5}",
                    f'f.s{i} == "v{rule}"',
                    f"f.n{i} >= {rule * 10}",
                    f'"x{rule}" in f.tech',
                    f'count(events where type == "t{rule}" within 30d) >= 3',
                ][kind]
                lines.append(f"  rule r{rule} +{rule % 7 + 1} when {cond}")
        lines.append("}")
    lines.append("tiers {")
    lines.append("  tier A when score >= 300")
    lines.append("  tier B when score >= 100")
    lines.append("  tier C otherwise")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _compile_times(text: str, repeat: int) -> list[float]:
    assert text.count("  rule ") == 300
    qualdsl.loads(text, name="big.qual")  # warm: parser built (from Lark's cache) once per process
    times = []
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        qualdsl.loads(text, name="big.qual")
        times.append((time.perf_counter() - start, time.process_time() - cpu))
    return times


# The compile target was set as 60 ms on a machine where benchmark 1's
# hand-written lead took 21.2 µs (benchmarks/results/latest.json of
# 2026-11-23); the same commit measures 2.4-2.8x slower on today's machine, so
# the target is kept as a ratio to that baseline measured in the same run.
COMPILE_TARGET_MS = 60.0
TARGET_MACHINE_HANDWRITTEN_US = 21.232
COMPILE_TARGET_LEADS = COMPILE_TARGET_MS * 1000 / TARGET_MACHINE_HANDWRITTEN_US


def bench_compile(repeat: int) -> dict:
    text = _policy_300_rules("contract")
    both = _compile_times(text, repeat)
    times, cpu = [wall for wall, _ in both], [used for _, used in both]
    heavy = [wall for wall, _ in _compile_times(_policy_300_rules("heavy"), repeat)]
    # A cold start in a fresh process: grammar cache load + import + compile.
    code = (
        "import time; t=time.perf_counter(); import qualdsl; "
        f"qualdsl.loads(open({str(HERE / '_big.qual')!r}).read(), name='big.qual'); "
        "print(time.perf_counter()-t)"
    )
    (HERE / "_big.qual").write_text(text)
    try:
        cold = min(
            float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                 check=True).stdout)
            for _ in range(3)
        )
    finally:
        (HERE / "_big.qual").unlink()
    return {
        "rules": 300,
        "warm_compile_ms": min(times) * 1000,
        "warm_compile_median_ms": statistics.median(times) * 1000,
        # CPU time: what a busy machine disturbs least (the process's own time, 10 ms ticks or finer)
        "warm_compile_cpu_ms": min(cpu) * 1000,
        "warm_compile_cpu_median_ms": statistics.median(cpu) * 1000,
        "cold_process_import_and_compile_ms": cold * 1000,
        "heavy_rules_warm_compile_ms": min(heavy) * 1000,
        "target_ms": COMPILE_TARGET_MS,
        "target_in_handwritten_leads": COMPILE_TARGET_LEADS,
    }


def bench_startup(repeat: int) -> dict:
    exe = Path(sys.executable).with_name("qualdsl")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "qualdsl"]
    baseline = [sys.executable, "-c", "pass"]

    def run(cmd: list[str]) -> float:
        start = time.perf_counter()
        subprocess.run(cmd + (["--version"] if cmd is command else []), capture_output=True, check=True)
        return time.perf_counter() - start

    python_start = min(run(baseline) for _ in range(repeat))
    version = min(run(command) for _ in range(repeat))
    return {
        "qualdsl_version_ms": version * 1000,
        "bare_python_ms": python_start * 1000,
        "ratio_vs_bare_python": version / python_start,
        "target_ms": 300,
    }


def bench_peers(count: int) -> list[dict] | str:
    try:
        import peers
    except ImportError as error:
        return f"peers not available: {error}"
    leads = lead_generator.generate(count, AS_OF)
    return [result._asdict() if hasattr(result, "_asdict") else dict(result.__dict__)
            for result in peers.run_peers(leads, AS_OF)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5, help="rounds of each measurement (best is kept)")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--skip-peers", action="store_true")
    args = parser.parse_args()
    results = {
        "python": sys.version.split()[0],
        "machine": f"{os.cpu_count()} cores",
        "evaluate": bench_evaluate(args.leads, args.repeat),
        "compile": bench_compile(max(args.repeat * 5, 25)),
        "startup": bench_startup(max(args.repeat, 5)),
    }
    if not args.skip_peers:
        results["peers"] = bench_peers(min(args.leads, 20_000))
    ev = results["evaluate"]
    print(f"evaluate: {ev['leads']} leads ({ev['agreement']})")
    print(f"  hand-written Python            {ev['handwritten_us']:7.2f} µs/lead   1.00x")
    print(f"  Policy.evaluate (Decision)     {ev['evaluate_us']:7.2f} µs/lead   {ev['evaluate_ratio']:.2f}x")
    print(f"  Policy.evaluate(...).to_dict() {ev['evaluate_to_dict_us']:7.2f} µs/lead   "
          f"{ev['evaluate_to_dict_ratio']:.2f}x")
    print(f"  Policy.evaluate_many           {ev['evaluate_many_us']:7.2f} µs/lead   {ev['evaluate_many_ratio']:.2f}x")
    co = results["compile"]
    # Machine-independent: the compile's CPU time in hand-written lead evaluations of this run.
    co["compile_in_handwritten_leads"] = co["warm_compile_cpu_ms"] * 1000 / ev["handwritten_cpu_us"]
    print(f"compile: 300 rules in {co['warm_compile_ms']:.1f} ms, CPU {co['warm_compile_cpu_ms']:.1f} ms "
          f"(median {co['warm_compile_cpu_median_ms']:.1f}) ; "
          f"fresh process incl. import {co['cold_process_import_and_compile_ms']:.0f} ms; "
          f"heavy-condition variant {co['heavy_rules_warm_compile_ms']:.1f} ms")
    print(f"  = {co['compile_in_handwritten_leads']:,.0f} hand-written lead evaluations of this run "
          f"(target < {COMPILE_TARGET_LEADS:,.0f}: 60 ms where a hand-written lead took "
          f"{TARGET_MACHINE_HANDWRITTEN_US} µs)")
    st = results["startup"]
    print(f"startup: qualdsl --version {st['qualdsl_version_ms']:.0f} ms (target < 300 ms); "
          f"bare python {st['bare_python_ms']:.0f} ms")
    if "peers" in results:
        peers_result = results["peers"]
        if isinstance(peers_result, str):
            print(peers_result)
        else:
            print("peers (subset policy: ICP + fit + tiers, 20k leads; ratio = hand-written time / engine time):")
            for row in peers_result:
                print(f"  {row['name']:<24} {row['per_lead_us']:8.2f} µs/lead  {row['ratio_vs_baseline']:.2f}x  "
                      f"agree {row['agree']}/{row['total']}  {row.get('note', '')}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
