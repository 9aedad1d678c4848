"""Every statement that writes ``action_invocations``: idempotent actions (SPEC section 9).

One row per ``(tenant, actionId, version, idempotencyKey)``, inserted with
``ON CONFLICT``: SUCCEEDED returns its stored output without calling the
handler; STARTED with an expired lease is taken over atomically by one
executor; FAILED runs again under the same key (a retry). The result and the
``CompleteAction`` command (outbox) and the job's DONE (when the request became
a job: the executor's fast path has none) commit together.

The writers, by mode of execution (``sluice_engine.executor``, ``executor_batch``,
``inline``):

- one leased job: ``claim`` (insert or take over) then ``complete`` (outcome,
  answer, job DONE in one statement);
- a group of leased transactional jobs: ``claim_many`` (fresh rows in one
  insert; rows that exist take ``claim``) then ``complete_many``;
- the executor's fast path (no job rows): the handlers first, then
  ``record_fresh_many`` inserts the rows SUCCEEDED with their answers; a row that
  existed already makes the caller roll everything back;
- a pure action run inline while its run advances: ``record_inline`` (upsert of
  the outcome; the answer is applied to the run in memory, no outbox row).

A request that meets an existing row (``claim``: a stored result reused, a failed or
abandoned invocation run again) is also noted in the requesting run's runtime events
(``sluice_storage.run_events``), which the side-effect ledger reads.

Each writer reports the outcome it committed to ``RunMetrics`` (when given) after the
commit (``sluice_storage.after_commit``): one place counts every action, by any mode.

Reads for the API live with the other history reads (``sluice_storage.history``).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import asyncpg
from sluice_storage import after_commit
from sluice_storage.outbox import NOTIFY_CHANNEL
from sluice_storage.run_events import ACTION_EXECUTED_AGAIN, ACTION_REUSED, append_run_event
from workflow_core.interpreter.effects import RequestAction
from workflow_core.interpreter.ids import derived_id

from sluice_engine.run_metrics import RunMetrics

INVOCATION_COLUMNS = """invocation_id, status, attempt, lease_owner, lease_expires_at, output,
    error, started_at"""


@dataclass(frozen=True)
class Claim:
    """Outcome of claiming an invocation: run it, reuse a stored result, or wait."""

    kind: str  # "run" | "succeeded" | "busy"
    invocation_id: uuid.UUID
    started_at: datetime
    output: Any = None
    busy_until: datetime | None = None
    action_id: str = ""  # for the metrics' label


def _observe(
    metrics: RunMetrics | None, action_id: str, duration_ms: int, error: dict[str, Any] | None
) -> None:
    if metrics is not None:
        category = str(error.get("category")) if error else None
        after_commit(partial(metrics.action_finished, action_id, duration_ms / 1000, category))


def invocation_id(tenant_id: str, request: RequestAction) -> uuid.UUID:
    key = (tenant_id, request.action_id, str(request.version), request.idempotency_key)
    return uuid.UUID(derived_id("invocation", *key))


async def claim(
    conn: asyncpg.Connection,
    tenant_id: str,
    run_id: str,
    request: RequestAction,
    owner: str,
    now: datetime,
    lease: timedelta,
) -> Claim:
    """Insert or take over the invocation row (call inside a transaction)."""
    inv_id = invocation_id(tenant_id, request)
    inserted = await conn.fetchval(
        """INSERT INTO action_invocations (tenant_id, invocation_id, action_id, action_version,
              idempotency_key, run_id, step_id, status, attempt, lease_owner, lease_expires_at,
              input, started_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, 'STARTED', 1, $8, $9, $10, $11)
            ON CONFLICT (tenant_id, action_id, action_version, idempotency_key) DO NOTHING
            RETURNING invocation_id""",
        tenant_id, inv_id, request.action_id, request.version, request.idempotency_key,
        uuid.UUID(run_id), request.step_id, owner, now + lease, request.args, now,
    )  # fmt: skip
    if inserted is not None:
        return Claim("run", inv_id, now, action_id=request.action_id)
    row = await conn.fetchrow(
        f"""SELECT {INVOCATION_COLUMNS} FROM action_invocations
            WHERE tenant_id = $1 AND action_id = $2 AND action_version = $3
              AND idempotency_key = $4 FOR UPDATE""",
        tenant_id, request.action_id, request.version, request.idempotency_key,
    )  # fmt: skip
    claimed = await _existing(conn, tenant_id, row, request, owner, now, lease)
    if claimed.kind != "busy":  # the side-effect ledger's record of a call that was not a first
        await _note_reuse(conn, tenant_id, run_id, request, claimed, row["attempt"], now)
    return claimed


async def _note_reuse(
    conn: asyncpg.Connection, tenant_id: str, run_id: str, request: RequestAction,
    claimed: Claim, attempt: int, now: datetime,
) -> None:  # fmt: skip
    """A stored result answered this request (``ACTION_REUSED``), or the handler runs again
    under a key tried before (``ACTION_EXECUTED_AGAIN``), in the run's runtime events."""
    reused = claimed.kind == "succeeded"
    data = {
        "invocationId": str(claimed.invocation_id), "actionId": request.action_id,
        "version": request.version, "idempotencyKey": request.idempotency_key,
        "requestId": request.request_id, "attempt": attempt if reused else attempt + 1,
    }  # fmt: skip
    await append_run_event(
        conn, tenant_id, uuid.UUID(run_id), at=now,
        type=ACTION_REUSED if reused else ACTION_EXECUTED_AGAIN, step_id=request.step_id,
        node_path=request.node_path, data=data,
    )  # fmt: skip


async def _existing(
    conn: asyncpg.Connection,
    tenant_id: str,
    row: asyncpg.Record,
    request: RequestAction,
    owner: str,
    now: datetime,
    lease: timedelta,
) -> Claim:
    inv_id: uuid.UUID = row["invocation_id"]
    if row["status"] == "SUCCEEDED":
        return Claim("succeeded", inv_id, row["started_at"], output=row["output"])
    live_lease = row["lease_expires_at"] is not None and row["lease_expires_at"] > now
    if row["status"] == "STARTED" and live_lease and row["lease_owner"] != owner:
        return Claim("busy", inv_id, row["started_at"], busy_until=row["lease_expires_at"])
    # FAILED (a retry) or STARTED with a dead lease (its executor died): take it over.
    await conn.execute(
        """UPDATE action_invocations SET status = 'STARTED', attempt = attempt + 1,
             lease_owner = $3, lease_expires_at = $4, input = $5, error = NULL,
             started_at = $6, finished_at = NULL, duration_ms = NULL
           WHERE tenant_id = $1 AND invocation_id = $2""",
        tenant_id, inv_id, owner, now + lease, request.args, now,
    )  # fmt: skip
    return Claim("run", inv_id, now, action_id=request.action_id)


COMPLETE = f"""
WITH inv AS (
  UPDATE action_invocations SET status = $4, output = $5, error = $6, finished_at = $7,
      duration_ms = $8, lease_expires_at = NULL
  WHERE tenant_id = $1 AND invocation_id = $2 AND status = 'STARTED' AND lease_owner = $3
  RETURNING 1
), sent AS (
  INSERT INTO outbox (tenant_id, topic, key, headers, payload)
  SELECT $1, $9, $10, $14::jsonb, $11::jsonb WHERE EXISTS (SELECT 1 FROM inv)
  RETURNING 1
), job AS (
  UPDATE action_jobs SET status = 'DONE', updated_at = $7
  WHERE tenant_id = $1 AND job_id = $12 AND EXISTS (SELECT 1 FROM inv)
  RETURNING 1
)
SELECT EXISTS (SELECT 1 FROM inv) AS won,
  CASE WHEN $13 AND EXISTS (SELECT 1 FROM sent) THEN pg_notify('{NOTIFY_CHANNEL}', '') END AS n
"""


@dataclass(frozen=True)
class Answer:
    """The outbox row that answers the run, and the job it closes."""

    topic: str
    key: str
    payload: dict[str, Any]
    job_id: uuid.UUID
    headers: dict[str, str] = field(default_factory=dict)  # the trace context, if any


async def complete(
    conn: asyncpg.Connection,
    tenant_id: str,
    claimed: Claim,
    owner: str,
    now: datetime,
    answer: Answer,
    *,
    output: Any = None,
    error: dict[str, Any] | None = None,
    notify: bool = True,
    metrics: RunMetrics | None = None,
) -> bool:
    """STARTED -> SUCCEEDED/FAILED if ``owner`` still holds it, the answer's outbox row and
    the job DONE, in one round trip.

    False (and nothing written) when ``owner`` lost the invocation's lease.
    """
    duration = max(0, round((now - claimed.started_at).total_seconds() * 1000))
    row = await conn.fetchrow(
        COMPLETE, tenant_id, claimed.invocation_id, owner, "FAILED" if error else "SUCCEEDED",
        output, error, now, duration, answer.topic, answer.key, answer.payload, answer.job_id,
        notify, answer.headers,
    )  # fmt: skip
    if row["won"]:
        _observe(metrics, claimed.action_id, duration, error)
    return bool(row["won"])


CLAIM_MANY = """
INSERT INTO action_invocations (tenant_id, invocation_id, action_id, action_version,
    idempotency_key, run_id, step_id, status, attempt, lease_owner, lease_expires_at,
    input, started_at)
SELECT t.tenant_id, t.invocation_id, t.action_id, t.action_version, t.idempotency_key,
    t.run_id, t.step_id, 'STARTED', 1, $9, $10, t.input::jsonb, $11
FROM unnest($1::text[], $2::uuid[], $3::text[], $4::int[], $5::text[], $6::uuid[],
            $7::text[], $8::text[])
    AS t(tenant_id, invocation_id, action_id, action_version, idempotency_key, run_id,
         step_id, input)
ON CONFLICT (tenant_id, action_id, action_version, idempotency_key) DO NOTHING
RETURNING invocation_id
"""

# Invocations SUCCEEDED (fenced by owner) + answers in the outbox + jobs DONE;
# ``t`` is the successes, $8 the time, $9 the owner, $10 whether to notify.
COMPLETE_MANY = f"""
WITH t AS (
  SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[], $4::int[], $5::text[], $6::text[],
                       $7::text[], $11::uuid[], $12::text[]) WITH ORDINALITY
    AS t(tenant_id, invocation_id, output, duration_ms, topic, key, payload, job_id, headers,
         n)
), inv AS (
  UPDATE action_invocations a SET status = 'SUCCEEDED', output = t.output::jsonb,
      error = NULL, finished_at = $8, duration_ms = t.duration_ms, lease_expires_at = NULL
  FROM t
  -- "= ANY(keys)" keeps the plan on the primary key, whatever the planner
  -- guesses for the unnest (a hash join scanned the table once it grew)
  WHERE a.tenant_id = ANY($1::text[]) AND a.invocation_id = ANY($2::uuid[])
    AND a.tenant_id = t.tenant_id AND a.invocation_id = t.invocation_id
    AND a.status = 'STARTED' AND a.lease_owner = $9
  RETURNING a.tenant_id, a.invocation_id
), won AS (
  SELECT t.* FROM t JOIN inv USING (tenant_id, invocation_id)
), sent AS (
  INSERT INTO outbox (tenant_id, topic, key, headers, payload)
  SELECT tenant_id, topic, key, headers::jsonb, payload::jsonb FROM won ORDER BY n
  RETURNING 1
), job AS (
  UPDATE action_jobs j SET status = 'DONE', updated_at = $8
  FROM won WHERE j.tenant_id = ANY($1::text[]) AND j.job_id = ANY($11::uuid[])
    AND j.tenant_id = won.tenant_id AND j.job_id = won.job_id
  RETURNING 1
)
SELECT (SELECT count(*) FROM inv) AS won,
  CASE WHEN $10 AND EXISTS (SELECT 1 FROM sent) THEN pg_notify('{NOTIFY_CHANNEL}', '') END AS n
"""

# The fast path's whole record in one statement, after the handlers ran: the
# invocation rows inserted SUCCEEDED (no STARTED row first) and the answers
# written for the rows inserted. A row that exists already (a redelivery, a retry
# under the same key, another executor) is not inserted: fewer rows than asked,
# and the caller rolls everything back, the handlers' effects included.
RECORD_FRESH_MANY = f"""
WITH t AS (
  SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[], $4::int[], $5::text[], $6::uuid[],
                       $7::text[], $8::text[], $9::text[], $10::int[], $11::text[],
                       $12::text[], $13::text[], $18::text[]) WITH ORDINALITY
    AS t(tenant_id, invocation_id, action_id, action_version, idempotency_key, run_id,
         step_id, input, output, duration_ms, topic, key, payload, headers, n)
), inv AS (
  INSERT INTO action_invocations (tenant_id, invocation_id, action_id, action_version,
      idempotency_key, run_id, step_id, status, attempt, lease_owner, input, output,
      started_at, finished_at, duration_ms)
  SELECT tenant_id, invocation_id, action_id, action_version, idempotency_key, run_id,
      step_id, 'SUCCEEDED', 1, $14, input::jsonb, output::jsonb, $15, $16, duration_ms
  FROM t
  ON CONFLICT (tenant_id, action_id, action_version, idempotency_key) DO NOTHING
  RETURNING tenant_id, invocation_id
), sent AS (
  INSERT INTO outbox (tenant_id, topic, key, headers, payload)
  SELECT t.tenant_id, t.topic, t.key, t.headers::jsonb, t.payload::jsonb
  FROM t JOIN inv USING (tenant_id, invocation_id) ORDER BY t.n
  RETURNING 1
)
SELECT (SELECT count(*) FROM inv) AS won,
  CASE WHEN $17 AND EXISTS (SELECT 1 FROM sent) THEN pg_notify('{NOTIFY_CHANNEL}', '') END AS n
"""


def _json(value: Any) -> str | None:
    """A jsonb parameter as text (None stays SQL NULL, like the one-row statements)."""
    if value is None:
        return None
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class ClaimRequest:
    tenant_id: str
    run_id: str
    request: RequestAction


async def claim_many(
    conn: asyncpg.Connection,
    wanted: Sequence[ClaimRequest],
    owner: str,
    now: datetime,
    lease: timedelta,
) -> list[Claim | None]:
    """Insert fresh invocation rows for ``wanted``; ``None`` where a row already existed
    (claim that one with ``invocations.claim``). Invocation ids must be distinct."""
    ids = [invocation_id(w.tenant_id, w.request) for w in wanted]
    inserted = await conn.fetch(
        CLAIM_MANY,
        [w.tenant_id for w in wanted], ids, [w.request.action_id for w in wanted],
        [w.request.version for w in wanted], [w.request.idempotency_key for w in wanted],
        [uuid.UUID(w.run_id) for w in wanted], [w.request.step_id for w in wanted],
        [_json(w.request.args) for w in wanted], owner, now + lease, now,
    )  # fmt: skip
    fresh = {row["invocation_id"] for row in inserted}
    return [
        Claim("run", inv_id, now, action_id=w.request.action_id) if inv_id in fresh else None
        for inv_id, w in zip(ids, wanted, strict=True)
    ]


@dataclass(frozen=True)
class Success:
    tenant_id: str
    claimed: Claim
    output: Any
    answer: Answer


@dataclass(frozen=True)
class FreshSuccess:
    """A fast-path request whose handler succeeded, with its answer."""

    tenant_id: str
    run_id: str
    request: RequestAction
    output: Any
    duration_ms: int
    answer: Answer


async def record_fresh_many(
    conn: asyncpg.Connection,
    done: Sequence[FreshSuccess],
    owner: str,
    started: datetime,
    now: datetime,
    *,
    notify: bool = True,
    metrics: RunMetrics | None = None,
) -> bool:
    """Insert SUCCEEDED invocations and their answers in one statement; False (the
    caller rolls back) when any invocation existed already."""
    row = await conn.fetchrow(
        RECORD_FRESH_MANY,
        [d.tenant_id for d in done], [invocation_id(d.tenant_id, d.request) for d in done],
        [d.request.action_id for d in done], [d.request.version for d in done],
        [d.request.idempotency_key for d in done], [uuid.UUID(d.run_id) for d in done],
        [d.request.step_id for d in done], [_json(d.request.args) for d in done],
        [_json(d.output) for d in done], [d.duration_ms for d in done],
        [d.answer.topic for d in done], [d.answer.key for d in done],
        [_json(d.answer.payload) for d in done], owner, started, now, notify,
        [_json(d.answer.headers) for d in done],
    )  # fmt: skip
    won = bool(row["won"] == len(done))
    for d in done if won else ():
        _observe(metrics, d.request.action_id, d.duration_ms, None)
    return won


async def complete_many(
    conn: asyncpg.Connection,
    done: Sequence[Success],
    owner: str,
    now: datetime,
    *,
    notify: bool = True,
    metrics: RunMetrics | None = None,
) -> bool:
    """``invocations.complete`` for several successes in one statement (their jobs
    DONE); False (caller rolls back) unless ``owner`` still held every one of them."""
    durations = [max(0, round((now - d.claimed.started_at).total_seconds() * 1000)) for d in done]
    args: list[Any] = [
        [d.tenant_id for d in done], [d.claimed.invocation_id for d in done],
        [_json(d.output) for d in done], durations,
        [d.answer.topic for d in done], [d.answer.key for d in done],
        [_json(d.answer.payload) for d in done], now, owner, notify,
        [d.answer.job_id for d in done], [_json(d.answer.headers) for d in done],
    ]  # fmt: skip
    row = await conn.fetchrow(COMPLETE_MANY, *args)
    won = bool(row["won"] == len(done))
    for d, duration in zip(done, durations, strict=True) if won else ():
        _observe(metrics, d.claimed.action_id, duration, None)
    return won


RECORD_INLINE = """
INSERT INTO action_invocations (tenant_id, invocation_id, action_id, action_version,
    idempotency_key, run_id, step_id, status, attempt, input, output, error, started_at,
    finished_at, duration_ms)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
ON CONFLICT (tenant_id, action_id, action_version, idempotency_key) DO UPDATE SET
    status = EXCLUDED.status, attempt = EXCLUDED.attempt, input = EXCLUDED.input,
    output = EXCLUDED.output, error = EXCLUDED.error, started_at = EXCLUDED.started_at,
    finished_at = EXCLUDED.finished_at, duration_ms = EXCLUDED.duration_ms"""


async def record_inline(
    conn: asyncpg.Connection,
    tenant_id: str,
    run_id: str,
    request: RequestAction,
    *,
    output: Any,
    error: dict[str, Any] | None,
    started: datetime,
    finished: datetime,
    metrics: RunMetrics | None = None,
) -> None:
    """A pure action's outcome, run inline while its run advances (an upsert: a retry
    of the step under the same key overwrites the failed attempt)."""
    duration = max(0, round((finished - started).total_seconds() * 1000))
    await conn.execute(
        RECORD_INLINE, tenant_id, invocation_id(tenant_id, request), request.action_id,
        request.version, request.idempotency_key, uuid.UUID(run_id), request.step_id,
        "FAILED" if error else "SUCCEEDED", request.attempt, request.args, output, error,
        started, finished, duration,
    )  # fmt: skip
    _observe(metrics, request.action_id, duration, error)
