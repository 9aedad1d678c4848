"""Run, step and action metrics count committed work once, by every mode of execution
(issue 19's metric names), in the one-by-one and the batched pump alike."""

from __future__ import annotations

import asyncpg
import pytest
from engine_harness import Pump, publish
from prometheus_client import CollectorRegistry
from sluice_engine.run_metrics import RunMetrics
from sluice_storage import after_commit, transaction
from test_engine_runs import call, workflow

pytestmark = pytest.mark.integration


def sample(registry: CollectorRegistry, name: str, **labels: str) -> float:
    return registry.get_sample_value(name, labels) or 0.0


@pytest.fixture
def registry(pump: Pump) -> CollectorRegistry:
    registry = CollectorRegistry()
    pump.ctx.metrics = RunMetrics(registry)
    return registry


async def test_a_retried_run_counts_its_start_end_steps_retries_and_actions(
    pump: Pump, registry: CollectorRegistry
) -> None:
    retry = {"maxAttempts": 2, "backoffMs": 1000, "jitter": False}
    doc = workflow(
        call("echo", "test.echo", {"a": 1}),
        call("flaky", "test.flaky", {"failTimes": 1}, retry=retry),
        call("rec", "test.record", {"x": 1}),
    )
    workflow_id = await publish(pump.pool, pump.tenant_id, doc)
    run_id = await pump.start(workflow_id, {})
    await pump.drain()
    wait = (
        await pump.fetch("SELECT due_at FROM run_waits WHERE tenant_id = $1 AND status = 'OPEN'")
    )[0]
    pump.ctx.clock.advance(wait["due_at"].timestamp() - pump.ctx.clock().timestamp() + 0.01)
    assert await pump.fire_timers() == 1
    await pump.drain()
    assert (await pump.run_row(run_id))["status"] == "SUCCEEDED"

    per_workflow = {"tenant": pump.tenant_id, "workflow": workflow_id}
    assert sample(registry, "sluice_runs_started_total", **per_workflow) == 1
    assert sample(registry, "sluice_runs_completed_total", **per_workflow, status="SUCCEEDED") == 1
    assert sample(registry, "sluice_runs_completed_total", **per_workflow, status="FAILED") == 0
    assert sample(registry, "sluice_run_duration_seconds_count", **per_workflow) == 1
    # The hand-moved clock: the run took the backoff and a little more.
    assert 1.0 <= sample(registry, "sluice_run_duration_seconds_sum", **per_workflow) < 5
    step = {"node_type": "action.call"}
    assert sample(registry, "sluice_step_duration_seconds_count", **step, status="SUCCEEDED") == 3
    assert (
        sample(registry, "sluice_step_duration_seconds_count", **step, status="RETRY_SCHEDULED")
        == 1
    )
    assert sample(registry, "sluice_step_retries_total", **per_workflow, **step) == 1
    for action, calls in (("test.echo", 1), ("test.flaky", 2), ("test.record", 1)):
        assert sample(registry, "sluice_action_duration_seconds_count", action=action) == calls
    assert sample(registry, "sluice_action_errors_total", action="test.flaky",
                  category="TransientError") == 1  # fmt: skip
    assert sample(registry, "sluice_action_errors_total", action="test.echo",
                  category="TransientError") == 0  # fmt: skip


async def test_a_failed_run_counts_as_failed_with_its_action_error(
    pump: Pump, registry: CollectorRegistry
) -> None:
    workflow_id = await publish(pump.pool, pump.tenant_id, workflow(call("boom", "test.fail")))
    run_id = await pump.start(workflow_id, {})
    await pump.drain()
    assert (await pump.run_row(run_id))["status"] == "FAILED"
    per_workflow = {"tenant": pump.tenant_id, "workflow": workflow_id}
    assert sample(registry, "sluice_runs_completed_total", **per_workflow, status="FAILED") == 1
    assert sample(registry, "sluice_runs_completed_total", **per_workflow, status="SUCCEEDED") == 0
    assert sample(registry, "sluice_action_errors_total", action="test.fail",
                  category="ActionError") == 1  # fmt: skip
    assert sample(registry, "sluice_step_duration_seconds_count", node_type="action.call",
                  status="FAILED") == 1  # fmt: skip


async def test_inline_actions_are_counted_too(pump: Pump, registry: CollectorRegistry) -> None:
    pump.ctx.inline_handlers = pump.handlers
    doc = workflow(call("e1", "test.echo", {"a": 1}), call("e2", "test.echo", {"b": 2}))
    run_id = await pump.start(await publish(pump.pool, pump.tenant_id, doc), {})
    assert (await pump.run_row(run_id))["status"] == "SUCCEEDED"
    assert sample(registry, "sluice_action_duration_seconds_count", action="test.echo") == 2


async def test_after_commit_runs_once_on_commit_and_never_on_rollback(pool: asyncpg.Pool) -> None:
    seen: list[str] = []
    async with transaction(pool) as conn:
        await conn.execute("SELECT 1")
        after_commit(lambda: seen.append("committed"))
        assert seen == []  # not before the commit
    assert seen == ["committed"]

    async def fails() -> None:
        async with transaction(pool):
            after_commit(lambda: seen.append("rolled back"))
            raise RuntimeError("roll back")

    with pytest.raises(RuntimeError):
        await fails()
    after_commit(lambda: seen.append("outside"))  # no transaction: dropped
    assert seen == ["committed"]
