"""Pure actions run inline, in the transaction that advances the run.

A pure action (``side_effectful=False``) with a handler in
``EngineContext.inline_handlers`` is not sent to the executor: its handler
runs right here, its invocation is recorded, and its ``CompleteAction`` is
applied to the run at once, saving a Kafka round trip and a job per call.
A handler that reads the database gets the connection inside a savepoint,
so its error cannot abort the advancing transaction.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import asyncpg
from workflow_core.interpreter.commands import ActionFailure, CompleteAction
from workflow_core.interpreter.effects import Effect, RequestAction

from sluice_engine.context import EngineContext
from sluice_engine.executor import classify
from sluice_engine.handlers import ActionCall, ActionMode, ActionServices, HandlerEntry
from sluice_engine.invocations import record_inline
from sluice_engine.messages import answer_id

# Pure handlers are quick (parsing, lookups); 5 s bounds one holding a run lock.
INLINE_TIMEOUT_S = 5.0


def inline_request(ctx: EngineContext, effects: list[Effect]) -> RequestAction | None:
    """The pure action request of this transition that can run inline, if any."""
    if ctx.inline_handlers is None:
        return None
    handlers = ctx.inline_handlers
    inline = ActionMode.INLINE
    requests = [e for e in effects if isinstance(e, RequestAction)]
    return next((r for r in requests if handlers.mode(r.action_id, r.version,
                 side_effectful=r.side_effectful) is inline), None)  # fmt: skip


async def run_inline(
    conn: asyncpg.Connection,
    ctx: EngineContext,
    tenant_id: str,
    run_id: str,
    request: RequestAction,
    now: datetime,
) -> CompleteAction:
    """Run the handler, record the invocation, return the answer (its ``now`` is the
    advancing command's, so a replay of the history sees the same times)."""
    assert ctx.inline_handlers is not None
    entry = ctx.inline_handlers.get(request.action_id, request.version)
    assert entry is not None
    started = ctx.clock()
    output, failure = await call_handler(
        conn, ctx.action_services, entry, tenant_id, run_id, request
    )
    finished = ctx.clock()
    error = failure.model_dump(mode="json", by_alias=True) if failure else None
    await record_inline(conn, tenant_id, run_id, request, output=output, error=error,
                        started=started, finished=finished, metrics=ctx.metrics)  # fmt: skip
    return CompleteAction(
        command_id=answer_id("complete", request.request_id), now=now,
        request_id=request.request_id, output=output, error=failure,
    )  # fmt: skip


async def call_handler(
    conn: asyncpg.Connection | None, services: ActionServices, entry: HandlerEntry,
    tenant_id: str, run_id: str, request: RequestAction,
) -> tuple[Any, ActionFailure | None]:  # fmt: skip
    """Call a pure handler as the interpreter calls it inline: bounded by INLINE_TIMEOUT_S,
    a transactional one inside a savepoint of ``conn``; its failure comes back as data.
    (Shadow runs call non-transactional ones with no connection: ``sluice_engine.shadow``.)"""

    def call(connection: asyncpg.Connection | None) -> ActionCall:
        return ActionCall(
            tenant_id=tenant_id, run_id=run_id, step_id=request.step_id,
            action_id=request.action_id, version=request.version,
            idempotency_key=request.idempotency_key, attempt=request.attempt,
            args=request.args, conn=connection, services=services,
        )  # fmt: skip

    if entry.transactional and conn is None:
        raise ValueError(f"{request.action_id}: a transactional handler needs the connection")
    try:
        if conn is None or not entry.transactional:
            return await asyncio.wait_for(entry.fn(call(None)), INLINE_TIMEOUT_S), None
        async with conn.transaction():  # a savepoint: its failure leaves ours intact
            return await asyncio.wait_for(entry.fn(call(conn)), INLINE_TIMEOUT_S), None
    except Exception as exc:  # the handler's failure is the step's error
        return None, classify(exc)
