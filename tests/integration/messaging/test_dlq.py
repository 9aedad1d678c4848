"""Poison messages: dead-lettered with the reason, mirrored in PostgreSQL, consumer moves on."""

from __future__ import annotations

import asyncio
import functools
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import ConsumerRecord
from sluice_messaging import (
    DeadLetterPublisher,
    Envelope,
    EnvelopeError,
    decode,
    encode,
    new_envelope,
)
from sluice_messaging.consumer import create_consumer
from sluice_messaging.dlq import HEADER_OFFSET, HEADER_PARTITION, HEADER_REASON, HEADER_TOPIC
from sluice_messaging.producer import create_producer
from sluice_messaging.topics import Topics
from sluice_storage import DeadLetterRepository, PgDeadLetterSink

pytestmark = pytest.mark.integration
NOW = datetime(2025, 8, 1, tzinfo=UTC)


@pytest.fixture
async def dlq(
    kafka_bootstrap_servers: str, topics: Topics, pool: asyncpg.Pool
) -> AsyncIterator[DeadLetterPublisher]:
    factory = functools.partial(create_producer, kafka_bootstrap_servers)
    publisher = DeadLetterPublisher(factory, topics.dlq, PgDeadLetterSink(pool))
    yield publisher
    await publisher.close()


async def _first_valid(
    consumer: AIOKafkaConsumer, dlq: DeadLetterPublisher, errors: list[EnvelopeError]
) -> Envelope:
    """What a consumer does (the interpreter's agents, ``sluice_interpreter.handling``):
    decode each record; one that cannot be decoded is dead-lettered with the reason and
    the consumer moves on. The first valid envelope."""
    async with asyncio.timeout(30):
        while True:
            for records in (await consumer.getmany(timeout_ms=200)).values():
                for record in records:
                    try:
                        return decode(record.value)
                    except EnvelopeError as exc:
                        errors.append(exc)
                        await dlq.send(record, str(exc))


async def _read_one(bootstrap: str, topic: str) -> ConsumerRecord[bytes, bytes]:
    consumer = create_consumer(bootstrap, topic, group_id=f"dlq-{uuid.uuid4().hex}")
    await consumer.start()
    try:
        async with asyncio.timeout(30):
            while True:
                for records in (await consumer.getmany(timeout_ms=200)).values():
                    return records[0]
    finally:
        await consumer.stop()


async def test_poison_message_is_dead_lettered_with_reason_and_mirrored(
    producer: AIOKafkaProducer,
    topics: Topics,
    kafka_bootstrap_servers: str,
    pool: asyncpg.Pool,
    tenant_id: str,
    dlq: DeadLetterPublisher,
) -> None:
    poison = json.dumps({"v": 1, "tenantId": tenant_id, "type": "x", "body": {}}).encode()
    good = new_envelope("run.command", tenant_id, {"ok": True}, occurred_at=NOW)
    await producer.send_and_wait(topics.events, poison, key=b"k1", partition=0)
    await producer.send_and_wait(topics.events, encode(good), key=b"k2", partition=0)

    errors: list[EnvelopeError] = []
    kafka_consumer = create_consumer(
        kafka_bootstrap_servers, topics.events, group_id=f"g-{uuid.uuid4().hex}"
    )
    await kafka_consumer.start()
    try:
        delivered = await _first_valid(kafka_consumer, dlq, errors)  # moved on past the poison
    finally:
        await kafka_consumer.stop()
    assert delivered == good
    assert len(errors) == 1
    assert {"id: Field required", "occurredAt: Field required"} <= set(errors[0].problems)

    dead = await _read_one(kafka_bootstrap_servers, topics.dlq)
    headers = dict(dead.headers)
    assert dead.value == poison  # original bytes, unchanged
    assert dead.key == b"k1"
    assert b"occurredAt: Field required" in headers[HEADER_REASON]
    assert headers[HEADER_TOPIC] == topics.events.encode()
    assert headers[HEADER_PARTITION] == b"0"
    assert headers[HEADER_OFFSET] == b"0"

    async with pool.acquire() as conn:
        page = await DeadLetterRepository(conn, tenant_id).list_letters()
    assert len(page.items) == 1
    row = page.items[0]
    assert (row.topic, row.partition, row.offset) == (topics.events, 0, 0)
    assert row.value == poison
    assert row.payload == json.loads(poison)
    assert "occurredAt: Field required" in row.reason


async def test_dead_lettering_the_same_record_twice_mirrors_one_row(
    topics: Topics, pool: asyncpg.Pool, tenant_id: str, dlq: DeadLetterPublisher
) -> None:
    value = json.dumps({"tenantId": tenant_id, "junk": True}).encode()
    record = ConsumerRecord(
        topic=topics.events,
        partition=1,
        offset=77,
        timestamp=0,
        timestamp_type=0,
        key=None,
        value=value,
        checksum=None,
        serialized_key_size=0,
        serialized_value_size=len(value),
        headers=(),
    )
    await dlq.send(record, "first attempt")
    await dlq.send(record, "redelivered after a crash")
    async with pool.acquire() as conn:
        page = await DeadLetterRepository(conn, tenant_id).list_letters()
        requeued = await DeadLetterRepository(conn, tenant_id).mark_requeued(page.items[0].id, NOW)
        again = await DeadLetterRepository(conn, tenant_id).get(page.items[0].id)
    assert [r.reason for r in page.items] == ["first attempt"]
    assert requeued
    assert again is not None
    assert again.requeued_at == NOW


async def test_undecodable_bytes_are_dead_lettered_under_unknown_tenant(
    producer: AIOKafkaProducer,
    topics: Topics,
    kafka_bootstrap_servers: str,
    pool: asyncpg.Pool,
    dlq: DeadLetterPublisher,
) -> None:
    await producer.send_and_wait(topics.events, b"\xff\xfe not json", partition=0)
    record = await _read_one(kafka_bootstrap_servers, topics.events)
    letter = await dlq.send(record, "message is not UTF-8")
    async with pool.acquire() as conn:
        stored = await conn.fetchval(
            """SELECT reason FROM dead_letters
               WHERE tenant_id = '_unknown' AND topic = $1 AND "offset" = 0""",
            topics.events,
        )
    assert letter.tenant_id == "_unknown"
    assert stored == "message is not UTF-8"
