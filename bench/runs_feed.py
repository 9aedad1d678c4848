"""Feeding runs into the services the way the API starts them, and reading the outcome.

``feed`` starts runs from 16 concurrent starters through ``StartBatcher``, as
the API does for starts without an Idempotency-Key (concurrent starts share
one transaction: group commit; the outbox carries the first command), either
at a fixed rate or as fast as possible with at most ``inflight`` unfinished runs (a closed loop: the
services' completion rate sets the pace, so a sustained peak does not turn
into an ever-growing backlog). ``outcome`` reads throughput and latency from
the database (``started_at`` -> ``completed_at`` of each run).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg
from sluice_engine import EngineContext, StartBatcher

STARTERS = 16
# ``completed_at`` is the finishing command's own timestamp (the core's clock is the
# command's ``now``), so it leaves out the last hop (outbox, Kafka, the interpreter).
# The wall-clock time a run became final is recorded by a trigger in the bench's own
# database instead: one small insert per run, at the end of the finishing transaction.
DONE_SQL = """
CREATE TABLE bench_done (tenant_id text, run_id uuid, done_at timestamptz,
                         PRIMARY KEY (tenant_id, run_id));
CREATE FUNCTION bench_done() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO bench_done VALUES (NEW.tenant_id, NEW.run_id, clock_timestamp())
    ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;
CREATE TRIGGER bench_done AFTER UPDATE OF status ON workflow_runs FOR EACH ROW
  WHEN (NEW.status IN ('SUCCEEDED', 'FAILED', 'CANCELED') AND OLD.status <> NEW.status)
  EXECUTE FUNCTION bench_done();
CREATE INDEX bench_done_recent ON bench_done (tenant_id, done_at);
"""
FINAL = "('SUCCEEDED', 'FAILED', 'CANCELED')"


@dataclass
class Feed:
    tenant: str
    workflow_id: str
    since: datetime
    started: int = 0
    finished: int = 0


COUNT_FINISHED = f"""SELECT count(*) FROM workflow_runs WHERE tenant_id = $1
    AND started_at >= $2 AND status IN {FINAL}"""


async def _count_finished(pool: asyncpg.Pool, run: Feed) -> int:
    return int(await pool.fetchval(COUNT_FINISHED, run.tenant, run.since))


# The watcher reads only runs finished in the last few seconds: counting every run of
# the phase each time (as it once did) cost PostgreSQL more CPU the longer a phase
# ran (~35k runs in a peak minute), taken from the services being measured.
RECENTLY_DONE = """SELECT run_id, done_at FROM bench_done
    WHERE tenant_id = $1 AND done_at >= $2"""
# A run's done_at is stamped inside its finishing transaction, before the commit;
# rereading this far back catches commits that land after a later-stamped one.
COMMIT_LAG_S = 2.0


async def _watch(pool: asyncpg.Pool, feed: Feed, stop: asyncio.Event) -> None:
    seen: set[Any] = set()
    since = feed.since
    while not stop.is_set():
        rows = await pool.fetch(RECENTLY_DONE, feed.tenant, since)
        seen.update(r["run_id"] for r in rows)
        feed.finished = len(seen)
        if rows:
            since = max(since, max(r["done_at"] for r in rows) - timedelta(seconds=COMMIT_LAG_S))
        await asyncio.sleep(0.25)


async def feed(
    pool: asyncpg.Pool,
    engine: EngineContext,
    run: Feed,
    seconds: float,
    rate: float,
    inflight: int,
    payload: dict[str, Any] | None = None,
    until: asyncio.Event | None = None,
) -> None:
    """Start runs for ``seconds`` (or until ``until`` is set): ``rate`` per second, or
    (rate 0) closed loop."""
    began = time.perf_counter()
    starts = StartBatcher(pool, engine)  # as the API starts runs without an Idempotency-Key
    stop = asyncio.Event()
    watcher = asyncio.ensure_future(_watch(pool, run, stop))

    async def starter() -> None:
        while until is None or not until.is_set():
            if rate:
                due = began + run.started / rate
                if due - began >= seconds:
                    return
                run.started += 1
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
            else:
                if time.perf_counter() - began >= seconds:
                    return
                if run.started - run.finished >= inflight:
                    await asyncio.sleep(0.02)
                    continue
                run.started += 1
            body = payload if payload is not None else {"n": run.started}
            await starts.start(run.tenant, run.workflow_id, body)

    try:
        await asyncio.gather(*(starter() for _ in range(STARTERS)))
    finally:
        stop.set()
        await watcher


async def drain(pool: asyncpg.Pool, run: Feed, timeout_s: float = 600) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if await _count_finished(pool, run) >= run.started:
            return
        await asyncio.sleep(0.2)
    raise RuntimeError(f"runs not finished within {timeout_s} s")


async def outcome(pool: asyncpg.Pool, run: Feed, window: tuple[datetime, datetime] | None,
                  steps: int) -> dict[str, Any]:  # fmt: skip
    """Runs, successes, throughput (in ``window`` if given) and latency percentiles."""
    row = await pool.fetchrow(
        """WITH r AS (SELECT status, started_at, d.done_at AS completed_at,
                        extract(epoch FROM d.done_at - started_at) AS took
                      FROM workflow_runs JOIN bench_done d USING (tenant_id, run_id)
                      WHERE tenant_id = $1 AND started_at >= $2)
           SELECT count(*) AS runs, count(*) FILTER (WHERE status = 'SUCCEEDED') AS ok,
             count(*) FILTER (WHERE completed_at >= $3 AND completed_at < $4) AS in_window,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY took) AS p50,
             percentile_cont(0.99) WITHIN GROUP (ORDER BY took) AS p99,
             extract(epoch FROM max(completed_at) - min(started_at)) AS span FROM r""",
        run.tenant, run.since, *(window or (run.since, run.since)),
    )  # fmt: skip
    slices: dict[str, Any] = {}
    if window:
        span = (window[1] - window[0]).total_seconds()
        per_s = row["in_window"] / span
        slices = await _slowest_slice(pool, run, window)
    else:
        span = float(row["span"])
        per_s = row["runs"] / span
    return {
        "runs": row["runs"],
        "succeeded": row["ok"],
        "measured_s": round(span, 1),
        "runs_per_s": round(per_s, 1),
        "steps_per_s": round(steps * per_s, 1),
        **slices,
        "latency_p50_ms": round(float(row["p50"]) * 1000, 1),
        "latency_p99_ms": round(float(row["p99"]) * 1000, 1),
    }


SLICE_S = 10


async def _slowest_slice(pool: asyncpg.Pool, run: Feed,
                         window: tuple[datetime, datetime]) -> dict[str, Any]:  # fmt: skip
    """Runs/s in the slowest whole 10 s slice of ``window``: "sustained" means every
    slice held the rate, not only the average."""
    whole = int((window[1] - window[0]).total_seconds() // SLICE_S)
    if whole < 1:
        return {}
    rows = await pool.fetch(
        """SELECT floor(extract(epoch FROM d.done_at - $3::timestamptz) / $5)::int AS slice,
                  count(*) AS done
           FROM workflow_runs JOIN bench_done d USING (tenant_id, run_id)
           WHERE tenant_id = $1 AND started_at >= $2 AND d.done_at >= $3 AND d.done_at < $4
           GROUP BY 1""",
        run.tenant, run.since, window[0], window[1], SLICE_S,
    )  # fmt: skip
    done = {r["slice"]: r["done"] for r in rows}
    rates = [round(done.get(i, 0) / SLICE_S, 1) for i in range(whole)]
    return {"slowest_10s_runs_per_s": min(rates), "runs_per_s_by_10s": rates}
