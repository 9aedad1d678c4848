"""Read side of a run's history: step attempts, snapshots, logs, the runtime-event
timeline and action invocations, each a keyset page, oldest first (SPEC 13).

The engine writes these rows; this module only lists them for operators.
Snapshots are stored redacted already; callers redact the other kinds.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from sluice_storage.events import EVENT_COLUMNS as INBOUND_COLUMNS
from sluice_storage.events import EventRecord
from sluice_storage.pagination import Keyset, Page, fetch_page
from sluice_storage.run_events import ACTION_EXECUTED_AGAIN, ACTION_REUSED
from sluice_storage.tenancy import TenantScoped

STEP_COLUMNS = """id, attempt_id, step_id, node_path, attempt, status, started_at, finished_at,
    duration_ms, error"""
SNAPSHOT_COLUMNS = "id, node_path, step_id, at, envelope"
LOG_COLUMNS = "id, at, level, message, step_id, node_path, data"
EVENT_COLUMNS = "id, at, type, step_id, node_path, data"
INVOCATION_COLUMNS = """invocation_id, action_id, action_version, idempotency_key, step_id,
    status, attempt, input, output, error, started_at, finished_at, duration_ms"""


@dataclass(frozen=True)
class StepAttemptRecord:
    id: int
    attempt_id: str
    step_id: str
    node_path: str
    attempt: int
    status: str
    started_at: datetime
    finished_at: datetime | None
    duration_ms: int | None
    error: Any


@dataclass(frozen=True)
class SnapshotRecord:
    id: int
    node_path: str
    step_id: str | None
    at: datetime
    envelope: Any


@dataclass(frozen=True)
class LogRecord:
    id: int
    at: datetime
    level: str
    message: str
    step_id: str | None
    node_path: str | None
    data: Any


@dataclass(frozen=True)
class RuntimeEventRecord:
    id: int
    at: datetime
    type: str
    step_id: str | None
    node_path: str | None
    data: Any


@dataclass(frozen=True)
class InvocationRecord:
    invocation_id: uuid.UUID
    action_id: str
    action_version: int
    idempotency_key: str
    step_id: str | None
    status: str
    attempt: int
    input: Any
    output: Any
    error: Any
    started_at: datetime
    finished_at: datetime | None
    duration_ms: int | None


@dataclass(frozen=True)
class SideEffectRecord:
    """One invocation (idempotency key) a run asked for: executed by it once or again, or
    answered from a result another request stored (``execution``)."""

    invocation: InvocationRecord
    executed_by_run_id: uuid.UUID | None
    execution: str  # EXECUTED | EXECUTED_AGAIN | REUSED
    reused: bool  # this run got the stored result at least once


# The invocations a run inserted (run_id is the first requester's) and the ones its
# runtime events name (reused, or run again: sluice_storage.run_events), one row per
# invocation; only the side-effectful actions ($3: "actionId@version").
SIDE_EFFECTS = f"""
SELECT * FROM (
  SELECT {", ".join("i." + c.strip() for c in INVOCATION_COLUMNS.split(","))},
         i.run_id AS executed_by_run_id, t.reused, t.again
  FROM (
    SELECT invocation_id, bool_or(kind = 'ACTION_REUSED') AS reused,
           bool_or(kind = 'ACTION_EXECUTED_AGAIN') AS again
    FROM (SELECT invocation_id, NULL::text AS kind FROM action_invocations
          WHERE tenant_id = $1 AND run_id = $2
          UNION ALL
          SELECT (data->>'invocationId')::uuid, type FROM run_events
          WHERE tenant_id = $1 AND run_id = $2
            AND type IN ('{ACTION_REUSED}', '{ACTION_EXECUTED_AGAIN}')) mine
    GROUP BY invocation_id
  ) t JOIN action_invocations i ON i.tenant_id = $1 AND i.invocation_id = t.invocation_id
  WHERE (i.action_id || '@' || i.action_version) = ANY($3::text[])
) ledger WHERE true"""


def _side_effect(run_id: uuid.UUID, row: asyncpg.Record) -> SideEffectRecord:
    values = dict(row)
    reused, again, by = values.pop("reused"), values.pop("again"), values.pop("executed_by_run_id")
    if by != run_id and not again:
        execution = "REUSED"
    elif again or values["attempt"] > 1:
        execution = "EXECUTED_AGAIN"
    else:
        execution = "EXECUTED"
    return SideEffectRecord(InvocationRecord(**values), by, execution, bool(reused))


def _inbound_event(row: asyncpg.Record) -> EventRecord:
    values = dict(row)
    values["started_run_ids"] = list(values["started_run_ids"])
    return EventRecord(**values)


def _by_id(name: str) -> Keyset:
    # The identity column is both the order and the tie-break: insertion order.
    return Keyset(name, "id", "id", descending=False)


class RunHistoryRepository(TenantScoped):
    async def _page(
        self, table: str, columns: str, keyset: Keyset, run_id: uuid.UUID, **kw: Any
    ) -> Page[Any]:
        sql = f"SELECT {columns} FROM {table} WHERE tenant_id = $1 AND run_id = $2"
        return await fetch_page(self.conn, keyset, sql, [self.tenant_id, run_id], **kw)

    async def steps(
        self, run_id: uuid.UUID, *, cursor: str | None = None, limit: int | None = None
    ) -> Page[StepAttemptRecord]:
        return await self._page(
            "run_steps", STEP_COLUMNS, _by_id("steps"), run_id, cursor=cursor, limit=limit,
            to_item=lambda r: StepAttemptRecord(**dict(r)),
        )  # fmt: skip

    async def snapshots(
        self, run_id: uuid.UUID, *, cursor: str | None = None, limit: int | None = None
    ) -> Page[SnapshotRecord]:
        return await self._page(
            "run_snapshots", SNAPSHOT_COLUMNS, _by_id("snapshots"), run_id, cursor=cursor,
            limit=limit, to_item=lambda r: SnapshotRecord(**dict(r)),
        )  # fmt: skip

    async def logs(
        self, run_id: uuid.UUID, *, cursor: str | None = None, limit: int | None = None
    ) -> Page[LogRecord]:
        return await self._page(
            "run_logs", LOG_COLUMNS, _by_id("logs"), run_id, cursor=cursor, limit=limit,
            to_item=lambda r: LogRecord(**dict(r)),
        )  # fmt: skip

    async def events(
        self, run_id: uuid.UUID, *, cursor: str | None = None, limit: int | None = None
    ) -> Page[RuntimeEventRecord]:
        return await self._page(
            "run_events", EVENT_COLUMNS, _by_id("run-events"), run_id, cursor=cursor,
            limit=limit, to_item=lambda r: RuntimeEventRecord(**dict(r)),
        )  # fmt: skip

    async def invocations(
        self, run_id: uuid.UUID, *, cursor: str | None = None, limit: int | None = None
    ) -> Page[InvocationRecord]:
        keyset = Keyset("invocations", "started_at", "invocation_id", descending=False)
        return await self._page(
            "action_invocations", INVOCATION_COLUMNS, keyset, run_id, cursor=cursor,
            limit=limit, to_item=lambda r: InvocationRecord(**dict(r)),
        )  # fmt: skip

    async def side_effects(
        self, run_id: uuid.UUID, actions: list[str], *, cursor: str | None = None,
        limit: int | None = None,
    ) -> Page[SideEffectRecord]:  # fmt: skip
        """The run's side-effect ledger, oldest first; ``actions`` are the side-effectful
        ``"actionId@version"`` (the registry knows which)."""
        keyset = Keyset("side-effects", "started_at", "invocation_id", descending=False)
        return await fetch_page(
            self.conn, keyset, SIDE_EFFECTS, [self.tenant_id, run_id, actions], cursor=cursor,
            limit=limit, to_item=lambda row: _side_effect(run_id, row),
        )  # fmt: skip

    async def inbound_events(
        self, run_id: uuid.UUID, *, cursor: str | None = None, limit: int | None = None
    ) -> Page[EventRecord]:
        """Inbound events that started or resumed this run, oldest first."""
        keyset = Keyset("run-inbound-events", "received_at", "event_id", descending=False)
        # The starting event is the run's trigger_event_id (a key probe); resuming
        # events are found through the events_resumed_run index (migration 0007).
        sql = f"""SELECT {INBOUND_COLUMNS} FROM events WHERE tenant_id = $1
                  AND (resumed_run_id = $2 OR event_id = (
                    SELECT trigger_event_id FROM workflow_runs
                    WHERE tenant_id = $1 AND run_id = $2))"""
        return await fetch_page(
            self.conn, keyset, sql, [self.tenant_id, run_id], cursor=cursor, limit=limit,
            to_item=_inbound_event,
        )  # fmt: skip
