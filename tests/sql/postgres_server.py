"""A throwaway PostgreSQL server for the tests: a cluster initialised in a
temp dir, listening on 127.0.0.1 on a free port, stopped at the end.

PostgreSQL refuses to run as root: as root the server runs as `nobody`
(through runuser). `server()` skips the test cleanly when there are no
binaries (`.ci/postgres.sh` installs them), no psycopg, or no way to drop
root."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


def _bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _run(args: list[str], cwd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, check=False, capture_output=True, text=True, timeout=120, cwd=cwd)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, directory: Path, port: int, as_user: list[str]):
        self.directory = directory
        self.port = port
        self.as_user = as_user

    @property
    def dsn(self) -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres"


def server() -> Iterator[Server]:
    """Start a server (a generator for a session fixture)."""
    pytest.importorskip("psycopg", reason="psycopg is not installed: pip install 'qualdsl[postgres]'")
    bin_dir = _bin_dir()
    if bin_dir is None:
        pytest.skip("no PostgreSQL binaries (run .ci/postgres.sh)")
    as_user: list[str] = []
    root = tempfile.mkdtemp(prefix="qualdsl-pg-")
    if os.geteuid() == 0:
        runuser = shutil.which("runuser")
        try:
            nobody = pwd.getpwnam("nobody")
        except KeyError:
            nobody = None
        if runuser is None or nobody is None:
            pytest.skip("running as root without runuser/nobody: PostgreSQL refuses root")
        os.chown(root, nobody.pw_uid, nobody.pw_gid)
        as_user = [runuser, "-u", "nobody", "--"]
    directory = Path(root) / "data"
    port = _free_port()
    init = _run([*as_user, str(bin_dir / "initdb"), "-D", str(directory), "-U", "postgres",
                           "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"], root)
    if init.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        pytest.skip(f"initdb failed: {init.stderr[-500:]}")
    options = f"-p {port} -h 127.0.0.1 -k {root} -c fsync=off -c timezone=UTC"
    start = _run([*as_user, str(bin_dir / "pg_ctl"), "-D", str(directory), "-o", options,
                            "-l", str(Path(root) / "log"), "-w", "start"], root)
    if start.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        pytest.skip(f"PostgreSQL did not start: {start.stderr[-500:]}")
    try:
        yield Server(directory, port, as_user)
    finally:
        _run([*as_user, str(bin_dir / "pg_ctl"), "-D", str(directory), "-m", "immediate", "-w", "stop"], root)
        shutil.rmtree(root, ignore_errors=True)
