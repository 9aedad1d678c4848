"""Applying a command to an existing run: one at a time, and the dispatch the batch shares.

Most commands go straight to the core (``runs.apply_locked``). A
``CompleteHumanTask`` ends a wait the database also tracks (the wait row and
the task row), so it takes the same conditional transition as the API's
completion (``tasks.complete_waiting_task``): whoever produced it on
``run-commands``, it completes the task only if its wait is still open, is
dropped as stale (``outcome="stale"``) when a timeout, a cancel or another
completion won, and raises ``CommandRejectedError`` (the transaction rolls
back, the task stays open) when the output breaks the form. Only that type
check is added for the other commands: no extra query.
"""

from __future__ import annotations

import asyncpg
from sluice_storage import RunRecord, RunWrites
from workflow_core.interpreter.commands import Command, CompleteHumanTask

from sluice_engine.context import EngineContext
from sluice_engine.runs import Applied, apply_locked, lock_and_record
from sluice_engine.tasks import complete_waiting_task


async def apply_command(
    conn: asyncpg.Connection, ctx: EngineContext, tenant_id: str, run_id: str, command: Command
) -> Applied:
    """Apply one command to an existing run (StartRun goes through ``start_run``)."""
    writes = RunWrites(tenant_id, notify=ctx.notify_outbox)
    record, fresh = await lock_and_record(conn, tenant_id, run_id, command.command_id)
    if not fresh:
        return Applied(str(record.run_id), "duplicate", record.status)
    applied = await apply_recorded(conn, ctx, writes, record, command)
    await writes.flush(conn)
    return applied


async def apply_recorded(
    conn: asyncpg.Connection,
    ctx: EngineContext,
    writes: RunWrites,
    record: RunRecord,
    command: Command,
) -> Applied:
    """``command`` for a run row the caller locked, its command id recorded as new."""
    if isinstance(command, CompleteHumanTask):
        done = await complete_waiting_task(conn, ctx, writes, record, command, recorded=True)
        return done.applied
    return await apply_locked(conn, ctx, writes, record, command, recorded=True)
