"""atheris harness: arbitrary bytes as a JSON lead, against every bundled policy.

    python fuzz/fuzz_leads.py CORPUS_DIR [libFuzzer options]

A JSON value of any shape is evaluated; bytes that are not JSON become the
text of a lead's usual string fields. Either is evaluated with the test
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
    import qualdsl

    # qualdsl imports its stages lazily: import them here so they are instrumented.
    import qualdsl.api
    import qualdsl.explain
    import qualdsl.fmt
    import qualdsl.lint.engine
    import qualdsl.runtime
    from fuzz_properties import check_lead

AS_OF = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
POLICIES = [qualdsl.load(path) for path in sorted((ROOT / "policies").glob("*.qual"))]


def test_one_input(data: bytes) -> None:
    try:
        lead = json.loads(data)
    except (ValueError, RecursionError):  # not JSON, an int past 4,300 digits, nested past the parser
        text = data.decode("utf-8", "surrogateescape")  # bad bytes become lone surrogates
        lead = {"id": text, "company": {"domain": text, "country": text, "industry": text},
                "person": {"email": text, "title": text}, "events": [{"type": text, "at": text}]}
    for policy in POLICIES:
        check_lead(policy, lead, AS_OF)


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
