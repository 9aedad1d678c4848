"""Dead-lettering: a message that cannot be handled goes to ``<prefix>dlq``.

The original bytes are published unchanged (so a requeue replays exactly
what arrived) with the reason and the source position in headers, and the
same letter is mirrored into PostgreSQL through a ``DeadLetterSink`` (the
storage library provides one) so operators can list and requeue it.

Kafka may refuse the letter for good (``delivery.SendFailure.refused``): a
poison message close to the size limit is over ``max.message.bytes`` (or the
producer's ``max_request_size``) once the reason and source headers are added.
Retrying cannot help and would stall the consumer on that one message, so a
*reduced* letter goes instead: no value (``sluice-dlq-value-dropped: <its
size in bytes>``), the key dropped too when it is large
(``sluice-dlq-key-dropped``), why the full one was refused
(``sluice-dlq-refused``), reason and source headers kept. The PostgreSQL
mirror keeps the original key and value whatever Kafka got (its headers are
the ones Kafka got), so operators still see and can requeue the message. If
even the reduced letter is refused (say a DLQ topic whose limit is tiny), the
letter lives in PostgreSQL alone, marked ``sluice-dlq-not-published``.
Anything else (broker away, timeouts, a DLQ topic missing from the metadata)
is raised for the caller to retry, as before.

The publisher owns its producer (``renewable``) and replaces it after a
failed send that reached the broker: a refused batch leaves an idempotent
aiokafka producer failing every later send to that partition. Letters go one
at a time (a lock), so each is its own produce request and a refusal convicts
that letter only; dead letters are rare, and the producer lingers 0 ms.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from dataclasses import dataclass, field, replace
from typing import Protocol

from sluice_messaging.delivery import SendFailure, send_one
from sluice_messaging.producer import Headers, OutgoingMessage
from sluice_messaging.renewable import ProducerFactory, RenewableProducer

log = logging.getLogger(__name__)

UNKNOWN_TENANT = "_unknown"  # not a valid slug, so it never collides with a tenant
HEADER_REASON = "sluice-dlq-reason"
HEADER_TOPIC = "sluice-dlq-source-topic"
HEADER_PARTITION = "sluice-dlq-source-partition"
HEADER_OFFSET = "sluice-dlq-source-offset"
HEADER_TENANT = "sluice-dlq-tenant"
# Only on a reduced letter (Kafka refused the full one): sizes in bytes, and why.
HEADER_VALUE_DROPPED = "sluice-dlq-value-dropped"
HEADER_KEY_DROPPED = "sluice-dlq-key-dropped"
HEADER_REFUSED = "sluice-dlq-refused"
HEADER_NOT_PUBLISHED = "sluice-dlq-not-published"  # PostgreSQL mirror only
MAX_REASON_CHARS = 2000  # Kafka headers are small; the reason is a sentence, not a dump
MAX_REFUSAL_CHARS = 500  # the client's message for a refusal is one line
# A run id or correlation key is well under 100 bytes; a larger key may be why the
# letter was refused, and a reduced letter must fit whatever the message held.
MAX_KEPT_KEY_BYTES = 1024
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
    try:  # numbers as text: an integer past Python's 4300 digits must not hide the tenant
        data = json.loads(value, parse_int=str) if value is not None else None
    except (ValueError, UnicodeDecodeError, RecursionError):
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


def reduced_letter(letter: DeadLetter, refusal: str) -> DeadLetter:
    """What Kafka gets after refusing ``letter``: no value, no large key, the reason kept."""
    headers = [*letter.headers, (HEADER_REFUSED, refusal[:MAX_REFUSAL_CHARS].encode())]
    if letter.value is not None:
        headers.append((HEADER_VALUE_DROPPED, str(len(letter.value)).encode()))
    key = letter.key
    if key is not None and len(key) > MAX_KEPT_KEY_BYTES:
        headers.append((HEADER_KEY_DROPPED, str(len(key)).encode()))
        key = None
    return replace(letter, key=key, value=None, headers=headers)


def not_published(letter: DeadLetter, refusal: str) -> DeadLetter:
    """``letter`` marked as kept in PostgreSQL only (Kafka refused even its reduced form)."""
    note = (HEADER_NOT_PUBLISHED, refusal[:MAX_REFUSAL_CHARS].encode())
    return replace(letter, headers=[*letter.headers, note])


@dataclass
class DeadLetterStats:
    published: int = 0  # letters on the DLQ topic, reduced ones included
    reduced: int = 0  # Kafka refused the full letter; a reduced one went instead
    unpublished: int = 0  # Kafka refused even the reduced letter: PostgreSQL only


class DeadLetterPublisher:
    """Publish to the DLQ topic (awaiting the ack), then mirror the row.

    Owns its producer, made by ``producer_factory`` (unstarted); ``close`` stops it.
    """

    def __init__(
        self,
        producer_factory: ProducerFactory,
        dlq_topic: str,
        sink: DeadLetterSink | None = None,
    ) -> None:
        self.producer = RenewableProducer(producer_factory, "dead-letter publisher")
        self._topic = dlq_topic
        self._sink = sink
        self._one_at_a_time = asyncio.Lock()
        self.stats = DeadLetterStats()

    async def send(self, record: SourceRecord, reason: str) -> DeadLetter:
        """Dead-letter ``record``; returns the letter as mirrored (original key and value,
        the headers Kafka got). Raises only what is worth retrying (``KafkaError``, the
        sink's database errors): a retry may publish the letter again, never mirror it twice.
        """
        letter = dead_letter_for(record, reason)
        async with self._one_at_a_time:
            sent = await self._publish(letter)
        mirrored = replace(letter, headers=sent.headers)
        if self._sink is not None:
            await self._sink.record(mirrored)
        return mirrored

    async def close(self) -> None:
        await self.producer.close()

    async def _publish(self, letter: DeadLetter) -> DeadLetter:
        """The letter as Kafka took it: whole, reduced after a refusal, or not at all."""
        refusal = await self._send(letter)
        if refusal is None:
            self.stats.published += 1
            return letter
        where = f"{letter.source_topic}@{letter.partition}/{letter.offset}"
        log.warning("dead letter of %s refused by Kafka (%s): publishing it reduced",
                    where, refusal.describe())  # fmt: skip
        reduced = reduced_letter(letter, refusal.describe())
        again = await self._send(reduced)
        if again is None:
            self.stats.published += 1
            self.stats.reduced += 1
            return reduced
        log.error("dead letter of %s refused by Kafka even reduced (%s): kept in "
                  "PostgreSQL only", where, again.describe())  # fmt: skip
        self.stats.unpublished += 1
        return not_published(reduced, again.describe())

    async def _send(self, letter: DeadLetter) -> SendFailure | None:
        """None once acknowledged, the failure when Kafka refuses the letter for good;
        any other failure is raised (transient: the caller retries)."""
        message = OutgoingMessage(self._topic, letter.value, letter.key, letter.headers)
        failure = await send_one(await self.producer.get(), message)
        if failure is not None and failure.needs_new_producer:
            await self.producer.renew()
        if failure is None or failure.refused:
            return failure
        raise failure.error
