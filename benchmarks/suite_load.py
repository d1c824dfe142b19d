"""Suite-loading benchmark and the libyaml question: `python benchmarks/suite_load.py`
(`--cases N` for the size, `--texts N` for the agreement check).

`qualdsl test` reads a suite with `yamlsource.load`: PyYAML's pure-Python
parser under our composer (depth and alias guards, positions kept). The
candidate speed-up is libyaml's parser (`yaml._yaml.CParser`) feeding the same
composer and constructors. It may only replace the Python parser if it is
exact: every text libyaml accepts must give the same values and the same
marks (they locate every failing expectation and drive `test --update`).

This script measures both on one generated suite (the ratio is what
travels between machines) and then compares them on random texts built from
YAML's own pieces, counting the texts libyaml accepts where the two
disagree. Exit status 0 either way: it records, it does not gate.

Session 4 (`python benchmarks/suite_load.py`, shared 2-core machine at load
~5): 2,000 cases (0.46 MB) took 12.1 s pure Python and 4.5 s with libyaml
events (2.7x), same result on that suite; but of 20,000 random texts libyaml
accepted 3,246, and PyYAML refuses or reads otherwise 391 of them (a tab
after `key:`, a U+FEFF inside the text, `|#`) and gives other marks on 623
more (the end of a mapping at the end of a file without a final newline,
columns after a U+FEFF). Not exact, so `qualdsl test` keeps the Python parser.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

import yaml

from qualdsl.testing import yamlsource

PIECES = ["a", "b: ", ": ", "- ", "\n", "\n  ", "\r\n", "\t", " ", "[", "]", "{", "}", ", ", "'", '"', "\\",
          "\\u00e9", "#", "&x ", "*x", "!!str ", "!!int ", "|", ">", "? ", "---", "...", "1", "0x1F", "2026-11-01",
          "~", "true", "\u00e9", "\U0001f600", "\u2028", "\u0085", "<<: ", "x: 1\n", "- [1, 2]\n", "k: {v: 1}\n",
          "\ufeff", "\u00a0", "|-\n", ">+\n", "  "]


def libyaml_loader() -> type[yamlsource.LocatedLoader] | None:
    """The candidate: libyaml's events under our composer and constructors."""
    try:
        from yaml._yaml import CParser
    except ImportError:
        return None

    class LibyamlLocatedLoader(CParser, yamlsource.LocatedLoader):  # type: ignore[misc,valid-type]
        def __init__(self, stream: str):
            CParser.__init__(self, stream)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)
            yaml.composer.Composer.__init__(self)
            self.depth = 0
            self.aliases = []

        # CParser composes in C, without our guards: compose in Python.
        get_single_node = yaml.composer.Composer.get_single_node
        get_node = yaml.composer.Composer.get_node
        check_node = yaml.composer.Composer.check_node

    return LibyamlLocatedLoader


def suite(cases: int) -> str:
    case = ('  - name: "case {i} \u00e9"\n    lead: {{id: L-{i}, company: {{country: US, employees: {i}, '
            'tech: [a, b, "c"]}}, events: [{{type: demo, at: 2026-10-01}}]}}\n    expect:\n      icp: pass\n'
            '      tier: SQL\n      scores: {{fit: 55, total: ~105.5}}\n')
    return "policy: x.qual\nas_of: 2026-11-01\ncases:\n" + "".join(case.format(i=i) for i in range(cases))


def load(loader_class: type[yamlsource.LocatedLoader], text: str) -> tuple[str, Any]:
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return "ok", None
        loader.check_aliases()
        return "ok", loader.construct_document(node)
    except Exception as error:  # noqa: BLE001  # compared, not judged
        return "error", type(error).__name__
    finally:
        loader.dispose()


def marks(loader_class: type[yamlsource.LocatedLoader], text: str) -> list[tuple[Any, ...]]:
    loader = loader_class(text)
    try:
        root = loader.get_single_node()
    finally:
        loader.dispose()
    found, stack = [], [root] if root is not None else []
    while stack:
        node = stack.pop()
        found.append((node.tag, node.start_mark.index, node.start_mark.line, node.start_mark.column,
                      node.end_mark.index, node.end_mark.line, node.end_mark.column))
        if isinstance(node.value, list):
            for item in reversed(node.value):
                stack.extend(reversed(item) if isinstance(item, tuple) else [item])
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000, help="cases in the generated suite")
    parser.add_argument("--texts", type=int, default=20000, help="random texts for the agreement check")
    args = parser.parse_args(argv)
    candidate = libyaml_loader()
    text = suite(args.cases)
    start = time.perf_counter()
    python = yamlsource.load(text)
    python_seconds = time.perf_counter() - start
    print(f"suite of {args.cases} cases ({len(text) / 1e6:.2f} MB): pure Python {python_seconds:.2f} s")
    if candidate is None:
        print("PyYAML has no libyaml here: nothing to compare")
        return 0
    start = time.perf_counter()
    fast = load(candidate, text)
    fast_seconds = time.perf_counter() - start
    same = fast == ("ok", python) and marks(candidate, text) == marks(yamlsource.LocatedLoader, text)
    print(f"libyaml events {fast_seconds:.2f} s: {python_seconds / fast_seconds:.2f}x, same result: {same}")

    rng = random.Random(1)
    accepted = refused_by_python = other_marks = 0
    for _ in range(args.texts):
        sample = "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 30)))
        fast_result = load(candidate, sample)
        if fast_result[0] != "ok":
            continue  # the Python parser would have the last word on errors
        accepted += 1
        if load(yamlsource.LocatedLoader, sample) != fast_result:
            refused_by_python += 1
        elif marks(candidate, sample) != marks(yamlsource.LocatedLoader, sample):
            other_marks += 1
    print(f"random texts: {args.texts}, libyaml accepts {accepted}; of those PyYAML refuses or reads "
          f"otherwise {refused_by_python}, other marks {other_marks}: "
          f"{'exact' if refused_by_python == other_marks == 0 else 'NOT exact'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
