"""Runs through the real services: Kafka, PostgreSQL, Faust interpreter, scheduler."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from e2e_support.helpers import engine_for, prepare, publish, run_row, start, wait_status
from e2e_support.services import Services, wait_for
from sluice_ingest.signatures import sign
from sluice_messaging.topics import Topics
from sluice_storage import DefinitionRepository, transaction
from sluice_storage.webhooks import WebhookRepository

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def running(services_factory: Services, e2e_pool: asyncpg.Pool) -> AsyncIterator[Services]:
    await prepare(e2e_pool)
    await services_factory.start("interpreter")
    await services_factory.start("scheduler")
    await services_factory.start("ingest")  # webhook deliveries
    yield services_factory
    services_factory.stop_all()


def call(
    step_id: str, action: str, args: dict[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    return {"id": step_id, "type": "action.call",
            "config": {"actionId": action, "version": 1, "args": args or {}}, **extra}  # fmt: skip


async def dlq_headers(bootstrap: str, dlq_topic: str, marker: str) -> dict[str, str]:
    """The headers of the DLQ record whose value carries ``marker``."""
    consumer = AIOKafkaConsumer(
        dlq_topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        deadline = asyncio.get_running_loop().time() + 20
        while asyncio.get_running_loop().time() < deadline:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for record in records:
                    if record.value is not None and marker.encode() in record.value:
                        return {k: v.decode() for k, v in record.headers}
    finally:
        await consumer.stop()
    raise AssertionError(f"no record with {marker} on {dlq_topic}")


async def send_event(producer: AIOKafkaProducer, topics: Topics, tenant_id: str,
                     name: str, key: str, payload: dict[str, Any]) -> None:  # fmt: skip
    bare = {"tenantId": tenant_id, "eventName": name, "correlationKey": key, "payload": payload}
    await producer.send_and_wait(topics.events, json.dumps(bare).encode(), key=key.encode())


async def test_event_triggered_run_with_actions_succeeds(
    running: Services, e2e_pool: asyncpg.Pool, e2e_topics: Topics, producer: AIOKafkaProducer
) -> None:
    tenant = f"t-{uuid.uuid4().hex[:10]}"
    doc = {"name": "triggered", "trigger": {"type": "event", "eventName": "GO"},
           "steps": [call("echo", "test.echo", {"v": {"$expr": "payload.v"}}),
                     call("rec", "test.record")]}  # fmt: skip
    await publish(e2e_pool, tenant, doc)
    await send_event(producer, e2e_topics, tenant, "GO", "k", {"v": 1})

    async def started() -> list[asyncpg.Record]:
        async with e2e_pool.acquire() as conn:
            return list(
                await conn.fetch("SELECT run_id FROM workflow_runs WHERE tenant_id = $1", tenant)
            )

    rows = await wait_for(started, 30, "a triggered run", running)
    run = await wait_status(e2e_pool, tenant, str(rows[0]["run_id"]), ("SUCCEEDED",), running)
    assert run["status"] == "SUCCEEDED"


async def test_retry_timer_fires_through_the_scheduler(
    running: Services, e2e_pool: asyncpg.Pool, e2e_topics: Topics
) -> None:
    tenant = f"t-{uuid.uuid4().hex[:10]}"
    retry = {"maxAttempts": 3, "backoffMs": 200, "jitter": False}
    workflow_id = await publish(e2e_pool, tenant, {"name": "retry", "steps": [
        call("flaky", "test.flaky", {"failTimes": 2}, retry=retry)]})  # fmt: skip
    run_id = await start(e2e_pool, engine_for(e2e_topics), tenant, workflow_id, {})
    run = await wait_status(e2e_pool, tenant, run_id, ("SUCCEEDED", "FAILED"), running)
    assert run["status"] == "SUCCEEDED"
    assert run["run_state"]["envelope"]["vars"] == {}
    assert (await run_row(e2e_pool, tenant, run_id))["completed_at"] is not None


async def test_event_wait_resumed_by_a_kafka_event(
    running: Services, e2e_pool: asyncpg.Pool, e2e_topics: Topics, producer: AIOKafkaProducer
) -> None:
    tenant = f"t-{uuid.uuid4().hex[:10]}"
    wait = {"id": "w", "type": "event.wait", "config": {
        "eventName": "APPROVED", "correlationKey": {"$expr": "payload.key"},
        "assign": {"vars.by": {"$expr": "event.payload.by"}}}}  # fmt: skip
    workflow_id = await publish(e2e_pool, tenant, {"name": "wait", "steps": [wait]})
    run_id = await start(e2e_pool, engine_for(e2e_topics), tenant, workflow_id, {"key": "K-9"})
    await wait_status(e2e_pool, tenant, run_id, ("WAITING",), running)
    await send_event(producer, e2e_topics, tenant, "APPROVED", "K-9", {"by": "ann"})
    run = await wait_status(e2e_pool, tenant, run_id, ("SUCCEEDED",), running)
    assert run["run_state"]["envelope"]["vars"]["by"] == "ann"


@pytest.mark.parametrize("topic", ["events", "run_commands", "action_requests"])
async def test_poison_message_lands_in_the_dlq_and_processing_goes_on(
    running: Services, e2e_pool: asyncpg.Pool, e2e_topics: Topics, producer: AIOKafkaProducer,
    kafka_bootstrap_servers: str, topic: str,
) -> None:  # fmt: skip
    marker = uuid.uuid4().hex
    source = getattr(e2e_topics, topic)
    await producer.send_and_wait(source, f"not json {marker}".encode(), key=b"poison")

    async def letter() -> asyncpg.Record | None:
        async with e2e_pool.acquire() as conn:
            return await conn.fetchrow(
                "SELECT topic, reason FROM dead_letters WHERE convert_from(value, 'UTF8') LIKE $1",
                f"%{marker}%",
            )

    found = await wait_for(letter, 30, f"a dead letter from {source}", running)
    assert found["topic"] == source
    assert "not JSON" in found["reason"]
    headers = await dlq_headers(kafka_bootstrap_servers, e2e_topics.dlq, marker)
    assert "not JSON" in headers["sluice-dlq-reason"]
    assert headers["sluice-dlq-source-topic"] == source
    tenant = f"t-{uuid.uuid4().hex[:10]}"
    workflow_id = await publish(
        e2e_pool, tenant, {"name": "after", "steps": [call("e", "test.echo")]}
    )
    run_id = await start(e2e_pool, engine_for(e2e_topics), tenant, workflow_id, {})
    assert (await wait_status(e2e_pool, tenant, run_id, ("SUCCEEDED",), running))["status"]


async def test_health_readiness_and_metrics_are_served(running: Services) -> None:
    for name in ("interpreter", "scheduler"):
        assert (await running.get(name, "/healthz")).status_code == 200
        assert (await running.get(name, "/readyz")).status_code == 200
        metrics = await running.get(name, "/metrics")
        assert metrics.status_code == 200
        assert "sluice_" in metrics.text
    scheduler_metrics = (await running.get("scheduler", "/metrics")).text
    assert "sluice_timer_lateness_seconds_bucket" in scheduler_metrics


async def test_wait_timeout_fires_within_a_second_into_try_catch(
    running: Services, e2e_pool: asyncpg.Pool, e2e_topics: Topics
) -> None:
    tenant = f"t-{uuid.uuid4().hex[:10]}"
    wait = {
        "id": "w",
        "type": "event.wait",
        "config": {"eventName": "NEVER", "correlationKey": {"$expr": "'k'"}, "timeoutMs": 500},
    }
    doc = {"name": "timeout", "steps": [{
        "id": "tc", "type": "control.tryCatch", "captureErrorAs": "err", "try": [wait],
        "catch": [{"id": "s", "type": "state.set", "config": {"state": "TIMED_OUT"}}],
    }]}  # fmt: skip
    workflow_id = await publish(e2e_pool, tenant, doc)
    run_id = await start(e2e_pool, engine_for(e2e_topics), tenant, workflow_id, {})
    run = await wait_status(e2e_pool, tenant, run_id, ("SUCCEEDED", "FAILED"), running)
    assert (run["status"], run["state"]) == ("SUCCEEDED", "TIMED_OUT")
    assert run["run_state"]["envelope"]["vars"]["err"]["category"] == "TimeoutError"
    async with e2e_pool.acquire() as conn:
        wait_row = await conn.fetchrow(
            "SELECT due_at, resolved_at FROM run_waits WHERE tenant_id = $1", tenant
        )
    lateness = (wait_row["resolved_at"] - wait_row["due_at"]).total_seconds()
    assert 0 <= lateness < 1.0


async def test_delay_node_waits_on_a_timer_fired_by_the_scheduler(
    running: Services, e2e_pool: asyncpg.Pool, e2e_topics: Topics
) -> None:
    tenant = f"t-{uuid.uuid4().hex[:10]}"
    doc = {"name": "delay", "steps": [
        {"id": "pause", "type": "timer.delay", "config": {"durationMs": 700}},
        {"id": "s", "type": "state.set", "config": {"state": "AFTER_DELAY"}},
    ]}  # fmt: skip
    workflow_id = await publish(e2e_pool, tenant, doc)
    run_id = await start(e2e_pool, engine_for(e2e_topics), tenant, workflow_id, {})
    run = await wait_status(e2e_pool, tenant, run_id, ("SUCCEEDED", "FAILED"), running)
    assert (run["status"], run["state"]) == ("SUCCEEDED", "AFTER_DELAY")
    async with e2e_pool.acquire() as conn:
        wait_row = await conn.fetchrow(
            """SELECT kind, status, created_at, due_at, resolved_at, resolved_by
               FROM run_waits WHERE tenant_id = $1""",
            tenant,
        )
    assert (wait_row["kind"], wait_row["status"], wait_row["resolved_by"]) == (
        "timer",
        "FIRED",
        "timer",
    )
    assert (wait_row["due_at"] - wait_row["created_at"]).total_seconds() >= 0.7
    lateness = (wait_row["resolved_at"] - wait_row["due_at"]).total_seconds()
    assert 0 <= lateness < 1.0


async def test_schedule_trigger_is_fired_by_the_running_scheduler(
    running: Services, e2e_pool: asyncpg.Pool
) -> None:
    tenant = f"t-{uuid.uuid4().hex[:10]}"
    doc = {"name": "every minute", "trigger": {"type": "schedule", "cron": "* * * * *"},
           "steps": [{"id": "s", "type": "state.set", "config": {"state": "TICKED"}}]}  # fmt: skip
    workflow_id = uuid.uuid4()
    # Published as if the scheduler had then been down for three minutes (one
    # transaction, so no poll sees it before): catchUp "latest" fires the newest
    # missed tick at once; the on-time path is the same code, a minute later.
    async with transaction(e2e_pool) as conn:
        repo, now = DefinitionRepository(conn, tenant), datetime.now(UTC)
        await repo.save_draft(workflow_id, doc, now)
        await repo.publish(workflow_id, doc, payload_schema=None, published_by="e2e", now=now)
        await conn.execute(
            "UPDATE workflow_schedules SET cursor_at = $2 WHERE tenant_id = $1",
            tenant,
            now - timedelta(minutes=3),
        )

    async def scheduled_run() -> asyncpg.Record | None:
        async with e2e_pool.acquire() as conn:
            return await conn.fetchrow(
                """SELECT run_id, status, state, payload FROM workflow_runs
                   WHERE tenant_id = $1 AND workflow_id = $2 AND status = 'SUCCEEDED'
                     AND (payload->>'late')::boolean""",
                tenant,
                workflow_id,
            )

    run = await wait_for(scheduled_run, 30.0, "a scheduled run", running)
    assert (run["state"], run["payload"]["late"], run["payload"]["cron"]) == (
        "TICKED",
        True,
        "* * * * *",
    )
    async with e2e_pool.acquire() as conn:
        ticks = await conn.fetch(
            "SELECT outcome, late FROM schedule_ticks WHERE tenant_id = $1", tenant
        )
    # catchUp "latest": of the two or three missed ticks only the newest fired (ticks of
    # the last 60 s, and any while the test waits, are on time and fire as well).
    assert [t["outcome"] for t in ticks] == ["STARTED"] * len(ticks)
    assert [t["late"] for t in ticks].count(True) == 1


async def test_signed_webhook_delivery_starts_one_run_through_ingest(
    running: Services, e2e_pool: asyncpg.Pool
) -> None:
    tenant = f"t-{uuid.uuid4().hex[:10]}"
    schema = {"type": "object", "required": ["alert"], "properties": {"alert": {"type": "string"}}}
    doc = {"name": "alert", "trigger": {"type": "webhook", "schema": schema}, "steps": [
        {"id": "s", "type": "transform.assign",
         "config": {"assign": {"vars.alert": {"$expr": "payload.alert"}}}}]}  # fmt: skip
    workflow_id = await publish(e2e_pool, tenant, doc)
    async with e2e_pool.acquire() as conn:
        hook = await WebhookRepository(conn, tenant).get(uuid.UUID(workflow_id))
    assert hook is not None
    body = json.dumps({"alert": "disk full"}).encode()
    url = f"http://127.0.0.1:{running.ports['ingest']}/hooks/{hook.hook_id}"
    async with httpx.AsyncClient(timeout=10.0) as client:
        for _ in range(2):  # the sender retries: one run all the same
            headers = {
                "Sluice-Signature": sign(hook.secret, int(time.time()), body),
                "Sluice-Delivery": "delivery-1",
                "Content-Type": "application/json",
            }
            response = await client.post(url, content=body, headers=headers)
            assert response.status_code == 202, response.text

    async def finished() -> list[asyncpg.Record]:
        async with e2e_pool.acquire() as conn:
            rows = await conn.fetch(
                """SELECT status, run_state FROM workflow_runs
                   WHERE tenant_id = $1 AND status = 'SUCCEEDED'""",
                tenant,
            )
        return list(rows)

    runs = await wait_for(finished, 30.0, "the webhook's run", running)
    await asyncio.sleep(1.0)  # a second run, were there one, would have started by now
    runs = await finished()
    assert len(runs) == 1
    assert runs[0]["run_state"]["envelope"]["vars"] == {"alert": "disk full"}
