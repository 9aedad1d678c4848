"""Each message's delivery outcome, and what a failure says about the message.

``publish_many`` answers "did the whole batch land". A publisher that must not
let one bad message hold up the others (the outbox relay) needs each
message's outcome and has to tell two kinds of failure apart:

- **refused**: the broker (or the client's own check) rejects this message
  and always will: larger than ``max.message.bytes``, an invalid or forbidden
  topic, a record the broker calls corrupt. Retrying cannot help.
- **transient**: anything else (broker down, leader moving, timeouts, a
  producer whose state broke). Retrying later can help, so that is the default
  for an error this module does not know.

A refusal seen on a batch does not convict every message in it: the broker
rejects a whole produce request (every record for that partition) for one
oversized record, so callers retry suspects one at a time (``send_one``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import (
    CorruptRecordException,
    InvalidProducerEpoch,
    InvalidProducerIdMapping,
    InvalidTimestampError,
    InvalidTopicError,
    KafkaError,
    MessageSizeTooLargeError,
    OutOfOrderSequenceNumber,
    ProducerFenced,
    RecordListTooLargeError,
    RecordTooLargeError,
    TopicAuthorizationFailedError,
    UnknownProducerId,
    UnknownTopicOrPartitionError,
)

from sluice_messaging.producer import OutgoingMessage

# The message itself is at fault. aiokafka reports INVALID_RECORD (87) as its
# catch-all UnknownError, which also stands for broker faults: left transient.
REFUSALS: tuple[type[Exception], ...] = (
    MessageSizeTooLargeError,
    RecordListTooLargeError,
    RecordTooLargeError,
    InvalidTopicError,
    TopicAuthorizationFailedError,
    CorruptRecordException,
    InvalidTimestampError,
)
# The producer, not the message, is broken: only a new producer recovers.
PRODUCER_BROKEN: tuple[type[Exception], ...] = (
    OutOfOrderSequenceNumber,
    InvalidProducerEpoch,
    InvalidProducerIdMapping,
    UnknownProducerId,
    ProducerFenced,
)


@dataclass(frozen=True)
class SendFailure:
    """Why one message was not delivered.

    ``reached_broker``: the send was queued and its batch failed, so an
    idempotent aiokafka producer's sequence for that partition may now run
    ahead of the broker's (aiokafka does not take the numbers back, unlike the
    Java client), and every later batch there fails with
    OutOfOrderSequenceNumber: replace the producer.
    """

    error: BaseException
    reached_broker: bool

    @property
    def refused(self) -> bool:
        return isinstance(self.error, REFUSALS)

    @property
    def unknown_topic(self) -> bool:
        """The topic was not in the metadata in time: refused only if it really is missing
        (``topic_missing``); a broker that cannot be reached looks the same."""
        return isinstance(self.error, UnknownTopicOrPartitionError)

    @property
    def producer_broken(self) -> bool:
        """The producer's state, not this message, failed it (after another message's
        refusal, the later batches of that partition fail like this)."""
        return isinstance(self.error, PRODUCER_BROKEN)

    @property
    def needs_new_producer(self) -> bool:
        return self.reached_broker or self.producer_broken

    def describe(self) -> str:
        return f"{type(self.error).__name__}: {self.error}"


async def _queue(producer: AIOKafkaProducer, message: OutgoingMessage) -> asyncio.Future[Any]:
    future: asyncio.Future[Any] = await producer.send(
        message.topic, value=message.value, key=message.key, headers=message.headers or None
    )
    return future


async def send_each(
    producer: AIOKafkaProducer, messages: Sequence[OutgoingMessage]
) -> list[SendFailure | None]:
    """Queue every message, then wait for every ack: one outcome per message, in order.

    A message the client refuses before queueing (size over ``max_request_size``,
    a topic missing from the metadata) fails alone; the others still go.
    """
    queued: list[asyncio.Future[Any] | SendFailure] = []
    for message in messages:
        try:
            queued.append(await _queue(producer, message))
        except KafkaError as exc:
            queued.append(SendFailure(exc, reached_broker=False))
    futures = [q for q in queued if not isinstance(q, SendFailure)]
    acks = iter(await asyncio.gather(*futures, return_exceptions=True))
    outcomes: list[SendFailure | None] = []
    for q in queued:
        if isinstance(q, SendFailure):
            outcomes.append(q)
            continue
        ack = next(acks)
        outcomes.append(SendFailure(ack, True) if isinstance(ack, BaseException) else None)
    return outcomes


async def send_one(producer: AIOKafkaProducer, message: OutgoingMessage) -> SendFailure | None:
    """One message alone (its own produce request): a refusal now convicts it."""
    (outcome,) = await send_each(producer, [message])
    return outcome


async def topic_missing(producer: AIOKafkaProducer, topic: str) -> bool:
    """True only when the cluster answers and has no such topic (brokers never
    auto-create topics here); False when the cluster cannot be asked."""
    try:
        metadata = await producer.client.fetch_all_metadata()
    except (KafkaError, OSError):
        return False
    return topic not in metadata.topics()
