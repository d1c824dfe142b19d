"""`qualdsl score --engine spark`: the same output as the python engine, byte
for byte, on the X Education sample with messy rows added, and the same
error records; inputs Spark cannot hold exactly are refused by name."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from .helpers import AS_OF, POLICIES, XEDU, invoke
from budget import THOROUGH

if not THOROUGH:  # minutes of Spark on a shared machine: the ci profile runs it
    pytest.skip("Spark tests run in the ci test profile (QUALDSL_TEST_PROFILE=ci)", allow_module_level=True)
pytest.importorskip("pyspark")
if shutil.which("java") is None:
    pytest.skip("no Java runtime for Spark", allow_module_level=True)

SAMPLE = POLICIES / "data" / "xeducation_sample.csv"
SPARK = ("--engine", "spark", "--spark-master", "local[1]")


def _score(*args: str) -> tuple[int, str, str]:
    result = invoke("score", *args, "--as-of", AS_OF, "--no-progress", "--id-field", "Prospect ID")
    return result.exit_code, result.stdout, result.stderr


def test_spark_equals_python_on_the_export_sample_with_broken_rows(tmp_path: Path) -> None:
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    header, rows = lines[0], lines[1:121]
    messy = [header, *rows[:40], "short,row", *rows[40:80], "another,short,row", *rows[80:]]
    source = tmp_path / "leads.csv"
    source.write_text("\n".join(messy) + "\n", encoding="utf-8")
    outputs = {}
    for engine in ("python", "spark"):
        out, errors = tmp_path / f"{engine}.jsonl", tmp_path / f"{engine}.errors.jsonl"
        extra = SPARK if engine == "spark" else ()
        code, _, stderr = _score(XEDU, str(source), "-o", str(out), "--errors", str(errors), "--max-errors", "5",
                                 *extra)
        assert code == 0, stderr
        outputs[engine] = (out.read_text(encoding="utf-8"), errors.read_text(encoding="utf-8"))
    decisions, errors_text = outputs["spark"]
    assert len(decisions.splitlines()) >= 100
    assert len(errors_text.splitlines()) == 2
    assert outputs["spark"] == outputs["python"]


def test_a_field_holding_two_kinds_is_refused_by_name(tmp_path: Path) -> None:
    source = tmp_path / "leads.jsonl"
    source.write_text(json.dumps({"Prospect ID": "a", "TotalVisits": 3}) + "\n"
                      + json.dumps({"Prospect ID": "b", "TotalVisits": "many"}) + "\n", encoding="utf-8")
    code, stdout, stderr = _score(XEDU, str(source), *SPARK)
    assert code == 2
    assert "`TotalVisits` holds text here and an integer before" in stderr
    assert stdout == "" and "Traceback" not in stderr
