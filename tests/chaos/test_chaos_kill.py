"""Kill -9 the interpreter, the action executor and the scheduler at random moments.

Concurrent runs of a workflow with several side-effectful actions (each writes
a row keyed by its idempotency key) and a retried flaky action (a scheduler
timer). After every restart: every run reaches a final status and no action
row is duplicated. ``make test`` runs a small seeded version; ``make chaos``
(``WF_CHAOS_FULL=1``) runs 300 runs and at least six interpreter kills.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest
from e2e_support.helpers import FINAL, engine_for, prepare, publish, start
from e2e_support.services import Services, wait_for
from sluice_messaging.topics import Topics

pytestmark = [pytest.mark.integration, pytest.mark.chaos]

FULL = os.environ.get("WF_CHAOS_FULL", "") == "1"
SEED = int(os.environ.get("WF_CHAOS_SEED", "7"))


@dataclass(frozen=True)
class Plan:
    runs: int
    interpreter_kills: int
    settle_timeout_s: float


PLAN = Plan(300, 6, 240.0) if FULL else Plan(30, 2, 60.0)
RECORD_STEPS = ("rec1", "rec2", "rec3")


def call(
    step_id: str, action: str, args: dict[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    return {"id": step_id, "type": "action.call",
            "config": {"actionId": action, "version": 1, "args": args or {}}, **extra}  # fmt: skip


WORKFLOW = {"name": "chaos", "steps": [
    call("rec1", "test.record", {"n": 1}),
    call("flaky", "test.flaky", {"failTimes": 1},
         retry={"maxAttempts": 3, "backoffMs": 300, "jitter": False}),
    call("rec2", "test.record", {"n": 2}),
    call("echo", "test.echo", {"v": {"$expr": "payload.i"}}),
    call("rec3", "test.record", {"n": 3}),
]}  # fmt: skip


@pytest.fixture(scope="module")
async def chaos_services(
    services_factory: Services, e2e_pool: asyncpg.Pool
) -> AsyncIterator[Services]:
    await prepare(e2e_pool)
    # Short leases and re-drive so recovery happens within the test's time box.
    services_factory.extra_env.update(
        {"WF_EXECUTOR_APART": "true", "WF_ACTION_LEASE_S": "4", "WF_REDRIVE_AFTER_S": "8",
         "WF_LOG_LEVEL": "WARNING"}
    )  # fmt: skip
    await asyncio.gather(
        *(services_factory.start(n) for n in ("interpreter", "executor", "scheduler"))
    )
    yield services_factory
    services_factory.stop_all()


async def crash_and_restart(services: Services, name: str, rng: random.Random) -> None:
    services.kill9(name)
    await asyncio.sleep(rng.uniform(0.1, 0.8))
    await services.start(name)


async def test_kill_9_anywhere_loses_nothing_and_duplicates_nothing(
    chaos_services: Services,
    e2e_pool: asyncpg.Pool,
    e2e_topics: Topics,
    capsys: pytest.CaptureFixture[str],
) -> None:
    rng, tenant, began = random.Random(SEED), f"chaos-{uuid.uuid4().hex[:8]}", time.monotonic()
    engine = engine_for(e2e_topics)
    workflow_id = await publish(e2e_pool, tenant, WORKFLOW)
    waves = PLAN.interpreter_kills + 1
    per_wave = [PLAN.runs // waves + (1 if i < PLAN.runs % waves else 0) for i in range(waves)]
    run_ids: list[str] = []
    extra_kills = {1: "executor", 2 % waves: "scheduler"}
    for wave, count in enumerate(per_wave):
        run_ids += await asyncio.gather(
            *(start(e2e_pool, engine, tenant, workflow_id, {"i": i}) for i in range(count))
        )
        await asyncio.sleep(rng.uniform(0.2, 1.2))
        if wave < PLAN.interpreter_kills:
            await crash_and_restart(chaos_services, "interpreter", rng)
        if wave in extra_kills:
            await crash_and_restart(chaos_services, extra_kills[wave], rng)

    async def all_final() -> bool:
        async with e2e_pool.acquire() as conn:
            open_runs = await conn.fetchval(
                "SELECT count(*) FROM workflow_runs WHERE tenant_id = $1 AND NOT status = ANY($2)",
                tenant, list(FINAL),
            )  # fmt: skip
        return int(open_runs) == 0

    await wait_for(all_final, PLAN.settle_timeout_s, "every run to reach a final status",
                   chaos_services, interval_s=0.5)  # fmt: skip
    async with e2e_pool.acquire() as conn:
        statuses = dict(await conn.fetch(
            """SELECT status, count(*) FROM workflow_runs WHERE tenant_id = $1
               GROUP BY status""",
            tenant,
        ))  # fmt: skip
        rows, keys = await conn.fetchrow(
            """SELECT count(*), count(DISTINCT idempotency_key) FROM test_action_rows
               WHERE tenant_id = $1""",
            tenant,
        )
    with capsys.disabled():
        print(
            f"\nchaos (seed {SEED}): {len(run_ids)} runs {statuses}, interpreter kills "
            f"{PLAN.interpreter_kills}, executor 1, scheduler 1; action rows {rows}, distinct "
            f"keys {keys}, duplicates {rows - keys}; {time.monotonic() - began:.1f} s"
        )
    assert statuses == {"SUCCEEDED": len(run_ids)}
    assert rows == keys == len(run_ids) * len(RECORD_STEPS)
