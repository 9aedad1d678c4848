"""End-to-end run throughput and latency through the real services (Kafka + PostgreSQL).

A 6-step workflow (state.set, assign, side-effectful action, assign, side-effectful
action, state.set) runs through the Faust interpreter, the action executor in its
own process (``WF_EXECUTOR_APART=true``, as in a cluster; ``--executor-in-process``
for the single-process layout of ``sluice dev``) and the scheduler, started as
subprocesses with production settings (full history, synchronous_commit on,
acks=all). Runs are started the way the API starts them
(``StartBatcher``: concurrent starts share a transaction, outbox).

- Peak: a closed loop (at most ``inflight`` unfinished runs), a ramp of a tenth,
  then 60 s measured: runs/s and steps/s finished in those 60 s, and the slowest
  10 s slice of them.
- Half peak: a fixed rate (default half of the peak) for 60 s, run latency
  p50/p99 from the database (started_at -> the wall-clock time the run became
  final), with a trickle of 1 s timers alongside for the scheduler's lateness.
- Fixed 250 runs/s (issue 4's latency target), the same measurements.

Each phase also reports CPU seconds and peak RSS per process (services, the
driver, PostgreSQL, Kafka) and the machine's load average while it ran.

Usage (stack from ``sluice dev --services none`` or WF_* variables):

    uv run python -m bench.runs_bench [--quick] [--rate 0] [--seconds 60]

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
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httpx
from sluice_config import load_settings
from sluice_engine import ActionHandlers, EngineContext
from sluice_messaging.admin import ensure_topics
from sluice_messaging.topics import Topics
from sluice_storage import DefinitionRepository, create_pool, transaction, upgrade
from workflow_core.registry import create_registry

from bench.bench_plugin import TABLE_SQL, register
from bench.outbox_bench import _drop_database, _fresh_database
from bench.procstats import Sampler, listener_pid
from bench.runs_feed import DONE_SQL, Feed, drain, feed, outcome
from bench.runs_report import summary
from bench.runs_timers import TENANT as TIMER_TENANT
from bench.runs_timers import TIMER_WORKFLOW, lateness
from bench.service_metrics import Samples, batches, scrape

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).parent / "results" / "runs.json"
TENANT = "bench"
STEPS = 6
INTERPRETER_PORT = 18110  # the first interpreter's /metrics
EXECUTOR_PORT = 18120  # the executor's, when it runs apart


def _agent_ports(opts: Options) -> list[int]:
    """The Faust workers' ports: each serves /metrics with its agents' batches."""
    ports = [INTERPRETER_PORT + i for i in range(opts.interpreters)]
    return [*ports, EXECUTOR_PORT] if opts.executor_apart else ports


async def _scrape_agents(opts: Options) -> Samples:
    merged: Samples = {}
    for port in _agent_ports(opts):
        for key, value in (await scrape(port)).items():
            merged[key] = merged.get(key, 0.0) + value
    return merged


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


def _spawn(module: str, env: dict[str, str], log: Path, *args: str) -> subprocess.Popen[bytes]:
    """``BENCH_PROFILE=dir`` runs the service under cProfile (``dir/<log name>.prof``)."""
    profile = os.environ.get("BENCH_PROFILE")
    wrap = ["-m", "cProfile", "-o", f"{profile}/{log.stem}.prof"] if profile else []
    with log.open("wb") as out:
        return subprocess.Popen([sys.executable, *wrap, "-m", module, *args], env=env,
                                stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)  # fmt: skip


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


@dataclass(frozen=True)
class Options:
    peak_s: float  # how long the closed-loop peak phase is measured (after a ramp of a tenth)
    steady_s: float  # how long the half-peak phase feeds runs
    rate: float  # half-peak phase rate; 0 = half of the measured peak
    inflight: int  # unfinished runs the peak phase allows
    interpreters: int
    executor_apart: bool  # the action executor in its own process (WF_EXECUTOR_APART)
    timer_rate: float  # short timers started per second during the half-peak phase
    # Issue 4's latency target is "p99 <= 500 ms at 250 runs/s": a third phase at
    # that fixed rate (0: none), unless the half-peak phase already ran at it.
    target_rate: float = 250


FULL = Options(peak_s=60, steady_s=60, rate=0, inflight=1000, interpreters=1,
               executor_apart=True, timer_rate=5)  # fmt: skip
QUICK = Options(peak_s=15, steady_s=15, rate=0, inflight=600, interpreters=1,
                executor_apart=True, timer_rate=5)  # fmt: skip


@dataclass
class Stage:
    pool: asyncpg.Pool
    engine: EngineContext
    workflow_id: str
    timer_workflow_id: str
    sampler: Sampler
    dsn: str = ""
    logs: Path = Path()
    services: dict[str, int] = field(default_factory=dict)  # name -> pid


def _py_spy(stage: Stage, seconds: float) -> list[subprocess.Popen[bytes]]:
    """``BENCH_PYSPY=dir``: sample every service with py-spy during the peak phase
    (``dir/<name>.txt``, collapsed stacks; ``uvx py-spy`` must work)."""
    out = os.environ.get("BENCH_PYSPY")
    if not out:
        return []
    return [
        subprocess.Popen(["uvx", "py-spy", "record", "--pid", str(pid), "--format", "raw",
                          "--duration", str(int(seconds)), "--rate", "200", "--nonblocking",
                          "--output", f"{out}/{name}.txt"], stdout=subprocess.DEVNULL)
        for name, pid in stage.services.items()
    ]  # fmt: skip


async def _statements(pool: asyncpg.Pool, *, reset: bool) -> None:
    """``BENCH_PGSS=file``: PostgreSQL's own time per statement during the peak phase
    (needs ``shared_preload_libraries = 'pg_stat_statements'`` on the server)."""
    out = os.environ.get("BENCH_PGSS")
    if not out:
        return
    await pool.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
    if reset:
        await pool.execute("SELECT pg_stat_statements_reset()")
        return
    rows = await pool.fetch(
        """SELECT calls, round(total_exec_time::numeric, 1) AS ms, rows,
                  left(regexp_replace(query, '\\s+', ' ', 'g'), 110) AS query
           FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 40"""
    )
    lines = [f"{r['calls']:>8} {r['ms']:>10} ms {r['rows']:>8} {r['query']}" for r in rows]
    await asyncio.to_thread(Path(out).write_text, "\n".join(lines) + "\n")


async def _publish(pool: asyncpg.Pool, tenant: str, doc: dict[str, Any]) -> str:
    now, workflow_id = datetime.now(UTC), uuid.uuid4()
    async with transaction(pool) as conn:
        repo = DefinitionRepository(conn, tenant)
        await repo.save_draft(workflow_id, doc, now)
        await repo.publish(workflow_id, doc, payload_schema=None, published_by="bench", now=now)
    return str(workflow_id)


async def _peak(stage: Stage, opts: Options) -> dict[str, Any]:
    """Closed loop: a ramp of a tenth of ``peak_s``, then ``peak_s`` measured (runs
    finished per second in that window)."""
    run = Feed(TENANT, stage.workflow_id, datetime.now(UTC))
    ramp = opts.peak_s / 10
    window, before = stage.sampler.window(), await _scrape_agents(opts)
    began = time.perf_counter()
    spies = _py_spy(stage, ramp + opts.peak_s)
    await _statements(stage.pool, reset=True)
    await feed(stage.pool, stage.engine, run, ramp + opts.peak_s, 0, opts.inflight)
    ended = datetime.now(UTC)
    await _statements(stage.pool, reset=False)
    for spy in spies:
        await asyncio.to_thread(spy.wait)
    measured = (run.since + timedelta(seconds=ramp), ended)
    await drain(stage.pool, run)
    wall = time.perf_counter() - began
    agents = batches(before, await _scrape_agents(opts))
    return {**await outcome(stage.pool, run, measured, STEPS), "inflight": opts.inflight,
            "interpreter_batches": agents, **_usage(stage.sampler.close(window), wall)}  # fmt: skip


async def _steady(stage: Stage, opts: Options, rate: float) -> dict[str, Any]:
    """``rate`` runs/s for ``steady_s`` with a trickle of 1 s timers alongside."""
    run = Feed(TENANT, stage.workflow_id, datetime.now(UTC))
    timers = Feed(TIMER_TENANT, stage.timer_workflow_id, run.since)
    window, before = stage.sampler.window(), await _scrape_agents(opts)
    began = time.perf_counter()
    await asyncio.gather(
        feed(stage.pool, stage.engine, run, opts.steady_s, rate, 0),
        feed(stage.pool, stage.engine, timers, opts.steady_s, opts.timer_rate, 0, {}),
    )
    await drain(stage.pool, run)
    wall = time.perf_counter() - began
    await drain(stage.pool, timers)
    agents = batches(before, await _scrape_agents(opts))
    result = await outcome(stage.pool, run, None, STEPS)
    return {**result, "rate_asked": rate, "timers": await lateness(stage.pool),
            "interpreter_batches": agents, **_usage(stage.sampler.close(window), wall)}  # fmt: skip


def _usage(summary: dict[str, Any], wall: float) -> dict[str, Any]:
    """CPU seconds, cores used on average, and peak RSS per process; load during the phase."""
    for figures in summary["services"].values():
        figures["cores"] = round(figures["cpu_s"] / wall, 2)
    return {"wall_s": round(wall, 1), **summary}


def _watch_processes(sampler: Sampler, procs: dict[str, subprocess.Popen[bytes]],
                     dsn: str, bootstrap: str) -> None:  # fmt: skip
    for name, proc in procs.items():
        sampler.watch(name, proc.pid)
    sampler.watch("bench-driver", os.getpid())  # starting runs costs CPU on the same cores
    postgres = listener_pid(urlsplit(dsn).port or 5432)
    kafka = listener_pid(int(bootstrap.split(",")[0].rsplit(":", 1)[1]))
    if postgres:
        sampler.watch("postgres", postgres, family=True)
    if kafka:
        sampler.watch("kafka", kafka)


async def _run_phases(stage: Stage, opts: Options) -> dict[str, Any]:
    warm = Feed(TENANT, stage.workflow_id, datetime.now(UTC))
    await feed(stage.pool, stage.engine, warm, 3, 0, 200)
    await drain(stage.pool, warm)
    peak = await _peak(stage, opts)
    rate = opts.rate or max(1.0, round(peak["runs_per_s"] / 2))
    phases = {"peak": peak, "half_peak": await _steady(stage, opts, rate)}
    if opts.target_rate and opts.target_rate != rate:  # the latency point
        phases["target_rate"] = await _steady(stage, opts, opts.target_rate)
    return phases


@asynccontextmanager
async def running_stack(opts: Options, tenant: str = TENANT) -> AsyncIterator[Stage]:
    """A fresh database and topics with the bench workflows published, and the services
    (scheduler, interpreters, executor) running on them as in a cluster; everything is
    stopped and dropped on the way out (the service logs are kept: ``Stage.logs``)."""
    settings = load_settings()
    assert settings.database_url, "no database: run sluice dev or set WF_DATABASE_URL"
    assert settings.kafka_bootstrap_servers, "no Kafka: run sluice dev or set WF_*"
    name, dsn = await _fresh_database(settings.database_url)
    if os.environ.get("BENCH_LOG_STATEMENTS"):  # profiling: every statement in the server log
        conn = await asyncpg.connect(settings.database_url)
        await conn.execute(f"ALTER DATABASE \"{name}\" SET log_statement = 'all'")
        await conn.close()
    if os.environ.get("BENCH_AUTO_EXPLAIN"):  # profiling: plans of statements slower than it
        conn = await asyncpg.connect(settings.database_url)
        for setting, value in (("session_preload_libraries", "auto_explain"),
                               ("auto_explain.log_min_duration", os.environ["BENCH_AUTO_EXPLAIN"]),
                               ("auto_explain.log_nested_statements", "on")):  # fmt: skip
            await conn.execute(f"ALTER DATABASE \"{name}\" SET {setting} = '{value}'")
        await conn.close()
    topics = Topics.from_prefix(f"bench{uuid.uuid4().hex[:8]}.")
    await ensure_topics(settings.kafka_bootstrap_servers, topics, settings.topic_partitions)
    await upgrade(dsn)
    pool = await create_pool(dsn, max_size=20, lean_release=True)  # as the API does
    await pool.execute(TABLE_SQL)
    await pool.execute(DONE_SQL)
    registry = create_registry()
    register(registry, ActionHandlers())
    engine = EngineContext(
        registry=registry.freeze(), topics=topics, notify_outbox=settings.outbox_notify
    )
    log_dir = Path(tempfile.mkdtemp(prefix="sluice-bench-"))  # service logs, kept for a look
    stage = Stage(pool, engine, await _publish(pool, tenant, WORKFLOW),
                  await _publish(pool, TIMER_TENANT, TIMER_WORKFLOW), Sampler(),
                  dsn=dsn, logs=log_dir)  # fmt: skip
    env = {**os.environ, "WF_DATABASE_URL": dsn, "PYTHONPATH": str(ROOT),
           "WF_KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
           "WF_TOPIC_PREFIX": topics.events.removesuffix("events"), "WF_LOG_LEVEL": "WARNING",
           "WF_PLUGINS": "bench.bench_plugin:register", "WF_INTERPRETER_PORT": "18102",
           "WF_SCHEDULER_PORT": "18103", "WF_EXECUTOR_PORT": str(EXECUTOR_PORT),
           "WF_EXECUTOR_APART": str(opts.executor_apart).lower()}  # fmt: skip
    procs = {"scheduler": _spawn("sluice_scheduler", env, log_dir / "scheduler.log")}
    for i in range(opts.interpreters):  # one consumer group: partitions are shared out
        port = {"WF_INTERPRETER_PORT": str(18110 + i)}
        procs[f"interpreter-{i}"] = _spawn(
            "sluice_interpreter", {**env, **port}, log_dir / f"interp-{i}.log"
        )
    if opts.executor_apart:
        procs["executor"] = _spawn("sluice_interpreter", env, log_dir / "executor.log", "executor")
    try:
        await _ready(18103)
        for agent_port in _agent_ports(opts):
            await _ready(agent_port)
        stage.services = {name: proc.pid for name, proc in procs.items()}
        _watch_processes(stage.sampler, procs, dsn, settings.kafka_bootstrap_servers)
        stage.sampler.start()
        yield stage
    finally:
        await stage.sampler.stop()
        for proc in procs.values():
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(20)
        await pool.close()
        await _drop_database(settings.database_url, name)


async def bench(opts: Options) -> dict[str, Any]:
    settings = load_settings()
    async with running_stack(opts) as stage:
        phases = await _run_phases(stage, opts)
    return {
        **phases,
        "options": asdict(opts),
        "logs": str(stage.logs),
        "partitions": settings.topic_partitions,
        "machine": platform.node(),
        "cpus": os.cpu_count(),
        "at": datetime.now(UTC).isoformat(),
    }


def _dbos_peer(seconds: float) -> dict[str, Any]:
    """The DBOS peer on the same PostgreSQL, after Sluice's services are stopped."""
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        subprocess.run([sys.executable, "-m", "bench.dbos_peer", "--seconds", str(seconds),
                        "--out", out.name], check=True, stdout=subprocess.DEVNULL)  # fmt: skip
        peer: dict[str, Any] = json.loads(Path(out.name).read_text())
    return peer


def _ratios(result: dict[str, Any]) -> dict[str, float]:
    peer = result["dbos"]
    return {
        "peak_runs_per_s": round(result["peak"]["runs_per_s"] / peer["peak"]["runs_per_s"], 2),
        "half_peak_p99": round(
            result["half_peak"]["latency_p99_ms"] / peer["half_peak"]["latency_p99_ms"], 2
        ),
    }


def headline(result: dict[str, Any]) -> dict[str, Any]:
    """The figures compared across runs, first in the results file (issue 14): peak
    runs/s, its ratio to DBOS in the same run, and p99 start-to-finish at the fixed
    target rate (at half peak when there was no target phase)."""
    latency = result.get("target_rate") or result["half_peak"]
    ratio = result.get("ratio_sluice_to_dbos", {}).get("peak_runs_per_s")
    return {"runs_per_s": result["peak"]["runs_per_s"], "ratio_vs_dbos": ratio,
            "p99_ms": latency["latency_p99_ms"]}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="15 s phases (development)")
    parser.add_argument("--rate", type=float, default=0.0, help="steady rate; 0 = half of peak")
    parser.add_argument("--seconds", type=float, help="length of each phase")
    parser.add_argument("--inflight", type=int, help="unfinished runs the peak phase allows")
    parser.add_argument("--interpreters", type=int, default=1, help="interpreter processes")
    parser.add_argument("--executor-in-process", action="store_true",
                        help="the action executor inside the interpreter's process")  # fmt: skip
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--no-peer", action="store_true", help="skip the DBOS peer")
    parser.add_argument("--target-rate", type=float, default=250.0,
                        help="a third fixed-rate phase (runs/s; 0 = none)")  # fmt: skip
    args = parser.parse_args()
    opts = replace(QUICK if args.quick else FULL, rate=args.rate, interpreters=args.interpreters,
                   executor_apart=not args.executor_in_process,
                   target_rate=args.target_rate)  # fmt: skip
    if args.seconds:
        opts = replace(opts, peak_s=args.seconds, steady_s=args.seconds)
    if args.inflight:
        opts = replace(opts, inflight=args.inflight)
    result = asyncio.run(bench(opts))
    if not args.no_peer:
        result["dbos"] = _dbos_peer(opts.peak_s)
        result["ratio_sluice_to_dbos"] = _ratios(result)
    result = {**headline(result), **result}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    print(summary(result))


if __name__ == "__main__":
    main()
