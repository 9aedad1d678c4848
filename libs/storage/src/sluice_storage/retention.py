"""Retention: policies, legal holds, and the purge that applies them (SPEC 10).

The purge works tenant by tenant in bounded batches, each its own short
transaction, so it never holds locks long enough to stall live traffic: a
batch takes at most ``batch`` final runs that are past their policy's days
and not on legal hold (``FOR UPDATE SKIP LOCKED``: a run some other work has
locked is simply left for the next round) and deletes them with their
history; then events (never one still buffered for a wait) and dead letters
past their days; then finished operations (bulk controls, exports: an export's lines
hold runs' history) past the tenant's runs days. The audit log is never touched (the
database refuses it).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import asyncpg

from sluice_storage.audit import AuditRepository
from sluice_storage.http_idempotency import prune_expired_keys
from sluice_storage.outbox import prune_sent
from sluice_storage.pool import rows_affected, transaction
from sluice_storage.tenancy import TenantScoped

TENANT_DEFAULT = "*"
PURGE_ACTOR = "retention"  # the audit entries' actor
# Every table holding a run's history, keyed by (tenant_id, run_id); the run row last.
RUN_TABLES = (
    "run_steps", "run_snapshots", "run_logs", "run_events", "applied_commands", "run_waits",
    "action_invocations", "action_jobs", "human_tasks", "legal_holds", "schedule_ticks",
    "workflow_runs",
)  # fmt: skip
POLICY_COLUMNS = "scope, runs_days, events_days, dead_letters_days, updated_at, updated_by"


@dataclass(frozen=True)
class RetentionPolicy:
    scope: str  # TENANT_DEFAULT or a workflow id
    runs_days: int
    events_days: int
    dead_letters_days: int
    updated_at: datetime | None = None
    updated_by: str | None = None


@dataclass(frozen=True)
class LegalHold:
    run_id: uuid.UUID
    placed_at: datetime
    placed_by: str
    reason: str


@dataclass
class PurgeCounts:
    runs: int = 0
    events: int = 0
    dead_letters: int = 0
    operations: int = 0
    by_workflow: dict[str, int] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.runs or self.events or self.dead_letters or self.operations)


class RetentionRepository(TenantScoped):
    async def policies(self) -> list[RetentionPolicy]:
        rows = await self.conn.fetch(
            f"SELECT {POLICY_COLUMNS} FROM retention_policies WHERE tenant_id = $1 ORDER BY scope",
            self.tenant_id,
        )
        return [RetentionPolicy(**dict(row)) for row in rows]

    async def put_policy(self, policy: RetentionPolicy, *, now: datetime, by: str) -> None:
        await self.conn.execute(
            """INSERT INTO retention_policies (tenant_id, scope, runs_days, events_days,
                 dead_letters_days, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7)
               ON CONFLICT (tenant_id, scope) DO UPDATE SET runs_days = EXCLUDED.runs_days,
                 events_days = EXCLUDED.events_days,
                 dead_letters_days = EXCLUDED.dead_letters_days,
                 updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by""",
            self.tenant_id, policy.scope, policy.runs_days, policy.events_days,
            policy.dead_letters_days, now, by,
        )  # fmt: skip

    async def delete_policy(self, scope: str) -> bool:
        result: str = await self.conn.execute(
            "DELETE FROM retention_policies WHERE tenant_id = $1 AND scope = $2",
            self.tenant_id, scope,
        )  # fmt: skip
        return rows_affected(result) > 0

    async def hold(self, run_id: uuid.UUID) -> LegalHold | None:
        row = await self.conn.fetchrow(
            """SELECT run_id, placed_at, placed_by, reason FROM legal_holds
               WHERE tenant_id = $1 AND run_id = $2""",
            self.tenant_id, run_id,
        )  # fmt: skip
        return LegalHold(**dict(row)) if row else None

    async def place_hold(
        self, run_id: uuid.UUID, *, now: datetime, by: str, reason: str
    ) -> LegalHold:
        """Place (or keep: the first hold's time and reason stay) a hold on ``run_id``."""
        await self.conn.execute(
            """INSERT INTO legal_holds (tenant_id, run_id, placed_at, placed_by, reason)
               VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant_id, run_id) DO NOTHING""",
            self.tenant_id, run_id, now, by, reason,
        )  # fmt: skip
        held = await self.hold(run_id)
        assert held is not None  # inserted or already there, in this transaction
        return held

    async def release_hold(self, run_id: uuid.UUID) -> bool:
        result: str = await self.conn.execute(
            "DELETE FROM legal_holds WHERE tenant_id = $1 AND run_id = $2", self.tenant_id, run_id
        )
        return rows_affected(result) > 0

    async def purge_runs(self, now: datetime, default_days: int, batch: int) -> dict[str, int]:
        """One batch of expired final runs deleted with their history: runs per workflow."""
        rows = await self.conn.fetch(
            """SELECT r.run_id, r.workflow_id::text AS workflow_id FROM workflow_runs r
               WHERE r.tenant_id = $1 AND r.completed_at IS NOT NULL
                 AND r.completed_at < $2::timestamptz - make_interval(days => COALESCE(
                       (SELECT p.runs_days FROM retention_policies p WHERE p.tenant_id = $1
                          AND p.scope = r.workflow_id::text),
                       (SELECT p.runs_days FROM retention_policies p WHERE p.tenant_id = $1
                          AND p.scope = '*'),
                       $3))
                 AND NOT EXISTS (SELECT 1 FROM legal_holds h
                                 WHERE h.tenant_id = $1 AND h.run_id = r.run_id)
               ORDER BY r.completed_at LIMIT $4
               FOR UPDATE OF r SKIP LOCKED""",
            self.tenant_id, now, default_days, batch,
        )  # fmt: skip
        if not rows:
            return {}
        run_ids = [row["run_id"] for row in rows]
        for table in RUN_TABLES:
            await self.conn.execute(
                f"DELETE FROM {table} WHERE tenant_id = $1 AND run_id = ANY($2::uuid[])",
                self.tenant_id, run_ids,
            )  # fmt: skip
        per_workflow: dict[str, int] = {}
        for row in rows:
            per_workflow[row["workflow_id"]] = per_workflow.get(row["workflow_id"], 0) + 1
        return per_workflow

    async def purge_events(self, now: datetime, default_days: int, batch: int) -> int:
        """One batch of old events; an unmatched event still buffered for a wait stays."""
        days = await self._tenant_days("events_days", default_days)
        return rows_affected(await self.conn.execute(
            """DELETE FROM events WHERE tenant_id = $1 AND event_id = ANY(ARRAY(
                 SELECT event_id FROM events WHERE tenant_id = $1 AND received_at < $2
                   AND (expires_at IS NULL OR expires_at < $3)
                 ORDER BY received_at LIMIT $4))""",
            self.tenant_id, now - timedelta(days=days), now, batch,
        ))  # fmt: skip

    async def purge_dead_letters(self, now: datetime, default_days: int, batch: int) -> int:
        days = await self._tenant_days("dead_letters_days", default_days)
        return rows_affected(await self.conn.execute(
            """DELETE FROM dead_letters WHERE tenant_id = $1 AND id = ANY(ARRAY(
                 SELECT id FROM dead_letters WHERE tenant_id = $1 AND created_at < $2
                 ORDER BY created_at LIMIT $3))""",
            self.tenant_id, now - timedelta(days=days), batch,
        ))  # fmt: skip

    async def purge_operation_items(self, now: datetime, default_days: int, batch: int) -> int:
        """One batch of the items of operations finished longer ago than the tenant's runs
        days (an export's lines hold runs' history: they go as the runs would)."""
        days = await self._tenant_days("runs_days", default_days)
        return rows_affected(await self.conn.execute(
            """DELETE FROM operation_items i USING (
                 SELECT i.operation_id, i.seq FROM operations o JOIN operation_items i
                   ON i.tenant_id = o.tenant_id AND i.operation_id = o.operation_id
                 WHERE o.tenant_id = $1 AND o.status = 'COMPLETED' AND o.finished_at < $2
                 LIMIT $3) old
               WHERE i.tenant_id = $1 AND i.operation_id = old.operation_id AND i.seq = old.seq""",
            self.tenant_id, now - timedelta(days=days), batch,
        ))  # fmt: skip

    async def purge_operations(self, now: datetime, default_days: int, batch: int) -> int:
        """One batch of finished operations past the tenant's runs days (items gone first)."""
        days = await self._tenant_days("runs_days", default_days)
        return rows_affected(await self.conn.execute(
            """DELETE FROM operations WHERE tenant_id = $1 AND operation_id = ANY(ARRAY(
                 SELECT operation_id FROM operations WHERE tenant_id = $1
                   AND status = 'COMPLETED' AND finished_at < $2 LIMIT $3))""",
            self.tenant_id, now - timedelta(days=days), batch,
        ))  # fmt: skip

    async def _tenant_days(self, column: str, default_days: int) -> int:
        days = await self.conn.fetchval(
            f"SELECT {column} FROM retention_policies WHERE tenant_id = $1 AND scope = '*'",
            self.tenant_id,
        )
        return int(days) if days is not None else default_days


# One batch of one kind: (repository, now, default days, batch size) -> rows deleted.
PurgeBatch = Callable[["RetentionRepository", datetime, int, int], Awaitable[int]]


@dataclass(frozen=True)
class PurgeSettings:
    """``default_days`` where no policy says otherwise; ``batch`` rows per transaction;
    ``pause_s`` between batches, so live traffic gets the database in between."""

    default_days: int = 30
    batch: int = 500
    pause_s: float = 0.05
    outbox_keep: timedelta = timedelta(hours=24)


async def _drain(
    pool: asyncpg.Pool, settings: PurgeSettings, batch: Callable[..., Awaitable[int]]
) -> int:
    """Run ``batch(conn)`` in its own transaction until it deletes less than a full batch."""
    total = 0
    while True:
        async with transaction(pool) as conn:
            deleted = await batch(conn)
        total += deleted
        if deleted < settings.batch:
            return total
        await asyncio.sleep(settings.pause_s)


async def purge_tenant(
    pool: asyncpg.Pool, tenant_id: str, now: datetime, settings: PurgeSettings
) -> PurgeCounts:
    """Everything of ``tenant_id`` past its retention; one audit entry when anything went."""
    counts = PurgeCounts()

    async def runs(conn: asyncpg.Connection) -> int:
        per_workflow = await RetentionRepository(conn, tenant_id).purge_runs(
            now, settings.default_days, settings.batch
        )
        for workflow_id, n in per_workflow.items():
            counts.by_workflow[workflow_id] = counts.by_workflow.get(workflow_id, 0) + n
        return sum(per_workflow.values())

    def batches(purge: PurgeBatch) -> Callable[[asyncpg.Connection], Awaitable[int]]:
        async def one(conn: asyncpg.Connection) -> int:
            return await purge(RetentionRepository(conn, tenant_id), now, settings.default_days,
                               settings.batch)  # fmt: skip

        return one

    repo = RetentionRepository
    counts.runs = await _drain(pool, settings, runs)
    counts.events = await _drain(pool, settings, batches(repo.purge_events))
    counts.dead_letters = await _drain(pool, settings, batches(repo.purge_dead_letters))
    await _drain(pool, settings, batches(repo.purge_operation_items))
    counts.operations = await _drain(pool, settings, batches(repo.purge_operations))
    if counts:
        async with transaction(pool) as conn:
            await AuditRepository(conn, tenant_id).append(
                at=now, subject=PURGE_ACTOR, action="retention.purge", target=tenant_id,
                details={"runs": counts.runs, "events": counts.events,
                         "deadLetters": counts.dead_letters, "operations": counts.operations,
                         "runsByWorkflow": counts.by_workflow},
            )  # fmt: skip
    return counts


async def purge_expired(
    pool: asyncpg.Pool, now: datetime, settings: PurgeSettings
) -> dict[str, PurgeCounts]:
    """One retention round over every tenant, then sent outbox rows and expired keys."""
    async with pool.acquire() as conn:
        names = [row["tenant_id"] for row in await conn.fetch("SELECT tenant_id FROM tenants")]
    purged = {tenant: await purge_tenant(pool, tenant, now, settings) for tenant in names}

    async def outbox(conn: asyncpg.Connection) -> int:
        return await prune_sent(conn, now - settings.outbox_keep, settings.batch)

    async def keys(conn: asyncpg.Connection) -> int:
        return await prune_expired_keys(conn, now, settings.batch)

    await _drain(pool, settings, outbox)
    await _drain(pool, settings, keys)
    return {tenant: counts for tenant, counts in purged.items() if counts}
