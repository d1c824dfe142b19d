"""batch's Parquet fast paths: nested Arrow values assembled column by column
(inputs.python_values) and decisions encoded and written as columns
(outputs.FlatRows.many, ArrowRows.many, ParquetWriter.write_many) give exactly what the
value-by-value paths give."""

from __future__ import annotations

import gc
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qualdsl.batch.inputs import Batch, python_values
from qualdsl.batch.outputs import FlatRows, ParquetWriter, encoder

from .helpers import AS_OF, SAAS, invoke, saas_leads
from budget import examples

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

EVENT = pa.struct([("type", pa.string()), ("at", pa.string()), ("n", pa.int64())])
NESTED = pa.struct([("name", pa.string()), ("tags", pa.list_(pa.string())), ("events", pa.list_(EVENT)),
                    ("inner", pa.struct([("x", pa.float64()), ("ok", pa.bool_())]))])

texts = st.none() | st.text(max_size=4)
events = st.none() | st.fixed_dictionaries({"type": texts, "at": texts, "n": st.none() | st.integers(-5, 5)})
inner = st.none() | st.fixed_dictionaries(
    {"x": st.none() | st.floats(allow_nan=False), "ok": st.none() | st.booleans()}
)
nested = st.none() | st.fixed_dictionaries({
    "name": texts, "tags": st.none() | st.lists(texts, max_size=3),
    "events": st.none() | st.lists(events, max_size=3), "inner": inner})


def typed_repr(value: Any) -> str:
    """Equal values of different types (1, 1.0, True) stay different."""
    return repr(value) if not isinstance(value, (list, dict)) else (
        "[" + ",".join(map(typed_repr, value)) + "]" if isinstance(value, list)
        else "{" + ",".join(f"{k!r}:{typed_repr(v)}" for k, v in value.items()) + "}")


@settings(max_examples=examples(60), deadline=None)
@given(st.lists(nested, max_size=12), st.integers(0, 6), st.integers(0, 6))
def test_python_values_is_to_pylist_for_nested_nullable_and_sliced_arrays(values, start, length) -> None:
    array = pa.array(values, NESTED)
    for case in (array, array.slice(min(start, len(array)), length)):
        assert typed_repr(python_values(case, pa)) == typed_repr(case.to_pylist())
        lists = pa.array([None if v is None else v["tags"] for v in values], pa.list_(pa.string()))
        assert python_values(lists, pa) == lists.to_pylist()
        large = lists.cast(pa.large_list(pa.string()))
        assert python_values(large, pa) == large.to_pylist()


def test_a_batch_makes_the_leads_pyarrow_makes_with_duplicate_and_empty_names() -> None:
    records = pa.record_batch([pa.array(["a", None]), pa.array([1, 2]), pa.array([{"": 1}, None],
                                                                                pa.struct([("", pa.int64())]))],
                              names=["id", "id", "s"])
    expected = [dict(zip(records.schema.names, row)) for row in zip(*(c.to_pylist() for c in records.columns))]
    assert Batch("x", 1, records).leads() == expected == [{"id": 1, "s": {"": 1}}, {"id": 2, "s": None}]
    assert Batch("x", 1, pa.record_batch([], names=[])).leads() == []


def test_columns_of_a_chunk_are_the_rows_one_by_one(saas_policy, tmp_path: Path) -> None:
    decisions = [saas_policy.evaluate(lead, as_of=AS_OF) for lead in saas_leads() * 3]
    decisions.append(decisions[0]._replace(warnings=["w"], reasons=["r", "s"], tier=None, route=None))
    flat = FlatRows(saas_policy.blocks, saas_policy.hash)
    assert [list(row) for row in zip(*flat.many(decisions))] == [flat.row(d) for d in decisions]
    # rows written one by one, then as columns, then one by one: the file keeps that order
    writer = ParquetWriter(str(tmp_path / "o.parquet"), saas_policy.blocks, saas_policy.hash)
    writer.write(decisions[0])
    writer.write_many(writer.encoder.many(decisions[1:4]))
    writer.write(decisions[4])
    writer.close()
    leads = pq.read_table(tmp_path / "o.parquet").column("lead").to_pylist()
    assert leads == [d.lead for d in decisions[:5]]


def test_parquet_in_one_process_writes_what_evaluate_decides_and_restores_the_collector(tmp_path: Path,
                                                                                      saas_policy) -> None:
    base = saas_leads()
    leads = [{**base[i % len(base)], "id": f"P-{i:05d}"} for i in range(5000)]  # more than one batch
    events = pa.list_(pa.struct([("type", pa.string()), ("at", pa.string())]))
    table = pa.Table.from_pylist([{"id": lead["id"], "events": lead.get("events")} for lead in leads],
                                 schema=pa.schema([("id", pa.string()), ("events", events)]))
    pq.write_table(table, tmp_path / "in.parquet")
    assert gc.isenabled()
    frozen = gc.get_freeze_count()
    result = invoke("score", SAAS, str(tmp_path / "in.parquet"), "--as-of", AS_OF, "-o", str(tmp_path / "o.parquet"))
    assert result.exit_code == 0, result.output
    assert gc.isenabled() and gc.get_freeze_count() == frozen
    out = pq.read_table(tmp_path / "o.parquet")
    expected = [saas_policy.evaluate({"id": lead["id"], "events": lead.get("events")}, as_of=AS_OF) for lead in leads]
    assert out.column("lead").to_pylist() == [d.lead for d in expected]
    assert out.column("score_total").to_pylist() == [d.total for d in expected]
    assert [json.loads(r) for r in out.column("rules").to_pylist()] == [[r.to_dict() for r in d.rules]
                                                                        for d in expected]
    assert "5,000 rows read" in result.stderr


def test_chunk_counts_tiers_and_routes_like_one_by_one() -> None:
    from qualdsl.batch.cli import _Counts

    one, many = _Counts(), _Counts()
    tiers, routes = ["a", None, "b", "a"], [None, "x", "x", None]
    for tier, route in zip(tiers, routes):
        one.add(tier, route)
    many.add_many(tiers, routes)
    assert (many.decisions, many.tiers, many.routes) == (one.decisions, one.tiers, one.routes)
    assert many.tiers["(none)"] == 1 and many.routes["(none)"] == 2
    for kind in ("parquet", "csv", "jsonl"):
        tiers, routes, _ = encoder(kind, ("fit",), "h").chunk([])
        assert (list(tiers), list(routes)) == ([], [])

