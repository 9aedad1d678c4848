"""The one event-routing function (ARCHITECTURE "Events meet waits without races").

Under the advisory lock on ``(tenant, eventName, correlationKey)``: store the
event once; start one run of the latest published version of every definition
it triggers; resume exactly one open wait on the key (the oldest, never one of
the runs this event just started) with one conditional update; otherwise the
event stays unmatched for waits registered a moment later. The API runs it in
its own transaction, the interpreter's router for events from Kafka.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from sluice_storage import (
    DefinitionRepository,
    EventRecord,
    EventRepository,
    NewEvent,
    WaitRecord,
    WaitRepository,
)
from sluice_storage.waits import WAIT_COLUMNS
from workflow_core.interpreter.ids import derived_id

from sluice_engine.context import EngineContext
from sluice_engine.errors import InvalidPayloadError, UnknownWorkflowError
from sluice_engine.history import Writes
from sluice_engine.messages import command_message
from sluice_engine.runs import StartOptions, start_with
from sluice_engine.waits import resume_command


@dataclass(frozen=True)
class RouteResult:
    event_id: str
    started_run_ids: list[str]
    resumed_run_id: str | None
    duplicate: bool = False
    errors: list[dict[str, Any]] = field(default_factory=list)


def triggered_run_id(event_id: uuid.UUID, workflow_id: uuid.UUID) -> str:
    """Deterministic, so routing the same event twice can never start two runs."""
    return derived_id("triggered-run", str(event_id), str(workflow_id))


async def route_event(
    conn: asyncpg.Connection, ctx: EngineContext, tenant_id: str, event: NewEvent
) -> RouteResult:
    """Route one event in the caller's transaction."""
    events = EventRepository(conn, tenant_id)
    await events.lock_key(event.event_name, event.correlation_key)
    stored, created = await events.store(event)
    if not created:
        return _result(stored, duplicate=True)
    writes = Writes(tenant_id, notify=ctx.notify_outbox)
    started, errors = await _start_triggered(conn, ctx, writes, stored)
    await events.record_started(stored.event_id, [uuid.UUID(r) for r in started], errors or None)
    resumed = await _resume_oldest_wait(conn, ctx, writes, stored, started)
    await writes.flush(conn)
    return RouteResult(str(stored.event_id), started, resumed, errors=errors)


def _result(stored: EventRecord, *, duplicate: bool) -> RouteResult:
    resumed = str(stored.resumed_run_id) if stored.resumed_run_id else None
    errors = stored.errors if isinstance(stored.errors, list) else []
    started = [str(r) for r in stored.started_run_ids]
    return RouteResult(str(stored.event_id), started, resumed, duplicate, errors)


async def _start_triggered(
    conn: asyncpg.Connection, ctx: EngineContext, writes: Writes, event: EventRecord
) -> tuple[list[str], list[dict[str, Any]]]:
    versions = await DefinitionRepository(conn, writes.tenant_id).triggered_by(event.event_name)
    planned = [triggered_run_id(event.event_id, v.workflow_id) for v in versions]
    # Recorded before the starts: a wait one of them registers on this key must
    # not take this very event ("except events that started that same run").
    await EventRepository(conn, writes.tenant_id).record_started(
        event.event_id, [uuid.UUID(r) for r in planned]
    )
    started: list[str] = []
    errors: list[dict[str, Any]] = []
    for version, run_id in zip(versions, planned, strict=True):
        options = StartOptions(
            version=version.version, run_id=run_id, trigger_event_id=event.event_id,
            event_name=event.event_name, correlation_key=event.correlation_key,
        )  # fmt: skip
        try:
            await start_with(conn, ctx, writes, str(version.workflow_id), event.payload, options)
        except (InvalidPayloadError, UnknownWorkflowError) as failed:
            errors.append(_start_error(str(version.workflow_id), failed))
            continue
        started.append(run_id)
    return started, errors


def _start_error(
    workflow_id: str, failed: InvalidPayloadError | UnknownWorkflowError
) -> dict[str, Any]:
    found = getattr(failed, "violations", [])
    return {
        "workflowId": workflow_id,
        "code": failed.code,
        "message": failed.message,
        "errors": [v.as_dict() for v in found],
    }


async def _resume_oldest_wait(
    conn: asyncpg.Connection,
    ctx: EngineContext,
    writes: Writes,
    event: EventRecord,
    started: list[str],
) -> str | None:
    """Resume the oldest open wait on the key; the conditional close decides races."""
    waits = WaitRepository(conn, writes.tenant_id)
    while True:
        wait = await _oldest_open_wait(conn, writes.tenant_id, event, started)
        if wait is None:
            return None
        closed = await waits.close(
            wait.wait_id, "RESOLVED", now=event.received_at, resolved_by=f"event:{event.event_id}",
            resolution={"eventId": str(event.event_id)},
        )  # fmt: skip
        if closed is None:
            continue  # canceled or timed out between the read and the update
        await EventRepository(conn, writes.tenant_id).mark_matched(event.event_id, wait.run_id)
        command = resume_command(str(wait.wait_id), event, ctx.clock())
        writes.message(command_message(ctx.topics, writes.tenant_id, str(wait.run_id), command))
        return str(wait.run_id)


async def _oldest_open_wait(
    conn: asyncpg.Connection, tenant_id: str, event: EventRecord, started: list[str]
) -> WaitRecord | None:
    row = await conn.fetchrow(
        f"""SELECT {WAIT_COLUMNS} FROM run_waits
            WHERE tenant_id = $1 AND event_name = $2 AND correlation_key = $3
              AND status = 'OPEN' AND kind = 'event' AND NOT (run_id = ANY($4::uuid[]))
            ORDER BY created_at, wait_id LIMIT 1 FOR UPDATE""",
        tenant_id, event.event_name, event.correlation_key, [uuid.UUID(r) for r in started],
    )  # fmt: skip
    return WaitRecord(**dict(row)) if row else None
