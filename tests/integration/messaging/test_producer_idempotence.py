"""Every Kafka producer of the services is idempotent with ``acks=all`` (issue 16).

Idempotence is what lets a producer retry a batch whose acknowledgement was lost
(a broker restarting, a leader moving) without the broker storing it twice; acks
from every in-sync replica is what keeps an acknowledged message when the leader
dies. Pinned on the real broker: each producer is built as the services build it
(the outbox relay's and the DLQ's through ``create_producer``, Faust's own through
the interpreter's transport), sends, and holds a producer id the broker assigned
(only an idempotent producer asks for one).
"""

from __future__ import annotations

import pytest
from aiokafka import AIOKafkaProducer
from sluice_config import Settings
from sluice_interpreter.app import create_app
from sluice_messaging.producer import create_producer
from sluice_messaging.topics import Topics

pytestmark = pytest.mark.integration


async def broker_given_producer_id(producer: AIOKafkaProducer, topic: str) -> int:
    """Start, send one record, stop; the producer id the broker gave it. Asserts the
    producer waits for every in-sync replica (acks=-1)."""
    assert producer._txn_manager is not None, "idempotence is off"
    assert producer._sender._acks == -1, "acks is not 'all'"
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"idempotent?", key=b"k")
        return int(producer._txn_manager.producer_id)
    finally:
        await producer.stop()


async def test_relay_and_dlq_producers_are_idempotent_with_acks_all(
    topics: Topics, kafka_bootstrap_servers: str
) -> None:
    relay = create_producer(kafka_bootstrap_servers)
    dlq = create_producer(kafka_bootstrap_servers, linger_ms=0)  # as the runtime makes it
    ids = [await broker_given_producer_id(p, topics.events) for p in (relay, dlq)]
    assert all(pid >= 0 for pid in ids), ids
    assert len(set(ids)) == 2  # one sequence each: a refusal on one never breaks the other


async def test_faust_producer_is_idempotent_with_acks_all(
    topics: Topics, topic_prefix: str, kafka_bootstrap_servers: str
) -> None:
    settings = Settings(kafka_bootstrap_servers=kafka_bootstrap_servers, topic_prefix=topic_prefix)
    for role in ("interpreter", "executor"):
        app, _service = create_app(settings, role)
        producer = app.producer._new_producer()  # what the worker starts
        assert await broker_given_producer_id(producer, topics.events) >= 0
