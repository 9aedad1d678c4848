"""Group commit for run starts: concurrent start requests share one transaction.

A start is one transaction of its own (latest-version lookup, one write
statement, a commit and its WAL flush); under a burst of starts most of the
cost is that per-transaction overhead, not the rows. ``StartBatcher.start``
queues the request; one drain task takes everything queued (up to
``max_batch``) and starts it in ONE transaction: one version lookup per
workflow, the pure core per run, one write statement per tenant, one read of
the new rows, one commit. A request waits at most for the batch before it
(nothing is delayed on purpose: a lone request starts at once).

A request refused before anything is written (invalid payload, unknown
workflow) fails alone. If the batch's transaction fails, every request in it
is started again in a transaction of its own, so one bad request cannot fail
the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import asyncpg
from sluice_storage import RunRecord, RunRepository, RunWrites, transaction
from sluice_telemetry import trace_headers

from sluice_engine.context import EngineContext
from sluice_engine.errors import InvalidPayloadError, PauseStateError, UnknownWorkflowError
from sluice_engine.grouping import together_else_each
from sluice_engine.pausing import refuse_if_paused
from sluice_engine.runs import StartOptions, start_run, start_with
from sluice_engine.spans import start_span

log = logging.getLogger(__name__)
# 64 starts per transaction: the overhead is amortised by then, and a batch
# stays a few tens of milliseconds of work.
DEFAULT_MAX_BATCH = 64
REFUSED = (InvalidPayloadError, UnknownWorkflowError, PauseStateError)


@dataclass
class _Request:
    tenant_id: str
    workflow_id: str
    payload: dict[str, Any]
    options: StartOptions
    done: asyncio.Future[RunRecord] = field(repr=False)
    own_run_id: bool = False  # the batcher chose the run id (not the caller)
    # The caller's trace context: the drain task runs in its own context.
    trace: dict[str, str] = field(default_factory=trace_headers)

    def span(self) -> contextlib.AbstractContextManager[None]:
        run_id = str(self.options.run_id)
        return start_span(self.tenant_id, self.workflow_id, run_id, self.trace)


class StartBatcher:
    def __init__(
        self, pool: asyncpg.Pool, ctx: EngineContext, max_batch: int = DEFAULT_MAX_BATCH
    ) -> None:
        self.pool = pool
        self._ctx = ctx
        self._max_batch = max_batch
        self._queue: list[_Request] = []
        self._draining: asyncio.Task[None] | None = None

    async def start(
        self,
        tenant_id: str,
        workflow_id: str,
        payload: dict[str, Any],
        options: StartOptions | None = None,
    ) -> RunRecord:
        """Start a run (committed when this returns); the new run's row."""
        options = options or StartOptions()
        done: asyncio.Future[RunRecord] = asyncio.get_running_loop().create_future()
        # The run id is fixed before the first attempt: a batch retried one by one
        # after an unclear commit finds its run instead of starting it twice.
        own = options.run_id is None
        options = replace(options, run_id=options.run_id or str(uuid.uuid4()))
        self._queue.append(_Request(tenant_id, workflow_id, payload, options, done, own))
        if self._draining is None or self._draining.done():
            self._draining = asyncio.ensure_future(self._drain())
        return await done

    async def _drain(self) -> None:
        while self._queue:
            batch, self._queue = self._queue[: self._max_batch], self._queue[self._max_batch :]
            await together_else_each(
                batch, self._start_together, self._start_alone, what="run starts",
                min_together=1, each_concurrently=True,
            )  # fmt: skip

    async def _start_together(self, batch: Sequence[_Request]) -> list[None]:
        started: list[tuple[_Request, str]] = []
        refused: list[tuple[_Request, BaseException]] = []
        latest: dict[tuple[str, str], int] = {}
        paused: set[tuple[str, str]] = set()  # checked in this batch and running
        async with transaction(self.pool) as conn:
            writes: dict[str, RunWrites] = {}
            for request in batch:
                tenant_writes = writes.setdefault(
                    request.tenant_id, RunWrites(request.tenant_id, notify=self._ctx.notify_outbox)
                )
                try:
                    await self._refuse_paused(conn, request, paused)
                    options = await self._pinned(conn, request, latest)
                    with request.span():
                        applied = await start_with(
                            conn, self._ctx, tenant_writes, request.workflow_id,
                            request.payload, options,
                        )  # fmt: skip
                except REFUSED as exc:  # refused before anything was gathered
                    refused.append((request, exc))
                    continue
                started.append((request, applied.run_id))
            for tenant_writes in writes.values():
                await tenant_writes.flush(conn)
            rows = await _read_back(conn, started)
        for request, error in refused:
            _settle(request, exception=error)
        for request, run_id in started:
            _settle(request, result=rows[(request.tenant_id, uuid.UUID(run_id))])
        return [None for _ in batch]

    async def _refuse_paused(
        self, conn: asyncpg.Connection, request: _Request, checked: set[tuple[str, str]]
    ) -> None:
        """A paused workflow's start is refused (``WORKFLOW_PAUSED``), asked once per
        workflow per batch."""
        key = (request.tenant_id, request.workflow_id)
        if key not in checked:
            await refuse_if_paused(conn, *key)
            checked.add(key)

    async def _pinned(
        self, conn: asyncpg.Connection, request: _Request, latest: dict[tuple[str, str], int]
    ) -> StartOptions:
        """The options with "latest" resolved once per workflow per batch."""
        if request.options.version is not None:
            return request.options
        key = (request.tenant_id, request.workflow_id)
        if key not in latest:
            loaded = await self._ctx.definitions.load(conn, *key, None)
            latest[key] = loaded.version
        return replace(request.options, version=latest[key])

    async def _start_alone(self, request: _Request) -> None:
        run_id = uuid.UUID(str(request.options.run_id))
        try:
            async with transaction(self.pool) as conn:
                await refuse_if_paused(conn, request.tenant_id, request.workflow_id)
                with request.span():
                    await start_run(
                        conn, self._ctx, request.tenant_id, request.workflow_id,
                        request.payload, request.options,
                    )  # fmt: skip
                rows = await _read_back(conn, [(request, str(run_id))])
        except asyncpg.UniqueViolationError as exc:  # the batch did commit after all?
            rows = await self._committed(request, run_id) if request.own_run_id else {}
            if not rows:
                _settle(request, exception=exc)
                return
        except Exception as exc:  # the caller's error now
            _settle(request, exception=exc)
            return
        _settle(request, result=rows[(request.tenant_id, run_id)])

    async def _committed(
        self, request: _Request, run_id: uuid.UUID
    ) -> dict[tuple[str, uuid.UUID], RunRecord]:
        """A batch whose commit failed on the wire may have committed: its runs exist."""
        async with transaction(self.pool) as conn:
            return await _read_back(conn, [(request, str(run_id))])


async def _read_back(
    conn: asyncpg.Connection, started: list[tuple[_Request, str]]
) -> dict[tuple[str, uuid.UUID], RunRecord]:
    """The new rows, one statement per tenant."""
    by_tenant: dict[str, list[uuid.UUID]] = {}
    for request, run_id in started:
        by_tenant.setdefault(request.tenant_id, []).append(uuid.UUID(run_id))
    rows: dict[tuple[str, uuid.UUID], RunRecord] = {}
    for tenant_id, run_ids in by_tenant.items():
        for record in await RunRepository(conn, tenant_id).get_many(run_ids):
            rows[(tenant_id, record.run_id)] = record
    return rows


def _settle(
    request: _Request, *, result: RunRecord | None = None, exception: BaseException | None = None
) -> None:
    if request.done.done():  # the caller gave up (cancelled)
        return
    if exception is not None:
        request.done.set_exception(exception)
    else:
        assert result is not None
        request.done.set_result(result)
