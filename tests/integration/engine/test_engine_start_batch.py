"""Run starts committed together (``StartBatcher``: the API's group commit)."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest
from engine_harness import Pump, publish
from sluice_engine import InvalidPayloadError, StartBatcher, StartOptions, UnknownWorkflowError
from sluice_storage import DefinitionRepository

pytestmark = pytest.mark.integration

EMAIL_ONLY = {
    "name": "email payload",
    "payloadSchemaRef": "payload.EmailWorkflowPayload.v1",
    "steps": [{"id": "s", "type": "state.set", "config": {"state": "X"}}],
}
ONE_RECORD = {
    "name": "one record",
    "steps": [
        {"id": "a", "type": "action.call", "config": {"actionId": "test.record", "version": 1}},
    ],
}


async def _transactions(pump: Pump, run_ids: list[uuid.UUID]) -> int:
    """How many transactions wrote these runs (rows of one transaction share xmin)."""
    rows = await pump.fetch(
        "SELECT count(DISTINCT xmin::text) AS n FROM workflow_runs "
        "WHERE tenant_id = $1 AND run_id = ANY($2::uuid[])",
        run_ids,
    )
    return int(rows[0]["n"])


async def test_concurrent_starts_share_transactions_and_each_gets_its_run(pump: Pump) -> None:
    workflow_id = await publish(pump.pool, pump.tenant_id, ONE_RECORD)
    batcher = StartBatcher(pump.pool, pump.ctx)
    records = await asyncio.gather(
        *(batcher.start(pump.tenant_id, workflow_id, {"n": n}) for n in range(40))
    )
    assert [r.payload for r in records] == [{"n": n} for n in range(40)]
    assert len({r.run_id for r in records}) == 40
    assert {(r.status, r.seq, r.workflow_version) for r in records} == {("RUNNING", 1, 1)}
    assert await _transactions(pump, [r.run_id for r in records]) < 40
    await pump.drain()
    for record in records:
        assert (await pump.run_row(str(record.run_id)))["status"] == "SUCCEEDED"


async def test_a_refused_start_fails_alone_and_the_others_start(pump: Pump) -> None:
    workflow_id = await publish(pump.pool, pump.tenant_id, ONE_RECORD)
    email_only = await publish(pump.pool, pump.tenant_id, EMAIL_ONLY)
    batcher = StartBatcher(pump.pool, pump.ctx)
    outcomes = await asyncio.gather(
        batcher.start(pump.tenant_id, workflow_id, {"n": 1}),
        batcher.start(pump.tenant_id, email_only, {"n": "not an email"}),
        batcher.start(pump.tenant_id, str(uuid.uuid4()), {"n": 2}),
        batcher.start(pump.tenant_id, workflow_id, {"n": 3}),
        return_exceptions=True,
    )
    assert isinstance(outcomes[1], InvalidPayloadError)
    assert "invalid payload" in str(outcomes[1])
    assert isinstance(outcomes[2], UnknownWorkflowError)
    started = [o for o in outcomes if not isinstance(o, BaseException)]
    assert [r.payload for r in started] == [{"n": 1}, {"n": 3}]
    rows = await pump.fetch("SELECT count(*) AS n FROM workflow_runs WHERE tenant_id = $1")
    assert rows[0]["n"] == 2


async def test_a_failed_batch_is_started_again_one_by_one(pump: Pump) -> None:
    workflow_id = await publish(pump.pool, pump.tenant_id, ONE_RECORD)
    batcher = StartBatcher(pump.pool, pump.ctx)
    twice = str(uuid.uuid4())  # the same run id twice: the batch's insert fails
    outcomes = await asyncio.gather(
        batcher.start(pump.tenant_id, workflow_id, {"n": 1}, StartOptions(run_id=twice)),
        batcher.start(pump.tenant_id, workflow_id, {"n": 2}),
        batcher.start(pump.tenant_id, workflow_id, {"n": 3}, StartOptions(run_id=twice)),
        return_exceptions=True,
    )
    failed = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(failed) == 1
    assert isinstance(failed[0], asyncpg.UniqueViolationError)
    started = sorted(o.payload["n"] for o in outcomes if not isinstance(o, BaseException))
    assert len(started) == 2
    assert 2 in started
    rows = await pump.fetch("SELECT count(*) AS n FROM workflow_runs WHERE tenant_id = $1")
    assert rows[0]["n"] == 2


async def test_latest_version_is_read_per_batch_so_a_new_version_is_used(pump: Pump) -> None:
    workflow_id = await publish(pump.pool, pump.tenant_id, ONE_RECORD)
    batcher = StartBatcher(pump.pool, pump.ctx)
    first = await batcher.start(pump.tenant_id, workflow_id, {"n": 1})
    async with pump.pool.acquire() as conn:
        repo = DefinitionRepository(conn, pump.tenant_id)
        await repo.publish(
            uuid.UUID(workflow_id), ONE_RECORD, payload_schema=None, published_by="test",
            now=pump.ctx.clock(),
        )  # fmt: skip
    second = await batcher.start(pump.tenant_id, workflow_id, {"n": 2})
    assert (first.workflow_version, second.workflow_version) == (1, 2)
