"""The duckdb engine's compiled SELECT alone: `python benchmarks/duckdb_select.py`.

On the batch benchmark's typed Parquet leads (benchmarks/batch_score.py:
STRUCT columns, a LIST of event STRUCTs with TIMESTAMP `at`) and the
contract's policy, in one DuckDB thread (CPU time is what a busy machine
disturbs least): the engine's own statement — decide every lead and write
the flat rows to Parquet (`COPY`, sorted into input order) — against a
baseline in the same run, the same `COPY` of the leads themselves (read and
write Parquet, sorted the same way). Reports the planning time, CPU µs per
lead beyond planning, and the ratio to the baseline. Rounds alternate; the
best of each is kept.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

import batch_score

import qualdsl
from qualdsl.backends.sql import duckdb_engine as de

AS_OF = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    policy = qualdsl.load(batch_score.POLICY)
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "leads.parquet"
        batch_score.write_leads(source, args.rows)
        out = os.path.join(folder, "out.parquet")
        best = {"decide": 1e9, "baseline": 1e9, "plan": 1e9}
        size = 0
        for _ in range(args.rounds):
            connection = de.connect()
            connection.execute(f"SET threads = {args.threads}")
            _, sql = de._query(policy, [str(source)], AS_OF, None, flat=True, connection=connection)
            size = len(sql)
            start = cpu()
            connection.execute("EXPLAIN " + sql).fetchall()
            best["plan"] = min(best["plan"], cpu() - start)
            start = cpu()
            connection.execute(f"COPY ({sql}) TO {de._literal(out)} (FORMAT parquet)")
            best["decide"] = min(best["decide"], cpu() - start)
            start = cpu()
            baseline = f"SELECT * EXCLUDE ({de.ROW}) FROM leads ORDER BY {de.ROW}"  # noqa: S608  # constant names
            connection.execute(f"COPY ({baseline}) TO {de._literal(out)} (FORMAT parquet)")
            best["baseline"] = min(best["baseline"], cpu() - start)
    per_lead = (best["decide"] - best["plan"]) * 1e6 / args.rows
    print(f"rows                      {args.rows}")
    print(f"threads                   {args.threads}")
    print(f"load_average              {os.getloadavg()[0]:.2f}")
    print(f"sql_chars                 {size}")
    print(f"plan_cpu_s                {best['plan']:.3f}")
    print(f"decide_copy_cpu_s         {best['decide']:.3f}")
    print(f"decide_us_per_lead        {per_lead:.2f}  (beyond planning)")
    print(f"baseline_copy_cpu_s       {best['baseline']:.3f}  (read and write the leads alone)")
    print(f"decide_over_baseline      {best['decide'] / best['baseline']:.2f}")


if __name__ == "__main__":
    main()
