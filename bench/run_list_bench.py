"""The database at scale (issue 19): the run list, a run's history and the retention
purge with a million runs stored.

Usage (with a stack from ``sluice dev`` or WF_* variables):

    uv run python -m bench.run_list_bench [--runs 1000000] [--requests 100] [--purge-rate 50]

A fresh database (dropped at the end) gets ``--runs`` runs of the bench tenant, each
with the history a finished six-step run leaves (3 step attempts, a snapshot, an
action invocation, 2 timeline entries), and half as many runs of another tenant
(``tests/fixtures/run_population.py``: a busy week, 20 workflows x 3 versions,
realistic status and trigger mix). Then:

- **Lists**: the API runs as its own process (``python -m sluice_api``) and one
  client sends ``GET /workflow-runs`` with every filter the console offers, one
  request at a time, so each latency is the server's (HTTP, auth, query, JSON);
  the same filters are also timed at the storage layer (``RunRepository.list_runs``
  in this process: the query and its decoding, no HTTP), which is what the
  number of stored runs can change. On a loaded machine every request slows alike,
  so the list's median is also given over the median of ``GET /workflow-runs/{runId}``
  (a primary-key read behind the same auth and JSON). Targets: storage p99 < 50 ms,
  API p99 < 100 ms.
- **History**: a run's steps, snapshots, invocations and timeline pages through
  the API for runs picked at random.
- **Purge under load**: the services (interpreter, executor, scheduler) run on the
  same database; six-step runs are started at ``--purge-rate`` runs/s for a
  baseline, then again while the retention purge (the scheduler's own
  ``purge_expired``, in a process of its own, with its default batch and pause)
  deletes every final run of the populated tenants with its history. Figures: run
  latency p50/p99 and the slowest 10 s slice before and during the purge, and
  the purge's runs/s.

Writes bench/results/run_list.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sluice_devstack.ports import free_port
from sluice_devstack.process import ChildProcess, spawn
from sluice_storage import RunFilter, RunRepository, TokenRepository, create_pool
from sluice_storage.retention import (
    PurgeSettings,
    RetentionPolicy,
    RetentionRepository,
    purge_expired,
)

from bench.runs_bench import QUICK, Stage, running_stack
from bench.runs_feed import Feed, drain, feed, outcome

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the population shared with the EXPLAIN test
from fixtures.run_population import populate_history, populate_runs, workflow_ids  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "run_list.json"
TENANT, OTHER, LIVE = "bench-runs", "bench-noise", "bench-live"
TARGET_STORAGE_P99_MS = 50.0
TARGET_API_P99_MS = 100.0
# The purge runs as if this much later: every populated final run is past the 30 days.
PURGE_AHEAD = timedelta(days=38)
PURGE_MAX_S = 3600.0


def _queries(now: datetime, run_id: str) -> dict[str, tuple[dict[str, Any], RunFilter, int]]:
    """Each of the console's list filters: its API parameters, the same as a storage
    filter, and the page size."""
    wf = workflow_ids(TENANT)[3]
    hour, day = now - timedelta(hours=1), now - timedelta(days=1)
    return {
        "newest": ({}, RunFilter(), 50),
        "failed": ({"status": "FAILED"}, RunFilter(statuses=("FAILED",)), 50),
        "failed+canceled": ({"status": ["FAILED", "CANCELED"]},
                            RunFilter(statuses=("FAILED", "CANCELED")), 50),
        "running+waiting": ({"status": ["RUNNING", "WAITING"]},
                            RunFilter(statuses=("RUNNING", "WAITING")), 50),
        "workflow": ({"workflowId": str(wf)}, RunFilter(workflow_id=wf), 50),
        "workflow+version": ({"workflowId": str(wf), "version": 2},
                             RunFilter(workflow_id=wf, version=2), 50),
        "last hour": ({"from": hour.isoformat()}, RunFilter(started_from=hour), 50),
        "failed last 24h": ({"status": "FAILED", "from": day.isoformat()},
                            RunFilter(statuses=("FAILED",), started_from=day), 50),
        "trigger child": ({"trigger": "child"}, RunFilter(triggers=("child",)), 50),
        "trigger event+api": ({"trigger": ["event", "api"]},
                              RunFilter(triggers=("event", "api")), 50),
        "correlation key": ({"q": "key-4242"}, RunFilter(search="key-4242"), 50),
        "run id": ({"q": run_id}, RunFilter(search=run_id), 50),
        "oldest first": ({"sort": "startedAt"}, RunFilter(newest_first=False), 50),
        "limit 200": ({"limit": 200}, RunFilter(), 200),
    }  # fmt: skip


def _summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "p50_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 2),
        "p99_ms": round(ordered[int(0.99 * (len(ordered) - 1))], 2),
        "max_ms": round(ordered[-1], 2),
        "n": len(ordered),
    }


async def _timed(client: httpx.AsyncClient, path: str, params: dict[str, Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    response = await client.get(path, params=params)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"{path} {params}: {response.status_code} {response.text[:300]}")
    return elapsed, response.json()


async def _measure(client: httpx.AsyncClient, now: datetime, run_id: str, requests: int
                   ) -> dict[str, Any]:  # fmt: skip
    queries = _queries(now, run_id)
    per_query: dict[str, list[float]] = {name: [] for name in queries}
    per_query["page 2-5 (cursor)"] = []
    for _ in range(requests):
        for name, (params, _flt, _limit) in queries.items():
            elapsed, _ = await _timed(client, "/workflow-runs", params)
            per_query[name].append(elapsed)
    for _ in range(max(1, requests // 4)):  # walk 4 pages deeper, as someone scrolling
        _, body = await _timed(client, "/workflow-runs", {})
        for _page in range(4):
            elapsed, body = await _timed(client, "/workflow-runs", {"cursor": body["nextCursor"]})
            per_query["page 2-5 (cursor)"].append(elapsed)
    floor = []  # the cost of any authenticated request: one run by its id
    for _ in range(requests):
        elapsed, _ = await _timed(client, f"/workflow-runs/{run_id}", {})
        floor.append(elapsed)
    summaries = []
    for _ in range(max(1, requests // 2)):
        params = {"bucket": "hour", "from": (now - timedelta(days=1)).isoformat()}
        elapsed, _ = await _timed(client, "/workflow-runs/summary", params)
        summaries.append(elapsed)
    everything = [v for values in per_query.values() for v in values]
    return {
        "list_all": _summary(everything),
        "list_by_query": {name: _summary(v) for name, v in per_query.items()},
        "get_one_run_floor": _summary(floor),
        "summary_24h_hourly": _summary(summaries),
    }


async def _measure_storage(dsn: str, now: datetime, run_id: str, requests: int
                           ) -> dict[str, Any]:  # fmt: skip
    """The same filters through the repository: the query and its decoding, no HTTP."""
    conn = await asyncpg.connect(dsn)
    try:
        repo = RunRepository(conn, TENANT)
        per_query: dict[str, list[float]] = {}
        for _ in range(requests):
            for name, (_params, flt, limit) in _queries(now, run_id).items():
                started = time.perf_counter()
                await repo.list_runs(flt, limit=limit)
                per_query.setdefault(name, []).append((time.perf_counter() - started) * 1000)
    finally:
        await conn.close()
    everything = [v for values in per_query.values() for v in values]
    return {
        "storage_list_all": _summary(everything),
        "storage_list_by_query": {name: _summary(v) for name, v in per_query.items()},
    }


HISTORY_PAGES = ("steps", "snapshots", "invocations", "timeline")


async def _measure_history(client: httpx.AsyncClient, run_ids: list[str]) -> dict[str, Any]:
    """A run's history pages, for runs picked at random among the million."""
    per_page: dict[str, list[float]] = {page: [] for page in HISTORY_PAGES}
    for run_id in run_ids:
        for page in HISTORY_PAGES:
            elapsed, body = await _timed(client, f"/workflow-runs/{run_id}/{page}", {})
            if not body["items"]:
                raise RuntimeError(f"run {run_id} has no {page}: the population is wrong")
            per_page[page].append(elapsed)
    everything = [v for values in per_page.values() for v in values]
    return {"history_all": _summary(everything),
            "history_by_page": {page: _summary(v) for page, v in per_page.items()}}  # fmt: skip


async def _start_api(dsn: str, port: int) -> ChildProcess:
    env = {**os.environ, "WF_DATABASE_URL": dsn, "WF_API_PORT": str(port),
           "WF_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1", "WF_LOG_LEVEL": "WARNING"}  # fmt: skip
    log_path = Path(tempfile.mkdtemp(prefix="bench-run-list-")) / "api.log"
    api = spawn("api", [sys.executable, "-m", "sluice_api"], log_path=log_path, env=env)
    async with httpx.AsyncClient() as client:
        for _ in range(300):
            try:
                if (await client.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200:
                    return api
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    api.stop()
    raise RuntimeError(f"the API did not become ready in 30 s:\n{api.tail()}")


def _progress(message: str) -> None:
    print(f"run_list_bench: {message}", file=sys.stderr, flush=True)


async def _populate(dsn: str, runs: int, now: datetime) -> tuple[float, str, list[str], str]:
    """The population; returns its seconds, one run id, 100 random run ids and a token."""
    conn = await asyncpg.connect(dsn)
    try:
        started = time.perf_counter()
        await conn.execute(
            "INSERT INTO tenants (tenant_id) VALUES ($1), ($2) ON CONFLICT DO NOTHING",
            TENANT, OTHER,
        )  # fmt: skip
        await populate_runs(conn, TENANT, runs, now)
        _progress(f"{runs:,} runs ({time.perf_counter() - started:.0f} s)")
        await populate_history(conn, TENANT)
        _progress(f"history of {runs:,} runs ({time.perf_counter() - started:.0f} s)")
        await populate_runs(conn, OTHER, runs // 2, now)
        await conn.execute("VACUUM ANALYZE")
        populate_s = time.perf_counter() - started
        _progress(f"populated and vacuumed in {populate_s:.0f} s")
        some_run = "SELECT run_id::text FROM workflow_runs WHERE tenant_id = $1 LIMIT 1"
        run_id = str(await conn.fetchval(some_run, TENANT))
        picked = await conn.fetch(
            "SELECT run_id::text FROM workflow_runs TABLESAMPLE SYSTEM (1) WHERE tenant_id = $1 "
            "LIMIT 100", TENANT,
        )  # fmt: skip
        async with conn.transaction():
            issued = await TokenRepository(conn, TENANT).create(
                subject="bench", role="workflow.view", now=now
            )
    finally:
        await conn.close()
    return populate_s, run_id, [r["run_id"] for r in picked], issued.token


async def _purge_worker(dsn: str, as_of: datetime) -> None:
    """``--purge-worker``: one retention round as the scheduler runs it, as of ``as_of``."""
    pool = await create_pool(dsn, max_size=2)
    print("purging", flush=True)  # the parent's cue: the during-purge window opens now
    try:
        started = time.perf_counter()
        purged = await purge_expired(pool, as_of, PurgeSettings())
        took = time.perf_counter() - started
    finally:
        await pool.close()
    print(
        json.dumps(
            {
                "seconds": round(took, 1),
                "runs": {tenant: counts.runs for tenant, counts in purged.items()},
            }
        )
    )


async def _purge_under_load(stage: Stage, rate: float, baseline_s: float) -> dict[str, Any]:
    """Run latency at ``rate`` runs/s before and while every populated run is purged."""
    async with stage.pool.acquire() as conn:  # the live runs themselves are kept
        await RetentionRepository(conn, LIVE).put_policy(
            RetentionPolicy(scope="*", runs_days=36500, events_days=36500,
                            dead_letters_days=36500),
            now=datetime.now(UTC), by="bench",
        )  # fmt: skip
    before = Feed(LIVE, stage.workflow_id, datetime.now(UTC))
    _progress(f"purge phase: baseline, {rate:g} runs/s for {baseline_s:g} s")
    await feed(stage.pool, stage.engine, before, baseline_s, rate, 0)
    await drain(stage.pool, before)
    baseline = await outcome(stage.pool, before, (before.since, datetime.now(UTC)), 6)
    as_of = datetime.now(UTC) + PURGE_AHEAD
    worker = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.run_list_bench", "--purge-worker", stage.dsn,
        "--as-of", as_of.isoformat(), stdout=subprocess.PIPE, cwd=ROOT,
    )  # fmt: skip
    assert worker.stdout is not None
    await worker.stdout.readline()  # "purging": started up, connected, about to purge
    during = Feed(LIVE, stage.workflow_id, datetime.now(UTC))
    _progress("purge phase: purging every populated run while runs flow")
    purged_all = asyncio.Event()
    feeding = asyncio.ensure_future(
        feed(stage.pool, stage.engine, during, PURGE_MAX_S, rate, 0, until=purged_all)
    )
    out, _ = await worker.communicate()
    purged_all.set()
    await feeding
    if worker.returncode:
        raise RuntimeError(f"the purge worker failed ({worker.returncode})")
    ended = datetime.now(UTC)
    await drain(stage.pool, during)
    purge = json.loads(out.decode().strip().splitlines()[-1])
    while_purging = await outcome(stage.pool, during, (during.since, ended), 6)
    purged = sum(purge["runs"].values())
    return {
        "rate_asked": rate,
        "baseline": baseline,
        "during_purge": while_purging,
        "purged_runs": purge["runs"],
        "purge_s": purge["seconds"],
        "purge_runs_per_s": round(purged / purge["seconds"], 1),
        "p99_during_over_baseline": round(
            while_purging["latency_p99_ms"] / baseline["latency_p99_ms"], 2
        ),
    }


def _verdict(figures: dict[str, Any]) -> dict[str, Any]:
    api_p99 = figures["list_all"]["p99_ms"]
    storage_p99 = figures["storage_list_all"]["p99_ms"]
    ratio = figures["list_all"]["p50_ms"] / figures["get_one_run_floor"]["p50_ms"]
    return {
        "list_p99_ms": api_p99,
        "storage_list_p99_ms": storage_p99,
        "list_p50_over_get_one_run_p50": round(ratio, 2),
        "target_storage_list_p99_ms": TARGET_STORAGE_P99_MS,
        "target_api_list_p99_ms": TARGET_API_P99_MS,
        "meets_target": storage_p99 < TARGET_STORAGE_P99_MS and api_p99 < TARGET_API_P99_MS,
    }


async def bench(runs: int, requests: int, purge_rate: float, baseline_s: float, out: Path
                ) -> dict[str, Any]:  # fmt: skip
    """Every phase; the results file is rewritten after each, so a later phase that
    fails (or is stopped) leaves the earlier ones' figures."""
    now = datetime.now(UTC)
    result: dict[str, Any] = {
        "benchmark": "run_list",
        "runs_of_tenant": runs,
        "runs_of_other_tenant": runs // 2,
        "history_rows_per_run": 7,
        "machine": f"{platform.machine()} {os.cpu_count()} cpu, Python {platform.python_version()}"
        " (shared with other work: compare within one run)",
    }

    def save(**figures: Any) -> None:
        result.update(figures, measured_at=datetime.now(UTC).isoformat(timespec="seconds"))
        out.write_text(json.dumps(result, indent=2) + "\n")

    async with running_stack(replace(QUICK, timer_rate=0), tenant=LIVE) as stage:
        populate_s, run_id, picked, token = await _populate(stage.dsn, runs, now)
        port = free_port()
        api = await _start_api(stage.dsn, port)
        try:
            headers = {"Authorization": f"Bearer {token}"}
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers=headers,
                                         timeout=30) as client:  # fmt: skip
                await _measure(client, now, run_id, 5)  # warm-up: connections, plan caches
                load_before = os.getloadavg()
                _progress("lists through the API")
                figures = await _measure(client, now, run_id, requests)
                _progress("lists at the storage layer")
                figures |= await _measure_storage(stage.dsn, now, run_id, requests)
                _progress("history pages")
                figures |= await _measure_history(client, random.Random(7).sample(picked, 50))
                load_after = os.getloadavg()
        finally:
            api.stop()
        save(populate_s=round(populate_s, 1), **_verdict(figures), **figures,
             load_average_1m=[round(load_before[0], 2), round(load_after[0], 2)])  # fmt: skip
        if purge_rate:
            save(purge_under_load=await _purge_under_load(stage, purge_rate, baseline_s))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=100, help="rounds of every query")
    parser.add_argument(
        "--purge-rate",
        type=float,
        default=50.0,
        help="runs/s started during the purge phase (0: no purge phase)",
    )
    parser.add_argument(
        "--baseline-s", type=float, default=30.0, help="seconds of runs before the purge starts"
    )
    parser.add_argument("--purge-worker", metavar="DSN", help=argparse.SUPPRESS)
    parser.add_argument("--as-of", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    if args.purge_worker:
        asyncio.run(_purge_worker(args.purge_worker, datetime.fromisoformat(args.as_of)))
        return
    result = asyncio.run(
        bench(args.runs, args.requests, args.purge_rate, args.baseline_s, args.out)
    )
    print(json.dumps(result, indent=2))
    if not result["meets_target"]:
        sys.exit(f"list p99: storage {result['storage_list_p99_ms']} ms (target "
                 f"{TARGET_STORAGE_P99_MS}), API {result['list_p99_ms']} ms (target "
                 f"{TARGET_API_P99_MS})")  # fmt: skip


if __name__ == "__main__":
    main()
