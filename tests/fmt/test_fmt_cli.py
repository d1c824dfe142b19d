"""`qualdsl fmt`: in place, --check, --diff, stdin, broken files, directories."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from qualdsl.cli import cli

CASES = Path(__file__).parent / "cases"
CONTRACT = (CASES / "contract.qual").read_text(encoding="utf-8")
MESSY = (CASES / "messy.qual").read_text(encoding="utf-8")
BROKEN = "policy p\nlet a = \n"


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(cli, ["--color", "never", "fmt", *args], input=input)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "good.qual").write_text(CONTRACT, encoding="utf-8")
    (tmp_path / "messy.qual").write_text(MESSY, encoding="utf-8")
    return tmp_path


def test_rewrites_a_file_in_place(tree: Path):
    result = run(str(tree / "messy.qual"))
    assert result.exit_code == 0, result.output
    rewritten = (tree / "messy.qual").read_text(encoding="utf-8")
    assert rewritten != MESSY
    assert run("--check", str(tree / "messy.qual")).exit_code == 0


def test_leaves_a_formatted_file_untouched(tree: Path):
    path = tree / "good.qual"
    before = path.stat().st_mtime_ns
    assert run(str(path)).exit_code == 0
    assert path.stat().st_mtime_ns == before


def test_check_lists_the_files_that_would_change_and_exits_1(tree: Path):
    result = run("--check", str(tree))
    assert result.exit_code == 1
    assert f"would reformat {tree / 'messy.qual'}" in result.stdout
    assert "good.qual" not in result.stdout
    assert (tree / "messy.qual").read_text(encoding="utf-8") == MESSY  # nothing written


def test_check_exits_0_when_everything_is_formatted(tree: Path):
    (tree / "messy.qual").unlink()
    result = run("--check", str(tree))
    assert result.exit_code == 0
    assert result.stdout == ""


def test_diff_prints_a_unified_diff_and_writes_nothing(tree: Path):
    result = run("--diff", str(tree / "messy.qual"))
    assert result.exit_code == 1
    assert result.stdout.startswith(f"--- {tree / 'messy.qual'}\t(original)\n+++ ")
    assert "+policy messy_inbound" in result.stdout
    assert (tree / "messy.qual").read_text(encoding="utf-8") == MESSY


def test_dash_formats_stdin_to_stdout():
    result = run("-", input=MESSY)
    assert result.exit_code == 0
    assert result.stdout.startswith("# Inbound leads, written in a hurry\npolicy messy_inbound")
    assert run("--check", "-", input=result.stdout).exit_code == 0
    assert run("--check", "-", input=MESSY).exit_code == 1


def test_refuses_a_file_that_does_not_compile(tree: Path):
    path = tree / "broken.qual"
    path.write_text(BROKEN, encoding="utf-8")
    result = run(str(path))
    assert result.exit_code == 1
    assert f"{path}:3:1: error[QE015]:" in result.stderr
    assert "Traceback" not in result.output
    assert path.read_text(encoding="utf-8") == BROKEN


def test_refuses_a_policy_that_parses_but_does_not_check(tree: Path):
    path = tree / "unknown.qual"
    text = "policy p\nschema { a: int }\nlet   x = b > 1\n"
    path.write_text(text, encoding="utf-8")
    result = run(str(path))
    assert result.exit_code == 1
    assert "error" in result.stderr and "`b`" in result.stderr
    assert path.read_text(encoding="utf-8") == text


def test_a_directory_includes_fragments(tree: Path):
    shared = tree / "shared"
    shared.mkdir()
    (shared / "sets.qual").write_text('set  a=["x"]\n', encoding="utf-8")
    result = run(str(tree))
    assert result.exit_code == 0, result.output
    assert (shared / "sets.qual").read_text(encoding="utf-8") == 'set a = ["x"]\n'


def test_a_missing_file_is_a_located_error_not_a_traceback(tree: Path):
    result = run(str(tree / "nope.qual"))
    assert result.exit_code == 1
    assert "no such file" in result.stderr


def test_a_directory_without_policies_is_a_usage_error(tmp_path: Path):
    result = run(str(tmp_path))
    assert result.exit_code == 2
    assert "no policy files" in result.output


def test_stdin_cannot_be_mixed_with_files(tree: Path):
    assert run("-", str(tree / "good.qual"), input="").exit_code == 2
