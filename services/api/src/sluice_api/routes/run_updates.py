"""``GET /workflow-runs/updates``: live run updates as server-sent events.

Fed by ``wf.run-updates`` through the process's one ``RunUpdateHub`` (see
``live.py`` for positions, the ring and catch-up). Authenticated like every
route, with ``Authorization: Bearer``: browsers read the stream with ``fetch``
(the UI does), never with a token in the query string, which would end up in
access logs. FastAPI's SSE response sets ``Cache-Control: no-cache`` and
``X-Accel-Buffering: no`` (nginx passes events through unbuffered) and writes a
comment line after 15 s without an event.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Query
from fastapi.sse import EventSourceResponse, ServerSentEvent
from sluice_http import Problem, ProblemError, sluice_router, unavailable

from sluice_api.deps import ContextDep, Viewer
from sluice_api.live import Position, PositionError, RunUpdateHub, format_position, parse_position

log = logging.getLogger(__name__)
router = sluice_router(prefix="/workflow-runs", tags=["runs"])
RECONNECT_MS = 2000
DESCRIPTION = """Server-sent events (`text/event-stream`) of this tenant's runs, or of one
run with `runId`. Events:

- `ready` (first): `id` is the position the stream starts from;
- `update`: a message of `wf.run-updates`, `data` is its body plus `runId`, `type`
  (`run.update`) and `occurredAt`; for example `{"runId": ..., "status": "SUCCEEDED",
  "error": null, ...}`;
- `resync`: the stream could not replay everything since `Last-Event-ID` (too far
  behind, or Kafka no longer has it): refetch what you show; the stream goes on from
  the `id` of this event.

Every event's `id` is a position (the next Kafka offset of each partition of
`wf.run-updates`, dot-separated, for example `57.0.12`); send the last one back as
`Last-Event-ID` to resume without losing or repeating an update. Comment lines
(`: ping`) every 15 s without events keep proxies from closing the stream."""


@dataclass(frozen=True)
class Subscription:
    hub: RunUpdateHub
    since: Position | None
    resync: bool  # Last-Event-ID written for another partition count


async def open_subscription(
    ctx: ContextDep,
    _who: Viewer,
    last_event_id: Annotated[
        str | None, Header(alias="Last-Event-ID", description="the id of the last event seen")
    ] = None,
) -> Subscription:
    """Everything that can fail, before the stream's 200 is sent."""
    hub = ctx.live()
    if hub is None:
        raise ProblemError(503, "NOT_READY", "live updates need Kafka (WF_KAFKA_BOOTSTRAP_SERVERS)")
    try:
        await hub.start()
    except Exception as exc:
        log.warning("run update hub: cannot start: %r", exc)
        raise unavailable(exc, "Kafka") from exc
    if last_event_id is None or not last_event_id.strip():
        return Subscription(hub, None, resync=False)
    try:
        since = parse_position(last_event_id, len(hub.position))
    except PositionError as exc:
        raise ProblemError(400, "INVALID_CURSOR", str(exc)) from exc
    return Subscription(hub, since, resync=since is None)


@router.get(
    "/updates", response_class=EventSourceResponse, summary="Live run updates (server-sent events)",
    description=DESCRIPTION,
    responses={400: {"model": Problem, "description": "a Last-Event-ID this API did not write"}},
)  # fmt: skip
async def stream_run_updates(
    who: Viewer,
    subscription: Annotated[Subscription, Depends(open_subscription)],
    run_id: Annotated[uuid.UUID | None, Query(alias="runId", description="one run only")] = None,
) -> AsyncIterator[ServerSentEvent]:
    hub = subscription.hub
    updates = hub.subscribe(who.tenant_id, str(run_id) if run_id else None, subscription.since)
    async for sent in updates:
        event_id = format_position(sent.position)
        if sent.event == "ready":
            yield ServerSentEvent(event="ready", id=event_id, raw_data="{}", retry=RECONNECT_MS)
            if subscription.resync:
                yield ServerSentEvent(event="resync", id=event_id, raw_data='{"missed":null}')
            continue
        yield ServerSentEvent(event=sent.event, id=event_id, raw_data=sent.data)
