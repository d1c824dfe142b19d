"""docs/reviewing.md: its JSON example and its workflow are real."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml
from click.testing import CliRunner

from qualdsl.cli import cli

DOC = (Path(__file__).resolve().parents[2] / "docs" / "reviewing.md").read_text(encoding="utf-8")


def _block(language: str) -> str:
    match = re.search(rf"```{language}\n(.*?)```", DOC, re.S)
    assert match, language
    return match.group(1)


def test_json_example_parses_and_follows_the_contract() -> None:
    data = json.loads(_block("json"))
    assert set(data) >= {"changes", "impact"}
    assert {"kind", "section", "target", "before", "after"} <= set(data["changes"][0])
    assert {"leads", "changed", "tier_transitions", "route_transitions", "icp_transitions", "errors"} \
        <= set(data["impact"])


def test_workflow_is_valid_yaml_and_uses_real_options() -> None:
    workflow = yaml.safe_load(_block("yaml"))
    steps = workflow["jobs"]["diff"]["steps"]
    script = "\n".join(step.get("run", "") for step in steps)
    assert "qualdsl diff" in script and "GITHUB_STEP_SUMMARY" in script
    help_text = CliRunner().invoke(cli, ["diff", "--help"]).output
    for option in set(re.findall(r"(--[a-z-]+)", script)) & {"--rev", "--leads", "--as-of", "--format",
                                                              "--fail-above"}:
        assert option in help_text
    assert {"--rev", "--leads", "--as-of", "--fail-above"} <= set(re.findall(r"(--[a-z-]+)", script))
