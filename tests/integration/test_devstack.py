"""The test stack itself: Kafka round-trips a message, PostgreSQL answers, topics
are created idempotently with the partition counts asked for."""

from __future__ import annotations

import uuid

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from sluice_messaging.admin import ensure_topics
from sluice_messaging.topics import Topics

pytestmark = pytest.mark.integration


async def test_topic_round_trips_message_when_produced_and_consumed(
    kafka_bootstrap_servers: str, topics: Topics, tenant_id: str
) -> None:
    payload = f'{{"tenantId": "{tenant_id}"}}'.encode()
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap_servers, acks="all")
    await producer.start()
    try:
        sent = await producer.send_and_wait(topics.events, payload, key=tenant_id.encode())
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        topics.events,
        bootstrap_servers=kafka_bootstrap_servers,
        group_id=f"g-{uuid.uuid4().hex}",
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        received = await consumer.getone()
    finally:
        await consumer.stop()
    assert (received.key, received.value) == (tenant_id.encode(), payload)
    assert (received.partition, received.offset) == (sent.partition, sent.offset)


async def test_postgres_answers_select_one_when_connected(database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        assert await conn.fetchval("select 1") == 1
    finally:
        await conn.close()


async def test_ensure_topics_is_idempotent_when_run_twice(
    kafka_bootstrap_servers: str, topic_prefix: str
) -> None:
    wanted = Topics.from_prefix(topic_prefix)
    first = await ensure_topics(kafka_bootstrap_servers, wanted, 3)
    second = await ensure_topics(kafka_bootstrap_servers, wanted, 3)
    assert first == second == dict.fromkeys(wanted.all(), 3)
    assert await _partition_counts(kafka_bootstrap_servers, wanted) == dict.fromkeys(
        wanted.all(), 3
    )


async def test_ensure_topics_grows_partitions_when_asked_for_more(
    kafka_bootstrap_servers: str, topic_prefix: str
) -> None:
    wanted = Topics.from_prefix(topic_prefix)
    await ensure_topics(kafka_bootstrap_servers, wanted, 2)
    grown = await ensure_topics(kafka_bootstrap_servers, wanted, 4)
    kept = await ensure_topics(kafka_bootstrap_servers, wanted, 1)  # never shrinks
    assert grown == kept == dict.fromkeys(wanted.all(), 4)


async def test_broker_refuses_unknown_topic_when_auto_creation_is_off(
    kafka_bootstrap_servers: str, topic_prefix: str
) -> None:
    name = f"{topic_prefix}never-created"
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap_servers, request_timeout_ms=3000)
    await producer.start()
    try:
        with pytest.raises(KafkaError):  # a timeout or UnknownTopicOrPartition
            await producer.send_and_wait(name, b"x")
    finally:
        await producer.stop()
    assert name not in await _partition_counts(kafka_bootstrap_servers, None)


async def _partition_counts(bootstrap: str, topics: Topics | None) -> dict[str, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics(list(topics.all()) if topics else None)
    finally:
        await admin.close()
    return {t["topic"]: len(t["partitions"]) for t in described if t["error_code"] == 0}
