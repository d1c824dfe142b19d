"""The OpenAPI document: shipped in docs/ as served, valid, and the server
keeps to it under schemathesis' generated requests (no 5xx, conforming
responses)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from qualdsl.serve import create_app
from qualdsl.serve.openapi import text

from .conftest import POLICIES, fixed_clock
from budget import examples

ROOT = Path(__file__).resolve().parents[2]


def test_docs_openapi_json_is_the_served_document() -> None:
    """Regenerate with `python -m qualdsl.serve.openapi > docs/openapi.json`."""
    assert (ROOT / "docs" / "openapi.json").read_text(encoding="utf-8") == text()


def test_the_document_is_valid_openapi_3_1_and_covers_every_route() -> None:
    from jsonschema import Draft202012Validator

    document = json.loads(text())
    assert document["openapi"] == "3.1.0"
    for schema in document["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)  # raises on a bad schema
    app = create_app(POLICIES, reload_interval=None, clock=fixed_clock)
    routes = {route.path for route in app.routes}  # type: ignore[attr-defined]
    assert routes == set(document["paths"])


def _app() -> Any:
    app = create_app(POLICIES, reload_interval=None, clock=fixed_clock, log_stream=io.StringIO())
    app.state.server.store.reload()  # schemathesis calls the ASGI app without its lifespan
    return app


schema = schemathesis.openapi.from_asgi("/openapi.json", _app())
CHECKS = [schemathesis.checks.not_a_server_error, status_code_conformance,
          content_type_conformance, response_schema_conformance, negative_data_rejection]


@schema.parametrize()
@settings(max_examples=examples(25, quick=8), deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_keeps_to_its_document(case: Any) -> None:
    if "name" in (case.path_parameters or {}):
        case.path_parameters["name"] = "saas_inbound"  # a real policy: generated names only meet the 404
    case.call_and_validate(checks=CHECKS)
