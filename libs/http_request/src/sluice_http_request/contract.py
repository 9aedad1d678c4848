"""The ``http.request`` v1 contract: input and output JSON Schemas, UI metadata, retry hint.

The input schema is what publish checks (``INVALID_CONFIG`` at the step, Exprs
tolerated where a value may come from one) and what the run checks again once
the args are resolved. Secrets enter only as ``{"secretRef": ...}`` objects, in
header values, form fields and anywhere inside a JSON body; never in the URL
or the query (URLs reach access logs and error messages).
"""

from __future__ import annotations

from typing import Any

from workflow_core.definitions import RetryPolicy
from workflow_core.registry import ActionSpec, UiMetadata

ACTION_ID = "http.request"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
# Handlers get half the executor's 60 s lease (ExecutorConfig.handler_timeout_s = 30 s):
# 25 s leaves 5 s for resolving secrets and recording the outcome.
MAX_TIMEOUT_MS = 25_000
DEFAULT_TIMEOUT_MS = 10_000
# 256 KiB by default (what a snapshot shows, SPEC 10), 1 MiB at most: the output is
# kept in the run's state and history; a bigger download is not a workflow value.
DEFAULT_MAX_RESPONSE_BYTES = 256 * 1024
MAX_RESPONSE_BYTES = 1024 * 1024
MAX_REDIRECTS = 5

SECRET_REF_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": 'a secret by reference: {"secretRef": "env:NAME" | "file:NAME" | '
    '"table:NAME" | "NAME", "prefix"?: "Bearer "}',
    "required": ["secretRef"],
    "properties": {
        "secretRef": {
            "type": "string",
            "pattern": r"^((env|file|table):)?[A-Za-z0-9][A-Za-z0-9._-]{0,127}$",
        },
        "prefix": {"type": "string"},
    },
    "additionalProperties": False,
}
SCALAR: dict[str, Any] = {"type": ["string", "number", "boolean"]}
HEADER_NAME = r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$"  # an RFC 9110 token

INPUT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["url"],
    "additionalProperties": False,
    "not": {"required": ["json", "form"]},
    "properties": {
        "method": {"enum": list(METHODS), "default": "GET"},
        "url": {
            "type": "string",
            "pattern": "^[Hh][Tt][Tt][Pp][Ss]?://[^\\s]+$",
            "description": "http:// or https:// URL; no secrets here",
        },
        "headers": {
            "type": "object",
            "propertyNames": {"pattern": HEADER_NAME},
            "additionalProperties": {"oneOf": [{"type": "string"}, SECRET_REF_SCHEMA]},
        },
        "query": {
            "type": "object",
            "additionalProperties": {"oneOf": [SCALAR, {"type": "array", "items": SCALAR}]},
        },
        "json": {"description": "a JSON body (secretRef objects inside are resolved)"},
        "form": {
            "type": "object",
            "description": "an application/x-www-form-urlencoded body",
            "additionalProperties": {"oneOf": [SCALAR, SECRET_REF_SCHEMA]},
        },
        "timeoutMs": {
            "type": "integer",
            "minimum": 1,
            "maximum": MAX_TIMEOUT_MS,
            "default": DEFAULT_TIMEOUT_MS,
        },
        "maxResponseBytes": {
            "type": "integer",
            "minimum": 1,
            "maximum": MAX_RESPONSE_BYTES,
            "default": DEFAULT_MAX_RESPONSE_BYTES,
        },
        "followRedirects": {"type": "boolean", "default": True},
        "idempotencyHeader": {
            "type": ["string", "null"],
            "pattern": HEADER_NAME,
            "default": "Idempotency-Key",
            "description": "header carrying the invocation's idempotency key; null: none",
        },
    },
}

OUTPUT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["status", "ok", "headers", "body", "truncated", "bytes", "url"],
    "properties": {
        "status": {"type": "integer"},
        "ok": {"type": "boolean", "description": "status 200-299"},
        "headers": {"type": "object", "additionalProperties": {"type": "string"}},
        "body": {
            "description": "parsed JSON for a JSON content type, else text; "
            "a {$truncated, originalBytes, text} marker past the cap"
        },
        "truncated": {"type": "boolean"},
        "bytes": {"type": "integer", "description": "body bytes kept"},
        "url": {"type": "string", "description": "the URL that answered (after redirects)"},
    },
}

SPEC = ActionSpec(
    action_id=ACTION_ID,
    version=1,
    input_schema=INPUT_SCHEMA,
    output_schema=OUTPUT_SCHEMA,
    side_effectful=True,
    ui=UiMetadata(
        label="HTTP request",
        category="Integrations",
        description=(
            "Calls an HTTP API: method, URL, headers (secrets by secretRef), query, JSON or "
            "form body. 5xx, 408, 429 (Retry-After honoured) and timeouts are retried by the "
            "step's policy; other 4xx fail at once. Private and metadata addresses are refused."
        ),
        icon="globe",
        examples=[
            {
                "method": "POST",
                "url": "https://api.example.com/v1/messages",
                "headers": {"Authorization": {"secretRef": "env:CHAT_TOKEN", "prefix": "Bearer "}},
                "json": {"text": {"$expr": '"New ticket: " & payload.title'}},
            },
        ],
    ),
    retry_hint=RetryPolicy.model_validate({"maxAttempts": 3, "backoffMs": 1000}),
)
