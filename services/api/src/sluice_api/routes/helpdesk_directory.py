"""``/clients`` and ``/contacts``: list (view) and create (manage)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query
from sluice_helpdesk import ClientRepository, ContactRepository, DuplicateContactError
from sluice_helpdesk.listing import clients_page, contacts_page
from sluice_http import Problem, ProblemError, ProblemItem, sluice_router

from sluice_api.deps import ContextDep, CursorQuery, LimitQuery, Manager, Viewer
from sluice_api.routes.helpdesk_schemas import (
    ClientCreate,
    ClientPublic,
    ContactCreate,
    ContactPublic,
    client_public,
    contact_public,
)
from sluice_api.schemas.common import Page

router = sluice_router(tags=["help desk"])


@router.get("/clients", summary="List clients (oldest first)")
async def list_clients(
    ctx: ContextDep, who: Viewer, cursor: CursorQuery = None, limit: LimitQuery = None
) -> Page[ClientPublic]:
    async with ctx.tx() as conn:
        page = await clients_page(conn, who.tenant_id, cursor=cursor, limit=limit)
    return Page(items=[client_public(c) for c in page.items], next_cursor=page.next_cursor)


@router.post("/clients", status_code=201, summary="Create a client")
async def create_client(ctx: ContextDep, who: Manager, body: ClientCreate) -> ClientPublic:
    async with ctx.tx() as conn:
        created = await ClientRepository(conn, who.tenant_id).create(body.name)
    return client_public(created)


@router.get("/contacts", summary="List contacts (oldest first), optionally of one client")
async def list_contacts(
    ctx: ContextDep,
    who: Viewer,
    client: Annotated[uuid.UUID | None, Query(alias="clientId")] = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = None,
) -> Page[ContactPublic]:
    async with ctx.tx() as conn:
        page = await contacts_page(
            conn, who.tenant_id, client_id=str(client) if client else None, cursor=cursor,
            limit=limit,
        )  # fmt: skip
    return Page(items=[contact_public(c) for c in page.items], next_cursor=page.next_cursor)


@router.post(
    "/contacts", status_code=201, summary="Create a contact (email unique per tenant)",
    responses={409: {"model": Problem, "description": "a contact has this email already"}},
)  # fmt: skip
async def create_contact(ctx: ContextDep, who: Manager, body: ContactCreate) -> ContactPublic:
    client_id = str(body.client_id) if body.client_id else None
    async with ctx.tx() as conn:
        if client_id and await ClientRepository(conn, who.tenant_id).get(client_id) is None:
            item = ProblemItem(pointer="/clientId", message=f"client {client_id} not found")
            raise ProblemError(422, "UNKNOWN_CLIENT", item.message, errors=[item])
        try:
            created = await ContactRepository(conn, who.tenant_id).create(
                body.email, client_id=client_id, name=body.name
            )
        except DuplicateContactError as exc:
            raise ProblemError(409, "DUPLICATE_CONTACT", exc.message) from exc
    return contact_public(created)
