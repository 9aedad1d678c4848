"""Dead-lettering: a message that cannot be handled goes to ``<prefix>dlq``.

The original bytes are published unchanged (so a requeue replays exactly
what arrived) with the reason and the source position in headers, and the
same letter is mirrored into PostgreSQL through a ``DeadLetterSink`` (the
storage library provides one) so operators can list and requeue it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Protocol

from aiokafka import AIOKafkaProducer

from sluice_messaging.producer import Headers

UNKNOWN_TENANT = "_unknown"  # not a valid slug, so it never collides with a tenant
HEADER_REASON = "sluice-dlq-reason"
HEADER_TOPIC = "sluice-dlq-source-topic"
HEADER_PARTITION = "sluice-dlq-source-partition"
HEADER_OFFSET = "sluice-dlq-source-offset"
HEADER_TENANT = "sluice-dlq-tenant"
MAX_REASON_CHARS = 2000  # Kafka headers are small; the reason is a sentence, not a dump
_TENANT_RE = re.compile(r"^[a-z0-9-]{1,63}$")


class SourceRecord(Protocol):
    """What the DLQ needs from a consumed record (aiokafka's ConsumerRecord fits)."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def key(self) -> bytes | None: ...
    @property
    def value(self) -> bytes | None: ...


@dataclass(frozen=True)
class DeadLetter:
    tenant_id: str
    source_topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    reason: str
    headers: Headers = field(default_factory=list)


class DeadLetterSink(Protocol):
    """Durable mirror of the DLQ (idempotent per source position)."""

    async def record(self, letter: DeadLetter) -> None: ...


def guess_tenant(value: bytes | None) -> str:
    """The ``tenantId`` of a poison message when it can still be read, else ``_unknown``."""
    try:
        data = json.loads(value) if value is not None else None
    except (ValueError, UnicodeDecodeError):
        return UNKNOWN_TENANT
    tenant = data.get("tenantId") if isinstance(data, dict) else None
    return tenant if isinstance(tenant, str) and _TENANT_RE.match(tenant) else UNKNOWN_TENANT


def dead_letter_for(record: SourceRecord, reason: str) -> DeadLetter:
    reason = reason[:MAX_REASON_CHARS]
    tenant = guess_tenant(record.value)
    headers: Headers = [
        (HEADER_REASON, reason.encode()),
        (HEADER_TOPIC, record.topic.encode()),
        (HEADER_PARTITION, str(record.partition).encode()),
        (HEADER_OFFSET, str(record.offset).encode()),
        (HEADER_TENANT, tenant.encode()),
    ]
    return DeadLetter(
        tenant_id=tenant,
        source_topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        key=record.key,
        value=record.value,
        reason=reason,
        headers=headers,
    )


class DeadLetterPublisher:
    """Publish to the DLQ topic (awaiting the ack), then mirror the row."""

    def __init__(
        self, producer: AIOKafkaProducer, dlq_topic: str, sink: DeadLetterSink | None = None
    ) -> None:
        self._producer = producer
        self._topic = dlq_topic
        self._sink = sink

    async def send(self, record: SourceRecord, reason: str) -> DeadLetter:
        letter = dead_letter_for(record, reason)
        await self._producer.send_and_wait(
            self._topic, value=letter.value, key=letter.key, headers=letter.headers
        )
        if self._sink is not None:
            await self._sink.record(letter)
        return letter
