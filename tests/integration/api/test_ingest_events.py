"""Ingest ``POST /events``: token -> tenant, schema-checked, idempotent, onto the outbox."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import asyncpg
import httpx
import pytest
from sluice_config import Settings
from sluice_ingest.app import create_app

pytestmark = pytest.mark.integration
TokenFactory = Callable[..., Awaitable[str]]


@pytest.fixture
async def ingest(migrated_database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(database_url=migrated_database_url))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://ingest") as client:
            yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def outbox_events(pool: asyncpg.Pool, tenant_id: str) -> list[asyncpg.Record]:
    async with pool.acquire() as conn:
        return await conn.fetch(
            "SELECT topic, key, payload FROM outbox WHERE tenant_id = $1 ORDER BY id", tenant_id
        )


async def test_event_goes_to_the_outbox_for_the_tokens_tenant(
    ingest: httpx.AsyncClient, token_factory: TokenFactory, pool: asyncpg.Pool, tenant_id: str
) -> None:
    token = await token_factory("workflow.manage")
    event = {"eventName": "ORDER_PAID", "correlationKey": 17, "payload": {"total": 3}}
    answer = await ingest.post("/events", json=event, headers=bearer(token))
    assert answer.status_code == 202, answer.text
    assert answer.json()["status"] == "accepted"
    [row] = await outbox_events(pool, tenant_id)
    assert row["topic"] == "wf.events"
    assert row["key"] == f"{tenant_id}:ORDER_PAID:17"
    envelope = row["payload"]
    assert (envelope["type"], envelope["tenantId"], envelope["id"]) == (
        "event", tenant_id, answer.json()["eventId"],
    )  # fmt: skip
    assert envelope["body"] == {"eventName": "ORDER_PAID", "correlationKey": "17",
                                "payload": {"total": 3}}  # fmt: skip


async def test_idempotency_key_makes_a_repeat_a_duplicate(
    ingest: httpx.AsyncClient, token_factory: TokenFactory, pool: asyncpg.Pool, tenant_id: str
) -> None:
    headers = bearer(await token_factory("workflow.manage"))
    event = {"eventName": "E", "correlationKey": "c", "idempotencyKey": f"k-{uuid.uuid4()}"}
    first = await ingest.post("/events", json=event, headers=headers)
    again = await ingest.post("/events", json=event, headers=headers)
    assert (first.json()["status"], again.json()["status"]) == ("accepted", "duplicate")
    assert first.json()["eventId"] == again.json()["eventId"]
    assert len(await outbox_events(pool, tenant_id)) == 1
    changed = await ingest.post("/events", json={**event, "payload": {"x": 1}}, headers=headers)
    assert changed.status_code == 422
    assert changed.json()["code"] == "IDEMPOTENCY_KEY_REUSED"


async def test_malformed_event_is_refused_with_pointers(
    ingest: httpx.AsyncClient, token_factory: TokenFactory
) -> None:
    headers = bearer(await token_factory("workflow.manage"))
    bad = {"eventName": "", "correlationKey": True, "payload": [], "tenantId": "other"}
    answer = await ingest.post("/events", json=bad, headers=headers)
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    pointers = {e["pointer"] for e in answer.json()["errors"]}
    assert {"/eventName", "/correlationKey", "/payload", "/tenantId"} <= pointers


async def test_token_is_required_and_must_allow_submitting(
    ingest: httpx.AsyncClient, token_factory: TokenFactory
) -> None:
    event = {"eventName": "E", "correlationKey": "c"}
    assert (await ingest.post("/events", json=event)).status_code == 401
    bad = await ingest.post("/events", json=event, headers=bearer("slc_nope"))
    assert bad.status_code == 401
    viewer = await ingest.post(
        "/events", json=event, headers=bearer(await token_factory("workflow.view"))
    )
    assert viewer.status_code == 403


async def test_ingest_health_readiness_and_metrics(ingest: httpx.AsyncClient) -> None:
    assert (await ingest.get("/healthz")).json() == {"status": "ok"}
    assert (await ingest.get("/readyz")).json() == {"status": "ready"}
    assert (await ingest.get("/metrics")).status_code == 200
