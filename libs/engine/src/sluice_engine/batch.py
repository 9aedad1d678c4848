"""Applying many commands (many runs) in the caller's transaction, a few statements in all.

``apply_command`` costs two round trips per command (lock and record, then the
history statement). A polled Kafka batch holds hundreds of commands under
load, so here the batch is applied in rounds: round k holds the k-th command
of every run in the batch (a run's commands keep their order). Per round,
ONE statement locks every run (in run id order) and records every command
id, the pure core advances each run in memory, and ONE statement per tenant
writes all the histories, outbox messages and fenced run updates. Effects
that need the database as they come (waits, child runs, inline actions) are
written by the same code as for a single command, in the same transaction
(a task completion, too: see ``applying``).

Any failure raises and the caller's transaction rolls back; the caller then
applies the commands one by one, so a poison command only fails itself.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import asyncpg
from sluice_storage import RunRecord, RunWrites
from sluice_storage import lock_and_record_many as storage_lock_and_record_many
from workflow_core.interpreter.commands import Command

from sluice_engine.applying import apply_recorded
from sluice_engine.context import EngineContext
from sluice_engine.errors import RunNotFoundError
from sluice_engine.runs import Applied
from sluice_engine.spans import command_span

RunKey = tuple[str, uuid.UUID]


@dataclass(frozen=True)
class PendingCommand:
    """One command for one run, as read from Kafka."""

    tenant_id: str
    run_id: str
    command: Command
    trace: Mapping[str, str] = field(default_factory=dict)  # its Kafka trace headers

    @property
    def key(self) -> RunKey:
        return (self.tenant_id, uuid.UUID(self.run_id))


def rounds(items: Sequence[PendingCommand]) -> list[list[int]]:
    """Indexes of ``items`` by round: round k holds each run's k-th command."""
    seen: dict[RunKey, int] = {}
    out: list[list[int]] = []
    for index, item in enumerate(items):
        depth = seen.get(item.key, 0)
        seen[item.key] = depth + 1
        if depth == len(out):
            out.append([])
        out[depth].append(index)
    return out


async def lock_and_record_many(
    conn: asyncpg.Connection, items: Sequence[PendingCommand]
) -> dict[RunKey, tuple[RunRecord, bool]]:
    """Lock the runs (one command each) and record the command ids: one round trip
    (``sluice_storage.lock_and_record_many``). ``fresh`` is False for a command applied
    before. Raises ``RunNotFoundError`` when a run does not exist."""
    wanted = [(i.tenant_id, uuid.UUID(i.run_id), uuid.UUID(i.command.command_id)) for i in items]
    found = await storage_lock_and_record_many(conn, wanted)
    missing = [i for i in items if i.key not in found]
    if missing:
        first = missing[0]
        raise RunNotFoundError(f"run {first.run_id} of tenant {first.tenant_id} does not exist")
    return found


async def apply_commands(
    conn: asyncpg.Connection, ctx: EngineContext, items: Sequence[PendingCommand]
) -> list[Applied]:
    """``apply_command`` for every item, in order per run, in the caller's transaction."""
    results: dict[int, Applied] = {}
    for indexes in rounds(items):
        batch = [items[i] for i in indexes]
        locked = await lock_and_record_many(conn, batch)
        writes: dict[str, RunWrites] = {}
        for index, item in zip(indexes, batch, strict=True):
            record, fresh = locked[item.key]
            if not fresh:
                results[index] = Applied(item.run_id, "duplicate", record.status)
                continue
            tenant_writes = writes.setdefault(
                item.tenant_id, RunWrites(item.tenant_id, notify=ctx.notify_outbox)
            )
            with command_span(item.command, item.tenant_id, item.run_id, item.trace):
                results[index] = await apply_recorded(
                    conn, ctx, tenant_writes, record, item.command
                )
        for tenant_writes in writes.values():
            await tenant_writes.flush(conn)
    return [results[i] for i in range(len(items))]
