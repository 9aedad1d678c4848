"""Many commands in one transaction (``apply_commands``, the interpreter's batches)."""

from __future__ import annotations

import uuid

import pytest
from engine_harness import Pump, publish
from sluice_engine import PendingCommand, RunNotFoundError, apply_commands
from sluice_storage import transaction
from workflow_core.interpreter.commands import Continue

pytestmark = pytest.mark.integration

RECORD_TWICE = {
    "name": "two records",
    "steps": [
        {"id": "a", "type": "action.call", "config": {"actionId": "test.record", "version": 1}},
        {"id": "b", "type": "action.call", "config": {"actionId": "test.record", "version": 1}},
    ],
}


def _continue(pump: Pump) -> Continue:
    return Continue(command_id=str(uuid.uuid4()), now=pump.ctx.clock())


async def _seq(pump: Pump, run_id: str) -> int:
    return int((await pump.run_row(run_id))["seq"])


async def test_apply_commands_keeps_each_runs_order_and_drops_repeats(pump: Pump) -> None:
    workflow_id = await publish(pump.pool, pump.tenant_id, RECORD_TWICE)
    first, second = [await pump.start(workflow_id, {}) for _ in range(2)]
    seqs = [await _seq(pump, first), await _seq(pump, second)]
    c1, c2, c3 = _continue(pump), _continue(pump), _continue(pump)
    batch = [
        PendingCommand(pump.tenant_id, first, c1),
        PendingCommand(pump.tenant_id, second, c3),
        PendingCommand(pump.tenant_id, first, c1),  # a redelivery within the batch
        PendingCommand(pump.tenant_id, first, c2),
    ]
    async with transaction(pump.pool) as conn:
        applied = await apply_commands(conn, pump.ctx, batch)
    assert [a.outcome for a in applied] == ["applied", "applied", "duplicate", "applied"]
    assert [a.run_id for a in applied] == [first, second, first, first]
    assert [await _seq(pump, first), await _seq(pump, second)] == [seqs[0] + 2, seqs[1] + 1]
    await pump.drain()
    for run_id in (first, second):
        assert (await pump.run_row(run_id))["status"] == "SUCCEEDED"
    rows = await pump.fetch("SELECT count(*) AS n FROM test_action_rows WHERE tenant_id = $1")
    assert rows[0]["n"] == 4


async def test_apply_commands_unknown_run_raises_and_the_transaction_writes_nothing(
    pump: Pump,
) -> None:
    workflow_id = await publish(pump.pool, pump.tenant_id, RECORD_TWICE)
    run_id = await pump.start(workflow_id, {})
    before = await _seq(pump, run_id)
    known = _continue(pump)
    batch = [
        PendingCommand(pump.tenant_id, run_id, known),
        PendingCommand(pump.tenant_id, str(uuid.uuid4()), _continue(pump)),
    ]
    with pytest.raises(RunNotFoundError, match="does not exist"):
        async with transaction(pump.pool) as conn:
            await apply_commands(conn, pump.ctx, batch)
    assert await _seq(pump, run_id) == before
    recorded = await pump.fetch(
        "SELECT 1 FROM applied_commands WHERE tenant_id = $1 AND command_id = $2",
        uuid.UUID(known.command_id),
    )
    assert recorded == []


async def test_apply_commands_of_two_tenants_write_each_tenants_rows(pump: Pump) -> None:
    other = Pump(pump.pool, pump.ctx, pump.handlers, f"{pump.tenant_id}-b", pump.topics)
    runs = []
    for each in (pump, other):
        workflow_id = await publish(each.pool, each.tenant_id, RECORD_TWICE)
        runs.append((each, await each.start(workflow_id, {})))
    batch = [PendingCommand(each.tenant_id, run_id, _continue(each)) for each, run_id in runs]
    async with transaction(pump.pool) as conn:
        applied = await apply_commands(conn, pump.ctx, batch)
    assert [a.outcome for a in applied] == ["applied", "applied"]
    for each, run_id in runs:
        await each.drain()
        assert (await each.run_row(run_id))["status"] == "SUCCEEDED"
