"""Run counts by status and by start-time bucket (the dashboard's summary)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from sluice_storage.runs import RunFilter, filter_sql
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
    async def summarize(self, *, bucket: str, flt: RunFilter) -> RunSummary:
        """Counts of the runs ``flt`` lists (its statuses aside) per status, overall and
        per start-time bucket."""
        if bucket not in BUCKETS:
            raise ValueError(f"bucket must be one of {', '.join(BUCKETS)}")
        where, args = filter_sql(self.tenant_id, replace(flt, statuses=()))
        rows = await self.conn.fetch(
            f"""SELECT date_trunc(${len(args) + 1}, started_at, 'UTC') AS bucket, status,
                       count(*) AS n
                FROM workflow_runs WHERE {where} GROUP BY 1, 2 ORDER BY 1, 2""",
            *args, bucket,
        )  # fmt: skip
        totals: dict[str, int] = {}
        buckets: dict[datetime, dict[str, int]] = {}
        for row in rows:
            totals[row["status"]] = totals.get(row["status"], 0) + int(row["n"])
            buckets.setdefault(row["bucket"], {})[row["status"]] = int(row["n"])
        return RunSummary(totals, [SummaryBucket(start, c) for start, c in buckets.items()])
