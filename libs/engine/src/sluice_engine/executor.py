"""Running one leased action job: claim the invocation, call the handler, answer the run.

This is the durable path of the executor: every request the fast path
(``executor_batch.execute_fresh``: transactional, fresh requests, no job rows)
does not take becomes a leased job and runs here, or in a group of
transactional jobs (``executor_batch.execute_jobs``). The answer is a
``CompleteAction`` command written to the outbox by the same statement that
records the invocation's outcome and marks the job DONE, so a crash anywhere
either leaves everything to redo (lease expiry) or nothing.

A transactional handler (effects in Sluice's PostgreSQL) runs inside the one
transaction that inserts the invocation, runs it and records it: a crash
rolls all of it back, and a concurrent executor blocks on the invocation's
unique key until this one commits, then finds it SUCCEEDED. Other handlers
run between a committed STARTED claim (with a lease) and the outcome.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import asyncpg
from opentelemetry.trace import SpanKind, Status, StatusCode, get_current_span
from pydantic import JsonValue
from sluice_storage import enqueue_many, transaction
from sluice_telemetry import work_span
from workflow_core.errors import ErrorCategory
from workflow_core.interpreter.commands import ActionFailure, CompleteAction
from workflow_core.interpreter.effects import RequestAction
from workflow_core.interpreter.retries import RETRY_AFTER_KEY

from sluice_engine.context import EngineContext
from sluice_engine.handlers import (
    ActionCall,
    ActionFailedError,
    ActionHandlers,
    ActionMode,
    HandlerEntry,
    mode_of,
)
from sluice_engine.invocations import Answer, Claim, claim, complete
from sluice_engine.jobs import Job, finish, postpone
from sluice_engine.messages import answer_id, command_message
from sluice_engine.transient import RetryLaterError, is_transient

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExecutorConfig:
    owner: str
    # 60 s lease: a dead executor's jobs are picked up again within a minute;
    # handlers get half of it so a live executor always finishes inside its lease.
    lease: timedelta = timedelta(seconds=60)

    @property
    def handler_timeout_s(self) -> float:
        return self.lease.total_seconds() / 2


class LostLeaseError(Exception):
    """Another executor took the invocation over while this one ran it."""


def classify(exc: BaseException) -> ActionFailure:
    if isinstance(exc, ActionFailedError):
        return ActionFailure(
            category=exc.category, name=exc.name, message=exc.message,
            retryable=exc.retryable, data=exc.data,
        )  # fmt: skip
    if is_transient(exc):
        return ActionFailure(
            category=ErrorCategory.TRANSIENT, name=_transient_name(exc),
            message=str(exc) or type(exc).__name__, retryable=True, data=_transient_data(exc),
        )  # fmt: skip
    return ActionFailure(
        category=ErrorCategory.ACTION, name="HANDLER_CRASHED",
        message=f"{type(exc).__name__}: {exc}", retryable=False,
    )  # fmt: skip


def _transient_name(exc: BaseException) -> str:
    return exc.name if isinstance(exc, RetryLaterError) else type(exc).__name__


def _transient_data(exc: BaseException) -> dict[str, JsonValue]:
    if not isinstance(exc, RetryLaterError):
        return {}
    data = dict(exc.data)
    if exc.retry_after is not None:
        data[RETRY_AFTER_KEY] = max(0, round(exc.retry_after.total_seconds() * 1000))
    return data


@dataclass(frozen=True)
class Work:
    """One action being executed, with everything its steps need. Its ``job`` is the
    leased job row, or on the fast path (``executor_batch.execute_fresh``) an unsaved
    one whose id is the request id."""

    ctx: EngineContext
    job: Job
    request: RequestAction
    config: ExecutorConfig

    def answer(self, *, output: Any = None, error: ActionFailure | None = None) -> Answer:
        command = CompleteAction(
            command_id=answer_id("complete", self.request.request_id), now=self.ctx.clock(),
            request_id=self.request.request_id, output=output, error=error,
        )  # fmt: skip
        message = command_message(
            self.ctx.topics, self.job.tenant_id, str(self.job.run_id), command
        )
        return Answer(message.topic, str(message.key), message.message.wire(), self.job.job_id,
                      message.headers)  # fmt: skip

    @contextlib.contextmanager
    def span(self) -> Iterator[None]:
        """The action's span, under its request's trace context; what is logged inside
        names the tenant, run and step."""
        r, job = self.request, self.job
        with work_span(
            f"action {r.action_id}", parent=job.trace, tenant=job.tenant_id,
            run_id=str(job.run_id), step_path=r.node_path, kind=SpanKind.CONSUMER,
            attributes={"sluice.action": f"{r.action_id}@{r.version}", "sluice.attempt": r.attempt,
                        "sluice.idempotency_key": r.idempotency_key},
        ):  # fmt: skip
            yield

    async def run(self, entry: HandlerEntry, conn: asyncpg.Connection | None) -> Any:
        """The handler, on ``conn`` (transactional) or apart, within half the lease."""
        return await asyncio.wait_for(entry.fn(self.call(conn)), self.config.handler_timeout_s)

    def call(self, conn: asyncpg.Connection | None) -> ActionCall:
        r = self.request
        return ActionCall(
            tenant_id=self.job.tenant_id, run_id=str(self.job.run_id), step_id=r.step_id,
            action_id=r.action_id, version=r.version, idempotency_key=r.idempotency_key,
            attempt=r.attempt, args=r.args, conn=conn, services=self.ctx.action_services,
        )  # fmt: skip

    async def claim(self, conn: asyncpg.Connection) -> Claim:
        job, c = self.job, self.config
        return await claim(conn, job.tenant_id, str(job.run_id), self.request, c.owner,
                           self.ctx.clock(), c.lease)  # fmt: skip

    async def finish(
        self, conn: asyncpg.Connection, claimed: Claim, *, output: Any = None,
        failure: ActionFailure | None = None,
    ) -> bool:  # fmt: skip
        error = failure.model_dump(mode="json", by_alias=True) if failure else None
        if failure is not None:
            get_current_span().set_status(Status(StatusCode.ERROR, failure.name))
        answer = self.answer(output=output, error=failure)
        return await complete(conn, self.job.tenant_id, claimed, self.config.owner,
                              self.ctx.clock(), answer, output=output, error=error,
                              notify=self.ctx.notify_outbox, metrics=self.ctx.metrics)  # fmt: skip


async def execute_job(
    pool: asyncpg.Pool,
    ctx: EngineContext,
    handlers: ActionHandlers,
    job: Job,
    config: ExecutorConfig,
) -> str:
    """Run one job to its answer; returns what happened (for metrics and tests)."""
    work = Work(ctx, job, RequestAction.model_validate(job.request), config)
    with work.span():
        return await _execute(pool, work, handlers)


async def _execute(pool: asyncpg.Pool, work: Work, handlers: ActionHandlers) -> str:
    entry = handlers.get(work.request.action_id, work.request.version)
    if entry is not None and mode_of(entry) is ActionMode.TRANSACTIONAL:
        try:
            return await _in_one_transaction(pool, work, entry)
        except LostLeaseError:
            return "lost-lease"
        except Exception as exc:  # rolled back: record the failure in a new transaction
            return await _record_failure(pool, work, classify(exc))
    async with transaction(pool) as conn:
        claimed = await work.claim(conn)
        early = await settled(conn, work, claimed)
    if early is not None:
        return early
    if entry is None:
        failure = ActionFailure(
            category=ErrorCategory.VALIDATION, name="NO_ACTION_HANDLER",
            message=f"no handler for action {work.request.action_id!r} v{work.request.version}",
        )  # fmt: skip
        return await _finish_apart(pool, work, claimed, failure=failure)
    try:
        output = await work.run(entry, None)
    except Exception as exc:  # a handler failure becomes the step's error, never a crash
        return await _finish_apart(pool, work, claimed, failure=classify(exc))
    return await _finish_apart(pool, work, claimed, output=output)


async def settled(conn: asyncpg.Connection, work: Work, claimed: Claim) -> str | None:
    """Answer at once when the invocation succeeded before, postpone when it is busy."""
    if claimed.kind == "succeeded":
        await _answer_reused(conn, work, claimed)
        return "reused"
    if claimed.kind == "busy":
        assert claimed.busy_until is not None
        await postpone(conn, work.job, claimed.busy_until)
        return "busy"
    return None


async def _answer_reused(conn: asyncpg.Connection, work: Work, claimed: Claim) -> None:
    """A SUCCEEDED invocation has no STARTED row to complete: write the answer directly."""
    command = CompleteAction(
        command_id=answer_id("complete", work.request.request_id), now=work.ctx.clock(),
        request_id=work.request.request_id, output=claimed.output,
    )  # fmt: skip
    tenant, run = work.job.tenant_id, str(work.job.run_id)
    await enqueue_many(conn, tenant, [command_message(work.ctx.topics, tenant, run, command)])
    await finish(conn, work.job, work.ctx.clock())


async def _in_one_transaction(pool: asyncpg.Pool, work: Work, entry: HandlerEntry) -> str:
    async with transaction(pool) as conn:
        return await _run_in(conn, work, entry)


async def _run_in(conn: asyncpg.Connection, work: Work, entry: HandlerEntry) -> str:
    """Claim, run and complete a transactional handler in the caller's transaction."""
    claimed = await work.claim(conn)
    early = await settled(conn, work, claimed)
    if early is not None:
        return early
    output = await work.run(entry, conn)
    if not await work.finish(conn, claimed, output=output):
        raise LostLeaseError
    return "succeeded"


async def _record_failure(pool: asyncpg.Pool, work: Work, failure: ActionFailure) -> str:
    async with transaction(pool) as conn:
        claimed = await work.claim(conn)
        early = await settled(conn, work, claimed)
        if early is not None:
            return early
        won = await work.finish(conn, claimed, failure=failure)
    return "failed" if won else "lost-lease"


async def _finish_apart(
    pool: asyncpg.Pool, work: Work, claimed: Claim, *, output: Any = None,
    failure: ActionFailure | None = None,
) -> str:  # fmt: skip
    async with transaction(pool) as conn:
        won = await work.finish(conn, claimed, output=output, failure=failure)
    if not won:
        return "lost-lease"
    return "failed" if failure else "succeeded"
