"""Events stored once; waits closed by exactly one transition; due-timer claims."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from sluice_storage import (
    EventRepository,
    NewEvent,
    NewWait,
    WaitRepository,
    claim_due_waits,
    transaction,
)

pytestmark = pytest.mark.integration
NOW = datetime(2025, 6, 1, tzinfo=UTC)


def _event(**kw: Any) -> NewEvent:
    return NewEvent(uuid.uuid4(), "TICKET_UPDATED", "k", {"x": 1}, NOW, **kw)


async def test_store_deduplicates_by_idempotency_key(pool: asyncpg.Pool, tenant_id: str) -> None:
    async with transaction(pool) as conn:
        repo = EventRepository(conn, tenant_id)
        first, created = await repo.store(_event(idempotency_key="once"))
        again, created_again = await repo.store(_event(idempotency_key="once"))
    assert created
    assert not created_again
    assert again.event_id == first.event_id


async def test_store_deduplicates_by_kafka_position(pool: asyncpg.Pool, tenant_id: str) -> None:
    position = ("wf.events", 2, 1234)
    async with transaction(pool) as conn:
        repo = EventRepository(conn, tenant_id)
        first, _ = await repo.store(_event(kafka_position=position, source="kafka"))
        again, created = await repo.store(_event(kafka_position=position, source="kafka"))
    assert not created
    assert again.event_id == first.event_id
    assert again.kafka_offset == 1234


async def test_oldest_unmatched_event_matches_once(pool: asyncpg.Pool, tenant_id: str) -> None:
    run_id = uuid.uuid4()
    async with transaction(pool) as conn:
        repo = EventRepository(conn, tenant_id)
        await repo.lock_key("TICKET_UPDATED", "k")
        old, _ = await repo.store(_event())
        await repo.store(dataclasses.replace(_event(), received_at=NOW + timedelta(seconds=5)))
        found = await repo.oldest_unmatched(
            "TICKET_UPDATED", "k", received_after=NOW - timedelta(minutes=10), now=NOW
        )
        assert found is not None
        assert found.event_id == old.event_id
        assert await repo.mark_matched(old.event_id, run_id)
        assert not await repo.mark_matched(old.event_id, uuid.uuid4())
        stored = await repo.get(old.event_id)
    assert stored is not None
    assert stored.matched
    assert stored.resumed_run_id == run_id


async def test_oldest_unmatched_skips_events_that_started_the_run(
    pool: asyncpg.Pool, tenant_id: str
) -> None:
    run_id = uuid.uuid4()
    async with transaction(pool) as conn:
        repo = EventRepository(conn, tenant_id)
        started_it, _ = await repo.store(_event())
        await repo.record_started(started_it.event_id, [run_id])
        found = await repo.oldest_unmatched(
            "TICKET_UPDATED", "k", received_after=NOW, now=NOW, exclude_started_run=run_id
        )
    assert found is None


async def test_concurrent_transitions_close_a_wait_exactly_once(
    pool: asyncpg.Pool, tenant_id: str
) -> None:
    wait = NewWait(uuid.uuid4(), uuid.uuid4(), "event", NOW, event_name="E", correlation_key="k")
    async with transaction(pool) as conn:
        await WaitRepository(conn, tenant_id).register(wait)

    async def attempt(status: str, by: str) -> bool:
        async with transaction(pool) as conn:
            won = await WaitRepository(conn, tenant_id).close(
                wait.wait_id, status, now=NOW, resolved_by=by
            )
            return won is not None

    results = await asyncio.gather(
        attempt("RESOLVED", "event"), attempt("FIRED", "timer"), attempt("CANCELED", "cancel")
    )
    assert sorted(results) == [False, False, True]
    async with pool.acquire() as conn:
        final = await WaitRepository(conn, tenant_id).get(wait.wait_id)
    assert final is not None
    assert final.status in {"RESOLVED", "FIRED", "CANCELED"}


async def test_register_is_idempotent_and_oldest_open_wait_comes_first(
    pool: asyncpg.Pool, tenant_id: str
) -> None:
    run = uuid.uuid4()
    older = NewWait(uuid.uuid4(), run, "event", NOW, event_name="E", correlation_key="k")
    newer = NewWait(
        uuid.uuid4(), run, "event", NOW + timedelta(seconds=1), event_name="E", correlation_key="k"
    )
    async with transaction(pool) as conn:
        repo = WaitRepository(conn, tenant_id)
        await repo.register(newer)
        await repo.register(older)
        await repo.register(older)
        oldest = await repo.oldest_open_for_event("E", "k")
        page = await repo.list_for_run(run)
    assert oldest is not None
    assert oldest.wait_id == older.wait_id
    assert [w.wait_id for w in page.items] == [older.wait_id, newer.wait_id]


async def test_claim_due_waits_fires_each_due_wait_once(pool: asyncpg.Pool, tenant_id: str) -> None:
    past = datetime(2000, 1, 1, tzinfo=UTC)
    waits = [
        NewWait(uuid.uuid4(), uuid.uuid4(), "timer", past, due_at=past + timedelta(seconds=i))
        for i in range(6)
    ]
    later = NewWait(uuid.uuid4(), uuid.uuid4(), "timer", past, due_at=NOW + timedelta(days=365))
    async with transaction(pool) as conn:
        for wait in [*waits, later]:
            await WaitRepository(conn, tenant_id).register(wait)

    async def claim() -> list[uuid.UUID]:
        async with transaction(pool) as conn:
            claimed = await claim_due_waits(conn, NOW, limit=10_000)
        return [w.wait_id for w in claimed if w.tenant_id == tenant_id]

    batches = await asyncio.gather(claim(), claim(), claim())
    claimed_ids = [wait_id for batch in batches for wait_id in batch]
    assert sorted(claimed_ids) == sorted(w.wait_id for w in waits)
    async with pool.acquire() as conn:
        not_due = await WaitRepository(conn, tenant_id).get(later.wait_id)
    assert not_due is not None
    assert not_due.status == "OPEN"
