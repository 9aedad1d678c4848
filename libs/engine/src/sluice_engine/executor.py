"""Running one leased action job: claim the invocation, call the handler, answer the run.

The answer is a ``CompleteAction`` command written to the outbox in the same
transaction that records the invocation's outcome and marks the job DONE, so
a crash anywhere either leaves everything to redo (lease expiry) or nothing.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import asyncpg
from pydantic import JsonValue
from sluice_storage import enqueue_many, transaction
from workflow_core.errors import ErrorCategory
from workflow_core.interpreter.commands import ActionFailure, CompleteAction
from workflow_core.interpreter.effects import RequestAction

from sluice_engine.context import EngineContext
from sluice_engine.handlers import ActionCall, ActionFailedError, ActionHandlers, HandlerEntry
from sluice_engine.invocations import Claim, claim, mark_done
from sluice_engine.jobs import Job, finish, postpone
from sluice_engine.messages import answer_id, command_message

log = logging.getLogger(__name__)

TRANSIENT_EXCEPTIONS = (TimeoutError, OSError, asyncpg.InterfaceError,
                        asyncpg.exceptions.SerializationError,
                        asyncpg.exceptions.DeadlockDetectedError)  # fmt: skip


@dataclass(frozen=True)
class ExecutorConfig:
    owner: str
    # 60 s lease: a dead executor's jobs are picked up again within a minute;
    # handlers get half of it so a live executor always finishes inside its lease.
    lease: timedelta = timedelta(seconds=60)

    @property
    def handler_timeout_s(self) -> float:
        return self.lease.total_seconds() / 2


class _LostLeaseError(Exception):
    """Another executor took the invocation over while this one ran it."""


def classify(exc: BaseException) -> ActionFailure:
    if isinstance(exc, ActionFailedError):
        return ActionFailure(
            category=exc.category, name=exc.name, message=exc.message,
            retryable=exc.retryable, data=exc.data,
        )  # fmt: skip
    if isinstance(exc, TRANSIENT_EXCEPTIONS):
        return ActionFailure(
            category=ErrorCategory.TRANSIENT, name=type(exc).__name__,
            message=str(exc) or type(exc).__name__, retryable=True,
        )  # fmt: skip
    return ActionFailure(
        category=ErrorCategory.ACTION, name="HANDLER_CRASHED",
        message=f"{type(exc).__name__}: {exc}", retryable=False,
    )  # fmt: skip


async def execute_job(
    pool: asyncpg.Pool,
    ctx: EngineContext,
    handlers: ActionHandlers,
    job: Job,
    config: ExecutorConfig,
) -> str:
    """Run one job to its answer; returns what happened (for metrics and tests)."""
    request = RequestAction.model_validate(job.request)
    async with transaction(pool) as conn:
        claimed = await claim(
            conn, job.tenant_id, str(job.run_id), request, config.owner, ctx.clock(), config.lease
        )
        if claimed.kind == "succeeded":
            await _answer(conn, ctx, job, request, output=claimed.output)
            return "reused"
        if claimed.kind == "busy":
            assert claimed.busy_until is not None
            await postpone(conn, job, claimed.busy_until)
            return "busy"
    entry = handlers.get(request.action_id, request.version)
    if entry is None:
        failure = ActionFailure(
            category=ErrorCategory.VALIDATION, name="NO_ACTION_HANDLER",
            message=f"no handler for action {request.action_id!r} v{request.version}",
        )  # fmt: skip
        return await _fail(pool, ctx, job, request, claimed, config, failure)
    try:
        return await _run(pool, ctx, job, request, claimed, config, entry)
    except _LostLeaseError:
        return "lost-lease"
    except Exception as exc:  # a handler failure becomes the step's error, never a crash
        return await _fail(pool, ctx, job, request, claimed, config, classify(exc))


def _call(job: Job, request: RequestAction, conn: asyncpg.Connection | None) -> ActionCall:
    return ActionCall(
        tenant_id=job.tenant_id, run_id=str(job.run_id), step_id=request.step_id,
        action_id=request.action_id, version=request.version,
        idempotency_key=request.idempotency_key, attempt=request.attempt, args=request.args,
        conn=conn,
    )  # fmt: skip


async def _run(
    pool: asyncpg.Pool,
    ctx: EngineContext,
    job: Job,
    request: RequestAction,
    claimed: Claim,
    config: ExecutorConfig,
    entry: HandlerEntry,
) -> str:
    timeout = config.handler_timeout_s
    if not entry.transactional:
        output = await asyncio.wait_for(entry.fn(_call(job, request, None)), timeout)
    async with transaction(pool) as conn:
        if entry.transactional:
            output = await asyncio.wait_for(entry.fn(_call(job, request, conn)), timeout)
        now = ctx.clock()
        if not await mark_done(conn, job.tenant_id, claimed, config.owner, now, output=output):
            raise _LostLeaseError
        await _answer(conn, ctx, job, request, output=output)
    return "succeeded"


async def _fail(
    pool: asyncpg.Pool,
    ctx: EngineContext,
    job: Job,
    request: RequestAction,
    claimed: Claim,
    config: ExecutorConfig,
    failure: ActionFailure,
) -> str:
    error = failure.model_dump(mode="json", by_alias=True)
    async with transaction(pool) as conn:
        now = ctx.clock()
        if not await mark_done(conn, job.tenant_id, claimed, config.owner, now, error=error):
            return "lost-lease"
        await _answer(conn, ctx, job, request, error=failure)
    return "failed"


async def _answer(
    conn: asyncpg.Connection,
    ctx: EngineContext,
    job: Job,
    request: RequestAction,
    *,
    output: JsonValue | Any = None,
    error: ActionFailure | None = None,
) -> None:
    """The run's CompleteAction (outbox) and the job's DONE, in the caller's transaction."""
    now = ctx.clock()
    command = CompleteAction(
        command_id=answer_id("complete", request.request_id), now=now,
        request_id=request.request_id, output=output, error=error,
    )  # fmt: skip
    message = command_message(ctx.topics, job.tenant_id, str(job.run_id), command)
    await enqueue_many(conn, job.tenant_id, [message])
    await finish(conn, job, now)
