"""docs/backtest.md: every command in it runs, and every output it quotes is
what the command prints today."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from qualdsl.cli import cli

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "backtest.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```(\w+)\n(.*?)```", DOC, re.DOTALL)


def examples() -> list[tuple[str, list[str]]]:
    """(command, the text blocks quoted right after it), in document order."""
    found: list[tuple[str, list[str]]] = []
    for language, body in BLOCKS:
        if language == "sh":
            found.append((body.strip(), []))
        elif language == "text" and found:
            found[-1][1].append(body)
    return found


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scratch directory where `policies/` is the bundled one and files the doc writes land."""
    (tmp_path / "policies").symlink_to(ROOT / "policies")
    source = (ROOT / "policies" / "xeducation.qual").read_text(encoding="utf-8")
    changed = source.replace("tier hot   when score >= 50", "tier hot   when score >= 40").replace(
        "rule long_time_on_site    +30", "rule long_time_on_site    +20")
    assert changed.count("40") > source.count("40")
    (tmp_path / "xeducation-new.qual").write_text(changed, encoding="utf-8")
    olist = (ROOT / "policies" / "olist.qual").read_text(encoding="utf-8")
    lower_mql = olist.replace("tier MQL      when score >= 15", "tier MQL      when score >= 10")
    assert lower_mql != olist
    (tmp_path / "olist-new.qual").write_text(lower_mql, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("command,quoted", examples(), ids=lambda v: str(v)[:60])
def test_doc_command_runs_and_prints_what_the_doc_quotes(workdir: Path, command: str, quoted: list[str]) -> None:
    words = shlex.split(command)
    assert words[0] == "qualdsl"
    result = CliRunner().invoke(cli, ["--color", "never", *words[1:]], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    for block in quoted:
        # Each quoted line is a whole line of the output, in the same order (a
        # quote may skip lines in between).
        lines, position = result.stdout.splitlines(), 0
        for line in block.rstrip("\n").splitlines():
            assert line in lines[position:], line
            position = lines.index(line, position) + 1
    if "-o" in words:
        written = workdir / words[words.index("-o") + 1]
        assert written.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_doc_lists_every_option_of_the_command() -> None:
    help_text = CliRunner().invoke(cli, ["backtest", "--help"]).output
    options = set(re.findall(r"(--[a-z][a-z-]+)", help_text)) - {"--help"}
    for option in options:
        assert f"`{option}" in DOC, option


def test_json_example_has_exactly_the_report_keys() -> None:
    example = json.loads(next(body for language, body in BLOCKS if language == "json"))
    result = CliRunner().invoke(cli, ["backtest", str(ROOT / "policies/xeducation.qual"), "--leads",
                                      str(ROOT / "policies/data/xeducation_sample.csv"), "--outcome", "Converted",
                                      "--as-of", "2026-11-01", "--format", "json"])
    real = json.loads(result.stdout)
    assert list(example) == list(real)
    for key in ("tiers", "routes", "rules", "deciles", "thresholds"):
        assert set(example[key][0]) == set(real[key][0]), key
    assert list(example["auc"]) == list(real["auc"])
