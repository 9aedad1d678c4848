"""Runs: written through the run writer (create, lock and record, fenced saves), read in
filtered pages."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from fixtures.runs import insert_runs
from sluice_storage import (
    NewRun,
    RunFilter,
    RunRepository,
    RunUpdate,
    RunWrites,
    StaleRunError,
    find_stale_runs,
    lock_and_record,
    lock_and_record_many,
    record_command,
    transaction,
)

pytestmark = pytest.mark.integration
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def _new_run(workflow_id: uuid.UUID, minute: int, version: int = 1) -> NewRun:
    return NewRun(
        run_id=uuid.uuid4(),
        workflow_id=workflow_id,
        workflow_version=version,
        payload={"n": minute},
        started_at=T0 + timedelta(minutes=minute),
    )


async def _save(
    conn: asyncpg.Connection, tenant_id: str, run_id: uuid.UUID, seq: int, update: RunUpdate
) -> None:
    writes = RunWrites(tenant_id)
    writes.save(run_id, seq, update)
    await writes.flush(conn)


async def test_create_and_get_round_trip_jsonb(pool: asyncpg.Pool, tenant_id: str) -> None:
    async with transaction(pool) as conn:
        [created] = await insert_runs(conn, tenant_id, _new_run(uuid.uuid4(), 0))
        fetched = await RunRepository(conn, tenant_id).get(created.run_id)
    assert fetched == created
    assert fetched.status == "RUNNING"
    assert fetched.payload == {"n": 0}
    assert fetched.root_run_id == created.run_id
    assert fetched.seq == 0


async def test_record_command_is_true_only_the_first_time(
    pool: asyncpg.Pool, tenant_id: str
) -> None:
    command_id = uuid.uuid4()
    async with transaction(pool) as conn:
        [run] = await insert_runs(conn, tenant_id, _new_run(uuid.uuid4(), 0))
        assert await record_command(conn, tenant_id, run.run_id, command_id)
        assert not await record_command(conn, tenant_id, run.run_id, command_id)
        assert await record_command(conn, tenant_id, run.run_id, uuid.uuid4())


async def test_lock_and_record_sees_a_command_applied_before_as_not_fresh(
    pool: asyncpg.Pool, tenant_id: str
) -> None:
    """The durable duplicate check of every consumer of run commands: a redelivered
    command (after a crash, a rebalance, a restart) is recorded already."""
    command_id = uuid.uuid4()
    async with transaction(pool) as conn:
        [run] = await insert_runs(conn, tenant_id, _new_run(uuid.uuid4(), 0))
        first = await lock_and_record(conn, tenant_id, run.run_id, command_id)
    async with transaction(pool) as conn:  # a restarted consumer: nothing in memory
        again = await lock_and_record(conn, tenant_id, run.run_id, command_id)
        other = await lock_and_record(conn, tenant_id, run.run_id, uuid.uuid4())
        missing = await lock_and_record(conn, tenant_id, uuid.uuid4(), command_id)
        many = await lock_and_record_many(
            conn, [(tenant_id, run.run_id, command_id), (tenant_id, uuid.uuid4(), command_id)]
        )
    assert [found[1] if found else None for found in (first, again, other)] == [True, False, True]
    assert missing is None
    assert list(many) == [(tenant_id, run.run_id)]  # the unknown run is left out
    assert not many[(tenant_id, run.run_id)][1]


async def test_save_with_stale_seq_is_fenced(pool: asyncpg.Pool, tenant_id: str) -> None:
    update = RunUpdate("SUCCEEDED", "root.steps[1]", "DONE", {"cursor": 2}, T0, final=True)
    async with transaction(pool) as conn:
        [run] = await insert_runs(conn, tenant_id, _new_run(uuid.uuid4(), 0))
        locked = await RunRepository(conn, tenant_id).lock(run.run_id)
        assert locked is not None
        await _save(conn, tenant_id, run.run_id, locked.seq, update)
        with pytest.raises(StaleRunError, match="is not at seq 0"):
            await _save(conn, tenant_id, run.run_id, locked.seq, update)  # a zombie's stale read
        saved = await RunRepository(conn, tenant_id).get(run.run_id)
    assert saved is not None
    assert (saved.status, saved.state, saved.seq) == ("SUCCEEDED", "DONE", 1)
    assert saved.completed_at == T0
    assert saved.run_state == {"cursor": 2}


async def test_list_runs_filters_and_pages_newest_first(pool: asyncpg.Pool, tenant_id: str) -> None:
    wf_a, wf_b = uuid.uuid4(), uuid.uuid4()
    async with transaction(pool) as conn:
        runs_a = await insert_runs(conn, tenant_id, *(_new_run(wf_a, m) for m in range(5)))
        await insert_runs(conn, tenant_id, _new_run(wf_b, 10, version=2))
    async with pool.acquire() as conn:
        repo = RunRepository(conn, tenant_id)
        first = await repo.list_runs(RunFilter(workflow_id=wf_a), limit=3)
        assert first.next_cursor is not None
        second = await repo.list_runs(RunFilter(workflow_id=wf_a), cursor=first.next_cursor)
        everything = await repo.list_runs()
        by_version = await repo.list_runs(RunFilter(version=2))
        window = await repo.list_runs(
            RunFilter(started_from=T0 + timedelta(minutes=1), started_to=T0 + timedelta(minutes=3))
        )
        oldest = await repo.list_runs(RunFilter(newest_first=False), limit=1)
    expected = [r.run_id for r in reversed(runs_a)]
    assert [r.run_id for r in first.items + second.items] == expected
    assert second.next_cursor is None
    assert len(everything.items) == 6
    assert [r.workflow_id for r in by_version.items] == [wf_b]
    assert [r.payload["n"] for r in window.items] == [2, 1]
    assert oldest.items[0].run_id == runs_a[0].run_id


async def test_list_runs_filters_by_status(pool: asyncpg.Pool, tenant_id: str) -> None:
    async with transaction(pool) as conn:
        [done] = await insert_runs(conn, tenant_id, _new_run(uuid.uuid4(), 0))
        await _save(conn, tenant_id, done.run_id, 0,
                    RunUpdate("FAILED", "root", None, {}, T0, final=True))  # fmt: skip
        await insert_runs(conn, tenant_id, _new_run(uuid.uuid4(), 1))
        repo = RunRepository(conn, tenant_id)
        failed = await repo.list_runs(RunFilter(statuses=("FAILED", "CANCELED")))
        running = await repo.list_runs(RunFilter(statuses=("RUNNING",)))
    assert [r.run_id for r in failed.items] == [done.run_id]
    assert len(running.items) == 1


async def test_find_stale_runs_sees_only_running_without_progress(
    pool: asyncpg.Pool, tenant_id: str
) -> None:
    long_ago = datetime(2001, 1, 1, tzinfo=UTC)
    async with transaction(pool) as conn:
        stale, finished = await insert_runs(
            conn, tenant_id,
            dataclasses.replace(_new_run(uuid.uuid4(), 0), started_at=long_ago),
            dataclasses.replace(_new_run(uuid.uuid4(), 0), started_at=long_ago),
        )  # fmt: skip
        await _save(conn, tenant_id, finished.run_id, 0,
                    RunUpdate("SUCCEEDED", "root", None, {}, long_ago, final=True))  # fmt: skip
        found = await find_stale_runs(conn, long_ago + timedelta(seconds=1), limit=10_000)
    mine = [run_id for tenant, run_id in found if tenant == tenant_id]
    assert mine == [stale.run_id]
