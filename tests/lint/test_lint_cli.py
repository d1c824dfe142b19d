"""`qualdsl lint` and `qualdsl rule` end to end: formats, exit codes,
selection, configuration, suppression, broken input."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from qualdsl.cli import cli

from .helpers import FIXTURES

UNBOUNDED = textwrap.dedent("""\
    policy p
    score engagement {
      rule click +2 per event "email_click"
    }
""")
# A policy whose only finding is an info (QD109, a field never read): exit 0 unless fail-on is info.
INFO_ONLY = "policy i\nschema {\n  a: int\n  b: int\n}\nscore s max 5 {\n  rule r +5 when a > 1\n}\n"


def run(*args: str):
    return CliRunner().invoke(cli, ["--color", "never", *args], catch_exceptions=False)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(path: Path, text: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return str(path.name if path.parent == Path.cwd() else path)


def test_text_output_shows_line_caret_and_help(workdir: Path) -> None:
    name = write(workdir / "p.qual", UNBOUNDED)
    result = run("lint", name)
    assert result.exit_code == 1
    assert "p.qual:3:3: warning[QD111]: rule `click` adds 2 points" in result.stdout
    assert '3 |   rule click +2 per event "email_click"' in result.stdout
    assert "  |   ^^^^" in result.stdout
    assert "= help: count at most K events" in result.stdout
    assert "1 policy linted: 1 warning" in result.stderr


def test_clean_policy_exits_0(workdir: Path) -> None:
    name = write(workdir / "p.qual", UNBOUNDED.replace('"email_click"', '"email_click" max 5'))
    result = run("lint", name)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "no problems" in result.stderr


def test_json_output(workdir: Path) -> None:
    name = write(workdir / "p.qual", UNBOUNDED)
    result = run("lint", "--format", "json", name)
    assert result.exit_code == 1
    [finding] = json.loads(result.stdout)
    assert finding == {
        "path": "p.qual", "line": 3, "column": 3, "end_line": 3, "end_column": 40, "code": "QD111",
        "severity": "warning", "message": finding["message"], "help": finding["help"],
    }
    assert finding["message"].startswith("rule `click` adds 2 points")


def test_github_output(workdir: Path) -> None:
    name = write(workdir / "p.qual", UNBOUNDED)
    result = run("lint", "--format", "github", name)
    assert result.exit_code == 1
    line = result.stdout.strip()
    assert line.startswith(
        "::warning file=p.qual,line=3,col=3,endLine=3,endColumn=40,title=QD111 warning::rule `click`"
    )
    assert "\n" not in line


def test_fail_on_sets_the_threshold(workdir: Path) -> None:
    name = write(workdir / "p.qual", UNBOUNDED)
    assert run("lint", "--fail-on", "error", name).exit_code == 0
    assert run("lint", "--fail-on", "warning", name).exit_code == 1
    # An info finding fails only with --fail-on info.
    info = write(workdir / "i.qual", INFO_ONLY)
    assert run("lint", info).exit_code == 0
    assert run("lint", "--fail-on", "info", info).exit_code == 1


def test_select_and_ignore(workdir: Path) -> None:
    name = write(workdir / "p.qual", UNBOUNDED)
    assert run("lint", "--ignore", "QD111", name).exit_code == 0
    assert run("lint", "--select", "QD101,QD102", name).exit_code == 0
    assert run("lint", "--select", "QD11", name).exit_code == 1  # a prefix
    bad = run("lint", "--select", "QD999", name)
    assert bad.exit_code == 2
    assert "no lint rule has the code `QD999`" in bad.stderr


def test_inline_suppression(workdir: Path) -> None:
    text = UNBOUNDED.replace('"email_click"\n', '"email_click"   # qualdsl: ignore[QD111]\n')
    name = write(workdir / "p.qual", text)
    assert run("lint", name).exit_code == 0
    other = write(workdir / "q.qual", UNBOUNDED.replace('"email_click"\n', '"email_click"  # qualdsl: ignore[QD101]\n'))
    assert run("lint", other).exit_code == 1  # another code does not silence it
    blanket = write(workdir / "r.qual", UNBOUNDED.replace('"email_click"\n', '"email_click"  # qualdsl: ignore\n'))
    assert run("lint", blanket).exit_code == 0


def test_broken_policy_reports_compile_errors_without_traceback(workdir: Path) -> None:
    name = write(
        workdir / "p.qual", "policy p\nschema {\n  a: int\n}\ntiers {\n  tier A when b >= 80\n  tier B otherwise\n}\n"
    )
    result = run("lint", "--format", "json", name)
    assert result.exit_code == 1
    findings = json.loads(result.stdout)
    assert findings and all(f["code"].startswith("QE") and f["severity"] == "error" for f in findings)
    assert findings[0]["line"] == 6
    assert "Traceback" not in result.output


def test_missing_file_is_a_located_error(workdir: Path) -> None:
    result = run("lint", "--format", "json", "nope.qual")
    assert result.exit_code == 1
    [finding] = json.loads(result.stdout)
    assert finding["code"] == "QE001" and finding["message"] == "no such file"


def test_empty_directory_is_a_usage_error(workdir: Path) -> None:
    (workdir / "empty").mkdir()
    result = run("lint", "empty")
    assert result.exit_code == 2
    assert "no policy files" in result.stderr


def test_fragments_named_on_the_command_line_are_skipped(workdir: Path) -> None:
    # pre-commit passes every changed *.qual file, fragments included.
    fragment = write(workdir / "common.qual", 'set free_email = ["gmail.com"]\n')
    result = run("lint", fragment)
    assert result.exit_code == 0
    assert "skipped, no `policy` line" in result.stderr


def test_configuration_is_found_walking_up(workdir: Path) -> None:
    (workdir / "pyproject.toml").write_text('[tool.qualdsl.lint]\nignore = ["QD111"]\n', encoding="utf-8")
    write(workdir / "policies" / "p.qual", UNBOUNDED)
    assert run("lint", "policies").exit_code == 0
    # A nearer qualdsl.toml wins.
    (workdir / "policies" / "qualdsl.toml").write_text('[lint]\nseverity = { QD111 = "error" }\n', encoding="utf-8")
    result = run("lint", "--format", "json", "policies")
    assert result.exit_code == 1
    assert json.loads(result.stdout)[0]["severity"] == "error"


def test_bad_configuration_is_located_and_exits_2(workdir: Path) -> None:
    (workdir / "qualdsl.toml").write_text('[lint]\nselect = ["QD101"]\nforbidden_fields = ["Tags"]\n', encoding="utf-8")
    name = write(workdir / "p.qual", UNBOUNDED)
    result = run("lint", name)
    assert result.exit_code == 2
    assert "qualdsl.toml:3:1: error: unknown lint setting `forbidden_fields`" in result.stderr
    assert "did you mean `forbidden-fields`?" in result.stderr


def test_invalid_toml_is_located(workdir: Path) -> None:
    (workdir / "qualdsl.toml").write_text('[lint]\nselect = ["QD101"\n', encoding="utf-8")
    name = write(workdir / "p.qual", UNBOUNDED)
    result = run("lint", name)
    assert result.exit_code == 2
    assert "qualdsl.toml:" in result.stderr and "invalid TOML" in result.stderr
    assert "Traceback" not in result.output


def test_explicit_config_option(workdir: Path) -> None:
    (workdir / "strict.toml").write_text('[lint]\nfail-on = "info"\n', encoding="utf-8")
    info = write(workdir / "i.qual", INFO_ONLY)
    assert run("lint", info).exit_code == 0
    assert run("lint", "--config", "strict.toml", info).exit_code == 1
    assert run("lint", "--config", "missing.toml", info).exit_code == 2


def test_rule_command_prints_the_documentation() -> None:
    result = run("rule", "QD101")
    assert result.exit_code == 0
    assert result.stdout.startswith("# QD101 unreachable-tier (default level: warning)")
    for section in ("## What it does", "## Why is this bad", "## Example", "## Use instead"):
        assert section in result.stdout


def test_rule_command_lists_rules_and_rejects_unknown_codes() -> None:
    listing = run("rule")
    assert listing.exit_code == 0
    assert "QD116  forbidden-field" in listing.stdout
    unknown = run("rule", "QD999")
    assert unknown.exit_code == 2
    assert "no lint rule or compile error `QD999`" in unknown.stderr


def test_lint_of_fixture_directory_uses_its_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES)
    result = run("lint", "--select", "QD116", "--format", "json", ".")
    assert result.exit_code == 1
    assert {(f["path"], f["line"]) for f in json.loads(result.stdout)} == {
        ("qd116_forbidden_field.qual", 4), ("qd116_forbidden_field.qual", 7),
    }


def test_a_shared_fragment_is_reported_once(workdir: Path) -> None:
    write(workdir / "shared" / "common.qual", 'set free_email = ["gmail.com", "GMAIL.com"]\n')
    body = 'include "shared/common.qual"\nicp {\n  reject domain(email) in free_email as "free"\n}\n'
    write(workdir / "a.qual", "policy a\n" + body)
    write(workdir / "b.qual", "policy b\n" + body)
    result = run("lint", "--format", "json", ".")
    assert result.exit_code == 1
    findings = json.loads(result.stdout)
    assert [(f["path"], f["line"], f["code"]) for f in findings] == [("shared/common.qual", 1, "QD110")]


def test_a_binary_file_named_on_the_command_line_is_an_error_not_a_fragment(tmp_path: Path) -> None:
    broken = tmp_path / "broken.qual"
    broken.write_bytes(b"policy p\x00\x01\x02")
    result = run("lint", str(broken))
    assert result.exit_code == 1
    assert "error[QE003]" in result.output and "binary" in result.output


def test_check_reports_binary_policies_found_in_a_directory(tmp_path: Path) -> None:
    (tmp_path / "broken.qual").write_bytes(b"\xff\xfe not utf-8")
    (tmp_path / "fragment.qual").write_text('set s = ["a"]\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", str(tmp_path)])
    assert result.exit_code == 1
    assert "broken.qual:1:1: error[QE004]: file is not valid UTF-8" in result.output
    assert "fragment.qual" not in result.output  # a fragment is checked through its policies


def test_regression_severity_alone_names_a_rule_in_a_fresh_process(workdir: Path) -> None:
    """Rough edge of issue 13: the line `qualdsl rule QD109` recommends,
    `severity = { QD109 = "warning" }` without `select`, was refused ("names no
    lint rule") because nothing had loaded the rules yet. Only a new
    interpreter shows it: in this one an earlier test has loaded them."""
    import os
    import subprocess
    import sys

    write(workdir / "p.qual", INFO_ONLY)
    (workdir / "qualdsl.toml").write_text('[lint]\nseverity = { QD109 = "warning" }\n', encoding="utf-8")
    src = str(Path(__file__).resolve().parents[2] / "src")
    env = {**os.environ, "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", ""), "NO_COLOR": "1"}
    result = subprocess.run([sys.executable, "-m", "qualdsl", "lint", "--format", "json", "p.qual"],
                            capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 1, result.stderr  # a warning is a finding (exit 2 was the bug)
    assert [(f["code"], f["severity"]) for f in json.loads(result.stdout)] == [("QD109", "warning")]


def test_regression_forbidden_fields_take_a_prefix(workdir: Path) -> None:
    """Rough edge of issue 13: `forbidden-fields = ["seller.*"]` forbids every
    field below `seller`, in any case, and nothing that merely starts alike."""
    (workdir / "qualdsl.toml").write_text('[lint]\nforbidden-fields = ["Seller.*"]\n', encoding="utf-8")
    write(workdir / "p.qual", textwrap.dedent("""\
        policy p
        schema {
          seller.name:       string
          seller.deal.stage: string
          sellers:           int
          seller:            string
        }
        score s {
          rule a +1 when seller.name == "x"
          rule b +1 when seller.deal.stage == "won"
          rule c +1 when sellers > 1
          rule d +1 when seller == "y"
        }
    """))
    result = run("lint", "--select", "QD116", "--format", "json", "p.qual")
    assert result.exit_code == 1
    assert sorted(f["line"] for f in json.loads(result.stdout)) == [9, 10]
