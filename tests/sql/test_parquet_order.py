"""The duckdb engine keeps input order on Parquet with many row groups and
over several files (DuckDB reads row groups in parallel; the decision
SELECT alone did not keep their order: row 2,048 came out as row 50,000)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import qualdsl

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
duckdb_engine = pytest.importorskip("qualdsl.backends.sql.duckdb_engine")

ROOT = Path(__file__).resolve().parents[2]
AS_OF = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


EXPECTED = [f"L-{part}-{i:05d}" for part in range(2) for i in range(20_000)]


def _parts(folder: Path) -> list[str]:
    paths = []
    for part in range(2):
        rows = [{"id": f"L-{part}-{i:05d}", "company": {"employees": i % 700, "country": "US"}}
                for i in range(20_000)]
        path = folder / f"part{part}.parquet"
        pq.write_table(pa.Table.from_pylist(rows), path, row_group_size=1024)
        paths.append(str(path))
    return paths


def test_rows_keep_their_order_across_row_groups_and_files(tmp_path: Path) -> None:
    policy = qualdsl.load(ROOT / "policies" / "saas_inbound.qual")
    ids = [decision.lead for decision in duckdb_engine.decisions(policy, _parts(tmp_path), as_of=AS_OF)]
    assert ids == EXPECTED


@pytest.mark.parametrize("kind", ["parquet", "csv"])
def test_files_duckdb_writes_keep_input_order(tmp_path: Path, kind: str) -> None:
    """The rows are sorted inside the SELECT, below the text columns, and
    the COPY over it keeps that order (without the sort, DuckDB's parallel
    row groups come out of order)."""
    policy = qualdsl.load(ROOT / "policies" / "saas_inbound.qual")
    out = tmp_path / f"out.{kind}"
    written = duckdb_engine.write_flat(policy, _parts(tmp_path), as_of=AS_OF, output_path=str(out), kind=kind)
    assert written.decisions == len(EXPECTED)
    if kind == "parquet":
        ids = pq.read_table(out, columns=["lead"]).column("lead").to_pylist()
    else:
        import csv

        with out.open(newline="", encoding="utf-8") as handle:
            ids = [row["lead"] for row in csv.DictReader(handle)]
    assert ids == EXPECTED
