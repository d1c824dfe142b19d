"""How `qualdsl fmt` writes files (issue: hardening, "fmt writes"): nothing
lost, links and ownership kept, read-only files respected, failures clear."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from qualdsl import fmt
from qualdsl.cli import cli

CASES = Path(__file__).parent / "cases"
MESSY = (CASES / "messy.qual").read_text(encoding="utf-8")
TIDY = fmt.format_text(MESSY)


def run(*args: str, input: str | bytes | None = None):
    return CliRunner().invoke(cli, ["--color", "never", "fmt", *args], input=input)


@pytest.fixture
def messy(tmp_path: Path) -> Path:
    path = tmp_path / "messy.qual"
    path.write_text(MESSY, encoding="utf-8")
    return path


class TestEditDuringFormatting:
    def test_an_edit_made_while_fmt_runs_is_not_lost(self, messy: Path, monkeypatch):
        real = fmt.format_source

        def slow_format(source):
            formatted = real(source)
            messy.write_text(MESSY + "# typed by the user meanwhile\n", encoding="utf-8")
            return formatted

        monkeypatch.setattr(fmt, "format_source", slow_format)
        result = run(str(messy))
        assert result.exit_code == 1
        assert "changed while it was being formatted; not rewritten" in result.output
        assert messy.read_text(encoding="utf-8").endswith("# typed by the user meanwhile\n")


class TestLinks:
    def test_a_symlink_is_followed_and_kept(self, messy: Path):
        link = messy.parent / "link.qual"
        link.symlink_to(messy.name)
        assert run(str(link)).exit_code == 0
        assert link.is_symlink()
        assert messy.read_text(encoding="utf-8") == TIDY

    def test_a_hard_link_is_not_broken(self, messy: Path):
        other = messy.parent / "other.qual"
        os.link(messy, other)
        assert run(str(messy)).exit_code == 0
        assert os.path.samefile(messy, other)
        assert other.read_text(encoding="utf-8") == TIDY


class TestModeAndOwner:
    def test_mode_is_kept(self, messy: Path):
        messy.chmod(0o640)
        assert run(str(messy)).exit_code == 0
        assert stat.S_IMODE(messy.stat().st_mode) == 0o640
        assert messy.read_text(encoding="utf-8") == TIDY

    @pytest.mark.skipif(os.geteuid() != 0, reason="giving a file away needs root")
    def test_owner_is_kept(self, messy: Path):
        os.chown(messy, 4321, 4321)
        assert run(str(messy)).exit_code == 0
        info = messy.stat()
        assert (info.st_uid, info.st_gid) == (4321, 4321)
        assert messy.read_text(encoding="utf-8") == TIDY

    def test_a_read_only_file_is_not_rewritten(self, messy: Path):
        messy.chmod(0o444)
        result = run(str(messy))
        assert result.exit_code == 1
        assert "is read-only; not rewritten" in result.output
        assert messy.read_text(encoding="utf-8") == MESSY


class TestWriteFailures:
    def test_a_read_only_folder_is_a_clear_error(self, messy: Path, monkeypatch):
        def refused(*args, **kwargs):
            raise PermissionError(errno.EACCES, "Permission denied")

        monkeypatch.setattr(fmt.tempfile, "mkstemp", refused)  # what a read-only folder does
        result = run(str(messy))
        assert result.exit_code == 1, result.output
        assert "cannot write in" in result.output and "the file is untouched" in result.output
        assert messy.read_text(encoding="utf-8") == MESSY

    @pytest.mark.skipif(os.geteuid() == 0, reason="root writes in read-only folders")
    def test_a_really_read_only_folder(self, messy: Path):
        messy.parent.chmod(0o555)
        try:
            result = run(str(messy))
        finally:
            messy.parent.chmod(0o755)
        assert result.exit_code == 1
        assert messy.read_text(encoding="utf-8") == MESSY

    def test_a_full_disk_is_a_clear_error(self, messy: Path, monkeypatch):
        real_fdopen = os.fdopen

        class Full:
            def __init__(self, handle, *args, **kwargs):
                self.file = real_fdopen(handle, *args, **kwargs)

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                self.file.close()

            def write(self, data):
                raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(fmt.os, "fdopen", Full)
        result = run(str(messy))
        assert result.exit_code == 1, result.output
        assert "no space left on the device; the file is untouched" in result.output
        assert messy.read_text(encoding="utf-8") == MESSY
        assert [p.name for p in messy.parent.iterdir()] == ["messy.qual"]  # no temporary left


class TestLayoutKept:
    def test_crlf_is_kept(self, tmp_path: Path):
        path = tmp_path / "p.qual"
        path.write_bytes(MESSY.replace("\n", "\r\n").encode("utf-8"))
        assert run(str(path)).exit_code == 0
        assert path.read_bytes() == TIDY.replace("\n", "\r\n").encode("utf-8")
        assert run("--check", str(path)).exit_code == 0  # and it counts as formatted

    def test_a_bom_is_kept(self, tmp_path: Path):
        path = tmp_path / "p.qual"
        path.write_bytes(b"\xef\xbb\xbf" + MESSY.encode("utf-8"))
        assert run(str(path)).exit_code == 0
        assert path.read_bytes() == b"\xef\xbb\xbf" + TIDY.encode("utf-8")

    def test_stdin_keeps_crlf(self):
        result = CliRunner().invoke(cli, ["fmt", "-"], input=MESSY.replace("\n", "\r\n").encode("utf-8"))
        assert result.exit_code == 0
        assert result.stdout_bytes == TIDY.replace("\n", "\r\n").encode("utf-8")


class TestStdinFilename:
    def test_includes_resolve_from_the_given_path(self, tmp_path: Path):
        (tmp_path / "lib").mkdir()
        (tmp_path / "lib" / "sets.qual").write_text('set ok = ["US"]\n', encoding="utf-8")
        buffer = 'policy p\ninclude "lib/sets.qual"\nicp {\n  require country   in ok else "n"\n}\n'
        result = run("--stdin-filename", str(tmp_path / "p.qual"), input=buffer)
        assert result.exit_code == 0, result.output
        assert "require country in ok" in result.stdout
        assert not (tmp_path / "p.qual").exists()  # stdin to stdout: nothing written

    def test_errors_name_the_given_path(self, tmp_path: Path):
        buffer = 'policy p\ninclude "missing.qual"\n'
        result = run("--stdin-filename", str(tmp_path / "p.qual"), "-", input=buffer)
        assert result.exit_code == 1
        assert f"{tmp_path / 'p.qual'}:2:1: error[QE034]: include `missing.qual`: no such file" in result.output

    def test_it_goes_with_stdin_only(self, messy: Path):
        result = run("--stdin-filename", "x.qual", str(messy))
        assert result.exit_code == 2
