"""``/workflow-runs/{runId}/...``: the run's history, oldest first, paginated, redacted."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

import asyncpg
from sluice_http import not_found, sluice_router
from sluice_storage import DefinitionRepository, RunRepository, WaitRepository
from sluice_storage.history import RunHistoryRepository
from sluice_storage.pagination import Page as StoredPage

from sluice_api.context import ApiContext
from sluice_api.deps import ContextDep, CursorQuery, LimitQuery, RunIdPath, Viewer
from sluice_api.redaction import RunRedactor
from sluice_api.schemas.common import Page
from sluice_api.schemas.events import EventPublic
from sluice_api.schemas.runs import (
    InvocationPublic,
    LogPublic,
    SideEffectPublic,
    SnapshotPublic,
    StepAttemptPublic,
    TimelineEntry,
    WaitPublic,
)
from sluice_api.views import (
    invocation_public,
    log_public,
    side_effect_public,
    snapshot_public,
    step_public,
    timeline_public,
    wait_public,
)
from sluice_api.views_events import event_public

router = sluice_router(prefix="/workflow-runs/{runId}", tags=["run history"])
R = TypeVar("R")
P = TypeVar("P")


async def run_redactor(conn: asyncpg.Connection, tenant_id: str, run_id: uuid.UUID) -> RunRedactor:
    """404 for an unknown (or another tenant's) run; else the run's redactor."""
    run = await RunRepository(conn, tenant_id).get(run_id)
    if run is None:
        raise not_found("run", run_id)
    version = await DefinitionRepository(conn, tenant_id).get_version(
        run.workflow_id, run.workflow_version
    )
    return RunRedactor(run.run_state, version.payload_schema if version else None)


async def _history_page(
    ctx: ApiContext,
    tenant_id: str,
    run_id: uuid.UUID,
    fetch: Callable[[RunHistoryRepository], Awaitable[StoredPage[R]]],
    present: Callable[[R, RunRedactor], P],
) -> Page[P]:
    """One page of a run's history: 404 for a foreign run, every item redacted."""
    async with ctx.tx() as conn:
        redact = await run_redactor(conn, tenant_id, run_id)
        page = await fetch(RunHistoryRepository(conn, tenant_id))
    return Page(items=[present(item, redact) for item in page.items], next_cursor=page.next_cursor)


@router.get("/steps", summary="Step attempts")
async def list_steps(
    ctx: ContextDep, who: Viewer, run_id: RunIdPath, cursor: CursorQuery = None,
    limit: LimitQuery = None,
) -> Page[StepAttemptPublic]:  # fmt: skip
    return await _history_page(
        ctx,
        who.tenant_id,
        run_id,
        lambda repo: repo.steps(run_id, cursor=cursor, limit=limit),
        step_public,
    )


@router.get("/timeline", summary="Runtime events (the run's timeline)")
async def list_timeline(
    ctx: ContextDep, who: Viewer, run_id: RunIdPath, cursor: CursorQuery = None,
    limit: LimitQuery = None,
) -> Page[TimelineEntry]:  # fmt: skip
    return await _history_page(
        ctx,
        who.tenant_id,
        run_id,
        lambda repo: repo.events(run_id, cursor=cursor, limit=limit),
        timeline_public,
    )


@router.get("/snapshots", summary="Envelope snapshots after each step (redacted, capped)")
async def list_snapshots(
    ctx: ContextDep, who: Viewer, run_id: RunIdPath, cursor: CursorQuery = None,
    limit: LimitQuery = None,
) -> Page[SnapshotPublic]:  # fmt: skip
    return await _history_page(
        ctx,
        who.tenant_id,
        run_id,
        lambda repo: repo.snapshots(run_id, cursor=cursor, limit=limit),
        snapshot_public,
    )


@router.get("/invocations", summary="Action invocations (input, output, error, duration)")
async def list_invocations(
    ctx: ContextDep, who: Viewer, run_id: RunIdPath, cursor: CursorQuery = None,
    limit: LimitQuery = None,
) -> Page[InvocationPublic]:  # fmt: skip
    return await _history_page(
        ctx,
        who.tenant_id,
        run_id,
        lambda repo: repo.invocations(run_id, cursor=cursor, limit=limit),
        invocation_public,
    )


@router.get(
    "/side-effects",
    summary="Side-effect ledger: each side-effectful call, executed, executed again or reused",
)
async def list_side_effects(
    ctx: ContextDep, who: Viewer, run_id: RunIdPath, cursor: CursorQuery = None,
    limit: LimitQuery = None,
) -> Page[SideEffectPublic]:  # fmt: skip
    """Every idempotency key of a side-effectful action this run asked for, oldest first:
    its attempts and outcome, and whether the run executed it (once, or again after a
    failure or retry) or was answered from the result another run's call stored (a replay
    whose key comes from the payload, say). Pure actions are not listed. Redacted as the
    run's invocations are; a reused call's input (the other run's) is not shown."""
    actions = [f"{a.action_id}@{a.version}" for a in ctx.registry.actions.all()
               if a.side_effectful]  # fmt: skip
    return await _history_page(
        ctx, who.tenant_id, run_id,
        lambda repo: repo.side_effects(run_id, actions, cursor=cursor, limit=limit),
        side_effect_public,
    )  # fmt: skip


@router.get("/waits", summary="Waits (kind, key, due time, outcome and what resolved it)")
async def list_waits(
    ctx: ContextDep, who: Viewer, run_id: RunIdPath, cursor: CursorQuery = None,
    limit: LimitQuery = None,
) -> Page[WaitPublic]:  # fmt: skip
    async with ctx.tx() as conn:
        await run_redactor(conn, who.tenant_id, run_id)
        page = await WaitRepository(conn, who.tenant_id).list_for_run(
            run_id, cursor=cursor, limit=limit
        )
    return Page(items=[wait_public(w) for w in page.items], next_cursor=page.next_cursor)


@router.get("/logs", summary="Structured log entries")
async def list_logs(
    ctx: ContextDep, who: Viewer, run_id: RunIdPath, cursor: CursorQuery = None,
    limit: LimitQuery = None,
) -> Page[LogPublic]:  # fmt: skip
    return await _history_page(
        ctx,
        who.tenant_id,
        run_id,
        lambda repo: repo.logs(run_id, cursor=cursor, limit=limit),
        log_public,
    )


@router.get("/events", summary="Inbound events that started or resumed the run")
async def list_run_events(
    ctx: ContextDep, who: Viewer, run_id: RunIdPath, cursor: CursorQuery = None,
    limit: LimitQuery = None,
) -> Page[EventPublic]:  # fmt: skip
    return await _history_page(
        ctx,
        who.tenant_id,
        run_id,
        lambda repo: repo.inbound_events(run_id, cursor=cursor, limit=limit),
        event_public,
    )
