"""One find_policy_files for check, lint, fmt and test; `check -`; the
pre-commit hook on fragments; FORCE_COLOR; the out-of-memory handler."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from qualdsl.cli import cli
from qualdsl.loader import find_policy_files
from qualdsl.testing.cases import discover

ROOT = Path(__file__).resolve().parents[2]
SRC = str(ROOT / "src")
POLICY = 'policy p\n\ninclude "lib.qual"\n\nicp {\n  require country in ok  else "n"\n}\n'  # formatted
FRAGMENT = 'set ok = ["US"]\n'
UNKNOWN_FIELD = 'policy p\nschema {\n  x: string\n}\nicp {\n  require y == "a" else "n"\n}\n'
SUITE = "policy: p.qual\nas_of: 2026-11-01\ncases:\n  - name: us\n    lead: {country: US}\n    expect: {icp: true}\n"


def invoke(*args: str, input: str | bytes | None = None, env: dict[str, str] | None = None):
    return CliRunner().invoke(cli, list(args), input=input, env=env)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """Policies under a hidden folder (like ~/.cache/...), with a fragment and a suite."""
    folder = tmp_path / ".cache" / "work" / "policies"
    folder.mkdir(parents=True)
    (folder / "p.qual").write_text(POLICY, encoding="utf-8")
    (folder / "lib.qual").write_text(FRAGMENT, encoding="utf-8")
    (folder / "p.test.yaml").write_text(SUITE, encoding="utf-8")
    hidden = folder / ".git"
    hidden.mkdir()
    (hidden / "old.qual").write_text("policy old\nbroken {\n", encoding="utf-8")
    (hidden / "old.test.yaml").write_text("nonsense: [", encoding="utf-8")
    return folder


class TestFindPolicyFiles:
    def test_a_dot_folder_above_the_path_is_searched(self, project: Path):
        assert find_policy_files([str(project)]) == [str(project / "lib.qual"), str(project / "p.qual")]

    def test_hidden_folders_below_the_path_are_skipped(self, project: Path):
        assert all(".git" not in path for path in find_policy_files([str(project)]))

    def test_fragments_left_out_on_request(self, project: Path):
        assert find_policy_files([str(project)], fragments=False) == [str(project / "p.qual")]

    def test_dot_dot(self, project: Path, monkeypatch):
        (project / "sub").mkdir()
        monkeypatch.chdir(project / "sub")
        assert find_policy_files([".."], fragments=False) == [os.path.join("..", "p.qual")]

    def test_a_path_containing_dot_dot(self, project: Path, monkeypatch):
        (project / "sub").mkdir()
        monkeypatch.chdir(project / "sub")
        assert find_policy_files(["../../policies"], fragments=False) == ["../../policies/p.qual"]

    def test_a_file_is_kept_as_given(self, tmp_path: Path):
        assert find_policy_files([str(tmp_path / "missing.qual")]) == [str(tmp_path / "missing.qual")]

    def test_suites_use_the_same_discovery(self, project: Path, monkeypatch):
        (project / "sub").mkdir()
        monkeypatch.chdir(project / "sub")
        assert discover([".."]) == ([os.path.join("..", "p.test.yaml")], [])


class TestEveryCommandFindsTheSamePolicies:
    """Before: `check` and `lint` found nothing under `..` or below a dot-folder."""

    @pytest.mark.parametrize("where", ["..", "../../policies", "ABSOLUTE"])
    def test_check_lint_fmt_test(self, project: Path, monkeypatch, where):
        (project / "sub").mkdir()
        monkeypatch.chdir(project / "sub")
        target = str(project) if where == "ABSOLUTE" else where
        check = invoke("check", target)
        assert check.exit_code == 0, check.output
        assert "1 policy OK" in check.output
        lint = invoke("lint", target)
        assert "1 policy linted" in lint.output, lint.output
        fmt = invoke("fmt", "--check", target)
        assert fmt.exit_code == 0, fmt.output
        assert "2 files already formatted" in fmt.output
        test = invoke("test", target)
        assert test.exit_code == 0, test.output
        assert "1 passed" in test.output


class TestCheckStdin:
    def test_check_dash_reads_stdin(self):
        result = invoke("check", "-", input=UNKNOWN_FIELD)
        assert result.exit_code == 1
        assert "<stdin>:6:11: error: unknown name `y`" in result.output

    def test_a_good_policy_on_stdin(self):
        result = invoke("check", "-", input="policy p\n")
        assert result.exit_code == 0
        assert "1 policy OK" in result.output

    def test_stdin_filename_resolves_includes(self, project: Path):
        result = invoke("check", "--stdin-filename", str(project / "p.qual"), "-", input=POLICY)
        assert result.exit_code == 0, result.output

    def test_lint_dash_reads_stdin(self):
        result = invoke("lint", "-", input=UNKNOWN_FIELD)
        assert result.exit_code == 1
        assert "<stdin>:6:11: error[QD000]: unknown name `y`" in result.output


class TestPreCommitHookOnFragments:
    def hook_entry(self, hook: str) -> list[str]:
        hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
        entry = next(h for h in hooks if h["id"] == hook)["entry"]
        return shlex.split(entry)[1:]  # without `qualdsl`

    def test_qualdsl_check_passes_on_a_fragment_and_its_policy(self, project: Path):
        # pre-commit passes every staged *.qual file, fragments included.
        result = invoke(*self.hook_entry("qualdsl-check"), str(project / "lib.qual"), str(project / "p.qual"))
        assert result.exit_code == 0, result.output
        assert "1 policy and 1 fragment OK" in result.output

    def test_a_fragment_that_does_not_parse_still_fails(self, tmp_path: Path):
        (tmp_path / "bad.qual").write_text("set ok = [\n", encoding="utf-8")
        result = invoke(*self.hook_entry("qualdsl-check"), str(tmp_path / "bad.qual"))
        assert result.exit_code == 1
        assert "bad.qual:" in result.output


class TestForceColor:
    def test_force_color_colours_a_pipe(self):
        result = invoke("check", "-", input="policy p\nlet a = \n", env={"FORCE_COLOR": "1", "NO_COLOR": ""})
        assert "\x1b[" in result.output

    def test_without_it_a_pipe_is_plain(self):
        result = invoke("check", "-", input="policy p\nlet a = \n", env={"FORCE_COLOR": "", "NO_COLOR": ""})
        assert "\x1b[" not in result.output

    def test_no_color_wins(self):
        result = invoke("check", "-", input="policy p\nlet a = \n", env={"FORCE_COLOR": "1", "NO_COLOR": "1"})
        assert "\x1b[" not in result.output


class TestOutOfMemory:
    def test_running_out_of_memory_exits_3_with_a_short_message(self, tmp_path: Path):
        # A command that really runs out of memory, under a 1 GB address-space limit.
        script = textwrap.dedent("""
            import resource, sys
            import click
            from qualdsl import cli

            resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

            @click.command("hog")
            def hog():
                chunks = []
                while True:
                    chunks.append(bytearray(64 << 20))

            sys.modules["qualdsl_test_hog"] = type(sys)("qualdsl_test_hog")
            sys.modules["qualdsl_test_hog"].hog = hog
            cli.COMMANDS["hog"] = ("qualdsl_test_hog:hog", "allocate until memory runs out")
            cli.main(["hog"])
        """)
        result = subprocess.run([sys.executable, "-c", script], capture_output=True, check=False, timeout=120,
                                env={**os.environ, "PYTHONPATH": SRC})
        assert result.returncode == 3
        assert result.stderr == b"qualdsl: internal error: out of memory\n"
