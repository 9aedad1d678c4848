"""The scheduler's work, as functions over one transaction (several replicas are safe).

- ``fire_due_waits``: claim due open waits with ``FOR UPDATE SKIP LOCKED``,
  mark them FIRED (one conditional update each) and write FireTimer commands.
- ``redrive_stale_runs``: RUNNING runs with no progress get an idempotent
  ``Continue`` (a lost message never strands a run), claimed with ``FOR UPDATE
  SKIP LOCKED`` like the waits, so two schedulers send it once.
- ``recover_stale_jobs``: action jobs whose executor died go back to PENDING.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import asyncpg
from sluice_messaging.topics import Topics
from sluice_storage import OutboxMessage, claim_due_waits, enqueue_many, find_stale_runs
from sluice_storage.run_writes import mark_redriven
from sluice_storage.slots import queued_keys
from workflow_core.interpreter.commands import BeginRun, Continue, FireTimer
from workflow_core.interpreter.ids import derived_id

from sluice_engine import jobs
from sluice_engine.messages import answer_id, command_message

# 500 waits per claim: one UPDATE and one outbox insert round; at ~1k timers/s
# a backlog clears in a few rounds without holding locks for long.
DEFAULT_TIMER_BATCH = 500


async def fire_due_waits(
    conn: asyncpg.Connection,
    topics: Topics,
    now: datetime,
    limit: int = DEFAULT_TIMER_BATCH,
    lateness: list[float] | None = None,
) -> int:
    """Fire up to ``limit`` due waits (call inside a transaction); returns how many.

    ``lateness`` (if given) receives each fired wait's delay past its due time, in s.
    """
    due = await claim_due_waits(conn, now, limit)
    by_tenant: dict[str, list[OutboxMessage]] = {}
    for wait in due:
        if lateness is not None and wait.due_at is not None:
            lateness.append((now - wait.due_at).total_seconds())
        command = FireTimer(
            command_id=answer_id("timer", str(wait.wait_id)), now=now, wait_id=str(wait.wait_id)
        )
        message = command_message(topics, wait.tenant_id, str(wait.run_id), command)
        by_tenant.setdefault(wait.tenant_id, []).append(message)
    for tenant_id, messages in by_tenant.items():
        await enqueue_many(conn, tenant_id, messages)
    return len(due)


async def redrive_stale_runs(
    conn: asyncpg.Connection, topics: Topics, now: datetime, after: timedelta, limit: int = 100
) -> int:
    """Send ``Continue`` to RUNNING runs idle for ``after``; returns how many."""
    stale = await find_stale_runs(conn, now - after, limit)
    for tenant_id, run_id in stale:
        # One Continue per run per idle period: ``find_stale_runs`` row-locks what it
        # finds (SKIP LOCKED) and ``mark_redriven`` restarts the idle clock in this
        # transaction, so another scheduler passes the run over; the id folds in the
        # minute, so a relay's resend of it is one command too.
        bucket = now.replace(second=0, microsecond=0).isoformat()
        command = Continue(command_id=derived_id("continue", str(run_id), bucket), now=now)
        await enqueue_many(
            conn, tenant_id, [command_message(topics, tenant_id, str(run_id), command)]
        )
        await mark_redriven(conn, tenant_id, run_id, now)
    return len(stale)


async def begin_queued_runs(
    conn: asyncpg.Connection, topics: Topics, now: datetime, after: timedelta, limit: int = 100
) -> int:
    """Nothing strands in a queue: ``BeginRun`` to the oldest queued run of every key
    whose queue has not moved for ``after`` (a raised limit, say). It begins only if a
    slot of its key is free (``sluice_engine.concurrency``); returns how many were sent."""
    keys = await queued_keys(conn, now - after, limit)
    bucket = now.replace(second=0, microsecond=0).isoformat()
    for key in keys:
        run_id = str(key.oldest_run_id)
        begin = BeginRun(command_id=derived_id("begin", run_id, bucket), now=now)
        await enqueue_many(conn, key.tenant_id, [command_message(topics, key.tenant_id, run_id,
                                                                  begin)])  # fmt: skip
    return len(keys)


async def recover_stale_jobs(conn: asyncpg.Connection, now: datetime) -> int:
    return await jobs.recover_stale(conn, now)
