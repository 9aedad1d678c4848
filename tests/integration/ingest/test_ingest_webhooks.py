"""``POST /hooks/{hookId}``: signed deliveries, refusals that store nothing, idempotency."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import pytest
from sluice_ingest.context import IngestContext
from sluice_ingest.signatures import sign
from sluice_storage import DefinitionRepository, transaction
from sluice_storage.webhooks import HookRecord, WebhookRepository

pytestmark = pytest.mark.integration

SCHEMA = {
    "type": "object",
    "required": ["alert", "severity"],
    "properties": {"alert": {"type": "string"}, "severity": {"enum": ["low", "high"]}},
}


async def publish_hook(pool: asyncpg.Pool, tenant: str, trigger: dict[str, Any]) -> HookRecord:
    workflow_id, now = uuid.uuid4(), datetime.now(UTC)
    doc = {"name": "alerts", "trigger": trigger,
           "steps": [{"id": "s", "type": "state.set", "config": {"state": "ALERTED"}}]}  # fmt: skip
    async with transaction(pool) as conn:
        repo = DefinitionRepository(conn, tenant)
        await repo.save_draft(workflow_id, doc, now)
        await repo.publish(workflow_id, doc, payload_schema=None, published_by="test", now=now)
        hook = await WebhookRepository(conn, tenant).get(workflow_id)
    assert hook is not None
    return hook


@pytest.fixture
async def hook(pool: asyncpg.Pool, tenant_id: str) -> HookRecord:
    return await publish_hook(pool, tenant_id, {"type": "webhook", "schema": SCHEMA})


def signed(
    hook: HookRecord, body: bytes, *, delivery: str | None = "d-1", at: int | None = None,
    secret: str | None = None,
) -> dict[str, str]:  # fmt: skip
    headers = {
        "Content-Type": "application/json",
        "Sluice-Signature": sign(secret or hook.secret, at or int(time.time()), body),
    }
    if delivery:
        headers["Sluice-Delivery"] = delivery
    return headers


ALERT = json.dumps({"alert": "disk full", "severity": "high"}).encode()


async def stored(pool: asyncpg.Pool, tenant: str, ctx: IngestContext) -> tuple[int, int]:
    """(deliveries, outbox events) of the tenant."""
    async with pool.acquire() as conn:
        deliveries = await conn.fetchval(
            "SELECT count(*) FROM webhook_deliveries WHERE tenant_id = $1", tenant
        )
        events = await conn.fetchval(
            "SELECT count(*) FROM outbox WHERE tenant_id = $1 AND topic = $2",
            tenant, ctx.topics.events,
        )  # fmt: skip
    return deliveries, events


async def test_signed_delivery_becomes_one_event_for_the_workflow(
    ingest_http: httpx.AsyncClient, hook: HookRecord, pool: asyncpg.Pool,
    ingest_context: IngestContext,
) -> None:  # fmt: skip
    response = await ingest_http.post(f"/hooks/{hook.hook_id}", content=ALERT,
                                      headers=signed(hook, ALERT))  # fmt: skip
    assert response.status_code == 202, response.text
    body = response.json()
    assert (body["deliveryId"], body["status"]) == ("d-1", "accepted")
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT key, payload FROM outbox WHERE tenant_id = $1 AND topic = $2",
            hook.tenant_id, ingest_context.topics.events,
        )  # fmt: skip
        triggered = await DefinitionRepository(conn, hook.tenant_id).triggered_by(
            f"webhook:{hook.workflow_id}"
        )
    event = row["payload"]["body"]
    assert event == {
        "eventName": f"webhook:{hook.workflow_id}", "correlationKey": "d-1",
        "payload": {"alert": "disk full", "severity": "high"},
        "idempotencyKey": f"webhook:{hook.hook_id}:d-1",
    }  # fmt: skip
    assert row["payload"]["id"] == body["eventId"]
    # The router starts the workflow for that event, as for any event trigger.
    assert [v.workflow_id for v in triggered] == [hook.workflow_id]


async def test_same_delivery_again_is_a_duplicate_even_re_signed(
    ingest_http: httpx.AsyncClient, hook: HookRecord, pool: asyncpg.Pool,
    ingest_context: IngestContext,
) -> None:  # fmt: skip
    first = await ingest_http.post(f"/hooks/{hook.hook_id}", content=ALERT,
                                   headers=signed(hook, ALERT))  # fmt: skip
    resigned = signed(hook, ALERT, at=int(time.time()) - 5)
    retry = await ingest_http.post(f"/hooks/{hook.hook_id}", content=ALERT, headers=resigned)
    assert retry.status_code == 202
    assert (retry.json()["status"], retry.json()["eventId"]) == (
        "duplicate",
        first.json()["eventId"],
    )
    assert await stored(pool, hook.tenant_id, ingest_context) == (1, 1)


async def test_replayed_signature_under_another_delivery_id_is_401(
    ingest_http: httpx.AsyncClient, hook: HookRecord, pool: asyncpg.Pool,
    ingest_context: IngestContext,
) -> None:  # fmt: skip
    headers = signed(hook, ALERT)
    await ingest_http.post(f"/hooks/{hook.hook_id}", content=ALERT, headers=headers)
    replay = await ingest_http.post(f"/hooks/{hook.hook_id}", content=ALERT,
                                    headers={**headers, "Sluice-Delivery": "d-2"})  # fmt: skip
    assert (replay.status_code, replay.json()["code"]) == (401, "SIGNATURE_REPLAYED")
    assert replay.headers["content-type"] == "application/problem+json"
    assert await stored(pool, hook.tenant_id, ingest_context) == (1, 1)


async def test_delivery_without_an_id_is_idempotent_by_its_signature(
    ingest_http: httpx.AsyncClient, hook: HookRecord, pool: asyncpg.Pool,
    ingest_context: IngestContext,
) -> None:  # fmt: skip
    headers = signed(hook, ALERT, delivery=None)
    first = await ingest_http.post(f"/hooks/{hook.hook_id}", content=ALERT, headers=headers)
    again = await ingest_http.post(f"/hooks/{hook.hook_id}", content=ALERT, headers=headers)
    assert first.json()["deliveryId"].startswith("sig-")
    assert again.json()["status"] == "duplicate"
    assert await stored(pool, hook.tenant_id, ingest_context) == (1, 1)


@pytest.mark.parametrize(
    ("case", "status", "code"),
    [
        ("unknown hook", 404, "UNKNOWN_HOOK"),
        ("no signature", 401, "SIGNATURE_MISSING"),
        ("malformed signature", 401, "SIGNATURE_MALFORMED"),
        ("wrong secret", 401, "SIGNATURE_MISMATCH"),
        ("body changed", 401, "SIGNATURE_MISMATCH"),
        ("stale timestamp", 401, "SIGNATURE_STALE"),
        ("future timestamp", 401, "SIGNATURE_STALE"),
        ("too large", 413, "PAYLOAD_TOO_LARGE"),
        ("not json", 422, "INVALID_PAYLOAD"),
        ("not an object", 422, "INVALID_PAYLOAD"),
        ("schema violated", 422, "INVALID_PAYLOAD"),
        ("NaN", 422, "INVALID_PAYLOAD"),
    ],
)
async def test_refused_deliveries_store_nothing(
    ingest_http: httpx.AsyncClient, hook: HookRecord, pool: asyncpg.Pool,
    ingest_context: IngestContext, case: str, status: int, code: str,
) -> None:  # fmt: skip
    body, headers, path = ALERT, signed(hook, ALERT), f"/hooks/{hook.hook_id}"
    now = int(time.time())
    if case == "unknown hook":
        path = "/hooks/hk_nope"
    elif case == "no signature":
        headers.pop("Sluice-Signature")
    elif case == "malformed signature":
        headers["Sluice-Signature"] = "sha256=abc"
    elif case == "wrong secret":
        headers = signed(hook, ALERT, secret="whsec_other")
    elif case == "body changed":
        body = ALERT.replace(b"high", b"low")
    elif case in ("stale timestamp", "future timestamp"):
        # a minute past the 300 s window: a slow request (seconds) cannot bring it back inside
        headers = signed(hook, ALERT, at=now - 360 if case.startswith("stale") else now + 360)
    else:
        body = {
            "too large": json.dumps({"alert": "x" * 2_000_000, "severity": "low"}).encode(),
            "not json": b"{alert",
            "not an object": b"[1, 2]",
            "schema violated": json.dumps({"alert": 5, "severity": "urgent"}).encode(),
            "NaN": b'{"alert": "a", "severity": "low", "n": NaN}',
        }[case]
        headers = signed(hook, body)
    response = await ingest_http.post(path, content=body, headers=headers)
    assert (response.status_code, response.json()["code"]) == (status, code), response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert hook.secret not in response.text
    if case == "schema violated":
        pointers = {e["pointer"] for e in response.json()["errors"]}
        assert pointers == {"/alert", "/severity"}
    assert await stored(pool, hook.tenant_id, ingest_context) == (0, 0)


async def test_without_trigger_schema_the_payload_schema_applies(
    ingest_http: httpx.AsyncClient, pool: asyncpg.Pool, tenant_id: str
) -> None:
    hook = await publish_hook(pool, tenant_id, {"type": "webhook"})
    free = json.dumps({"anything": [1, 2]}).encode()
    response = await ingest_http.post(f"/hooks/{hook.hook_id}", content=free,
                                      headers=signed(hook, free))  # fmt: skip
    assert response.status_code == 202, response.text


async def test_hook_id_and_secret_survive_a_new_version_and_go_without_the_trigger(
    pool: asyncpg.Pool, tenant_id: str
) -> None:
    hook = await publish_hook(pool, tenant_id, {"type": "webhook"})
    doc = {"name": "alerts", "trigger": {"type": "webhook"}, "steps": []}
    async with transaction(pool) as conn:
        repo = DefinitionRepository(conn, tenant_id)
        await repo.publish(hook.workflow_id, doc, payload_schema=None, published_by="t",
                           now=datetime.now(UTC))  # fmt: skip
        again = await WebhookRepository(conn, tenant_id).get(hook.workflow_id)
        assert again is not None
        assert (again.hook_id, again.secret) == (hook.hook_id, hook.secret)
        plain = {"name": "alerts", "steps": []}
        await repo.publish(hook.workflow_id, plain, payload_schema=None, published_by="t",
                           now=datetime.now(UTC))  # fmt: skip
        assert await WebhookRepository(conn, tenant_id).get(hook.workflow_id) is None
    assert hook.secret not in repr(hook)
