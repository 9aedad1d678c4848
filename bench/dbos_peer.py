"""The peer of the runs benchmark: the same work in DBOS Transact, on the same PostgreSQL.

A 6-step workflow (set state, assign, side-effectful write, assign,
side-effectful write, set state), every step a checkpointed ``@DBOS.step()``;
the two writes insert a row keyed by an idempotency key (workflow id + step,
``ON CONFLICT DO NOTHING``, so a replayed step writes nothing twice), like
Sluice's ``bench.write``. DBOS's system database is a fresh database on the
stack's PostgreSQL (dropped at the end); durable commits as configured there
(``synchronous_commit`` on). Measured like ``runs_bench``: a closed-loop peak
(``inflight`` workflows in flight) and a fixed rate at half of it, latency from
``start_workflow_async`` to the result.

    uv run python -m bench.dbos_peer [--quick] [--seconds 60] [--inflight 8]

Writes bench/results/dbos.json (or ``--out``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
from dbos import DBOS, DBOSConfig
from sluice_config import load_settings

from bench.outbox_bench import _drop_database, _fresh_database
from bench.procstats import Sampler, listener_pid

RESULTS = Path(__file__).parent / "results" / "dbos.json"
ROWS_SQL = """CREATE TABLE IF NOT EXISTS bench_rows (
    idempotency_key text PRIMARY KEY, value jsonb)"""
STEPS = 6
_pool: asyncpg.Pool | None = None  # the side-effect table's pool (DBOS steps are plain code)


async def _write(step: str, value: int) -> dict[str, bool]:
    assert _pool is not None
    key = f"{DBOS.workflow_id}:{step}"
    await _pool.execute(
        "INSERT INTO bench_rows VALUES ($1, $2) ON CONFLICT DO NOTHING", key, json.dumps(value)
    )
    return {"ok": True}


@DBOS.step()
async def set_state(state: str) -> str:
    return state


@DBOS.step()
async def assign(value: int) -> int:
    return value


@DBOS.step()
async def write(step: str, value: int) -> dict[str, bool]:
    return await _write(step, value)


@DBOS.workflow()
async def bench_workflow(n: int) -> str:
    await set_state("START")
    n = await assign(n)
    await write("w1", n)
    m = await assign(n + 1)
    await write("w2", m)
    return await set_state("DONE")


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    finished_at: list[float] = field(default_factory=list)


async def _one(n: int, tally: Tally) -> None:
    began = time.perf_counter()
    handle = await DBOS.start_workflow_async(bench_workflow, n)
    await handle.get_result()
    tally.finished_at.append(time.perf_counter())
    tally.latencies.append(time.perf_counter() - began)


async def _closed_loop(seconds: float, inflight: int) -> Tally:
    tally, stop_at = Tally(), time.perf_counter() + seconds
    counter = iter(range(10**9))

    async def client() -> None:
        while time.perf_counter() < stop_at:
            await _one(next(counter), tally)

    await asyncio.gather(*(client() for _ in range(inflight)))
    return tally


async def _open_loop(seconds: float, rate: float) -> Tally:
    tally, began = Tally(), time.perf_counter()

    async def later(i: int) -> None:
        await asyncio.sleep(max(0.0, began + i / rate - time.perf_counter()))
        await _one(i, tally)

    await asyncio.gather(*(later(i) for i in range(int(seconds * rate))))
    return tally


def _figures(tally: Tally, window: tuple[float, float] | None) -> dict[str, Any]:
    done = sorted(tally.finished_at)
    lo, hi = window or (done[0] - min(tally.latencies), done[-1])
    per_s = sum(1 for t in done if lo <= t < hi) / (hi - lo)
    cuts = statistics.quantiles(tally.latencies, n=100)
    return {
        "runs": len(done),
        "runs_per_s": round(per_s, 1),
        "steps_per_s": round(STEPS * per_s, 1),
        "latency_p50_ms": round(cuts[49] * 1000, 1),
        "latency_p99_ms": round(cuts[98] * 1000, 1),
    }


async def _phases(seconds: float, inflight: int, sampler: Sampler) -> dict[str, Any]:
    await _closed_loop(3, inflight)  # warm-up
    window, began = sampler.window(), time.perf_counter()
    tally = await _closed_loop(seconds, inflight)
    peak = {**_figures(tally, (began + seconds / 10, began + seconds)), "inflight": inflight,
            **sampler.close(window)}  # fmt: skip
    rate = max(1.0, round(peak["runs_per_s"] / 2))
    window = sampler.window()
    half = {**_figures(await _open_loop(seconds, rate), None), "rate_asked": rate,
            **sampler.close(window)}  # fmt: skip
    return {"peak": peak, "half_peak": half}


async def bench(seconds: float, inflight: int) -> dict[str, Any]:
    global _pool
    settings = load_settings()
    assert settings.database_url, "no database: run sluice dev or set WF_DATABASE_URL"
    name, dsn = await _fresh_database(settings.database_url)
    _pool = await asyncpg.create_pool(dsn, min_size=4, max_size=20)
    await _pool.execute(ROWS_SQL)
    config: DBOSConfig = {"name": "sluice-bench-peer", "system_database_url": dsn,
                          "sys_db_pool_size": 20, "log_level": "WARNING"}  # fmt: skip
    DBOS(config=config)
    DBOS.launch()
    sampler = Sampler()
    sampler.watch("dbos-process", os.getpid())
    postgres = listener_pid(urlsplit(dsn).port or 5432)
    if postgres:
        sampler.watch("postgres", postgres, family=True)
    sampler.start()
    try:
        result = await _phases(seconds, inflight, sampler)
        result["rows_written"] = await _pool.fetchval("SELECT count(*) FROM bench_rows")
    finally:
        await sampler.stop()
        DBOS.destroy()
        await _pool.close()
        await _drop_database(settings.database_url, name)
    return {**result, "seconds": seconds, "dbos_system_db": "same PostgreSQL, own database"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="15 s phases")
    parser.add_argument("--seconds", type=float)
    # 8 in flight: DBOS's best here (59 runs/s; 16: 53, 64: 34-50, 200: 33), its process is
    # CPU-bound on one core (GIL) and more concurrency only adds contention.
    parser.add_argument("--inflight", type=int, default=8, help="workflows in flight at peak")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    seconds = args.seconds or (15.0 if args.quick else 60.0)
    result = asyncio.run(bench(seconds, args.inflight))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
