"""An installed (non-editable) wheel carries the grammar and works anywhere."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # builds and installs a wheel

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("hatchling")
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(out), str(ROOT)],
        check=True, capture_output=True,
    )
    (built,) = out.glob("qualdsl-*.whl")
    return built


def test_wheel_contains_grammar_types_and_entry_points(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "qualdsl/grammar/qualdsl.lark" in names
    assert "qualdsl/py.typed" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "qualdsl = qualdsl.cli:main" in text
    assert "qualdsl = qualdsl.highlight:QualdslLexer" in text
    packaged = zipfile.ZipFile(wheel).read("qualdsl/grammar/qualdsl.lark").decode()
    assert packaged == (ROOT / "grammar" / "qualdsl.lark").read_text(encoding="utf-8")


def test_installed_wheel_checks_and_evaluates_from_another_directory(wheel: Path, tmp_path: Path) -> None:
    # The wheel's files first on the path, ahead of the editable install;
    # dependencies still come from this environment.
    target = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(target)
    policy = tmp_path / "p.qual"
    policy.write_text('policy p\nscore s { rule a +5 when x >= 1 }\n', encoding="utf-8")
    code = (
        "import qualdsl, qualdsl.parse as p; "
        "print(p.grammar_path()); "
        f"print(qualdsl.load({str(policy)!r}).evaluate({{'x': 2}}, as_of='2026-11-01').scores['total'])"
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, check=True,
                            capture_output=True, text=True)
    grammar, total = result.stdout.split()
    assert grammar == str(target / "qualdsl" / "grammar" / "qualdsl.lark")
    assert total == "5.0"
