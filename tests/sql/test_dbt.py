"""docs/examples/dbt: the shipped model is what docs/sql.md's command prints,
and dbt-duckdb builds it into exactly Policy.evaluate's decisions.

The build runs dbt as a subprocess: $QUALDSL_DBT, else .venv-dbt/bin/dbt
(`make dbt-venv` makes that venv; `make test` makes it and sets QUALDSL_DBT
to its dbt). Without either it skips, and fails under CI=true
(tests/budget.py's `missing_tool`)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

import qualdsl
from qualdsl.backends.sql import builders as b

from .helpers import AS_OF, _plain, python_view, same_bits
from budget import missing_tool

ROOT = Path(__file__).resolve().parents[2]
PROJECT = ROOT / "docs" / "examples" / "dbt"
MODEL = PROJECT / "models" / "lead_decisions.sql"
POLICY = ROOT / "policies" / "saas_inbound.qual"
LEADS = ROOT / "policies" / "saas_inbound.leads.jsonl"


def _docs_command() -> str:
    text = (ROOT / "docs" / "sql.md").read_text(encoding="utf-8")
    section = text.split("## dbt", 1)[1]
    found = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert found is not None, "docs/sql.md's dbt section has no ```sh block"
    return found.group(1)


def _bin() -> Path:
    return Path(sys.executable).parent


def _dbt() -> Path:
    """The dbt executable the build runs (the module docstring's order)."""
    named = os.environ.get("QUALDSL_DBT")
    if named:
        if not (Path(named).is_file() and os.access(named, os.X_OK)):
            pytest.fail(f"QUALDSL_DBT={named} is not an executable file: run `make dbt-venv`", pytrace=False)
        return Path(named)
    made = ROOT / ".venv-dbt" / "bin" / "dbt"
    if made.is_file() and os.access(made, os.X_OK):
        return made
    missing_tool("dbt is not installed: `make dbt-venv` makes .venv-dbt with dbt-core and dbt-duckdb")


def _dbt_env(**extra: str) -> dict[str, str]:
    """This environment for a dbt subprocess, without what would put this
    venv's packages (or src/) on its Python's path."""
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"}}
    return {**env, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", **extra}


def test_shipped_model_is_what_the_docs_command_prints(tmp_path):
    (tmp_path / "docs" / "examples" / "dbt" / "models").mkdir(parents=True)
    (tmp_path / "policies").symlink_to(ROOT / "policies")
    env = {**os.environ, "PATH": f"{_bin()}{os.pathsep}{os.environ.get('PATH', '')}",
           "PYTHONPATH": str(ROOT / "src")}
    subprocess.run(["bash", "-euo", "pipefail", "-c", _docs_command()], cwd=tmp_path, env=env, check=True,
                   timeout=120)
    made = (tmp_path / "docs" / "examples" / "dbt" / "models" / "lead_decisions.sql").read_text(encoding="utf-8")
    assert "{{ source('crm', 'leads') }}" in made and made.rstrip().endswith("{% endraw %}")
    assert made == MODEL.read_text(encoding="utf-8"), "regenerate the model with docs/sql.md's dbt command"


def test_a_named_dbt_that_is_not_there_fails_whatever_the_profile(monkeypatch, tmp_path):
    monkeypatch.setenv("QUALDSL_DBT", str(tmp_path / "no-dbt"))
    with pytest.raises(pytest.fail.Exception, match=r"QUALDSL_DBT=.*no-dbt is not an executable file"):
        _dbt()


def test_dbt_uses_exactly_this_duckdb():
    """dbt's DuckDB opens the file this DuckDB wrote and the reverse: one
    version for both (a DuckDB before 2.0 cannot open a 2.0 file)."""
    python = _dbt().parent / "python"
    if not python.is_file():
        pytest.skip(f"{_dbt()} has no python beside it: its duckdb is unknown")
    done = subprocess.run([str(python), "-c", "import duckdb; print(duckdb.__version__)"], env=_dbt_env(),
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == duckdb.__version__, "rebuild it: rm -rf .venv-dbt && make dbt-venv"


def test_dbt_builds_the_model_into_policy_evaluate_decisions(tmp_path):
    dbt = _dbt()
    project = tmp_path / "project"
    shutil.copytree(PROJECT, project)
    database = tmp_path / "leads.duckdb"
    connection = duckdb.connect(str(database))
    connection.execute("CREATE SCHEMA crm")
    connection.execute(f"CREATE TABLE crm.leads AS SELECT * FROM read_json_auto('{LEADS}')")
    connection.close()
    done = subprocess.run(
        [str(dbt), "build", "--profiles-dir", str(project), "--project-dir", str(project),
         "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")],
        cwd=project, env=_dbt_env(QUALDSL_DBT_DATABASE=str(database)), capture_output=True, text=True,
        timeout=300, check=False)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "PASS=1" in done.stdout

    policy = qualdsl.load(POLICY)
    connection = duckdb.connect(str(database), read_only=True)
    connection.execute("SET TimeZone = 'UTC'")
    cursor = connection.execute("SELECT * FROM main.lead_decisions")
    names = [d[0] for d in cursor.description]
    got = [_plain(dict(zip(names, row))) for row in cursor.fetchall()]
    types = {name: b.sql_type(kind) for name, kind, *_ in connection.execute("DESCRIBE crm.leads").fetchall()}
    cursor = connection.execute("SELECT * FROM crm.leads")
    lead_names = [d[0] for d in cursor.description]
    leads = [{n: python_view(v, types[n]) for n, v in zip(lead_names, row)} for row in cursor.fetchall()]
    want = [policy.evaluate(lead, as_of=AS_OF).to_dict() for lead in leads]
    assert len(got) == len(want) > 0
    for g, w in zip(sorted(got, key=lambda d: d["lead"]), sorted(want, key=lambda d: d["lead"])):
        assert same_bits(g, w), (g, w)
