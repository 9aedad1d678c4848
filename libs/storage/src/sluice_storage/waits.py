"""Run waits: registration, the one conditional transition, and the timer claim.

Every transition out of OPEN (event, timer, cancel, task completion) is one
``UPDATE ... WHERE status = 'OPEN' RETURNING``: exactly one caller gets the
row back and only that caller writes a command.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from sluice_storage.pagination import Keyset, Page, fetch_page
from sluice_storage.tenancy import TenantScoped

WAIT_COLUMNS = """tenant_id, wait_id, run_id, kind, step_id, node_path, event_name,
    correlation_key, due_at, status, resolution, resolved_by, accept_earlier_ms, created_at,
    resolved_at"""
OLDEST_FIRST = Keyset("waits", "created_at", "wait_id", descending=False)
CLOSED_STATUSES = frozenset({"RESOLVED", "FIRED", "CANCELED"})


@dataclass(frozen=True)
class WaitRecord:
    tenant_id: str
    wait_id: uuid.UUID
    run_id: uuid.UUID
    kind: str
    step_id: str | None
    node_path: str | None
    event_name: str | None
    correlation_key: str | None
    due_at: datetime | None
    status: str
    resolution: Any
    resolved_by: str | None
    accept_earlier_ms: int | None
    created_at: datetime
    resolved_at: datetime | None


@dataclass(frozen=True)
class NewWait:
    wait_id: uuid.UUID
    run_id: uuid.UUID
    kind: str  # event | human_task | child_run | retry | timer
    created_at: datetime
    step_id: str | None = None
    node_path: str | None = None
    event_name: str | None = None
    correlation_key: str | None = None
    due_at: datetime | None = None
    accept_earlier_ms: int | None = None


def _wait(row: asyncpg.Record) -> WaitRecord:
    return WaitRecord(**dict(row))


class WaitRepository(TenantScoped):
    async def register(self, wait: NewWait) -> WaitRecord:
        """Store an open wait; idempotent on ``wait_id`` (a redelivered command)."""
        row = await self.conn.fetchrow(
            f"""INSERT INTO run_waits (tenant_id, wait_id, run_id, kind, step_id, node_path,
                  event_name, correlation_key, due_at, accept_earlier_ms, created_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                ON CONFLICT (tenant_id, wait_id) DO UPDATE SET wait_id = EXCLUDED.wait_id
                RETURNING {WAIT_COLUMNS}""",
            self.tenant_id, wait.wait_id, wait.run_id, wait.kind, wait.step_id, wait.node_path,
            wait.event_name, wait.correlation_key, wait.due_at, wait.accept_earlier_ms,
            wait.created_at,
        )  # fmt: skip
        return _wait(row)

    async def get(self, wait_id: uuid.UUID) -> WaitRecord | None:
        row = await self.conn.fetchrow(
            f"SELECT {WAIT_COLUMNS} FROM run_waits WHERE tenant_id = $1 AND wait_id = $2",
            self.tenant_id,
            wait_id,
        )
        return _wait(row) if row else None

    async def oldest_open_for_event(
        self, event_name: str, correlation_key: str
    ) -> WaitRecord | None:
        """The oldest open event wait on the key, row-locked (call under the key lock)."""
        row = await self.conn.fetchrow(
            f"""SELECT {WAIT_COLUMNS} FROM run_waits
                WHERE tenant_id = $1 AND event_name = $2 AND correlation_key = $3
                  AND status = 'OPEN' AND kind = 'event'
                ORDER BY created_at, wait_id LIMIT 1 FOR UPDATE""",
            self.tenant_id,
            event_name,
            correlation_key,
        )
        return _wait(row) if row else None

    async def close(
        self,
        wait_id: uuid.UUID,
        status: str,
        *,
        now: datetime,
        resolved_by: str,
        resolution: Any = None,
    ) -> WaitRecord | None:
        """OPEN -> ``status``; the record if this call won, None if the wait was not open."""
        if status not in CLOSED_STATUSES:
            raise ValueError(f"cannot close a wait as {status!r}")
        row = await self.conn.fetchrow(
            f"""UPDATE run_waits SET status = $3, resolution = $4, resolved_by = $5,
                  resolved_at = $6
                WHERE tenant_id = $1 AND wait_id = $2 AND status = 'OPEN'
                RETURNING {WAIT_COLUMNS}""",
            self.tenant_id, wait_id, status, resolution, resolved_by, now,
        )  # fmt: skip
        return _wait(row) if row else None

    async def open_for_run(self, run_id: uuid.UUID) -> list[WaitRecord]:
        rows = await self.conn.fetch(
            f"""SELECT {WAIT_COLUMNS} FROM run_waits
                WHERE tenant_id = $1 AND run_id = $2 AND status = 'OPEN'
                ORDER BY created_at, wait_id""",
            self.tenant_id,
            run_id,
        )
        return [_wait(r) for r in rows]

    async def list_for_run(
        self, run_id: uuid.UUID, *, cursor: str | None = None, limit: int | None = None
    ) -> Page[WaitRecord]:
        sql = f"SELECT {WAIT_COLUMNS} FROM run_waits WHERE tenant_id = $1 AND run_id = $2"
        return await fetch_page(
            self.conn, OLDEST_FIRST, sql, [self.tenant_id, run_id], cursor=cursor, limit=limit,
            to_item=_wait,
        )  # fmt: skip


async def claim_due_waits(conn: asyncpg.Connection, now: datetime, limit: int) -> list[WaitRecord]:
    """Mark up to ``limit`` due open waits FIRED (all tenants) and return them.

    ``SKIP LOCKED`` lets several schedulers claim disjoint sets; call inside the
    transaction that also writes the timer commands to the outbox.
    """
    rows = await conn.fetch(
        f"""UPDATE run_waits w SET status = 'FIRED', resolved_at = $1, resolved_by = 'timer'
            FROM (SELECT tenant_id, wait_id FROM run_waits
                  WHERE status = 'OPEN' AND due_at <= $1
                  ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED) due
            WHERE w.tenant_id = due.tenant_id AND w.wait_id = due.wait_id
            RETURNING {", ".join("w." + c.strip() for c in WAIT_COLUMNS.split(","))}""",
        now,
        limit,
    )
    return [_wait(r) for r in rows]
