"""Duplicate dropping: bounded LRU and the persistent hook."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sluice_messaging import Deduplicator, Envelope, SeenIds, new_envelope

NOW = datetime(2025, 1, 2, tzinfo=UTC)


def _env() -> Envelope:
    return new_envelope("t", "acme", {}, occurred_at=NOW)


def test_seen_ids_evicts_least_recently_used_past_capacity() -> None:
    seen = SeenIds(2)
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    seen.add(a)
    seen.add(b)
    assert seen.touch(a)  # a becomes most recent, so b is evicted next
    seen.add(c)
    assert a in seen
    assert c in seen
    assert b not in seen
    assert len(seen) == 2


def test_seen_ids_rejects_zero_capacity() -> None:
    with pytest.raises(ValueError, match="capacity"):
        SeenIds(0)


async def test_deduplicator_drops_only_after_mark_processed() -> None:
    dedup = Deduplicator()
    env = _env()
    assert not await dedup.is_duplicate(env)
    assert not await dedup.is_duplicate(env)  # never processed: a retry must go through
    dedup.mark_processed(env)
    assert await dedup.is_duplicate(env)
    assert dedup.duplicates_dropped == 1


async def test_deduplicator_consults_persistent_check_on_lru_miss() -> None:
    durable = {uuid.uuid4()}
    asked: list[uuid.UUID] = []

    async def check(envelope: Envelope) -> bool:
        asked.append(envelope.id)
        return envelope.id in durable

    dedup = Deduplicator(capacity=10, persistent=check)
    known = _env().model_copy(update={"id": next(iter(durable))})
    assert await dedup.is_duplicate(known)
    assert await dedup.is_duplicate(known)  # now cached: the store is not asked again
    assert asked == [known.id]
    assert not await dedup.is_duplicate(_env())
