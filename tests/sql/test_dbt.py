"""docs/examples/dbt: the shipped model is what docs/sql.md's command prints,
and dbt-duckdb builds it into exactly Policy.evaluate's decisions.

Needs dbt (`pip install 'qualdsl[dbt]'`); skipped cleanly without it."""

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


def test_dbt_builds_the_model_into_policy_evaluate_decisions(tmp_path):
    pytest.importorskip("dbt.cli.main", reason="dbt is not installed: pip install 'qualdsl[dbt]'")
    pytest.importorskip("dbt.adapters.duckdb", reason="dbt-duckdb is not installed: pip install 'qualdsl[dbt]'")
    project = tmp_path / "project"
    shutil.copytree(PROJECT, project)
    database = tmp_path / "leads.duckdb"
    connection = duckdb.connect(str(database))
    connection.execute("CREATE SCHEMA crm")
    connection.execute(f"CREATE TABLE crm.leads AS SELECT * FROM read_json_auto('{LEADS}')")
    connection.close()
    env = {**os.environ, "QUALDSL_DBT_DATABASE": str(database), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    done = subprocess.run(
        [sys.executable, "-c", "import sys; from dbt.cli.main import cli; sys.exit(cli())", "build",
         "--profiles-dir", str(project), "--project-dir", str(project),
         "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")],
        cwd=project, env=env, capture_output=True, text=True, timeout=300, check=False)
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
