"""Schedule triggers: start a run per cron tick, exactly once, whatever restarts.

One round (``fire_due_schedules``) is one transaction: claim the due schedule
rows (``FOR UPDATE SKIP LOCKED``: two schedulers never plan one schedule at
once), let the pure core decide which ticks fire (``workflow_core.schedules.
plan_ticks``: on-time ticks, and missed ones per ``catchUp``), insert one
``schedule_ticks`` row per tick (``ON CONFLICT DO NOTHING`` on (tenant,
workflow, tick instant): a tick already fired is never fired again), start its
run (run id derived from the tick), and move the schedule's cursor. A crash
before the commit leaves nothing; the next round plans the same ticks again.

A scheduled run's payload: ``{"scheduledAt": <tick, UTC>, "scheduledAtLocal":
<tick in the schedule's zone>, "timezone", "cron", "late": <a caught-up tick>}``
(Kestra's ``trigger.date``); its tags ``trigger=schedule`` and ``scheduledAt``.
A run that cannot start (its payload refused by the definition's schema) is a
FAILED tick with the reason, and the schedule goes on.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
from prometheus_client import CollectorRegistry, Counter
from sluice_config import Settings
from sluice_engine import (
    ActionHandlers,
    EngineContext,
    EngineError,
    StartOptions,
    load_plugins,
    start_run,
)
from sluice_engine.run_metrics import RunMetrics
from sluice_messaging.topics import Topics
from sluice_storage import transaction
from sluice_storage.schedules import ScheduleRecord, ScheduleRepository, claim_due_schedules
from workflow_core.definitions import ScheduleTrigger
from workflow_core.interpreter.ids import derived_id
from workflow_core.registry import create_registry
from workflow_core.schedules import Schedule, ScheduleError, parse_schedule, plan_ticks

log = logging.getLogger(__name__)

# Schedules planned per transaction: each holds a row lock until the commit and
# may start up to MAX_CATCH_UP runs, so keep rounds short; a backlog of due
# schedules clears over consecutive polls (0.25 s apart).
SCHEDULE_BATCH = 20


@dataclass
class RoundResult:
    planned: int = 0  # schedules claimed
    started: int = 0
    skipped: int = 0  # missed ticks catchUp did not fire
    failed: int = 0  # ticks whose run could not start


def scheduled_run_id(tenant_id: str, workflow_id: uuid.UUID, tick: datetime) -> str:
    return derived_id("scheduled-run", tenant_id, str(workflow_id), tick.isoformat())


def schedule_for(record: ScheduleRecord) -> Schedule:
    trigger = ScheduleTrigger(
        type="schedule",
        cron=record.cron,
        timezone=record.timezone,
        catch_up=record.catch_up,  # the table's CHECK holds it to a CatchUp value
    )
    return parse_schedule(trigger)


async def fire_due_schedules(
    conn: asyncpg.Connection, ctx: EngineContext, now: datetime, limit: int = SCHEDULE_BATCH
) -> RoundResult:
    """One round, inside the caller's transaction."""
    result = RoundResult()
    for record in await claim_due_schedules(conn, now, limit):
        result.planned += 1
        await _plan_one(conn, ctx, record, now, result)
    return result


async def _plan_one(
    conn: asyncpg.Connection,
    ctx: EngineContext,
    record: ScheduleRecord,
    now: datetime,
    result: RoundResult,
) -> None:
    repo = ScheduleRepository(conn, record.tenant_id)
    try:
        schedule = schedule_for(record)
    except ScheduleError as error:  # publish checks it; a zone removed from tzdata since
        log.error("schedule of %s/%s unusable: %s", record.tenant_id, record.workflow_id, error)
        await repo.advance(record.workflow_id, cursor_at=now, next_due_at=None, fired_at=None)
        return
    plan = plan_ticks(schedule, after=record.cursor_at, now=now)
    result.skipped += plan.skipped
    if plan.skipped:
        log.info(
            "schedule %s/%s: %d missed ticks skipped (catchUp %s)",
            record.tenant_id, record.workflow_id, plan.skipped, record.catch_up,
        )  # fmt: skip
    fired = None
    for tick in plan.fire:
        if await _fire(conn, ctx, repo, record, schedule, tick, tick in plan.missed, now):
            result.started += 1
            fired = now
        else:
            result.failed += 1
    await repo.advance(record.workflow_id, cursor_at=now, next_due_at=plan.next_due, fired_at=fired)


async def _fire(
    conn: asyncpg.Connection, ctx: EngineContext, repo: ScheduleRepository,
    record: ScheduleRecord, schedule: Schedule, tick: datetime, late: bool, now: datetime,
) -> bool:  # fmt: skip
    """Start the tick's run; False if it could not start (recorded as a FAILED tick)."""
    run_id = scheduled_run_id(record.tenant_id, record.workflow_id, tick)
    try:
        async with conn.transaction():  # a savepoint: a refused start undoes only itself
            if not await repo.claim_tick(
                record.workflow_id, tick, uuid.UUID(run_id), late=late, now=now
            ):
                return True  # fired by an earlier round: nothing to do
            await start_run(
                conn, ctx, record.tenant_id, str(record.workflow_id),
                tick_payload(schedule, tick, late),
                StartOptions(
                    version=record.workflow_version, run_id=run_id,
                    command_id=derived_id("scheduled-start", run_id), now=now,
                    tags={"trigger": "schedule", "scheduledAt": tick.isoformat()},
                ),
            )  # fmt: skip
    except EngineError as error:
        log.warning("scheduled run of %s at %s refused: %s", record.workflow_id, tick, error)
        await repo.record_failed_tick(record.workflow_id, tick, str(error), late=late, now=now)
        return False
    return True


def tick_payload(schedule: Schedule, tick: datetime, late: bool) -> dict[str, Any]:
    return {
        "scheduledAt": tick.isoformat().replace("+00:00", "Z"),
        "scheduledAtLocal": tick.astimezone(schedule.zone).isoformat(),
        "timezone": schedule.zone.key,
        "cron": schedule.cron,
        "late": late,
    }


@dataclass
class ScheduleTriggers:
    """The scheduler's schedule-trigger loop: rounds until no due schedule is left."""

    pool: asyncpg.Pool
    ctx: EngineContext
    metrics: CollectorRegistry

    def __post_init__(self) -> None:
        self.started = Counter(
            "sluice_schedule_runs_started_total", "Runs started by schedule ticks",
            registry=self.metrics,
        )  # fmt: skip
        self.skipped = Counter(
            "sluice_schedule_ticks_skipped_total", "Missed ticks not fired (catchUp)",
            registry=self.metrics,
        )  # fmt: skip
        self.failed = Counter(
            "sluice_schedule_ticks_failed_total", "Ticks whose run could not start",
            registry=self.metrics,
        )  # fmt: skip

    @classmethod
    def create(
        cls, settings: Settings, pool: asyncpg.Pool, metrics: CollectorRegistry
    ) -> ScheduleTriggers:
        """With the plugins' registry: a scheduled run's payload is checked like any start."""
        registry = create_registry()
        load_plugins(settings.plugins, registry, ActionHandlers())
        topics = Topics.from_prefix(settings.topic_prefix)
        engine = EngineContext(
            registry=registry.freeze(), topics=topics, metrics=RunMetrics(metrics)
        )
        return cls(pool, engine, metrics)

    async def fire_once(self, clock: Callable[[], datetime]) -> RoundResult:
        total = RoundResult()
        while True:
            async with transaction(self.pool) as conn:
                claimed = await fire_due_schedules(conn, self.ctx, clock())
            total.started += claimed.started
            total.skipped += claimed.skipped
            total.failed += claimed.failed
            if claimed.planned < SCHEDULE_BATCH:
                break
        self.started.inc(total.started)
        self.skipped.inc(total.skipped)
        self.failed.inc(total.failed)
        return total
