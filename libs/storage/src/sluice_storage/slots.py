"""Concurrency slots of a workflow key, read under the key's lock (``sluice_engine.concurrency``).

A slot is a run of the workflow in flight (RUNNING or WAITING) with that
``concurrency_key``; the queue is its QUEUED runs in ``queue_seq`` order. Nothing
is counted in process memory: every start, begin and completion of a limited
workflow takes the transaction-scoped advisory lock of its key and counts here,
so two processes (two interpreters, an API and an interpreter) never both see
the last slot free.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from sluice_storage.tenancy import TenantScoped

COUNTS = """
SELECT
  (SELECT count(*) FROM workflow_runs WHERE tenant_id = $1 AND workflow_id = $2
     AND concurrency_key = $3 AND status IN ('RUNNING', 'WAITING')
     AND NOT run_id = ANY($4::uuid[])) AS in_flight,
  (SELECT count(*) FROM workflow_runs WHERE tenant_id = $1 AND workflow_id = $2
     AND concurrency_key = $3 AND status = 'QUEUED'
     AND NOT run_id = ANY($4::uuid[])) AS queued"""


def slot_lock_id(tenant_id: str, workflow_id: uuid.UUID, key: str) -> int:
    """A signed 64-bit advisory-lock id for a workflow key (a namespace of its own: the
    JSON array starts with ``"concurrency"``, so it never equals an event key's id)."""
    digest = hashlib.sha256(json.dumps(["concurrency", tenant_id, str(workflow_id), key]).encode())
    return int.from_bytes(digest.digest()[:8], "big", signed=True)


@dataclass(frozen=True)
class SlotCounts:
    in_flight: int
    queued: int


@dataclass(frozen=True)
class QueuedKey:
    """A workflow key with runs queued (the scheduler's sweep)."""

    tenant_id: str
    workflow_id: uuid.UUID
    key: str
    oldest_run_id: uuid.UUID


class SlotRepository(TenantScoped):
    async def lock(self, workflow_id: uuid.UUID, key: str) -> None:
        """Serialise every start, begin and completion on this key until the transaction
        ends (re-entrant within it)."""
        await self.conn.execute(
            "SELECT pg_advisory_xact_lock($1)", slot_lock_id(self.tenant_id, workflow_id, key)
        )

    async def counts(
        self, workflow_id: uuid.UUID, key: str, excluding: Sequence[uuid.UUID] = ()
    ) -> SlotCounts:
        """Runs in flight and queued on the key, not counting ``excluding`` (runs the
        caller counts itself: written in its transaction, not flushed yet)."""
        row = await self.conn.fetchrow(COUNTS, self.tenant_id, workflow_id, key, list(excluding))
        return SlotCounts(int(row["in_flight"]), int(row["queued"]))

    async def oldest_queued(
        self, workflow_id: uuid.UUID, key: str, limit: int, excluding: Sequence[uuid.UUID] = ()
    ) -> list[uuid.UUID]:
        """The ``limit`` oldest QUEUED runs of the key (arrival order)."""
        rows = await self.conn.fetch(
            """SELECT run_id FROM workflow_runs
               WHERE tenant_id = $1 AND workflow_id = $2 AND concurrency_key = $3
                 AND status = 'QUEUED' AND NOT run_id = ANY($5::uuid[])
               ORDER BY queue_seq LIMIT $4""",
            self.tenant_id, workflow_id, key, limit, list(excluding),
        )  # fmt: skip
        return [r["run_id"] for r in rows]


async def queued_keys(
    conn: asyncpg.Connection, unchanged_since: datetime, limit: int
) -> list[QueuedKey]:
    """Keys with queued runs, every tenant (the scheduler's safety sweep): the oldest run
    of each, if it has not changed since ``unchanged_since``."""
    rows = await conn.fetch(
        """SELECT * FROM (
             SELECT DISTINCT ON (tenant_id, workflow_id, concurrency_key)
                    tenant_id, workflow_id, concurrency_key AS key, run_id AS oldest_run_id,
                    updated_at
             FROM workflow_runs WHERE status = 'QUEUED'
             ORDER BY tenant_id, workflow_id, concurrency_key, queue_seq) oldest
           WHERE updated_at < $1 LIMIT $2""",
        unchanged_since, limit,
    )  # fmt: skip
    return [QueuedKey(r["tenant_id"], r["workflow_id"], r["key"], r["oldest_run_id"]) for r in rows]
