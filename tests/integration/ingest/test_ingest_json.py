"""``POST /emails`` with the SPEC 12 JSON payload: token, tenant from it, provider checked."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import httpx
import pytest
from ingest_samples import new_message_id, outbox_events
from sluice_ingest.context import IngestContext

pytestmark = pytest.mark.integration
TokenFactory = Callable[..., Awaitable[str]]


def _payload(message_id: str, provider: str = "prov-1") -> dict[str, Any]:
    return {
        "emailData": {"id": f"<{message_id}>", "from": {"email": "jane@customer.example"},
                      "subject": "Hi", "body": {"text": "hello"}, "x-custom": 1},
        "providerId": provider,
    }  # fmt: skip


async def test_json_accepted_then_duplicate_with_tenant_from_token(
    ingest_http: httpx.AsyncClient, ingest_context: IngestContext, ingest_token: TokenFactory,
    pool: asyncpg.Pool, tenant_id: str, mailbox: str,
) -> None:  # fmt: skip
    headers = {"Authorization": f"Bearer {await ingest_token('workflow.manage')}"}
    message_id = new_message_id()
    first = await ingest_http.post("/emails", json=_payload(message_id), headers=headers)
    again = await ingest_http.post("/emails", json=_payload(message_id), headers=headers)
    assert first.status_code == 202, first.text
    assert (first.json()["status"], again.json()["status"]) == ("accepted", "duplicate")
    [event] = await outbox_events(pool, ingest_context.topics.events)
    payload = event["body"]["payload"]
    assert payload["tenantId"] == tenant_id
    assert payload["emailData"]["id"] == message_id
    assert payload["emailData"]["x-custom"] == 1  # additional properties are kept
    assert event["body"]["idempotencyKey"] == f"prov-1:{message_id}"


async def test_json_without_token_401_and_view_role_403(
    ingest_http: httpx.AsyncClient, ingest_token: TokenFactory, mailbox: str
) -> None:
    body = _payload(new_message_id())
    anonymous = await ingest_http.post("/emails", json=body)
    viewer = await ingest_http.post(
        "/emails", json=body,
        headers={"Authorization": f"Bearer {await ingest_token('workflow.view')}"},
    )  # fmt: skip
    assert anonymous.status_code == 401
    assert viewer.status_code == 403


async def test_json_other_tenants_provider_404(
    ingest_http: httpx.AsyncClient, ingest_token: TokenFactory, mailbox: str
) -> None:
    other = await ingest_token("workflow.manage", tenant="t-other-tenant-json")
    answer = await ingest_http.post(
        "/emails", json=_payload(new_message_id()), headers={"Authorization": f"Bearer {other}"}
    )
    assert answer.status_code == 404
    assert answer.json()["code"] == "UNKNOWN_PROVIDER"


async def test_json_invalid_payload_422_with_pointers(
    ingest_http: httpx.AsyncClient, ingest_token: TokenFactory, mailbox: str
) -> None:
    headers = {"Authorization": f"Bearer {await ingest_token()}"}
    answer = await ingest_http.post(
        "/emails", json={"emailData": {"id": "x", "body": {}}, "providerId": "prov-1"},
        headers=headers,
    )  # fmt: skip
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["errors"][0]["pointer"] == "/emailData"
