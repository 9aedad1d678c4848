"""Run counts by status and by start-time bucket (the dashboard's summary)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sluice_storage.tenancy import TenantScoped

BUCKETS = ("minute", "hour", "day", "week")


@dataclass(frozen=True)
class SummaryBucket:
    start: datetime
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class RunSummary:
    totals: dict[str, int]
    buckets: list[SummaryBucket]


class RunSummaryRepository(TenantScoped):
    async def summarize(
        self,
        *,
        bucket: str,
        started_from: datetime | None = None,
        started_to: datetime | None = None,
        workflow_id: uuid.UUID | None = None,
    ) -> RunSummary:
        """Counts of runs started in ``[from, to)`` per status, overall and per bucket."""
        if bucket not in BUCKETS:
            raise ValueError(f"bucket must be one of {', '.join(BUCKETS)}")
        rows = await self.conn.fetch(
            """SELECT date_trunc($2, started_at, 'UTC') AS bucket, status, count(*) AS n
               FROM workflow_runs
               WHERE tenant_id = $1 AND ($3::timestamptz IS NULL OR started_at >= $3)
                 AND ($4::timestamptz IS NULL OR started_at < $4)
                 AND ($5::uuid IS NULL OR workflow_id = $5)
               GROUP BY 1, 2 ORDER BY 1, 2""",
            self.tenant_id, bucket, started_from, started_to, workflow_id,
        )  # fmt: skip
        totals: dict[str, int] = {}
        buckets: dict[datetime, dict[str, int]] = {}
        for row in rows:
            totals[row["status"]] = totals.get(row["status"], 0) + int(row["n"])
            buckets.setdefault(row["bucket"], {})[row["status"]] = int(row["n"])
        return RunSummary(totals, [SummaryBucket(start, c) for start, c in buckets.items()])
