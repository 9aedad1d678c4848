"""Tickets: unique gap-free numbers under concurrency, idempotent creation, tenant scoping."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest
from sluice_helpdesk import NewTicket, TicketRepository, format_ticket_number, keys

pytestmark = pytest.mark.integration


async def _create(
    pool: asyncpg.Pool, tenant: str, title: str, key: str | None
) -> tuple[str, str, bool]:
    async with pool.acquire() as conn, conn.transaction():
        ticket, created = await TicketRepository(conn, tenant).create(
            NewTicket(title=title), idempotency_key=key
        )
    return ticket.ticket_id, ticket.ticket_number, created


async def test_ticket_numbers_unique_under_20_concurrent_creates(
    pool: asyncpg.Pool, tenant_id: str
) -> None:
    results = await asyncio.gather(*(_create(pool, tenant_id, f"t{i}", None) for i in range(20)))
    numbers = sorted(number for _, number, _ in results)
    assert numbers == [format_ticket_number(n) for n in range(1, 21)]
    assert all(created for _, _, created in results)


async def test_ticket_same_key_concurrently_creates_one_without_gap(
    pool: asyncpg.Pool, tenant_id: str
) -> None:
    key = keys.ticket_key("prov-1", "<m1@x.example>")
    results = await asyncio.gather(*(_create(pool, tenant_id, "same", key) for _ in range(10)))
    assert len({ticket_id for ticket_id, _, _ in results}) == 1
    assert sum(created for _, _, created in results) == 1
    _, next_number, _ = await _create(pool, tenant_id, "next", None)
    assert next_number == format_ticket_number(2)  # the losers' counter increments rolled back


async def test_ticket_key_is_normalised_message_id(pool: asyncpg.Pool, tenant_id: str) -> None:
    first = await _create(pool, tenant_id, "a", keys.ticket_key("p", "<m2@x>"))
    again = await _create(pool, tenant_id, "a", keys.ticket_key("p", " m2@x "))
    assert first[0] == again[0]
    assert again[2] is False


async def test_ticket_numbers_are_per_tenant_and_scoped(pool: asyncpg.Pool, tenant_id: str) -> None:
    other = f"t-{uuid.uuid4().hex[:12]}"
    mine = await _create(pool, tenant_id, "mine", "k")
    theirs = await _create(pool, other, "theirs", "k")
    assert mine[1] == theirs[1] == format_ticket_number(1)
    assert mine[0] != theirs[0]
    async with pool.acquire() as conn:
        assert await TicketRepository(conn, other).get(mine[0]) is None
        listed = await TicketRepository(conn, tenant_id).list()
    assert [t.title for t in listed] == ["mine"]


async def test_ticket_list_filters_by_status(pool: asyncpg.Pool, tenant_id: str) -> None:
    async with pool.acquire() as conn:
        repo = TicketRepository(conn, tenant_id)
        await repo.create(NewTicket(title="open one", status="open"))
        await repo.create(NewTicket(title="closed one", status="closed"))
        found = await repo.list(status="open")
    assert [t.title for t in found] == ["open one"]
