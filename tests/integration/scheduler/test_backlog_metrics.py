"""The scheduler's backlog gauges on a database of their own (they count across
tenants) and the test's own topics: open waits by kind, stuck runs, stale
leases, the outbox's backlog and age, and the interpreter group's consumer lag."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from aiokafka import TopicPartition
from sluice_config import Settings
from sluice_messaging.consumer import create_consumer
from sluice_messaging.topics import Topics
from sluice_scheduler.service import Scheduler
from sluice_storage import upgrade

pytestmark = pytest.mark.integration


async def _seed(dsn: str, now: datetime) -> None:
    long_ago = now - timedelta(hours=2)
    conn = await asyncpg.connect(dsn)
    try:
        for kind, status in [("event", "OPEN"), ("event", "OPEN"), ("timer", "OPEN"),
                             ("human_task", "OPEN"), ("retry", "OPEN"), ("event", "RESOLVED"),
                             ("timer", "FIRED")]:  # fmt: skip
            await conn.execute(
                """INSERT INTO run_waits (tenant_id, wait_id, run_id, kind, status, created_at)
                   VALUES ('t1', $1, $2, $3, $4, $5)""",
                uuid.uuid4(), uuid.uuid4(), kind, status, now,
            )  # fmt: skip
        for status, progress in [("RUNNING", long_ago), ("RUNNING", now), ("WAITING", long_ago)]:
            await conn.execute(
                """INSERT INTO workflow_runs (tenant_id, run_id, workflow_id, workflow_version,
                       status, started_at, updated_at, last_progress_at)
                   VALUES ('t1', $1, $2, 1, $3, $4, $4, $4)""",
                uuid.uuid4(), uuid.uuid4(), status, progress,
            )  # fmt: skip
        for lease_expires in (long_ago, now + timedelta(minutes=5)):
            await conn.execute(
                """INSERT INTO action_invocations (tenant_id, invocation_id, action_id,
                       action_version, idempotency_key, status, lease_owner, lease_expires_at,
                       started_at)
                   VALUES ('t1', $1, 'a.b', 1, $2, 'STARTED', 'x', $3, $4)""",
                uuid.uuid4(), uuid.uuid4().hex, lease_expires, long_ago,
            )  # fmt: skip
        for created, sent in [(long_ago, None), (now, None), (long_ago, now)]:
            await conn.execute(
                """INSERT INTO outbox (tenant_id, topic, payload, created_at, sent_at)
                   VALUES ('t1', 'x', '{}'::jsonb, $1, $2)""",
                created, sent,
            )  # fmt: skip
    finally:
        await conn.close()


async def _commit_offset(servers: str, group: str, tp: TopicPartition, offset: int) -> None:
    consumer = create_consumer(servers, group_id=group)
    await consumer.start()
    try:
        consumer.assign([tp])
        await consumer.commit({tp: offset})
    finally:
        await consumer.stop()


def gauge(scheduler: Scheduler, name: str, **labels: str) -> float | None:
    return scheduler.metrics.registry.get_sample_value(name, labels)


async def test_backlog_gauges_count_live_rows_and_the_consumer_lag(
    fresh_database: Any, kafka_bootstrap_servers: str, topics: Topics, topic_prefix: str,
    producer: Any,
) -> None:  # fmt: skip
    dsn = await fresh_database()
    await upgrade(dsn)
    await _seed(dsn, datetime.now(UTC))
    partition = TopicPartition(topics.run_commands, 0)
    for _ in range(5):
        await producer.send_and_wait(topics.run_commands, b"{}", key=b"k", partition=0)
    await _commit_offset(kafka_bootstrap_servers, topic_prefix + "interpreter", partition, 2)
    settings = Settings(
        database_url=dsn, kafka_bootstrap_servers=kafka_bootstrap_servers,
        topic_prefix=topic_prefix, redrive_after_s=600,
    )  # fmt: skip
    scheduler = await Scheduler.open(settings, asyncio.Event())
    try:
        await scheduler.observe_backlog_once()
    finally:
        await scheduler.pool.close()

    waits = {kind: gauge(scheduler, "sluice_waits_open", kind=kind)
             for kind in ("event", "timer", "task", "retry", "child")}  # fmt: skip
    assert waits == {"event": 2, "timer": 1, "task": 1, "retry": 1, "child": 0}
    assert gauge(scheduler, "sluice_runs_stuck") == 1  # RUNNING, no progress for 2 h
    assert gauge(scheduler, "sluice_leases_stale") == 1
    assert gauge(scheduler, "sluice_outbox_backlog") == 2
    age = gauge(scheduler, "sluice_outbox_age_seconds")
    assert age is not None
    assert 7000 < age < 7400  # the oldest unsent row: 2 h
    lag = gauge(scheduler, "sluice_consumer_lag", group=topic_prefix + "interpreter",
                topic=topics.run_commands)  # fmt: skip
    assert lag == 3  # 5 written, 2 committed
