"""Concurrency limits in the shell: the slot accounting under a lock in PostgreSQL.

A workflow with ``concurrency: {limit, key?, onLimit}`` has at most ``limit`` runs
in flight (RUNNING or WAITING) per key. Every step that could change that count
takes the transaction-scoped advisory lock of the key (``SlotRepository.lock``)
and counts in the table (``SlotRepository.counts``), never in process memory:

- a **start** (``admission``, from ``runs.start_with``, so API, triggers, schedules,
  replays and child runs alike): the key is evaluated from the payload, then under
  the lock the core's ``admit`` decides: begin now, QUEUE (the run exists, status
  QUEUED, numbered in arrival order), or end it at once CANCELED / FAILED
  (``onLimit``) with the reason;
- a **completion** (``slot_freed``, from ``runs._persist``: a run of the key leaves
  RUNNING/WAITING for a final status): under the lock, a ``BeginRun`` command to the
  oldest queued run goes out with the completion (outbox, same transaction);
- a **begin** (``may_begin``, before the core sees a ``BeginRun``): under the lock,
  the queued run begins only if a slot is free; with more slots free, the next
  oldest are sent ``BeginRun`` too. A ``BeginRun`` that finds no slot changes
  nothing: the next completion sends another;
- an operator **retry** of a FAILED run (``controls``) needs a free slot (409 otherwise).

The limit a run is counted against is its own version's (a version is immutable);
all versions of the workflow share the keys. Writes of this transaction that are
not flushed yet (``RunWrites.limited``) are counted from memory, the rest from the
table, so a batch of starts on one key never lets two through on one free slot.

Lock order: the key lock is taken after the run row a completion or begin holds
(as a child start does) and before any event-key lock of the unit's flush; no
holder of a key lock waits for a run row (the queue is only read, the commands go
through the outbox).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
from sluice_storage import RunRecord, RunWrites
from sluice_storage.slots import SlotCounts, SlotRepository
from workflow_core.concurrency import (
    Admission,
    ConcurrencyKeyError,
    admit,
    concurrency_key,
    free_slots,
    limit_reason,
)
from workflow_core.definitions import Concurrency
from workflow_core.interpreter.commands import BeginRun
from workflow_core.json_schema import SchemaViolation

from sluice_engine.context import EngineContext
from sluice_engine.definitions import LoadedVersion
from sluice_engine.errors import InvalidPayloadError
from sluice_engine.messages import command_message, new_command_id

IN_FLIGHT = ("RUNNING", "WAITING")


@dataclass(frozen=True)
class Decision:
    """How a start is admitted: its key (None: no limit), the admission and why."""

    key: str | None
    admission: Admission = Admission.START
    reason: str = ""


async def admission(
    conn: asyncpg.Connection, ctx: EngineContext, writes: RunWrites, loaded: LoadedVersion,
    payload: dict[str, Any], now: datetime,
) -> Decision:  # fmt: skip
    """Decide a start under its key's lock (held until the caller's transaction ends).

    Raises ``InvalidPayloadError`` when the key expression fails on this payload."""
    limit = loaded.definition.concurrency
    try:
        key = concurrency_key(loaded.definition, payload, now=now)
    except ConcurrencyKeyError as failed:
        raise InvalidPayloadError(failed.message, [SchemaViolation("", failed.message)]) from None
    if limit is None or key is None:
        return Decision(None)
    workflow_id = uuid.UUID(loaded.workflow_id)
    counts = await _locked_counts(conn, writes, workflow_id, key)
    decided = admit(limit, in_flight=counts.in_flight, queued=counts.queued)
    if decided is Admission.START:
        return Decision(key)
    room = free_slots(limit, in_flight=counts.in_flight)
    if room and counts.queued:  # slots free with runs queued: a raised limit, say
        await _send_begin(conn, ctx, writes, workflow_id, key, room, now)
    return Decision(key, decided, limit_reason(limit, key, counts.in_flight, decided))


async def slot_freed(
    conn: asyncpg.Connection, ctx: EngineContext, writes: RunWrites, record: RunRecord,
    now: datetime,
) -> None:  # fmt: skip
    """``record`` (a run of a limited workflow) leaves flight in this transaction: the
    oldest queued run of its key is told to begin."""
    assert record.concurrency_key is not None
    await _locked_counts(conn, writes, record.workflow_id, record.concurrency_key)
    await _send_begin(conn, ctx, writes, record.workflow_id, record.concurrency_key, 1, now)


async def may_begin(
    conn: asyncpg.Connection, ctx: EngineContext, writes: RunWrites, record: RunRecord,
    limit: Concurrency | None, now: datetime,
) -> bool:  # fmt: skip
    """Whether a ``BeginRun`` for ``record`` may reach the core: it is QUEUED and a slot
    of its key is free (checked under the key's lock). Slots beyond it go to the next
    oldest queued runs."""
    if record.concurrency_key is None or limit is None or record.status != "QUEUED":
        return record.status == "QUEUED"
    key = record.concurrency_key
    counts = await _locked_counts(conn, writes, record.workflow_id, key)
    room = free_slots(limit, in_flight=counts.in_flight)
    if room == 0:
        return False
    if room > 1 and counts.queued > 1:
        await _send_begin(conn, ctx, writes, record.workflow_id, key, room - 1, now,
                          also_excluding=[record.run_id])  # fmt: skip
    return True


async def has_free_slot(
    conn: asyncpg.Connection, writes: RunWrites, record: RunRecord, limit: Concurrency | None
) -> tuple[bool, int]:
    """For a run about to re-enter flight (an operator retry): a slot of its key is free
    (under the lock); and how many are in flight."""
    if record.concurrency_key is None or limit is None:
        return True, 0
    counts = await _locked_counts(conn, writes, record.workflow_id, record.concurrency_key)
    return free_slots(limit, in_flight=counts.in_flight) > 0, counts.in_flight


def note(writes: RunWrites, record: RunRecord, status: str) -> None:
    """A limited run's new status, counted from memory until the flush writes it."""
    if record.concurrency_key is not None:
        writes.limited[record.run_id] = (record.workflow_id, record.concurrency_key, status)


def leaves_flight(record: RunRecord, final: bool) -> bool:
    """A run of a limited workflow goes from RUNNING/WAITING to a final status."""
    return record.concurrency_key is not None and record.status in IN_FLIGHT and final


async def _locked_counts(
    conn: asyncpg.Connection, writes: RunWrites, workflow_id: uuid.UUID, key: str
) -> SlotCounts:
    slots = SlotRepository(conn, writes.tenant_id)
    await slots.lock(workflow_id, key)
    pending = {run: status for run, (w, k, status) in writes.limited.items()
               if w == workflow_id and k == key}  # fmt: skip
    stored = await slots.counts(workflow_id, key, excluding=list(pending))
    in_flight = sum(1 for status in pending.values() if status in IN_FLIGHT)
    queued = sum(1 for status in pending.values() if status == "QUEUED")
    return SlotCounts(stored.in_flight + in_flight, stored.queued + queued)


async def _send_begin(
    conn: asyncpg.Connection, ctx: EngineContext, writes: RunWrites, workflow_id: uuid.UUID,
    key: str, count: int, now: datetime, also_excluding: list[uuid.UUID] | None = None,
) -> None:  # fmt: skip
    """``BeginRun`` (through the outbox) to the ``count`` oldest queued runs of the key."""
    moved = [run for run, (w, k, _) in writes.limited.items() if w == workflow_id and k == key]
    excluding = [*moved, *(also_excluding or [])]
    oldest = await SlotRepository(conn, writes.tenant_id).oldest_queued(
        workflow_id, key, count, excluding=excluding
    )
    for run_id in oldest:
        begin = BeginRun(command_id=new_command_id(), now=now)
        writes.message(command_message(ctx.topics, writes.tenant_id, str(run_id), begin))
