"""The one event-routing function (ARCHITECTURE "Events meet waits without races").

Store the event once; start one run of the latest published version of every
definition it triggers; then, under the advisory lock on ``(tenant,
eventName, correlationKey)``, resume exactly one open wait on the key (the
oldest, never one of the runs this event just started) with one conditional
update; otherwise the event stays unmatched for waits registered a moment
later. The API runs it in its own transaction, the interpreter's router for
events from Kafka.

Lock order (``sluice_storage.key_locks``): the event's key lock is not taken first. The
triggered runs' event waits need their own key locks, so taking the event's
key at once and the others as the runs registered their waits took two keys
in whatever order the data gave, and two routings deadlocked (``ORDER:k``
starting a run that waits for ``PAY:k`` against ``PAY:k`` starting one that
waits for ``ORDER:k``). Now a routing

1. inserts its event row (a duplicate waits on the unique index for the
   first copy to commit) and its runs and their wait rows, holding no key lock;
2. takes its event's key lock and every key lock its new waits need, in ONE
   statement, ascending by lock id (the same order in every unit: routing,
   advancing runs, starting runs);
3. then resumes the oldest open wait on its key, and lets each new wait take
   an earlier event on its key (``waits``), then writes the history.

Inserting the event before its lock is safe: the wait side inserts its wait
before the same lock too, and whichever takes the lock second sees the
other's committed row, so exactly one of them makes the match.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import asyncpg
from sluice_storage import (
    DefinitionRepository,
    EventRecord,
    EventRepository,
    NewEvent,
    RunWrites,
    WaitRecord,
    WaitRepository,
)
from sluice_storage.events import event_key_lock_id
from sluice_storage.pauses import PauseRepository
from sluice_storage.waits import WAIT_COLUMNS
from workflow_core.interpreter.ids import derived_id

from sluice_engine.context import EngineContext
from sluice_engine.errors import InvalidPayloadError, UnknownWorkflowError
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
    """Route one event in the caller's transaction (its key lock is taken by the flush,
    with the key locks of the waits its runs register, in one order)."""
    events = EventRepository(conn, tenant_id)
    stored, created = await events.store(event)
    if not created:
        return _result(stored, duplicate=True)
    writes = RunWrites(tenant_id, notify=ctx.notify_outbox)
    started, errors = await _start_triggered(conn, ctx, writes, stored)
    await events.record_started(stored.event_id, [uuid.UUID(r) for r in started], errors or None)
    resumed: list[str] = []
    lock_id = event_key_lock_id(tenant_id, stored.event_name, stored.correlation_key)
    resume = partial(_resume_oldest_wait, ctx=ctx, writes=writes, event=stored, started=started,
                     resumed=resumed)  # fmt: skip
    writes.under_key_lock(lock_id, resume)
    await writes.flush(conn)
    return RouteResult(str(stored.event_id), started, next(iter(resumed), None), errors=errors)


def _result(stored: EventRecord, *, duplicate: bool) -> RouteResult:
    resumed = str(stored.resumed_run_id) if stored.resumed_run_id else None
    errors = stored.errors if isinstance(stored.errors, list) else []
    started = [str(r) for r in stored.started_run_ids]
    return RouteResult(str(stored.event_id), started, resumed, duplicate, errors)


async def _start_triggered(
    conn: asyncpg.Connection, ctx: EngineContext, writes: RunWrites, event: EventRecord
) -> tuple[list[str], list[dict[str, Any]]]:
    triggered = await DefinitionRepository(conn, writes.tenant_id).triggered_by(event.event_name)
    held = [v.workflow_id for v in triggered if v.paused]
    if held:  # started on unpause (sluice_engine.pausing), in arrival order
        await PauseRepository(conn, writes.tenant_id).hold(held, event.event_id, ctx.clock())
    versions = [v for v in triggered if not v.paused]
    planned = [triggered_run_id(event.event_id, v.workflow_id) for v in versions]
    # Recorded before the starts: a wait one of them registers on this key must
    # not take this very event ("except events that started that same run").
    await EventRepository(conn, writes.tenant_id).record_started(
        event.event_id, [uuid.UUID(r) for r in planned]
    )
    started: list[str] = []
    errors: list[dict[str, Any]] = []
    for version, run_id in zip(versions, planned, strict=True):
        failed = await start_triggered(conn, ctx, writes, event, version.workflow_id,
                                       version.version)  # fmt: skip
        if failed is None:
            started.append(run_id)
        else:
            errors.append(failed)
    return started, errors


async def start_triggered(
    conn: asyncpg.Connection, ctx: EngineContext, writes: RunWrites, event: EventRecord,
    workflow_id: uuid.UUID, version: int | None,
) -> dict[str, Any] | None:  # fmt: skip
    """Start the run ``event`` triggers in ``workflow_id`` (its deterministic id); the
    refusal as an event error, or None when it started."""
    options = StartOptions(
        version=version, run_id=triggered_run_id(event.event_id, workflow_id),
        trigger_event_id=event.event_id, event_name=event.event_name,
        correlation_key=event.correlation_key,
    )  # fmt: skip
    try:
        await start_with(conn, ctx, writes, str(workflow_id), event.payload, options)
    except (InvalidPayloadError, UnknownWorkflowError) as failed:
        return _start_error(str(workflow_id), failed)
    return None


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
    *,
    ctx: EngineContext,
    writes: RunWrites,
    event: EventRecord,
    started: list[str],
    resumed: list[str],
) -> None:
    """Resume the oldest open wait on the key (run by the flush, under the key lock)
    and add its run to ``resumed``; the conditional close decides races."""
    waits = WaitRepository(conn, writes.tenant_id)
    while True:
        wait = await _oldest_open_wait(conn, writes.tenant_id, event, started)
        if wait is None:
            return
        closed = await waits.close(
            wait.wait_id, "RESOLVED", now=event.received_at, resolved_by=f"event:{event.event_id}",
            resolution={"eventId": str(event.event_id)},
        )  # fmt: skip
        if closed is None:
            continue  # canceled or timed out between the read and the update
        await EventRepository(conn, writes.tenant_id).mark_matched(event.event_id, wait.run_id)
        command = resume_command(str(wait.wait_id), event, ctx.clock())
        writes.message(command_message(ctx.topics, writes.tenant_id, str(wait.run_id), command))
        resumed.append(str(wait.run_id))
        return


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
