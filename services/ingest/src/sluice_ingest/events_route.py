"""``POST /events``: one event of the token's tenant onto ``wf.events`` (via the outbox).

Answer ``202 {eventId, status: accepted|duplicate}``: accepted means the
event is committed to the outbox and the relay will publish it; the
interpreter's router then routes it with the one routing function. With an
``idempotencyKey`` the event id is derived from (tenant, key), the key is
remembered for 24 h, and a repeat with the same body answers ``duplicate``
with the same ``eventId`` and publishes nothing; the same key with another
body is refused (422).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Annotated, Any, Literal

import asyncpg
from fastapi import Depends, Header
from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel
from sluice_http import ProblemError, sluice_router
from sluice_messaging import EVENT_TYPE, new_envelope
from sluice_messaging.events import EventSubmission
from sluice_storage import enqueue
from sluice_storage.http_idempotency import HttpIdempotencyRepository
from sluice_telemetry import trace_headers

from sluice_ingest.auth import require_manager
from sluice_ingest.context import IngestContext, get_context

router = sluice_router(tags=["events"])
SCOPE = "ingest-events"
_EVENT_ID_NAMESPACE = uuid.UUID("0d6d3c9e-3a53-4b0f-9b7e-6e7f5f0c8a21")


class EventIn(EventSubmission):
    """``POST /events`` body: the shared event submission form."""


class EventAccepted(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, validate_by_name=True)

    event_id: uuid.UUID
    status: Literal["accepted", "duplicate"]


def event_id_for(tenant_id: str, event: EventIn) -> uuid.UUID:
    if event.idempotency_key is None:
        return uuid.uuid4()
    return uuid.uuid5(_EVENT_ID_NAMESPACE, f"{tenant_id}\x00{event.idempotency_key}")


def body_hash(event: EventIn) -> str:
    canonical = json.dumps(event.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


async def _seen_before(conn: asyncpg.Connection, tenant_id: str, event: EventIn, now: Any) -> bool:
    if event.idempotency_key is None:
        return False
    keys = HttpIdempotencyRepository(conn, tenant_id)
    earlier = await keys.reserve(SCOPE, event.idempotency_key, body_hash(event), now)
    if earlier is None:
        return False
    if earlier.request_hash != body_hash(event):
        detail = f"idempotencyKey {event.idempotency_key!r} was used with a different event"
        raise ProblemError(422, "IDEMPOTENCY_KEY_REUSED", detail)
    return True


@router.post("/events", status_code=202, summary="Submit an event (tenant from the token)")
async def submit_event(
    ctx: Annotated[IngestContext, Depends(get_context)],
    event: EventIn,
    authorization: Annotated[str | None, Header()] = None,
) -> EventAccepted:
    tenant_id = await require_manager(ctx, authorization)
    now = ctx.clock()
    event_id = event_id_for(tenant_id, event)
    async with ctx.tx() as conn:
        if await _seen_before(conn, tenant_id, event, now):
            return EventAccepted(event_id=event_id, status="duplicate")
        body = event.model_dump(mode="json", by_alias=True, exclude_none=True)
        envelope = new_envelope(EVENT_TYPE, tenant_id, body, occurred_at=now, message_id=event_id)
        key = f"{tenant_id}:{event.event_name}:{event.correlation_key}"  # ARCHITECTURE topic key
        await enqueue(conn, tenant_id, ctx.topics.events, key, envelope, trace_headers())
    return EventAccepted(event_id=event_id, status="accepted")
