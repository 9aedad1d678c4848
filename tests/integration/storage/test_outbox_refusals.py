"""A row Kafka always refuses no longer blocks the rows behind it.

The refused row is marked failed with the reason and filed as a dead letter;
its neighbours (same key, so the same partition and produce request) are
delivered. Real broker, real database (``relay_db``: a database of its own).
"""

from __future__ import annotations

import asyncio
import functools
import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from sluice_engine.relay import OutboxRelay
from sluice_messaging import decode, new_envelope
from sluice_messaging.admin import ensure_topics
from sluice_messaging.consumer import create_consumer
from sluice_messaging.producer import create_producer
from sluice_storage import DeadLetterRepository, enqueue
from sluice_storage.outbox import unsent_count
from sluice_storage.requeue import enqueue_raw

pytestmark = pytest.mark.integration
NOW = datetime(2025, 7, 1, tzinfo=UTC)
TOPIC_LIMIT = 4096  # the small topic's max.message.bytes
KEY = "run-1"  # one key: good and bad rows share a partition (and a produce request)


async def _small_topic(bootstrap: str) -> str:
    """A fresh topic refusing records over ``TOPIC_LIMIT`` bytes."""
    name = f"small-{uuid.uuid4().hex}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        configs = {"max.message.bytes": str(TOPIC_LIMIT)}
        await admin.create_topics([NewTopic(name, 2, 1, topic_configs=configs)])
    finally:
        await admin.close()
    await ensure_topics(bootstrap, [name], 2)  # waits until every partition has a leader
    return name


async def _enqueue(
    pool: asyncpg.Pool, tenant_id: str, topic: str, sizes: Sequence[int]
) -> list[tuple[int, uuid.UUID]]:
    """One row per size (the payload's filler length); (row id, envelope id) each."""
    rows = []
    async with pool.acquire() as conn, conn.transaction():
        for size in sizes:
            envelope = new_envelope("test.ping", tenant_id, {"x": "x" * size}, occurred_at=NOW)
            rows.append((await enqueue(conn, tenant_id, topic, KEY, envelope), envelope.id))
    return rows


async def _read_ids(bootstrap: str, topic: str, count: int) -> Counter[uuid.UUID]:
    consumer = create_consumer(bootstrap, topic, group_id=f"g-{uuid.uuid4().hex}")
    await consumer.start()
    seen: Counter[uuid.UUID] = Counter()
    try:
        async with asyncio.timeout(30):
            while seen.total() < count:
                for records in (await consumer.getmany(timeout_ms=200)).values():
                    seen.update(decode(r.value).id for r in records)
    finally:
        await consumer.stop()
    return seen


async def _outbox_row(pool: asyncpg.Pool, row_id: int) -> asyncpg.Record:
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT sent_at, failed_at, attempts, last_error FROM outbox WHERE id = $1", row_id
        )
    assert row is not None
    return row


@pytest.mark.parametrize(
    ("limit", "oversize"),
    [
        pytest.param("topic", TOPIC_LIMIT * 2, id="over-the-topic-max-message-bytes"),
        pytest.param("client", 1_100_000, id="over-the-producer-max-request-size"),
    ],
)
async def test_oversized_row_is_refused_and_the_rows_around_it_are_delivered(
    relay_db: tuple[str, asyncpg.Pool],
    tenant_id: str,
    kafka_bootstrap_servers: str,
    limit: str,
    oversize: int,
) -> None:
    _dsn, pool = relay_db
    topic = await _small_topic(kafka_bootstrap_servers)
    rows = await _enqueue(pool, tenant_id, topic, [10, 10, 10, oversize, 10, 10, 10])
    bad_row, bad_id = rows[3]
    good = [envelope_id for _, envelope_id in rows if envelope_id != bad_id]

    async with OutboxRelay(pool, functools.partial(create_producer, kafka_bootstrap_servers)) as r:
        assert await r.drain() == 7
        # The relay's producer still works on that partition (a refused idempotent batch
        # used to leave it failing every later send there with OutOfOrderSequenceNumber).
        later = await _enqueue(pool, tenant_id, topic, [10])
        assert await r.drain() == 1
    seen = await _read_ids(kafka_bootstrap_servers, topic, len(good) + 1)

    assert seen == Counter(dict.fromkeys([*good, later[0][1]], 1))
    assert (r.stats.relayed, r.stats.refused) == (7, 1)
    # A broker refusal breaks the producer's sequence twice (the batch, then the row
    # alone); the client's own size check refuses before anything is sent.
    assert r.producer.renewals == (2 if limit == "topic" else 0)
    failed = await _outbox_row(pool, bad_row)
    assert failed["sent_at"] is None
    assert failed["failed_at"] is not None
    assert failed["attempts"] == 1
    assert "MessageSizeTooLargeError" in failed["last_error"]
    async with pool.acquire() as conn:
        assert await unsent_count(conn, tenant_id) == 0  # nothing left blocked
        letters = (await DeadLetterRepository(conn, tenant_id).list_letters()).items
    assert len(letters) == 1
    letter = letters[0]
    assert (letter.topic, letter.partition, letter.offset) == (topic, -1, bad_row)
    assert letter.reason == failed["last_error"]
    assert letter.reason.startswith(f"Kafka refused outbox row {bad_row}: ")
    assert letter.key == KEY.encode()
    assert letter.payload["id"] == str(bad_id)  # the message itself, for a requeue


async def test_row_for_a_topic_that_does_not_exist_is_refused(
    relay_db: tuple[str, asyncpg.Pool], tenant_id: str, kafka_bootstrap_servers: str
) -> None:
    _dsn, pool = relay_db
    topic = await _small_topic(kafka_bootstrap_servers)
    missing = f"missing-{uuid.uuid4().hex}"  # brokers here never auto-create topics
    before = await _enqueue(pool, tenant_id, topic, [10])
    (bad_row, _), *_ = await _enqueue(pool, tenant_id, missing, [10])
    after = await _enqueue(pool, tenant_id, topic, [10])
    # The metadata wait for a missing topic lasts request_timeout_ms: 1 s here.
    factory = functools.partial(create_producer, kafka_bootstrap_servers, request_timeout_ms=1000)

    async with OutboxRelay(pool, factory) as relay:
        assert await relay.drain() == 3
    seen = await _read_ids(kafka_bootstrap_servers, topic, 2)

    assert seen == Counter({before[0][1]: 1, after[0][1]: 1})
    failed = await _outbox_row(pool, bad_row)
    assert failed["failed_at"] is not None
    assert f"topic {missing!r} does not exist" in failed["last_error"]
    async with pool.acquire() as conn:
        letters = (await DeadLetterRepository(conn, tenant_id).list_letters()).items
    assert [(d.topic, d.offset) for d in letters] == [(missing, bad_row)]


async def test_row_with_a_header_that_is_not_text_is_refused(
    relay_db: tuple[str, asyncpg.Pool], tenant_id: str, kafka_bootstrap_servers: str
) -> None:
    _dsn, pool = relay_db
    topic = await _small_topic(kafka_bootstrap_servers)
    good = await _enqueue(pool, tenant_id, topic, [10])
    not_text: dict[str, Any] = {"n": 1}  # headers are jsonb: a requeue may write anything
    async with pool.acquire() as conn:
        bad_row = await enqueue_raw(conn, tenant_id, topic, KEY, {"id": "x"}, not_text)

    async with OutboxRelay(pool, functools.partial(create_producer, kafka_bootstrap_servers)) as r:
        assert await r.drain() == 2
    seen = await _read_ids(kafka_bootstrap_servers, topic, 1)

    assert seen == Counter({good[0][1]: 1})
    failed = await _outbox_row(pool, bad_row)
    assert failed["failed_at"] is not None
    assert "not a valid Kafka record" in failed["last_error"]
    async with pool.acquire() as conn:
        letters = (await DeadLetterRepository(conn, tenant_id).list_letters()).items
    assert [(d.offset, d.headers) for d in letters] == [(bad_row, {"n": "1"})]
