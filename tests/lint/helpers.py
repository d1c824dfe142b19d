"""Shared by the lint tests: where the fixtures are and how they are marked."""

from __future__ import annotations

import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
ROOT = HERE.parents[1]
MARKER = re.compile(r"#\s*expect:\s*(?P<codes>QD\d+(?:\s*,\s*QD\d+)*)")


def fixture_files() -> list[Path]:
    return sorted(FIXTURES.glob("*.qual"))


def expected(path: Path) -> set[tuple[int, str]]:
    """(line, code) for every `# expect: QD101` marker in a fixture."""
    marks = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        found = MARKER.search(line)
        if found:
            marks.update((number, code.strip()) for code in found.group("codes").split(","))
    return marks
