"""Consumer helper: decode envelopes, dead-letter poison, drop duplicates.

Offsets are committed only after every record of a fetched batch was handled
(the caller's loop body finished for each), so a crash redelivers rather than
loses; the ``Deduplicator`` then drops what was already processed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import ConsumerRecord

from sluice_messaging.dedup import Deduplicator
from sluice_messaging.envelope import Envelope, decode
from sluice_messaging.errors import EnvelopeError

InvalidHandler = Callable[[ConsumerRecord[bytes, bytes], EnvelopeError], Awaitable[object]]
# 500 records per fetch: enough to amortise the poll, small enough that a
# crash redelivers at most one batch per partition set.
DEFAULT_MAX_RECORDS = 500


def create_consumer(
    bootstrap_servers: str, *topics: str, group_id: str | None, **overrides: Any
) -> AIOKafkaConsumer:
    """An unstarted consumer: manual commits, start from the earliest offset.
    ``group_id=None``: no group, nothing committed; assign partitions yourself."""
    options: dict[str, Any] = {
        "bootstrap_servers": bootstrap_servers,
        "group_id": group_id,
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
    }
    options.update(overrides)
    return AIOKafkaConsumer(*topics, **options)


@dataclass(frozen=True)
class Delivery:
    record: ConsumerRecord[bytes, bytes]
    envelope: Envelope


class EnvelopeConsumer:
    """Iterate ``Delivery`` objects: valid, first-seen envelopes only."""

    def __init__(
        self,
        consumer: AIOKafkaConsumer,
        *,
        dedup: Deduplicator | None = None,
        on_invalid: InvalidHandler | None = None,
        max_records: int = DEFAULT_MAX_RECORDS,
    ) -> None:
        self.consumer = consumer
        self.dedup = dedup or Deduplicator()
        self._on_invalid = on_invalid
        self._max_records = max_records
        self.invalid_count = 0

    async def _accept(self, record: ConsumerRecord[bytes, bytes]) -> Envelope | None:
        try:
            envelope = decode(record.value)
        except EnvelopeError as exc:
            self.invalid_count += 1
            if self._on_invalid is not None:
                await self._on_invalid(record, exc)
            return None
        if await self.dedup.is_duplicate(envelope):
            return None
        return envelope

    async def deliveries(self, timeout_ms: int = 1000) -> AsyncIterator[Delivery]:
        """Yield forever; each record counts as processed when the loop asks for the next."""
        while True:
            batches = await self.consumer.getmany(
                timeout_ms=timeout_ms, max_records=self._max_records
            )
            for records in batches.values():
                for record in records:
                    envelope = await self._accept(record)
                    if envelope is None:
                        continue
                    yield Delivery(record, envelope)
                    self.dedup.mark_processed(envelope)
            if batches:
                await self.consumer.commit()
