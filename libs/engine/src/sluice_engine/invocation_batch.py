"""Recording a group of transactional invocations in one or two statements.

``execute_jobs`` runs a group of leased transactional jobs in one transaction:
the fresh claims are one multi-row INSERT (``claim_many``) and the successful
completions (invocation SUCCEEDED + answer in the outbox + job DONE) one
multi-row statement (``complete_many``), leaving the handlers' own statements.
Rows the INSERT did not take (an invocation that already exists: a retry, a
reused result, a live lease elsewhere) go through the one-row ``claim``, so
the protocol of ``invocations`` is unchanged. The executor's fast path
(``execute_fresh``: no job rows) runs the handlers first and then records
everything with ONE insert (``record_fresh_many``); an invocation that existed
already makes it roll back. Same transaction, same outcome: if anything fails
the caller rolls the whole group back.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg
from sluice_storage.outbox import NOTIFY_CHANNEL
from workflow_core.interpreter.effects import RequestAction

from sluice_engine.invocations import Answer, Claim, invocation_id

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
                       $7::text[], $11::uuid[]) WITH ORDINALITY
    AS t(tenant_id, invocation_id, output, duration_ms, topic, key, payload, job_id, n)
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
  SELECT tenant_id, topic, key, '{{}}'::jsonb, payload::jsonb FROM won ORDER BY n
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
                       $12::text[], $13::text[]) WITH ORDINALITY
    AS t(tenant_id, invocation_id, action_id, action_version, idempotency_key, run_id,
         step_id, input, output, duration_ms, topic, key, payload, n)
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
  SELECT t.tenant_id, t.topic, t.key, '{{}}'::jsonb, t.payload::jsonb
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
    return [Claim("run", inv_id, now) if inv_id in fresh else None for inv_id in ids]


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
    )  # fmt: skip
    return bool(row["won"] == len(done))


async def complete_many(
    conn: asyncpg.Connection,
    done: Sequence[Success],
    owner: str,
    now: datetime,
    *,
    notify: bool = True,
) -> bool:
    """``invocations.complete`` for several successes in one statement (their jobs
    DONE); False (caller rolls back) unless ``owner`` still held every one of them."""
    args: list[Any] = [
        [d.tenant_id for d in done], [d.claimed.invocation_id for d in done],
        [_json(d.output) for d in done],
        [max(0, round((now - d.claimed.started_at).total_seconds() * 1000)) for d in done],
        [d.answer.topic for d in done], [d.answer.key for d in done],
        [_json(d.answer.payload) for d in done], now, owner, notify,
        [d.answer.job_id for d in done],
    ]  # fmt: skip
    row = await conn.fetchrow(COMPLETE_MANY, *args)
    return bool(row["won"] == len(done))
