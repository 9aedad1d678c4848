"""What the DLQ publisher does when Kafka will not take a letter (real broker and database).

A refusal of the reduced letter too leaves the letter in PostgreSQL alone (the
caller goes on); a DLQ topic missing from the metadata is not a refusal: the
error is raised for the caller to retry, as for any transient failure.
"""

from __future__ import annotations

import functools
import json
import uuid
from dataclasses import dataclass

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import UnknownTopicOrPartitionError
from fixtures.limited_topics import PARTITIONS, create_limited_topic
from sluice_messaging import DeadLetterPublisher
from sluice_messaging.dlq import HEADER_NOT_PUBLISHED, HEADER_VALUE_DROPPED
from sluice_messaging.producer import create_producer
from sluice_messaging.topics import Topics
from sluice_storage import PgDeadLetterSink

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Poison:
    topic: str
    value: bytes | None
    partition: int = 0
    offset: int = 5
    key: bytes | None = b"k-1"


async def stored(pool: asyncpg.Pool, tenant_id: str) -> list[asyncpg.Record]:
    async with pool.acquire() as conn:
        return list(await conn.fetch(
            "SELECT key, value, headers, reason FROM dead_letters WHERE tenant_id = $1", tenant_id
        ))  # fmt: skip


async def end_offsets(bootstrap: str, topic: str) -> list[int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        parts = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        return list((await consumer.end_offsets(parts)).values())
    finally:
        await consumer.stop()


async def test_letter_refused_even_reduced_is_kept_in_postgresql_only(
    kafka_bootstrap_servers: str, topics: Topics, pool: asyncpg.Pool, tenant_id: str
) -> None:
    tiny = await create_limited_topic(kafka_bootstrap_servers, f"{topics.dlq}-tiny", 128)
    value = json.dumps({"tenantId": tenant_id, "junk": "x" * 200}).encode()
    factory = functools.partial(create_producer, kafka_bootstrap_servers)
    dlq = DeadLetterPublisher(factory, tiny, PgDeadLetterSink(pool))
    try:
        letter = await dlq.send(Poison(topics.events, value), "invalid envelope: v: required")
    finally:
        await dlq.close()

    headers = dict(letter.headers)
    assert b"MessageSizeTooLargeError" in headers[HEADER_NOT_PUBLISHED]
    assert headers[HEADER_VALUE_DROPPED] == str(len(value)).encode()  # what was tried
    [row] = await stored(pool, tenant_id)
    assert (row["key"], row["value"], row["reason"]) == (b"k-1", value, letter.reason)
    assert HEADER_NOT_PUBLISHED in row["headers"]
    assert (dlq.stats.published, dlq.stats.reduced, dlq.stats.unpublished) == (0, 0, 1)
    assert dlq.producer.renewals == 2  # each refusal reached the broker
    assert await end_offsets(kafka_bootstrap_servers, tiny) == [0] * PARTITIONS


async def test_missing_dlq_topic_is_raised_for_the_caller_to_retry(
    kafka_bootstrap_servers: str, topics: Topics, pool: asyncpg.Pool, tenant_id: str
) -> None:
    missing = f"{topics.dlq}-missing-{uuid.uuid4().hex[:6]}"  # brokers never auto-create
    # The metadata wait for a missing topic lasts request_timeout_ms: 1 s here.
    factory = functools.partial(create_producer, kafka_bootstrap_servers, request_timeout_ms=1000)
    dlq = DeadLetterPublisher(factory, missing, PgDeadLetterSink(pool))
    value = json.dumps({"tenantId": tenant_id}).encode()
    try:
        with pytest.raises(UnknownTopicOrPartitionError):
            await dlq.send(Poison(topics.events, value), "invalid envelope")
    finally:
        await dlq.close()

    assert await stored(pool, tenant_id) == []  # mirrored only once Kafka has answered
    assert (dlq.stats.published, dlq.stats.unpublished) == (0, 0)
