"""`qualdsl score` benchmark: `python benchmarks/batch_score.py` (`--rows 1000000` for the full size).

On generated typed leads in Parquet (the contract's policy,
policies/saas_inbound.qual: nested STRUCT columns `company` and `person`, a
LIST of event STRUCTs with TIMESTAMP `at`), in one run:

1. python engine / bare loop — the python engine end to end (`qualdsl score
   IN.parquet -o OUT.parquet` in its own process: read, decide, write
   Parquet) against a bare `Policy.evaluate` loop over the same leads
   already loaded in memory (loaded a chunk at a time, untimed). Ratio =
   loop time / engine time (target >= 0.8), by wall time and by CPU time
   (the CPU ratio is what a busy neighbour disturbs least).
2. duckdb engine / python engine — `qualdsl score --engine duckdb` on the
   same file, end to end (target >= 10), by wall time and by CPU time
   (DuckDB's threads included); DuckDB writes the Parquet itself.
3. memory — the python engine's peak RSS on N/4 and N rows, each in a new
   process (target: 4x the rows within 1.25x the memory).
4. with `--spark`: `qualdsl score --engine spark` (local Spark, a JVM
   started by the command) on the same file, once, by wall time against the
   python engine, its output compared whole with the python engine's (the
   issue asks for Spark's local figures; no target).

The three commands run in alternation, round after round, and the best
round of each is kept. Over 100,000 rows the file repeats 100,000 generated
leads with unique ids (generating a million leads in Python takes minutes).
Writes benchmarks/results/batch_score.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "src"))

import qualdsl

import leads as lead_generator

POLICY = ROOT / "policies" / "saas_inbound.qual"
AS_OF = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def typed(lead: dict[str, Any]) -> dict[str, Any]:
    """A generated lead as a warehouse would type it: employees an integer
    (or null), events with TIMESTAMP `at` (malformed ones dropped)."""
    company = dict(lead["company"])
    employees = company.get("employees")
    try:
        company["employees"] = int(float(employees)) if employees is not None else None
    except (TypeError, ValueError):
        company["employees"] = None
    company.setdefault("country", None)
    events = []
    for event in lead["events"]:
        at = event.get("at")
        if at is None:
            continue
        events.append({"type": event["type"],
                       "at": dt.datetime.strptime(at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)})
    return {"id": lead["id"], "company": company, "person": lead["person"], "source": lead["source"],
            "events": events}


UNIQUE_LEADS = 100_000  # generated; bigger files repeat them with new ids


def write_leads(path: Path, rows: int) -> None:
    import random

    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    company = pa.struct([("domain", pa.string()), ("industry", pa.string()), ("employees", pa.int64()),
                         ("country", pa.string()), ("region", pa.string()), ("tech", pa.list_(pa.string()))])
    person = pa.struct([("email", pa.string()), ("title", pa.string()), ("seniority", pa.string())])
    event = pa.struct([("type", pa.string()), ("at", pa.timestamp("us", tz="UTC"))])
    schema = pa.schema([("id", pa.string()), ("company", company), ("person", person), ("source", pa.string()),
                        ("events", pa.list_(event))])
    chunk = 50_000
    tables = []
    for start in range(0, min(rows, UNIQUE_LEADS), chunk):
        rng = random.Random(2026 + start)
        batch = [typed(lead_generator.make_lead(rng, start + i, AS_OF)) for i in range(min(chunk, rows - start))]
        tables.append(pa.Table.from_pylist(batch, schema=schema))
    with pq.ParquetWriter(path, schema) as writer:
        written, copy = 0, 0
        while written < rows:
            for table in tables:
                table = table.slice(0, rows - written)
                if copy:
                    ids = pc.binary_join_element_wise(table.column("id"), pa.scalar(f"-{copy}"), "")
                    table = table.set_column(0, "id", ids)
                writer.write_table(table)
                written += table.num_rows
                if written >= rows:
                    break
            copy += 1


# Run qualdsl with its own peak RSS (VmHWM of its memory map) reported on
# stderr at exit: wait4's ru_maxrss would include this benchmark's memory,
# which a forked child starts from.
PEAK = """
import atexit, sys
def report():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                sys.stderr.write("PEAK_RSS_KB " + line.split()[1] + "\\n")
atexit.register(report)
sys.argv = ["qualdsl", *sys.argv[1:]]
from qualdsl.cli import main
main()
"""


def score_command(source: Path, output: Path, jobs: int, engine: str) -> list[str]:
    return [sys.executable, "-c", PEAK, "score", str(POLICY), str(source), "-o", str(output),
            "--as-of", "2026-11-01", "--no-progress", "--jobs", str(jobs), "--engine", engine]


def run_engine(source: Path, output: Path, jobs: int = 1, engine: str = "python") -> tuple[float, float, int]:
    """Wall time, CPU time (user + system, with its workers) and peak RSS
    (bytes, the main process) of one `qualdsl score`."""
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(score_command(source, output, jobs, engine), env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, check=False)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    stderr = result.stderr.decode(errors="replace")
    if result.returncode != 0:
        raise SystemExit(f"qualdsl score failed ({result.returncode}): {stderr}")
    return elapsed, cpu, int(stderr.rsplit("PEAK_RSS_KB ", 1)[1].split()[0]) * 1024


def startup_time() -> tuple[float, float]:
    """`qualdsl score` on one lead (interpreter start, imports, compiling the
    policy): best wall and CPU time of three."""
    with tempfile.TemporaryDirectory() as folder:
        one = Path(folder) / "one.parquet"
        write_leads(one, 1)
        runs = [run_engine(one, Path(folder) / "out.parquet") for _ in range(3)]
        return min(r[0] for r in runs), min(r[1] for r in runs)


NATIVE = """
import datetime as dt, sys
import qualdsl
from qualdsl.backends.sql.duckdb_engine import score_duckdb
policy = qualdsl.load(sys.argv[1])
as_of = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
score_duckdb(policy, [sys.argv[2]], as_of=as_of, output_path=sys.argv[3])
"""


def run_native(source: Path, output: Path) -> float:
    """The duckdb engine's write (backends.sql.duckdb_engine.score_duckdb:
    DuckDB writing the Parquet itself, as `qualdsl score --engine duckdb`
    does) in a new process, without the command around it."""
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", NATIVE, str(POLICY), str(source), str(output)], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


BARE_CHUNK = 200_000  # leads loaded at a time for the bare loop: memory stays bounded at 1M rows


def bare_loop(source: Path) -> tuple[float, float, int]:
    """The baseline: the same leads, as the engine's reader gives them, each
    chunk loaded before the clock starts. Wall and CPU seconds, leads."""
    import pyarrow.parquet as pq

    from qualdsl.batch.inputs import Batch

    policy = qualdsl.load(POLICY)
    evaluate = policy.evaluate
    wall = cpu = 0.0
    count = 0
    for records in pq.ParquetFile(source).iter_batches(batch_size=BARE_CHUNK):
        leads = Batch(str(source), 1, records).leads()
        wall_start, cpu_start = time.perf_counter(), time.process_time()
        for lead in leads:
            evaluate(lead, as_of=AS_OF)
        wall += time.perf_counter() - wall_start
        cpu += time.process_time() - cpu_start
        count += len(leads)
        del leads
    return wall, cpu, count


def phases(source: Path, folder: Path) -> dict[str, float]:
    """Where the engine's CPU time goes, per lead (µs), each phase alone in
    this process, on the engine's own path (batch.engines.Decider.batch:
    Parquet batch -> leads, their events loaded in Arrow -> flat rows, made
    by the policy's evaluate function given the policy's hash and the
    events -> an Arrow batch -> Parquet). `evaluate_us` is the bare loop's
    `Policy.evaluate` on the same leads (events as dicts), for comparison."""
    import gc

    import pyarrow.parquet as pq

    from qualdsl.api import format_as_of
    from qualdsl.batch.inputs import PARQUET_BATCH_ROWS, Batch
    from qualdsl.batch.outputs import ParquetWriter

    policy = qualdsl.load(POLICY)
    writer = ParquetWriter(str(folder / "phases.parquet"), policy.blocks, policy.hash)
    function, text, policy_hash = policy.compiled.function, format_as_of(AS_OF), policy.hash
    events_column = policy.compiled.preload_events
    assert events_column is not None  # the benchmark's policy reads only `type` and `at` of its events
    times = dict.fromkeys(("read_us", "flat_rows_us", "encode_us", "write_parquet_us", "evaluate_us"), 0.0)
    count = 0
    gc.freeze()  # as the engine does (engines._collections_per_batch)
    gc.disable()
    try:
        for records in pq.ParquetFile(source).iter_batches(batch_size=PARQUET_BATCH_ROWS):
            start = time.process_time()
            leads, events = Batch(str(source), 1, records).leads_and_events(events_column, AS_OF)
            read = time.process_time()
            assert events is not None  # typed events: preloaded
            rows = [function(lead, AS_OF, text, policy_hash, loaded) for lead, loaded in zip(leads, events)]
            decide = time.process_time()
            chunk = writer.encoder.chunk(rows)
            encode = time.process_time()
            writer.write_many(chunk[2])
            writer.wait()  # the writing thread's CPU time is this phase's, not the next one's
            write = time.process_time()
            leads = Batch(str(source), 1, records).leads()  # untimed: the loop's leads
            evaluate = time.process_time()
            decisions = [policy.evaluate(lead, as_of=AS_OF) for lead in leads]
            evaluate = time.process_time() - evaluate
            del leads, rows, chunk, decisions
            gc.collect()
            for key, value in zip(times, (read - start, decide - read, encode - decide, write - encode,
                                          evaluate)):
                times[key] += value
            count += records.num_rows
        start = time.process_time()
        writer.close()
        times["write_parquet_us"] += time.process_time() - start
    finally:
        gc.unfreeze()
        gc.enable()
    return {key: value / count * 1e6 for key, value in times.items()}


def cpu_ticks() -> list[int]:
    """The machine's CPU time so far by kind (/proc/stat's `cpu` line: user,
    nice, system, idle, iowait, irq, softirq, steal, ...); [] where there is
    none (not Linux)."""
    try:
        with open("/proc/stat") as stat:
            return [int(n) for n in stat.readline().split()[1:9]]
    except (OSError, ValueError):
        return []


def steal_share(before: list[int], after: list[int]) -> float | None:
    """The share of the machine's CPU time the hypervisor gave to other
    guests in between (steal): it stretches wall times, not CPU times."""
    if len(before) < 8 or len(after) < 8:
        return None
    spent = [b - a for a, b in zip(before, after)]
    return round(spent[7] / sum(spent), 4) if sum(spent) else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000, help="rows of the main run (default 100,000)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds; the best of each is kept")
    parser.add_argument("--jobs", type=int, default=1, help="also time the python engine with this many workers")
    parser.add_argument("--no-duckdb", action="store_true", help="skip the duckdb engine")
    parser.add_argument("--spark", action="store_true", help="also time the spark engine once (local[*])")
    parser.add_argument("--json", type=Path, default=HERE / "results" / "batch_score.json")
    args = parser.parse_args()

    load_before = os.getloadavg()
    ticks_before = cpu_ticks()
    with tempfile.TemporaryDirectory() as folder:
        small, large = Path(folder) / "small.parquet", Path(folder) / "large.parquet"
        out = Path(folder) / "out.parquet"
        write_leads(small, args.rows // 4)
        write_leads(large, args.rows)
        startup, startup_cpu = startup_time()
        inf = float("inf")
        best = {"loop": (inf, inf), "python": (inf, inf), "duckdb": (inf, inf), "jobs": (inf, inf)}
        native = inf
        large_rss = 0
        for _ in range(args.rounds):
            wall, cpu, count = bare_loop(large)
            assert count == args.rows
            best["loop"] = (min(best["loop"][0], wall), min(best["loop"][1], cpu))
            wall, cpu, large_rss = run_engine(large, out)
            best["python"] = (min(best["python"][0], wall), min(best["python"][1], cpu))
            if not args.no_duckdb:
                wall, cpu, _ = run_engine(large, Path(folder) / "duck.parquet", engine="duckdb")
                best["duckdb"] = (min(best["duckdb"][0], wall), min(best["duckdb"][1], cpu))
                native = min(native, run_native(large, Path(folder) / "native.parquet"))
            if args.jobs > 1:
                wall, cpu, _ = run_engine(large, out, args.jobs)
                best["jobs"] = (min(best["jobs"][0], wall), min(best["jobs"][1], cpu))
        import pyarrow.parquet as pq

        written = pq.read_metadata(out).num_rows
        same = same_sorted = None
        if not args.no_duckdb:  # the two engines' outputs, compared whole, then in the same row order
            ours, theirs = pq.read_table(out), pq.read_table(Path(folder) / "duck.parquet")
            same = ours.equals(theirs)
            same_sorted = ours.sort_by("lead").equals(theirs.sort_by("lead"))
        spark = None
        if args.spark:  # once, after the rounds: a JVM start and Spark's planning dominate small runs
            spark_out = Path(folder) / "spark.parquet"
            wall, _, spark_rss = run_engine(large, spark_out, engine="spark")
            spark = {"spark_engine_s": wall, "spark_over_python": best["python"][0] / wall,
                     "spark_driver_peak_rss_mb": spark_rss / 2**20,
                     "spark_output_equals_python": pq.read_table(out).equals(pq.read_table(spark_out))}
        _, _, small_rss = run_engine(small, out)
        breakdown = phases(small, Path(folder))
    (loop, loop_cpu), (engine, engine_cpu) = best["loop"], best["python"]
    result: dict[str, Any] = {
        "python": sys.version.split()[0],
        "machine": f"{os.cpu_count()} cores",
        "load_average_before_after": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
        "steal_share": steal_share(ticks_before, cpu_ticks()),
        "policy": "policies/saas_inbound.qual",
        "rows": args.rows,
        "rows_written": written,
        "bare_evaluate_loop_s": loop,
        "bare_evaluate_us_per_lead": loop / args.rows * 1e6,
        "bare_evaluate_cpu_us_per_lead": loop_cpu / args.rows * 1e6,
        "engine_end_to_end_s": engine,
        "engine_us_per_lead": engine / args.rows * 1e6,
        "engine_cpu_us_per_lead": engine_cpu / args.rows * 1e6,
        "process_startup_s": startup,
        "ratio_end_to_end": loop / engine,
        "ratio_end_to_end_cpu": loop_cpu / engine_cpu,
        "ratio_without_startup_cpu": loop_cpu / (engine_cpu - startup_cpu) if engine_cpu > startup_cpu else None,
        "ratio_target": 0.8,
        "peak_rss_small_mb": small_rss / 2**20,
        "peak_rss_large_mb": large_rss / 2**20,
        "rows_small": args.rows // 4,
        "memory_ratio_4x_rows": large_rss / small_rss,
        "memory_target": 1.25,
    }
    if not args.no_duckdb:
        duck, duck_cpu = best["duckdb"]
        result.update({
            "duckdb_engine_s": duck,
            "duckdb_engine_cpu_s": duck_cpu,
            "duckdb_over_python": engine / duck,
            "duckdb_over_python_cpu": engine_cpu / duck_cpu,
            "duckdb_native_write_s": native,
            "duckdb_native_write_over_python": engine / native,
            "duckdb_target": 10.0,
            "duckdb_output_equals_python": same,
            "duckdb_output_equals_python_sorted_by_lead": same_sorted,
        })
    if spark is not None:
        result.update(spark)
    if args.jobs > 1:
        result[f"engine_jobs_{args.jobs}_s"] = best["jobs"][0]
        result[f"ratio_jobs_{args.jobs}"] = loop / best["jobs"][0]
    result["phases_cpu_per_lead_on_small"] = breakdown
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    for key, value in result.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k} {v:.1f}" for k, v in value.items())
        print(f"{key:32} {value:.3f}" if isinstance(value, float) else f"{key:32} {value}")


if __name__ == "__main__":
    main()
