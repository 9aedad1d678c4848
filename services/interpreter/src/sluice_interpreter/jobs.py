"""Running action jobs with bounded concurrency, apart from the Kafka agent.

The executor agent only inserts leased job rows and returns (Kafka is
acknowledged at once); handlers run here, at most ``executor_concurrency`` at
a time, so a slow SMTP call never blocks other runs. A poller also claims
PENDING jobs (leases recovered by the scheduler, postponed jobs) every second.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from sluice_engine import execute_job
from sluice_engine.jobs import Job, claim_ready
from sluice_storage import transaction

from sluice_interpreter.handling import retrying
from sluice_interpreter.runtime import Runtime

log = logging.getLogger(__name__)
POLL_INTERVAL_S = 1.0  # recovered jobs wait at most this long (+ the lease) to run again


class JobRunner:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.slots = asyncio.Semaphore(rt.settings.executor_concurrency)
        self.running: set[asyncio.Task[None]] = set()

    def submit(self, jobs: list[Job]) -> None:
        for job in jobs:
            task = asyncio.ensure_future(self._run(job))
            self.running.add(task)
            task.add_done_callback(self.running.discard)

    async def _run(self, job: Job) -> None:
        rt = self.rt
        assert rt.pool is not None
        assert rt.engine is not None
        pool, engine = rt.pool, rt.engine
        async with self.slots:
            rt.metrics.jobs_in_flight.inc()
            try:
                outcome = await retrying(
                    lambda: execute_job(pool, engine, rt.handlers, job, rt.executor_config),
                    f"action job {job.job_id}",
                )
                rt.metrics.messages.labels("executor", outcome).inc()
            except Exception:  # the lease expires and the job runs again elsewhere
                log.exception("action job %s of run %s crashed", job.job_id, job.run_id)
            finally:
                rt.metrics.jobs_in_flight.dec()

    async def poll(self, stop: asyncio.Event) -> None:
        """Claim due PENDING jobs while free slots remain."""
        rt = self.rt
        assert rt.pool is not None
        assert rt.engine is not None
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
