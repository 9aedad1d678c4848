"""What is waiting, across tenants: the figures behind the scheduler's backlog gauges.

One statement, each part on a partial index that holds only live rows (open
waits, unsent outbox rows, running runs, started invocations, running jobs), so
it costs the size of the backlog, not of the history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

BACKLOG = """
SELECT
  (SELECT coalesce(jsonb_object_agg(kind, n), '{}'::jsonb)
     FROM (SELECT kind, count(*) AS n FROM run_waits WHERE status = 'OPEN' GROUP BY kind) w
  ) AS waits,
  (SELECT count(*) FROM outbox WHERE sent_at IS NULL) AS outbox_unsent,
  (SELECT min(created_at) FROM outbox WHERE sent_at IS NULL) AS outbox_oldest,
  (SELECT count(*) FROM workflow_runs
     WHERE status = 'RUNNING' AND last_progress_at < $2) AS runs_stuck,
  (SELECT count(*) FROM workflow_runs WHERE status = 'QUEUED') AS runs_queued,
  (SELECT count(*) FROM action_invocations
     WHERE status = 'STARTED' AND lease_expires_at < $1)
  + (SELECT count(*) FROM action_jobs
     WHERE status = 'RUNNING' AND lease_expires_at < $1) AS leases_stale
"""


@dataclass(frozen=True)
class Backlog:
    waits_open: dict[str, int]  # by kind: event, timer, human_task, child_run, retry
    outbox_unsent: int
    outbox_age_s: float  # of the oldest unsent row; 0 when none
    runs_stuck: int  # RUNNING with no progress for ``stuck_after``
    leases_stale: int  # invocations and jobs whose executor's lease ran out
    runs_queued: int = 0  # QUEUED behind a concurrency limit


async def read_backlog(conn: asyncpg.Connection, now: datetime, stuck_after: timedelta) -> Backlog:
    row = await conn.fetchrow(BACKLOG, now, now - stuck_after)
    oldest: datetime | None = row["outbox_oldest"]
    return Backlog(
        waits_open={str(k): int(v) for k, v in dict(row["waits"]).items()},
        outbox_unsent=int(row["outbox_unsent"]),
        outbox_age_s=max(0.0, (now - oldest).total_seconds()) if oldest else 0.0,
        runs_stuck=int(row["runs_stuck"]),
        leases_stale=int(row["leases_stale"]),
        runs_queued=int(row["runs_queued"]),
    )
