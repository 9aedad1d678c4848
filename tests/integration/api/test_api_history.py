"""Run history over HTTP: every kind listed oldest first, paginated, and redacted."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import asyncpg
import httpx
import pytest
from fixtures.runs import insert_runs
from sluice_messaging.dlq import DeadLetter
from sluice_storage import NewRun, mirror_dead_letter, transaction

pytestmark = pytest.mark.integration
T0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
SECRET = "hunter2-sesame"


def envelope() -> dict[str, Any]:
    return {"v": 1, "payload": {"password": SECRET, "user": "ann"}, "vars": {},
            "meta": {"state": "X", "redactions": ["/payload/password"]}}  # fmt: skip


async def seed_history(pool: asyncpg.Pool, tenant_id: str) -> uuid.UUID:
    run_id = uuid.uuid4()
    async with transaction(pool) as conn:
        await insert_runs(conn, tenant_id, NewRun(
            run_id, uuid.uuid4(), 1, {"password": SECRET}, T0,
            run_state={"envelope": envelope()}))  # fmt: skip
        error = {"message": f"login failed for {SECRET}", "category": "ActionError"}
        for attempt in (1, 2, 3):
            await conn.execute(
                """INSERT INTO run_steps (tenant_id, run_id, attempt_id, step_id, node_path,
                     attempt, status, started_at, error) VALUES ($1, $2, $3, 'a', 'root.steps[0]',
                     $4, 'FAILED', $5, $6)""",
                tenant_id, run_id, f"a#{attempt}", attempt, T0, error,
            )  # fmt: skip
        await conn.execute(
            """INSERT INTO run_snapshots (tenant_id, run_id, node_path, step_id, at, envelope)
               VALUES ($1, $2, 'root.steps[0]', 'a', $3, $4)""",
            tenant_id, run_id, T0, envelope(),
        )  # fmt: skip
        await conn.execute(
            """INSERT INTO run_logs (tenant_id, run_id, at, message, data)
               VALUES ($1, $2, $3, $4, $5)""",
            tenant_id, run_id, T0, f"calling with {SECRET}", {"token": {"secretRef": "x", "v": 1}},
        )  # fmt: skip
        await conn.execute(
            """INSERT INTO action_invocations (tenant_id, invocation_id, action_id, action_version,
                 idempotency_key, run_id, step_id, status, input, started_at)
               VALUES ($1, $2, 'login', 1, 'k', $3, 'a', 'FAILED', $4, $5)""",
            tenant_id, uuid.uuid4(), run_id, {"password": SECRET}, T0,
        )  # fmt: skip
        await conn.execute(
            """INSERT INTO run_events (tenant_id, run_id, at, type, data)
               VALUES ($1, $2, $3, 'STEP_FAILED', $4)""",
            tenant_id, run_id, T0, {"why": SECRET},
        )  # fmt: skip
    return run_id


async def test_history_is_oldest_first_paginated_and_redacted(
    admin: httpx.AsyncClient, pool: asyncpg.Pool, tenant_id: str
) -> None:
    run_id = await seed_history(pool, tenant_id)
    base = f"/workflow-runs/{run_id}"
    first = (await admin.get(f"{base}/steps", params={"limit": 2})).json()
    rest = (await admin.get(f"{base}/steps", params={"cursor": first["nextCursor"]})).json()
    assert [s["attempt"] for s in first["items"] + rest["items"]] == [1, 2, 3]
    shown = {kind: (await admin.get(f"{base}/{kind}")).text
             for kind in ("steps", "snapshots", "logs", "invocations", "timeline")}  # fmt: skip
    for kind, text in shown.items():
        assert SECRET not in text, kind
        assert "***" in text, kind
    run = (await admin.get(base)).json()
    assert run["runId"] == str(run_id)
    snapshot = (await admin.get(f"{base}/snapshots")).json()["items"][0]
    assert snapshot["envelope"]["payload"] == {"password": "***", "user": "ann"}
    log = (await admin.get(f"{base}/logs")).json()["items"][0]
    assert log["data"] == {"token": {"secretRef": "x", "v": "***"}}


async def test_history_of_another_tenants_run_is_404(
    client_factory: Any, token_factory: Any, pool: asyncpg.Pool, tenant_id: str
) -> None:
    run_id = await seed_history(pool, tenant_id)
    other = client_factory(await token_factory(tenant=f"t-{uuid.uuid4().hex[:12]}"))
    for kind in ("", "/steps", "/snapshots", "/waits", "/events"):
        assert (await other.get(f"/workflow-runs/{run_id}{kind}")).status_code == 404, kind


async def test_dead_letters_are_listed_and_requeued_through_the_outbox(
    admin: httpx.AsyncClient, pool: asyncpg.Pool, tenant_id: str
) -> None:
    letter = DeadLetter(
        tenant_id=tenant_id, source_topic="wf.events", partition=0, offset=7, key=b"k",
        value=b'{"eventName": "E"}', headers=[], reason="missing correlationKey",
    )  # fmt: skip
    async with pool.acquire() as conn:
        assert await mirror_dead_letter(conn, letter)
    listed = (await admin.get("/dead-letters")).json()["items"]
    assert [(d["reason"], d["payload"]) for d in listed] == [
        ("missing correlationKey", {"eventName": "E"})
    ]
    assert (await admin.get("/dead-letters/summary")).json() == {"waiting": 1, "requeued": 0}
    url = f"/dead-letters/{listed[0]['id']}/requeue"
    assert (await admin.post(url, json={})).status_code == 422  # a reason is required
    requeued = await admin.post(url, json={"reason": "producer fixed"})
    assert requeued.status_code == 200, requeued.text
    assert requeued.json()["requeuedAt"]
    assert (await admin.get("/dead-letters/summary")).json() == {"waiting": 0, "requeued": 1}
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT topic, payload FROM outbox WHERE tenant_id = $1", tenant_id)
    assert [(r["topic"], r["payload"]) for r in rows] == [("wf.events", {"eventName": "E"})]
