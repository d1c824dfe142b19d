"""Structured logs: one line per decision and per reload, to stderr.

Written straight to the stream rather than through `logging`: a decision
line is on the hot path, and `logging`'s record machinery costs more than
the decision itself. `json` lines are for log shippers, `text` for people.

Decision lines are buffered and written together, at most `FLUSH_SECONDS`
late (the app's lifespan runs `flush_every`), when `CHUNK` bytes are
waiting, and at shutdown: a write and flush per decision cost as much as
building the line. Each write is whole lines of at most `CHUNK` bytes (a
longer line alone): a pipe takes a write of up to PIPE_BUF (4096 bytes on
Linux) in one piece, so the lines of several workers sharing stderr never
interleave mid-line. Reload lines and messages are written at once.
"""

from __future__ import annotations

import sys
import threading
from typing import IO, Any

import anyio
import orjson

from .reload import Change, Clock

CHUNK = 4096  # PIPE_BUF on Linux: the most a pipe writes in one piece
FLUSH_SECONDS = 0.1


class EventLog:
    def __init__(self, format: str = "json", stream: IO[str] | None = None, *, clock: Clock):
        if format not in ("json", "text"):
            raise ValueError(f"log format must be json or text, not {format!r}")
        self.format = format
        self.stream = stream
        self.clock = clock
        self._lock = threading.Lock()
        self._pending: list[str] = []
        self._pending_size = 0

    def now(self) -> str:
        # isoformat, not strftime: cheaper, and this runs once per decision.
        return self.clock().isoformat().replace("+00:00", "Z")

    def line(self, event: str, **fields: Any) -> str:
        record = {"time": self.now(), "event": event, **fields}
        if self.format == "json":
            return orjson.dumps(record).decode()
        return " ".join(
            f"{key}={value}" if key not in ("time", "event") else str(value)
            for key, value in record.items() if value is not None)

    def write(self, lines: list[str]) -> None:
        """Write whole lines now (after any buffered ones, so order is kept)."""
        with self._lock:
            self._pending.extend(lines)
            self._flush()

    def buffer(self, lines: list[str]) -> None:
        """Write whole lines soon: at the next flush, or now if `CHUNK` bytes are waiting."""
        with self._lock:
            self._pending.extend(lines)
            self._pending_size += sum(map(len, lines)) + len(lines)
            if self._pending_size >= CHUNK:
                self._flush()

    def flush(self) -> None:
        with self._lock:
            self._flush()

    async def flush_every(self, seconds: float = FLUSH_SECONDS) -> None:
        """The background flush (the app's lifespan runs it, and flushes at shutdown)."""
        while True:
            await anyio.sleep(seconds)
            if self._pending:
                self.flush()

    def _flush(self) -> None:
        lines, self._pending, self._pending_size = self._pending, [], 0
        if not lines:
            return
        stream = self.stream if self.stream is not None else sys.stderr
        chunk: list[str] = []
        size = 0
        for line in lines:
            if chunk and size + len(line) + 1 > CHUNK:
                stream.write("".join(chunk))
                stream.flush()
                chunk, size = [], 0
            chunk.append(line + "\n")
            size += len(line) + 1
        stream.write("".join(chunk))
        stream.flush()

    def decision(self, policy: str, digest: str, lead: str | None, tier: str | None, route: str | None,
                 seconds: float, now: str | None = None) -> str:
        """One decision's line; `now`: the time to stamp (a batch's lines share one)."""
        if self.format != "json":
            return self.line("decision", policy=policy, hash=digest, lead=lead, tier=tier, route=route,
                             latency_ms=round(seconds * 1000, 4))
        # The hot path, spelled out: one dict, one dumps.
        return orjson.dumps({"time": now or self.now(), "event": "decision", "policy": policy, "hash": digest,
                             "lead": lead, "tier": tier, "route": route,
                             "latency_ms": round(seconds * 1000, 4)}).decode()

    def reload(self, change: Change) -> None:
        error = [d.to_dict() for d in change.error] if change.error else None
        self.write([self.line("reload", policy=change.name, path=change.path, result=change.result,
                              hash=change.hash, error=error)])

    def message(self, text: str, **fields: Any) -> None:
        self.write([self.line("message", message=text, **fields)])
