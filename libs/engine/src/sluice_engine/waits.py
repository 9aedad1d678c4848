"""Wait rows: registration (taking an earlier unmatched event at once) and release.

Registration of an event wait inserts the open wait, then takes the same
advisory lock on ``(tenant, eventName, correlationKey)`` as event routing and
looks for an earlier event, so an event either sees the open wait or is seen
by it: no lost wake-up, no event used twice. The lock and the look happen at
the unit's flush, with its other key locks in one order (``sluice_storage.key_locks``);
releasing an event wait waits for that point too. Every transition out of
OPEN is one conditional update; only its winner writes a command.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from functools import partial

import asyncpg
from sluice_storage import EventRecord, EventRepository, NewWait, RunWrites, WaitRepository
from sluice_storage.events import event_key_lock_id
from sluice_storage.human_tasks import HumanTaskRepository, NewHumanTask
from workflow_core.interpreter.commands import EventData, ResumeWait
from workflow_core.interpreter.effects import RegisterWait, ReleaseWait, WaitKind, WaitOutcome

from sluice_engine.context import EngineContext
from sluice_engine.messages import answer_id, command_message

WAIT_STATUS = {
    WaitOutcome.RESOLVED: "RESOLVED",
    WaitOutcome.FIRED: "FIRED",
    WaitOutcome.TIMED_OUT: "FIRED",
    WaitOutcome.CANCELED: "CANCELED",
}


def resume_command(wait_id: str, event: EventRecord, now: datetime) -> ResumeWait:
    return ResumeWait(
        command_id=answer_id("resume", wait_id),
        now=now,
        wait_id=wait_id,
        event=EventData(
            event_id=str(event.event_id),
            event_name=event.event_name,
            correlation_key=event.correlation_key,
            payload=event.payload,
            received_at=event.received_at,
        ),
    )


async def register_wait(
    conn: asyncpg.Connection,
    ctx: EngineContext,
    writes: RunWrites,
    run_id: uuid.UUID,
    effect: RegisterWait,
    now: datetime,
) -> None:
    waits = WaitRepository(conn, writes.tenant_id)
    await waits.register(
        NewWait(
            wait_id=uuid.UUID(effect.wait_id), run_id=run_id, kind=effect.kind.value,
            created_at=now, step_id=effect.step_id, node_path=effect.node_path,
            event_name=effect.event_name, correlation_key=effect.correlation_key,
            due_at=effect.due_at, accept_earlier_ms=effect.accept_earlier_ms,
        )
    )  # fmt: skip
    if effect.kind is WaitKind.EVENT:
        assert effect.event_name is not None
        assert effect.correlation_key is not None
        lock_id = event_key_lock_id(writes.tenant_id, effect.event_name, effect.correlation_key)
        take = partial(_take_earlier_event, ctx=ctx, writes=writes, run_id=run_id, effect=effect,
                       now=now)  # fmt: skip
        writes.under_key_lock(lock_id, take)
    elif effect.kind is WaitKind.HUMAN_TASK and effect.task is not None:
        task = effect.task
        await HumanTaskRepository(conn, writes.tenant_id).create(
            NewHumanTask(
                task_id=uuid.UUID(effect.wait_id), run_id=run_id, task_type=task.task_type,
                title=task.title, form_schema=dict(task.form_schema), created_at=now,
                wait_id=uuid.UUID(effect.wait_id), description=task.description,
                assignee=task.assignee,
            )
        )  # fmt: skip


async def _take_earlier_event(
    conn: asyncpg.Connection,
    *,
    ctx: EngineContext,
    writes: RunWrites,
    run_id: uuid.UUID,
    effect: RegisterWait,
    now: datetime,
) -> None:
    """The oldest unmatched, unexpired event on the key resumes this wait at once
    (run by the flush, under the key lock)."""
    assert effect.event_name is not None
    assert effect.correlation_key is not None
    events = EventRepository(conn, writes.tenant_id)
    window = timedelta(milliseconds=effect.accept_earlier_ms or 0)
    event = await events.oldest_unmatched(
        effect.event_name, effect.correlation_key, received_after=now - window, now=now,
        exclude_started_run=run_id,
    )  # fmt: skip
    if event is None:
        return
    closed = await WaitRepository(conn, writes.tenant_id).close(
        uuid.UUID(effect.wait_id), "RESOLVED", now=now, resolved_by=f"event:{event.event_id}",
        resolution={"eventId": str(event.event_id)},
    )  # fmt: skip
    if closed is None or not await events.mark_matched(event.event_id, run_id):
        return
    command = resume_command(effect.wait_id, event, now)
    writes.message(command_message(ctx.topics, writes.tenant_id, str(run_id), command))


async def release_wait(
    conn: asyncpg.Connection, writes: RunWrites, effect: ReleaseWait, now: datetime
) -> None:
    """Close the wait if still open (the core's view; another transition may have won).

    An event wait is closed at the flush, after the unit's key locks: routing
    locks open event waits while holding its key lock, so a unit must not hold
    one while it waits for key locks (``sluice_storage.key_locks``).
    """
    if effect.kind is WaitKind.EVENT:
        writes.under_key_lock(None, partial(_close, tenant_id=writes.tenant_id, effect=effect,
                                            now=now))  # fmt: skip
        return
    await _close(conn, tenant_id=writes.tenant_id, effect=effect, now=now)
    ended_task = effect.kind is WaitKind.HUMAN_TASK and effect.outcome in (
        WaitOutcome.CANCELED,
        WaitOutcome.TIMED_OUT,
    )
    if ended_task:
        await HumanTaskRepository(conn, writes.tenant_id).cancel(uuid.UUID(effect.wait_id), now)


async def _close(
    conn: asyncpg.Connection, *, tenant_id: str, effect: ReleaseWait, now: datetime
) -> None:
    await WaitRepository(conn, tenant_id).close(
        uuid.UUID(effect.wait_id), WAIT_STATUS[effect.outcome], now=now,
        resolved_by=f"run:{effect.outcome.value}",
    )  # fmt: skip
