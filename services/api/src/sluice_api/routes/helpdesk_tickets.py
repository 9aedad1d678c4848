"""``/tickets``: list (filters status, contact, client), one ticket, its comments
(oldest first), its attachments and their bytes. Read-only (``workflow.view``)."""

from __future__ import annotations

import uuid
from typing import Annotated
from urllib.parse import quote

import asyncpg
from fastapi import Path, Query, Response
from sluice_helpdesk import TicketRepository
from sluice_helpdesk.listing import (
    attachment_content,
    attachments_page,
    comments_page,
    ticket_runs,
    tickets_page,
)
from sluice_http import not_found, sluice_router

from sluice_api.deps import ContextDep, CursorQuery, LimitQuery, Viewer
from sluice_api.routes.helpdesk_schemas import (
    AttachmentPublic,
    CommentPublic,
    TicketPublic,
    TicketRunPublic,
    attachment_public,
    comment_public,
    ticket_public,
)
from sluice_api.schemas.common import Page

router = sluice_router(prefix="/tickets", tags=["help desk"])
TicketIdPath = Annotated[uuid.UUID, Path(alias="ticketId")]
AttachmentIdPath = Annotated[uuid.UUID, Path(alias="attachmentId")]


@router.get("", summary="List tickets (newest first)")
async def list_tickets(
    ctx: ContextDep,
    who: Viewer,
    status: Annotated[str | None, Query(max_length=200)] = None,
    contact: Annotated[uuid.UUID | None, Query(description="contact id")] = None,
    client: Annotated[uuid.UUID | None, Query(description="client id")] = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = None,
) -> Page[TicketPublic]:
    async with ctx.tx() as conn:
        page = await tickets_page(
            conn, who.tenant_id, status=status, client_id=str(client) if client else None,
            contact_id=str(contact) if contact else None, cursor=cursor, limit=limit,
        )  # fmt: skip
    return Page(items=[ticket_public(t) for t in page.items], next_cursor=page.next_cursor)


@router.get("/{ticketId}", summary="One ticket")
async def get_ticket(ctx: ContextDep, who: Viewer, ticket_id: TicketIdPath) -> TicketPublic:
    async with ctx.tx() as conn:
        found = await TicketRepository(conn, who.tenant_id).get(str(ticket_id))
    if found is None:
        raise not_found("ticket", ticket_id)
    return ticket_public(found)


@router.get("/{ticketId}/comments", summary="A ticket's comments (oldest first)")
async def list_comments(
    ctx: ContextDep, who: Viewer, ticket_id: TicketIdPath,
    cursor: CursorQuery = None, limit: LimitQuery = None,
) -> Page[CommentPublic]:  # fmt: skip
    async with ctx.tx() as conn:
        await _ticket_exists(conn, who.tenant_id, ticket_id)
        page = await comments_page(conn, who.tenant_id, str(ticket_id), cursor=cursor, limit=limit)
    return Page(items=[comment_public(c) for c in page.items], next_cursor=page.next_cursor)


@router.get("/{ticketId}/attachments", summary="A ticket's attachments (oldest first)")
async def list_attachments(
    ctx: ContextDep, who: Viewer, ticket_id: TicketIdPath,
    cursor: CursorQuery = None, limit: LimitQuery = None,
) -> Page[AttachmentPublic]:  # fmt: skip
    async with ctx.tx() as conn:
        await _ticket_exists(conn, who.tenant_id, ticket_id)
        page = await attachments_page(
            conn, who.tenant_id, str(ticket_id), cursor=cursor, limit=limit
        )
    return Page(items=[attachment_public(a) for a in page.items], next_cursor=page.next_cursor)


@router.get(
    "/{ticketId}/attachments/{attachmentId}/content", summary="An attachment's bytes",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}, "description": "the bytes"}},
)  # fmt: skip
async def download_attachment(
    ctx: ContextDep, who: Viewer, ticket_id: TicketIdPath, attachment_id: AttachmentIdPath
) -> Response:
    async with ctx.tx() as conn:
        found = await attachment_content(conn, who.tenant_id, str(ticket_id), str(attachment_id))
    if found is None:
        raise not_found("attachment", attachment_id)
    attachment, data = found
    # Always a download, never rendered inline: the bytes come from strangers' email.
    disposition = f"attachment; filename*=UTF-8''{quote(attachment.name)}"
    headers = {"Content-Disposition": disposition, "X-Content-Type-Options": "nosniff",
               "X-Checksum-SHA256": attachment.sha256}  # fmt: skip
    return Response(data, media_type=attachment.content_type, headers=headers)


async def _ticket_exists(conn: asyncpg.Connection, tenant_id: str, ticket_id: uuid.UUID) -> None:
    if await TicketRepository(conn, tenant_id).get(str(ticket_id)) is None:
        raise not_found("ticket", ticket_id)


@router.get("/{ticketId}/runs", summary="The runs that created, changed or found the ticket")
async def list_ticket_runs(
    ctx: ContextDep, who: Viewer, ticket_id: TicketIdPath
) -> list[TicketRunPublic]:
    """Newest first (at most 100): each run with the help-desk action that named the
    ticket in its output, its step and when it started."""
    async with ctx.tx() as conn:
        if await TicketRepository(conn, who.tenant_id).get(str(ticket_id)) is None:
            raise not_found("ticket", ticket_id)
        runs = await ticket_runs(conn, who.tenant_id, ticket_id)
    return [TicketRunPublic.model_validate(r, from_attributes=True) for r in runs]
