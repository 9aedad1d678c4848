"""``/audit-events``: the audit log as an auditor reads it, and its export.

Filters: ``action`` (exact, or a prefix ending in ``.`` such as ``run.``),
``target``, ``actor``, ``from`` (inclusive) and ``to`` (exclusive). The export
streams every matching entry as CSV or JSON Lines, a page at a time, inside
one read-only transaction (a consistent snapshot however long it runs).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator, Iterable
from typing import Annotated, Literal

from fastapi import Query
from fastapi.responses import StreamingResponse
from sluice_http import sluice_router
from sluice_storage import AuditEntry, AuditFilter, AuditRepository

from sluice_api.context import ApiContext
from sluice_api.deps import ContextDep, CursorQuery, LimitQuery, Viewer
from sluice_api.schemas.audit import AuditEventPublic
from sluice_api.schemas.common import Instant, Page

router = sluice_router(prefix="/audit-events", tags=["audit"])
CSV_COLUMNS = (
    "auditId",
    "at",
    "tenantId",
    "actor",
    "role",
    "action",
    "target",
    "reason",
    "details",
)
EXPORT_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson"}
EXPORT_CONTENT = {
    media.split(";")[0]: {"schema": {"type": "string"}} for media in EXPORT_TYPES.values()
}

ActionQuery = Annotated[
    str | None, Query(max_length=200, description="exact action, or a prefix ending in '.'")
]
TargetQuery = Annotated[str | None, Query(max_length=200, description="the id acted on")]
ActorQuery = Annotated[str | None, Query(max_length=200, description="the token's subject")]
FromQuery = Annotated[Instant | None, Query(alias="from", description="at or after (RFC 3339)")]
ToQuery = Annotated[Instant | None, Query(alias="to", description="before (RFC 3339)")]


def audit_public(entry: AuditEntry) -> AuditEventPublic:
    return AuditEventPublic(
        audit_id=str(entry.id), at=entry.at, tenant_id=entry.tenant_id, actor=entry.subject,
        role=entry.role, action=entry.action, target=entry.target, reason=entry.reason,
        details=entry.details,
    )  # fmt: skip


@router.get("", summary="List audit entries (newest first)")
async def list_audit_events(
    ctx: ContextDep,
    who: Viewer,
    action: ActionQuery = None,
    target: TargetQuery = None,
    actor: ActorQuery = None,
    since: FromQuery = None,
    until: ToQuery = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = None,
) -> Page[AuditEventPublic]:
    where = AuditFilter(action=action, target=target, actor=actor, since=since, until=until)
    async with ctx.tx() as conn:
        page = await AuditRepository(conn, who.tenant_id).list_entries(
            where=where, cursor=cursor, limit=limit
        )
    return Page(items=[audit_public(e) for e in page.items], next_cursor=page.next_cursor)


@router.get(
    "/export", summary="Export audit entries as CSV or JSON Lines (streamed)",
    response_class=StreamingResponse, responses={200: {"content": EXPORT_CONTENT}},
)  # fmt: skip
async def export_audit_events(
    ctx: ContextDep,
    who: Viewer,
    export_format: Annotated[Literal["csv", "jsonl"], Query(alias="format")] = "jsonl",
    action: ActionQuery = None,
    target: TargetQuery = None,
    actor: ActorQuery = None,
    since: FromQuery = None,
    until: ToQuery = None,
) -> StreamingResponse:
    where = AuditFilter(action=action, target=target, actor=actor, since=since, until=until)
    lines = _export_lines(ctx, who.tenant_id, where, export_format)
    filename = f"audit-{who.tenant_id}.{export_format}"
    return StreamingResponse(
        lines, media_type=EXPORT_TYPES[export_format],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )  # fmt: skip


async def _export_lines(
    ctx: ApiContext, tenant_id: str, where: AuditFilter, export_format: str
) -> AsyncIterator[str]:
    if export_format == "csv":
        yield _csv_row(CSV_COLUMNS)
    async with ctx.tx() as conn:
        await conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        async for entry in AuditRepository(conn, tenant_id).stream(where):
            wire = audit_public(entry).model_dump(mode="json", by_alias=True)
            if export_format == "csv":
                details = json.dumps(wire["details"]) if wire["details"] is not None else ""
                yield _csv_row([*(wire[c] for c in CSV_COLUMNS[:-1]), details])
            else:
                yield json.dumps(wire, ensure_ascii=False) + "\n"


def _csv_row(values: Iterable[object]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(values)  # RFC 4180
    return out.getvalue()
