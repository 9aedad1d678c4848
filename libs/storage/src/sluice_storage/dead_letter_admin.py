"""Platform operators' view of dead letters, across tenants and under ``_unknown``.

A poison message whose tenant cannot be read (a non-JSON record an external
producer put on ``wf.events``) is filed under ``_unknown``, which no tenant
token can see (``sluice dead-letters`` is how a platform operator does). These
functions take any tenant string, ``_unknown`` included, and find a letter by
its id alone (a scan of a small table, for a rare operator command).
"""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from sluice_storage.dead_letters import (
    LETTER_COLUMNS,
    NEWEST_FIRST,
    DeadLetterRecord,
    letter_from_row,
)
from sluice_storage.pagination import Page, fetch_page
from sluice_storage.pool import rows_affected


async def list_any_tenant(
    conn: asyncpg.Connection,
    tenant_id: str | None,
    *,
    cursor: str | None = None,
    limit: int | None = None,
) -> Page[DeadLetterRecord]:
    """Newest first; ``tenant_id`` None lists every tenant's."""
    sql = f"SELECT {LETTER_COLUMNS} FROM dead_letters WHERE ($1::text IS NULL OR tenant_id = $1)"
    return await fetch_page(
        conn, NEWEST_FIRST, sql, [tenant_id], cursor=cursor, limit=limit, to_item=letter_from_row
    )


async def find_letter(conn: asyncpg.Connection, letter_id: uuid.UUID) -> DeadLetterRecord | None:
    row = await conn.fetchrow(f"SELECT {LETTER_COLUMNS} FROM dead_letters WHERE id = $1", letter_id)
    return letter_from_row(row) if row else None


async def discard_letter(conn: asyncpg.Connection, letter_id: uuid.UUID) -> bool:
    status: str = await conn.execute("DELETE FROM dead_letters WHERE id = $1", letter_id)
    return rows_affected(status) > 0


async def stamp_requeued(conn: asyncpg.Connection, letter_id: uuid.UUID, now: datetime) -> None:
    await conn.execute("UPDATE dead_letters SET requeued_at = $2 WHERE id = $1", letter_id, now)


async def count_by_tenant(conn: asyncpg.Connection) -> dict[str, int]:
    """Letters not yet requeued, per tenant (``_unknown`` included)."""
    rows = await conn.fetch(
        "SELECT tenant_id, count(*) AS n FROM dead_letters WHERE requeued_at IS NULL "
        "GROUP BY tenant_id"
    )
    return {row["tenant_id"]: int(row["n"]) for row in rows}
