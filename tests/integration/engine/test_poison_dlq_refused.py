"""A poison message whose DLQ copy Kafka refuses: a reduced letter goes, nothing stalls.

The DLQ copy of a message carries the reason and source headers on top of the
original bytes, so a message that fitted its own topic can be too large for
``wf.dlq`` (a DLQ topic with a smaller ``max.message.bytes``, or over the
producer's 1 MiB ``max_request_size``). The interpreter's own handlers on
records read back from the real broker: the letter lands reduced on the DLQ
(no value, its size in a header, the reason kept) and whole in PostgreSQL,
the batch goes on, and the next poison message is dead-lettered whole (the
DLQ producer, broken by the refusal, was replaced). A poison message before
the large one gives the DLQ producer a sequence on that partition first: a
producer the broker has never seen there would not be broken by a refusal.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.record.default_records import DefaultRecordBatchBuilder
from aiokafka.structs import ConsumerRecord
from engine_harness import Clock, Pump, make_registry, publish
from fixtures.limited_topics import create_limited_topic
from sluice_config import Settings
from sluice_engine import EngineContext
from sluice_interpreter.batching import handle_command_batch
from sluice_interpreter.handling import Record, handle_events
from sluice_interpreter.runtime import Runtime
from sluice_messaging.consumer import create_consumer
from sluice_messaging.dlq import (
    HEADER_REASON,
    HEADER_REFUSED,
    HEADER_VALUE_DROPPED,
    DeadLetterPublisher,
)
from sluice_messaging.producer import create_producer
from sluice_messaging.topics import Topics
from sluice_storage import PgDeadLetterSink

pytestmark = pytest.mark.integration
DLQ_LIMIT = 4096  # the small DLQ topic's max.message.bytes
CLIENT_LIMIT = 1_048_576  # aiokafka's default max_request_size, which Sluice keeps
HANDLED_WITHIN_S = 60  # a handler that retries a refusal forever fails the test here


@pytest.fixture(params=["topic", "client"], ids=["over-the-dlq-topic-limit", "over-1-MiB"])
def limit(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def dlq_topics(topics: Topics, kafka_bootstrap_servers: str, limit: str) -> Topics:
    """The test's topics; for the ``topic`` case a DLQ refusing records over ``DLQ_LIMIT``."""
    if limit == "client":
        return topics
    dlq = await create_limited_topic(kafka_bootstrap_servers, f"{topics.dlq}-small", DLQ_LIMIT)
    return dataclasses.replace(topics, dlq=dlq)


@pytest.fixture
async def runtime(
    pool: asyncpg.Pool, dlq_topics: Topics, kafka_bootstrap_servers: str
) -> AsyncIterator[Runtime]:
    """The interpreter's runtime on the test's pool and topics, with a real DLQ publisher."""
    registry, handlers = make_registry()
    factory = functools.partial(create_producer, kafka_bootstrap_servers)
    dlq = DeadLetterPublisher(factory, dlq_topics.dlq, PgDeadLetterSink(pool))
    yield Runtime(
        settings=Settings(), role="interpreter", topics=dlq_topics, pool=pool,
        engine=EngineContext(registry=registry, topics=dlq_topics, clock=Clock()),
        handlers=handlers, dlq=dlq,
    )  # fmt: skip
    await dlq.close()


def oversized(document: dict[str, Any], key: bytes, limit: str) -> bytes:
    """``document`` padded (``document["pad"]``) so its DLQ copy is refused: over
    ``DLQ_LIMIT``, or one that fits the producer's 1 MiB itself but not once headed."""
    if limit == "topic":
        return json.dumps({**document, "pad": "x" * 2 * DLQ_LIMIT}).encode()
    target = CLIENT_LIMIT - 64  # the reason header alone is longer than 64 bytes
    pad = target - DefaultRecordBatchBuilder.estimate_size_in_bytes(key, b"", [])
    value = json.dumps({**document, "pad": "x" * pad}).encode()
    while DefaultRecordBatchBuilder.estimate_size_in_bytes(key, value, []) > target:
        pad -= 1
        value = json.dumps({**document, "pad": "x" * pad}).encode()
    return value


async def through_kafka(
    producer: AIOKafkaProducer, bootstrap: str, topic: str, key: bytes, values: list[bytes]
) -> list[Record]:
    """Produce ``values`` in order under one key, and read them back as the interpreter would."""
    for value in values:
        await producer.send_and_wait(topic, value, key=key, partition=0)
    return [Record(r.topic, r.partition, r.offset, r.key, r.value)
            for r in await read(bootstrap, topic, len(values))]  # fmt: skip


async def read(bootstrap: str, topic: str, count: int) -> list[ConsumerRecord[bytes, bytes]]:
    consumer = create_consumer(bootstrap, topic, group_id=f"g-{uuid.uuid4().hex}")
    await consumer.start()
    found: list[ConsumerRecord[bytes, bytes]] = []
    try:
        async with asyncio.timeout(30):
            while len(found) < count:
                for batch in (await consumer.getmany(timeout_ms=200)).values():
                    found += batch
    finally:
        await consumer.stop()
    return sorted(found, key=lambda r: (r.partition, r.offset))


async def letters(pool: asyncpg.Pool, tenant_id: str) -> list[asyncpg.Record]:
    async with pool.acquire() as conn:
        return list(await conn.fetch(
            """SELECT "offset", key, value, headers, reason FROM dead_letters
               WHERE tenant_id = $1 ORDER BY "offset" """,
            tenant_id,
        ))  # fmt: skip


def check_reduced(dead: ConsumerRecord[bytes, bytes], poison: bytes, reason: str) -> None:
    headers = dict(dead.headers)
    assert dead.value is None
    assert headers[HEADER_VALUE_DROPPED] == str(len(poison)).encode()
    assert headers[HEADER_REASON].decode() == reason
    assert b"MessageSizeTooLargeError" in headers[HEADER_REFUSED]


async def test_event_whose_dlq_copy_is_refused_lands_reduced_and_the_batch_goes_on(
    runtime: Runtime, producer: AIOKafkaProducer, kafka_bootstrap_servers: str,
    dlq_topics: Topics, pool: asyncpg.Pool, tenant_id: str, limit: str,
) -> None:  # fmt: skip
    name = f"PAID_{uuid.uuid4().hex[:8]}"
    doc = {"name": "paid", "trigger": {"type": "event", "eventName": name},
           "steps": [{"id": "s", "type": "state.set", "config": {"state": "DONE"}}]}  # fmt: skip
    await publish(pool, tenant_id, doc)
    event: dict[str, Any] = {"tenantId": tenant_id, "eventName": name, "correlationKey": "o-1"}
    big = oversized({**event, "payload": {"total": 1}, "correlationKey": None}, b"o-1", limit)
    before, after = (json.dumps({**event, "correlationKey": None, "n": n}).encode()
                     for n in (1, 2))  # fmt: skip
    good = json.dumps({**event, "payload": {"total": 12.5}}).encode()
    records = await through_kafka(
        producer, kafka_bootstrap_servers, dlq_topics.events, b"o-1", [before, big, good, after]
    )

    async with asyncio.timeout(HANDLED_WITHIN_S):
        await handle_events(runtime, records)

    reason = "invalid event: invalid bare event: correlationKey: Input should be a valid string"
    first, reduced, last = await read(kafka_bootstrap_servers, dlq_topics.dlq, 3)
    check_reduced(reduced, big, reason)
    assert reduced.key == b"o-1"  # a small key is kept: same DLQ partition as before
    assert [(r.value, dict(r.headers)[HEADER_REASON].decode()) for r in (first, last)] == [
        (before, reason), (after, reason)]  # fmt: skip
    assert HEADER_VALUE_DROPPED not in dict(last.headers)
    rows = await letters(pool, tenant_id)
    assert [(r["value"], r["reason"]) for r in rows] == [
        (before, reason), (big, reason), (after, reason)]  # the full original bytes  # fmt: skip
    assert rows[1]["headers"][HEADER_VALUE_DROPPED] == str(len(big))
    async with pool.acquire() as conn:
        runs = await conn.fetch("SELECT status FROM workflow_runs WHERE tenant_id = $1", tenant_id)
    assert [r["status"] for r in runs] == ["SUCCEEDED"]
    assert runtime.dlq is not None
    assert (runtime.dlq.stats.reduced, runtime.dlq.stats.unpublished) == (1, 0)
    # The broker's refusal broke the idempotent producer's sequence: replaced once. The
    # client's own size check refuses before anything is sent: nothing to replace.
    assert runtime.dlq.producer.renewals == (1 if limit == "topic" else 0)


@pytest.mark.parametrize("limit", ["topic"], indirect=True)
async def test_command_whose_dlq_copy_is_refused_lands_reduced_and_the_next_applies(
    runtime: Runtime, producer: AIOKafkaProducer, kafka_bootstrap_servers: str,
    dlq_topics: Topics, pool: asyncpg.Pool, tenant_id: str,
) -> None:  # fmt: skip
    assert runtime.engine is not None
    pump = Pump(pool, runtime.engine, runtime.handlers, tenant_id, dlq_topics)
    call = {"id": "e", "type": "action.call",
            "config": {"actionId": "test.echo", "version": 1, "args": {"n": 1}}}  # fmt: skip
    run_id = await pump.start(await publish(pool, tenant_id, {"name": "echo", "steps": [call]}), {})
    [request] = await pump.fetch(
        """UPDATE outbox SET sent_at = now() WHERE tenant_id = $1 AND sent_at IS NULL
           AND topic = $2 RETURNING payload""",
        dlq_topics.action_requests,
    )
    await pump.deliver(dlq_topics.action_requests, request["payload"])  # the CompleteAction
    [command] = await pump.fetch(
        """UPDATE outbox SET sent_at = now() WHERE tenant_id = $1 AND sent_at IS NULL
           AND topic = $2 RETURNING payload""",
        dlq_topics.run_commands,
    )
    good = json.dumps(command["payload"]).encode()
    big = oversized({"tenantId": tenant_id, "junk": True}, run_id.encode(), "topic")
    before, after = (json.dumps({"tenantId": tenant_id, "junk": n}).encode() for n in (1, 2))
    records = await through_kafka(
        producer, kafka_bootstrap_servers, dlq_topics.run_commands, run_id.encode(),
        [before, big, good, after],
    )  # fmt: skip

    async with asyncio.timeout(HANDLED_WITHIN_S):
        await handle_command_batch(runtime, records)

    first, reduced, last = await read(kafka_bootstrap_servers, dlq_topics.dlq, 3)
    reason = dict(reduced.headers)[HEADER_REASON].decode()
    assert reason.startswith("invalid run command: ")
    check_reduced(reduced, big, reason)
    assert (first.value, last.value) == (before, after)
    assert [r["value"] for r in await letters(pool, tenant_id)] == [before, big, after]
    assert runtime.dlq is not None
    assert runtime.dlq.producer.renewals == 1
    assert (await pump.run_row(run_id))["status"] == "SUCCEEDED"
