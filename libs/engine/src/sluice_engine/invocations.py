"""Idempotent action invocation (SPEC section 9).

One row per ``(tenant, actionId, version, idempotencyKey)``, inserted with
``ON CONFLICT``: SUCCEEDED returns its stored output without calling the
handler; STARTED with an expired lease is taken over atomically by one
executor; FAILED runs again under the same key (a retry). The result and the
``CompleteAction`` command (outbox) and the job's DONE (when the request became
a job: the executor's fast path has none) commit together.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg
from sluice_storage.outbox import NOTIFY_CHANNEL
from workflow_core.interpreter.effects import RequestAction
from workflow_core.interpreter.ids import derived_id

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
        return Claim("run", inv_id, now)
    row = await conn.fetchrow(
        f"""SELECT {INVOCATION_COLUMNS} FROM action_invocations
            WHERE tenant_id = $1 AND action_id = $2 AND action_version = $3
              AND idempotency_key = $4 FOR UPDATE""",
        tenant_id, request.action_id, request.version, request.idempotency_key,
    )  # fmt: skip
    return await _existing(conn, tenant_id, row, request, owner, now, lease)


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
    return Claim("run", inv_id, now)


async def mark_done(
    conn: asyncpg.Connection,
    tenant_id: str,
    claimed: Claim,
    owner: str,
    now: datetime,
    *,
    output: Any = None,
    error: dict[str, Any] | None = None,
) -> bool:
    """STARTED -> SUCCEEDED/FAILED if ``owner`` still holds it; False if it lost the lease."""
    duration = max(0, round((now - claimed.started_at).total_seconds() * 1000))
    done = await conn.fetchval(
        """UPDATE action_invocations SET status = $4, output = $5, error = $6,
             finished_at = $7, duration_ms = $8, lease_expires_at = NULL
           WHERE tenant_id = $1 AND invocation_id = $2 AND status = 'STARTED'
             AND lease_owner = $3 RETURNING true""",
        tenant_id, claimed.invocation_id, owner, "FAILED" if error else "SUCCEEDED",
        output, error, now, duration,
    )  # fmt: skip
    return bool(done)


COMPLETE = f"""
WITH inv AS (
  UPDATE action_invocations SET status = $4, output = $5, error = $6, finished_at = $7,
      duration_ms = $8, lease_expires_at = NULL
  WHERE tenant_id = $1 AND invocation_id = $2 AND status = 'STARTED' AND lease_owner = $3
  RETURNING 1
), sent AS (
  INSERT INTO outbox (tenant_id, topic, key, headers, payload)
  SELECT $1, $9, $10, '{{}}'::jsonb, $11::jsonb WHERE EXISTS (SELECT 1 FROM inv)
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
) -> bool:
    """``mark_done`` + the answer's outbox row + job DONE, in one round trip.

    False (and nothing written) when ``owner`` lost the invocation's lease.
    """
    duration = max(0, round((now - claimed.started_at).total_seconds() * 1000))
    row = await conn.fetchrow(
        COMPLETE, tenant_id, claimed.invocation_id, owner, "FAILED" if error else "SUCCEEDED",
        output, error, now, duration, answer.topic, answer.key, answer.payload, answer.job_id,
        notify,
    )  # fmt: skip
    return bool(row["won"])
