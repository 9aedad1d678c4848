"""Dropping redelivered messages by envelope id.

At-least-once delivery (relay crashes, rebalances) means the same ``id`` can
arrive twice. A bounded LRU per consumer catches the common case (a batch
re-sent minutes later) cheaply; a pluggable persistent check (for example the
``applied_commands`` table) catches the rest, where correctness demands it.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from sluice_messaging.envelope import Envelope

# 100k ids x ~100 bytes per entry (uuid + OrderedDict node) ~= 10 MB per consumer:
# covers many relay batches of redelivery while staying small.
DEFAULT_LRU_SIZE = 100_000

PersistentCheck = Callable[[Envelope], Awaitable[bool]]
"""Returns True when the message was already processed (durably recorded)."""


class SeenIds:
    """A bounded set of recently seen message ids (least recently used evicted)."""

    def __init__(self, capacity: int = DEFAULT_LRU_SIZE) -> None:
        if capacity < 1:
            raise ValueError("capacity must be >= 1")
        self._capacity = capacity
        self._ids: OrderedDict[uuid.UUID, None] = OrderedDict()

    def __contains__(self, message_id: object) -> bool:
        return message_id in self._ids

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, message_id: uuid.UUID) -> None:
        self._ids[message_id] = None
        self._ids.move_to_end(message_id)
        while len(self._ids) > self._capacity:
            self._ids.popitem(last=False)

    def touch(self, message_id: uuid.UUID) -> bool:
        """True if seen (and refresh its recency)."""
        if message_id in self._ids:
            self._ids.move_to_end(message_id)
            return True
        return False


class Deduplicator:
    """``is_duplicate`` before processing, ``mark_processed`` after success."""

    def __init__(
        self, capacity: int = DEFAULT_LRU_SIZE, persistent: PersistentCheck | None = None
    ) -> None:
        self.seen = SeenIds(capacity)
        self._persistent = persistent
        self.duplicates_dropped = 0

    async def is_duplicate(self, envelope: Envelope) -> bool:
        duplicate = self.seen.touch(envelope.id)
        if not duplicate and self._persistent is not None:
            duplicate = await self._persistent(envelope)
            if duplicate:
                self.seen.add(envelope.id)
        if duplicate:
            self.duplicates_dropped += 1
        return duplicate

    def mark_processed(self, envelope: Envelope) -> None:
        self.seen.add(envelope.id)
