"""Large-policy benchmark: `python benchmarks/scale_sizes.py` (`--quick` for a
tenth of the sizes).

The sizes of issue 13 ("amplification and slowness"), each timed as a ratio
against parsing the same text in the same run (the part no stage after the
parser can make cheaper), so the figures travel between machines:

| case                                   | measures              | target            |
|----------------------------------------|-----------------------|-------------------|
| `fmt` of 20,000 rules                  | `format_text(text)`   | < 3 x one parse   |
| `loads` of a 100,000-operand `or`      | `qualdsl.loads(text)` | < 3 x one parse   |

(fmt parses twice by design: once to format, once to prove the result means
the same; everything else it does must fit in the third parse's worth.)
The absolute time is printed too; the targets are the ratios. Lint's sizes
(2,000 rules, an 800-let chain) are in benchmarks/lint_sizes.py.
Exit status 1 when a ratio misses its target.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

import qualdsl
from qualdsl.build import parse_module
from qualdsl.fmt import format_text
from qualdsl.source import Source

TARGET_RATIO = 3.0


def many_rules(count: int) -> str:
    """A policy of `count` when-rules of a few shapes."""
    lines = [
        'policy many_rules "generated"', "", "schema {", "  id: string", "  size: int",
        "  country: string", "  events: events", "}", "", "score fit {",
    ]
    for index in range(count):
        kind = index % 3
        if kind == 0:
            condition = f"size >= {index}"
        elif kind == 1:
            condition = f'country == "C{index}"'
        else:
            condition = f"size between {index} and {index + 10} and country != \"X{index}\""
        lines.append(f"  rule r{index} +{index % 7 + 1} when {condition}")
    lines += ["}", "", "tiers {", "  tier hot when score >= 50", "  tier cold otherwise", "}", ""]
    return "\n".join(lines)


def wide_or(count: int) -> str:
    """One rule whose condition is an `or` of `count` comparisons."""
    condition = " or ".join(f"size == {index}" for index in range(count))
    return (
        'policy wide_or "generated"\n\nschema {\n  id: string\n  size: int\n}\n\n'
        f"score fit {{\n  rule any +1 when {condition}\n}}\n\n"
        "tiers {\n  tier hot when score >= 1\n  tier cold otherwise\n}\n"
    )


def timed(function: Callable[[], object]) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def measure(name: str, text: str, work: Callable[[], object], rounds: int) -> tuple[str, float, float]:
    """(name, seconds, ratio to one parse of the same text); parse and work
    alternate round after round and the best of each counts, so a noisy
    neighbour on a shared machine slows both alike."""
    source = Source(text, f"<{name}>")
    parse_best = work_best = float("inf")
    for _ in range(rounds):
        parse_best = min(parse_best, timed(lambda: parse_module(source)))
        work_best = min(work_best, timed(work))
    return name, work_best, work_best / parse_best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the sizes")
    parser.add_argument("--rounds", type=int, default=2, help="alternations of parse and work (best counts)")
    args = parser.parse_args(argv)
    scale = 10 if args.quick else 1

    rules_text = many_rules(20_000 // scale)
    or_text = wide_or(100_000 // scale)
    qualdsl.loads(wide_or(10))  # warm the grammar cache outside the timings

    results = [
        measure(f"fmt {20_000 // scale} rules", rules_text, lambda: format_text(rules_text), args.rounds),
        measure(f"loads {100_000 // scale}-operand or", or_text, lambda: qualdsl.loads(or_text), args.rounds),
    ]
    failed = False
    print(f"{'case':<28} {'seconds':>8} {'x parse':>8}  target")
    for name, seconds, ratio in results:
        ok = ratio < TARGET_RATIO
        failed |= not ok
        print(f"{name:<28} {seconds:8.2f} {ratio:8.2f}  < {TARGET_RATIO:g} {'ok' if ok else 'MISSED'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
