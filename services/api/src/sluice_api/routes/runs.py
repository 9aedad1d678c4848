"""``/workflow-runs``: list (filters, newest first), summary, get, start."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import asyncpg
from fastapi import Query, Response
from sluice_engine import StartOptions
from sluice_http import Problem, link, not_found, sluice_router
from sluice_storage import RunFilter, RunRepository
from sluice_storage.run_summary import RunSummaryRepository

from sluice_api.deps import ContextDep, CursorQuery, LimitQuery, Manager, RunIdPath, Viewer
from sluice_api.idempotency import IdempotencyKeyHeader, idempotent
from sluice_api.run_start import start
from sluice_api.schemas.common import INT_MAX, Instant, Page
from sluice_api.schemas.runs import (
    RunCreate,
    RunPublic,
    RunSort,
    RunStatusName,
    RunSummaryPublic,
    RunTrigger,
    SummaryBucketPublic,
    SummaryBucketSize,
    WorkflowCountsPublic,
    WorkflowSummaryPublic,
)
from sluice_api.views import run_public

router = sluice_router(prefix="/workflow-runs", tags=["runs"])
_RUN = "/workflow-runs/{runId}"
RUN_LINKS = {
    name: link(method, _RUN + tail, runId="$response.body#/runId")
    for name, method, tail in [
        ("GetRun", "get", ""), ("Steps", "get", "/steps"), ("Timeline", "get", "/timeline"),
        ("Snapshots", "get", "/snapshots"), ("Invocations", "get", "/invocations"),
        ("Waits", "get", "/waits"), ("Logs", "get", "/logs"), ("Events", "get", "/events"),
        ("Cancel", "post", "/cancel"), ("Resume", "post", "/resume"),
        ("Retry", "post", "/retry"), ("Replay", "post", "/replay"),
    ]
}  # fmt: skip
FromQuery = Annotated[
    Instant | None, Query(alias="from", description="runs started at or after (ISO 8601)")
]
ToQuery = Annotated[Instant | None, Query(alias="to", description="runs started before")]
WorkflowQuery = Annotated[uuid.UUID | None, Query(alias="workflowId")]
VersionQuery = Annotated[int | None, Query(ge=1, le=INT_MAX)]
TriggerQuery = Annotated[
    list[RunTrigger] | None, Query(description="repeatable: api, event (by its trigger), child")
]
SearchQuery = Annotated[
    str | None,
    Query(alias="q", max_length=500, description="a run id, or else a correlation key (exact)"),
]


@router.get("", summary="List runs (newest first by default)")
async def list_runs(
    ctx: ContextDep,
    who: Viewer,
    status: Annotated[list[RunStatusName] | None, Query(description="repeatable")] = None,
    workflow_id: WorkflowQuery = None,
    version: VersionQuery = None,
    started_from: FromQuery = None,
    started_to: ToQuery = None,
    trigger: TriggerQuery = None,
    q: SearchQuery = None,
    sort: RunSort = RunSort.NEWEST,
    cursor: CursorQuery = None,
    limit: LimitQuery = None,
) -> Page[RunPublic]:
    flt = RunFilter(
        statuses=tuple(s.value for s in status or ()), workflow_id=workflow_id, version=version,
        started_from=started_from, started_to=started_to,
        triggers=tuple(t.value for t in trigger or ()), search=q,
        newest_first=sort is RunSort.NEWEST,
    )  # fmt: skip
    async with ctx.tx() as conn:
        page = await RunRepository(conn, who.tenant_id).list_runs(flt, cursor=cursor, limit=limit)
    return Page(items=[run_public(r) for r in page.items], next_cursor=page.next_cursor)


@router.get(
    "/summary", summary="Run counts by status and time bucket",
    description="Counts of the runs the list would show with the same filters (all statuses).",
)  # fmt: skip
async def summarize_runs(
    ctx: ContextDep,
    who: Viewer,
    bucket: SummaryBucketSize = SummaryBucketSize.HOUR,
    workflow_id: WorkflowQuery = None,
    version: VersionQuery = None,
    started_from: FromQuery = None,
    started_to: ToQuery = None,
    trigger: TriggerQuery = None,
    q: SearchQuery = None,
) -> RunSummaryPublic:
    flt = RunFilter(
        workflow_id=workflow_id, version=version, started_from=started_from,
        started_to=started_to, triggers=tuple(t.value for t in trigger or ()), search=q,
    )  # fmt: skip
    async with ctx.tx() as conn:
        summary = await RunSummaryRepository(conn, who.tenant_id).summarize(
            bucket=bucket.value, flt=flt
        )
    buckets = [SummaryBucketPublic(start=b.start, counts=b.counts) for b in summary.buckets]
    return RunSummaryPublic(bucket=bucket, totals=summary.totals, buckets=buckets)


@router.get(
    "/summary/workflows", summary="Run counts per workflow, the most failures first",
    description="The runs the list would show with the same filters (all statuses), counted "
    "per workflow and status; at most `limit` workflows (default 20).",
)  # fmt: skip
async def summarize_workflows(
    ctx: ContextDep,
    who: Viewer,
    started_from: FromQuery = None,
    started_to: ToQuery = None,
    trigger: TriggerQuery = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> WorkflowSummaryPublic:
    flt = RunFilter(started_from=started_from, started_to=started_to,
                    triggers=tuple(t.value for t in trigger or ()))  # fmt: skip
    async with ctx.tx() as conn:
        rows = await RunSummaryRepository(conn, who.tenant_id).by_workflow(flt, limit=limit)
    items = [WorkflowCountsPublic(workflow_id=r.workflow_id, name=r.name, counts=r.counts)
             for r in rows]  # fmt: skip
    return WorkflowSummaryPublic(items=items)


@router.get("/{runId}", summary="Get a run")
async def get_run(ctx: ContextDep, who: Viewer, run_id: RunIdPath) -> RunPublic:
    async with ctx.tx() as conn:
        run = await RunRepository(conn, who.tenant_id).get(run_id)
    if run is None:
        raise not_found("run", run_id)
    return run_public(run)


@router.post(
    "", status_code=201, summary="Start a run of a published version",
    responses={
        201: {"description": "the run", "links": RUN_LINKS},
        404: {"model": Problem, "description": "no such definition or version"},
        422: {"model": Problem, "description": "invalid payload or idempotency key reuse"},
    },
)  # fmt: skip
async def create_run(
    ctx: ContextDep,
    who: Manager,
    body: RunCreate,
    response: Response,
    idempotency_key: IdempotencyKeyHeader = None,
) -> RunPublic:
    if idempotency_key is None:  # group commit with concurrent starts
        options = StartOptions(version=body.version)
        record = await ctx.starts().start(
            who.tenant_id, str(body.workflow_id), body.payload, options
        )
        return run_public(record)

    async def work(conn: asyncpg.Connection) -> tuple[int, dict[str, Any]]:
        run = run_public(await start(ctx, conn, who, body))
        return 201, run.model_dump(mode="json", by_alias=True)

    status, payload = await idempotent(
        ctx, who, "workflow-runs", idempotency_key, body.model_dump(mode="json"), work
    )
    response.status_code = status
    return RunPublic.model_validate(payload)
