"""The HTTP application: decisions over JSON for systems that are not Python.

`create_app(policy_dir, ...)` builds a Starlette app. Its state (the policy
store, metrics, log) is built in `lifespan`; the policies are compiled there
and then re-polled in the background (see reload.py). Every bad request
raises `ApiError`, which one exception handler turns into the JSON body
`{"error": {"code": ..., "message": ...}}`, so routes have no try/except.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hmac
import json
import math
import re
import time
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import attrs
import orjson
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from ..api import Policy, normalize_as_of
from ..decision import Decision
from .logs import EventLog
from .metrics import Metrics, SharedMetrics
from .reload import Clock, Entry, PolicyStore

UTC = dt.UTC


@attrs.frozen
class Limits:
    """What one request may ask for. Defaults suit a CRM webhook: one lead is
    a few kilobytes; a nightly re-score sends batches."""

    max_body_bytes: int = attrs.field(default=1024 * 1024, validator=attrs.validators.ge(1))
    # JSON nesting, counting the body object as 1. At most 500: Policy.evaluate
    # formats a bad value's JSON in its warning, which recurses (1000 levels fail).
    max_depth: int = attrs.field(default=64, validator=[attrs.validators.ge(2), attrs.validators.le(500)])
    max_batch: int = attrs.field(default=1000, validator=attrs.validators.ge(1))  # leads in one evaluate-batch
    # Seconds to receive the body, and again to decide a batch.
    request_timeout: float = attrs.field(default=10.0, validator=attrs.validators.gt(0))


class ApiError(Exception):
    """A request the server refuses: status, a stable code, a readable message."""

    def __init__(self, status: int, code: str, message: str, **extra: Any):
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra


def json_response(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return Response(orjson.dumps(data), status, headers, media_type="application/json")


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **extra}}


def utc_now() -> dt.datetime:
    """The server's clock: the default `as_of`, `loaded_at` and log times."""
    return dt.datetime.now(UTC)


# ---------------------------------------------------------------- the body


def _depth_exceeds(value: Any, limit: int) -> bool:
    """Is any container in `value` (a dict or list) nested deeper than `limit`
    levels, `value` being level 1? Recursive, a quarter faster than a stack:
    it never goes more than limit + 1 frames deep (Limits caps it at 500)."""
    if limit < 1:
        return True
    for child in (value.values() if type(value) is dict else value):
        kind = type(child)
        if (kind is dict or kind is list) and _depth_exceeds(child, limit - 1):
            return True
    return False


class Deadlines:
    """The time limit on receiving a body. One sweep a fraction of the limit
    cancels the reads that outlived it: a timer per request (asyncio.timeout,
    anyio.fail_after) costs more than the rest of reading a small body."""

    def __init__(self) -> None:
        self.reading: dict[asyncio.Task[Any], float] = {}
        self.expired: set[asyncio.Task[Any]] = set()

    async def sweep(self, interval: float) -> None:
        while True:
            await anyio.sleep(interval)
            now = time.monotonic()
            for task, deadline in list(self.reading.items()):
                if now > deadline and task not in self.expired:
                    self.expired.add(task)
                    task.cancel()


def _headers(scope: Scope) -> tuple[bytes, bytes | None]:
    """Content-Type and Content-Length, straight from the ASGI scope (names are lower case)."""
    media, length = None, None
    for name, value in scope["headers"]:  # the first of each, as Starlette's Headers.get
        if name == b"content-type" and media is None:
            media = value
        elif name == b"content-length" and length is None:
            length = value
    return media or b"", length


async def read_json(scope: Scope, receive: Receive, limits: Limits, deadlines: Deadlines) -> dict[str, Any]:
    """The body as a JSON object, refused early: content type before reading,
    Content-Length before reading, the running size while reading, nesting after."""
    raw_media, declared = _headers(scope)
    media = raw_media.split(b";", 1)[0].strip().lower().decode("latin-1")
    if media != "application/json":
        raise ApiError(415, "unsupported_media_type",
                       f"the body must be JSON sent as `Content-Type: application/json`, not `{media or 'nothing'}`")
    limit = limits.max_body_bytes
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks, size = [], 0
    task = asyncio.current_task()
    assert task is not None
    deadlines.reading[task] = time.monotonic() + limits.request_timeout
    try:
        while True:  # the ASGI messages themselves: cheaper than request.stream()
            message = await receive()
            if message["type"] != "http.request":
                raise ApiError(400, "client_disconnected", "the client went away before sending the body")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise _too_large(limit)
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
    except asyncio.CancelledError:
        if task not in deadlines.expired:
            raise
        deadlines.expired.discard(task)
        task.uncancel()
        raise ApiError(408, "request_timeout",
                       f"the body did not arrive within {limits.request_timeout:g} seconds") from None
    finally:
        deadlines.reading.pop(task, None)
    body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    long_digits = _LONG_DIGITS.search(body) is not None
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        if "depth limit" in str(error) or "recursion" in str(error).lower():  # orjson stops at 1024 levels
            raise ApiError(400, "too_deep", f"the JSON is nested more than {limits.max_depth} levels deep") from None
        if not (long_digits and "number is infinity" in str(error)):  # an int too long for a double: read below
            raise ApiError(400, "malformed_json", f"the body is not valid JSON: {error}") from None
    if long_digits:
        data = _exact_json(body)
    if type(data) is not dict:
        raise ApiError(422, "invalid_body", f"the body must be a JSON object, not {_kind(data)}")
    # A value cannot nest deeper than it has brackets: most bodies need no walk.
    if body.count(b"[") + body.count(b"{") > limits.max_depth and _depth_exceeds(data, limits.max_depth):
        raise ApiError(400, "too_deep", f"the JSON is nested more than {limits.max_depth} levels deep")
    return data


# orjson reads an integer outside [-2**63, 2**64) as a float, silently (and
# one past a double's range as an error): 12345678901234567890123 would
# become 12345678901234567741440. Such an integer has 19 digits or more, so a
# body holding a run of 19 digits is read again as the command line reads a
# lead (batch.inputs.parse_json: exact integers, and over 4,300 digits kept
# as text), with what orjson refuses refused here too.
_LONG_DIGITS = re.compile(rb"[0-9]{19}")


def _exact_json(body: bytes) -> Any:
    from ..batch.inputs import parse_json

    def refuse_constant(name: str) -> Any:
        raise ApiError(400, "malformed_json", f"the body is not valid JSON: {name} is not a JSON number")

    try:
        text = body.decode("utf-8")
        data = parse_json(text, parse_constant=refuse_constant)
        # A lone surrogate escape (\ud800) is no text orjson accepts, nor one a response could carry.
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except (UnicodeError, ValueError) as error:  # json.JSONDecodeError is a ValueError
        raise ApiError(400, "malformed_json", f"the body is not valid JSON: {error}") from None
    except RecursionError:
        raise ApiError(400, "too_deep", "the JSON is nested too deep") from None
    if _non_finite(data):
        raise ApiError(400, "malformed_json", "the body is not valid JSON: a number is infinity when parsed as "
                                              "double")
    return data


def _non_finite(value: Any) -> bool:
    """Whether a float in the value is infinite (1e400: orjson refuses it).
    A loop, not a recursion: the depth limit is checked after this."""
    pending = [value]
    while pending:
        item = pending.pop()
        kind = type(item)
        if kind is float and item in (math.inf, -math.inf):
            return True
        if kind is dict:
            pending.extend(item.values())
        elif kind is list:
            pending.extend(item)
    return False


def _too_large(limit: int) -> ApiError:
    return ApiError(413, "body_too_large", f"the body is larger than the limit of {limit} bytes")


def _kind(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")


def _check_keys(body: dict[str, Any], required: str, optional: tuple[str, ...]) -> None:
    if required not in body:
        hint = " (one lead goes to evaluate, many to evaluate-batch)" if set(body) & {"lead", "leads"} else ""
        raise ApiError(422, f"missing_{required}", f"the body has no `{required}`{hint}")
    if len(body) == 1 or all(key == required or key in optional for key in body):
        return
    unknown = sorted(set(body) - {required, *optional})
    if unknown:
        raise ApiError(422, "unknown_field", f"unknown field(s) in the body: {', '.join(unknown)}")


# ---------------------------------------------------------------- the server


class Server:
    """What the routes share: the store, limits, metrics, log, clock."""

    def __init__(self, store: PolicyStore, limits: Limits, metrics: Metrics, log: EventLog, clock: Clock):
        self.store, self.limits, self.metrics, self.log, self.clock = store, limits, metrics, log, clock
        self._last_as_of: tuple[str | None, dt.datetime] = (None, clock())
        self.deadlines = Deadlines()
        self.shared: SharedMetrics | None = None  # with several workers: see metrics.py

    def all_metrics(self) -> Metrics:
        return self.shared.total() if self.shared is not None else self.metrics

    async def publish_metrics(self, interval: float) -> None:
        assert self.shared is not None
        while True:
            await anyio.sleep(interval)
            try:
                self.shared.publish()
            except OSError as error:  # a full disk must not stop the server; the log says why
                self.log.message("metrics not published", error=str(error))

    def policy(self, name: str) -> Policy:
        entry = self.store.by_name.get(name)
        if entry is not None and entry.policy is not None:
            return entry.policy
        broken = [e for e in self.store.entries.values() if e.name == name]
        if broken:
            raise ApiError(503, "policy_unavailable", f"policy `{name}` has not compiled; see `error`",
                           diagnostics=[d.to_dict() for d in broken[0].error])
        known = sorted(self.store.by_name)
        raise ApiError(404, "unknown_policy",
                       f"no policy named `{name}`; serving: {', '.join(known) or 'none'}", policies=known)

    def as_of(self, body: dict[str, Any]) -> dt.datetime:
        value = body.get("as_of")
        if value is None:
            return self.clock()
        if not isinstance(value, str):
            raise ApiError(422, "bad_as_of", f"`as_of` must be an ISO 8601 string, not {_kind(value)}")
        last = self._last_as_of
        if value == last[0]:
            # The same moment object again: Policy.evaluate then skips normalising it.
            return last[1]
        try:
            moment = normalize_as_of(value)
        except ValueError as error:
            raise ApiError(422, "bad_as_of", str(error)) from None
        self._last_as_of = (value, moment)
        return moment

    def record(self, policy: Policy, timed: list[tuple[Decision, float]]) -> None:
        lines = []
        now = self.log.now()  # one clock read per request: a batch's lines are written together
        name, digest, count, line = policy.name, policy.hash, self.metrics.decision, self.log.decision
        for decision in timed:
            tier, route = decision[0].tier, decision[0].route
            count(name, tier, route)
            lines.append(line(name, digest, decision[0].lead, tier, route, decision[1], now))
        self.log.buffer(lines)

    async def reload(self) -> None:
        changes = await anyio.to_thread.run_sync(self.store.reload)
        for change in changes:
            self.metrics.reload(change.name, change.result)
            self.log.reload(change)

    async def watch(self, interval: float) -> None:
        while True:
            await anyio.sleep(interval)
            try:
                await self.reload()
            except Exception as error:  # noqa: BLE001 -- keep serving the last table whatever a reload meets
                self.log.message("reload failed", error=f"{type(error).__name__}: {error}")


def server(request: Request) -> Server:
    value: Server = request.app.state.server
    return value


# ---------------------------------------------------------------- routes


async def healthz(request: Request) -> Response:
    return json_response({"status": "ok"})


async def readyz(request: Request) -> Response:
    store = server(request).store
    if store.ready():
        return json_response({"status": "ready", "policies": len(store.entries)})
    waiting = sorted(e.name for e in store.entries.values() if e.policy is None)
    message = f"policies not compiled: {', '.join(waiting)}" if waiting else "no policy loaded"
    server(request).metrics.error("not_ready")
    return json_response(error_body("not_ready", message), 503)


async def metrics(request: Request) -> Response:
    state = server(request)
    serving = {name: entry.policy.hash for name, entry in state.store.by_name.items() if entry.policy}
    return Response(state.all_metrics().render(serving), media_type="text/plain; version=0.0.4; charset=utf-8")


async def openapi(request: Request) -> Response:
    from .openapi import text

    return Response(text(), media_type="application/json")


def _json_number(value: int | float) -> float:
    # orjson refuses ints past 64 bits; a policy may write any literal.
    return value if isinstance(value, float) or -(2**63) <= value < 2**63 else float(value)


def _details(entry: Entry) -> dict[str, Any]:
    data = entry.summary()
    policy = entry.policy
    assert policy is not None
    data.update(
        schema=policy.schema, blocks=list(policy.blocks), tiers=list(policy.tiers), routes=list(policy.routes),
        rules=[{"block": r.block, "rule": r.rule, "points": _json_number(r.node.points)} for r in policy.rules])
    return data


async def list_policies(request: Request) -> Response:
    entries = server(request).store.entries
    return json_response([entry.summary() for entry in sorted(entries.values(), key=lambda e: e.name)])


async def show_policy(request: Request) -> Response:
    state = server(request)
    policy = state.policy(request.path_params["name"])
    return json_response(_details(state.store.by_name[policy.name]))


_JSON_HEADERS = [(b"content-type", b"application/json")]


async def send_json(send: Send, body: bytes, status: int = 200) -> None:
    """A JSON response as two ASGI messages: what Starlette's Response sends, without building one."""
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-length", str(len(body)).encode()), *_JSON_HEADERS]})
    await send({"type": "http.response.body", "body": body})


async def evaluate(state: Server, name: str, scope: Scope, receive: Receive, send: Send) -> None:
    """POST /v1/policies/{name}/evaluate, as plain ASGI: the hot path, so no
    Request object, no router, no exception middleware (see FastEvaluate)."""
    started = time.perf_counter()
    try:
        policy = state.policy(name)
        body = await read_json(scope, receive, state.limits, state.deadlines)
        _check_keys(body, "lead", ("as_of",))
        moment = state.as_of(body)
    except ApiError as error:
        await send_api_error(state, error, send)
        return
    before = time.perf_counter()
    decision = policy.evaluate(body["lead"], as_of=moment)
    state.record(policy, [(decision, time.perf_counter() - before)])
    await send_json(send, orjson.dumps({"decision": decision.to_dict(), "policy_hash": policy.hash}))
    state.metrics.request("evaluate", time.perf_counter() - started)


class EvaluateRoute:
    """The same endpoint behind Starlette's router, for a request FastEvaluate
    passed on (a class, not a function, so Starlette calls it as ASGI)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await evaluate(scope["app"].state.server, scope["path_params"]["name"], scope, receive, send)


class FastEvaluate:
    """Plain ASGI middleware answering POST .../evaluate before Starlette's
    router and exception middleware, which cost about as much as the decision.
    Anything else (other paths, other methods, odd names) goes on to the router."""

    PREFIX, SUFFIX = "/v1/policies/", "/evaluate"

    def __init__(self, app: ASGIApp, server: Server):
        self.app = app
        self.server = server

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            path: str = scope["path"]
            root: str = scope.get("root_path", "")
            if root and path.startswith(root):  # as Starlette's routing reads the path
                path = path[len(root):]
            if path.startswith(self.PREFIX) and path.endswith(self.SUFFIX):
                name = path[len(self.PREFIX):-len(self.SUFFIX)]
                if name and "/" not in name:
                    await evaluate(self.server, name, scope, receive, send)
                    return
        await self.app(scope, receive, send)


# Leads a batch decides between two yields to the event loop: about a
# millisecond of work, so other requests wait no longer than that. Deciding on
# the loop in slices, rather than in a worker thread, saves the thread
# hand-off and the two threads' contention for the GIL (~7% of a batch's CPU).
SLICE = 25


def _decide_slice(policy: Policy, leads: list[Any], moment: dt.datetime, deadline: float,
                  timeout: float, timed: list[tuple[Decision, float]]) -> None:
    """Decide `leads` onto `timed`, stopping at the first lead past the deadline."""
    clock, evaluate = time.perf_counter, policy.evaluate
    before = clock()
    for lead in leads:
        decision = evaluate(lead, as_of=moment)
        after = clock()
        if after > deadline:
            raise ApiError(503, "timeout", f"the batch took longer than the limit of {timeout:g} seconds")
        timed.append((decision, after - before))
        before = after


async def _decide_all(policy: Policy, leads: list[Any], moment: dt.datetime, deadline: float,
                      timeout: float) -> tuple[list[tuple[Decision, float]], bytes]:
    """Every lead's decision and time, and the response body; yields to the
    event loop between slices so a big batch does not stall other requests."""
    timed: list[tuple[Decision, float]] = []
    for start in range(0, len(leads), SLICE):
        if start:
            await asyncio.sleep(0)
        _decide_slice(policy, leads[start:start + SLICE], moment, deadline, timeout, timed)
    body = orjson.dumps({"decisions": [d.to_dict() for d, _ in timed], "policy_hash": policy.hash})
    return timed, body


async def evaluate_batch(request: Request) -> Response:
    started = time.perf_counter()
    state = server(request)
    limits = state.limits
    policy = state.policy(request.path_params["name"])
    body = await read_json(request.scope, request.receive, limits, state.deadlines)
    _check_keys(body, "leads", ("as_of",))
    leads = body["leads"]
    if type(leads) is not list:
        raise ApiError(422, "invalid_body", f"`leads` must be an array, not {_kind(leads)}")
    if len(leads) > limits.max_batch:
        raise ApiError(413, "batch_too_large",
                       f"{len(leads)} leads in one batch; the limit is {limits.max_batch}", limit=limits.max_batch)
    moment = state.as_of(body)
    deadline = time.perf_counter() + limits.request_timeout
    timed, payload = await _decide_all(policy, leads, moment, deadline, limits.request_timeout)
    state.record(policy, timed)
    state.metrics.request("evaluate-batch", time.perf_counter() - started)
    return Response(payload, media_type="application/json")


# ---------------------------------------------------------------- errors and auth


def _api_error_body(state: Server, error: ApiError) -> bytes:
    state.metrics.error(error.code)
    return orjson.dumps(error_body(error.code, error.message, **error.extra))


async def on_api_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, ApiError)
    headers = {"Retry-After": "1"} if error.status == 503 else None
    return Response(_api_error_body(server(request), error), error.status, headers, media_type="application/json")


async def send_api_error(state: Server, error: ApiError, send: Send) -> None:
    """on_api_error for the plain ASGI path: the same body, status and headers."""
    body = _api_error_body(state, error)
    headers = [(b"content-length", str(len(body)).encode()), *_JSON_HEADERS]
    if error.status == 503:
        headers.append((b"retry-after", b"1"))
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


_HTTP_CODES = {404: "not_found", 405: "method_not_allowed"}


async def on_http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    code = _HTTP_CODES.get(error.status_code, "http_error")
    server(request).metrics.error(code)
    message = {404: f"no endpoint at `{request.url.path}`",
               405: f"`{request.method}` is not allowed on `{request.url.path}`"}.get(error.status_code, error.detail)
    return json_response(error_body(code, message), error.status_code, error.headers)


async def on_internal_error(request: Request, error: Exception) -> Response:
    # Never reached by any input (a bug if it is): a JSON body, no traceback.
    server(request).metrics.error("internal")
    server(request).log.message("internal error", error=f"{type(error).__name__}: {error}",
                                path=request.url.path)
    return json_response(error_body("internal", "internal error; see the server log"), 500)


class BearerAuth:
    """`Authorization: Bearer <token>` on every path but /healthz; the token
    compared in constant time. Plain ASGI, so it runs before any routing."""

    def __init__(self, app: ASGIApp, token: str, metrics: Metrics):
        self.app = app
        self.expected = b"Bearer " + token.encode()
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] == "/healthz":
            await self.app(scope, receive, send)
            return
        given = next((value for name, value in scope["headers"] if name == b"authorization"), b"")
        if hmac.compare_digest(given, self.expected):
            await self.app(scope, receive, send)
            return
        self.metrics.error("unauthorized")
        message = "a valid `Authorization: Bearer <token>` header is required"
        response = json_response(error_body("unauthorized", message), 401, {"WWW-Authenticate": "Bearer"})
        await response(scope, receive, send)


# ---------------------------------------------------------------- the factory


def create_app(
    policy_dir: str | Path,
    *,
    token: str | None = None,
    limits: Limits = Limits(),
    reload_interval: float | None = 1.0,
    log_format: str = "json",
    log_stream: Any = None,
    clock: Clock = utc_now,
    metrics_dir: str | Path | None = None,
    metrics_interval: float = 1.0,
) -> Starlette:
    """The app serving every policy in `policy_dir`. `reload_interval` is the
    polling period in seconds (None: no hot reload). `clock` gives the
    default `as_of` and the times in logs; tests pass a fixed one.
    `metrics_dir`, shared by the workers of one server, makes /metrics add up
    all of them; each publishes its counts there every `metrics_interval` s."""
    directory = Path(policy_dir)
    metrics_ = Metrics()
    state = Server(PolicyStore(directory, clock), limits, metrics_, EventLog(log_format, log_stream, clock=clock),
                   clock)
    if metrics_dir is not None:
        state.shared = SharedMetrics(metrics_dir, metrics_)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await state.reload()
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(state.deadlines.sweep, min(max(limits.request_timeout / 4, 0.01), 0.5))
            tasks.start_soon(state.log.flush_every)
            if reload_interval:
                tasks.start_soon(state.watch, reload_interval)
            if state.shared is not None:
                state.shared.publish()  # counted from the start, even before the first interval
                tasks.start_soon(state.publish_metrics, metrics_interval)
            try:
                yield
            finally:
                tasks.cancel_scope.cancel()
                state.log.flush()
                if state.shared is not None:
                    with contextlib.suppress(OSError):
                        state.shared.publish()

    routes = [  # the hot ones first: Starlette tries them in order
        Route("/v1/policies/{name}/evaluate", EvaluateRoute(), methods=["POST"]),
        Route("/v1/policies/{name}/evaluate-batch", evaluate_batch, methods=["POST"]),
        Route("/v1/policies/{name}", show_policy, methods=["GET"]),
        Route("/v1/policies", list_policies, methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
        Route("/openapi.json", openapi, methods=["GET"]),
    ]
    middleware = [Middleware(BearerAuth, token=token, metrics=metrics_)] if token else []
    middleware.append(Middleware(FastEvaluate, server=state))  # inside auth: tokens are checked first
    handlers = {ApiError: on_api_error, HTTPException: on_http_error, Exception: on_internal_error}
    app = Starlette(routes=routes, middleware=middleware, exception_handlers=handlers,
                    lifespan=lifespan)
    app.state.server = state
    return app
