"""The OpenAPI 3.1 document of `qualdsl serve`, served at /openapi.json.

Built here as data, so the server and docs/openapi.json cannot drift apart:
a test checks the shipped file equals `document()`. Regenerate it with
`python -m qualdsl.serve.openapi > docs/openapi.json`.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from .. import __version__

JSON = "application/json"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}}


def _errors(*statuses: int) -> dict[str, Any]:
    texts = {
        400: "Malformed JSON (`malformed_json`) or JSON nested too deep (`too_deep`).",
        401: "No valid bearer token (`unauthorized`), when the server has a token.",
        404: "No policy of that name (`unknown_policy`, with the names serving in `policies`).",
        408: "The body did not arrive within the time limit (`request_timeout`).",
        413: "The body is over the size limit (`body_too_large`) or the batch over the lead limit "
             "(`batch_too_large`, with the limit in `limit`).",
        415: "The body is not sent as `application/json` (`unsupported_media_type`).",
        422: "The body is not an object (`invalid_body`), lacks `lead`/`leads` (`missing_lead`, "
             "`missing_leads`), has an unknown field (`unknown_field`) or a bad `as_of` (`bad_as_of`).",
        503: "The policy exists but has never compiled (`policy_unavailable`, with `diagnostics`), "
             "the server is not ready (`not_ready`) or a batch ran over the time limit (`timeout`).",
    }
    return {str(status): _json(_ref("Error"), texts[status]) for status in statuses}


_NAME = {"name": "name", "in": "path", "required": True, "description": "The policy's name (its `policy` line).",
         "schema": {"type": "string"}}
_AS_OF = {"type": ["string", "null"], "description": "ISO 8601 date or datetime (UTC when no offset); absent or "
          "null: the server's clock, stated in the decision.", "examples": ["2026-11-01", "2026-11-01T09:30:00Z"]}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object", "required": ["error"],
        "properties": {"error": {
            "type": "object", "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                           "policies": {"type": "array", "items": {"type": "string"}},
                           "limit": {"type": "integer"},
                           "diagnostics": {"type": "array", "items": _ref("Diagnostic")}},
        }},
    },
    "Diagnostic": {
        "type": "object", "required": ["path", "line", "column", "code", "severity", "message"],
        "properties": {"path": {"type": "string"}, "line": {"type": "integer"}, "column": {"type": "integer"},
                       "end_line": {"type": "integer"}, "end_column": {"type": "integer"},
                       "code": {"type": ["string", "null"]}, "severity": {"type": "string"},
                       "message": {"type": "string"}, "help": {"type": "string"}},
    },
    "Decision": {
        "type": "object", "description": "The decision JSON of the language contract (`Decision.to_dict()`).",
        "required": ["policy", "lead", "as_of", "icp", "scores", "tier", "route", "rules", "warnings"],
        "properties": {
            "policy": {"type": "string"},
            "lead": {"type": ["string", "null"], "description": "The lead's id field as text."},
            "as_of": {"type": "string", "description": "UTC, ISO 8601 with a Z suffix."},
            "icp": {"type": "object", "required": ["pass", "reasons"],
                    "properties": {"pass": {"type": "boolean"},
                                   "reasons": {"type": "array", "items": {"type": "string"}}}},
            "scores": {"type": "object", "additionalProperties": {"type": "number"},
                       "description": "Blocks in declaration order, then `total`."},
            "tier": {"type": ["string", "null"]},
            "route": {"type": ["string", "null"]},
            "rules": {"type": "array", "items": {
                "type": "object", "required": ["block", "rule", "fired", "points"],
                "properties": {"block": {"type": "string"}, "rule": {"type": "string"},
                               "fired": {"type": "boolean"}, "points": {"type": "number"}}}},
            "warnings": {"type": "array", "items": {"type": "string"}},
        },
    },
    "EvaluateRequest": {
        "type": "object", "required": ["lead"], "additionalProperties": False,
        "properties": {"lead": {"description": "The lead; a value that is not an object is evaluated as `{}` "
                                "with a warning, as the language contract says."},
                       "as_of": _AS_OF},
    },
    "EvaluateBatchRequest": {
        "type": "object", "required": ["leads"], "additionalProperties": False,
        "properties": {"leads": {"type": "array", "description": "At most the server's batch limit (default 1000)."},
                       "as_of": _AS_OF},
    },
    "EvaluateResponse": {
        "type": "object", "required": ["decision", "policy_hash"],
        "properties": {"decision": _ref("Decision"), "policy_hash": {"type": "string"}},
    },
    "EvaluateBatchResponse": {
        "type": "object", "required": ["decisions", "policy_hash"],
        "properties": {"decisions": {"type": "array", "items": _ref("Decision")}, "policy_hash": {"type": "string"}},
    },
    "PolicySummary": {
        "type": "object", "required": ["name", "title", "hash", "path", "loaded_at", "error"],
        "properties": {
            "name": {"type": "string"}, "title": {"type": ["string", "null"]},
            "hash": {"type": ["string", "null"], "description": "sha256 of the serving version; null if none."},
            "path": {"type": "string"},
            "loaded_at": {"type": ["string", "null"], "description": "When the serving version was compiled."},
            "error": {"type": ["array", "null"], "items": _ref("Diagnostic"),
                      "description": "Why the file's latest text does not compile (the last good version serves)."},
        },
    },
}
SCHEMAS["PolicyDetails"] = {
    "allOf": [_ref("PolicySummary"), {
        "type": "object", "required": ["schema", "blocks", "tiers", "routes", "rules"],
        "properties": {
            "schema": {"type": ["object", "null"], "additionalProperties": {"type": "string"},
                       "description": "Declared fields (dotted path -> type); null without a schema."},
            "blocks": {"type": "array", "items": {"type": "string"}},
            "tiers": {"type": "array", "items": {"type": "string"}},
            "routes": {"type": "array", "items": {"type": "string"}},
            "rules": {"type": "array", "items": {
                "type": "object", "required": ["block", "rule", "points"],
                "properties": {"block": {"type": "string"}, "rule": {"type": "string"},
                               "points": {"type": "number"}}}},
        }}],
}


def _post(summary: str, request: str, response: str) -> dict[str, Any]:
    return {
        "summary": summary,
        "parameters": [_NAME],
        "requestBody": {"required": True, "content": {JSON: {"schema": _ref(request)}}},
        "responses": {"200": _json(_ref(response), "The decision(s), with the hash of the policy that made them."),
                      **_errors(400, 401, 404, 408, 413, 415, 422, 503)},
    }


@functools.cache
def _document() -> str:
    text = "Plain text, Prometheus exposition format 0.0.4."
    doc = {
        "openapi": "3.1.0",
        "info": {"title": "qualdsl serve", "version": __version__,
                 "description": "Lead-qualification decisions over HTTP. See docs/serve.md."},
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "Required when the server runs with --token-file."}},
        },
        "security": [{"bearer": []}, {}],
        "paths": {
            "/healthz": {"get": {"summary": "Alive.", "security": [], "responses": {"200": _json(
                {"type": "object", "required": ["status"], "properties": {"status": {"const": "ok"}}},
                "The process answers.")}}},
            "/readyz": {"get": {"summary": "Ready: every policy found has a compiled version.", "responses": {
                "200": _json({"type": "object", "required": ["status", "policies"],
                              "properties": {"status": {"const": "ready"}, "policies": {"type": "integer"}}},
                             "Every policy serving."),
                **_errors(401, 503)}}},
            "/metrics": {"get": {"summary": "Prometheus metrics.", "responses": {
                "200": {"description": text, "content": {"text/plain": {"schema": {"type": "string"}}}},
                **_errors(401)}}},
            "/openapi.json": {"get": {"summary": "This document.", "responses": {
                "200": _json({"type": "object"}, "OpenAPI 3.1."), **_errors(401)}}},
            "/v1/policies": {"get": {"summary": "Every policy file found, serving or not.", "responses": {
                "200": _json({"type": "array", "items": _ref("PolicySummary")}, "Sorted by name."),
                **_errors(401)}}},
            "/v1/policies/{name}": {"get": {"summary": "One policy, with its schema, blocks, tiers, routes, rules.",
                                            "parameters": [_NAME], "responses": {
                "200": _json(_ref("PolicyDetails"), "The serving version."), **_errors(401, 404, 503)}}},
            "/v1/policies/{name}/evaluate": {"post": _post(
                "Decide one lead.", "EvaluateRequest", "EvaluateResponse")},
            "/v1/policies/{name}/evaluate-batch": {"post": _post(
                "Decide many leads as of one moment, in order.", "EvaluateBatchRequest", "EvaluateBatchResponse")},
        },
    }
    return json.dumps(doc, indent=2) + "\n"


def document() -> dict[str, Any]:
    """A fresh copy of the document."""
    value: dict[str, Any] = json.loads(_document())
    return value


def text() -> str:
    """The document as shipped in docs/openapi.json."""
    return _document()


if __name__ == "__main__":
    print(text(), end="")
