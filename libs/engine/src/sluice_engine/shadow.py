"""Shadow runs, the shell's half: load a past run's recording, drive the core's
``ShadowRun`` over it, and run the pure actions that need no I/O for real.

The core decides everything (``workflow_core.simulation.shadow``); this module
only reads rows and calls handlers. It writes nothing: ``load_recording`` reads
the run's row, its ``action_invocations``, ``run_waits`` (with the events and
human tasks that closed them) and its child runs, through the repositories the
API's history routes use. ``shadow_run`` needs no connection at all: a pure
action runs for real only when the core calls it pure (``side_effectful=False``)
and its handler is not transactional (``live_actions``), so it is called
without a connection, exactly as the interpreter calls it inline; every other
action is answered from the recording.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

import asyncpg
from sluice_storage import RunRecord, RunRepository, WaitRecord, WaitRepository
from sluice_storage.events import EventRecord
from sluice_storage.history import InvocationRecord, RunHistoryRepository
from sluice_storage.human_tasks import HumanTaskRecord, HumanTaskRepository
from sluice_storage.pagination import Page
from workflow_core.definitions import Definition
from workflow_core.interpreter import ActionFailure, CompleteAction, EventData, RunStatus, WaitKind
from workflow_core.registry import Registry
from workflow_core.simulation import (
    RecordedChild,
    RecordedInvocation,
    RecordedWait,
    RunRecording,
    ShadowResult,
    ShadowRun,
)

from sluice_engine.handlers import ActionHandlers, ActionServices
from sluice_engine.inline import call_handler

# A run with more history rows than this is shadowed on what was read (the rest is
# "no recording"); 2,000 invocations is 100x the reference workflow's run.
MAX_RECORDED_ROWS = 2_000
ANSWERED_WAITS = frozenset({WaitKind.EVENT.value, WaitKind.HUMAN_TASK.value})
R = TypeVar("R")


def live_actions(registry: Registry, handlers: ActionHandlers) -> set[tuple[str, int]]:
    """The actions a shadow run may call for real: pure in the core's sense and with a
    handler that needs no transaction (no I/O on Sluice's database)."""
    found = set()
    for spec in registry.actions.all():
        entry = handlers.get(spec.action_id, spec.version)
        if not spec.side_effectful and entry is not None and not entry.transactional:
            found.add(spec.key)
    return found


async def _all(fetch: Callable[[str | None], Awaitable[Page[R]]]) -> list[R]:
    """Every row of a keyset-paged history list, up to MAX_RECORDED_ROWS."""
    rows: list[R] = []
    cursor: str | None = None
    while len(rows) < MAX_RECORDED_ROWS:
        page = await fetch(cursor)
        rows.extend(page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    return rows[:MAX_RECORDED_ROWS]


async def load_recording(conn: asyncpg.Connection, tenant_id: str, run: RunRecord) -> RunRecording:
    """What ``run`` recorded, read in the caller's (read-only) transaction."""
    history = RunHistoryRepository(conn, tenant_id)
    run_id = run.run_id
    invocations = await _all(lambda c: history.invocations(run_id, cursor=c, limit=500))
    waits = await _all(
        lambda c: WaitRepository(conn, tenant_id).list_for_run(run_id, cursor=c, limit=500)
    )
    events = await _all(lambda c: history.inbound_events(run_id, cursor=c, limit=500))
    tasks = await _all(
        lambda c: HumanTaskRepository(conn, tenant_id).list_tasks(
            run_id=run_id, cursor=c, limit=500
        )
    )
    children = await RunRepository(conn, tenant_id).children(run_id)
    state = run.run_state
    envelope: dict[str, Any] = _object(state.get("envelope"))
    meta: dict[str, Any] = _object(envelope.get("meta"))
    by_event = {str(e.event_id): e for e in events}
    by_wait = {str(t.wait_id or t.task_id): t for t in tasks}
    return RunRecording(
        run_id=str(run_id), tenant_id=tenant_id, workflow_id=str(run.workflow_id),
        workflow_version=run.workflow_version, started_at=run.started_at, payload=run.payload,
        seed=int(state.get("seed") or 0), trace_id=meta.get("traceId"),
        tags=dict(meta.get("tags") or {}), call_depth=run.call_depth,
        parent_run_id=str(run.parent_run_id) if run.parent_run_id else None,
        parent_step_id=state.get("parentStepId"), status=RunStatus(run.status),
        envelope=envelope, error=run.error,
        invocations=[_invocation(i) for i in invocations],
        waits=[_wait(w, by_event, by_wait) for w in waits if w.kind in ANSWERED_WAITS],
        children=[_child(c) for c in children],
    )  # fmt: skip


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _invocation(row: InvocationRecord) -> RecordedInvocation:
    error = ActionFailure.model_validate(row.error) if row.error else None
    return RecordedInvocation(
        action_id=row.action_id, version=row.action_version, step_id=row.step_id,
        idempotency_key=row.idempotency_key, status=row.status, input=row.input,
        output=row.output, error=error, finished_at=row.finished_at,
    )  # fmt: skip


def _wait(
    row: WaitRecord, events: dict[str, EventRecord], tasks: dict[str, HumanTaskRecord]
) -> RecordedWait:
    resolution = row.resolution if isinstance(row.resolution, dict) else {}
    event = events.get(str(resolution.get("eventId")))
    task = tasks.get(str(row.wait_id))
    completed = task is not None and task.status == "COMPLETED"
    return RecordedWait(
        kind=WaitKind(row.kind), step_id=row.step_id, status=row.status,
        event_name=row.event_name, correlation_key=row.correlation_key,
        resolved_at=row.resolved_at, event=_event(event) if event else None,
        task_output=task.output if completed and task else None, task_completed=completed,
        completed_by=_completer(row.resolved_by),
    )  # fmt: skip


def _event(record: EventRecord) -> EventData:
    return EventData(
        event_id=str(record.event_id), event_name=record.event_name,
        correlation_key=record.correlation_key, payload=record.payload,
        received_at=record.received_at,
    )  # fmt: skip


def _completer(resolved_by: str | None) -> str | None:
    """``task:<subject>`` as the engine writes it (``tasks._resolver``)."""
    if resolved_by and resolved_by.startswith("task:"):
        return resolved_by.removeprefix("task:")
    return None


def _child(run: RunRecord) -> RecordedChild:
    state = run.run_state
    envelope = state.get("envelope")
    return RecordedChild(
        child_run_id=str(run.run_id), workflow_id=str(run.workflow_id),
        step_id=state.get("parentStepId"), status=RunStatus(run.status),
        envelope=envelope if isinstance(envelope, dict) else None, error=run.error,
        completed_at=run.completed_at,
    )  # fmt: skip


async def shadow_run(
    definition: Definition,
    recording: RunRecording,
    *,
    registry: Registry,
    handlers: ActionHandlers,
    version: int,
    services: ActionServices | None = None,
    max_commands: int | None = None,
) -> ShadowResult:
    """Drive the draft over the recording; pure actions in ``live_actions`` run here."""
    options: dict[str, Any] = {} if max_commands is None else {"max_commands": max_commands}
    shadow = ShadowRun(
        definition, registry, recording, version=version,
        live_actions=live_actions(registry, handlers), **options,
    )  # fmt: skip
    pending = shadow.start()
    while pending:
        answers = []
        for request in pending:
            entry = handlers.get(request.action_id, request.version)
            assert entry is not None  # live_actions chose it: a handler...
            assert not entry.transactional  # ...that needs no connection
            output, failure = await call_handler(
                None, services or ActionServices(), entry, recording.tenant_id,
                recording.run_id, request,
            )  # fmt: skip
            answers.append(CompleteAction(
                command_id=str(uuid.uuid4()), now=_now(recording), request_id=request.request_id,
                output=output, error=failure,
            ))  # fmt: skip
        pending = shadow.answer(answers)
    return shadow.result()


def _now(recording: RunRecording) -> datetime:
    """An answer's time: the simulation keeps its own clock (a later ``now`` only moves
    it forward), so the run's start never moves it."""
    return recording.started_at
