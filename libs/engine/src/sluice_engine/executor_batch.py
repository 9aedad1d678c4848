"""Transactional actions in batches: one transaction, a statement or two for all of them.

Transactional handlers keep their effects in Sluice's PostgreSQL and run on
the connection of the transaction that records their invocations, so a batch
of them shares ONE transaction. Two callers:

- ``execute_fresh``, the executor's fast path: a chunk of the transactional
  requests of a polled Kafka batch, with no ``action_jobs`` rows at all: the
  handlers one after another, then ONE statement inserts the invocations
  SUCCEEDED with their answers (``record_fresh_many``).
  Nothing is durable before the commit: if the process dies the transaction
  rolls back, and Kafka redelivers the requests (the executor agent commits
  its offsets only after handling the batch). Anything but the plain case --
  an invocation row that already exists (a redelivery, a retry under the same
  idempotency key, a lease held elsewhere, a reused result), a handler
  failure or timeout, a lost lease, two requests for one invocation, a
  request without a transactional handler -- rolls the chunk back and returns
  False: the caller sends it down the durable path (leased jobs), which
  handles every one of those cases.
- ``execute_jobs``: a group of leased transactional jobs: one ``claim_many``
  (fresh invocation rows, STARTED), the handlers, one ``complete_many``
  (invocations SUCCEEDED, answers in the outbox, jobs DONE); rows that already
  exist take the one-row ``claim``, and any failure rolls the group back to
  one job per transaction (``executor.execute_job``).
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Sequence

import asyncpg
from sluice_storage import transaction
from workflow_core.interpreter.effects import RequestAction

from sluice_engine.context import EngineContext
from sluice_engine.executor import ExecutorConfig, LostLeaseError, Work, execute_job, settled
from sluice_engine.grouping import together_else_each
from sluice_engine.handlers import ActionHandlers, ActionMode, HandlerEntry, mode_of
from sluice_engine.invocations import (
    ClaimRequest,
    FreshSuccess,
    Success,
    claim_many,
    complete_many,
    invocation_id,
    record_fresh_many,
)
from sluice_engine.jobs import Job, NewJob

log = logging.getLogger(__name__)

Ready = list[tuple[Work, HandlerEntry]]


class _NotReadyError(Exception):
    """A job group holds a request without a transactional handler, or two requests for
    one invocation: it cannot be one transaction."""


class _NotFreshError(Exception):
    """The fast path met an invocation row that already exists."""


def transactional(handlers: ActionHandlers, job: Job | NewJob) -> bool:
    """True when the request runs in ``ActionMode.TRANSACTIONAL`` (it can share a
    transaction with other requests)."""
    request = job.request
    mode = handlers.mode(str(request.get("actionId")), int(request.get("version", 0)))
    return mode is ActionMode.TRANSACTIONAL


def split_fast(
    handlers: ActionHandlers, requests: Sequence[NewJob]
) -> tuple[list[NewJob], list[NewJob]]:
    """``(fast, durable)``: the fast path takes the requests with a transactional handler
    whose invocation no other request of the batch shares (a request delivered twice
    goes to the job table, whose ``ON CONFLICT`` keeps one copy)."""
    counts = Counter(_invocation_key(r) for r in requests)
    fast = [r for r in requests if transactional(handlers, r) and counts[_invocation_key(r)] == 1]
    chosen = {id(r) for r in fast}
    return fast, [r for r in requests if id(r) not in chosen]


def _invocation_key(r: NewJob) -> tuple[str, ...]:
    q = r.request
    return (r.tenant_id, *(str(q.get(k)) for k in ("actionId", "version", "idempotencyKey")))


def _ready(handlers: ActionHandlers, works: list[Work]) -> Ready | None:
    """Each work with its transactional handler; None if one has none or two share an
    invocation (one statement cannot claim the same row twice)."""
    ready = [
        (work, entry)
        for work in works
        if mode_of(entry := handlers.get(work.request.action_id, work.request.version))
        is ActionMode.TRANSACTIONAL
        and entry is not None
    ]
    distinct = len({invocation_id(w.job.tenant_id, w.request) for w, _ in ready}) == len(ready)
    return ready if len(ready) == len(works) and distinct else None


async def execute_fresh(
    pool: asyncpg.Pool,
    ctx: EngineContext,
    handlers: ActionHandlers,
    requests: Sequence[NewJob],
    config: ExecutorConfig,
) -> bool:
    """Run fresh transactional ``requests`` in one transaction without job rows.

    True: committed, every invocation SUCCEEDED and answered. False: rolled back,
    nothing written; run the requests as leased jobs instead."""
    try:
        works = [Work(ctx, _unsaved(r), RequestAction.model_validate(r.request), config)
                 for r in requests]  # fmt: skip
        ready = _ready(handlers, works)
        if not ready:
            return False
        async with transaction(pool) as conn:
            await _run_fresh(conn, ready)
    except Exception as exc:  # rolled back (or never began): the durable path decides
        log.info("fast path: %d action requests rolled back (%r)", len(requests), exc)
        return False
    return True


def _unsaved(request: NewJob) -> Job:
    """The job a request would become; never inserted on the fast path."""
    return Job(request.tenant_id, uuid.UUID(request.request_id), uuid.UUID(request.run_id),
               request.request, 1, request.trace)  # fmt: skip


async def execute_jobs(
    pool: asyncpg.Pool,
    ctx: EngineContext,
    handlers: ActionHandlers,
    jobs: list[Job],
    config: ExecutorConfig,
) -> list[str]:
    """Several transactional jobs in ONE transaction (two round trips and a WAL flush
    saved per job under load). If any of them fails, everything rolls back and each
    job runs again on its own (``execute_job``), so a failure only touches its job."""

    async def together(group: Sequence[Job]) -> list[str]:
        works = [Work(ctx, job, RequestAction.model_validate(job.request), config) for job in group]
        ready = _ready(handlers, works)
        if ready is None:
            raise _NotReadyError("not every job of the group can share a transaction")
        async with transaction(pool) as conn:
            return await _run_group(conn, ready)

    async def each(job: Job) -> str:
        return await execute_job(pool, ctx, handlers, job, config)

    return await together_else_each(jobs, together, each, what="action jobs")


async def _run_fresh(conn: asyncpg.Connection, ready: Ready) -> None:
    """The fast path: each handler on ``conn``, then ONE statement records every
    invocation SUCCEEDED with its answer; raises (rolls back) if any existed."""
    first = ready[0][0]
    config, ctx = first.config, first.ctx
    started = ctx.clock()
    done: list[FreshSuccess] = []
    for work, entry in ready:
        with work.span():
            began = ctx.clock()
            output = await work.run(entry, conn)
            duration = max(0, round((ctx.clock() - began).total_seconds() * 1000))
            done.append(FreshSuccess(work.job.tenant_id, str(work.job.run_id), work.request,
                                     output, duration, work.answer(output=output)))  # fmt: skip
    if not await record_fresh_many(conn, done, config.owner, started, ctx.clock(),
                                   notify=ctx.notify_outbox, metrics=ctx.metrics):  # fmt: skip
        raise _NotFreshError("an invocation of this chunk exists already")


async def _run_group(conn: asyncpg.Connection, ready: Ready) -> list[str]:
    """Leased jobs: claim all, run each handler on ``conn``, complete all (jobs DONE);
    raises to roll back. Existing invocation rows take the one-row protocol (reuse,
    busy, take-over)."""
    first = ready[0][0]
    config, ctx = first.config, first.ctx
    wanted = [ClaimRequest(w.job.tenant_id, str(w.job.run_id), w.request) for w, _ in ready]
    claims = await claim_many(conn, wanted, config.owner, ctx.clock(), config.lease)
    outcomes: list[str] = []
    done: list[Success] = []
    for (work, entry), fresh in zip(ready, claims, strict=True):
        with work.span():
            claimed = fresh or await work.claim(conn)  # existing row: the one-row protocol
            early = await settled(conn, work, claimed)
            if early is not None:
                outcomes.append(early)
                continue
            output = await work.run(entry, conn)
            done.append(Success(work.job.tenant_id, claimed, output, work.answer(output=output)))
            outcomes.append("succeeded")
    if done and not await complete_many(conn, done, config.owner, ctx.clock(),
                                        notify=ctx.notify_outbox, metrics=ctx.metrics):  # fmt: skip
        raise LostLeaseError
    return outcomes
