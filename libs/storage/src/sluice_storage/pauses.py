"""Pause state of a definition and the event starts held while it is paused.

``triggered_by`` reads the pause state with the versions an event triggers (one
query); routing holds the starts of paused ones here, and unpausing takes them
back in arrival order (``sluice_engine.pausing``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sluice_storage.tenancy import TenantScoped


class PauseRepository(TenantScoped):
    async def pause(self, workflow_id: uuid.UUID, *, reason: str, by: str, now: datetime) -> bool:
        """Pause a definition that is not paused; False when unknown or paused already."""
        updated = await self.conn.fetchval(
            """UPDATE workflow_definitions SET paused_at = $3, paused_reason = $4, paused_by = $5
               WHERE tenant_id = $1 AND workflow_id = $2 AND paused_at IS NULL
               RETURNING 1""",
            self.tenant_id, workflow_id, now, reason, by,
        )  # fmt: skip
        return updated is not None

    async def unpause(self, workflow_id: uuid.UUID, now: datetime) -> bool:
        """Clear the pause; False when unknown or not paused."""
        updated = await self.conn.fetchval(
            """UPDATE workflow_definitions
               SET paused_at = NULL, paused_reason = NULL, paused_by = NULL, unpaused_at = $3
               WHERE tenant_id = $1 AND workflow_id = $2 AND paused_at IS NOT NULL
               RETURNING 1""",
            self.tenant_id, workflow_id, now,
        )  # fmt: skip
        return updated is not None

    async def completions(self, workflow_id: uuid.UUID, since: datetime) -> tuple[int, int]:
        """Runs of the workflow that ended since ``since`` and since its last unpause, and
        how many of them FAILED (auto-pause's window; migration 0020's index). Starts a
        concurrency limit ended at once (error CONCURRENCY_LIMIT) never ran: not counted."""
        row = await self.conn.fetchrow(
            """SELECT count(*) AS ended, count(*) FILTER (WHERE r.status = 'FAILED') AS failed
               FROM workflow_definitions d JOIN workflow_runs r
                 ON r.tenant_id = d.tenant_id AND r.workflow_id = d.workflow_id
               WHERE d.tenant_id = $1 AND d.workflow_id = $2
                 AND r.completed_at >= greatest($3, d.unpaused_at)
                 AND coalesce(r.error->>'name', '') <> 'CONCURRENCY_LIMIT'""",
            self.tenant_id, workflow_id, since,
        )  # fmt: skip
        return int(row["ended"]), int(row["failed"])

    async def is_paused(self, workflow_id: uuid.UUID) -> bool:
        paused = await self.conn.fetchval(
            """SELECT paused_at IS NOT NULL FROM workflow_definitions
               WHERE tenant_id = $1 AND workflow_id = $2""",
            self.tenant_id, workflow_id,
        )  # fmt: skip
        return bool(paused)

    async def hold(
        self, workflow_ids: Sequence[uuid.UUID], event_id: uuid.UUID, now: datetime
    ) -> None:
        await self.conn.execute(
            """INSERT INTO held_starts (tenant_id, workflow_id, event_id, held_at)
               SELECT $1, w, $3, $4 FROM unnest($2::uuid[]) AS w
               ON CONFLICT DO NOTHING""",
            self.tenant_id, list(workflow_ids), event_id, now,
        )  # fmt: skip

    async def take_held(self, workflow_id: uuid.UUID, limit: int) -> list[uuid.UUID]:
        """Remove and return up to ``limit`` held event ids, oldest first."""
        rows = await self.conn.fetch(
            """DELETE FROM held_starts WHERE (tenant_id, workflow_id, event_id) IN (
                 SELECT tenant_id, workflow_id, event_id FROM held_starts
                 WHERE tenant_id = $1 AND workflow_id = $2
                 ORDER BY held_at, event_id LIMIT $3)
               RETURNING event_id, held_at""",
            self.tenant_id, workflow_id, limit,
        )  # fmt: skip
        return [r["event_id"] for r in sorted(rows, key=lambda r: (r["held_at"], r["event_id"]))]

    async def count_held(self, workflow_id: uuid.UUID) -> int:
        count = await self.conn.fetchval(
            "SELECT count(*) FROM held_starts WHERE tenant_id = $1 AND workflow_id = $2",
            self.tenant_id, workflow_id,
        )  # fmt: skip
        return int(count)
