"""The producer helper and event parsing against the real broker."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime

import pytest
from aiokafka.structs import ConsumerRecord
from sluice_messaging import EVENT_TYPE, decode, encode, new_envelope, parse_event_message
from sluice_messaging.consumer import create_consumer
from sluice_messaging.producer import create_producer, publish
from sluice_messaging.topics import Topics

pytestmark = pytest.mark.integration
NOW = datetime(2025, 9, 1, tzinfo=UTC)


async def _records(bootstrap: str, topic: str, count: int) -> list[ConsumerRecord[bytes, bytes]]:
    consumer = create_consumer(bootstrap, topic, group_id=f"g-{uuid.uuid4().hex}")
    await consumer.start()
    found: list[ConsumerRecord[bytes, bytes]] = []
    try:
        async with asyncio.timeout(30):
            while len(found) < count:
                for records in (await consumer.getmany(timeout_ms=200)).values():
                    found.extend(records)
    finally:
        await consumer.stop()
    return found


async def test_publish_sends_envelope_with_key_and_a_redelivery_keeps_its_id(
    topics: Topics, kafka_bootstrap_servers: str, tenant_id: str
) -> None:
    """A message sent twice arrives twice with one envelope id: consumers drop the
    repeat by that id (run commands: ``applied_commands``, see tests/integration/storage)."""
    run_id = uuid.uuid4()
    envelope = new_envelope("run.command", tenant_id, {"a": 1}, occurred_at=NOW, run_id=run_id)
    sentinel = new_envelope("run.command", tenant_id, {"last": True}, occurred_at=NOW)
    producer = create_producer(kafka_bootstrap_servers)
    await producer.start()
    try:
        for message in (envelope, envelope, sentinel):  # the second one is a redelivery
            await publish(producer, topics.run_commands, str(run_id), message)
    finally:
        await producer.stop()

    records = await _records(kafka_bootstrap_servers, topics.run_commands, 3)
    assert [decode(r.value) for r in records] == [envelope, envelope, sentinel]
    assert {r.key for r in records} == {str(run_id).encode()}


async def test_events_topic_accepts_both_forms(
    topics: Topics, kafka_bootstrap_servers: str, tenant_id: str
) -> None:
    bare = {"eventName": "E", "correlationKey": "c1", "payload": {"x": 1}, "tenantId": tenant_id}
    body = {"eventName": "E", "correlationKey": "c2", "payload": {}, "idempotencyKey": "i"}
    enveloped = new_envelope(EVENT_TYPE, tenant_id, body, occurred_at=NOW)
    producer = create_producer(kafka_bootstrap_servers)
    await producer.start()
    try:
        await producer.send_and_wait(topics.events, json.dumps(bare).encode(), partition=0)
        await producer.send_and_wait(topics.events, encode(enveloped), partition=0)
    finally:
        await producer.stop()
    records = await _records(kafka_bootstrap_servers, topics.events, 2)
    events = [parse_event_message(r.value) for r in records]
    assert [(e.correlation_key, e.tenant_id) for e in events] == [
        ("c1", tenant_id),
        ("c2", tenant_id),
    ]
    assert events[0].payload == {"x": 1}
    assert events[1].message_id == enveloped.id
    assert events[1].idempotency_key == "i"
