"""Scheduler timer lateness while the services are loaded.

Runs of a small workflow (an ``event.wait`` nobody answers, ``timeoutMs`` 1 s,
caught by ``tryCatch``) are started at a trickle during the half-peak phase,
in their own tenant. From the database: how late the scheduler fired each
wait (``resolved_at - due_at``, what ``sluice_timer_lateness_seconds``
observes) and how long after its due time the run had finished, by the wall
clock (``bench_done``: the timer's FireTimer went through the outbox, Kafka
and the interpreter).
"""

from __future__ import annotations

from typing import Any

import asyncpg

TENANT = "bench-timers"
TIMEOUT_MS = 1000
TIMER_WORKFLOW: dict[str, Any] = {
    "name": "bench-timer",
    "steps": [
        {
            "id": "tc",
            "type": "control.tryCatch",
            "captureErrorAs": "err",
            "try": [
                {
                    "id": "w",
                    "type": "event.wait",
                    "config": {
                        "eventName": "NEVER",
                        "correlationKey": {"$expr": "'k'"},
                        "timeoutMs": TIMEOUT_MS,
                    },
                }
            ],
            "catch": [{"id": "s", "type": "state.set", "config": {"state": "TIMED_OUT"}}],
        }
    ],
}


def _ms(value: Any) -> float | None:
    return None if value is None else round(float(value) * 1000, 1)


async def lateness(pool: asyncpg.Pool) -> dict[str, Any]:
    row = await pool.fetchrow(
        """WITH w AS (
             SELECT extract(epoch FROM w.resolved_at - w.due_at) AS fired_late,
                    extract(epoch FROM d.done_at - w.due_at) AS done_late
             FROM run_waits w JOIN bench_done d USING (tenant_id, run_id)
             WHERE w.tenant_id = $1 AND w.status = 'FIRED')
           SELECT count(*) AS n,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY fired_late) AS fired_p50,
             percentile_cont(0.99) WITHIN GROUP (ORDER BY fired_late) AS fired_p99,
             max(fired_late) AS fired_max,
             percentile_cont(0.99) WITHIN GROUP (ORDER BY done_late) AS done_p99
           FROM w""",
        TENANT,
    )
    return {
        "timers": row["n"],
        "timeout_ms": TIMEOUT_MS,
        "fired_late_p50_ms": _ms(row["fired_p50"]),
        "fired_late_p99_ms": _ms(row["fired_p99"]),
        "fired_late_max_ms": _ms(row["fired_max"]),
        "run_done_after_due_p99_ms": _ms(row["done_p99"]),
    }
