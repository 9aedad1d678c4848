"""The scheduler: due timers, stale job leases, stuck runs; several replicas are safe.

Timers are polled every ``WF_SCHEDULER_POLL_S`` (0.25 s): a due wait is claimed
with ``FOR UPDATE SKIP LOCKED``, marked FIRED and its FireTimer command goes to
the outbox in the same transaction, so it fires within poll + relay latency
(well under the 1 s the SPEC asks). Maintenance (stale leases, re-drive) runs
every ``MAINTENANCE_EVERY_S``. Outbound help-desk mail (acknowledgements) is
delivered here too, polled like the timers: the scheduler is the service that
already claims due rows with SKIP LOCKED on a clock, it runs no Faust agents a
slow SMTP relay could stall, and several replicas share the work safely
(``sluice_helpdesk.sender``). Every ``BACKLOG_EVERY_S`` it refreshes the backlog
gauges (open waits by kind, stuck runs, stale leases, outbox backlog and age,
consumer lag of the interpreter and executor groups): what is waiting is a
property of the database and the broker, not of one worker, so the service
that already polls them on a clock reports it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

import asyncpg
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from sluice_config import Settings
from sluice_config.clock import utc_now
from sluice_engine.timers import (
    DEFAULT_TIMER_BATCH,
    begin_queued_runs,
    fire_due_waits,
    recover_stale_jobs,
    redrive_stale_runs,
)
from sluice_engine.transient import TRANSIENT_ERRORS
from sluice_helpdesk.sender import send_due, smtp_delivery
from sluice_messaging.lag import read_consumer_lag
from sluice_messaging.security import kafka_client_options
from sluice_messaging.topics import Topics
from sluice_storage import create_pool, database_problem, transaction
from sluice_storage.backlog import read_backlog
from sluice_storage.retention import PurgeSettings, purge_expired

from sluice_scheduler.schedule_triggers import ScheduleTriggers

log = logging.getLogger(__name__)
MAINTENANCE_EVERY_S = 5.0
BACKLOG_EVERY_S = 15.0  # a Prometheus scrape interval
# The wait kinds as the metrics name them (SPEC's words; the table's in the keys).
WAIT_KINDS = {"event": "event", "timer": "timer", "human_task": "task", "retry": "retry",
              "child_run": "child"}  # fmt: skip
CONSUMER_ROLES = ("interpreter", "executor")  # the Faust apps' groups: prefix + role


@dataclass
class SchedulerMetrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        self.fired = Counter("sluice_timers_fired_total", "Waits fired", registry=self.registry)
        self.redriven = Counter(
            "sluice_runs_redriven_total", "Continue sent", registry=self.registry
        )
        self.recovered = Counter(
            "sluice_jobs_recovered_total", "Stale job leases recovered", registry=self.registry
        )
        self.mail_sent = Counter(
            "sluice_outbound_mail_sent_total", "Outbound mails accepted", registry=self.registry
        )
        self.mail_failed = Counter(
            "sluice_outbound_mail_failed_total", "Outbound mail attempts failed",
            registry=self.registry,
        )  # fmt: skip
        # Buckets around the SPEC's 1 s promise: most fire within one 0.25 s poll.
        self.lateness = Histogram(
            "sluice_timer_lateness_seconds", "How late a due wait fired",
            buckets=(0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 2.0, 5.0, 30.0), registry=self.registry,
        )  # fmt: skip
        self.purged = Counter(
            "sluice_retention_purged_total", "Rows deleted by retention", ["kind"],
            registry=self.registry,
        )  # fmt: skip
        self.last_tick = Gauge(
            "sluice_scheduler_last_tick_timestamp_seconds",
            "Last timer poll",
            registry=self.registry,
        )
        self.waits_open = Gauge(
            "sluice_waits_open", "Open waits by kind (all tenants)", ["kind"],
            registry=self.registry,
        )  # fmt: skip
        self.runs_stuck = Gauge(
            "sluice_runs_stuck", "RUNNING runs with no progress for WF_REDRIVE_AFTER_S",
            registry=self.registry,
        )  # fmt: skip
        self.runs_queued = Gauge(
            "sluice_runs_queued", "Runs QUEUED behind a workflow's concurrency limit",
            registry=self.registry,
        )  # fmt: skip
        self.leases_stale = Gauge(
            "sluice_leases_stale", "Action invocations and jobs whose lease ran out",
            registry=self.registry,
        )  # fmt: skip
        self.outbox_backlog = Gauge(
            "sluice_outbox_backlog", "Outbox rows not yet published", registry=self.registry
        )
        self.outbox_age = Gauge(
            "sluice_outbox_age_seconds", "Age of the oldest unpublished outbox row",
            registry=self.registry,
        )  # fmt: skip
        self.consumer_lag = Gauge(
            "sluice_consumer_lag", "Messages not yet committed by a consumer group, per topic",
            ["group", "topic"], registry=self.registry,
        )  # fmt: skip


@dataclass
class Scheduler:
    """The scheduler on an open pool (``open``); ``stop`` ends ``run``."""

    settings: Settings
    pool: asyncpg.Pool
    schedules: ScheduleTriggers
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    metrics: SchedulerMetrics = field(default_factory=SchedulerMetrics)
    last_tick: float = field(default_factory=time.monotonic)

    @classmethod
    async def open(cls, settings: Settings, stop: asyncio.Event) -> Scheduler:
        pool = await create_pool(settings, max_size=4)
        metrics = SchedulerMetrics()
        schedules = ScheduleTriggers.create(settings, pool, metrics.registry)
        return cls(settings, pool, schedules, stop, metrics)

    @property
    def topics(self) -> Topics:
        return Topics.from_prefix(self.settings.topic_prefix)

    async def fire_once(self) -> int:
        total = 0
        while True:
            late: list[float] = []
            async with transaction(self.pool) as conn:
                now = utc_now()
                fired = await fire_due_waits(conn, self.topics, now, DEFAULT_TIMER_BATCH, late)
            for seconds in late:
                self.metrics.lateness.observe(seconds)
            total += fired
            if fired < DEFAULT_TIMER_BATCH:
                break
        self.metrics.fired.inc(total)
        return total

    async def maintain_once(self) -> None:
        after = timedelta(seconds=self.settings.redrive_after_s)
        async with transaction(self.pool) as conn:
            recovered = await recover_stale_jobs(conn, utc_now())
        async with transaction(self.pool) as conn:
            redriven = await redrive_stale_runs(conn, self.topics, utc_now(), after)
        async with transaction(self.pool) as conn:
            await begin_queued_runs(conn, self.topics, utc_now(), after)
        self.metrics.recovered.inc(recovered)
        self.metrics.redriven.inc(redriven)
        if recovered or redriven:
            log.info("recovered %d stale job leases, re-drove %d runs", recovered, redriven)

    async def send_mail_once(self) -> None:
        deliver = smtp_delivery(self.settings.smtp_host, self.settings.smtp_port)
        sent, failed = await send_due(self.pool, deliver, utc_now)
        self.metrics.mail_sent.inc(sent)
        self.metrics.mail_failed.inc(failed)

    async def observe_backlog_once(self) -> None:
        stuck_after = timedelta(seconds=self.settings.redrive_after_s)
        async with self.pool.acquire() as conn:
            backlog = await read_backlog(conn, utc_now(), stuck_after)
        for kind, shown in WAIT_KINDS.items():
            self.metrics.waits_open.labels(shown).set(backlog.waits_open.get(kind, 0))
        self.metrics.runs_stuck.set(backlog.runs_stuck)
        self.metrics.runs_queued.set(backlog.runs_queued)
        self.metrics.leases_stale.set(backlog.leases_stale)
        self.metrics.outbox_backlog.set(backlog.outbox_unsent)
        self.metrics.outbox_age.set(backlog.outbox_age_s)
        await self._observe_lag()

    async def _observe_lag(self) -> None:
        servers = self.settings.kafka_bootstrap_servers
        if not servers:  # a scheduler without Kafka settings reports no lag
            return
        groups = [self.settings.topic_prefix + role for role in CONSUMER_ROLES]
        lag = await read_consumer_lag(servers, groups, **kafka_client_options(self.settings))
        for (group, topic), behind in lag.items():
            self.metrics.consumer_lag.labels(group, topic).set(behind)

    async def purge_once(self) -> None:
        settings = PurgeSettings(
            default_days=self.settings.retention_days, batch=self.settings.retention_batch
        )
        purged = await purge_expired(self.pool, utc_now(), settings)
        for tenant, counts in purged.items():
            self.metrics.purged.labels("runs").inc(counts.runs)
            self.metrics.purged.labels("events").inc(counts.events)
            self.metrics.purged.labels("dead_letters").inc(counts.dead_letters)
            self.metrics.purged.labels("operations").inc(counts.operations)
            log.info(
                "retention purged %d runs, %d events, %d dead letters, %d operations of tenant %s",
                counts.runs, counts.events, counts.dead_letters, counts.operations, tenant,
            )  # fmt: skip

    async def _loop(self, work: Callable[[], Awaitable[object]], every_s: float, name: str) -> None:
        """``work`` every ``every_s``. A failure is logged and the next poll tries again:
        transient trouble (``sluice_engine.transient``) as a warning, anything else as an
        error; a timer loop that keeps failing stops ticking and ``/healthz`` says so."""
        while not self.stop.is_set():
            try:
                await work()
                if name == "timers":
                    self.last_tick = time.monotonic()
                    self.metrics.last_tick.set(time.time())
            except TRANSIENT_ERRORS as exc:
                log.warning("%s: %r (retrying)", name, exc)
            except Exception:  # one bad row must not stop every timer: logged, polled again
                log.exception("%s failed (retrying)", name)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), every_s)

    async def run(self) -> None:
        await asyncio.gather(
            self._loop(self.fire_once, self.settings.scheduler_poll_s, "timers"),
            self._loop(self.maintain_once, MAINTENANCE_EVERY_S, "maintenance"),
            self._loop(self.send_mail_once, self.settings.scheduler_poll_s, "mail"),
            self._loop(self.purge_once, self.settings.retention_interval_s, "retention"),
            self._loop(self.fire_schedules_once, self.settings.scheduler_poll_s, "schedules"),
            self._loop(self.observe_backlog_once, BACKLOG_EVERY_S, "backlog"),
        )

    async def fire_schedules_once(self) -> None:
        await self.schedules.fire_once(utc_now)

    def healthy(self) -> bool:
        """Progress-based: the timer loop ticked recently."""
        return time.monotonic() - self.last_tick < max(30.0, 20 * self.settings.scheduler_poll_s)

    async def ready(self) -> bool:
        return await database_problem(self.pool) is None
