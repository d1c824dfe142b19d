"""The GitHub Action (action.yml) and the CI workflows the docs show are valid:
they parse, name the keys GitHub requires, install qualdsl through the action,
and every `run:` script passes shellcheck (skipped when shellcheck is absent:
`apt-get install -y shellcheck`)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ACTION = ROOT / "action.yml"
YAML_BLOCK = re.compile(r"```yaml\n(.*?)```", re.DOTALL)
# `${{ ... }}` is expanded by GitHub before the shell sees the script.
EXPRESSION = re.compile(r"\$\{\{.*?\}\}", re.DOTALL)


def _doc_yaml() -> list[tuple[str, Any]]:
    """(doc:line, parsed block) of every YAML block in docs/ that is GitHub
    Actions: a workflow (`jobs:`) or a list of steps."""
    found = []
    for path in sorted((ROOT / "docs").glob("*.md")):
        text = path.read_text(encoding="utf-8")
        for match in YAML_BLOCK.finditer(text):
            where = f"{path.name}:{text.count(chr(10), 0, match.start()) + 1}"
            data = yaml.safe_load(match.group(1))
            is_workflow = isinstance(data, dict) and "jobs" in data
            is_steps = isinstance(data, list) and all(
                isinstance(step, dict) and ("run" in step or "uses" in step) for step in data)
            if is_workflow or is_steps:
                found.append((where, data))
    return found


def _workflows() -> list[tuple[str, dict[str, Any]]]:
    return [(where, data) for where, data in _doc_yaml() if isinstance(data, dict)]


def _action() -> dict[str, Any]:
    data = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _steps(data: Any) -> list[dict[str, Any]]:
    if isinstance(data, list):
        return data
    if "runs" in data:
        return list(data["runs"]["steps"])
    return [step for job in data["jobs"].values() for step in job["steps"]]


def _scripts() -> list[tuple[str, str, str]]:
    """(where, shell, script) of every `run:` step in docs/ and action.yml."""
    sources: list[tuple[str, Any]] = [("action.yml", _action()), *_doc_yaml()]
    scripts = []
    for where, data in sources:
        for index, step in enumerate(_steps(data)):
            if "run" in step:
                scripts.append((f"{where} step {index + 1}", step.get("shell", "bash"), step["run"]))
    return scripts


def test_the_docs_show_workflows() -> None:
    # Guards the extraction: a change to the docs' markup must not silently empty the checks below.
    names = {where.split(":")[0] for where, _ in _workflows()}
    assert {"ci.md", "testing.md", "reviewing.md"} <= names
    assert len(_scripts()) >= 8


def test_action_has_the_keys_github_requires() -> None:
    action = _action()
    assert {"name", "description", "inputs", "runs"} <= set(action)
    assert action["runs"]["using"] == "composite"
    assert set(action["inputs"]) == {"command", "version", "extras", "python-version"}
    for name, spec in action["inputs"].items():
        assert spec.get("description"), name
        assert spec.get("required") is False and "default" in spec, name
    for step in action["runs"]["steps"]:
        assert ("uses" in step) != ("run" in step), step
        if "run" in step:  # a composite step must name its shell
            assert step.get("shell") == "bash", step


def test_action_installs_its_own_checkout_and_keeps_inputs_out_of_scripts() -> None:
    steps = _action()["runs"]["steps"]
    install = next(step for step in steps if step.get("name") == "Install qualdsl")
    assert install["env"]["QUALDSL_SOURCE"] == "${{ github.action_path }}"
    assert 'pip install --disable-pip-version-check "${QUALDSL_SOURCE}${extras}"' in install["run"]
    for step in steps:
        if "run" in step:
            assert "${{" not in step["run"], f"an expression spliced into a script: {step['run']}"


@pytest.mark.parametrize("where,workflow", _workflows(), ids=lambda value: value if isinstance(value, str) else "")
def test_workflows_parse_and_install_qualdsl_through_the_action(where: str, workflow: dict[str, Any]) -> None:
    assert "name" in workflow and (True in workflow or "on" in workflow), where  # YAML 1.1 reads `on` as True
    for name, job in workflow["jobs"].items():
        assert job.get("runs-on"), f"{where}: job {name} has no runs-on"
        assert job["steps"], f"{where}: job {name} has no steps"
    steps = _steps(workflow)
    uses = [step["uses"] for step in steps if "uses" in step]
    assert "OWNER/qualdsl@v0.1.0" in uses, where
    runs = " ".join(step["run"] for step in steps if "run" in step)
    assert "pip install" not in runs, f"{where}: installs qualdsl by hand, not through the action"


SHELLCHECK = shutil.which("shellcheck")


@pytest.mark.skipif(SHELLCHECK is None, reason="shellcheck is not installed (apt-get install -y shellcheck)")
@pytest.mark.parametrize("where,shell,script", _scripts(), ids=lambda value: value if " step " in value else "")
def test_run_scripts_pass_shellcheck(where: str, shell: str, script: str) -> None:
    assert SHELLCHECK is not None
    assert shell == "bash", f"{where}: only bash scripts are checked"
    # GitHub runs `bash -e {0}`; expressions become a plain word here.
    text = "#!/usr/bin/env bash\nset -e\n" + EXPRESSION.sub("GITHUB_EXPRESSION", script)
    result = subprocess.run(
        [SHELLCHECK, "--shell=bash", "--severity=style", "-"], input=text, capture_output=True,
        text=True, timeout=60, check=False)
    assert result.returncode == 0, f"{where}:\n{result.stdout}{result.stderr}"


def test_shellcheck_catches_what_it_should() -> None:
    """The check above can fail: an unquoted variable is reported."""
    if SHELLCHECK is None:
        pytest.skip("shellcheck is not installed")
    result = subprocess.run(
        [SHELLCHECK, "--shell=bash", "-"], input="#!/usr/bin/env bash\nrm $1\n", capture_output=True,
        text=True, timeout=60, check=False)
    assert result.returncode != 0 and "SC2086" in result.stdout
