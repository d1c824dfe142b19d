"""`qualdsl serve` refuses bad setups with a usage error (exit 2), before binding anything."""

from __future__ import annotations

import os
import socket
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


@pytest.mark.parametrize("device", [d for d in ("/dev/zero", "/dev/urandom") if Path(d).exists()])
def test_an_endless_token_file_is_refused_without_reading_it(policy_dir: Path, device: str) -> None:
    code, output = _run(str(policy_dir), "--token-file", device)
    assert code == 2 and f"--token-file {device}: cannot read it: is a character device, not a regular file" in output


def test_a_fifo_token_file_is_refused_without_waiting_for_a_writer(policy_dir: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "token"
    os.mkfifo(fifo)
    code, output = _run(str(policy_dir), "--token-file", str(fifo))
    assert code == 2 and "cannot read it: is a FIFO, not a regular file" in output


def test_a_device_as_the_policy_directory_is_refused(tmp_path: Path) -> None:
    code, output = _run("/dev/null")
    assert code == 2 and "/dev/null: not a directory" in output


def test_an_address_in_use_is_a_usage_error_not_uvicorns_exit_3(policy_dir: Path) -> None:
    """uvicorn exits 3 when it cannot bind, which is qualdsl's code for a bug."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, output = _run(str(policy_dir), "--port", str(port))
    assert code == 2 and f"cannot listen on 127.0.0.1:{port}: Address already in use" in output


def test_an_address_not_on_this_machine_is_a_usage_error(policy_dir: Path) -> None:
    code, output = _run(str(policy_dir), "--host", "203.0.113.9", "--insecure-no-auth")  # TEST-NET-3
    assert code == 2 and "cannot listen on 203.0.113.9:8080: Cannot assign requested address" in output
