"""atheris harness: arbitrary bytes as a policy file.

    python fuzz/fuzz_policy.py CORPUS_DIR [libFuzzer options]

The bytes go to `qualdsl.loads` (so the size, NUL and UTF-8 checks run);
text that decodes also goes through lint and fmt. The properties are the
test suite's (tests/fuzz/fuzz_properties.py). See fuzz/README.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "fuzz"))

with atheris.instrument_imports(include=["qualdsl"]):
    # qualdsl imports its stages lazily: import them here so they are instrumented.
    import qualdsl.api
    import qualdsl.explain
    import qualdsl.fmt
    import qualdsl.lint.engine
    import qualdsl.runtime  # noqa: F401
    from fuzz_properties import check_policy_text

# Inside policies/ so that `include "shared/common.qual"` resolves.
PATH = ROOT / "policies" / "fuzzed.qual"


def test_one_input(data: bytes) -> None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        check_policy_text(data, path=PATH)
        return
    check_policy_text(text, path=PATH)


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
