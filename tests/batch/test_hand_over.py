"""A SQL engine that meets a lead it cannot decide exactly (an int beyond 64
bits: tests/sql/test_cannot_hold.py) hands the input to the python engine:
the output is the python engine's, byte for byte, in every format, and
stderr says why. Rows already written are not written again."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

import qualdsl
from qualdsl.batch import engines
from qualdsl.batch.engines import Chunk, HandOver, PythonEngine, ScoreJob, handing_over

from .helpers import AS_OF, invoke

pytest.importorskip("duckdb")
pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

POLICY = """
policy p
schema { id: string  n: int  x: number }
score fit {
  rule big 10 when n > 5
  rule thirds 2 when x > 1
}
tiers { tier A when score > 5  tier B otherwise }
route { to "q" when tier == A  to "r" otherwise }
"""
NOTE = ("note: the duckdb engine cannot hold n = 99999999999999999999 (an int beyond 64 bits); "
        "the python engine decides the rest of the input, exactly")


def leads(count: int, big_at: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = [{"id": f"L{i}", "n": str(i % 9), "x": i / 3} for i in range(count)]
    rows[big_at]["n"] = "99999999999999999999"
    return rows


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    path = tmp_path / "p.qual"
    path.write_text(POLICY, encoding="utf-8")
    return path


def _inputs(tmp_path: Path, rows: list[dict[str, Any]]) -> dict[str, Path]:
    jsonl = tmp_path / "leads.jsonl"
    jsonl.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    parquet = tmp_path / "leads.parquet"
    pq.write_table(pa.Table.from_pylist(rows), parquet, row_group_size=7_000)
    return {"jsonl": jsonl, "parquet": parquet}


@pytest.mark.parametrize("output", ["out.jsonl", "out.csv", "out.parquet", None])
@pytest.mark.parametrize("source", ["jsonl", "parquet"])
def test_the_duckdb_engine_hands_over_and_the_output_is_the_python_engines(tmp_path, policy_file, source, output):
    # The value far into the input. DuckDB sorts the rows into input order, so it stops before
    # giving any; skipping rows already given is tested below, with an engine that gives some.
    paths = _inputs(tmp_path, leads(30_000, big_at=26_001))
    outputs = {}
    for engine in ("python", "duckdb"):
        args = ["score", str(policy_file), str(paths[source]), "--as-of", AS_OF, "--engine", engine]
        target = tmp_path / f"{engine}-{output}" if output else None
        result = invoke(*args, *(["-o", str(target)] if target else []))
        assert result.exit_code == 0, result.output
        assert (NOTE in result.stderr) == (engine == "duckdb"), result.stderr
        assert "30,000 decisions written" in result.stderr
        if target is None:
            outputs[engine] = result.stdout.encode("utf-8")
        elif output == "out.parquet":
            outputs[engine] = pq.read_table(target)
        else:
            outputs[engine] = target.read_bytes()
    if output == "out.parquet":
        assert outputs["duckdb"].equals(outputs["python"])
    else:
        assert outputs["duckdb"] == outputs["python"]
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".qualdsl-")]  # no temporary left


def _head(rows: Any, count: int) -> Any:
    if type(rows) is bytes:
        return b"".join(rows.splitlines(keepends=True)[:count])
    if type(rows) is list:
        return rows[:count]
    return rows.slice(0, count)


class _GivesThenHandsOver:
    """An engine that gives the python engine's first `given` rows (as one
    chunk, cut from its first), then hands over."""

    def __init__(self, given: int) -> None:
        self.given = given

    def run(self, job: ScoreJob, policy: Any) -> Any:
        if self.given:
            first = next(iter(PythonEngine().run(job, policy)))
            assert type(first) is Chunk and len(first.tiers) > self.given
            yield Chunk(first.tiers[:self.given], first.routes[:self.given], _head(first.rows, self.given))
        raise HandOver("the test engine cannot hold it")


def _flatten(results: Any) -> list[Any]:
    """Per row: (tier, route, encoded row), whatever the results' grouping."""
    rows: list[Any] = []
    for result in results:
        if type(result) is Chunk:
            encoded = result.rows
            if type(encoded) is bytes:
                encoded = encoded.splitlines(keepends=True)
            elif type(encoded) is not list:
                encoded = encoded.to_pylist()
            rows.extend(zip(result.tiers, result.routes, encoded, strict=True))
        elif type(result) is tuple:
            rows.append(result)
        else:
            rows.append(result.to_dict() if isinstance(result, qualdsl.Decision) else ("error", result.line))
    return rows


@pytest.mark.parametrize("kind", ["jsonl", "csv", "parquet"])
def test_rows_given_before_the_hand_over_are_skipped_inside_a_chunk(tmp_path, policy_file, kind):
    """Parquet input reaches the python engine as chunks: a hand-over after
    part of its first chunk skips that part of it, and every row comes
    exactly once."""
    paths = _inputs(tmp_path, leads(10_000, big_at=9_000))
    policy = qualdsl.load(policy_file)
    job = ScoreJob(str(policy_file), None, (str(paths["parquet"]),), None, dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
                   encoding=(kind, policy.blocks, policy.hash))
    want = _flatten(PythonEngine().run(job, policy))
    first = next(iter(PythonEngine().run(job, policy)))
    assert type(first) is Chunk  # else this test tests nothing
    notes: list[str] = []
    for given in (0, 1, len(first.tiers) // 2 + 1):
        got = _flatten(handing_over(_GivesThenHandsOver(given).run(job, policy), job, policy, notes.append))
        assert len(got) == len(want) == 10_000
        assert got == want
    assert notes == ["note: the test engine cannot hold it; "
                     "the python engine decides the rest of the input, exactly"] * 3


def test_skipping_counts_single_results_and_slices_each_encoding():
    assert engines._rows_after(b'{"a":1}\n{"a":2}\n{"a":3}\n', 2) == b'{"a":3}\n'
    assert engines._rows_after([[1], [2], [3]], 1) == [[2], [3]]
    batch = pa.RecordBatch.from_pylist([{"a": 1}, {"a": 2}, {"a": 3}])
    assert engines._rows_after(batch, 1).to_pylist() == [{"a": 2}, {"a": 3}]


def test_without_pyarrow_a_parquet_input_cannot_be_taken_over_and_says_what_to_install(tmp_path, policy_file,
                                                                                      monkeypatch):
    import importlib.util

    paths = _inputs(tmp_path, leads(100, big_at=50))
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "pyarrow" else real(name, *a))
    for output in ("out.jsonl", "out.parquet"):
        result = invoke("score", str(policy_file), str(paths["parquet"]), "--as-of", AS_OF, "--engine", "duckdb",
                        "-o", str(tmp_path / output))
        assert result.exit_code == 2, result.output
        assert ("error: the duckdb engine cannot hold n = 99999999999999999999 (an int beyond 64 bits); the python "
                "engine, which decides such leads, reads Parquet with pyarrow: pip install 'qualdsl[parquet]'"
                in result.stderr), result.stderr
        assert not (tmp_path / output).exists()


def test_a_construct_the_dialect_refuses_hands_the_policy_to_the_python_engine(tmp_path):
    # `compile` refuses it, located; `score` names it and decides with Python.
    policy = tmp_path / "p.qual"
    policy.write_text('policy p\nschema {\n  id: string\n  s: string\n}\n'
                      'icp {\n  require s != "a\\ud800" else "x"\n}\n', encoding="utf-8")
    source = tmp_path / "leads.jsonl"
    source.write_text('{"id": "1", "s": "b"}\n{"id": "2"}\n', encoding="utf-8")
    compiled = invoke("compile", str(policy), "--target", "sql")
    assert compiled.exit_code == 1
    assert f'{policy}:7:11: error: the text "a\\ud800" (it holds a lone surrogate' in compiled.stderr
    outputs = {}
    for engine in ("python", "duckdb"):
        result = invoke("score", str(policy), str(source), "--as-of", AS_OF, "--engine", engine)
        assert result.exit_code == 0, result.stderr
        outputs[engine] = result.stdout
    assert (f'note: {policy}:7:11: the text "a\\ud800" (it holds a lone surrogate, half a UTF-16 pair) cannot be '
            "compiled exactly to duckdb SQL; the python engine decides the rest of the input, exactly"
            in result.stderr)
    assert outputs["duckdb"] == outputs["python"] and len(outputs["python"].splitlines()) == 2
