"""Compile-error codes: every catalogue example fails with exactly its code,
every fix compiles, every code the stages emit is catalogued, the docs page
is generated from the catalogue, and `qualdsl rule QE...` prints an entry."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import qualdsl
from qualdsl.cli import cli
from qualdsl.error_codes import CODES, get_code, markdown
from qualdsl.errors import QualError

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ROOT / "src" / "qualdsl"
WITH_EXAMPLE = [code for code, entry in CODES.items() if entry.example is not None]


def codes_of(entry, text: str, tmp_path: Path) -> list[str]:
    folder = tmp_path / "p" / "q"
    folder.mkdir(parents=True)
    for name, body in entry.files:
        (folder / name).write_text(body, encoding="utf-8")
    with pytest.raises(QualError) as error:
        if entry.in_memory:
            qualdsl.loads(text)
        else:
            path = folder / "policy.qual"
            path.write_bytes(text.encode("utf-8"))
            qualdsl.load(path)
    return [d.code for d in error.value.diagnostics]


@pytest.mark.parametrize("code", WITH_EXAMPLE)
def test_catalogue_example_fails_with_exactly_its_code(code, tmp_path):
    entry = CODES[code]
    assert set(codes_of(entry, entry.example, tmp_path)) == {code}


@pytest.mark.parametrize("code", [c for c in WITH_EXAMPLE if CODES[c].fix is not None])
def test_catalogue_fix_compiles(code, tmp_path):
    entry = CODES[code]
    path = tmp_path / "policy.qual"
    path.write_text(entry.fix, encoding="utf-8")
    assert qualdsl.load(path).name == "example"


def test_only_file_errors_and_unreachable_codes_lack_an_example():
    # QE001/2/4 are about bytes on disk, not policy text; QE133 guards a
    # negative `within` and QE136 a stray query, which the grammar cannot express today.
    assert {c for c, e in CODES.items() if e.example is None} == {"QE001", "QE002", "QE004", "QE133", "QE136"}


def test_codes_are_well_formed_and_names_unique():
    assert all(re.fullmatch(r"QE[01]\d\d", code) for code in CODES)
    assert all(not code.startswith("QE1") or int(code[2:]) >= 100 for code in CODES)
    assert len({e.name for e in CODES.values()}) == len(CODES)


def emitted_codes() -> set[str]:
    """Every QE code written in the compiler's source (the stages' diagnostics)."""
    found: set[str] = set()
    for path in SOURCES.rglob("*.py"):
        if path.name == "error_codes.py":
            continue
        found.update(re.findall(r'"(QE\d{3})"', path.read_text(encoding="utf-8")))
    return found


def test_every_code_emitted_is_catalogued():
    emitted = emitted_codes()
    assert len(emitted) > 60
    assert emitted - set(CODES) == set()


def test_every_catalogued_code_is_emitted_somewhere():
    assert set(CODES) - emitted_codes() == set()


def test_docs_page_is_generated_from_the_catalogue():
    assert (ROOT / "docs" / "compile-errors.md").read_text(encoding="utf-8") == markdown()


def test_rule_command_prints_a_compile_error_entry():
    result = CliRunner().invoke(cli, ["rule", "QE127"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("# QE127 unknown-field")
    assert "company.employes" in result.output and "## Fix" in result.output


def test_rule_command_finds_compile_errors_by_name_and_lists_them():
    assert get_code("unknown-field") is CODES["QE127"]
    listing = CliRunner().invoke(cli, ["rule", "--list"])
    assert listing.exit_code == 0
    assert "QE127" in listing.output and "QD101" in listing.output


def test_every_diagnostic_of_the_error_fixtures_has_a_code():
    for path in sorted((ROOT / "tests" / "cases" / "errors").glob("*.qual")):
        with pytest.raises(QualError) as error:
            qualdsl.load(path)
        for d in error.value.diagnostics:
            assert d.code in CODES, (path.name, d)
