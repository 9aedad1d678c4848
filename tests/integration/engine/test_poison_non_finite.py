"""A Kafka message breaking the JSON input rule (NaN, U+0000, a lone surrogate, ...) is
poison: dead-lettered with the reason before anything is written, the next one handled.

The interpreter's own handlers (``handle_events``, ``handle_command_batch``) on
records read back from the real broker, with the real DLQ publisher and its
PostgreSQL mirror. Poison and good message share a key (one lane, in order).
"""

from __future__ import annotations

import asyncio
import functools
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer
from engine_harness import Clock, Pump, make_registry, publish
from sluice_config import Settings
from sluice_engine import EngineContext
from sluice_interpreter.batching import handle_command_batch
from sluice_interpreter.handling import Record, handle_events
from sluice_interpreter.runtime import Runtime
from sluice_messaging.consumer import create_consumer
from sluice_messaging.dlq import HEADER_REASON, DeadLetterPublisher
from sluice_messaging.producer import create_producer
from sluice_messaging.topics import Topics
from sluice_storage import PgDeadLetterSink

pytestmark = pytest.mark.integration
HOLE = "@number@"


def with_number(document: dict[str, Any], literal: str) -> bytes:
    """``document`` as JSON bytes with ``literal`` written where ``HOLE`` is."""
    return json.dumps(document).replace(json.dumps(HOLE), literal).encode()


@pytest.fixture
async def runtime(
    pool: asyncpg.Pool, topics: Topics, kafka_bootstrap_servers: str
) -> AsyncIterator[Runtime]:
    """The interpreter's runtime on the test's pool, topics and a real DLQ publisher."""
    registry, handlers = make_registry()
    factory = functools.partial(create_producer, kafka_bootstrap_servers)
    dlq = DeadLetterPublisher(factory, topics.dlq, PgDeadLetterSink(pool))
    yield Runtime(
        settings=Settings(), role="interpreter", topics=topics, pool=pool,
        engine=EngineContext(registry=registry, topics=topics, clock=Clock()), handlers=handlers,
        dlq=dlq,
    )  # fmt: skip
    await dlq.close()


async def through_kafka(
    producer: AIOKafkaProducer, bootstrap: str, topic: str, key: bytes, values: list[bytes]
) -> list[Record]:
    """Produce ``values`` in order under one key, and read them back as the interpreter would."""
    for value in values:
        await producer.send_and_wait(topic, value, key=key, partition=0)
    consumer = create_consumer(bootstrap, topic, group_id=f"g-{uuid.uuid4().hex}")
    await consumer.start()
    records: list[Record] = []
    try:
        async with asyncio.timeout(30):
            while len(records) < len(values):
                for batch in (await consumer.getmany(timeout_ms=200)).values():
                    records += [Record(r.topic, r.partition, r.offset, r.key, r.value)
                                for r in batch]  # fmt: skip
    finally:
        await consumer.stop()
    return sorted(records, key=lambda r: r.offset)


async def dlq_reasons(bootstrap: str, dlq_topic: str) -> list[str]:
    consumer = create_consumer(bootstrap, dlq_topic, group_id=f"dlq-{uuid.uuid4().hex}")
    await consumer.start()
    try:
        async with asyncio.timeout(30):
            while True:
                for batch in (await consumer.getmany(timeout_ms=200)).values():
                    return [dict(r.headers)[HEADER_REASON].decode() for r in batch]
    finally:
        await consumer.stop()


async def letters(pool: asyncpg.Pool, tenant_id: str) -> list[asyncpg.Record]:
    async with pool.acquire() as conn:
        return list(await conn.fetch(
            "SELECT topic, value, payload, reason FROM dead_letters WHERE tenant_id = $1",
            tenant_id,
        ))  # fmt: skip


# The JSON input rule on wf.events, each case by name: (literal, reason).
POISON = {
    "nan": ("NaN", "NaN is not a JSON number"),
    "nul": ('"a\\u0000"', "U+0000 (NUL) is not allowed in text"),
    "lone_surrogate": ('"\\ud800"', "a lone surrogate (U+D800) is not Unicode text"),
    "integer_of_4301_digits": ("1" * 4301, "11111111111111111111... has 4301 digits; at most 4300"),
    "nested_past_64": ("[" * 70 + "]" * 70, "nested deeper than 64 arrays/objects"),
}


@pytest.mark.parametrize(("literal", "why"), POISON.values(), ids=POISON)
async def test_event_breaking_the_input_rule_is_dead_lettered_and_the_next_starts_its_run(
    runtime: Runtime, producer: AIOKafkaProducer, kafka_bootstrap_servers: str,
    topics: Topics, pool: asyncpg.Pool, tenant_id: str, literal: str, why: str,
) -> None:  # fmt: skip
    name = f"PAID_{uuid.uuid4().hex[:8]}"
    doc = {"name": "paid", "trigger": {"type": "event", "eventName": name},
           "steps": [{"id": "s", "type": "state.set", "config": {"state": "DONE"}}]}  # fmt: skip
    workflow_id = await publish(pool, tenant_id, doc)
    event = {"tenantId": tenant_id, "eventName": name, "correlationKey": "o-1"}
    poison = with_number({**event, "payload": {"total": HOLE}}, literal)
    good = with_number({**event, "payload": {"total": HOLE}}, "12.5")
    records = await through_kafka(
        producer, kafka_bootstrap_servers, topics.events, b"o-1", [poison, good]
    )

    await handle_events(runtime, records)

    [letter] = await letters(pool, tenant_id)
    where = "payload.total" + ".0" * 62 if literal.startswith("[") else "payload.total"
    reason = f"invalid event: event message breaks the JSON input rule: {where}: {why}"
    assert (letter["topic"], letter["value"], letter["reason"]) == (topics.events, poison, reason)
    assert letter["payload"] is None  # no display form: jsonb has no NaN, no U+0000
    assert await dlq_reasons(kafka_bootstrap_servers, topics.dlq) == [reason]
    async with pool.acquire() as conn:
        runs = await conn.fetch(
            "SELECT workflow_id, status, run_state FROM workflow_runs WHERE tenant_id = $1",
            tenant_id,
        )
    assert [(str(r["workflow_id"]), r["status"], r["run_state"]["envelope"]["payload"])
            for r in runs] == [(workflow_id, "SUCCEEDED", {"total": 12.5})]  # fmt: skip


async def test_command_with_overflowing_number_is_dead_lettered_and_the_next_applies(
    runtime: Runtime, producer: AIOKafkaProducer, kafka_bootstrap_servers: str,
    topics: Topics, pool: asyncpg.Pool, tenant_id: str,
) -> None:  # fmt: skip
    assert runtime.engine is not None
    pump = Pump(pool, runtime.engine, runtime.handlers, tenant_id, topics)
    call = {"id": "e", "type": "action.call",
            "config": {"actionId": "test.echo", "version": 1, "args": {"n": 1}}}  # fmt: skip
    run_id = await pump.start(await publish(pool, tenant_id, {"name": "echo", "steps": [call]}), {})
    [request] = await pump.fetch(
        """UPDATE outbox SET sent_at = now() WHERE tenant_id = $1 AND sent_at IS NULL
           AND topic = $2 RETURNING payload""",
        topics.action_requests,
    )
    await pump.deliver(topics.action_requests, request["payload"])  # writes the CompleteAction
    [command] = await pump.fetch(
        """UPDATE outbox SET sent_at = now() WHERE tenant_id = $1 AND sent_at IS NULL
           AND topic = $2 RETURNING payload""",
        topics.run_commands,
    )
    good = json.dumps(command["payload"]).encode()
    tampered = json.loads(good)
    tampered["body"]["output"] = {"n": HOLE}  # the same command, its output overflowing
    poison = with_number(tampered, "-1e999")
    records = await through_kafka(
        producer, kafka_bootstrap_servers, topics.run_commands, run_id.encode(), [poison, good]
    )

    await handle_command_batch(runtime, records)

    [letter] = await letters(pool, tenant_id)
    assert letter["value"] == poison
    assert letter["reason"].startswith("invalid run command: message breaks the JSON input rule")
    assert "body.output.n: -1e999 is too large" in letter["reason"]
    assert (await pump.run_row(run_id))["status"] == "SUCCEEDED"
