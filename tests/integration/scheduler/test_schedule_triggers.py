"""Schedule triggers on real PostgreSQL: one run per tick across rounds, restarts,
crashes and two schedulers; catch-up after downtime; DST nights; refused starts."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from sluice_engine import EngineContext
from sluice_messaging.topics import Topics
from sluice_scheduler.schedule_triggers import RoundResult, fire_due_schedules
from sluice_storage import DefinitionRepository, transaction
from sluice_storage.pauses import PauseRepository
from workflow_core.registry import create_registry

pytestmark = pytest.mark.integration

T0 = datetime(2026, 1, 5, 10, 2, tzinfo=UTC)  # a Monday


@pytest.fixture
def ctx(topic_prefix: str) -> EngineContext:
    return EngineContext(
        registry=create_registry().freeze(), topics=Topics.from_prefix(topic_prefix)
    )


def scheduled(
    cron: str, timezone: str = "UTC", catch_up: str = "latest", **extra: Any
) -> dict[str, Any]:
    return {
        "name": "scheduled",
        "trigger": {"type": "schedule", "cron": cron, "timezone": timezone, "catchUp": catch_up},
        "steps": [{"id": "s", "type": "state.set", "config": {"state": "TICKED"}}],
        **extra,
    }


async def publish(pool: asyncpg.Pool, tenant: str, doc: dict[str, Any], now: datetime) -> uuid.UUID:
    workflow_id = uuid.uuid4()
    async with transaction(pool) as conn:
        repo = DefinitionRepository(conn, tenant)
        await repo.save_draft(workflow_id, doc, now)
        await repo.publish(workflow_id, doc, payload_schema=None, published_by="test", now=now)
    return workflow_id


async def round_at(pool: asyncpg.Pool, ctx: EngineContext, now: datetime) -> RoundResult:
    async with transaction(pool) as conn:
        return await fire_due_schedules(conn, ctx, now, limit=500)


async def runs(pool: asyncpg.Pool, tenant: str, workflow_id: uuid.UUID) -> list[asyncpg.Record]:
    async with pool.acquire() as conn:
        return list(
            await conn.fetch(
                """SELECT run_id, status, payload FROM workflow_runs
                   WHERE tenant_id = $1 AND workflow_id = $2 ORDER BY payload->>'scheduledAt'""",
                tenant,
                workflow_id,
            )
        )


async def ticks(pool: asyncpg.Pool, tenant: str, workflow_id: uuid.UUID) -> list[asyncpg.Record]:
    async with pool.acquire() as conn:
        return list(
            await conn.fetch(
                """SELECT tick_at, run_id, outcome, late, reason FROM schedule_ticks
                   WHERE tenant_id = $1 AND workflow_id = $2 ORDER BY tick_at""",
                tenant,
                workflow_id,
            )
        )


def scheduled_at(rows: list[asyncpg.Record]) -> list[str]:
    return [r["payload"]["scheduledAt"] for r in rows]


async def test_each_tick_starts_one_run_across_rounds_and_a_restart(
    pool: asyncpg.Pool, ctx: EngineContext, tenant_id: str
) -> None:
    wf = await publish(pool, tenant_id, scheduled("*/5 * * * *"), T0)
    await round_at(pool, ctx, T0 + timedelta(minutes=1))  # 10:03: nothing due yet
    assert await runs(pool, tenant_id, wf) == []
    for second in (1, 2, 30):  # three polls after 10:05
        await round_at(pool, ctx, T0.replace(minute=5, second=second))
    # A restarted scheduler whose cursor went back (a restore, a hand edit): the tick row holds.
    async with pool.acquire() as conn:
        await conn.execute(
            """UPDATE workflow_schedules SET cursor_at = $3, next_due_at = $3
               WHERE tenant_id = $1 AND workflow_id = $2""",
            tenant_id, wf, T0,
        )  # fmt: skip
    await round_at(pool, ctx, T0.replace(minute=5, second=40))
    rows = await runs(pool, tenant_id, wf)
    assert scheduled_at(rows) == ["2026-01-05T10:05:00Z"]
    payload = rows[0]["payload"]
    assert payload == {
        "scheduledAt": "2026-01-05T10:05:00Z", "scheduledAtLocal": "2026-01-05T10:05:00+00:00",
        "timezone": "UTC", "cron": "*/5 * * * *", "late": False,
    }  # fmt: skip
    assert [(t["outcome"], t["late"], t["run_id"]) for t in await ticks(pool, tenant_id, wf)] == [
        ("STARTED", False, rows[0]["run_id"])
    ]


async def test_two_schedulers_polling_at_once_fire_each_tick_once(
    pool: asyncpg.Pool, ctx: EngineContext, tenant_id: str
) -> None:
    wf = await publish(pool, tenant_id, scheduled("* * * * *"), T0)
    for minute in range(3, 8):
        now = T0.replace(minute=minute, second=1)
        await asyncio.gather(*(round_at(pool, ctx, now) for _ in range(4)))
    rows = await runs(pool, tenant_id, wf)
    assert scheduled_at(rows) == [f"2026-01-05T10:0{m}:00Z" for m in range(3, 8)]
    assert len(await ticks(pool, tenant_id, wf)) == 5


async def test_a_crash_before_commit_leaves_the_tick_to_the_next_round(
    pool: asyncpg.Pool, ctx: EngineContext, tenant_id: str
) -> None:
    wf = await publish(pool, tenant_id, scheduled("*/5 * * * *"), T0)
    now = T0.replace(minute=5, second=1)

    async def killed_before_commit() -> None:
        async with transaction(pool) as conn:
            assert (await fire_due_schedules(conn, ctx, now, limit=500)).started >= 1
            raise RuntimeError("scheduler killed before its commit")

    with pytest.raises(RuntimeError):
        await killed_before_commit()
    assert await runs(pool, tenant_id, wf) == []
    assert await ticks(pool, tenant_id, wf) == []
    await round_at(pool, ctx, now + timedelta(seconds=1))
    assert scheduled_at(await runs(pool, tenant_id, wf)) == ["2026-01-05T10:05:00Z"]


@pytest.mark.parametrize(
    ("catch_up", "expected"),
    [
        ("none", []),
        ("latest", ["2026-01-05T10:50:00Z"]),
        ("all", [f"2026-01-05T10:{m}0:00Z" for m in range(1, 6)]),
    ],
)
async def test_downtime_missed_ticks_follow_catch_up(
    pool: asyncpg.Pool, ctx: EngineContext, tenant_id: str, catch_up: str, expected: list[str]
) -> None:
    wf = await publish(pool, tenant_id, scheduled("*/10 * * * *", catch_up=catch_up), T0)
    result = await round_at(pool, ctx, T0.replace(minute=58))  # down from 10:02 to 10:58
    rows = await runs(pool, tenant_id, wf)
    assert scheduled_at(rows) == expected
    assert all(r["payload"]["late"] is True for r in rows)
    assert result.skipped >= 5 - len(expected)
    # The next tick is on time again, whatever the policy.
    await round_at(pool, ctx, T0.replace(hour=11, minute=0, second=2))
    latest = (await runs(pool, tenant_id, wf))[-1]
    assert (latest["payload"]["scheduledAt"], latest["payload"]["late"]) == (
        "2026-01-05T11:00:00Z",
        False,
    )


async def test_a_paused_schedule_fires_nothing_and_catches_up_on_unpause(
    pool: asyncpg.Pool, ctx: EngineContext, tenant_id: str
) -> None:
    """Paused from 10:02 to 10:58 (issue 19): no tick fires meanwhile; on unpause the
    missed ticks follow catchUp, as after downtime (``latest``: 10:50 only)."""
    wf = await publish(pool, tenant_id, scheduled("*/10 * * * *", catch_up="latest"), T0)
    async with transaction(pool) as conn:
        repo = PauseRepository(conn, tenant_id)
        assert await repo.pause(wf, reason="maintenance", by="ops", now=T0)
    for minute in (10, 30, 50):
        await round_at(pool, ctx, T0.replace(minute=minute, second=5))
    assert await runs(pool, tenant_id, wf) == []
    async with transaction(pool) as conn:
        assert await PauseRepository(conn, tenant_id).unpause(wf, T0.replace(minute=57))
    await round_at(pool, ctx, T0.replace(minute=58))
    rows = await runs(pool, tenant_id, wf)
    assert scheduled_at(rows) == ["2026-01-05T10:50:00Z"]
    assert rows[0]["payload"]["late"] is True


async def test_dst_nights_in_berlin_fire_each_local_tick_once(
    pool: asyncpg.Pool, ctx: EngineContext, tenant_id: str
) -> None:
    fixed = await publish(
        pool,
        tenant_id,
        scheduled("30 2 * * *", "Europe/Berlin"),
        datetime(2026, 3, 28, 12, tzinfo=UTC),
    )
    hourly = await publish(
        pool,
        tenant_id,
        scheduled("0 1-3 * * *", "Europe/Berlin"),
        datetime(2026, 3, 28, 12, tzinfo=UTC),
    )
    for start in (datetime(2026, 3, 28, 22, tzinfo=UTC), datetime(2026, 10, 24, 21, tzinfo=UTC)):
        if start.month == 10:  # jump the cursors to the autumn night (nothing in between)
            async with pool.acquire() as conn:
                await conn.execute(
                    """UPDATE workflow_schedules SET cursor_at = $2, next_due_at = $2
                       WHERE tenant_id = $1""",
                    tenant_id, start,
                )  # fmt: skip
        now = start
        while now < start + timedelta(hours=6):  # a poll every 10 minutes through the night
            now += timedelta(minutes=10)
            await round_at(pool, ctx, now)
    assert scheduled_at(await runs(pool, tenant_id, fixed)) == [
        "2026-03-29T01:00:00Z",  # 02:30 does not exist: once, at 03:00 CEST
        "2026-10-25T00:30:00Z",  # 02:30 happens twice: once, the first (CEST)
    ]
    assert scheduled_at(await runs(pool, tenant_id, hourly)) == [
        "2026-03-29T00:00:00Z",  # 01:00 CET
        "2026-03-29T01:00:00Z",  # 03:00 CEST (02:00 does not exist)
        "2026-10-24T23:00:00Z",  # 01:00 CEST
        "2026-10-25T00:00:00Z",  # 02:00 CEST; not again at 02:00 CET: the hour is not "*"
        "2026-10-25T02:00:00Z",  # 03:00 CET
    ]


async def test_scheduled_payload_fits_its_registered_schema(
    pool: asyncpg.Pool, ctx: EngineContext, tenant_id: str
) -> None:
    doc = scheduled("*/5 * * * *", payloadSchemaRef="payload.ScheduleTick.v1")
    wf = await publish(pool, tenant_id, doc, T0)
    await round_at(pool, ctx, T0.replace(minute=5, second=1))
    assert [r["status"] for r in await runs(pool, tenant_id, wf)] == ["SUCCEEDED"]


async def test_a_start_refused_by_the_payload_schema_is_a_failed_tick(
    pool: asyncpg.Pool, ctx: EngineContext, tenant_id: str
) -> None:
    doc = scheduled("*/5 * * * *", payloadSchemaRef="payload.EmailWorkflowPayload.v1")
    wf = await publish(pool, tenant_id, doc, T0)
    result = await round_at(pool, ctx, T0.replace(minute=5, second=1))
    assert result.failed >= 1
    assert await runs(pool, tenant_id, wf) == []
    [tick] = await ticks(pool, tenant_id, wf)
    assert tick["outcome"] == "FAILED"
    assert "invalid payload" in tick["reason"]
    async with pool.acquire() as conn:
        due = await conn.fetchval(
            "SELECT next_due_at FROM workflow_schedules WHERE tenant_id = $1 AND workflow_id = $2",
            tenant_id, wf,
        )  # fmt: skip
    assert due == T0.replace(minute=10)


async def test_a_version_without_the_schedule_stops_it(
    pool: asyncpg.Pool, ctx: EngineContext, tenant_id: str
) -> None:
    wf = await publish(pool, tenant_id, scheduled("*/5 * * * *"), T0)
    plain = {
        "name": "scheduled",
        "steps": [{"id": "s", "type": "state.set", "config": {"state": "X"}}],
    }
    async with transaction(pool) as conn:
        await DefinitionRepository(conn, tenant_id).publish(
            wf, plain, payload_schema=None, published_by="test", now=T0
        )
    await round_at(pool, ctx, T0.replace(minute=5, second=1))
    assert await runs(pool, tenant_id, wf) == []
