"""`eval --leads` streams: answers piped leads as they come, sums up warnings."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
from pathlib import Path

import pytest

from .helpers import AS_OF, ROOT, SAAS, XEDU, invoke, jsonl, saas_leads


def test_piped_leads_are_answered_one_by_one() -> None:
    """Each decision is printed and flushed before the next lead is read:
    the second lead is written only after the first answer arrived."""
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    process = subprocess.Popen(
        [sys.executable, "-m", "qualdsl", "eval", SAAS, "--leads", "-", "--as-of", AS_OF],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert process.stdin is not None and process.stdout is not None
    try:
        for lead in saas_leads()[:3]:
            process.stdin.write((json.dumps(lead) + "\n").encode())
            process.stdin.flush()
            ready, _, _ = select.select([process.stdout], [], [], 30)
            assert ready, "no decision before the next lead was sent"
            decision = json.loads(process.stdout.readline())
            assert decision["lead"] == lead["id"]
        process.stdin.close()
        assert process.wait(timeout=30) == 0
    finally:
        process.kill()
        process.wait()


def test_a_summary_of_warnings_per_field_and_strict_warnings(tmp_path: Path) -> None:
    leads = [{"id": "A", "company": {"employees": "n/a"}}, {"id": "B", "company": {"employees": "lots"},
             "events": [{"type": "x"}]}, {"id": "C", "company": {"employees": 50}}]
    text = "".join(json.dumps(lead) + "\n" for lead in leads)
    result = invoke("eval", SAAS, "--as-of", AS_OF, "--leads", "-", input=text)
    assert result.exit_code == 0
    assert "warnings in 2 leads of 3 (per field: company.employees 2, events 1)" in result.stderr
    strict = invoke("eval", SAAS, "--as-of", AS_OF, "--leads", "-", "--strict-warnings", input=text)
    assert strict.exit_code == 1 and strict.stdout == result.stdout
    clean = invoke("eval", SAAS, "--as-of", AS_OF, "--leads", "-", "--strict-warnings",
                   input=json.dumps(leads[2]) + "\n")
    assert clean.exit_code == 0 and "1 lead decided, no warnings" in clean.stderr


def test_csv_on_stdin_with_json_cells_and_id_field() -> None:
    text = ('Lead Ref,company.tech,company.employees\n'
            'R-1,"[""salesforce"", ""slack""]",500\n')
    result = invoke("eval", SAAS, "--as-of", AS_OF, "--leads", "-", "--input-format", "csv",
                    "--id-field", "Lead Ref", input=text)
    assert result.exit_code == 0, result.output
    (decision,) = jsonl(result.stdout)
    assert decision["lead"] == "R-1"
    fired = {r["rule"] for r in decision["rules"] if r["fired"]}
    assert "uses_salesforce" in fired  # the JSON cell became a list


def test_eval_on_the_real_export_with_the_prospect_id() -> None:
    sample = ROOT / "policies" / "data" / "xeducation_sample.csv"
    result = invoke("eval", XEDU, "--leads", str(sample), "--as-of", AS_OF, "--id-field", "Prospect ID")
    assert result.exit_code == 0, result.output
    decisions = jsonl(result.stdout)
    assert len(decisions) == 300
    assert decisions[0]["lead"] == sample.read_text(encoding="utf-8").splitlines()[1].split(",")[0]


def test_lone_surrogates_and_u2028_in_leads_print_as_strict_json() -> None:
    text = '{"id": "x\\ud800", "person": {"title": "a\u2028b"}}\n{"id": "y"}\n'
    result = invoke("eval", SAAS, "--as-of", AS_OF, input=text)
    assert result.exit_code == 0, result.output
    assert [d["lead"] for d in jsonl(result.stdout)] == ["x\ud800", "y"]
    explained = invoke("explain", SAAS, "--as-of", AS_OF, "--leads", "-", input=text)
    assert explained.exit_code == 0 and "x\\ud800" in explained.stdout


def test_a_json_array_on_stdin_is_recognised() -> None:
    text = json.dumps([{"id": "A"}, {"id": "B"}], indent=2)
    result = invoke("eval", SAAS, "--as-of", AS_OF, "--leads", "-", input=text)
    assert result.exit_code == 0, result.output
    assert [d["lead"] for d in jsonl(result.stdout)] == ["A", "B"]


def test_a_binary_leads_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "leads.jsonl"
    path.write_bytes(b"\x00" * 100)
    result = invoke("eval", SAAS, "--as-of", AS_OF, "--leads", str(path))
    assert result.exit_code == 1
    assert "leads.jsonl: file is binary" in result.stderr and "Traceback" not in result.output


# Peak RSS measured inside the process (VmHWM of its own memory map):
# wait4's ru_maxrss would include the parent's memory copied at fork.
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


def _peak_rss(lines: int) -> int:
    """Peak RSS (KiB) of `eval --leads -` fed `lines` leads through a pipe."""
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    process = subprocess.Popen(
        [sys.executable, "-c", PEAK, "eval", SAAS, "--leads", "-", "--as-of", AS_OF],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    assert process.stdin is not None and process.stderr is not None
    base = saas_leads()
    padding = "x" * 2000  # ~2 KB a lead: 15,000 leads are 30 MB of input
    for index in range(lines):
        lead = dict(base[index % len(base)], id=f"L{index}", _note=padding)
        process.stdin.write((json.dumps(lead) + "\n").encode())
    process.stdin.close()
    stderr = process.stderr.read().decode()
    assert process.wait() == 0, stderr
    return int(stderr.rsplit("PEAK_RSS_KB ", 1)[1].split()[0])


@pytest.mark.slow  # 15,000 leads in a child process: the size is the point
def test_eval_memory_does_not_grow_with_the_input() -> None:
    if not os.path.exists("/proc/self/status"):
        pytest.skip("needs /proc")
    small, large = _peak_rss(1_000), _peak_rss(15_000)
    # Holding 15x the leads (30 MB of text, more as objects) would show; streaming stays flat.
    assert large < small * 1.2, (small, large)
