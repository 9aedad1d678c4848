"""Soak: a steady mix at half the measured peak for a long time; nothing may grow.

``make soak`` (not in CI; default one hour, ``SOAK_SECONDS`` or ``--seconds``)
runs the interpreter, the action executor (apart, as in a cluster), the
scheduler and the ingest as subprocesses against a fresh database and fresh
topics, measures the peak first (a closed loop of the bench workflow,
``--peak-seconds``; ``--rate`` skips it) and then feeds, for the whole duration,
half of that peak as a mix:

- 60 % runs of the 6-step bench workflow (two side-effectful writes);
- 10 % runs that wait on an event, sent over Kafka one second later;
- 10 % runs with a 1 s timer (an event wait that times out, caught);
- 20 % emails over SMTP into the ingest, an email weighing ~38 bench runs (the
  ratio of the recorded peaks), a new contact each, so each gets a ticket and an
  acknowledgement at a sink here.

Every ``--sample-seconds`` it samples RSS per service (and PostgreSQL's PSS),
latency p50/p99 of the bench runs finished in that interval, open waits, the
outbox backlog, consumer lag of the services' groups, runs started but not yet
final, and the load average, printing one progress line each. At the end the
trend check compares, per series, the median of the last quarter with the
median of the first (the first sample, warm-up, left out): the last may exceed
the first by at most the series' ratio plus an absolute slack (``TREND``);
anything more is "growing" and the exit status is 1. Results, the time series
included: bench/results/soak.json.

    uv run python -m bench.soak [--seconds 3600] [--rate 0] [--peak-seconds 30]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiosmtplib
import asyncpg
import psutil
from aiosmtpd.controller import Controller
from sluice_config import load_settings
from sluice_devstack.ports import free_port
from sluice_engine import ActionHandlers, EngineContext, StartBatcher, load_plugins
from sluice_helpdesk import ContactRepository
from sluice_helpdesk.seeding import demo_client_id, inbound_address, seed_tenant
from sluice_messaging.admin import ensure_topics
from sluice_messaging.lag import read_consumer_lag
from sluice_messaging.producer import create_producer
from sluice_messaging.topics import Topics
from sluice_storage import create_pool, transaction, upgrade
from workflow_core.registry import create_registry

from bench.bench_plugin import TABLE_SQL
from bench.bench_plugin import register as register_bench
from bench.email_bench import _Sink
from bench.outbox_bench import _drop_database, _fresh_database
from bench.procstats import listener_pid
from bench.runs_bench import STEPS, WORKFLOW, _publish, _ready, _spawn
from bench.runs_feed import DONE_SQL, Feed, drain, feed, outcome
from bench.runs_timers import TIMER_WORKFLOW

RESULTS = Path(__file__).parent / "results" / "soak.json"
ROOT = Path(__file__).resolve().parents[1]
RUNS, WAITS, TIMERS, EMAIL = "soak", "soak-waits", "soak-timers", "soak-email"
WAIT_WORKFLOW = {"name": "soak-wait", "steps": [
    {"id": "w", "type": "event.wait", "config": {
        "eventName": "SOAK_GO", "correlationKey": {"$expr": "payload.k"}}},
    {"id": "s", "type": "state.set", "config": {"state": "RESUMED"}},
]}  # fmt: skip
EVENT_DELAY_S = 1.0

# series -> (ratio, absolute slack): the last quarter's median may be at most
# first * ratio + slack. RSS: allocators settle and caches fill once (25 % + 25 MB).
# Latency on a shared 2-core machine moves with everyone's load (x1.5 + 100 ms). The
# counts (open waits, outbox rows, lag, unfinished runs) are a few seconds of traffic
# in the steady state; growth beyond half again plus one second's starts is a leak or
# a backlog that is not being worked off (slack = the rate, filled in at run time).
TREND: dict[str, tuple[float, float | None]] = {
    "rss_mb": (1.25, 25.0),
    "latency_p50_ms": (1.5, 100.0),
    "latency_p99_ms": (1.5, 100.0),
    "open_waits": (1.5, None),
    "outbox_backlog": (1.5, None),
    "consumer_lag": (1.5, None),
    "unfinished_runs": (1.5, None),
}


# An email (ticket, comment, attachment, acknowledgement) costs what ~38 bench runs cost:
# the recorded peaks were 622.9 runs/s (results/runs.json) and 16.3 emails/s
# (results/email.json) on the same quiet machine; read from those files when present.
EMAIL_COST_RUNS = 38.0


def email_cost() -> float:
    try:
        runs = json.loads((RESULTS.parent / "runs.json").read_text())["peak"]["runs_per_s"]
        emails = json.loads((RESULTS.parent / "email.json").read_text())["peak"]["emails_per_s"]
        return float(runs) / float(emails)
    except (OSError, KeyError, ValueError, ZeroDivisionError):
        return EMAIL_COST_RUNS


@dataclass
class Mix:
    """Shares of the capacity ``rate`` (bench-run equivalents per second): 60 % bench
    runs, 10 % event waits, 10 % timers, 20 % emails (each weighing ``email_cost``)."""

    rate: float
    email_cost: float

    @property
    def runs(self) -> float:
        return self.rate * 0.6

    @property
    def waits(self) -> float:
        return self.rate * 0.1

    @property
    def timers(self) -> float:
        return self.rate * 0.1

    @property
    def emails(self) -> float:
        return self.rate * 0.2 / self.email_cost


@dataclass
class Soak:
    pool: asyncpg.Pool
    engine: EngineContext
    topics: Topics
    bootstrap: str
    workflows: dict[str, str]
    pids: dict[str, int]
    smtp_port: int
    sink: _Sink
    samples: list[dict[str, Any]] = field(default_factory=list)
    started: dict[str, int] = field(default_factory=dict)
    emails_sent: int = 0
    email_errors: int = 0


def _rss_mb(pid: int, family: bool = False) -> float | None:
    try:
        root = psutil.Process(pid)
        if not family:
            return round(root.memory_info().rss / 2**20, 1)
        procs = [root, *root.children(recursive=True)]
        return round(sum(p.memory_full_info().pss for p in procs) / 2**20, 1)
    except psutil.Error:
        return None


LATENCY = """SELECT count(*) AS n,
      percentile_cont(0.5) WITHIN GROUP (ORDER BY d.done_at - r.started_at) AS p50,
      percentile_cont(0.99) WITHIN GROUP (ORDER BY d.done_at - r.started_at) AS p99
    FROM bench_done d JOIN workflow_runs r USING (tenant_id, run_id)
    WHERE d.tenant_id = $1 AND d.done_at >= $2 AND d.done_at < $3"""
GAUGES = """SELECT
      (SELECT count(*) FROM run_waits WHERE status = 'OPEN') AS open_waits,
      (SELECT count(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL) AS backlog,
      (SELECT count(*) FROM workflow_runs WHERE status IN ('RUNNING', 'WAITING')) AS unfinished,
      (SELECT count(*) FROM workflow_runs WHERE status = 'FAILED') AS failed"""


def _ms(value: timedelta | None) -> float | None:
    return None if value is None else round(value.total_seconds() * 1000, 1)


async def _sample(soak: Soak, began: float, since: datetime) -> dict[str, Any]:
    now = datetime.now(UTC)
    latency = await soak.pool.fetchrow(LATENCY, RUNS, since, now)
    gauges = await soak.pool.fetchrow(GAUGES)
    prefix = soak.topics.events.removesuffix("events")
    lag = await read_consumer_lag(soak.bootstrap, [f"{prefix}interpreter", f"{prefix}executor"])
    rss = {name: _rss_mb(pid, family=name == "postgres") for name, pid in soak.pids.items()}
    return {
        "t_s": round(time.monotonic() - began, 1), "at": now.isoformat(),
        "finished_in_interval": latency["n"],
        "latency_p50_ms": _ms(latency["p50"]), "latency_p99_ms": _ms(latency["p99"]),
        "open_waits": gauges["open_waits"], "outbox_backlog": gauges["backlog"],
        "unfinished_runs": gauges["unfinished"], "failed_runs": gauges["failed"],
        "consumer_lag": sum(lag.values()), "rss_mb": rss, "load_1m": os.getloadavg()[0],
        "started": dict(soak.started), "emails_sent": soak.emails_sent,
        "acks_delivered": soak.sink.received,
    }  # fmt: skip


def _progress(sample: dict[str, Any], seconds: float) -> str:
    rss = " ".join(f"{n} {v}" for n, v in sample["rss_mb"].items())
    return (f"soak {sample['t_s']:>6.0f}/{seconds:.0f} s: {sample['finished_in_interval']} runs "
            f"done, p50 {sample['latency_p50_ms']} ms p99 {sample['latency_p99_ms']} ms | "
            f"waits {sample['open_waits']} outbox {sample['outbox_backlog']} "
            f"lag {sample['consumer_lag']} unfinished {sample['unfinished_runs']} "
            f"failed {sample['failed_runs']} | emails {sample['emails_sent']} "
            f"acks {sample['acks_delivered']} | RSS MB {rss} | "
            f"load {sample['load_1m']:.1f}")  # fmt: skip


async def _sampler(soak: Soak, seconds: float, every: float, stop: asyncio.Event) -> None:
    began, since = time.monotonic(), datetime.now(UTC)
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)
        sample = await _sample(soak, began, since)
        since = datetime.fromisoformat(sample["at"])
        soak.samples.append(sample)
        print(_progress(sample, seconds), flush=True)


async def _waits(soak: Soak, seconds: float, rate: float) -> None:
    """Event-wait runs at ``rate``; each one's event goes to wf.events a second later."""
    if rate <= 0:
        return
    starts = StartBatcher(soak.pool, soak.engine)
    producer = create_producer(soak.bootstrap)
    await producer.start()
    sends: set[asyncio.Task[Any]] = set()

    async def later(key: str) -> None:
        await asyncio.sleep(EVENT_DELAY_S)
        bare = {"tenantId": WAITS, "eventName": "SOAK_GO", "correlationKey": key, "payload": {}}
        await producer.send_and_wait(soak.topics.events, json.dumps(bare).encode(),
                                     key=f"{WAITS}:SOAK_GO:{key}".encode())  # fmt: skip

    began, n = time.perf_counter(), 0
    try:
        while (due := began + n / rate) - began < seconds:
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            key = f"w{n}"
            n += 1
            soak.started[WAITS] = n
            await starts.start(WAITS, soak.workflows[WAITS], {"k": key})
            task = asyncio.ensure_future(later(key))
            sends.add(task)
            task.add_done_callback(sends.discard)
        await asyncio.gather(*sends)
    finally:
        await producer.stop()


def _email(i: int, run: str) -> tuple[str, bytes]:
    message = EmailMessage()
    message["From"], message["To"] = f"s{i}-{run}@soak.test", inbound_address(EMAIL)
    message["Subject"], message["Message-ID"] = f"Soak {i}", f"<{run}-{i}@soak.test>"
    message.set_content(f"Problem {i}.\n\nOn Mon, Support wrote:\n> earlier text\n")
    return f"s{i}-{run}@soak.test", message.as_bytes()


async def _emails(soak: Soak, seconds: float, rate: float) -> None:
    """One email every 1/rate s over one SMTP connection, from a new known contact each."""
    if rate <= 0:
        return
    run, began, i = uuid.uuid4().hex[:8], time.perf_counter(), 0
    smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=soak.smtp_port, timeout=60)
    await smtp.connect()
    try:
        while (due := began + i / rate) - began < seconds:
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            sender, raw = _email(i, run)
            i += 1
            async with transaction(soak.pool) as conn:
                await ContactRepository(conn, EMAIL).create(sender, client_id=demo_client_id(EMAIL))
            try:
                await smtp.sendmail("mta@soak.test", [inbound_address(EMAIL)], raw)
                soak.emails_sent += 1
            except aiosmtplib.SMTPException:  # counted and reported; the soak goes on
                soak.email_errors += 1
    finally:
        await smtp.quit()


async def _counted(soak: Soak, tenant: str, run: Feed, coroutine: Any) -> None:
    task = asyncio.ensure_future(coroutine)
    while not task.done():
        soak.started[tenant] = run.started
        await asyncio.sleep(1)
    soak.started[tenant] = run.started
    await task


async def _measure_peak(soak: Soak, seconds: float) -> float:
    run = Feed(RUNS, soak.workflows[RUNS], datetime.now(UTC))
    ramp = seconds / 10
    await feed(soak.pool, soak.engine, run, ramp + seconds, 0, 600)
    window = (run.since + timedelta(seconds=ramp), datetime.now(UTC))
    await drain(soak.pool, run)
    peak = (await outcome(soak.pool, run, window, STEPS))["runs_per_s"]
    print(f"soak: measured peak {peak} runs/s over {seconds:.0f} s", flush=True)
    return float(peak)


def trend(samples: list[dict[str, Any]], rate: float) -> dict[str, Any]:
    """Last quarter's median against the first quarter's, per series (warm-up sample out)."""
    body = samples[1:]
    quarter = max(1, len(body) // 4)
    first, last = body[:quarter], body[-quarter:]
    series: dict[str, tuple[list[float], list[float], tuple[float, float | None]]] = {}
    for name, (ratio, slack) in TREND.items():
        if name == "rss_mb":
            for service in body[0]["rss_mb"] if body else []:
                values = [[s["rss_mb"][service] for s in part if s["rss_mb"].get(service)]
                          for part in (first, last)]  # fmt: skip
                series[f"rss_mb.{service}"] = (values[0], values[1], (ratio, slack))
        else:
            values = [[s[name] for s in part if s[name] is not None] for part in (first, last)]
            series[name] = (values[0], values[1], (ratio, slack))
    checks: dict[str, Any] = {}
    for name, (head, tail, (ratio, slack)) in series.items():
        if not head or not tail:
            checks[name] = {"ok": False, "why": "no samples"}
            continue
        allowed_slack = rate if slack is None else slack
        start, end = statistics.median(head), statistics.median(tail)
        bound = start * ratio + allowed_slack
        checks[name] = {"first_quarter_median": round(start, 1),
                        "last_quarter_median": round(end, 1), "bound": round(bound, 1),
                        "ok": end <= bound}  # fmt: skip
    return {"flat": all(c["ok"] for c in checks.values()), "checks": checks,
            "rule": "last quarter's median <= first quarter's median * ratio + slack",
            "margins": {k: {"ratio": r, "slack": rate if s is None else s}
                        for k, (r, s) in TREND.items()}}  # fmt: skip


async def _setup(pool: asyncpg.Pool) -> dict[str, str]:
    await pool.execute(TABLE_SQL)
    await pool.execute(DONE_SQL)
    registry = create_registry()
    load_plugins("", registry, ActionHandlers())
    async with transaction(pool) as conn:
        await seed_tenant(conn, EMAIL, registry.freeze(), datetime.now(UTC))
    return {RUNS: await _publish(pool, RUNS, WORKFLOW),
            WAITS: await _publish(pool, WAITS, WAIT_WORKFLOW),
            TIMERS: await _publish(pool, TIMERS, TIMER_WORKFLOW)}  # fmt: skip


def _env(dsn: str, kafka: str, topics: Topics, sink_port: int) -> dict[str, str]:
    names = ("WF_INTERPRETER_PORT", "WF_EXECUTOR_PORT", "WF_SCHEDULER_PORT", "WF_INGEST_PORT",
             "WF_SMTP_LISTEN_PORT")  # fmt: skip
    return {**os.environ, "WF_DATABASE_URL": dsn, "PYTHONPATH": str(ROOT),
            "WF_KAFKA_BOOTSTRAP_SERVERS": kafka, "WF_LOG_LEVEL": "WARNING",
            "WF_TOPIC_PREFIX": topics.events.removesuffix("events"),
            "WF_PLUGINS": "bench.bench_plugin:register", "WF_EXECUTOR_APART": "true",
            "WF_SMTP_HOST": "127.0.0.1", "WF_SMTP_PORT": str(sink_port),
            **{var: str(free_port()) for var in names}}  # fmt: skip


def _stop(procs: dict[str, subprocess.Popen[bytes]]) -> None:
    """SIGTERM to every service group, 20 s to go, then SIGKILL to what is left."""
    for proc in procs.values():
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + 20
    for proc in procs.values():
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(max(0.1, deadline - time.monotonic()))
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


@dataclass(frozen=True)
class Options:
    seconds: float
    rate: float  # 0: half of the peak measured first
    peak_seconds: float
    sample_seconds: float


async def _run_mix(soak: Soak, opts: Options, mix: Mix) -> None:
    runs = Feed(RUNS, soak.workflows[RUNS], datetime.now(UTC))
    timers = Feed(TIMERS, soak.workflows[TIMERS], runs.since)
    stop = asyncio.Event()
    sampler = asyncio.ensure_future(_sampler(soak, opts.seconds, opts.sample_seconds, stop))
    try:
        await asyncio.gather(
            _counted(soak, RUNS, runs, feed(soak.pool, soak.engine, runs, opts.seconds,
                                            mix.runs, 0)),
            _counted(soak, TIMERS, timers, feed(soak.pool, soak.engine, timers, opts.seconds,
                                                mix.timers, 0, {})),
            _waits(soak, opts.seconds, mix.waits),
            _emails(soak, opts.seconds, mix.emails),
        )  # fmt: skip
    finally:
        stop.set()
        await sampler
    await drain(soak.pool, runs)
    await drain(soak.pool, timers)


async def soak(opts: Options) -> dict[str, Any]:
    settings = load_settings()
    assert settings.database_url, "no database: run sluice dev or set WF_DATABASE_URL"
    assert settings.kafka_bootstrap_servers, "no Kafka: run sluice dev or set WF_*"
    name, dsn = await _fresh_database(settings.database_url)
    topics = Topics.from_prefix(f"soak{uuid.uuid4().hex[:8]}.")
    kafka = settings.kafka_bootstrap_servers
    await ensure_topics(kafka, topics, settings.topic_partitions)
    await upgrade(dsn)
    pool = await create_pool(dsn, max_size=20, lean_release=True)
    workflows = await _setup(pool)
    registry = create_registry()
    register_bench(registry, ActionHandlers())
    engine = EngineContext(registry=registry.freeze(), topics=topics,
                           notify_outbox=settings.outbox_notify)  # fmt: skip
    sink, sink_port = _Sink(), free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=sink_port)
    controller.start()
    env = _env(dsn, kafka, topics, sink_port)
    log_dir = Path(tempfile.mkdtemp(prefix="sluice-soak-"))
    procs = {"interpreter": _spawn("sluice_interpreter", env, log_dir / "interpreter.log"),
             "executor": _spawn("sluice_interpreter", env, log_dir / "executor.log", "executor"),
             "scheduler": _spawn("sluice_scheduler", env, log_dir / "scheduler.log"),
             "ingest": _spawn("sluice_ingest", env, log_dir / "ingest.log")}  # fmt: skip
    try:
        for var in ("WF_INTERPRETER_PORT", "WF_EXECUTOR_PORT", "WF_SCHEDULER_PORT",
                    "WF_INGEST_PORT"):  # fmt: skip
            await _ready(int(env[var]), timeout_s=180)
        pids = {n: p.pid for n, p in procs.items()}
        postgres = listener_pid(urlsplit(dsn).port or 5432)
        if postgres:
            pids["postgres"] = postgres
        state = Soak(pool, engine, topics, kafka, workflows, pids,
                     int(env["WF_SMTP_LISTEN_PORT"]), sink)  # fmt: skip
        peak = None if opts.rate else await _measure_peak(state, opts.peak_seconds)
        mix = Mix(opts.rate or max(1.0, round(peak / 2 if peak else 1.0, 1)), email_cost())
        print(
            f"soak: {opts.seconds:.0f} s at {mix.rate} starts/s (runs {mix.runs:.1f}, waits "
            f"{mix.waits:.1f}, timers {mix.timers:.1f}, emails {mix.emails:.3f}); "
            f"a sample every {opts.sample_seconds:.0f} s; logs in {log_dir}",
            flush=True,
        )
        began = time.perf_counter()
        await _run_mix(state, opts, mix)
        wall = time.perf_counter() - began
        await asyncio.sleep(3)  # the last acknowledgements reach the sink
        totals = dict(await pool.fetch(
            "SELECT status, count(*) FROM workflow_runs GROUP BY status"))  # fmt: skip
        verdict = trend(state.samples, mix.rate)
        alive = {n: p.poll() is None for n, p in procs.items()}
    finally:
        _stop(procs)
        controller.stop()
        await pool.close()
        await _drop_database(settings.database_url, name)
    return {
        "verdict": "flat" if verdict["flat"] and all(alive.values()) else "growing",
        "trend": verdict, "services_alive_at_end": alive,
        "duration_s": round(wall, 1), "peak_runs_per_s": peak,
        "rate": {**asdict(mix), "runs": mix.runs, "waits": mix.waits, "timers": mix.timers,
                 "emails": mix.emails},
        "runs_by_status": totals, "emails_sent": state.emails_sent,
        "email_errors": state.email_errors, "acks_delivered": sink.received,
        "options": asdict(opts), "machine": platform.node(), "cpus": os.cpu_count(),
        "load_1m_mean": round(statistics.mean(s["load_1m"] for s in state.samples), 2),
        "at": datetime.now(UTC).isoformat(), "logs": str(log_dir),
        "series": state.samples,
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float,
                        default=float(os.environ.get("SOAK_SECONDS", "3600")))  # fmt: skip
    parser.add_argument(
        "--rate",
        type=float,
        default=0.0,
        help="starts/s of the whole mix; 0 = half of the peak measured first",
    )
    parser.add_argument("--peak-seconds", type=float, default=30.0)
    parser.add_argument(
        "--sample-seconds",
        type=float,
        default=0.0,
        help="default: a 40th of the duration, between 5 and 60 s",
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    every = args.sample_seconds or min(60.0, max(5.0, args.seconds / 40))
    opts = Options(args.seconds, args.rate, args.peak_seconds, every)
    result = asyncio.run(soak(opts))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, default=str) + "\n")
    for name, check in result["trend"]["checks"].items():
        print(f"  {name:<28} {check}")
    print(f"soak: {result['verdict']} ({args.out})")
    if result["verdict"] != "flat":
        sys.exit(1)


if __name__ == "__main__":
    main()
