"""Producer helper: durable settings by default, JSON envelopes, key bytes.

``acks="all"`` + idempotence make a send either land once per partition or
fail loudly; the outbox relay relies on that (it re-sends a whole batch
after a crash, and broker-side dedup keeps retries inside one producer
session from doubling messages).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaProducer

from sluice_messaging.envelope import Envelope, encode

Headers = list[tuple[str, bytes]]

# linger 5 ms: an outbox batch of 500 sends is queued in well under 5 ms, so
# this only batches trickles, at a worst-case cost of 5 ms latency per message.
DEFAULT_LINGER_MS = 5
# 1 MiB batches: 500 messages of ~1-2 KiB each fit in one or two requests.
DEFAULT_MAX_BATCH_BYTES = 1024 * 1024


def create_producer(bootstrap_servers: str, **overrides: Any) -> AIOKafkaProducer:
    """An unstarted producer with Sluice's durability settings."""
    options: dict[str, Any] = {
        "bootstrap_servers": bootstrap_servers,
        "acks": "all",
        "enable_idempotence": True,
        "linger_ms": DEFAULT_LINGER_MS,
        "max_batch_size": DEFAULT_MAX_BATCH_BYTES,
        "request_timeout_ms": 30_000,
    }
    options.update(overrides)
    return AIOKafkaProducer(**options)


def key_bytes(key: str | bytes | None) -> bytes | None:
    if key is None or isinstance(key, bytes):
        return key
    return key.encode()


@dataclass(frozen=True)
class OutgoingMessage:
    """One record to publish: already-encoded value, key and headers."""

    topic: str
    value: bytes | None  # None: a null value (the DLQ forwards one as it came)
    key: bytes | None = None
    headers: Headers = field(default_factory=list)


async def publish(
    producer: AIOKafkaProducer, topic: str, key: str | bytes | None, envelope: Envelope
) -> None:
    """Publish one envelope and wait for the broker's ack."""
    await producer.send_and_wait(topic, value=encode(envelope), key=key_bytes(key))


async def publish_many(producer: AIOKafkaProducer, messages: Iterable[OutgoingMessage]) -> int:
    """Queue every message, then wait for all acks; raises if any send failed.

    Queueing first lets aiokafka pack many records per request (the point of
    batching); awaiting all acks before returning is what lets a caller mark
    rows sent only once Kafka has them.
    """
    pending: Sequence[asyncio.Future[Any]] = [
        await producer.send(m.topic, value=m.value, key=m.key, headers=m.headers or None)
        for m in messages
    ]
    await asyncio.gather(*pending)
    return len(pending)
