"""Concurrency limits through the API (issue 19's flow control), on the real PostgreSQL:
at most N runs in flight per key under concurrent starts, the rest QUEUED in arrival
order (or ended by onLimit with the reason), publish refusing bad settings.

The runs wait on an event, so they stay in flight. Nothing consumes Kafka here: what a
freed slot sends (a BeginRun command to the oldest queued run) is read from the
outbox; the e2e test (tests/e2e/test_e2e_concurrency.py) runs it through interpreters.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter
from typing import Any

import asyncpg
import httpx
import pytest
from workflows import publish, start, waits_for_event

pytestmark = pytest.mark.integration


def limited(limit: int, on_limit: str = "QUEUE", key: str | None = "payload.customer") -> Any:
    document = waits_for_event(f"GO_{uuid.uuid4().hex[:8]}")
    document["concurrency"] = {"limit": limit, "onLimit": on_limit}
    if key is not None:
        document["concurrency"]["key"] = {"$expr": key}
    return document


async def statuses(admin: httpx.AsyncClient, run_ids: list[str]) -> list[str]:
    runs = [(await admin.get(f"/workflow-runs/{r}")).json() for r in run_ids]
    return [run["status"] for run in runs]


async def test_concurrent_starts_leave_at_most_n_in_flight_per_key(
    admin: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    wf = await publish(admin, limited(2))
    customers = ["acme"] * 9 + ["globex"] * 5
    started = await asyncio.gather(*(
        start(admin, wf, {"key": f"k{i}", "customer": c}) for i, c in enumerate(customers)
    ))  # fmt: skip
    by_customer: dict[str, Counter[str]] = {"acme": Counter(), "globex": Counter()}
    for run, customer in zip(started, customers, strict=True):
        by_customer[customer][run["status"]] += 1
    assert by_customer == {"acme": Counter(WAITING=2, QUEUED=7),
                           "globex": Counter(WAITING=2, QUEUED=3)}  # fmt: skip
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            """SELECT concurrency_key, status, count(*) AS n FROM workflow_runs
               WHERE workflow_id = $1 GROUP BY 1, 2 ORDER BY 1, 2""", uuid.UUID(wf))  # fmt: skip
    assert [tuple(r) for r in rows] == [
        ("acme", "QUEUED", 7),
        ("acme", "WAITING", 2),
        ("globex", "QUEUED", 3),
        ("globex", "WAITING", 2),
    ]
    queued = next(r for r in started if r["status"] == "QUEUED")
    logs = (await admin.get(f"/workflow-runs/{queued['runId']}/logs")).json()["items"]
    assert any(line["message"].startswith("queued: 2 run(s) of key 'acme' in flight, "
                                          "concurrency limit 2") for line in logs)  # fmt: skip
    listed = await admin.get("/workflow-runs", params={"workflowId": wf, "status": "QUEUED"})
    assert len(listed.json()["items"]) == 10


async def test_a_freed_slot_begins_the_oldest_queued_run(
    admin: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    wf = await publish(admin, limited(1, key=None))
    runs = [(await start(admin, wf, {"key": f"k{i}"}))["runId"] for i in range(4)]  # in order
    assert await statuses(admin, runs) == ["WAITING", "QUEUED", "QUEUED", "QUEUED"]
    canceled = await admin.post(f"/workflow-runs/{runs[2]}/cancel", json={"reason": "not now"})
    assert canceled.status_code == 200, canceled.text
    assert await begin_commands(pool, runs) == []  # a queued run leaving frees no slot
    done = await admin.post(f"/workflow-runs/{runs[0]}/cancel", json={"reason": "done"})
    assert done.status_code == 200, done.text
    assert await begin_commands(pool, runs) == [runs[1]]  # the oldest still queued
    async with pool.acquire() as conn:
        order = await conn.fetch(
            "SELECT run_id FROM workflow_runs WHERE workflow_id = $1 AND queue_seq IS NOT NULL "
            "ORDER BY queue_seq", uuid.UUID(wf))  # fmt: skip
    assert [str(r["run_id"]) for r in order] == runs[1:]  # numbered in arrival order


async def begin_commands(pool: asyncpg.Pool, run_ids: list[str]) -> list[str]:
    """The runs a BeginRun command in the outbox is addressed to."""
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT key, payload FROM outbox WHERE key = ANY($1::text[]) ORDER BY id", run_ids
        )
    found = []
    for row in rows:
        payload = row["payload"] if isinstance(row["payload"], dict) else json.loads(row["payload"])
        if payload["body"].get("type") == "BeginRun":
            found.append(row["key"])
    return found


@pytest.mark.parametrize(("on_limit", "status"), [("CANCEL_NEW", "CANCELED"),
                                                  ("FAIL_NEW", "FAILED")])  # fmt: skip
async def test_cancel_new_and_fail_new_end_the_new_run_with_the_reason(
    admin: httpx.AsyncClient, on_limit: str, status: str
) -> None:
    wf = await publish(admin, limited(1, on_limit))
    first = await start(admin, wf, {"key": "k1", "customer": "acme"})
    other_key = await start(admin, wf, {"key": "k2", "customer": "globex"})
    refused = await start(admin, wf, {"key": "k3", "customer": "acme"})
    assert (first["status"], other_key["status"], refused["status"]) == ("WAITING", "WAITING",
                                                                          status)  # fmt: skip
    assert refused["error"]["name"] == "CONCURRENCY_LIMIT"
    assert refused["error"]["message"] == (
        f"run not started: 1 run(s) of key 'acme' in flight, concurrency limit 1 "
        f"(onLimit {on_limit})"
    )


async def test_a_key_the_payload_cannot_give_refuses_the_start(admin: httpx.AsyncClient) -> None:
    wf = await publish(admin, limited(1))
    refused = await admin.post("/workflow-runs", json={"workflowId": wf, "payload": {"key": "k"}})
    assert refused.status_code == 422, refused.text
    assert (
        "concurrency.key 'payload.customer' must give a string or number, got nothing"
        in (refused.json()["detail"])
    )


async def test_retry_needs_a_free_slot(admin: httpx.AsyncClient) -> None:
    document = limited(1, key=None)
    document["steps"].insert(0, {"id": "boom", "type": "transform.assign", "config": {
        "assign": {"vars.x": {"$expr": "$number(payload.key)"}}}})  # fmt: skip
    wf = await publish(admin, document)
    failed = await start(admin, wf, {"key": "not a number"})
    assert failed["status"] == "FAILED"
    blocking = await start(admin, wf, {"key": "7"})
    assert blocking["status"] == "WAITING"
    refused = await admin.post(f"/workflow-runs/{failed['runId']}/retry", json={"reason": "r"})
    assert refused.status_code == 409, refused.text
    detail = refused.json()["detail"]
    assert "concurrency limit is reached (1 run(s) of its key in flight)" in detail
    await admin.post(f"/workflow-runs/{blocking['runId']}/cancel", json={"reason": "make room"})
    retried = await admin.post(f"/workflow-runs/{failed['runId']}/retry",
                               json={"reason": "r", "payload": {"key": "8"}})  # fmt: skip
    assert retried.status_code == 200, retried.text


@pytest.mark.parametrize(
    ("concurrency", "code", "wanted"),
    [
        ({"limit": 0}, "INVALID_DEFINITION", "field 'concurrency.limit': Input should be greater"),
        (
            {"limit": 1, "key": {"$expr": "vars.customer"}},
            "INVALID_FLOW_CONTROL",
            "concurrency.key reads vars: only payload is known when a run starts",
        ),
    ],
)
async def test_publish_refuses_bad_concurrency_settings(
    admin: httpx.AsyncClient, concurrency: dict[str, Any], code: str, wanted: str
) -> None:
    document = limited(1)
    document["concurrency"] = concurrency
    wf = (await admin.post("/workflow-definitions", json=document)).json()["id"]
    published = (await admin.post(f"/workflow-definitions/{wf}/draft/publish")).json()
    assert published["ok"] is False
    assert [(e["code"], e["stepPath"]) for e in published["errors"]] == [(code, "root")]
    assert wanted in published["errors"][0]["message"]
