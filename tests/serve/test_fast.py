"""The cheap paths: evaluate answered as plain ASGI before Starlette's router
must answer exactly as the router would; decision log lines are buffered but
written as whole lines, in order, in pieces a pipe keeps whole, and none is
lost at shutdown."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from qualdsl.serve.logs import CHUNK, EventLog

from .conftest import AS_OF, DEMO_LEAD, fixed_clock


class Writes(io.StringIO):
    """A stream that remembers each flushed piece, as a pipe would receive it."""

    def __init__(self) -> None:
        super().__init__()
        self.pieces: list[str] = []
        self._mark = 0

    def flush(self) -> None:
        value = self.getvalue()
        if len(value) > self._mark:
            self.pieces.append(value[self._mark:])
            self._mark = len(value)


def test_buffered_lines_are_written_whole_in_order_and_in_pipe_sized_pieces() -> None:
    stream = Writes()
    log = EventLog("json", stream, clock=fixed_clock)
    lines = [f'{{"n": {i}, "pad": "{"x" * (i % 300)}"}}' for i in range(200)] + ["y" * (CHUNK + 10)]
    for line in lines[:150]:
        log.buffer([line])
    assert stream.pieces, "more than CHUNK bytes waiting are written without waiting for the flush"
    log.buffer(lines[150:])
    log.flush()
    assert "".join(stream.pieces) == "".join(line + "\n" for line in lines)
    for piece in stream.pieces:
        assert piece.endswith("\n")
        assert len(piece) <= CHUNK or piece.count("\n") == 1  # only a line longer than CHUNK goes alone
    log.flush()
    assert "".join(stream.pieces).count("\n") == len(lines)  # a second flush writes nothing again


def test_immediate_lines_come_after_the_buffered_ones() -> None:
    stream = Writes()
    log = EventLog("json", stream, clock=fixed_clock)
    log.buffer(["decision 1"])
    log.message("reloaded")
    assert stream.getvalue().splitlines()[0] == "decision 1"
    assert '"message":"reloaded"' in stream.getvalue().splitlines()[1]


def test_no_decision_line_is_lost_at_shutdown(serve: Any) -> None:
    served = serve()
    for _ in range(3):
        assert served.client.post("/v1/policies/saas_inbound/evaluate",
                                  json={"lead": DEMO_LEAD, "as_of": AS_OF}).status_code == 200
    served.client.__exit__(None, None, None)  # the lifespan ends: the buffer is flushed
    assert served.log.getvalue().count('"event":"decision"') == 3


def test_the_plain_asgi_evaluate_answers_as_the_router_path_does(serve: Any, policy_dir: Path) -> None:
    """A broken policy's 503 (with Retry-After) from evaluate (plain ASGI) and
    evaluate-batch (Starlette's router and exception handler) alike."""
    (policy_dir / "broken.qual").write_text("policy broken\nicp {\n  require nonsense ==\n}\n")
    client = serve().client
    fast = client.post("/v1/policies/broken/evaluate", json={"lead": {}, "as_of": AS_OF})
    routed = client.post("/v1/policies/broken/evaluate-batch", json={"leads": [], "as_of": AS_OF})
    assert fast.status_code == routed.status_code == 503
    assert fast.json() == routed.json()
    for header in ("content-type", "content-length", "retry-after"):
        assert fast.headers[header] == routed.headers[header]


def test_paths_the_fast_path_does_not_own_go_on_to_the_router(serve: Any) -> None:
    client = serve().client
    for path in ("/v1/policies//evaluate", "/v1/policies/a/b/evaluate", "/v1/policies/saas_inbound/evaluatex"):
        response = client.post(path, json={"lead": {}})
        assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found"), path
    response = client.put("/v1/policies/saas_inbound/evaluate", json={"lead": {}})
    assert (response.status_code, response.json()["error"]["code"]) == (405, "method_not_allowed")


def test_under_a_root_path_evaluate_is_still_answered(serve: Any) -> None:
    from starlette.testclient import TestClient

    app = serve().client.app
    with TestClient(app, root_path="/api") as client:
        response = client.post("/api/v1/policies/saas_inbound/evaluate", json={"lead": DEMO_LEAD, "as_of": AS_OF})
        assert response.status_code == 200, response.text
        assert response.json()["decision"]["tier"] == "SQL"


def test_the_router_endpoint_answers_as_the_fast_path(serve: Any) -> None:
    """EvaluateRoute (behind the router, for any request the fast path passes on) sends the same bytes."""
    import asyncio
    import json

    from qualdsl.serve.app import EvaluateRoute

    served = serve()
    app = served.client.app
    body = json.dumps({"lead": DEMO_LEAD, "as_of": AS_OF}).encode()
    scope = {"type": "http", "method": "POST", "path": "/v1/policies/saas_inbound/evaluate", "app": app,
             "path_params": {"name": "saas_inbound"}, "headers": [(b"content-type", b"application/json")]}
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(EvaluateRoute()(scope, receive, send))
    fast = served.client.post("/v1/policies/saas_inbound/evaluate", content=body,
                              headers={"content-type": "application/json"})
    assert sent[0]["status"] == 200 and sent[1]["body"] == fast.content
