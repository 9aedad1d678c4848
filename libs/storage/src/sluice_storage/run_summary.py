"""Run counts by status and by start-time bucket (the dashboard's summary)."""

from __future__ import annotations

import uuid
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
class WorkflowCounts:
    workflow_id: uuid.UUID
    name: str
    counts: dict[str, int]


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

    async def by_workflow(self, flt: RunFilter, *, limit: int = 20) -> list[WorkflowCounts]:
        """Run counts per workflow and status of the runs ``flt`` lists (its statuses
        aside), the most failures first, then the most runs (the home's failing list)."""
        where, args = filter_sql(self.tenant_id, replace(flt, statuses=()))
        rows = await self.conn.fetch(
            f"""WITH counts AS (
                  SELECT workflow_id, status, count(*) AS n FROM workflow_runs
                  WHERE {where} GROUP BY 1, 2),
                per AS (
                  SELECT workflow_id, jsonb_object_agg(status, n) AS counts,
                         sum(n) FILTER (WHERE status = 'FAILED') AS failed, sum(n) AS total
                  FROM counts GROUP BY 1)
                SELECT per.workflow_id, coalesce(d.name, '') AS name, per.counts
                FROM per LEFT JOIN workflow_definitions d
                  ON d.tenant_id = $1 AND d.workflow_id = per.workflow_id
                ORDER BY per.failed DESC NULLS LAST, per.total DESC, per.workflow_id
                LIMIT {int(limit)}""",
            *args,
        )  # fmt: skip
        return [WorkflowCounts(r["workflow_id"], r["name"], dict(r["counts"])) for r in rows]
