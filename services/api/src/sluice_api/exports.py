"""Exports as operations: each run of the filter written as one JSON line with its
whole history, redacted exactly as the API shows it (the same views and redactor
as ``/workflow-runs/{runId}/...``).

A line is built when the worker reaches its run and stored with the item, so the
download is what the runs were during the export (a run purged afterwards is
still in it) and streams without rebuilding anything.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import asyncpg
from pydantic import BaseModel
from sluice_http import not_found
from sluice_storage import RunRepository, WaitRepository
from sluice_storage.history import RunHistoryRepository
from sluice_storage.operations import (
    ItemOutcome,
    NewOperation,
    Operation,
    OperationItem,
    OperationRepository,
)
from sluice_storage.pagination import MAX_LIMIT, Page

from sluice_api.audit import audit
from sluice_api.context import ApiContext
from sluice_api.roles import Principal
from sluice_api.routes.run_history import run_redactor
from sluice_api.schemas.operations import ExportCreate
from sluice_api.views import (
    invocation_public,
    log_public,
    run_public,
    snapshot_public,
    step_public,
    timeline_public,
    wait_public,
)
from sluice_api.views_events import event_public

KIND = "export"
# An export reaches at most this many runs (with their history, ~5-50 KB a line).
MAX_EXPORTED_RUNS = 100_000
R = TypeVar("R")


async def create_export(
    conn: asyncpg.Connection, ctx: ApiContext, who: Principal, body: ExportCreate
) -> Operation:
    """The export, its runs fixed now (the filter's, oldest first), audited with the count."""
    params = {"filter": body.filter.model_dump(mode="json", by_alias=True, exclude_none=True)}
    new = NewOperation(KIND, KIND, who.subject, who.role, body.reason, params)
    now = ctx.clock()
    operation = await OperationRepository(conn, who.tenant_id).create_for_filter(
        new, body.filter.run_filter(), now=now, limit=MAX_EXPORTED_RUNS
    )
    await audit(
        conn, who, "runs.export", operation.operation_id, at=now, reason=body.reason,
        details={**params, "count": operation.total},
    )  # fmt: skip
    return operation


async def _all(fetch: Callable[[str | None], Awaitable[Page[R]]]) -> AsyncIterator[R]:
    cursor: str | None = None
    while True:
        page = await fetch(cursor)
        for item in page.items:
            yield item
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def _wire(model: BaseModel) -> Any:
    return model.model_dump(mode="json", by_alias=True)


async def run_document(conn: asyncpg.Connection, tenant_id: str, run_id: uuid.UUID) -> Any:
    """The run and its whole history as the API shows them (404 when it is gone)."""
    run = await RunRepository(conn, tenant_id).get(run_id)
    if run is None:
        raise not_found("run", run_id)
    redact = await run_redactor(conn, tenant_id, run_id)
    history = RunHistoryRepository(conn, tenant_id)
    waits = WaitRepository(conn, tenant_id)
    page = MAX_LIMIT

    def each(fetch: Callable[..., Awaitable[Page[Any]]]) -> AsyncIterator[Any]:
        return _all(lambda cursor: fetch(run_id, cursor=cursor, limit=page))

    return {
        "run": _wire(run_public(run)),
        "steps": [_wire(step_public(s, redact)) async for s in each(history.steps)],
        "timeline": [_wire(timeline_public(e, redact)) async for e in each(history.events)],
        "snapshots": [_wire(snapshot_public(s, redact)) async for s in each(history.snapshots)],
        "invocations": [
            _wire(invocation_public(i, redact)) async for i in each(history.invocations)
        ],
        "waits": [_wire(wait_public(w)) async for w in each(waits.list_for_run)],
        "logs": [_wire(log_public(entry, redact)) async for entry in each(history.logs)],
        "events": [_wire(event_public(e, redact)) async for e in each(history.inbound_events)],
    }


def export_handler() -> Any:
    async def one_run(
        conn: asyncpg.Connection, operation: Operation, item: OperationItem
    ) -> ItemOutcome:
        document = await run_document(conn, operation.tenant_id, item.run_id)
        return ItemOutcome(ok=True, run_status=document["run"]["status"], document=document)

    return one_run


async def lines(ctx: ApiContext, tenant_id: str, operation_id: uuid.UUID) -> AsyncIterator[Any]:
    """The export's documents in order, a page per transaction (bounded memory)."""
    cursor: str | None = None
    while True:
        async with ctx.tx() as conn:
            page = await OperationRepository(conn, tenant_id).documents(
                operation_id, cursor=cursor, limit=MAX_LIMIT
            )
        for document in page.items:
            yield document
        if page.next_cursor is None:
            return
        cursor = page.next_cursor
