"""End-to-end run throughput and latency through the real services (Kafka + PostgreSQL).

A 6-step workflow (state.set, assign, side-effectful action, assign, side-effectful
action, state.set) runs through the Faust interpreter (executor in-process) and
the scheduler, started as subprocesses with production settings (full history,
synchronous_commit on, acks=all). Runs are started the way the API starts them
(``start_run`` in a transaction, outbox). Phase 1: as fast as possible (peak
runs/s). Phase 2: a fixed rate (default half of peak), run latency p50/p99
from the database (started_at -> completed_at).

Usage (stack from ``sluice dev --services none`` or WF_* variables):

    uv run python -m bench.runs_bench [--runs 3000] [--rate 0] [--seconds 20]

Writes bench/results/runs.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sluice_config import load_settings
from sluice_engine import ActionHandlers, EngineContext, StartOptions, start_run
from sluice_messaging.admin import ensure_topics
from sluice_messaging.topics import Topics
from sluice_storage import DefinitionRepository, create_pool, transaction, upgrade
from workflow_core.registry import create_registry

from bench.bench_plugin import TABLE_SQL, register
from bench.outbox_bench import _drop_database, _fresh_database

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).parent / "results" / "runs.json"
TENANT = "bench"


def _assign(step_id: str, path: str, expr: str) -> dict[str, Any]:
    return {
        "id": step_id,
        "type": "transform.assign",
        "config": {"assign": {path: {"$expr": expr}}},
    }


def _write(step_id: str, arg: str) -> dict[str, Any]:
    args = {arg: {"$expr": f"vars.{arg}"}}
    config = {"actionId": "bench.write", "version": 1, "args": args, "saveAs": f"vars.{step_id}"}
    return {"id": step_id, "type": "action.call", "config": config}


WORKFLOW = {
    "name": "bench",
    "steps": [
        {"id": "s1", "type": "state.set", "config": {"state": "START"}},
        _assign("a1", "vars.n", "payload.n"),
        _write("w1", "n"),
        _assign("a2", "vars.m", "vars.n + 1"),
        _write("w2", "m"),
        {"id": "s2", "type": "state.set", "config": {"state": "DONE"}},
    ],
}


def _spawn(module: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """``BENCH_PROFILE=dir`` runs the service under cProfile (``dir/<module>.prof``)."""
    profile = os.environ.get("BENCH_PROFILE")
    wrap = ["-m", "cProfile", "-o", f"{profile}/{module}.prof"] if profile else []
    with log.open("wb") as out:
        return subprocess.Popen([sys.executable, *wrap, "-m", module], env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip


async def _ready(port: int, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            try:
                if (await client.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError(f"service on :{port} not ready")


async def _start_many(pool: asyncpg.Pool, engine: EngineContext, workflow_id: str,
                      count: int, rate: float) -> None:  # fmt: skip
    """Start ``count`` runs, at ``rate`` per second (0: as fast as 16 connections go)."""
    began = time.perf_counter()
    sem = asyncio.Semaphore(16)

    async def one(i: int) -> None:
        if rate:
            await asyncio.sleep(max(0.0, began + i / rate - time.perf_counter()))
        async with sem, transaction(pool) as conn:
            await start_run(conn, engine, TENANT, workflow_id, {"n": i}, StartOptions())

    await asyncio.gather(*(one(i) for i in range(count)))


async def _wait_done(pool: asyncpg.Pool, since: datetime, count: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        done = await pool.fetchval(
            """SELECT count(*) FROM workflow_runs WHERE tenant_id = $1 AND started_at >= $2
               AND status IN ('SUCCEEDED', 'FAILED', 'CANCELED')""", TENANT, since)  # fmt: skip
        if done >= count:
            return
        await asyncio.sleep(0.2)
    raise RuntimeError(f"runs not finished within {timeout_s} s")


async def _phase(pool: asyncpg.Pool, engine: EngineContext, workflow_id: str,
                 count: int, rate: float) -> dict[str, Any]:  # fmt: skip
    since = datetime.now(UTC)
    began = time.perf_counter()
    await _start_many(pool, engine, workflow_id, count, rate)
    await _wait_done(pool, since, count, 600)
    row = await pool.fetchrow(
        """WITH r AS (SELECT status, started_at, completed_at,
                        extract(epoch FROM completed_at - started_at) AS took
                      FROM workflow_runs WHERE tenant_id = $1 AND started_at >= $2)
           SELECT count(*) FILTER (WHERE status = 'SUCCEEDED') AS ok,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY took) AS p50,
             percentile_cont(0.99) WITHIN GROUP (ORDER BY took) AS p99,
             extract(epoch FROM max(completed_at) - min(started_at)) AS span FROM r""",
        TENANT,
        since,
    )
    span = float(row["span"])
    return {
        "runs": count,
        "succeeded": row["ok"],
        "rate_asked": rate,
        "runs_per_s": round(count / span, 1),
        "steps_per_s": round(6 * count / span, 1),
        "wall_s": round(time.perf_counter() - began, 2),
        "latency_p50_ms": round(float(row["p50"]) * 1000, 1),
        "latency_p99_ms": round(float(row["p99"]) * 1000, 1),
    }


async def bench(runs: int, rate: float, seconds: float, interpreters: int) -> dict[str, Any]:
    settings = load_settings()
    assert settings.database_url, "no database: run sluice dev or set WF_DATABASE_URL"
    assert settings.kafka_bootstrap_servers, "no Kafka: run sluice dev or set WF_*"
    name, dsn = await _fresh_database(settings.database_url)
    topics = Topics.from_prefix(f"bench{uuid.uuid4().hex[:8]}.")
    await ensure_topics(settings.kafka_bootstrap_servers, topics, settings.topic_partitions)
    await upgrade(dsn)
    pool = await create_pool(dsn, max_size=20)
    await pool.execute(TABLE_SQL)
    registry = create_registry()
    register(registry, ActionHandlers())
    engine = EngineContext(
        registry=registry.freeze(), topics=topics, notify_outbox=settings.outbox_notify
    )
    now = datetime.now(UTC)
    workflow_id = uuid.uuid4()
    async with transaction(pool) as conn:
        repo = DefinitionRepository(conn, TENANT)
        await repo.save_draft(workflow_id, WORKFLOW, now)
        await repo.publish(
            workflow_id, WORKFLOW, payload_schema=None, published_by="bench", now=now
        )
    env = {**os.environ, "WF_DATABASE_URL": dsn, "PYTHONPATH": str(ROOT),
           "WF_KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
           "WF_TOPIC_PREFIX": topics.events.removesuffix("events"), "WF_LOG_LEVEL": "WARNING",
           "WF_PLUGINS": "bench.bench_plugin:register", "WF_INTERPRETER_PORT": "18102",
           "WF_SCHEDULER_PORT": "18103"}  # fmt: skip
    log_dir = Path(tempfile.mkdtemp(prefix="sluice-bench-"))  # service logs, kept for a look
    procs = [_spawn("sluice_scheduler", env, log_dir / "scheduler.log")]
    for i in range(interpreters):  # one consumer group: partitions are shared out
        port = {"WF_INTERPRETER_PORT": str(18110 + i)}
        procs.append(_spawn("sluice_interpreter", {**env, **port}, log_dir / f"interp-{i}.log"))
    try:
        await _ready(18103)
        for i in range(interpreters):
            await _ready(18110 + i)
        await _phase(pool, engine, str(workflow_id), 200, 0)  # warm-up
        peak = await _phase(pool, engine, str(workflow_id), runs, 0)
        steady_rate = rate or max(1.0, round(peak["runs_per_s"] / 2))
        steady = await _phase(
            pool, engine, str(workflow_id), int(steady_rate * seconds), steady_rate
        )
    finally:
        for proc in procs:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(20)
        await pool.close()
        await _drop_database(settings.database_url, name)
    return {
        "peak": peak,
        "steady": steady,
        "logs": str(log_dir),
        "interpreters": interpreters,
        "partitions": settings.topic_partitions,
        "machine": platform.node(),
        "cpus": os.cpu_count(),
        "at": datetime.now(UTC).isoformat(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3000)
    parser.add_argument("--rate", type=float, default=0.0, help="steady rate; 0 = half of peak")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--interpreters", type=int, default=1, help="interpreter processes")
    args = parser.parse_args()
    result = asyncio.run(bench(args.runs, args.rate, args.seconds, args.interpreters))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
