"""Requeue a dead letter: its original JSON message back onto its topic, via the outbox.

``outbox.enqueue`` takes an ``Envelope``; a dead letter is whatever bytes
failed (maybe a bare event, maybe a broken envelope), so it is re-published
as the JSON it was, in the caller's transaction (committed with the
``requeued_at`` stamp, so the requeue and its message happen together).
"""

from __future__ import annotations

from typing import Any

import asyncpg

from sluice_storage.outbox import NOTIFY_CHANNEL
from sluice_storage.tenancy import check_tenant


async def enqueue_raw(
    conn: asyncpg.Connection,
    tenant_id: str,
    topic: str,
    key: str | None,
    payload: Any,
    headers: dict[str, str] | None = None,
) -> int:
    row_id = await conn.fetchval(
        """INSERT INTO outbox (tenant_id, topic, key, headers, payload)
           VALUES ($1, $2, $3, $4, $5) RETURNING id""",
        check_tenant(tenant_id), topic, key, headers or {}, payload,
    )  # fmt: skip
    await conn.execute("SELECT pg_notify($1, '')", NOTIFY_CHANNEL)
    return int(row_id)
