"""Running action jobs with bounded concurrency, apart from the Kafka agent: the durable path.

The executor agent runs fresh transactional requests itself (the fast path,
``accepting``); the others (non-transactional handlers, fast chunks that
rolled back) become leased job rows and the agent returns (Kafka is
acknowledged at once). Their handlers run here, at most
``executor_concurrency`` at a time, so a slow SMTP call never blocks other
runs. A poller also claims PENDING jobs (leases recovered by the scheduler,
postponed jobs) every second.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from sluice_engine import execute_jobs, transactional
from sluice_engine.grouping import Grouping, deal
from sluice_engine.jobs import Job, claim_ready
from sluice_storage import transaction

from sluice_interpreter.handling import retrying
from sluice_interpreter.runtime import Runtime

log = logging.getLogger(__name__)
# 8 transactional jobs per transaction: saves ~2 round trips and a WAL flush
# per job under load; small enough that a rolled-back group (one failure)
# costs little to redo one by one.
GROUP_SIZE = 8
JOB_GROUPS = Grouping(max_size=GROUP_SIZE)
POLL_INTERVAL_S = 1.0  # recovered jobs wait at most this long (+ the lease) to run again


class JobRunner:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.slots = asyncio.Semaphore(rt.settings.executor_concurrency)
        self.running: set[asyncio.Task[None]] = set()

    def submit(self, jobs: list[Job]) -> None:
        """Transactional jobs go in groups (one transaction each), the others alone."""
        shared = [job for job in jobs if transactional(self.rt.handlers, job)]
        alone = [[job] for job in jobs if not transactional(self.rt.handlers, job)]
        groups = deal(shared, JOB_GROUPS)
        for group in groups + alone:
            task = asyncio.ensure_future(self._run(group))
            self.running.add(task)
            task.add_done_callback(self.running.discard)

    async def _run(self, jobs: list[Job]) -> None:
        rt = self.rt
        pool, engine = rt.pool, rt.engine
        async with self.slots:
            rt.metrics.jobs_in_flight.inc(len(jobs))
            try:
                outcomes = await retrying(
                    lambda: execute_jobs(pool, engine, rt.handlers, jobs, rt.executor_config),
                    f"{len(jobs)} action job(s) of run {jobs[0].run_id}",
                )
                rt.wake_relay()
                for outcome in outcomes:
                    rt.metrics.messages.labels("executor", outcome).inc()
            except Exception:  # the leases expire and the jobs run again elsewhere
                log.exception("action jobs %s crashed", [str(j.job_id) for j in jobs])
            finally:
                rt.metrics.jobs_in_flight.dec(len(jobs))

    async def poll(self, stop: asyncio.Event) -> None:
        """Claim due PENDING jobs while free slots remain; at ``stop``, let the running
        jobs finish (the runtime closes the pool only after this returns)."""
        try:
            await self._poll(stop)
        finally:
            if self.running:
                await asyncio.gather(*self.running, return_exceptions=True)

    async def _poll(self, stop: asyncio.Event) -> None:
        rt = self.rt
        pool, engine = rt.pool, rt.engine
        lease = timedelta(seconds=rt.settings.action_lease_s)
        while not stop.is_set():
            free = rt.settings.executor_concurrency - len(self.running)
            if free > 0:

                async def claim(limit: int = free) -> list[Job]:
                    async with transaction(pool) as conn:
                        now = engine.clock()
                        owner = rt.executor_config.owner
                        return await claim_ready(conn, owner, limit, now + lease, now)

                self.submit(await retrying(claim, "claiming pending jobs"))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), POLL_INTERVAL_S)
