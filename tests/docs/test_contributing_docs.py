"""docs/contributing.md says what `make test` and pyproject.toml really do:
the commands, the rule groups, the ignored rules and the quoted code."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "contributing.md").read_text(encoding="utf-8")
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
LINT = CONFIG["tool"]["ruff"]["lint"]


def _block(language: str) -> list[str]:
    (block,) = re.findall(rf"```{language}\n(.*?)```", DOC, re.DOTALL)
    return [line for line in block.splitlines() if line.strip()]


def _table_codes(heading: str) -> set[str]:
    """The backticked codes in the first column of the table after `heading`."""
    table = DOC[DOC.index(heading):].split("\n\n")[1]
    rows = [row for row in table.splitlines()[2:] if row.startswith("|")]
    return {code for row in rows for code in re.findall(r"`([A-Z]+[0-9]*)`", row.split("|")[1])}


def test_the_documented_commands_are_the_makefile_test_target_before_pytest() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    target = makefile[makefile.index("\ntest:") + 1:].split("\n\n")[0].splitlines()[1:]
    commands = [line.strip().replace("$(BIN)", ".venv/bin") for line in target]
    documented = _block("sh")
    assert commands[: len(documented)] == documented
    assert any("pytest" in command for command in commands[len(documented):])


def test_the_rule_groups_table_is_the_selection() -> None:
    assert _table_codes("The rule groups:") == set(LINT["select"])


def test_the_ignored_rules_table_is_the_ignore_list() -> None:
    assert _table_codes("Rules ignored everywhere") == set(LINT["ignore"])


def test_the_per_folder_allowances_named_are_the_configured_ones() -> None:
    configured = {code for codes in LINT["per-file-ignores"].values() for code in codes}
    paragraph = DOC[DOC.index("Tests and benchmarks also allow"):].split("\n\n")[0]
    assert set(re.findall(r"`([A-Z]+[0-9]+)`", paragraph)) == configured


def test_mypy_settings_named_in_the_doc_are_set() -> None:
    mypy = CONFIG["tool"]["mypy"]
    assert mypy["strict"] is True and mypy["files"] == ["src/qualdsl"] and mypy["warn_unreachable"] is True
    (override,) = mypy["overrides"]
    for module in ("re2", "pyarrow", "pyspark", "atheris"):
        assert module in override["module"] and module in DOC
    assert override["ignore_missing_imports"] is True


def test_the_quoted_noqa_line_is_in_the_code() -> None:
    (quoted,) = _block("python")
    source = (ROOT / "src" / "qualdsl" / "backends" / "python.py").read_text(encoding="utf-8")
    assert quoted.strip() in source
