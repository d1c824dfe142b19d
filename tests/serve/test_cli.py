"""`qualdsl serve` refuses bad setups with a usage error (exit 2), before binding anything."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from qualdsl.cli import cli
from qualdsl.serve.cli import is_loopback


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["serve", *args])
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_a_public_address_without_a_token_is_refused(policy_dir: Path) -> None:
    code, output = _run(str(policy_dir), "--host", "0.0.0.0")
    assert code == 2
    assert "refusing to listen on 0.0.0.0 without a token" in output and "--insecure-no-auth" in output


@pytest.mark.parametrize("content,message", [
    ("", "the file is empty"), ("  \n", "the file is empty"), ("two words", "one line"),
    ("\xff", "not UTF-8")])
def test_a_bad_token_file_is_refused(policy_dir: Path, tmp_path: Path, content: str, message: str) -> None:
    token = tmp_path / "token"
    token.write_bytes(content.encode("latin-1"))
    code, output = _run(str(policy_dir), "--token-file", str(token))
    assert code == 2 and message in output


def test_a_missing_token_file_is_refused(policy_dir: Path, tmp_path: Path) -> None:
    code, output = _run(str(policy_dir), "--token-file", str(tmp_path / "absent"))
    assert code == 2 and "cannot read it" in output


def test_a_directory_without_policies_is_refused(tmp_path: Path) -> None:
    (tmp_path / "fragment.qual").write_text("set a = [1]\n")
    code, output = _run(str(tmp_path))
    assert code == 2 and "no policy files" in output


def test_a_missing_directory_is_refused(tmp_path: Path) -> None:
    code, output = _run(str(tmp_path / "nope"))
    assert code == 2 and "does not exist" in output


def test_serve_is_listed() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert "serve" in result.output and "Serve policies over HTTP" in result.output


@pytest.mark.parametrize("host,expected", [
    ("127.0.0.1", True), ("127.8.9.1", True), ("::1", True), ("[::1]", True), ("localhost", True),
    ("0.0.0.0", False), ("::", False), ("10.0.0.5", False), ("example.com", False)])
def test_is_loopback(host: str, expected: bool) -> None:
    assert is_loopback(host) is expected
