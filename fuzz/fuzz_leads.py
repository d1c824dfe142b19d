"""atheris harness: arbitrary bytes as a JSON lead, against every bundled policy.

    python fuzz/fuzz_leads.py CORPUS_DIR [libFuzzer options]

Bytes that are not JSON are skipped (reading lead files is the CLI's job and
has its own tests); a JSON value of any shape is evaluated with the test
suite's properties (tests/fuzz/fuzz_properties.py). See fuzz/README.md.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import atheris

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "fuzz"))

with atheris.instrument_imports(include=["qualdsl"]):
    from fuzz_properties import check_lead

    import qualdsl

AS_OF = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
POLICIES = [qualdsl.load(path) for path in sorted((ROOT / "policies").glob("*.qual"))]


def test_one_input(data: bytes) -> None:
    try:
        lead = json.loads(data)
    except (ValueError, RecursionError):  # not JSON, an int past 4,300 digits, nested past the parser
        return
    for policy in POLICIES:
        check_lead(policy, lead, AS_OF)


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
