"""Every write to a run: the one module that writes ``workflow_runs``, ``applied_commands``
and the run history (``run_steps``, ``run_snapshots``, ``run_logs``).

(The pool's jsonb codec encodes the lists; connections must come from
``create_pool`` / ``connect``.)

ARCHITECTURE's "Advancing a run", storage side: lock the run row and record the
command id in one statement (``lock_and_record``, or ``lock_and_record_many`` for
a polled batch); gather what the transition writes in ``RunWrites``; flush it.
Step attempts, snapshots, logs, outbox messages, new runs and the fenced run
updates of any number of runs (one tenant) go out as ONE multi-CTE statement
with JSON arrays: one round trip instead of five or six per run (round trips,
not PostgreSQL's work, bound an advance's cost). Each run update is fenced by
the ``seq`` read under the row lock; a run that moved on raises
``StaleRunError`` and the caller's transaction rolls back. A run started in the
transaction is inserted by the flush in its state after the first transition
(one row write, no insert-then-update), with its StartRun command id recorded.
Work on events and event waits that needs an event-key lock is gathered too and
runs first, under the unit's key locks taken in one global order (``key_locks``).
Step attempts are upserted on their deterministic identity; STARTED then
SUCCEEDED of one attempt within one transaction is merged here first, since one
INSERT cannot touch a row twice.

The engine decides what to write (``sluice_engine``); nothing else writes these
tables (the API reads them, and changes runs only through the engine), except
retention's purge of final runs (``retention``), which deletes whole histories.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg

from sluice_storage.errors import StorageError
from sluice_storage.key_locks import KeyedRun, KeyedWork, run_in_key_order
from sluice_storage.outbox import NOTIFY_CHANNEL, OutboxMessage, wire_row
from sluice_storage.runs import RUN_COLUMNS, NewRun, RunRecord, RunUpdate, StaleRunError

WRITE_ALL = f"""
WITH steps AS (
  INSERT INTO run_steps (tenant_id, run_id, attempt_id, step_id, node_path, attempt, status,
      started_at, finished_at, duration_ms, error)
  SELECT $1, r.run_id, r.attempt_id, r.step_id, r.node_path, r.attempt, r.status, r.started_at,
      r.finished_at, r.duration_ms, r.error
  FROM jsonb_to_recordset($2::jsonb) AS r(run_id uuid, attempt_id text, step_id text,
      node_path text, attempt int, status text, started_at timestamptz, finished_at timestamptz,
      duration_ms bigint, error jsonb)
  ON CONFLICT (tenant_id, run_id, attempt_id) DO UPDATE SET status = EXCLUDED.status,
      finished_at = EXCLUDED.finished_at, duration_ms = EXCLUDED.duration_ms,
      error = EXCLUDED.error
  RETURNING 1
), snaps AS (
  INSERT INTO run_snapshots (tenant_id, run_id, node_path, step_id, at, envelope)
  SELECT $1, s.run_id, s.node_path, s.step_id, s.at, s.envelope
  FROM jsonb_to_recordset($3::jsonb) AS s(run_id uuid, node_path text, step_id text,
      at timestamptz, envelope jsonb)
  RETURNING 1
), logs AS (
  INSERT INTO run_logs (tenant_id, run_id, at, level, message, node_path, data)
  SELECT $1, l.run_id, l.at, l.level, l.message, l.node_path, l.data
  FROM jsonb_to_recordset($4::jsonb) AS l(run_id uuid, at timestamptz, level text,
      message text, node_path text, data jsonb)
  RETURNING 1
), sent AS (
  INSERT INTO outbox (tenant_id, topic, key, headers, payload)
  SELECT $1, m.value->>'topic', m.value->>'key', m.value->'headers', m.value->'payload'
  FROM jsonb_array_elements($5::jsonb) WITH ORDINALITY AS m(value, ord) ORDER BY m.ord
  RETURNING 1
), created AS (
  INSERT INTO workflow_runs (tenant_id, run_id, workflow_id, workflow_version, status, node_path,
      state, run_state, seq, parent_run_id, root_run_id, call_depth, payload, error,
      trigger_event_id, event_name, correlation_key, started_at, updated_at, completed_at,
      last_progress_at, concurrency_key, queue_seq)
  SELECT $1, c.run_id, c.workflow_id, c.workflow_version, c.status, c.node_path, c.state,
      c.run_state, c.seq, c.parent_run_id, COALESCE(c.root_run_id, c.run_id), c.call_depth,
      c.payload, c.error, c.trigger_event_id, c.event_name, c.correlation_key, c.started_at,
      c.now, c.completed, c.now, c.concurrency_key,
      -- a queued run's place in its key's queue: drawn while the start holds the key's
      -- lock, in array order (a function scan yields it in order)
      CASE WHEN c.status = 'QUEUED' THEN nextval('workflow_runs_queue_seq') END
  FROM jsonb_to_recordset($9::jsonb) AS c(run_id uuid, workflow_id uuid, workflow_version int,
      status text, node_path text, state text, run_state jsonb, seq bigint, parent_run_id uuid,
      root_run_id uuid, call_depth int, payload jsonb, error jsonb, trigger_event_id uuid,
      event_name text, correlation_key text, started_at timestamptz, now timestamptz,
      completed timestamptz, concurrency_key text)
  RETURNING 1
), started AS (
  INSERT INTO applied_commands (tenant_id, run_id, command_id)
  SELECT $1, c.run_id, c.command_id FROM jsonb_to_recordset($9::jsonb) AS c(run_id uuid,
      command_id uuid)
  WHERE c.command_id IS NOT NULL
  ON CONFLICT DO NOTHING
  RETURNING 1
), saved AS (
  UPDATE workflow_runs r SET status = s.status, node_path = s.node_path, state = s.state,
      run_state = s.run_state, error = s.error, seq = r.seq + 1, updated_at = s.now,
      last_progress_at = s.now,
      -- a new final status (first finish, or a retried run finishing again) takes
      -- the new time; late commands on a final run keep it; not final: none
      completed_at = CASE WHEN s.completed IS NULL THEN NULL
        WHEN r.status = s.status THEN COALESCE(r.completed_at, s.completed) ELSE s.completed END
  FROM jsonb_to_recordset($6::jsonb) AS s(run_id uuid, expected_seq bigint, status text,
      node_path text, state text, run_state jsonb, error jsonb, now timestamptz,
      completed timestamptz)
  -- "= ANY($8)" keeps the plan on the primary key: joined to the recordset alone,
  -- the planner's guess (100 rows) can pick a scan of every run of the tenant
  WHERE r.tenant_id = $1 AND r.run_id = ANY($8::uuid[]) AND r.run_id = s.run_id
    AND r.seq = s.expected_seq
  RETURNING r.run_id
)
SELECT ARRAY(SELECT run_id FROM saved) AS saved, (SELECT count(*) FROM created) AS created,
  CASE WHEN $7 AND jsonb_array_length($5::jsonb) > 0
    THEN pg_notify('{NOTIFY_CHANNEL}', '') END AS n
"""

LOCK_AND_RECORD = f"""
WITH applied AS (
  INSERT INTO applied_commands (tenant_id, run_id, command_id) VALUES ($1, $2, $3)
  ON CONFLICT DO NOTHING RETURNING true
)
SELECT {RUN_COLUMNS}, EXISTS (SELECT 1 FROM applied) AS fresh
FROM workflow_runs WHERE tenant_id = $1 AND run_id = $2 FOR UPDATE"""

LOCK_AND_RECORD_MANY = f"""
WITH wanted AS (
  SELECT * FROM unnest($1::text[], $2::uuid[], $3::uuid[]) AS w(tenant_id, run_id, command_id)
), locked AS (
  SELECT r.* FROM workflow_runs r
  JOIN wanted w ON r.tenant_id = w.tenant_id AND r.run_id = w.run_id
  -- the primary key, whatever the planner guesses for the unnest
  WHERE r.tenant_id = ANY($1::text[]) AND r.run_id = ANY($2::uuid[])
  ORDER BY r.tenant_id, r.run_id FOR UPDATE OF r
), applied AS (
  INSERT INTO applied_commands (tenant_id, run_id, command_id)
  SELECT w.tenant_id, w.run_id, w.command_id FROM wanted w
  JOIN locked l ON l.tenant_id = w.tenant_id AND l.run_id = w.run_id
  ON CONFLICT DO NOTHING RETURNING tenant_id, run_id
)
SELECT {RUN_COLUMNS}, EXISTS (SELECT 1 FROM applied a
    WHERE a.tenant_id = l.tenant_id AND a.run_id = l.run_id) AS fresh
FROM locked l"""

RECORD_COMMAND = """
INSERT INTO applied_commands (tenant_id, run_id, command_id) VALUES ($1, $2, $3)
ON CONFLICT DO NOTHING RETURNING true"""

RunKey = tuple[str, uuid.UUID]
# The run's columns a save changes (a run created in the same transaction takes them).
UPDATED_FIELDS = ("status", "node_path", "state", "run_state", "error", "now", "completed")


class DuplicateRunError(StorageError):
    """Two starts of one run id in one transaction (the database refuses it, too)."""

    code = "DUPLICATE_RUN"


def _locked(row: asyncpg.Record) -> tuple[RunRecord, bool]:
    values = dict(row)
    fresh = bool(values.pop("fresh"))
    return RunRecord(**values), fresh


async def lock_and_record(
    conn: asyncpg.Connection, tenant_id: str, run_id: uuid.UUID, command_id: uuid.UUID
) -> tuple[RunRecord, bool] | None:
    """Lock the run row and record the command id, in one round trip; None: no such run.

    ``fresh`` is False when the command was applied before (a redelivery, or a
    zombie instance that blocked on the lock until the winner committed).
    """
    row = await conn.fetchrow(LOCK_AND_RECORD, tenant_id, run_id, command_id)
    return _locked(row) if row is not None else None


async def lock_and_record_many(
    conn: asyncpg.Connection, wanted: Sequence[tuple[str, uuid.UUID, uuid.UUID]]
) -> dict[RunKey, tuple[RunRecord, bool]]:
    """``lock_and_record`` for ``(tenant, run, command)`` of distinct runs, in ONE round
    trip (rows locked in key order); runs that do not exist are missing from the answer."""
    rows = await conn.fetch(
        LOCK_AND_RECORD_MANY, [w[0] for w in wanted], [w[1] for w in wanted],
        [w[2] for w in wanted],
    )  # fmt: skip
    found: dict[RunKey, tuple[RunRecord, bool]] = {}
    for row in rows:
        record, fresh = _locked(row)
        found[(record.tenant_id, record.run_id)] = (record, fresh)
    return found


async def record_command(
    conn: asyncpg.Connection, tenant_id: str, run_id: uuid.UUID, command_id: uuid.UUID
) -> bool:
    """Record a command id for a run the caller locked: True if it is new, False if it
    was applied before (a command answered inside the advance, e.g. an inline action)."""
    return bool(await conn.fetchval(RECORD_COMMAND, tenant_id, run_id, command_id))


async def mark_redriven(
    conn: asyncpg.Connection, tenant_id: str, run_id: uuid.UUID, now: datetime
) -> None:
    """A RUNNING run was just sent a ``Continue`` (the scheduler's re-drive): its idle
    clock restarts, so it is not re-driven again before another idle period."""
    await conn.execute(
        """UPDATE workflow_runs SET last_progress_at = $3
           WHERE tenant_id = $1 AND run_id = $2 AND status = 'RUNNING'""",
        tenant_id, run_id, now,
    )  # fmt: skip


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _str(value: uuid.UUID | None) -> str | None:
    return str(value) if value is not None else None


@dataclass(frozen=True)
class RunSave:
    """The fenced run update written with the history (``seq`` as read under the lock)."""

    run_id: uuid.UUID
    expected_seq: int
    update: RunUpdate

    def row(self) -> dict[str, Any]:
        u = self.update
        return {
            "run_id": str(self.run_id), "expected_seq": self.expected_seq, "status": u.status,
            "node_path": u.node_path, "state": u.state, "run_state": u.run_state,
            "error": u.error, "now": _iso(u.now), "completed": _iso(u.now) if u.final else None,
        }  # fmt: skip


@dataclass
class RunWrites:
    """Rows and outbox messages of one transaction (one tenant), flushed together."""

    tenant_id: str
    notify: bool = True
    steps: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    snapshots: list[dict[str, Any]] = field(default_factory=list)
    logs: list[dict[str, Any]] = field(default_factory=list)
    messages: list[OutboxMessage] = field(default_factory=list)
    saves: list[RunSave] = field(default_factory=list)
    # Runs started in this transaction: inserted by the flush with their state after
    # the first transition (one row write, no insert-then-update).
    creations: dict[uuid.UUID, dict[str, Any]] = field(default_factory=dict)
    # Event and event-wait work: run by the flush after taking every event-key lock
    # it names, ascending, so no two units take two keys in opposite orders.
    keyed: list[KeyedWork] = field(default_factory=list)
    # Runs of concurrency-limited workflows this unit created or moved, with their new
    # status, as (workflow, key, status): not in the table before the flush, so the slot
    # count (``sluice_engine.concurrency``) adds them itself.
    limited: dict[uuid.UUID, tuple[uuid.UUID, str, str]] = field(default_factory=dict)

    def under_key_lock(self, lock_id: int | None, run: KeyedRun) -> None:
        """``run`` at the flush, holding ``lock_id`` and the unit's other key locks."""
        self.keyed.append(KeyedWork(lock_id, run))

    def create(self, run: NewRun, command_id: uuid.UUID | None) -> None:
        """Insert ``run`` at the flush (RUNNING, seq 0 unless a ``save`` follows) with
        ``command_id`` (its StartRun) recorded as applied."""
        if run.run_id in self.creations:  # the insert would keep only one of them
            raise DuplicateRunError(f"run {run.run_id} is started twice in one transaction")
        self.creations[run.run_id] = {
            "run_id": str(run.run_id), "workflow_id": str(run.workflow_id),
            "workflow_version": run.workflow_version, "status": "RUNNING", "node_path": "root",
            "state": None, "run_state": run.run_state, "seq": 0,
            "parent_run_id": _str(run.parent_run_id), "root_run_id": _str(run.root_run_id),
            "call_depth": run.call_depth, "payload": run.payload, "error": None,
            "trigger_event_id": _str(run.trigger_event_id), "event_name": run.event_name,
            "correlation_key": run.correlation_key, "started_at": _iso(run.started_at),
            "now": _iso(run.started_at), "completed": None, "command_id": _str(command_id),
            "concurrency_key": run.concurrency_key,
        }  # fmt: skip

    def step(
        self, run_id: uuid.UUID, attempt_id: str, *, step_id: str, node_path: str,
        attempt: int, status: str, started_at: datetime | None, finished_at: datetime | None,
        duration_ms: int | None, error: dict[str, Any] | None,
    ) -> None:  # fmt: skip
        """A step attempt, upserted on ``(run, attempt_id)``; a later call for the same
        attempt in this transaction replaces the earlier one."""
        key = (str(run_id), attempt_id)
        self.steps[key] = {
            "run_id": key[0], "attempt_id": attempt_id, "step_id": step_id,
            "node_path": node_path, "attempt": attempt, "status": status,
            "started_at": _iso(started_at), "finished_at": _iso(finished_at),
            "duration_ms": duration_ms, "error": error,
        }  # fmt: skip

    def snapshot(
        self, run_id: uuid.UUID, *, node_path: str, step_id: str | None, at: datetime,
        envelope: Any,
    ) -> None:  # fmt: skip
        self.snapshots.append(
            {"run_id": str(run_id), "node_path": node_path, "step_id": step_id, "at": _iso(at),
             "envelope": envelope}
        )  # fmt: skip

    def log(
        self, run_id: uuid.UUID, *, at: datetime, level: str, message: str,
        node_path: str | None, data: dict[str, Any],
    ) -> None:  # fmt: skip
        self.logs.append(
            {"run_id": str(run_id), "at": _iso(at), "level": level, "message": message,
             "node_path": node_path, "data": data}
        )  # fmt: skip

    def message(self, message: OutboxMessage) -> None:
        self.messages.append(message)

    def save(self, run_id: uuid.UUID, expected_seq: int, update: RunUpdate) -> None:
        """The run's new state, written if its ``seq`` is still ``expected_seq``."""
        created = self.creations.get(run_id)
        if created is not None:  # not in the table yet: its insert takes the new state
            fields = RunSave(run_id, expected_seq, update).row()
            created.update({k: fields[k] for k in UPDATED_FIELDS}, seq=expected_seq + 1)
            return
        self.saves.append(RunSave(run_id, expected_seq, update))

    def pending(self) -> bool:
        return bool(
            self.saves or self.creations or self.steps or self.snapshots or self.logs
            or self.messages
        )  # fmt: skip

    async def flush(self, conn: asyncpg.Connection) -> None:
        """Everything gathered (any number of runs of this tenant) in one statement,
        after the keyed work (which may add messages)."""
        if self.keyed:
            keyed, self.keyed = self.keyed, []
            await run_in_key_order(conn, keyed)
        if self.pending():
            await self._write(conn)
        self.steps.clear()
        self.snapshots.clear()
        self.logs.clear()
        self.messages.clear()
        self.saves.clear()
        self.creations.clear()
        self.limited.clear()

    async def _write(self, conn: asyncpg.Connection) -> None:
        row = await conn.fetchrow(
            WRITE_ALL, self.tenant_id, list(self.steps.values()), self.snapshots, self.logs,
            [wire_row(m) for m in self.messages], [save.row() for save in self.saves],
            self.notify, [save.run_id for save in self.saves], list(self.creations.values()),
        )  # fmt: skip
        saved = set(row["saved"])
        missing = [save for save in self.saves if save.run_id not in saved]
        if missing or len(row["saved"]) != len(self.saves):  # fenced (or one run saved twice)
            bad = missing[0] if missing else self.saves[-1]
            raise StaleRunError(
                f"run {bad.run_id} of tenant {self.tenant_id} is not at seq {bad.expected_seq}",
                tenant_id=self.tenant_id,
                run_id=str(bad.run_id),
            )
