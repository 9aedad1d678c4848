"""Human tasks: created by a run's ``human.task`` step, listed, claimed, completed, canceled.

Every status change is one conditional ``UPDATE ... WHERE status IN (...)
RETURNING``, so two operators completing the same task cannot both win.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from sluice_storage.pagination import Keyset, Page, fetch_page
from sluice_storage.tenancy import TenantScoped

TASK_COLUMNS = """tenant_id, task_id, run_id, wait_id, task_type, title, description,
    form_schema, assignee, status, claimed_by, output, created_at, updated_at, completed_at"""
OLDEST_FIRST = Keyset("human-tasks", "created_at", "task_id", descending=False)
ACTIVE_STATUSES = ("OPEN", "CLAIMED")


@dataclass(frozen=True)
class HumanTaskRecord:
    tenant_id: str
    task_id: uuid.UUID
    run_id: uuid.UUID
    wait_id: uuid.UUID | None
    task_type: str
    title: str
    description: str | None
    form_schema: dict[str, Any]
    assignee: str | None
    status: str
    claimed_by: str | None
    output: Any
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None


@dataclass(frozen=True)
class NewHumanTask:
    task_id: uuid.UUID
    run_id: uuid.UUID
    task_type: str
    title: str
    form_schema: dict[str, Any]
    created_at: datetime
    wait_id: uuid.UUID | None = None
    description: str | None = None
    assignee: str | None = None


def _task(row: asyncpg.Record) -> HumanTaskRecord:
    return HumanTaskRecord(**dict(row))


class HumanTaskRepository(TenantScoped):
    async def create(self, task: NewHumanTask) -> HumanTaskRecord:
        """Store an open task; idempotent on ``task_id`` (a redelivered command)."""
        row = await self.conn.fetchrow(
            f"""INSERT INTO human_tasks (tenant_id, task_id, run_id, wait_id, task_type, title,
                  description, form_schema, assignee, created_at, updated_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)
                ON CONFLICT (tenant_id, task_id) DO UPDATE SET task_id = EXCLUDED.task_id
                RETURNING {TASK_COLUMNS}""",
            self.tenant_id, task.task_id, task.run_id, task.wait_id, task.task_type, task.title,
            task.description, task.form_schema, task.assignee, task.created_at,
        )  # fmt: skip
        return _task(row)

    async def get(self, task_id: uuid.UUID, *, lock: bool = False) -> HumanTaskRecord | None:
        suffix = " FOR UPDATE" if lock else ""
        row = await self.conn.fetchrow(
            f"""SELECT {TASK_COLUMNS} FROM human_tasks
                WHERE tenant_id = $1 AND task_id = $2{suffix}""",
            self.tenant_id,
            task_id,
        )
        return _task(row) if row else None

    async def list_tasks(
        self,
        *,
        run_id: uuid.UUID | None = None,
        statuses: tuple[str, ...] = (),
        cursor: str | None = None,
        limit: int | None = None,
    ) -> Page[HumanTaskRecord]:
        """Oldest first (an inbox is worked in arrival order)."""
        sql = f"""SELECT {TASK_COLUMNS} FROM human_tasks WHERE tenant_id = $1
                  AND ($2::uuid IS NULL OR run_id = $2)
                  AND (cardinality($3::text[]) = 0 OR status = ANY($3::text[]))"""
        params = [self.tenant_id, run_id, list(statuses)]
        return await fetch_page(
            self.conn, OLDEST_FIRST, sql, params, cursor=cursor, limit=limit, to_item=_task
        )

    async def count_active(self) -> dict[str, int]:
        """The tenant's OPEN and CLAIMED tasks (both keys always present), counted in the
        ``human_tasks_by_status`` index; done tasks, which only grow, are not read."""
        rows = await self.conn.fetch(
            """SELECT status, count(*) AS n FROM human_tasks
               WHERE tenant_id = $1 AND status = ANY($2::text[]) GROUP BY status""",
            self.tenant_id, list(ACTIVE_STATUSES),
        )  # fmt: skip
        return {status: 0 for status in ACTIVE_STATUSES} | {r["status"]: r["n"] for r in rows}

    async def claim(
        self, task_id: uuid.UUID, subject: str, now: datetime
    ) -> HumanTaskRecord | None:
        """OPEN -> CLAIMED (or re-claim by the same subject); None if not claimable."""
        row = await self.conn.fetchrow(
            f"""UPDATE human_tasks SET status = 'CLAIMED', claimed_by = $3, updated_at = $4
                WHERE tenant_id = $1 AND task_id = $2
                  AND (status = 'OPEN' OR (status = 'CLAIMED' AND claimed_by = $3))
                RETURNING {TASK_COLUMNS}""",
            self.tenant_id, task_id, subject, now,
        )  # fmt: skip
        return _task(row) if row else None

    async def complete(
        self, task_id: uuid.UUID, output: Any, subject: str | None, now: datetime
    ) -> HumanTaskRecord | None:
        """OPEN/CLAIMED -> COMPLETED with the output; None if the task was not active.

        ``subject`` (who completed it) becomes ``claimed_by`` unless someone claimed
        it; None for a completion that names nobody (a raw run command)."""
        row = await self.conn.fetchrow(
            f"""UPDATE human_tasks SET status = 'COMPLETED', output = $3, updated_at = $5,
                  completed_at = $5, claimed_by = COALESCE(claimed_by, $4)
                WHERE tenant_id = $1 AND task_id = $2 AND status = ANY($6::text[])
                RETURNING {TASK_COLUMNS}""",
            self.tenant_id, task_id, output, subject, now, list(ACTIVE_STATUSES),
        )  # fmt: skip
        return _task(row) if row else None

    async def cancel(self, task_id: uuid.UUID, now: datetime) -> HumanTaskRecord | None:
        """OPEN/CLAIMED -> CANCELED; None if the task was not active."""
        row = await self.conn.fetchrow(
            f"""UPDATE human_tasks SET status = 'CANCELED', updated_at = $3, completed_at = $3
                WHERE tenant_id = $1 AND task_id = $2 AND status = ANY($4::text[])
                RETURNING {TASK_COLUMNS}""",
            self.tenant_id, task_id, now, list(ACTIVE_STATUSES),
        )  # fmt: skip
        return _task(row) if row else None
