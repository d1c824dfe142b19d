"""Every endpoint and every error of `qualdsl serve`, through Starlette's TestClient."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

import qualdsl
from qualdsl.serve import Limits

from .conftest import AS_OF, DEMO_LEAD, POLICIES

EVALUATE = "/v1/policies/saas_inbound/evaluate"
BATCH = "/v1/policies/saas_inbound/evaluate-batch"
# Every bundled policy is named after its file; shared/common.qual is a fragment, not among them.
NAMES = sorted(path.stem for path in POLICIES.glob("*.qual"))


def _policy(name: str = "saas_inbound") -> qualdsl.Policy:
    return qualdsl.load(POLICIES / f"{name}.qual")


def test_healthz_and_readyz(serve: Any) -> None:
    client = serve().client
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "policies": len(NAMES)}
    assert len(NAMES) >= 5


def test_readyz_is_503_while_a_policy_has_never_compiled(serve: Any, policy_dir: Path) -> None:
    (policy_dir / "broken.qual").write_text("policy broken\nicp {\n  require nonsense ==\n}\n")
    response = serve().client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["error"] == {"code": "not_ready", "message": "policies not compiled: broken"}


def test_list_policies(serve: Any, policy_dir: Path) -> None:
    listed = serve().client.get("/v1/policies").json()
    assert [p["name"] for p in listed] == NAMES  # the fragment in shared/ is an include, not a policy
    saas = listed[NAMES.index("saas_inbound")]
    assert saas == {
        "name": "saas_inbound", "title": _policy().title, "hash": _policy().hash,
        "path": str(policy_dir / "saas_inbound.qual"), "loaded_at": "2026-11-01T12:00:00Z", "error": None,
    }


def test_show_policy(serve: Any) -> None:
    shown = serve().client.get("/v1/policies/saas_inbound").json()
    policy = _policy()
    assert shown["hash"] == policy.hash
    assert shown["schema"] == policy.schema
    assert shown["blocks"] == list(policy.blocks) == ["fit", "engagement"]
    assert shown["tiers"] == list(policy.tiers)
    assert shown["routes"] == list(policy.routes)
    assert shown["rules"][:2] == [{"block": "fit", "rule": "target_industry", "points": 15},
                                  {"block": "fit", "rule": "right_size", "points": 20}]
    assert len(shown["rules"]) == len(policy.rules)


def test_show_unknown_policy_is_404_with_the_known_names(serve: Any) -> None:
    response = serve().client.get("/v1/policies/nope")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_policy"
    assert response.json()["error"]["policies"] == NAMES
    assert "saas_inbound" in response.json()["error"]["message"]


def test_evaluate_is_policy_evaluate(serve: Any) -> None:
    response = serve().client.post(EVALUATE, json={"lead": DEMO_LEAD, "as_of": AS_OF})
    assert response.status_code == 200
    expected = _policy().evaluate(DEMO_LEAD, as_of=AS_OF).to_dict()
    assert response.json() == {"decision": expected, "policy_hash": _policy().hash}
    assert expected["tier"] == "SQL"  # the demo lead is a real decision, not an empty one


def test_evaluate_without_as_of_uses_the_server_clock_and_says_so(serve: Any) -> None:
    decision = serve().client.post(EVALUATE, json={"lead": DEMO_LEAD}).json()["decision"]
    assert decision["as_of"] == "2026-11-01T12:00:00Z"
    assert decision == _policy().evaluate(DEMO_LEAD, as_of="2026-11-01T12:00:00Z").to_dict()


@pytest.mark.parametrize("lead", [[1], "L-1", None, 5, True])
def test_a_lead_that_is_not_an_object_gets_a_decision_with_a_warning(serve: Any, lead: Any) -> None:
    response = serve().client.post(EVALUATE, json={"lead": lead, "as_of": AS_OF})
    assert response.status_code == 200
    decision = response.json()["decision"]
    assert decision == _policy().evaluate(lead, as_of=AS_OF).to_dict()
    assert decision["warnings"] and "expected an object" in decision["warnings"][0]


def test_evaluate_batch_keeps_order_and_equals_evaluate_many(serve: Any) -> None:
    leads = [json.loads(line) for line in (POLICIES / "saas_inbound.leads.jsonl").read_text().splitlines()]
    leads.append("not a lead")
    response = serve().client.post(BATCH, json={"leads": leads, "as_of": AS_OF})
    assert response.status_code == 200
    expected = [d.to_dict() for d in _policy().evaluate_many(leads, as_of=AS_OF)]
    assert response.json() == {"decisions": expected, "policy_hash": _policy().hash}
    assert len({d["tier"] for d in expected}) > 1


@pytest.mark.parametrize("number", ["12345678901234567890123", "-9223372036854775809", "18446744073709551616",
                                    "9" * 5000, "123456789012345678901.0", "1" + "0" * 400])
def test_integers_past_64_bits_are_read_exactly_as_evaluate_reads_them(serve: Any, number: str) -> None:
    """orjson reads 12345678901234567890123 as the float 1.2345678901234568e+22
    (and 10**400 not at all): the service reads such a body as the command
    line does, so the decision is Policy.evaluate's of json.loads's lead."""
    from qualdsl.batch.inputs import parse_json

    lead_text = f'{{"id": {number}, "company": {{"employees": {number}, "country": "US"}}}}'
    body = f'{{"lead": {lead_text}, "as_of": "{AS_OF}"}}'.encode()
    response = serve().client.post(EVALUATE, content=body, headers=JSON)
    assert response.status_code == 200, response.text
    expected = _policy().evaluate(parse_json(lead_text), as_of=AS_OF).to_dict()
    assert response.json()["decision"] == expected
    if len(number) < 100 and "." not in number:
        assert expected["lead"] == number  # the digits themselves, not a float's


def test_empty_batch(serve: Any) -> None:
    response = serve().client.post(BATCH, json={"leads": [], "as_of": AS_OF})
    assert response.json() == {"decisions": [], "policy_hash": _policy().hash}


JSON = {"content-type": "application/json"}
ERRORS = [
    # (name, path, body bytes, headers, status, code)
    ("malformed JSON", EVALUATE, b'{"lead": ', JSON, 400, "malformed_json"),
    ("empty body", EVALUATE, b"", JSON, 400, "malformed_json"),
    ("not UTF-8", EVALUATE, b'{"lead": "\xff"}', JSON, 400, "malformed_json"),
    ("NaN", EVALUATE, b'{"lead": {"x": NaN}}', JSON, 400, "malformed_json"),
    ("trailing data", EVALUATE, b'{"lead": {}} {}', JSON, 400, "malformed_json"),
    # A run of 19 digits makes the body read a second time, exactly (_exact_json): the same refusals.
    ("long int and NaN", EVALUATE, b'{"lead": {"id": 12345678901234567890123, "x": NaN}}', JSON, 400,
     "malformed_json"),
    ("long int and Infinity", EVALUATE, b'{"lead": {"id": 12345678901234567890123, "x": -Infinity}}', JSON, 400,
     "malformed_json"),
    ("long int and 1e400", EVALUATE, b'{"lead": {"id": 12345678901234567890123, "x": 1e400}}', JSON, 400,
     "malformed_json"),
    ("long int and a lone surrogate", EVALUATE, b'{"lead": {"id": 12345678901234567890123, "x": "\\ud800"}}', JSON,
     400, "malformed_json"),
    ("long int and trailing data", EVALUATE, b'{"lead": {"id": 12345678901234567890123}} {}', JSON, 400,
     "malformed_json"),
    ("long int, 65 levels", EVALUATE, b'{"lead": ' + b"[" * 64 + b"12345678901234567890123" + b"]" * 64 + b"}", JSON,
     400, "too_deep"),
    ("100k-deep array", EVALUATE, b"[" * 100_000 + b"]" * 100_000, JSON, 400, "too_deep"),
    ("100k-deep lead", EVALUATE, b'{"lead": ' + b'{"a":' * 100_000 + b"1" + b"}" * 100_001, JSON, 400, "too_deep"),
    ("65 levels", EVALUATE, b'{"lead": ' + b"[" * 64 + b"]" * 64 + b"}", JSON, 400, "too_deep"),
    ("body is an array", EVALUATE, b"[]", JSON, 422, "invalid_body"),
    ("missing lead", EVALUATE, b'{"as_of": "2026-11-01"}', JSON, 422, "missing_lead"),
    ("leads sent to evaluate", EVALUATE, b'{"leads": []}', JSON, 422, "missing_lead"),
    ("unknown field", EVALUATE, b'{"lead": {}, "asof": "2026-11-01"}', JSON, 422, "unknown_field"),
    ("bad as_of", EVALUATE, b'{"lead": {}, "as_of": "last tuesday"}', JSON, 422, "bad_as_of"),
    ("as_of a number", EVALUATE, b'{"lead": {}, "as_of": 20261101}', JSON, 422, "bad_as_of"),
    ("as_of empty", EVALUATE, b'{"lead": {}, "as_of": ""}', JSON, 422, "bad_as_of"),
    ("text/plain", EVALUATE, b'{"lead": {}}', {"content-type": "text/plain"}, 415, "unsupported_media_type"),
    ("form", EVALUATE, b"lead=1", {"content-type": "application/x-www-form-urlencoded"}, 415,
     "unsupported_media_type"),
    ("no content type", EVALUATE, b'{"lead": {}}', {}, 415, "unsupported_media_type"),
    ("unknown policy", "/v1/policies/nope/evaluate", b'{"lead": {}}', JSON, 404, "unknown_policy"),
    ("batch: missing leads", BATCH, b'{"lead": {}}', JSON, 422, "missing_leads"),
    ("batch: leads an object", BATCH, b'{"leads": {}}', JSON, 422, "invalid_body"),
    ("batch: bad as_of", BATCH, b'{"leads": [], "as_of": "2026-13-45"}', JSON, 422, "bad_as_of"),
    ("batch: unknown policy", "/v1/policies/nope/evaluate-batch", b'{"leads": []}', JSON, 404, "unknown_policy"),
    ("no such endpoint", "/v1/nothing", b"{}", JSON, 404, "not_found"),
    ("GET on evaluate", EVALUATE, None, {}, 405, "method_not_allowed"),
]


@pytest.mark.parametrize("name,path,body,headers,status,code", ERRORS, ids=[e[0] for e in ERRORS])
def test_bad_requests_get_a_4xx_with_a_json_error(
    serve: Any, name: str, path: str, body: bytes | None, headers: dict[str, str], status: int, code: str
) -> None:
    client = serve().client
    if body is None:
        response = client.get(path)
    else:
        response = client.post(path, content=body, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"] and "Traceback" not in error["message"]


def test_64_levels_is_allowed(serve: Any) -> None:
    body = b'{"lead": ' + b"[" * 63 + b"]" * 63 + b"}"  # the body object counts as level 1
    response = serve().client.post(EVALUATE, content=body, headers=JSON)
    assert response.status_code == 200
    assert response.json()["decision"]["warnings"]


def test_body_over_the_limit_is_413_from_content_length(serve: Any) -> None:
    client = serve(limits=Limits(max_body_bytes=1000)).client
    body = json.dumps({"lead": {"pad": "x" * 2000}}).encode()
    response = client.post(EVALUATE, content=body, headers=JSON)
    assert response.status_code == 413
    assert response.json()["error"] == {"code": "body_too_large",
                                        "message": "the body is larger than the limit of 1000 bytes"}


def test_body_over_the_limit_is_413_while_streaming(serve: Any) -> None:
    """No Content-Length (chunked): the running size is checked as chunks arrive."""
    client = serve(limits=Limits(max_body_bytes=1000)).client
    sent: list[int] = []

    def chunks() -> Any:
        for _ in range(10_000):  # 10 MB if it were all read
            sent.append(1)
            yield b" " * 1000

    response = client.post(EVALUATE, content=chunks(), headers=JSON)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "body_too_large"


def test_batch_over_the_limit_states_the_limit(serve: Any) -> None:
    client = serve(limits=Limits(max_batch=3)).client
    response = client.post(BATCH, json={"leads": [{}] * 4, "as_of": AS_OF})
    assert response.status_code == 413
    assert response.json()["error"] == {"code": "batch_too_large",
                                        "message": "4 leads in one batch; the limit is 3", "limit": 3}
    assert client.post(BATCH, json={"leads": [{}] * 3, "as_of": AS_OF}).status_code == 200


def test_a_policy_that_never_compiled_is_503_with_its_diagnostics(serve: Any, policy_dir: Path) -> None:
    (policy_dir / "broken.qual").write_text("policy broken\nicp {\n  require nonsense ==\n}\n")
    served = serve()
    response = served.client.post("/v1/policies/broken/evaluate", json={"lead": {}, "as_of": AS_OF})
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "policy_unavailable"
    assert error["diagnostics"][0]["path"].endswith("broken.qual")
    assert error["diagnostics"][0]["line"] == 4  # the `}` where a value was expected
    listed = {p["name"]: p for p in served.client.get("/v1/policies").json()}
    assert listed["broken"]["hash"] is None and listed["broken"]["error"] == error["diagnostics"]
    assert listed["saas_inbound"]["error"] is None  # the others serve


def test_two_files_with_one_policy_name(serve: Any, policy_dir: Path) -> None:
    (policy_dir / "zz_copy.qual").write_text((policy_dir / "bant.qual").read_text())
    listed = serve().client.get("/v1/policies").json()
    copies = [p for p in listed if p["name"] == "bant"]
    assert [p["error"] is None for p in copies] == [True, False]
    assert "also defined in" in copies[1]["error"][0]["message"]


# ---------------------------------------------------------------- auth


@pytest.mark.parametrize("path,method", [
    ("/readyz", "GET"), ("/metrics", "GET"), ("/openapi.json", "GET"), ("/v1/policies", "GET"),
    ("/v1/policies/saas_inbound", "GET"), (EVALUATE, "POST"), (BATCH, "POST"), ("/v1/nothing", "GET")])
def test_with_a_token_every_endpoint_but_healthz_needs_it(serve: Any, path: str, method: str) -> None:
    client = serve(token="s3cret-token").client
    body = {"lead": {}, "leads": []} if method == "POST" else None
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "s3cret-token"},
                    {"Authorization": "Bearer s3cret-token "}):
        response = client.request(method, path, json=body, headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json()["error"]["code"] == "unauthorized"
    good = client.request(method, path, json=body, headers={"Authorization": "Bearer s3cret-token"})
    assert good.status_code != 401
    assert client.get("/healthz").status_code == 200


def test_with_a_token_the_right_one_gets_decisions(serve: Any) -> None:
    client = serve(token="s3cret-token").client
    response = client.post(EVALUATE, json={"lead": DEMO_LEAD, "as_of": AS_OF},
                           headers={"Authorization": "Bearer s3cret-token"})
    assert response.status_code == 200
    assert response.json()["decision"]["tier"] == "SQL"


# ---------------------------------------------------------------- logs and metrics


def test_one_json_log_line_per_decision(serve: Any) -> None:
    served = serve()
    served.client.post(EVALUATE, json={"lead": DEMO_LEAD, "as_of": AS_OF})
    served.client.post(BATCH, json={"leads": [DEMO_LEAD, {"id": 7}], "as_of": AS_OF})
    decisions = [line for line in served.log_lines() if line["event"] == "decision"]
    assert [(d["lead"], d["tier"], d["route"]) for d in decisions] == [
        ("L-1001", "SQL", "enterprise-east"), ("L-1001", "SQL", "enterprise-east"), ("7", "disqualified", "nurture")]
    first = decisions[0]
    assert first["time"] == "2026-11-01T12:00:00Z"
    assert first["policy"] == "saas_inbound" and first["hash"] == _policy().hash
    assert isinstance(first["latency_ms"], float) and first["latency_ms"] >= 0
    reloads = [line for line in served.log_lines() if line["event"] == "reload"]
    assert sorted(r["policy"] for r in reloads) == NAMES and all(r["result"] == "loaded" for r in reloads)


def test_text_log_format(serve: Any) -> None:
    served = serve(log_format="text")
    served.client.post(EVALUATE, json={"lead": DEMO_LEAD, "as_of": AS_OF})
    last = served.log_text().splitlines()[-1]
    assert last.startswith("2026-11-01T12:00:00Z decision policy=saas_inbound ")
    assert " lead=L-1001 tier=SQL route=enterprise-east latency_ms=" in last


def _samples(text: str) -> dict[str, float]:
    """Prometheus text -> {"name{labels}": value}; every line must be a comment or a sample."""
    samples = {}
    for line in text.splitlines():
        if line.startswith(("# HELP ", "# TYPE ")):
            continue
        name, value = line.rsplit(" ", 1)
        samples[name] = float(value)
    return samples


def test_metrics(serve: Any) -> None:
    client = serve().client
    for _ in range(3):
        client.post(EVALUATE, json={"lead": DEMO_LEAD, "as_of": AS_OF})
    client.post(BATCH, json={"leads": [{}, {}], "as_of": AS_OF})
    client.post(EVALUATE, content=b"{", headers=JSON)
    client.post("/v1/policies/nope/evaluate", json={"lead": {}})
    response = client.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples = _samples(response.text)
    assert samples['qualdsl_decisions_total{policy="saas_inbound",tier="SQL",route="enterprise-east"}'] == 3
    assert samples['qualdsl_decisions_total{policy="saas_inbound",tier="disqualified",route="nurture"}'] == 2
    assert samples['qualdsl_request_duration_seconds_count{endpoint="evaluate"}'] == 3
    assert samples['qualdsl_request_duration_seconds_bucket{endpoint="evaluate",le="+Inf"}'] == 3
    assert samples['qualdsl_request_duration_seconds_count{endpoint="evaluate-batch"}'] == 1
    assert samples['qualdsl_errors_total{code="malformed_json"}'] == 1
    assert samples['qualdsl_errors_total{code="unknown_policy"}'] == 1
    assert samples['qualdsl_reloads_total{policy="saas_inbound",result="loaded"}'] == 1
    assert samples[f'qualdsl_policy_info{{policy="saas_inbound",hash="{_policy().hash}"}}'] == 1


def test_metric_labels_are_escaped() -> None:
    from qualdsl.serve.metrics import Metrics

    metrics = Metrics()
    metrics.decision("p", "A", 'queue "east"\\\n')
    assert 'qualdsl_decisions_total{policy="p",tier="A",route="queue \\"east\\"\\\\\\n"} 1' in metrics.render({})


def test_a_batch_over_the_time_limit_is_503_timeout() -> None:
    """The deadline is checked between leads (deciding one cannot run away:
    regexes are RE2), so a batch stops at the first lead past it."""
    import asyncio
    import time

    from qualdsl.api import normalize_as_of
    from qualdsl.serve.app import ApiError, _decide_all

    policy, moment = _policy(), normalize_as_of(AS_OF)
    with pytest.raises(ApiError) as raised:
        asyncio.run(_decide_all(policy, [DEMO_LEAD] * 5, moment, time.perf_counter() - 1, 2.5))
    assert (raised.value.status, raised.value.code) == (503, "timeout")
    assert raised.value.message == "the batch took longer than the limit of 2.5 seconds"
    timed, body = asyncio.run(_decide_all(policy, [DEMO_LEAD] * 2, moment, time.perf_counter() + 60, 2.5))
    assert [d for d, _ in timed] == list(policy.evaluate_many([DEMO_LEAD] * 2, as_of=AS_OF))
    assert json.loads(body)["policy_hash"] == policy.hash


def test_a_big_batch_lets_other_requests_through_between_slices() -> None:
    """A batch decides SLICE leads at a time on the event loop and yields
    between slices: a task waiting on the loop runs before the batch ends."""
    import asyncio
    import time

    from qualdsl.api import normalize_as_of
    from qualdsl.serve.app import SLICE, _decide_all

    policy, moment = _policy(), normalize_as_of(AS_OF)
    leads = [DEMO_LEAD] * (SLICE * 4)
    order: list[str] = []

    async def other() -> None:
        order.append("other request")

    async def both() -> list:
        waiting = asyncio.create_task(other())
        timed, _ = await _decide_all(policy, leads, moment, time.perf_counter() + 60, 2.5)
        order.append("batch done")
        await waiting
        return timed

    timed = asyncio.run(both())
    assert order == ["other request", "batch done"]
    assert len(timed) == len(leads)
    assert [d for d, _ in timed] == list(policy.evaluate_many(leads, as_of=AS_OF))


def _depth(value: object) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=3),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=2), inner, max_size=3),
    max_leaves=30,
)


@given(value=st.one_of(st.lists(_json_values), st.dictionaries(st.text(max_size=2), _json_values)),
       limit=st.integers(1, 8))
def test_the_depth_bound_is_the_nesting_depth(value, limit) -> None:
    from qualdsl.serve.app import _depth_exceeds

    assert _depth_exceeds(value, limit) == (_depth(value) > limit)


@pytest.mark.parametrize("limit", [2, 64, 500])
def test_the_depth_bound_at_its_largest_limit_never_exhausts_the_stack(limit) -> None:
    """orjson parses up to 1,024 levels; the bound recurses at most limit + 1 frames."""
    from qualdsl.serve.app import _depth_exceeds

    deepest = orjson.loads(b"[" * 1024 + b"]" * 1024)
    assert _depth_exceeds(deepest, limit)
    exact = orjson.loads(b"[" * limit + b"]" * limit)
    assert not _depth_exceeds(exact, limit) and _depth_exceeds([exact], limit)


def test_a_deep_body_with_a_long_integer_is_too_deep_not_an_error(serve: Any) -> None:
    """The exact second reading (19 digits in a row) of a body nested 900
    levels deep: the depth limit's 400, not a RecursionError."""
    body = b'{"lead": {"id": 12345678901234567890123, "x": ' + b"[" * 900 + b"1" + b"]" * 900 + b"}}"
    response = serve().client.post(EVALUATE, content=body, headers=JSON)
    assert response.status_code == 400 and response.json()["error"]["code"] == "too_deep"
