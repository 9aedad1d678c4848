"""``/outbound-emails``: mail the help desk sent or will send (newest first)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import Query
from sluice_helpdesk.listing import outbound_page
from sluice_http import sluice_router

from sluice_api.deps import ContextDep, CursorQuery, LimitQuery, Viewer
from sluice_api.routes.helpdesk_schemas import OutboundEmailPublic, outbound_public
from sluice_api.schemas.common import Page

router = sluice_router(prefix="/outbound-emails", tags=["help desk"])
OutboundStatus = Literal["pending", "sent", "failed", "suppressed"]


@router.get("", summary="List outbound emails (newest first)")
async def list_outbound(
    ctx: ContextDep,
    who: Viewer,
    status: Annotated[OutboundStatus | None, Query()] = None,
    ticket_id: Annotated[uuid.UUID | None, Query(alias="ticketId")] = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = None,
) -> Page[OutboundEmailPublic]:
    async with ctx.tx() as conn:
        page = await outbound_page(
            conn, who.tenant_id, status=status, ticket_id=ticket_id, cursor=cursor, limit=limit
        )
    return Page(items=[outbound_public(o) for o in page.items], next_cursor=page.next_cursor)
