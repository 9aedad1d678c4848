"""``/workflow/events``: submit (routed before the response) and list."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import asyncpg
from fastapi import Query, Response
from sluice_engine import route_event
from sluice_http import sluice_router
from sluice_storage import EventFilter, EventRepository, NewEvent
from workflow_core.redaction import redact

from sluice_api.deps import ContextDep, CursorQuery, LimitQuery, Manager, Viewer
from sluice_api.idempotency import IdempotencyKeyHeader, idempotent
from sluice_api.schemas.common import Instant, Page
from sluice_api.schemas.events import EventCreate, EventPublic, EventRouted
from sluice_api.views_events import event_public

router = sluice_router(prefix="/workflow/events", tags=["events"])


def _secret_refs_masked(value: Any) -> Any:
    # An event has no run of its own yet: mask secretRef siblings (SPEC 10 rule 2).
    return redact(value)


@router.get("", summary="List events (newest first) with the runs they started or resumed")
async def list_events(
    ctx: ContextDep,
    who: Viewer,
    event_name: Annotated[str | None, Query(alias="eventName")] = None,
    correlation_key: Annotated[str | None, Query(alias="correlationKey")] = None,
    matched: Annotated[
        bool | None, Query(description="true: resumed a wait; false: kept unmatched")
    ] = None,
    received_from: Annotated[
        Instant | None, Query(alias="from", description="received at or after (ISO 8601)")
    ] = None,
    received_to: Annotated[Instant | None, Query(alias="to", description="received before")] = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = None,
) -> Page[EventPublic]:
    flt = EventFilter(
        event_name=event_name, correlation_key=correlation_key, matched=matched,
        received_from=received_from, received_to=received_to,
    )  # fmt: skip
    async with ctx.tx() as conn:
        events = EventRepository(conn, who.tenant_id)
        page = await events.list_events(flt, cursor=cursor, limit=limit)
    items = [event_public(e, _secret_refs_masked) for e in page.items]
    return Page(items=items, next_cursor=page.next_cursor)


@router.post(
    "", status_code=201, summary="Submit an event; it is routed before the response",
    responses={
        200: {"model": EventRouted,
              "description": "a repeat of an earlier idempotencyKey: nothing new, its first ids"},
        201: {"description": "routed: the runs it started, the wait it resolved"},
        422: {"description": "malformed event, or an Idempotency-Key header reused with "
              "another body (IDEMPOTENCY_KEY_REUSED)"},
    },
)  # fmt: skip
async def submit_event(
    ctx: ContextDep,
    who: Manager,
    body: EventCreate,
    response: Response,
    idempotency_key: IdempotencyKeyHeader = None,
) -> EventRouted:
    async def route(conn: asyncpg.Connection) -> tuple[int, dict[str, Any]]:
        event = NewEvent(
            event_id=uuid.uuid4(), event_name=body.event_name,
            correlation_key=body.correlation_key, payload=body.payload, received_at=ctx.clock(),
            idempotency_key=body.idempotency_key, source="api",
        )  # fmt: skip
        routed = await route_event(conn, ctx.engine, who.tenant_id, event)
        result = EventRouted(
            event_id=routed.event_id, started_run_ids=routed.started_run_ids,
            resumed_run_id=routed.resumed_run_id, duplicate=routed.duplicate,
            errors=routed.errors,
        )  # fmt: skip
        # A duplicate (same body idempotencyKey) created nothing: 200, not 201.
        return (200 if routed.duplicate else 201), result.model_dump(mode="json", by_alias=True)

    status, payload = await idempotent(
        ctx, who, "workflow-events", idempotency_key, body.model_dump(mode="json"), route
    )
    response.status_code = status
    return EventRouted.model_validate(payload)
