"""`qualdsl diff --rev`: the old policy and its includes come from git."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from qualdsl.cli import cli

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

GIT_ENV = {
    "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
}


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                   env={**os.environ, **GIT_ENV})


@pytest.fixture
def repo(tmp_path: Path, fixtures: Path) -> Path:
    """A repository with policies/features.qual (+ its include) committed."""
    root = tmp_path / "repo"
    (root / "policies").mkdir(parents=True)
    for name in ("features.qual", "features_shared.qual"):
        shutil.copy(fixtures / name, root / "policies" / name)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "first")
    return root


def diff(*args: str):
    return CliRunner().invoke(cli, ["--color", "never", "diff", *args], catch_exceptions=False)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_clean_working_tree_has_no_change(repo: Path) -> None:
    result = diff("--rev", "HEAD", str(repo / "policies" / "features.qual"))
    assert result.exit_code == 0, result.output
    assert "no semantic change" in result.stdout
    assert result.stdout.startswith("HEAD:policies/features.qual → ")


def test_changes_in_the_policy_and_in_its_include(repo: Path) -> None:
    policy = repo / "policies" / "features.qual"
    edit(policy, "tier warm  when usage >= 10", "tier warm  when usage >= 15")
    edit(repo / "policies" / "features_shared.qual", '"test.org"]', '"test.org", "spam.io"]')
    result = diff("--rev", "main", str(policy), "--format", "json")
    assert result.exit_code == 0, result.output
    changes = json.loads(result.stdout)["changes"]
    assert [(c["kind"], c["target"]) for c in changes] == [
        ("changed", "set blocked_domains"), ("changed", "tier warm")]
    assert changes[0]["items_added"] == ['"spam.io"']


def test_include_is_read_from_the_revision_not_the_working_tree(repo: Path) -> None:
    # Only the include changes in the working tree; if the old side read it
    # from disk, the diff would be empty.
    edit(repo / "policies" / "features_shared.qual", "< 730", "< 365")
    result = diff("--rev", "HEAD", str(repo / "policies" / "features.qual"), "--format", "json")
    changes = json.loads(result.stdout)["changes"]
    assert [(c["target"], c["before"], c["after"]) for c in changes] == [
        ("let young_company", "let young_company = days_since(company.founded) < 730",
         "let young_company = days_since(company.founded) < 365")]


def test_relative_path_from_a_subdirectory(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo / "policies")
    edit(repo / "policies" / "features.qual", "rule any_use  +1", "rule any_use  +2")
    result = diff("--rev", "HEAD", "features.qual")
    assert result.exit_code == 0, result.output
    assert "changed  usage.any_use  (points)" in result.stdout


def test_policy_not_in_revision_is_all_added(repo: Path) -> None:
    new = repo / "policies" / "brand_new.qual"
    new.write_text('policy brand_new\ntiers { tier all otherwise }\n')
    result = diff("--rev", "HEAD", str(new), "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {c["kind"] for c in data["changes"]} == {"added"}
    assert [c["target"] for c in data["changes"]] == ["policy", "tier all"]
    assert "does not exist" in diff("--rev", "HEAD", str(new)).stdout


def test_old_version_that_does_not_compile_is_located_in_the_revision(repo: Path) -> None:
    shared = repo / "policies" / "features_shared.qual"
    edit(shared, "set blocked_domains", "set blocked_domains = [1]\nset blocked_domains")
    git(repo, "commit", "-q", "-am", "broken include")
    edit(shared, "set blocked_domains = [1]\n", "")
    result = diff("--rev", "HEAD", str(repo / "policies" / "features.qual"))
    assert result.exit_code == 2
    assert "HEAD:policies/features_shared.qual:" in result.stderr
    assert "qualdsl-diff-" not in result.stderr  # no temporary paths leak
    assert "must compile on both sides" in result.stderr


def test_unknown_revision(repo: Path) -> None:
    result = diff("--rev", "no-such-branch", str(repo / "policies" / "features.qual"))
    assert result.exit_code == 2
    assert "unknown revision `no-such-branch`" in result.stderr


def test_option_like_revision_is_refused(repo: Path) -> None:
    result = diff("--rev=--output=/tmp/x", str(repo / "policies" / "features.qual"))
    assert result.exit_code == 2
    assert "is not a revision" in result.stderr


def test_not_a_git_repository(tmp_path: Path, fixtures: Path) -> None:
    lonely = tmp_path / "lonely"
    lonely.mkdir()
    shutil.copy(fixtures / "small_old.qual", lonely / "p.qual")
    result = CliRunner(env={"GIT_CEILING_DIRECTORIES": str(tmp_path)}).invoke(
        cli, ["diff", "--rev", "HEAD", str(lonely / "p.qual")])
    assert result.exit_code == 2
    assert "not inside a git repository" in result.stderr


def test_leads_with_rev(repo: Path, fixtures: Path) -> None:
    policy = repo / "policies" / "features.qual"
    edit(policy, "tier warm  when usage >= 10", "tier warm  when usage >= 1")
    leads = repo / "leads.jsonl"
    leads.write_text('{"id": "a", "person": {"email": "a@b.com"}, "Lead Source": "web", '
                     '"events": [{"type": "login", "at": "2026-10-30T00:00:00Z"}]}\n')
    result = diff("--rev", "HEAD", str(policy), "--leads", str(leads), "--as-of", "2026-11-01",
                  "--format", "json", "--fail-above", "0")
    data = json.loads(result.stdout)
    assert data["impact"]["tier_transitions"] == [
        {"from": "cold", "to": "warm", "count": 1, "examples": ["a"]}]
    assert result.exit_code == 1


def _sibling_project(repo: Path) -> Path:
    """A project (qualdsl.toml at the top) whose policy includes a sibling folder."""
    (repo / "qualdsl.toml").write_text("")
    (repo / "shared").mkdir()
    (repo / "shared" / "domains.qual").write_text('set free_mail = ["gmail.com"]\n')
    policy = repo / "policies" / "sibling.qual"
    policy.write_text('policy sibling\ninclude "../shared/domains.qual"\n'
                      'schema { person.email: string }\n'
                      'icp { reject domain(person.email) in free_mail as "free mail" }\n'
                      'tiers { tier all otherwise }\n')
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "sibling")
    return policy


def test_rev_includes_a_sibling_folder_of_the_project_from_the_revision(repo: Path) -> None:
    policy = _sibling_project(repo)
    (repo / "shared" / "domains.qual").write_text('set free_mail = ["gmail.com", "yahoo.com"]\n')
    result = diff("--rev", "HEAD", str(policy), "--format", "json")
    assert result.exit_code == 0, result.output
    changes = json.loads(result.stdout)["changes"]
    assert [(c["target"], c["items_added"]) for c in changes] == [("set free_mail", ['"yahoo.com"'])]


def test_rev_include_that_exists_only_in_the_working_tree_is_not_read(repo: Path) -> None:
    policy = _sibling_project(repo)
    git(repo, "rm", "-q", "shared/domains.qual")
    git(repo, "commit", "-q", "-m", "gone")
    (repo / "shared").mkdir(exist_ok=True)
    (repo / "shared" / "domains.qual").write_text('set free_mail = ["gmail.com"]\n')  # untracked now
    result = diff("--rev", "HEAD", str(policy))
    assert result.exit_code == 2
    assert "`../shared/domains.qual`: no such file at `HEAD`" in result.stderr
    assert "HEAD:policies/sibling.qual:2:" in result.stderr


def test_rev_include_is_confined_to_the_project_at_the_revision(repo: Path) -> None:
    policy = _sibling_project(repo)
    git(repo, "rm", "-q", "qualdsl.toml")  # no project at HEAD: confined to the policy's folder
    git(repo, "commit", "-q", "-m", "no project")
    (repo / "qualdsl.toml").write_text("")  # the working tree's project does not count for HEAD
    result = diff("--rev", "HEAD", str(policy))
    assert result.exit_code == 2
    assert "leaves the policy's directory" in result.stderr
