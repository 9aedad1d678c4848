"""Transactional outbox: messages committed in the same transaction as the
state change that implies them (ARCHITECTURE consistency rule 1).

``enqueue`` runs inside the caller's transaction and also issues
``pg_notify('sluice_outbox', '')``: PostgreSQL delivers it only on commit (and
folds repeats within one transaction into one), so the relay wakes exactly
when there is something committed to send. The relay side (claim, mark sent
or refused, prune) is below; ``sluice_engine.relay`` drives it.

A row is pending (``sent_at`` and ``failed_at`` both NULL), sent, or refused
(``failed_at`` set: Kafka will never take it; ``last_error`` says why and the
row is also a dead letter). Only pending rows are claimed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import asyncpg

from sluice_storage.pool import rows_affected
from sluice_storage.tenancy import check_tenant

NOTIFY_CHANNEL = "sluice_outbox"


class WireMessage(Protocol):
    """A message as the outbox stores it (``sluice_messaging.Envelope``: storage does not
    import messaging, it only needs the JSON form)."""

    def wire(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class OutboxMessage:
    topic: str
    key: str | None
    message: WireMessage
    headers: dict[str, str] = field(default_factory=dict)


def wire_row(message: OutboxMessage) -> dict[str, Any]:
    """``message`` as one element of a JSON array of rows (multi-row inserts)."""
    return {
        "topic": message.topic,
        "key": message.key,
        "headers": message.headers,
        "payload": message.message.wire(),
    }


@dataclass(frozen=True)
class ClaimedRow:
    """An unsent row as the relay needs it: payload already JSON text."""

    id: int
    tenant_id: str
    topic: str
    key: str | None
    headers: dict[str, str]
    payload: str


async def enqueue(
    conn: asyncpg.Connection,
    tenant_id: str,
    topic: str,
    key: str | None,
    message: WireMessage,
    headers: dict[str, str] | None = None,
    *,
    notify: bool = True,
) -> int:
    """Add one message to the outbox in the caller's transaction; returns its id.

    ``notify=False`` skips the wake-up: NOTIFY takes a cluster-wide lock at
    commit, so a very hot writer may prefer the relay's 1 s poll instead.
    """
    row_id = await conn.fetchval(
        """INSERT INTO outbox (tenant_id, topic, key, headers, payload)
           VALUES ($1, $2, $3, $4, $5) RETURNING id""",
        check_tenant(tenant_id), topic, key, headers or {}, message.wire(),
    )  # fmt: skip
    if notify:
        await conn.execute("SELECT pg_notify($1, '')", NOTIFY_CHANNEL)
    return int(row_id)


async def enqueue_many(
    conn: asyncpg.Connection, tenant_id: str, messages: Sequence[OutboxMessage]
) -> None:
    """Several messages in one round trip (one notify for all)."""
    check_tenant(tenant_id)
    await conn.executemany(
        """INSERT INTO outbox (tenant_id, topic, key, headers, payload)
           VALUES ($1, $2, $3, $4, $5)""",
        [(tenant_id, m.topic, m.key, m.headers, m.message.wire()) for m in messages],
    )
    await conn.execute("SELECT pg_notify($1, '')", NOTIFY_CHANNEL)


async def claim_batch(conn: asyncpg.Connection, limit: int) -> list[ClaimedRow]:
    """Lock the oldest unsent rows no other relay holds (call inside a transaction).

    Cross-tenant on purpose: the relay is infrastructure and serves all tenants.
    ``payload::text`` skips decoding JSON only to encode it again.
    """
    rows = await conn.fetch(
        """SELECT id, tenant_id, topic, key, headers, payload::text AS payload FROM outbox
           WHERE sent_at IS NULL AND failed_at IS NULL
           ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED""",
        limit,
    )
    return [ClaimedRow(**dict(r)) for r in rows]


async def mark_sent(conn: asyncpg.Connection, ids: Sequence[int]) -> int:
    result: str = await conn.execute(
        "UPDATE outbox SET sent_at = now() WHERE sent_at IS NULL AND id = ANY($1::bigint[])",
        list(ids),
    )
    return rows_affected(result)


async def mark_refused(conn: asyncpg.Connection, row_id: int, error: str) -> bool:
    """Stop publishing a row Kafka refuses for good (the claim skips it from now on)."""
    done = await conn.fetchval(
        """UPDATE outbox SET failed_at = now(), last_error = $2, attempts = attempts + 1
           WHERE id = $1 AND sent_at IS NULL AND failed_at IS NULL RETURNING true""",
        row_id, error,
    )  # fmt: skip
    return bool(done)


async def note_failed_attempt(conn: asyncpg.Connection, ids: Sequence[int], error: str) -> None:
    """Count a failed round against its rows (they stay pending and are retried)."""
    await conn.execute(
        """UPDATE outbox SET attempts = attempts + 1, last_error = $2
           WHERE sent_at IS NULL AND failed_at IS NULL AND id = ANY($1::bigint[])""",
        list(ids), error,
    )  # fmt: skip


async def prune_sent(
    conn: asyncpg.Connection, sent_before: datetime, limit: int | None = None
) -> int:
    """Delete rows sent before ``sent_before``, oldest first, at most ``limit`` (retention
    calls it in batches so no delete holds locks for long)."""
    result: str = await conn.execute(
        """DELETE FROM outbox WHERE (tenant_id, id) IN (
             SELECT tenant_id, id FROM outbox WHERE sent_at IS NOT NULL AND sent_at < $1
             ORDER BY sent_at LIMIT $2)""",
        sent_before, limit,
    )  # fmt: skip
    return rows_affected(result)


async def unsent_count(conn: asyncpg.Connection, tenant_id: str | None = None) -> int:
    """Rows still to publish (refused rows are not counted: nothing will send them)."""
    count: Any = await conn.fetchval(
        """SELECT count(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL
           AND ($1::text IS NULL OR tenant_id = $1)""",
        tenant_id,
    )
    return int(count)
