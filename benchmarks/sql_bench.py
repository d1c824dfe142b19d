"""The duckdb engine against the python engine, end to end on typed Parquet.

    PYTHONPATH=src python benchmarks/sql_bench.py            # 20,000 leads
    PYTHONPATH=src python benchmarks/sql_bench.py --rows 1000000

Both engines read the same Parquet file (nested STRUCTs, a LIST of event
STRUCTs), decide saas_inbound as of one moment, and write flat Parquet rows.
The python engine is the plain loop batch runs in one process (pyarrow
batches -> Policy.evaluate -> pyarrow). Prints the ratio of the two times, in
one run; the decisions of both are checked equal on a sample first.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

import qualdsl
from qualdsl.backends.sql.duckdb_engine import decisions, score_duckdb

ROOT = Path(__file__).resolve().parents[1]
AS_OF = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
UTC = dt.UTC


def typed_lead(rng: random.Random, index: int) -> dict[str, Any]:
    events = [
        {"type": rng.choice(["demo_request", "webinar_attended", "email_click", "email_click", "pricing_view"]),
         "at": AS_OF - dt.timedelta(minutes=rng.randrange(0, 200 * 24 * 60))}
        for _ in range(rng.randrange(0, 12))
    ]
    return {
        "id": f"L-{index}",
        "source": rng.choice(["demo_form", "webinar", "organic"]),
        "company": {
            "domain": rng.choice(["acme.io", "globex.com", "gmail.com"]),
            "industry": rng.choice(["software", "Software", "fintech", "agency", "retail"]),
            "employees": rng.choice([None, rng.randrange(1, 20000)]),
            "country": rng.choice(["US", "CA", "GB", "DE", "BR", "us"]),
            "region": rng.choice(["east", "west", "EAST"]),
            "tech": rng.sample(["salesforce", "Salesforce", "hubspot", "slack"], rng.randrange(0, 3)),
        },
        "person": {
            "email": f"p{index}@" + rng.choice(["acme.io", "gmail.com", "globex.com"]),
            "title": rng.choice(["VP Sales", "CTO", "Student Intern", "Engineer"]),
            "seniority": rng.choice(["director", "vp", "cxo", "manager"]),
        },
        "events": events,
    }


def write_leads(path: Path, rows: int) -> None:
    rng = random.Random(2026)
    writer = None
    for start in range(0, rows, 50_000):
        table = pa.Table.from_pylist([typed_lead(rng, i) for i in range(start, min(rows, start + 50_000))])
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
    assert writer is not None
    writer.close()


def python_engine(policy: Any, source: Path, target: Path) -> int:
    """Read Parquet batches, evaluate each lead, write flat Parquet rows."""
    blocks = [b.name for b in policy.ir.blocks]
    written = 0
    writer = None
    for batch in pq.ParquetFile(source).iter_batches(batch_size=10_000):
        rows = []
        for lead in batch.to_pylist():
            d = policy.evaluate(lead, as_of=AS_OF)
            rows.append({
                "policy": d.policy, "policy_hash": policy.hash, "lead": d.lead, "as_of": d.as_of,
                "icp_pass": d.icp_pass, "icp_reasons": json.dumps(d.reasons, ensure_ascii=False),
                **{f"score_{b}": d.scores[b] for b in blocks}, "score_total": d.scores["total"],
                "tier": d.tier, "route": d.route,
                "rules": "[" + ",".join(json.dumps(r.to_dict()) for r in d.rules) + "]",
                "warnings": json.dumps(d.warnings, ensure_ascii=False),
            })
        table = pa.Table.from_pylist(rows)
        writer = writer or pq.ParquetWriter(target, table.schema)
        writer.write_table(table)
        written += len(rows)
    if writer is not None:
        writer.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    args = parser.parse_args(argv)
    policy = qualdsl.load(ROOT / "policies" / "saas_inbound.qual")
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "leads.parquet"
        write_leads(source, args.rows)
        # Same decisions first (a sample), so the timing compares equals.
        sample = Path(tmp) / "sample.parquet"
        write_leads(sample, 2_000)
        sql = [d.to_dict() for d in decisions(policy, [str(sample)], as_of=AS_OF)]
        py = [policy.evaluate(lead, as_of=AS_OF).to_dict() for lead in pq.read_table(sample).to_pylist()]
        assert json.dumps(sql) == json.dumps(py), "the engines disagree"
        started = time.perf_counter()
        n_py = python_engine(policy, source, Path(tmp) / "py.parquet")
        python_seconds = time.perf_counter() - started
        started = time.perf_counter()
        n_sql = score_duckdb(policy, [str(source)], as_of=AS_OF, output_path=str(Path(tmp) / "sql.parquet"))
        duckdb_seconds = time.perf_counter() - started
    assert n_py == n_sql == args.rows
    print(f"rows {args.rows}: python engine {python_seconds:.2f}s ({args.rows / python_seconds:,.0f} rows/s), "
          f"duckdb engine {duckdb_seconds:.2f}s ({args.rows / duckdb_seconds:,.0f} rows/s), "
          f"ratio {python_seconds / duckdb_seconds:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
