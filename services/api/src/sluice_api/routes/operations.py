"""``/bulk-operations`` and ``/exports``: operations, their progress and per-run outcomes.

Both kinds are one mechanism (``sluice_api.operations``); each path shows its own
kind only (an export's id under ``/bulk-operations`` is not found, and the other
way round). An export's lines download as JSON Lines once it is COMPLETED.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Path, Query, Response
from fastapi.responses import StreamingResponse
from sluice_http import ProblemError, not_found, sluice_router
from sluice_storage.operations import Operation, OperationRepository, TooManyRunsError

from sluice_api import bulk, exports
from sluice_api.context import ApiContext
from sluice_api.deps import ContextDep, CursorQuery, LimitQuery, Viewer
from sluice_api.schemas.common import Page
from sluice_api.schemas.operations import ExportCreate, OperationItemPublic, OperationPublic
from sluice_api.views_operations import item_public, operation_public, too_many

router = sluice_router(tags=["operations"])
OperationIdPath = Annotated[uuid.UUID, Path(alias="id")]
OkQuery = Annotated[
    bool | None, Query(description="only the runs done that succeeded (true) or failed (false)")
]
JSONL = "application/x-ndjson"


async def _get(ctx: ApiContext, tenant_id: str, kind: str, operation_id: uuid.UUID) -> Operation:
    async with ctx.tx() as conn:
        operation = await OperationRepository(conn, tenant_id).get(kind, operation_id)
    if operation is None:
        raise not_found("bulk operation" if kind == bulk.KIND else "export", operation_id)
    return operation


async def _list(
    ctx: ApiContext, tenant_id: str, kind: str, cursor: str | None, limit: int | None
) -> Page[OperationPublic]:
    async with ctx.tx() as conn:
        page = await OperationRepository(conn, tenant_id).list_operations(
            kind, cursor=cursor, limit=limit
        )
    return Page(items=[operation_public(o) for o in page.items], next_cursor=page.next_cursor)


async def _items(
    ctx: ApiContext, tenant_id: str, kind: str, operation_id: uuid.UUID, ok: bool | None,
    cursor: str | None, limit: int | None,
) -> Page[OperationItemPublic]:  # fmt: skip
    await _get(ctx, tenant_id, kind, operation_id)
    async with ctx.tx() as conn:
        page = await OperationRepository(conn, tenant_id).items(
            operation_id, ok=ok, cursor=cursor, limit=limit
        )
    return Page(items=[item_public(i) for i in page.items], next_cursor=page.next_cursor)


@router.get("/bulk-operations", summary="Bulk operations (newest first)")
async def list_bulk_operations(
    ctx: ContextDep, who: Viewer, cursor: CursorQuery = None, limit: LimitQuery = None
) -> Page[OperationPublic]:
    return await _list(ctx, who.tenant_id, bulk.KIND, cursor, limit)


@router.get("/bulk-operations/{id}", summary="A bulk operation: request, progress, counts")
async def get_bulk_operation(
    ctx: ContextDep, who: Viewer, operation_id: OperationIdPath
) -> OperationPublic:
    return operation_public(await _get(ctx, who.tenant_id, bulk.KIND, operation_id))


@router.get("/bulk-operations/{id}/runs", summary="A bulk operation's per-run outcomes, in order")
async def list_bulk_operation_runs(
    ctx: ContextDep, who: Viewer, operation_id: OperationIdPath, ok: OkQuery = None,
    cursor: CursorQuery = None, limit: LimitQuery = None,
) -> Page[OperationItemPublic]:  # fmt: skip
    return await _items(ctx, who.tenant_id, bulk.KIND, operation_id, ok, cursor, limit)


@router.post(
    "/exports", status_code=202, summary="Export the runs of a filter with their history",
    responses={
        202: {"description": "the export, PENDING (Location: /exports/{id})"},
        422: {"description": "a filter matching more than 100,000 runs"},
    },
)  # fmt: skip
async def create_export(
    ctx: ContextDep, who: Viewer, body: ExportCreate, response: Response
) -> OperationPublic:
    try:
        async with ctx.tx() as conn:
            operation = await exports.create_export(conn, ctx, who, body)
    except TooManyRunsError as exc:
        raise too_many(exc) from exc
    ctx.operations_wake.set()
    response.headers["Location"] = f"/exports/{operation.operation_id}"
    return operation_public(operation)


@router.get("/exports", summary="Exports (newest first)")
async def list_exports(
    ctx: ContextDep, who: Viewer, cursor: CursorQuery = None, limit: LimitQuery = None
) -> Page[OperationPublic]:
    return await _list(ctx, who.tenant_id, exports.KIND, cursor, limit)


@router.get("/exports/{id}", summary="An export: its filter, progress, counts")
async def get_export(
    ctx: ContextDep, who: Viewer, operation_id: OperationIdPath
) -> OperationPublic:
    return operation_public(await _get(ctx, who.tenant_id, exports.KIND, operation_id))


@router.get("/exports/{id}/runs", summary="An export's per-run outcomes, in order")
async def list_export_runs(
    ctx: ContextDep, who: Viewer, operation_id: OperationIdPath, ok: OkQuery = None,
    cursor: CursorQuery = None, limit: LimitQuery = None,
) -> Page[OperationItemPublic]:  # fmt: skip
    return await _items(ctx, who.tenant_id, exports.KIND, operation_id, ok, cursor, limit)


@router.get(
    "/exports/{id}/download",
    summary="The export as JSON Lines: one run with its redacted history per line (streamed)",
    response_class=StreamingResponse,
    responses={
        200: {"content": {JSONL: {"schema": {"type": "string"}}}},
        409: {"description": "the export is not COMPLETED yet"},
    },
)  # fmt: skip
async def download_export(
    ctx: ContextDep, who: Viewer, operation_id: OperationIdPath
) -> StreamingResponse:
    operation = await _get(ctx, who.tenant_id, exports.KIND, operation_id)
    if operation.status != "COMPLETED":
        raise ProblemError(409, "EXPORT_NOT_READY", (
            f"export {operation_id} is {operation.status} ({operation.done} of "
            f"{operation.total} runs done): download it when it is COMPLETED"))  # fmt: skip
    filename = f"runs-{who.tenant_id}-{operation_id}.jsonl"
    return StreamingResponse(
        _jsonl(exports.lines(ctx, who.tenant_id, operation_id)), media_type=JSONL,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )  # fmt: skip


async def _jsonl(documents: AsyncIterator[Any]) -> AsyncIterator[str]:
    async for document in documents:
        yield json.dumps(document, ensure_ascii=False) + "\n"
