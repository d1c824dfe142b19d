"""`qualdsl serve POLICY_DIR`: run the HTTP service under uvicorn.

Exit codes: 0 after a clean shutdown, 2 for usage (a missing directory, no
policies in it, an unreadable or empty token file, a non-loopback host
without a token, an address that cannot be listened on).
"""

from __future__ import annotations

import ipaddress
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import click

ENV = "QUALDSL_SERVE_CONFIG"  # how `--workers N` hands the options to each worker process


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def read_token(path: str) -> str:
    from ..source import UnreadableFile, read_file_bytes

    try:  # a regular file only, read no further than a token can be (/dev/zero, a FIFO: refused)
        data = read_file_bytes(path, 65536, "a token file")
    except UnreadableFile as error:
        raise click.UsageError(f"--token-file {path}: cannot read it: {error}") from None
    try:
        token = data.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise click.UsageError(f"--token-file {path}: not UTF-8 text") from None
    if not token:
        raise click.UsageError(f"--token-file {path}: the file is empty")
    if len(data) > 4096 or any(c.isspace() or not c.isprintable() for c in token):
        raise click.UsageError(f"--token-file {path}: a token is one line of at most 4096 printable characters")
    return token


def app_from_config(config: dict[str, Any]) -> Any:
    from .app import Limits, create_app

    token = read_token(config["token_file"]) if config["token_file"] else None
    return create_app(config["policy_dir"], token=token, limits=Limits(**config["limits"]),
                      reload_interval=config["reload_interval"] or None, log_format=config["log_format"],
                      metrics_dir=config.get("metrics_dir"))


def app_from_env() -> Any:
    """The uvicorn factory each worker process calls (`--workers N`)."""
    return app_from_config(json.loads(os.environ[ENV]))


@click.command("serve")
@click.argument("policy_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
@click.option("--token-file", type=click.Path(dir_okay=False), help="File holding the bearer token clients must send.")
@click.option("--insecure-no-auth", is_flag=True, help="Allow a non-loopback --host without a token.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64), help="Worker processes.")
@click.option("--log-format", type=click.Choice(["json", "text"]), default="json", show_default=True)
@click.option("--reload-interval", default=1.0, show_default=True, type=click.FloatRange(0),
              help="Seconds between polls of POLICY_DIR for changes; 0 turns hot reload off.")
@click.option("--max-body-bytes", default=1024 * 1024, show_default=True, type=click.IntRange(1))
@click.option("--max-batch", default=1000, show_default=True, type=click.IntRange(1),
              help="Leads in one evaluate-batch request.")
@click.option("--max-depth", default=64, show_default=True, type=click.IntRange(2, 500),
              help="JSON nesting levels in a request body.")
@click.option("--request-timeout", default=10.0, show_default=True, type=click.FloatRange(0.001),
              help="Seconds to receive a body, and again to decide a batch.")
def serve_command(policy_dir: Path, host: str, port: int, token_file: str | None, insecure_no_auth: bool,
                  workers: int, log_format: str, reload_interval: float, max_body_bytes: int, max_batch: int,
                  max_depth: int, request_timeout: float) -> None:
    """Serve every policy in POLICY_DIR over HTTP (see docs/serve.md)."""
    try:
        import uvicorn
    except ModuleNotFoundError:
        raise click.UsageError("serve needs its extra: pip install 'qualdsl[serve]'") from None
    from .reload import discover_policies

    if token_file:
        read_token(token_file)  # fail now, with a usage error, not in a worker
    elif not is_loopback(host) and not insecure_no_auth:
        raise click.UsageError(
            f"refusing to listen on {host} without a token: give --token-file, or --insecure-no-auth "
            "if something in front of this server authenticates clients")
    if not policy_dir.is_dir():  # click's file_okay=False lets a device through
        raise click.UsageError(f"{policy_dir}: not a directory")
    if not discover_policies(policy_dir):
        raise click.UsageError(f"no policy files (*.qual with a `policy` line) in {policy_dir}")
    config = {
        "policy_dir": str(policy_dir), "token_file": token_file, "log_format": log_format,
        "reload_interval": reload_interval,
        "limits": {"max_body_bytes": max_body_bytes, "max_batch": max_batch, "max_depth": max_depth,
                   "request_timeout": request_timeout},
    }
    options: dict[str, Any] = {"host": host, "port": port, "log_level": "warning", "access_log": False,
                               "server_header": False}
    check_listen(host, port)
    click.echo(f"qualdsl serve: {policy_dir} on http://{host}:{port} ({workers} worker(s))", err=True)
    try:
        if workers == 1:
            uvicorn.run(app_from_config(config), **options)
        else:
            # Each worker publishes its metrics here; the one answering /metrics adds them up (metrics.py).
            with tempfile.TemporaryDirectory(prefix="qualdsl-serve-metrics-") as metrics_dir:
                os.environ[ENV] = json.dumps({**config, "metrics_dir": metrics_dir})
                uvicorn.run("qualdsl.serve.cli:app_from_env", factory=True, workers=workers, **options)
    except SystemExit as stop:
        # uvicorn's own exit codes: 1 (a socket it could not bind, with --workers) and 3 (a
        # startup failure, its reason logged above), met when the address is taken between
        # check_listen and uvicorn's bind. qualdsl's 3 means a bug in qualdsl: this is 2.
        if stop.code in (1, 3):
            raise click.UsageError(f"cannot listen on {host}:{port} (uvicorn's reason is above)") from None
        raise


def check_listen(host: str, port: int) -> None:
    """A usage error now, in one line, when the address cannot be listened on
    (taken, not this machine's, a name that does not resolve), rather than
    uvicorn's log line and its exit codes. Bound with SO_REUSEADDR, as
    uvicorn binds, and closed at once."""
    import socket

    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                             flags=socket.AI_PASSIVE)[0]
    except socket.gaierror as error:
        raise click.UsageError(f"--host {host}: {error.strerror}") from None
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            raise click.UsageError(f"cannot listen on {host}:{port}: {error.strerror}") from None
