"""`qualdsl score` as the outside checker runs it: generated policies over
generated messy leads, written as a JSONL file and as a CSV export (nested
keys flattened to dotted headers, lists and objects as JSON cells), scored
by the python and the duckdb engines. The decisions file (`.jsonl`, and
`.csv`, which DuckDB writes itself), the `--errors` records and the exit
status are the same bytes on both.

What this found, fixed with a regression test each in
tests/sql/test_engine_inputs.py: DuckDB read a lone JSON column as the whole
line (every lead of a policy reading only `id` was null), and read on past
a NUL byte the python reader refuses as binary.

Leads nested more than 400 levels are left out: JSON nested about 1,000
deep is the one known difference (docs/scoring.md)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import fuzz_budget
import pytest
from click.testing import CliRunner
from fuzz_budget import fuzz_settings, no_hang
from hypothesis import assume, given, settings

import qualdsl
from qualdsl.cli import cli

import fuzz_strategies as fs

pytestmark = pytest.mark.fuzz
pytest.importorskip("duckdb")

LEADS_PER_FILE = 8
MAX_DEPTH = 400


def depth(value: Any) -> int:
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if isinstance(item, dict):
            stack.extend((v, level + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, level + 1) for v in item)
    return deepest


def as_jsonl(leads: list[Any], path: Path) -> bool:
    try:
        text = "".join(json.dumps(lead, allow_nan=True) + "\n" for lead in leads)
        path.write_text(text, encoding="utf-8")
    except (ValueError, UnicodeEncodeError):  # an int Python cannot print; a lone surrogate in a key
        return False
    return True


def _flat(prefix: str, value: Any, row: dict[str, str]) -> None:
    if isinstance(value, dict) and value:
        for key, item in value.items():
            _flat(f"{prefix}.{key}" if prefix else key, item, row)
    else:
        row[prefix] = "" if value is None else value if isinstance(value, str) else json.dumps(value, allow_nan=True)


def as_csv(leads: list[Any], path: Path) -> bool:
    """Each lead an export row; a header a reader takes (no backticks, line breaks or NULs)."""
    rows: list[dict[str, str]] = []
    for lead in leads:
        row: dict[str, str] = {}
        if isinstance(lead, dict):
            try:
                _flat("", lead, row)
            except ValueError:  # an int Python cannot print
                return False
        rows.append(row)
    names = list(dict.fromkeys(k for row in rows for k in row
                               if k and "`" not in k and not any(c in k for c in "\r\n\x00")))
    if not names:
        return False
    try:
        with path.open("w", encoding="utf-8", newline="") as file:
            writer = csv.DictWriter(file, fieldnames=names, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)
    except (ValueError, UnicodeEncodeError):
        return False
    return True


def score(tmp: Path, policy: Path, source: Path, engine: str, output: str) -> tuple[int, bytes | None, bytes, str]:
    target, errors = tmp / f"{engine}-{output}", tmp / f"{engine}-{output}.errors"
    result = CliRunner().invoke(cli, ["--color", "never", "score", str(policy), str(source), "--as-of",
                                      "2026-11-01", "--engine", engine, "-o", str(target), "--errors", str(errors),
                                      "--no-progress"])
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr, result.stderr
    written = target.read_bytes() if target.exists() else None
    # A usage error (exit 2) says why; its wording is each engine's own only in "note:" lines.
    reason = "".join(line for line in result.stderr.splitlines(True) if line.startswith("error:"))
    return result.exit_code, written, errors.read_bytes(), reason


# The quick run (CI's) draws the same examples every time: in 360 random
# examples one CSV case differed and did not recur (an open lead, see the
# issue note); `-m fuzz` draws new ones.
@settings(fuzz_settings(weight=0.5), derandomize=not fuzz_budget.long_run)
@given(data=fs.st.data())
def test_score_writes_the_same_bytes_on_the_python_and_duckdb_engines(tmp_path_factory: Any,
                                                                      data: fs.st.DataObject) -> None:
    text = data.draw(fs.policies(), label="policy")
    try:
        policy = qualdsl.loads(text)
    except qualdsl.QualError:
        assume(False)
    fields = tuple((policy.schema or {}).keys())
    leads = [data.draw(fs.leads(fields), label="lead") for _ in range(LEADS_PER_FILE)]
    leads = [lead for lead in leads if depth(lead) <= MAX_DEPTH]
    tmp = tmp_path_factory.mktemp("score")
    policy_path = tmp / "p.qual"
    try:
        policy_path.write_text(text, encoding="utf-8")
    except UnicodeEncodeError:
        assume(False)
    for name, write in (("leads.jsonl", as_jsonl), ("leads.csv", as_csv)):
        source = tmp / name
        if not write(leads, source):
            continue
        for output in ("out.jsonl", "out.csv"):
            with no_hang(60):
                python = score(tmp, policy_path, source, "python", output)
                duckdb = score(tmp, policy_path, source, "duckdb", output)
            assert duckdb == python, (name, output)
