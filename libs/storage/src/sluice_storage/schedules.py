"""Schedule triggers in PostgreSQL: one schedule row per scheduled definition,
one tick row per fired tick (its primary key makes a tick start one run).

``DefinitionRepository.publish`` keeps ``workflow_schedules`` in step with the
latest published version (``sync``). The scheduler claims due rows across
tenants with ``FOR UPDATE SKIP LOCKED`` (``claim_due_schedules``), so two
schedulers never plan the same schedule at once; the tick's unique key is
the second guard (a cursor moved back by hand, a replica with a skewed clock).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from sluice_storage.tenancy import TenantScoped

SCHEDULE_COLUMNS = """tenant_id, workflow_id, workflow_version, cron, timezone, catch_up,
    cursor_at, next_due_at, last_fired_at, updated_at"""
TICK_COLUMNS = "tenant_id, workflow_id, tick_at, run_id, outcome, late, reason, fired_at"


@dataclass(frozen=True)
class ScheduleRecord:
    tenant_id: str
    workflow_id: uuid.UUID
    workflow_version: int
    cron: str
    timezone: str
    catch_up: str
    cursor_at: datetime
    next_due_at: datetime | None
    last_fired_at: datetime | None
    updated_at: datetime


@dataclass(frozen=True)
class TickRecord:
    tenant_id: str
    workflow_id: uuid.UUID
    tick_at: datetime
    run_id: uuid.UUID | None
    outcome: str  # STARTED | FAILED
    late: bool
    reason: str | None
    fired_at: datetime


def schedule_of(definition: dict[str, Any]) -> tuple[str, str, str] | None:
    """``(cron, timezone, catchUp)`` of a ``{"type": "schedule"}`` trigger, else None.

    Defaults as in ``workflow_core.definitions.ScheduleTrigger``; publish has
    validated the values.
    """
    trigger = definition.get("trigger")
    if not isinstance(trigger, dict) or trigger.get("type") != "schedule":
        return None
    return (
        str(trigger.get("cron")),
        str(trigger.get("timezone") or "UTC"),
        str(trigger.get("catchUp") or "latest"),
    )


class ScheduleRepository(TenantScoped):
    async def sync(
        self, workflow_id: uuid.UUID, version: int, definition: dict[str, Any], now: datetime
    ) -> None:
        """Make the schedule row match a newly published version (in its transaction).

        A new or changed schedule counts ticks from ``now`` (publishing never
        fires ticks from before it); the same cron and zone keep their cursor.
        The row is due at once, so the scheduler plans it on its next poll.
        """
        schedule = schedule_of(definition)
        if schedule is None:
            await self.conn.execute(
                "DELETE FROM workflow_schedules WHERE tenant_id = $1 AND workflow_id = $2",
                self.tenant_id,
                workflow_id,
            )
            return
        cron, timezone, catch_up = schedule
        await self.conn.execute(
            """INSERT INTO workflow_schedules (tenant_id, workflow_id, workflow_version, cron,
                 timezone, catch_up, cursor_at, next_due_at, updated_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $7)
               ON CONFLICT (tenant_id, workflow_id) DO UPDATE SET
                 workflow_version = EXCLUDED.workflow_version, cron = EXCLUDED.cron,
                 timezone = EXCLUDED.timezone, catch_up = EXCLUDED.catch_up,
                 cursor_at = CASE WHEN workflow_schedules.cron = EXCLUDED.cron
                   AND workflow_schedules.timezone = EXCLUDED.timezone
                   THEN workflow_schedules.cursor_at ELSE EXCLUDED.cursor_at END,
                 next_due_at = EXCLUDED.next_due_at, updated_at = EXCLUDED.updated_at""",
            self.tenant_id, workflow_id, version, cron, timezone, catch_up, now,
        )  # fmt: skip

    async def get(self, workflow_id: uuid.UUID) -> ScheduleRecord | None:
        row = await self.conn.fetchrow(
            f"""SELECT {SCHEDULE_COLUMNS} FROM workflow_schedules
                WHERE tenant_id = $1 AND workflow_id = $2""",
            self.tenant_id,
            workflow_id,
        )
        return ScheduleRecord(**dict(row)) if row else None

    async def claim_tick(
        self, workflow_id: uuid.UUID, tick_at: datetime, run_id: uuid.UUID, *, late: bool,
        now: datetime,
    ) -> bool:  # fmt: skip
        """Record a tick as STARTED; False when that tick was already fired."""
        inserted = await self.conn.fetchval(
            f"""INSERT INTO schedule_ticks ({TICK_COLUMNS})
                VALUES ($1, $2, $3, $4, 'STARTED', $5, NULL, $6)
                ON CONFLICT (tenant_id, workflow_id, tick_at) DO NOTHING RETURNING true""",
            self.tenant_id, workflow_id, tick_at, run_id, late, now,
        )  # fmt: skip
        return bool(inserted)

    async def record_failed_tick(
        self, workflow_id: uuid.UUID, tick_at: datetime, reason: str, *, late: bool,
        now: datetime,
    ) -> None:  # fmt: skip
        """A tick whose run could not start (invalid payload, version gone): kept, with why."""
        await self.conn.execute(
            f"""INSERT INTO schedule_ticks ({TICK_COLUMNS})
                VALUES ($1, $2, $3, NULL, 'FAILED', $4, $5, $6)
                ON CONFLICT (tenant_id, workflow_id, tick_at) DO NOTHING""",
            self.tenant_id, workflow_id, tick_at, late, reason, now,
        )  # fmt: skip

    async def advance(
        self, workflow_id: uuid.UUID, *, cursor_at: datetime, next_due_at: datetime | None,
        fired_at: datetime | None,
    ) -> None:  # fmt: skip
        await self.conn.execute(
            """UPDATE workflow_schedules SET cursor_at = $3, next_due_at = $4,
                 last_fired_at = COALESCE($5, last_fired_at)
               WHERE tenant_id = $1 AND workflow_id = $2""",
            self.tenant_id, workflow_id, cursor_at, next_due_at, fired_at,
        )  # fmt: skip

    async def recent_ticks(self, workflow_id: uuid.UUID, limit: int = 10) -> list[TickRecord]:
        rows = await self.conn.fetch(
            f"""SELECT {TICK_COLUMNS} FROM schedule_ticks
                WHERE tenant_id = $1 AND workflow_id = $2 ORDER BY tick_at DESC LIMIT $3""",
            self.tenant_id,
            workflow_id,
            limit,
        )
        return [TickRecord(**dict(r)) for r in rows]


async def claim_due_schedules(
    conn: asyncpg.Connection, now: datetime, limit: int
) -> list[ScheduleRecord]:
    """Lock up to ``limit`` due schedules (all tenants) for this transaction.

    ``SKIP LOCKED``: another scheduler planning a schedule makes this one pass
    it by; the lock holds until the caller's transaction, which moves the
    cursor, commits. A paused definition's schedule is not due: its cursor stays
    where the pause found it, so on unpause ``catchUp`` decides the missed ticks.
    """
    rows = await conn.fetch(
        f"""SELECT {SCHEDULE_COLUMNS} FROM workflow_schedules s
            WHERE next_due_at <= $1
              AND NOT EXISTS (SELECT 1 FROM workflow_definitions d
                              WHERE d.tenant_id = s.tenant_id AND d.workflow_id = s.workflow_id
                                AND d.paused_at IS NOT NULL)
            ORDER BY next_due_at LIMIT $2
            FOR UPDATE OF s SKIP LOCKED""",
        now,
        limit,
    )
    return [ScheduleRecord(**dict(r)) for r in rows]
