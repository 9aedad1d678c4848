"""A Kafka producer its owner can throw away: started on first use, replaced after a failure.

An owner that may have to replace its producer gets a factory, not a started
producer: when the broker fails a batch of an idempotent aiokafka producer,
the producer has already counted that batch in the partition's sequence and
does not take it back, so every later batch to that partition fails with
OutOfOrderSequenceNumber (checked here against Kafka 4: one oversized record,
then every small one refused). A new producer gets a new producer id and a
clean sequence. Failures are rare, so the cost (one metadata round and an
InitProducerId) does not matter. ``SendFailure.needs_new_producer``
(``delivery``) says when to ``renew``.

Owners: the outbox relay (``sluice_engine.relay``) and the dead-letter
publisher (``dlq``), each with a producer of its own so that a refusal on one
never breaks the other's sends.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from aiokafka import AIOKafkaProducer

log = logging.getLogger(__name__)
ProducerFactory = Callable[[], AIOKafkaProducer]  # an unstarted producer


class RenewableProducer:
    """The current producer of ``owner`` (a name for the logs); ``renewals`` counts replacements."""

    def __init__(self, factory: ProducerFactory, owner: str = "producer") -> None:
        self._factory = factory
        self._owner = owner
        self._producer: AIOKafkaProducer | None = None
        self.renewals = 0

    async def get(self) -> AIOKafkaProducer:
        if self._producer is None:
            producer = self._factory()
            try:
                await producer.start()
            except BaseException:  # no broker: do not leak its half-open client
                await producer.stop()
                raise
            self._producer = producer
        return self._producer

    async def renew(self) -> None:
        """Drop the current producer; the next ``get`` starts a fresh one."""
        if self._producer is None:
            return
        self.renewals += 1
        log.warning("%s: replacing its Kafka producer after a failed send", self._owner)
        await self.close()

    async def close(self) -> None:
        """Stop the producer (``stop`` flushes whatever is still queued)."""
        producer, self._producer = self._producer, None
        if producer is not None:
            await producer.stop()
