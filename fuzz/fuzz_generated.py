"""atheris harness driving the hypothesis strategies: libFuzzer's coverage
feedback chooses the draws of `tests/fuzz` generated-policy property
(policy text from the grammar, then hostile leads against it).

    python fuzz/fuzz_generated.py CORPUS_DIR [libFuzzer options]

See fuzz/README.md.
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
    import test_fuzz_policies


def main() -> None:
    atheris.Setup(sys.argv, test_fuzz_policies.test_generated_policies.hypothesis.fuzz_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
