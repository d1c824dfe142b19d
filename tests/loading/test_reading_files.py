"""Reading user files safely (source.py): regular files only, a size limit
counted while reading, and a sentence for every failure. Each class of the
hardening issue has a test named after it."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import qualdsl
from qualdsl.cli import cli
from qualdsl.errors import SourceError
from qualdsl.source import (
    MAX_SOURCE_BYTES,
    UnreadableFile,
    open_user_file,
    read_file_bytes,
    read_limited,
    read_text_file,
)

DEVICES = [d for d in ("/dev/zero", "/dev/urandom", "/dev/full") if os.path.exists(d)]
SRC = str(Path(__file__).resolve().parents[2] / "src")


def run(*args: str, input: str | bytes | None = None, cwd: Path | None = None, timeout: float = 30):
    """The real command in a child process: a hang fails by timeout, not by hanging the suite."""
    env = {**os.environ, "PYTHONPATH": SRC}
    return subprocess.run([sys.executable, "-m", "qualdsl", *args], input=input, capture_output=True, check=False,
                          cwd=cwd, env=env, timeout=timeout)


class TestDevicesAndEndlessFiles:
    @pytest.mark.parametrize("device", DEVICES)
    def test_a_device_as_a_policy_is_refused(self, device):
        with pytest.raises(SourceError) as error:
            qualdsl.load(device)
        assert error.value.diagnostics[0].message == "is a character device, not a regular file"

    @pytest.mark.parametrize("device", DEVICES)
    def test_check_on_a_device_exits_1_with_the_reason(self, device):
        result = run("check", device)
        assert result.returncode == 1
        assert b"is a character device, not a regular file" in result.stderr

    def test_an_endless_stream_stops_at_the_limit(self):
        class Endless(io.RawIOBase):
            reads = 0

            def readable(self) -> bool:
                return True

            def read(self, size: int = -1) -> bytes:
                self.reads += 1
                return b"x" * size

        stream = Endless()
        with pytest.raises(UnreadableFile) as error:
            read_limited(stream, 1000)  # type: ignore[arg-type]
        assert str(error.value).startswith("file is too large (over the limit of 1,000 bytes)")
        assert stream.reads == 1  # limit+1 bytes asked for, then stopped

    def test_check_dash_reads_dev_zero_on_stdin_within_the_limit(self):
        with open("/dev/zero", "rb") as zero:
            result = subprocess.run([sys.executable, "-m", "qualdsl", "check", "-"], stdin=zero, check=False,
                                    capture_output=True, env={**os.environ, "PYTHONPATH": SRC}, timeout=60)
        assert result.returncode == 1
        assert b"file is too large" in result.stderr
        assert b"Traceback" not in result.stderr

    def test_a_file_over_the_limit_is_refused_by_its_size(self, tmp_path):
        path = tmp_path / "big.qual"
        path.write_bytes(b"#" * (MAX_SOURCE_BYTES + 1))
        with pytest.raises(SourceError) as error:
            qualdsl.load(path)
        assert error.value.diagnostics[0].message.startswith("file is too large")


class TestFifos:
    def test_a_fifo_as_a_policy_never_blocks(self, tmp_path):
        os.mkfifo(tmp_path / "p.qual")
        result = run("check", "p.qual", cwd=tmp_path, timeout=20)
        assert result.returncode == 1
        assert b"p.qual:1:1: error[QE001]: is a FIFO, not a regular file" in result.stderr

    @pytest.mark.parametrize("command", [["fmt"], ["fmt", "--check"], ["lint"]])
    def test_a_fifo_named_on_the_command_line_never_blocks(self, tmp_path, command):
        os.mkfifo(tmp_path / "p.qual")
        result = run(*command, "p.qual", cwd=tmp_path, timeout=20)
        assert result.returncode == 1
        assert b"is a FIFO, not a regular file" in result.stderr + result.stdout

    def test_a_fifo_as_a_suite_never_blocks(self, tmp_path):
        os.mkfifo(tmp_path / "p.test.yaml")
        result = run("test", "p.test.yaml", cwd=tmp_path, timeout=20)
        assert result.returncode == 2
        assert b"p.test.yaml:1:1: error: is a FIFO, not a regular file" in result.stdout

    def test_a_fifo_in_a_directory_scan_is_skipped(self, tmp_path):
        os.mkfifo(tmp_path / "p.qual")
        (tmp_path / "ok.qual").write_text('policy ok\n', encoding="utf-8")
        for command in ("check", "fmt", "lint"):
            result = run(command, "--check" if command == "fmt" else ".", *(["."] if command == "fmt" else []),
                         cwd=tmp_path, timeout=20)
            assert b"Traceback" not in result.stderr, command
            assert result.returncode in (0, 1), (command, result.stderr)

    def test_read_file_bytes_refuses_a_fifo_even_with_a_writer(self, tmp_path):
        fifo = tmp_path / "p"
        os.mkfifo(fifo)
        writer = os.open(fifo, os.O_RDWR)  # a FIFO that would deliver data
        try:
            with pytest.raises(UnreadableFile, match="is a FIFO, not a regular file"):
                read_file_bytes(fifo, 100)
        finally:
            os.close(writer)


class TestStreamedFiles:
    """open_user_file: what a reader that streams (leads, line by line) opens."""

    def test_a_fifo_streams_when_pipes_are_allowed(self, tmp_path):
        fifo = tmp_path / "leads.jsonl"
        os.mkfifo(fifo)
        writer = os.open(fifo, os.O_RDWR)
        try:
            os.write(writer, b'{"id": 1}\n')
            with open_user_file(fifo, "a leads file", pipes=True) as file:
                assert file.readline() == b'{"id": 1}\n'
        finally:
            os.close(writer)

    def test_a_fifo_is_refused_otherwise(self, tmp_path):
        os.mkfifo(tmp_path / "leads.jsonl")
        with pytest.raises(UnreadableFile, match=r"^is a FIFO, not a regular file$"):
            open_user_file(tmp_path / "leads.jsonl", "a leads file")

    def test_a_device_is_refused_even_with_pipes(self):
        with pytest.raises(UnreadableFile, match=r"^is a character device, not a regular file$"):
            open_user_file("/dev/zero", "a leads file", pipes=True)

    def test_a_regular_file_reads_blocking(self, tmp_path):
        (tmp_path / "a").write_bytes(b"x" * 10)
        with open_user_file(tmp_path / "a") as file:
            assert file.read() == b"x" * 10
            assert os.get_blocking(file.fileno())


class TestPathsAndKinds:
    def test_a_directory(self, tmp_path):
        with pytest.raises(UnreadableFile, match=r"^is a directory, not a policy$"):
            read_file_bytes(tmp_path, 100, "a policy")

    def test_a_missing_file(self, tmp_path):
        with pytest.raises(UnreadableFile, match=r"^no such file$"):
            read_file_bytes(tmp_path / "nope", 100)

    def test_a_symlink_loop(self, tmp_path):
        (tmp_path / "loop").symlink_to(tmp_path / "loop")
        with pytest.raises(UnreadableFile, match="symlink loop"):
            read_file_bytes(tmp_path / "loop", 100)

    def test_a_nul_in_the_path(self):
        with pytest.raises(UnreadableFile, match="NUL character"):
            read_file_bytes("a\x00b", 100)

    def test_a_lone_surrogate_in_the_path(self):
        with pytest.raises(UnreadableFile, match="lone surrogate"):
            read_file_bytes("a\ud800b", 100)

    @pytest.mark.skipif(os.geteuid() == 0, reason="root reads anything")
    def test_permission_denied(self, tmp_path):
        path = tmp_path / "secret"
        path.write_text("x")
        path.chmod(0)
        with pytest.raises(UnreadableFile, match=r"^permission denied$"):
            read_file_bytes(path, 100)

    def test_text_drops_a_bom_and_refuses_nul_bytes(self, tmp_path):
        (tmp_path / "a").write_bytes(b"\xef\xbb\xbfhello")
        assert read_text_file(tmp_path / "a", 100) == "hello"
        (tmp_path / "b").write_bytes(b"he\x00llo")
        with pytest.raises(UnreadableFile, match="binary"):
            read_text_file(tmp_path / "b", 100)


class TestLintConfigSymlinkLoop:
    def test_linting_a_symlink_loop_is_a_located_error(self, tmp_path):
        (tmp_path / "loop.qual").symlink_to(tmp_path / "loop.qual")
        result = CliRunner().invoke(cli, ["lint", str(tmp_path / "loop.qual")])
        assert result.exit_code == 1, result.output
        assert "loop.qual:1:1: error[QE001]: too many levels of symbolic links (a symlink loop?)" in result.output

    def test_a_qualdsl_toml_symlink_loop_is_no_configuration(self, tmp_path):
        (tmp_path / "qualdsl.toml").symlink_to(tmp_path / "qualdsl.toml")
        (tmp_path / "p.qual").write_text("policy p\n", encoding="utf-8")
        result = CliRunner().invoke(cli, ["lint", str(tmp_path / "p.qual")])
        assert result.exit_code == 0, result.output
        assert "1 policy linted: no problems" in result.output


POLICIES = Path(__file__).resolve().parents[2] / "policies"
_SAAS = str(POLICIES / "saas_inbound.qual")


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full on this system")
@pytest.mark.parametrize("args", [
    ("compile", _SAAS, "--target", "json"),  # sys.stdout, large
    ("compile", _SAAS, "--target", "sql", "--dialect", "duckdb"),
    ("eval", _SAAS, "--lead", str(POLICIES / "saas_inbound.lead.json"), "--as-of", "2026-11-01"),  # small: at exit
    ("eval", _SAAS, "--leads", str(POLICIES / "saas_inbound.leads.jsonl"), "--as-of", "2026-11-01"),
    ("score", _SAAS, str(POLICIES / "saas_inbound.leads.jsonl"), "--as-of", "2026-11-01"),
    ("lint", str(POLICIES)),
    ("--version",),
], ids=lambda args: " ".join(a for a in args if not a.startswith("/")))
def test_standard_output_on_a_full_disk_is_exit_2_naming_it(args):
    """`> /dev/full` (every write fails with ENOSPC): exit 2 and one line
    naming standard output, never an internal error or Python's own
    complaint at exit (exit 120), whether the write fails during the command
    or when what was buffered is flushed at its end."""
    with open("/dev/full", "wb") as full:
        env = {**os.environ, "PYTHONPATH": SRC}
        result = subprocess.run([sys.executable, "-m", "qualdsl", *args], stdout=full, stderr=subprocess.PIPE,
                                check=False, env=env, timeout=60)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.decode().splitlines()
    assert lines[-1] == "error: cannot write standard output: No space left on device"
    assert sum("cannot write" in line for line in lines) == 1, lines
    assert b"internal error" not in result.stderr and b"Exception ignored" not in result.stderr


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full on this system")
def test_an_errors_file_on_a_full_disk_is_exit_2_and_keeps_no_decisions(tmp_path: Path):
    """`score --errors /dev/full`: the unreadable row's record cannot be
    kept, so neither are the decisions (`-o` is not written), exit 2."""
    leads = tmp_path / "leads.jsonl"
    leads.write_text('{"id": "a"}\n{broken\n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = run("score", _SAAS, str(leads), "--as-of", "2026-11-01", "--errors", "/dev/full", "-o", str(out))
    assert result.returncode == 2, result.stderr
    assert result.stderr.decode().splitlines() == [
        "error: cannot write /dev/full (--errors): No space left on device; nothing was written"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["leads.jsonl"]


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full on this system")
def test_standard_output_and_error_both_full_is_still_exit_2():
    """With nowhere to say why, the exit code alone says it (not 1, not a traceback's)."""
    with open("/dev/full", "wb") as full:
        env = {**os.environ, "PYTHONPATH": SRC}
        result = subprocess.run([sys.executable, "-m", "qualdsl", "eval", _SAAS, "--lead",
                                 str(POLICIES / "saas_inbound.lead.json"), "--as-of", "2026-11-01"],
                                stdout=full, stderr=full, check=False, env=env, timeout=60)
    assert result.returncode == 2


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
@pytest.mark.parametrize("command", ["score-csv", "score-jsonl", "eval-lead", "check"])
def test_a_utf16_file_says_so_and_how_to_convert_it(tmp_path: Path, encoding: str, command: str):
    """Excel saves "Unicode text" as UTF-16 with a byte order mark: to a UTF-8
    reader it is binary (NUL bytes); the message names the encoding instead."""
    bom = {"utf-16": "", "utf-16-be": "\ufeff", "utf-32": ""}[encoding]  # utf-16/utf-32 write their own BOM
    texts = {"score-csv": ("leads.csv", "id,source\n1,web\n"), "score-jsonl": ("leads.jsonl", '{"id": "1"}\n'),
             "eval-lead": ("lead.json", '{"id": "1"}'), "check": ("p.qual", (POLICIES / "bant.qual").read_text())}
    name, text = texts[command]
    path = tmp_path / name
    path.write_bytes((bom + text).encode(encoding))
    args = {"score-csv": ("score", _SAAS, str(path), "--as-of", "2026-11-01"),
            "score-jsonl": ("score", _SAAS, str(path), "--as-of", "2026-11-01"),
            "eval-lead": ("eval", _SAAS, "--lead", str(path), "--as-of", "2026-11-01"),
            "check": ("check", str(path))}[command]
    result = run(*args)
    assert result.returncode == (1 if command in ("eval-lead", "check") else 2), result.stderr
    assert b"file is UTF-16 or UTF-32 text (it starts with a byte order mark), not UTF-8: save it as UTF-8" \
        in result.stderr
