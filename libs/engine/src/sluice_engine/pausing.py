"""Pause and unpause a workflow: its triggers start no runs while it is paused.

Routing holds the start an event would have made (``routing._start_triggered``
writes a ``held_starts`` row instead); schedules are not planned (their catchUp
applies on unpause); an API start is refused (``PauseStateError``
``WORKFLOW_PAUSED``). Runs already started go on, and so do child runs a running
parent starts: pausing stops new work arriving, not work in flight.

Unpausing starts the held runs in arrival order, each with the id routing would
have given it (``triggered_run_id``), so a start is never made twice, in the
caller's transaction; an event purged by retention meanwhile starts nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg
from sluice_storage import DefinitionRepository, EventRepository, RunWrites
from sluice_storage.pauses import PauseRepository

from sluice_engine.context import EngineContext
from sluice_engine.errors import PauseStateError, UnknownWorkflowError
from sluice_engine.routing import start_triggered, triggered_run_id

# Held starts released per round; each round is flushed before the next is read.
RELEASE_BATCH = 500


@dataclass
class Released:
    started_run_ids: list[str] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)


async def pause_workflow(
    conn: asyncpg.Connection, tenant_id: str, workflow_id: uuid.UUID, *, reason: str, by: str,
    now: datetime,
) -> None:  # fmt: skip
    await _known(conn, tenant_id, workflow_id)
    if not await PauseRepository(conn, tenant_id).pause(workflow_id, reason=reason, by=by,
                                                        now=now):  # fmt: skip
        raise PauseStateError(f"workflow {workflow_id} is paused already", "ALREADY_PAUSED")


async def unpause_workflow(
    conn: asyncpg.Connection, ctx: EngineContext, tenant_id: str, workflow_id: uuid.UUID
) -> Released:
    await _known(conn, tenant_id, workflow_id)
    pauses = PauseRepository(conn, tenant_id)
    if not await pauses.unpause(workflow_id, ctx.clock()):
        raise PauseStateError(f"workflow {workflow_id} is not paused", "NOT_PAUSED")
    released = Released()
    events = EventRepository(conn, tenant_id)
    while held := await pauses.take_held(workflow_id, RELEASE_BATCH):
        writes = RunWrites(tenant_id, notify=ctx.notify_outbox)
        for event_id in held:
            event = await events.get(event_id)
            if event is None:  # purged by retention while the workflow was paused
                continue
            failed = await start_triggered(conn, ctx, writes, event, workflow_id, None)
            if failed is not None:
                released.errors.append(failed)
                continue
            run_id = triggered_run_id(event.event_id, workflow_id)
            started = [*event.started_run_ids, uuid.UUID(run_id)]
            await events.record_started(event.event_id, started, event.errors)
            released.started_run_ids.append(run_id)
        await writes.flush(conn)
    return released


async def refuse_if_paused(conn: asyncpg.Connection, tenant_id: str, workflow_id: str) -> None:
    """An API start of a paused workflow is a clear 409, not a held start."""
    try:
        wanted = uuid.UUID(workflow_id)
    except ValueError:
        return  # not a workflow id at all: the start says so
    if await PauseRepository(conn, tenant_id).is_paused(wanted):
        raise PauseStateError(
            f"workflow {workflow_id} is paused: unpause it to start runs", "WORKFLOW_PAUSED"
        )


async def _known(conn: asyncpg.Connection, tenant_id: str, workflow_id: uuid.UUID) -> None:
    if await DefinitionRepository(conn, tenant_id).get(workflow_id) is None:
        raise UnknownWorkflowError(f"workflow {workflow_id} of tenant {tenant_id} is unknown")
