"""Operations: bulk controls and exports worked in the background (``sluice_storage.
operations`` holds them).

Why in the API's process: what an operation does to each run is exactly what one
request does (a control with its checks and audit entry as the asking principal;
an export line is the run and its history as the API shows them, redacted), so
the worker calls the same functions the routes do. Every API replica runs one
``OperationWorker``; they share the work through leases (``claim_operation``),
and a replica that dies mid-operation leaves a lease that runs out, after which
any replica picks the operation up where it stopped.

Bounded: a worker takes ``batch`` items at a time, each run in its own short
transaction (the item is marked done in the same transaction as the control and
its audit entry, so a crash never does a run twice or skips one), pausing
``pause_s`` between batches so live traffic gets the database in between; it
renews its lease every batch.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

import asyncpg
from sluice_engine import EngineError
from sluice_engine.transient import TRANSIENT_ERRORS
from sluice_http import ProblemError
from sluice_storage.operations import (
    ItemOutcome,
    Operation,
    OperationItem,
    OperationRepository,
    claim_operation,
)

from sluice_api import bulk, exports
from sluice_api.context import ApiContext
from sluice_api.engine import engine_problem

log = logging.getLogger(__name__)
POLL_S = 1.0  # new operations wake this replica's worker at once; others look this often

ItemHandler = Callable[[asyncpg.Connection, Operation, OperationItem], Awaitable[ItemOutcome]]


def refusal(exc: Exception) -> ItemOutcome | None:
    """A run's refusal (unknown, wrong status...) as its outcome; None for anything else."""
    problem = exc if isinstance(exc, ProblemError) else None
    if isinstance(exc, EngineError):
        problem = engine_problem(exc)
    if problem is None:
        return None
    return ItemOutcome(ok=False, code=problem.code, detail=problem.detail)


@dataclass
class OperationWorker:
    """Works operations of every tenant; ``handlers`` per kind do one run each."""

    ctx: ApiContext
    handlers: dict[str, ItemHandler]
    owner: str = field(
        default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    )
    poll_s: float = POLL_S
    # Set by ``run``'s caller at shutdown: a worker mid-operation hands it back after the
    # batch in hand (its lease released, so another replica goes on at once).
    stopping: asyncio.Event = field(default_factory=asyncio.Event)

    @classmethod
    def create(cls, ctx: ApiContext, owner: str | None = None) -> OperationWorker:
        """The worker with every kind's handler (bulk controls, exports)."""
        handlers = {bulk.KIND: bulk.bulk_handler(ctx), exports.KIND: exports.export_handler()}
        return cls(ctx, handlers) if owner is None else cls(ctx, handlers, owner)

    @property
    def batch(self) -> int:
        return self.ctx.settings.operation_batch

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.ctx.settings.operation_lease_s)

    @property
    def wake(self) -> asyncio.Event:
        return self.ctx.operations_wake

    async def run(self, stop: asyncio.Event) -> None:
        """Until ``stop``: work every operation there is, then wait for a new one."""
        self.stopping = stop
        while not stop.is_set():
            self.wake.clear()  # before looking: a wake-up from now on is not lost
            try:
                while await self.work_once() and not stop.is_set():
                    pass
            except TRANSIENT_ERRORS as exc:
                log.warning("operations: %r (retrying)", exc)
            except Exception:  # one bad operation must not stop the others: logged, retried
                log.exception("operations failed (retrying)")
            await _first(stop, self.wake, within_s=self.poll_s)

    async def work_once(self) -> bool:
        """Lease one operation and work it to its end; False when there was none."""
        async with self.ctx.tx() as conn:
            operation = await claim_operation(conn, self.owner, self.ctx.clock(), self.lease)
        if operation is None:
            return False
        await self.work(operation)
        return True

    async def work(self, operation: Operation) -> None:
        """Batches of ``operation``'s pending items until none is left (or the lease is
        lost to another worker, which then goes on from where this one is)."""
        while True:
            async with self.ctx.tx() as conn:
                repo = OperationRepository(conn, operation.tenant_id)
                stopping = self.stopping.is_set()
                until = self.ctx.clock() + (timedelta(0) if stopping else self.lease)
                if not await repo.renew(operation.operation_id, self.owner, until) or stopping:
                    return
                items = await repo.pending_items(operation.operation_id, self.batch)
                if not items:
                    await repo.complete(operation.operation_id, now=self.ctx.clock())
                    return
            for item in items:
                await self.do_item(operation, item)
            await asyncio.sleep(self.ctx.settings.operation_pause_s)

    async def do_item(self, operation: Operation, item: OperationItem) -> None:
        """One run, in one transaction with its outcome (skipped when another worker holds
        or already did it)."""
        handler = self.handlers[operation.kind]
        async with self.ctx.tx() as conn:
            repo = OperationRepository(conn, operation.tenant_id)
            if await repo.lock_item(operation.operation_id, item.seq) is None:
                return
            try:
                async with conn.transaction():  # a savepoint: a refusal undoes only itself
                    outcome = await handler(conn, operation, item)
            except TRANSIENT_ERRORS:
                raise  # the database or Kafka away: the item stays pending, tried again
            except Exception as exc:
                outcome = refusal(exc) or _crashed(operation, item, exc)
            await repo.finish_item(item, outcome, now=self.ctx.clock())


async def _first(*events: asyncio.Event, within_s: float) -> None:
    """Until one of ``events`` is set or ``within_s`` seconds pass."""
    waiting = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiting, timeout=within_s, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in waiting:
            task.cancel()


def _crashed(operation: Operation, item: OperationItem, exc: Exception) -> ItemOutcome:
    """A bug met on one run: logged with its trace, the run's outcome says so, and the
    operation goes on (one bad run must not hold up the rest forever)."""
    log.error("operation %s: run %s failed", operation.operation_id, item.run_id, exc_info=exc)
    return ItemOutcome(
        ok=False,
        code="INTERNAL_ERROR",
        detail=f"{type(exc).__name__} (the API's log has the trace)",
    )
