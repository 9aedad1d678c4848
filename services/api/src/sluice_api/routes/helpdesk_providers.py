"""``/email-providers``: inbound mailboxes and their ticket defaults.

An inbound address routes mail of one (tenant, provider) across all tenants:
claiming an address another tenant or provider holds is 409.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path
from sluice_helpdesk import MailboxTakenError, ProviderRepository
from sluice_helpdesk.listing import providers_page
from sluice_http import Problem, ProblemError, not_found, sluice_router

from sluice_api.deps import ContextDep, CursorQuery, LimitQuery, Manager, Viewer
from sluice_api.routes.helpdesk_schemas import (
    PROVIDER_ID_PATTERN,
    ProviderPublic,
    ProviderUpdate,
    provider_public,
)
from sluice_api.schemas.common import Page

router = sluice_router(prefix="/email-providers", tags=["help desk"])
ProviderIdPath = Annotated[str, Path(alias="providerId", pattern=PROVIDER_ID_PATTERN)]


@router.get("", summary="List email providers (by id)")
async def list_providers(
    ctx: ContextDep, who: Viewer, cursor: CursorQuery = None, limit: LimitQuery = None
) -> Page[ProviderPublic]:
    async with ctx.tx() as conn:
        page = await providers_page(conn, who.tenant_id, cursor=cursor, limit=limit)
    return Page(items=[provider_public(p) for p in page.items], next_cursor=page.next_cursor)


@router.get("/{providerId}", summary="One email provider")
async def get_provider(ctx: ContextDep, who: Viewer, provider_id: ProviderIdPath) -> ProviderPublic:
    async with ctx.tx() as conn:
        found = await ProviderRepository(conn, who.tenant_id).get(provider_id)
    if found is None:
        raise not_found("email provider", provider_id)
    return provider_public(found)


@router.put(
    "/{providerId}", summary="Create or replace an email provider",
    responses={409: {"model": Problem, "description": "the inbound address is taken"}},
)  # fmt: skip
async def put_provider(
    ctx: ContextDep, who: Manager, provider_id: ProviderIdPath, body: ProviderUpdate
) -> ProviderPublic:
    defaults = body.defaults.model_dump(by_alias=True) if body.defaults is not None else None
    try:
        async with ctx.tx() as conn:
            saved = await ProviderRepository(conn, who.tenant_id).save(
                provider_id, body.inbound_address, defaults
            )
    except MailboxTakenError as exc:
        raise ProblemError(409, "MAILBOX_TAKEN", exc.message) from exc
    return provider_public(saved)
