"""Ingest refuses NaN, Infinity and overflowing numbers with a 422 naming the place.

``POST /events`` (FastAPI parses the body) and ``POST /emails`` with the JSON
payload (read by the intake itself): before the check both ended in a 500
from PostgreSQL's jsonb. Nothing is stored, and an idempotency key stays free.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import httpx
import pytest
from fixtures.tenant_rows import tenant_rows
from ingest_samples import new_message_id

pytestmark = pytest.mark.integration
TokenFactory = Callable[..., Awaitable[str]]
HOLE = "@number@"


def with_number(document: dict[str, Any], literal: str) -> str:
    """``document`` as JSON text with ``literal`` written where ``HOLE`` is."""
    return json.dumps(document).replace(json.dumps(HOLE), literal)


async def headers_for(ingest_token: TokenFactory) -> dict[str, str]:
    return {"Authorization": f"Bearer {await ingest_token()}", "content-type": "application/json"}


async def test_event_with_nan_is_a_422_naming_the_place_and_nothing_is_stored(
    ingest_http: httpx.AsyncClient, ingest_token: TokenFactory, pool: asyncpg.Pool,
    tenant_id: str,
) -> None:  # fmt: skip
    headers = await headers_for(ingest_token)
    before = await tenant_rows(pool, tenant_id)
    body = '{"eventName": "PAID", "correlationKey": "o-1", "payload": {"a": NaN}}'
    answer = await ingest_http.post("/events", content=body, headers=headers)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["code"] == "VALIDATION_FAILED"
    assert problem["errors"] == [{"pointer": "/payload/a", "message": "NaN is not a JSON number"}]
    assert problem["detail"] == "the request is invalid: /payload/a: NaN is not a JSON number"
    assert await tenant_rows(pool, tenant_id) == before


async def test_refused_event_leaves_its_idempotency_key_free(
    ingest_http: httpx.AsyncClient, ingest_token: TokenFactory
) -> None:
    headers = await headers_for(ingest_token)
    event = {"eventName": "E", "correlationKey": "c", "idempotencyKey": f"k-{uuid.uuid4()}",
             "payload": {"n": HOLE}}  # fmt: skip
    post = ingest_http.post
    refused = await post("/events", content=with_number(event, "1e400"), headers=headers)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["pointer"] == "/payload/n"
    assert "1e400 is too large" in refused.json()["errors"][0]["message"]
    accepted = await post("/events", content=with_number(event, "1e300"), headers=headers)
    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["status"] == "accepted"


async def test_email_json_with_infinity_is_a_422_and_nothing_is_stored(
    ingest_http: httpx.AsyncClient, ingest_token: TokenFactory, pool: asyncpg.Pool,
    tenant_id: str, mailbox: str,
) -> None:  # fmt: skip
    headers = await headers_for(ingest_token)
    before = await tenant_rows(pool, tenant_id)
    email = {"emailData": {"id": f"<{new_message_id()}>", "from": {"email": "jane@x.example"},
                           "subject": "Hi", "body": {"text": "hello"}, "x-score": HOLE},
             "providerId": "prov-1"}  # fmt: skip
    body = with_number(email, "-Infinity")
    answer = await ingest_http.post("/emails", content=body, headers=headers)
    assert answer.status_code == 422, answer.text
    problem = answer.json()
    assert problem["code"] == "INVALID_PAYLOAD"
    assert problem["errors"] == [
        {"pointer": "/emailData/x-score", "message": "-Infinity is not a JSON number"}
    ]
    assert await tenant_rows(pool, tenant_id) == before
