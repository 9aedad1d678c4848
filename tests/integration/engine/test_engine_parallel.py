"""Parallel control.forEach through the real shell (PostgreSQL outbox, executor jobs)."""

from __future__ import annotations

from typing import Any

import pytest
from engine_harness import Pump, publish

pytestmark = pytest.mark.integration


def parallel(body: list[Any], **extra: Any) -> dict[str, Any]:
    return {"name": "parallel", "steps": [{
        "id": "loop", "type": "control.forEach", "items": {"$expr": "payload.items"},
        "itemVar": "it", "concurrency": 3, "body": body, **extra,
    }, {"id": "after", "type": "state.set", "config": {"state": "AFTER"}}]}  # fmt: skip


def body() -> list[Any]:
    """Record each item (side-effectful, on the executor); item 2 and 4 fail."""
    record = {"id": "rec", "type": "action.call",
              "config": {"actionId": "test.record", "version": 1, "args": {},
                         "saveAs": "vars.recorded"}}  # fmt: skip
    no = {"message": "no"}
    bad = {"id": "bad", "type": "action.call",
           "config": {"actionId": "test.fail", "version": 1, "args": no}}  # fmt: skip
    item = {"i": {"$expr": "vars.it"}}
    echo = {"id": "echo", "type": "action.call",
            "config": {"actionId": "test.echo", "version": 1, "args": item,
                       "saveAs": "vars.echoed"}}  # fmt: skip
    when_bad = {"id": "if", "type": "control.if", "condition": {"$expr": "vars.it in [2, 4]"},
                "then": [bad], "else": [record]}  # fmt: skip
    return [echo, when_bad]


async def _keys(pump: Pump) -> list[str]:
    rows = await pump.fetch(
        "SELECT idempotency_key FROM test_action_rows WHERE tenant_id = $1 ORDER BY 1"
    )
    return [r["idempotency_key"] for r in rows]


@pytest.mark.parametrize("bulk", [False, True])
async def test_parallel_items_with_failures_tolerated_by_continue(pump: Pump, bulk: bool) -> None:
    pump.bulk = bulk
    doc = parallel(body(), onItemError="continue")
    run_id = await pump.start(
        await publish(pump.pool, pump.tenant_id, doc), {"items": [1, 2, 3, 4, 5]}
    )
    await pump.drain()
    run = await pump.run_row(run_id)
    assert (run["status"], run["state"]) == ("SUCCEEDED", "AFTER")
    variables = run["run_state"]["envelope"]["vars"]
    assert [e["index"] for e in variables["itErrors"]] == [1, 3]
    assert variables["echoed"] == {"i": 5}  # the last item's, whatever order they finished in
    assert "it" not in variables
    assert await _keys(pump) == sorted(f"{run_id}:rec:{i}" for i in (0, 2, 4))
    steps = await pump.fetch(
        "SELECT step_id, status FROM run_steps WHERE tenant_id = $1 AND step_id = 'echo'"
    )
    assert sorted(s["status"] for s in steps) == ["SUCCEEDED"] * 5


async def test_tolerated_failure_count_then_the_loop_fails(pump: Pump) -> None:
    tolerant = parallel(body(), toleratedFailureCount=2)
    run_id = await pump.start(
        await publish(pump.pool, pump.tenant_id, tolerant), {"items": [1, 2, 3, 4]}
    )
    await pump.drain()
    run = await pump.run_row(run_id)
    assert run["status"] == "SUCCEEDED"
    assert len(run["run_state"]["envelope"]["vars"]["itErrors"]) == 2
    strict = parallel(body(), toleratedFailurePercentage=25)
    failed_id = await pump.start(
        await publish(pump.pool, pump.tenant_id, strict), {"items": [1, 2, 3, 4]}
    )
    await pump.drain()
    failed = await pump.run_row(failed_id)
    assert failed["status"] == "FAILED"
    assert failed["error"]["stepId"] == "bad"
    loop_rows = await pump.fetch(
        """SELECT status FROM run_steps WHERE tenant_id = $1 AND run_id = $2
           AND step_id = 'loop'""",
        failed["run_id"],
    )
    assert [r["status"] for r in loop_rows] == ["FAILED"]


async def test_fail_by_default_fails_the_run_and_nothing_is_left_open(pump: Pump) -> None:
    run_id = await pump.start(
        await publish(pump.pool, pump.tenant_id, parallel(body())), {"items": [1, 2, 3]}
    )
    await pump.drain()
    run = await pump.run_row(run_id)
    assert run["status"] == "FAILED"
    open_steps = await pump.fetch(
        "SELECT step_id FROM run_steps WHERE tenant_id = $1 AND run_id = $2 AND status = 'STARTED'",
        run["run_id"],
    )
    assert open_steps == []
