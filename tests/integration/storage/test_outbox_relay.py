"""The outbox relay loses nothing across a crash (kill -9 mid-batch), and keeps
relaying through failed rounds. Each test has its own database (``relay_db``)."""

from __future__ import annotations

import asyncio
import functools
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest
from sluice_devstack.ports import free_port
from sluice_engine.relay import OutboxRelay
from sluice_messaging import decode, new_envelope
from sluice_messaging.consumer import create_consumer
from sluice_messaging.producer import create_producer
from sluice_messaging.topics import Topics
from sluice_storage import OutboxMessage, enqueue, enqueue_many, record_command
from sluice_storage.outbox import prune_sent, unsent_count

pytestmark = pytest.mark.integration
RELAY_SCRIPT = Path(__file__).with_name("relay_process.py")
NOW = datetime(2025, 7, 1, tzinfo=UTC)
ROWS = 3000
BATCH = 500


async def _fill(pool: asyncpg.Pool, tenant_id: str, topic: str, count: int) -> set[uuid.UUID]:
    messages = [
        OutboxMessage(
            topic, f"run-{i % 37}", new_envelope("test.ping", tenant_id, {"i": i}, occurred_at=NOW)
        )
        for i in range(count)
    ]
    async with pool.acquire() as conn, conn.transaction():
        await enqueue_many(conn, tenant_id, messages)
    return {m.message.id for m in messages}


def _start_relay(dsn: str, bootstrap: str, *extra: str) -> subprocess.Popen[str]:
    command = [sys.executable, str(RELAY_SCRIPT), "--dsn", dsn, "--bootstrap", bootstrap]
    command += ["--batch-size", str(BATCH), *extra]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _read_until(proc: subprocess.Popen[str], marker: str, timeout_s: float) -> list[str]:
    lines, deadline = [], time.monotonic() + timeout_s
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline().strip()
        if line:
            lines.append(line)
        if line == marker:
            return lines
        if not line and proc.poll() is not None:
            break
    raise AssertionError(f"relay never printed {marker!r}; output: {lines}")


async def _raw_ids(
    bootstrap: str, topic: str, total: int, timeout_s: float = 60
) -> Counter[uuid.UUID]:
    """Every record's envelope id, repeats included, until ``total`` records were read."""
    consumer = create_consumer(bootstrap, topic, group_id=f"raw-{uuid.uuid4().hex}")
    await consumer.start()
    seen: Counter[uuid.UUID] = Counter()
    try:
        async with asyncio.timeout(timeout_s):
            while seen.total() < total:
                for records in (await consumer.getmany(timeout_ms=200)).values():
                    seen.update(decode(r.value).id for r in records)
    finally:
        await consumer.stop()
    return seen


async def _deliveries(
    bootstrap: str, topic: str, expected: set[uuid.UUID], pool: asyncpg.Pool, tenant_id: str,
    timeout_s: float = 60,
) -> tuple[Counter[uuid.UUID], int]:  # fmt: skip
    """What a consumer applies, and how many repeats it drops, reading until every id
    came. The duplicate check is the production one: each message's id recorded for its
    run in ``applied_commands`` (``record_command``: False for an id seen before)."""
    consumer = create_consumer(bootstrap, topic, group_id=f"g-{uuid.uuid4().hex}")
    await consumer.start()
    arrived: list[uuid.UUID] = []
    try:
        async with asyncio.timeout(timeout_s):
            # Per partition, the re-sent batch precedes the later batches, so
            # every repeat has been seen once the last new id arrives.
            while not set(arrived) >= expected:
                for records in (await consumer.getmany(timeout_ms=200)).values():
                    arrived.extend(decode(r.value).id for r in records)
    finally:
        await consumer.stop()
    run_id, delivered, dropped = uuid.uuid4(), Counter[uuid.UUID](), 0
    async with pool.acquire() as conn, conn.transaction():
        for message_id in arrived:
            if await record_command(conn, tenant_id, run_id, message_id):
                delivered[message_id] += 1
            else:
                dropped += 1
    return delivered, dropped


async def test_relay_crash_mid_batch_loses_nothing_and_duplicates_are_dropped(
    relay_db: tuple[str, asyncpg.Pool],
    tenant_id: str,
    topics: Topics,
    kafka_bootstrap_servers: str,
) -> None:
    dsn, pool = relay_db
    expected = await _fill(pool, tenant_id, topics.run_commands, ROWS)

    crashing = _start_relay(dsn, kafka_bootstrap_servers, "--stall-after", "3")
    try:
        lines = _read_until(crashing, "STALLED", timeout_s=60)
    finally:
        crashing.kill()  # SIGKILL: no cleanup, the open transaction just dies
        crashing.wait()
        assert crashing.stdout is not None
        crashing.stdout.close()
    print("crashed relay:", lines)

    restarted = _start_relay(dsn, kafka_bootstrap_servers)
    try:
        _read_until(restarted, "READY", timeout_s=30)
        delivered, dropped = await _deliveries(
            kafka_bootstrap_servers, topics.run_commands, expected, pool, tenant_id
        )
        seen = await _raw_ids(kafka_bootstrap_servers, topics.run_commands, ROWS + BATCH)
        async with pool.acquire() as conn:
            remaining = await unsent_count(conn, tenant_id)
    finally:
        restarted.terminate()
        out, _ = restarted.communicate(timeout=30)
    print("restarted relay:", out.strip().splitlines()[-1:])

    duplicates = sorted(str(i) for i, n in seen.items() if n > 1)
    print(f"relay crash: {len(duplicates)} duplicated ids: {duplicates}")
    assert set(seen) == expected  # every row arrived at least once
    assert remaining == 0
    # Batches 1-2 were committed; batch 3 was published but never marked sent,
    # so exactly that batch went out twice, and the consumer dropped each repeat.
    assert len(duplicates) == BATCH
    assert set(seen.values()) == {1, 2}
    assert delivered == Counter(dict.fromkeys(expected, 1))
    assert dropped == BATCH


async def test_enqueue_wakes_a_running_relay_without_waiting_for_the_poll(
    relay_db: tuple[str, asyncpg.Pool],
    tenant_id: str,
    topics: Topics,
    kafka_bootstrap_servers: str,
) -> None:
    _dsn, pool = relay_db
    producer = functools.partial(create_producer, kafka_bootstrap_servers)
    relay = OutboxRelay(pool, producer, poll_interval_s=30)  # the poll cannot be what wakes it
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    try:
        await asyncio.sleep(0.3)  # let it LISTEN and find the table empty
        envelope = new_envelope("test.ping", tenant_id, {}, occurred_at=NOW)
        async with pool.acquire() as conn, conn.transaction():
            await enqueue(conn, tenant_id, topics.run_updates, "k", envelope, {"h": "v"})
        seen = await _raw_ids(kafka_bootstrap_servers, topics.run_updates, 1, timeout_s=10)
    finally:
        stop.set()  # graceful: the round in progress commits before run() returns
        await asyncio.wait_for(task, timeout=10)  # run() closes the relay's producer
    assert seen == Counter({envelope.id: 1})
    assert relay.stats.relayed == 1


async def _listening(relay: OutboxRelay, listens: int) -> int:
    """The backend pid of the relay's LISTEN connection, once it has LISTENed ``listens`` times."""
    async with asyncio.timeout(10):
        # Polling: the listener exposes counters, not events.
        while relay.listener.listens < listens or relay.listener.backend_pid is None:  # noqa: ASYNC110
            await asyncio.sleep(0.02)
    return relay.listener.backend_pid


async def test_relay_listens_again_after_its_connection_is_terminated(
    relay_db: tuple[str, asyncpg.Pool],
    tenant_id: str,
    topics: Topics,
    kafka_bootstrap_servers: str,
) -> None:
    _dsn, pool = relay_db
    producer = functools.partial(create_producer, kafka_bootstrap_servers)
    relay = OutboxRelay(pool, producer, poll_interval_s=30)  # the poll cannot be what wakes it
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    try:
        first = await _listening(relay, 1)
        async with pool.acquire() as conn:  # what a failover or an admin does to the session
            assert await conn.fetchval("SELECT pg_terminate_backend($1)", first)
        second = await _listening(relay, 2)
        async with pool.acquire() as conn:
            query = "SELECT query FROM pg_stat_activity WHERE pid = $1"
            listening_sql = await conn.fetchval(query, second)
        envelope = new_envelope("test.ping", tenant_id, {}, occurred_at=NOW)
        async with pool.acquire() as conn, conn.transaction():
            await enqueue(conn, tenant_id, topics.run_updates, "k", envelope)
        seen = await _raw_ids(kafka_bootstrap_servers, topics.run_updates, 1, timeout_s=10)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=10)
    assert second != first
    assert listening_sql == 'LISTEN "sluice_outbox"'  # the new session LISTENs again
    assert relay.listener.drops == 1
    assert seen == Counter({envelope.id: 1})  # woken by NOTIFY: the poll is 30 s away


async def test_rolled_back_transaction_publishes_nothing(
    relay_db: tuple[str, asyncpg.Pool],
    tenant_id: str,
    topics: Topics,
    kafka_bootstrap_servers: str,
) -> None:
    _dsn, pool = relay_db
    envelope = new_envelope("test.ping", tenant_id, {}, occurred_at=NOW)
    async with pool.acquire() as conn:
        tx = conn.transaction()
        await tx.start()
        await enqueue(conn, tenant_id, topics.run_updates, "k", envelope)
        await tx.rollback()
    async with OutboxRelay(pool, functools.partial(create_producer, kafka_bootstrap_servers)) as r:
        sent = await r.drain()
    assert sent == 0


async def test_failed_round_rolls_back_and_relay_keeps_running_when_kafka_is_away(
    relay_db: tuple[str, asyncpg.Pool],
    tenant_id: str,
    topics: Topics,
) -> None:
    _dsn, pool = relay_db
    await _fill(pool, tenant_id, topics.run_updates, 3)
    nobody = f"127.0.0.1:{free_port()}"  # no broker listens there: Kafka is down
    producer = functools.partial(create_producer, nobody, request_timeout_ms=300)
    relay = OutboxRelay(pool, producer, poll_interval_s=0.05)
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    try:
        async with asyncio.timeout(20):
            # Polling a counter: the relay exposes no event for failures.
            while relay.stats.failures < 3:  # noqa: ASYNC110  # failed, backed off, retried
                await asyncio.sleep(0.05)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=10)
    async with pool.acquire() as conn:
        assert await unsent_count(conn, tenant_id) == 3  # rolled back: still pending
        rows = await conn.fetch("SELECT attempts, last_error, failed_at FROM outbox")
    assert relay.stats.relayed == 0
    assert relay.stats.refused == 0  # a transient failure never refuses a row
    assert all(r["failed_at"] is None for r in rows)
    assert all(r["attempts"] >= 2 for r in rows)  # each failed round counted (best effort)
    assert all("KafkaConnectionError" in r["last_error"] for r in rows)


async def test_prune_sent_deletes_only_old_sent_rows(
    relay_db: tuple[str, asyncpg.Pool],
    tenant_id: str,
    topics: Topics,
    kafka_bootstrap_servers: str,
) -> None:
    _dsn, pool = relay_db
    await _fill(pool, tenant_id, topics.run_updates, 4)
    async with OutboxRelay(pool, functools.partial(create_producer, kafka_bootstrap_servers)) as r:
        assert await r.drain() == 4
    envelope = new_envelope("test.ping", tenant_id, {}, occurred_at=NOW)
    async with pool.acquire() as conn:
        await enqueue(conn, tenant_id, topics.run_updates, None, envelope, notify=False)
        assert await prune_sent(conn, datetime(2000, 1, 1, tzinfo=UTC)) == 0
        assert await prune_sent(conn, datetime.now(UTC) + timedelta(minutes=1)) == 4
        assert await unsent_count(conn, tenant_id) == 1
