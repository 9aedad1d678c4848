"""The side-effect ledger (``GET /workflow-runs/{runId}/side-effects``) of a retried run
and of a replayed one: every side-effectful call with its idempotency key, attempts and
outcome, executed once, executed again, or reused from a stored result; pure actions
left out; secrets masked as everywhere in the API; cursor paging; view role; 404 for
another tenant's run.

The real API app (in process) applies the operator controls; the engine's pump plays
the interpreter and executor on the same database and topics.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
from engine_harness import Clock, Pump, ensure_rows_table, make_registry
from fastapi import FastAPI
from sluice_api.app import create_app
from sluice_config import Settings
from sluice_engine import EngineContext
from sluice_messaging.topics import Topics
from sluice_storage import DefinitionRepository, TokenRepository, transaction

pytestmark = pytest.mark.integration

RECORD = {"actionId": "test.record", "version": 1}
SCHEMA = {"type": "object", "properties": {"card": {"type": "string", "x-sensitive": True}}}
DOCUMENT = {"name": "ledger", "steps": [
    {"id": "ticket", "type": "action.call", "config": {
        **RECORD, "idempotencyKey": {"$expr": "payload.ticket"},
        "args": {"card": {"$expr": "payload.card"}}}},
    {"id": "echo", "type": "action.call",
     "config": {"actionId": "test.echo", "version": 1, "args": {"x": 1}}},
    {"id": "note", "type": "action.call", "config": {
        **RECORD, "args": {"boom": {"$expr": "payload.boom"}}}},
]}  # fmt: skip
CARD = "4111111111111111"


@pytest.fixture
async def pump(pool: asyncpg.Pool, tenant_id: str, topic_prefix: str, clock: Clock) -> Pump:
    """One pump (commands one by one): the ledger reads what the executor recorded, the
    same however the interpreter applied the commands (conftest's ``pump`` runs both)."""
    await ensure_rows_table(pool)
    registry, handlers = make_registry()
    ctx = EngineContext(registry=registry, topics=Topics.from_prefix(topic_prefix), clock=clock)
    return Pump(pool, ctx, handlers, tenant_id, ctx.topics)


@pytest.fixture
async def api(
    pump: Pump, migrated_database_url: str, topic_prefix: str
) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        database_url=migrated_database_url, kafka_bootstrap_servers="-", topic_prefix=topic_prefix
    )
    app: FastAPI = create_app(settings, registry=pump.ctx.registry, clock=pump.ctx.clock)
    async with app.router.lifespan_context(app):
        token = await issue(pump.pool, pump.tenant_id, "workflow.admin")
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(transport=transport, base_url="http://api",
                                     headers=headers) as client:  # fmt: skip
            yield client


async def issue(pool: asyncpg.Pool, tenant_id: str, role: str) -> str:
    async with transaction(pool) as conn:
        issued = await TokenRepository(conn, tenant_id).create(
            subject="tester", role=role, now=dt.datetime.now(dt.UTC)
        )
    return issued.token


async def publish(pool: asyncpg.Pool, tenant_id: str) -> str:
    workflow_id, now = uuid.uuid4(), dt.datetime.now(dt.UTC)
    async with transaction(pool) as conn:
        repo = DefinitionRepository(conn, tenant_id)
        await repo.save_draft(workflow_id, DOCUMENT, now)
        await repo.publish(workflow_id, DOCUMENT, payload_schema=SCHEMA, published_by="t", now=now)
    return str(workflow_id)


async def ledger(api: httpx.AsyncClient, run_id: str, **params: Any) -> dict[str, Any]:
    got = await api.get(f"/workflow-runs/{run_id}/side-effects", params=params)
    assert got.status_code == 200, got.text
    body: dict[str, Any] = got.json()
    return body


def by_step(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["stepId"]: item for item in items}


async def test_a_retried_run_shows_the_failed_call_executed_again(
    pump: Pump, api: httpx.AsyncClient, clock: Clock
) -> None:
    workflow_id = await publish(pump.pool, pump.tenant_id)
    ticket = f"T-{uuid.uuid4().hex[:8]}"
    payload = {"ticket": ticket, "card": CARD, "boom": True}
    run_id = await pump.start(workflow_id, payload)
    await pump.drain()
    assert (await pump.run_row(run_id))["status"] == "FAILED"

    failed = by_step((await ledger(api, run_id))["items"])
    assert set(failed) == {"ticket", "note"}  # test.echo is pure: not a side effect
    assert failed["note"]["status"] == "FAILED"
    assert failed["note"]["execution"] == "EXECUTED"

    retried = await api.post(f"/workflow-runs/{run_id}/retry", json={
        "reason": "fixed", "payload": {**payload, "boom": False}})  # fmt: skip
    assert retried.status_code == 200, retried.text
    await pump.drain()
    assert (await pump.run_row(run_id))["status"] == "SUCCEEDED"

    items = by_step((await ledger(api, run_id))["items"])
    assert items["note"]["execution"] == "EXECUTED_AGAIN"
    assert (items["note"]["status"], items["note"]["attempt"]) == ("SUCCEEDED", 2)
    assert items["note"]["idempotencyKey"] == failed["note"]["idempotencyKey"]  # same key
    assert items["ticket"]["execution"] == "EXECUTED"  # not called again by the retry
    assert (items["ticket"]["attempt"], items["ticket"]["idempotencyKey"]) == (1, ticket)
    assert items["ticket"]["executedByRunId"] == run_id
    assert items["ticket"]["input"]["card"] == "***"  # x-sensitive, masked as in the API
    assert CARD not in str(items)

    # the replay comes later, as it would: the ledger lists calls oldest first, and with
    # the test clock standing still the order of equal times is the invocation ids'
    clock.advance(1)
    # the replay: the ticket's key comes from the payload, so its stored result is reused;
    # the note's key is derived from the (new) run id: executed for the new run
    replayed = await api.post(f"/workflow-runs/{run_id}/replay", json={
        "reason": "again", "payload": {**payload, "boom": False}})  # fmt: skip
    assert replayed.status_code == 201, replayed.text
    replay_id = replayed.json()["runId"]
    await pump.drain()
    assert (await pump.run_row(replay_id))["status"] == "SUCCEEDED"
    again = by_step((await ledger(api, replay_id))["items"])
    assert again["ticket"]["execution"] == "REUSED"
    assert again["ticket"]["executedByRunId"] == run_id
    assert again["ticket"]["attempt"] == 1
    assert again["ticket"]["input"] is None  # the other run's input is not this run's to show
    assert again["ticket"]["output"]["key"] == ticket
    assert again["note"]["execution"] == "EXECUTED"
    assert again["note"]["idempotencyKey"] != items["note"]["idempotencyKey"]
    rows = await pump.fetch(
        "SELECT count(*) AS n FROM test_action_rows WHERE tenant_id = $1 AND idempotency_key = $2",
        ticket,
    )
    assert rows[0]["n"] == 1  # the ticket's effect happened once in all

    # paging, one entry per page, in order; the view role may read it
    viewer = await issue(pump.pool, pump.tenant_id, "workflow.view")
    headers = {"Authorization": f"Bearer {viewer}"}
    first = await ledger(api, replay_id, limit=1)
    assert len(first["items"]) == 1
    assert first["nextCursor"]
    page = await api.get(f"/workflow-runs/{replay_id}/side-effects", headers=headers,
                         params={"limit": 1, "cursor": first["nextCursor"]})  # fmt: skip
    assert page.status_code == 200, page.text
    second = page.json()
    assert [i["stepId"] for i in first["items"] + second["items"]] == ["ticket", "note"]
    assert "nextCursor" not in second or second["nextCursor"] is None


async def test_another_tenants_run_is_not_found(pump: Pump, api: httpx.AsyncClient) -> None:
    other = await issue(pump.pool, f"{pump.tenant_id}-x", "workflow.admin")
    workflow_id = await publish(pump.pool, pump.tenant_id)
    run_id = await pump.start(workflow_id, {"ticket": "T-0", "card": CARD, "boom": False})
    got = await api.get(f"/workflow-runs/{run_id}/side-effects",
                        headers={"Authorization": f"Bearer {other}"})  # fmt: skip
    assert got.status_code == 404
    assert got.json()["code"] == "NOT_FOUND"
