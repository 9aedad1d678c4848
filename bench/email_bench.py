"""Inbound email end to end through the real services: SMTP accept -> ``EMAIL_PROCESSED``.

The interpreter (executor in-process), the scheduler (outbound sender) and the
ingest service run as subprocesses with production settings, against a fresh
database and fresh topics; the tenant is seeded as ``sluice seed`` does, with
one known contact per email (so every email gets a ticket, an initial comment,
one attachment and an acknowledgement, delivered to an SMTP sink started here;
acknowledgements are rate-limited per address, so one address each).

Emails are delivered over SMTP by ``--clients`` concurrent connections. Each
email's clock starts when the ingest listener answers ``250`` and stops when
its run is seen final (the bench polls PostgreSQL every 20 ms, so latencies
carry up to ~20 ms of observation delay). Phase 1: as fast as the clients go
(peak emails/s). Phase 2: a fixed rate (default half of peak) for latency
without a queue.

Usage (stack from ``sluice dev --services none`` or WF_* variables):

    uv run python -m bench.email_bench [--emails 600] [--clients 16] [--rate 0] [--seconds 20]

Writes bench/results/email.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import statistics
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import aiosmtplib
import asyncpg
from aiosmtpd.controller import Controller
from sluice_config import load_settings
from sluice_devstack.ports import free_port
from sluice_engine import ActionHandlers, load_plugins
from sluice_helpdesk import ContactRepository
from sluice_helpdesk.seeding import demo_client_id, inbound_address, seed_tenant
from sluice_messaging.admin import ensure_topics
from sluice_messaging.topics import Topics
from sluice_storage import create_pool, transaction, upgrade
from workflow_core.registry import create_registry

from bench.outbox_bench import _drop_database, _fresh_database
from bench.runs_bench import _ready, _spawn

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).parent / "results" / "email.json"
TENANT = "bench-email"
POLL_S = 0.02
ATTACHMENT = b"%PDF-1.7\n" + bytes(range(256)) * 16  # a 4 KiB attachment per email


class _Sink:
    """Counts the acknowledgements the scheduler's sender delivers."""

    def __init__(self) -> None:
        self.received = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.received += 1
        return "250 OK"


@dataclass
class _Stack:
    pool: asyncpg.Pool
    smtp_port: int
    mailbox: str


def _message(i: int, mailbox: str, run: str) -> tuple[str, bytes]:
    message_id = f"{run}-{i}@bench.test"
    message = EmailMessage()
    message["From"], message["To"] = f"c{i}-{run}@bench.test", mailbox
    message["Subject"], message["Message-ID"] = f"Bench {i}", f"<{message_id}>"
    message.set_content(f"Problem {i}.\n\nOn Mon, Support wrote:\n> earlier text\n")
    message.add_attachment(ATTACHMENT, maintype="application", subtype="pdf", filename="a.pdf")
    return message_id, message.as_bytes()


async def _contacts(pool: asyncpg.Pool, run: str, count: int) -> None:
    async with transaction(pool) as conn:
        repo = ContactRepository(conn, TENANT)
        for i in range(count):
            await repo.create(f"c{i}-{run}@bench.test", client_id=demo_client_id(TENANT))


async def _send_all(stack: _Stack, mails: list[tuple[str, bytes]], clients: int,
                    rate: float) -> dict[str, float]:  # fmt: skip
    """Deliver over SMTP; returns each Message-ID's accept time (perf_counter)."""
    accepted: dict[str, float] = {}
    queue: asyncio.Queue[tuple[int, str, bytes]] = asyncio.Queue()
    for i, (message_id, raw) in enumerate(mails):
        queue.put_nowait((i, message_id, raw))
    began = time.perf_counter()

    async def client() -> None:
        smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=stack.smtp_port, timeout=60)
        await smtp.connect()
        while not queue.empty():
            i, message_id, raw = queue.get_nowait()
            if rate:
                await asyncio.sleep(max(0.0, began + i / rate - time.perf_counter()))
            await smtp.sendmail("mta@bench.test", [stack.mailbox], raw)
            accepted[message_id] = time.perf_counter()
        await smtp.quit()

    await asyncio.gather(*(client() for _ in range(clients)))
    return accepted


async def _watch(pool: asyncpg.Pool, ids: list[str], timeout_s: float) -> dict[str, float]:
    """Poll until every run of ``ids`` is final; returns when each was first seen final."""
    seen: dict[str, float] = {}
    deadline = time.perf_counter() + timeout_s
    while len(seen) < len(ids):
        if time.perf_counter() > deadline:
            raise RuntimeError(f"only {len(seen)} of {len(ids)} runs final in {timeout_s} s")
        pending = [i for i in ids if i not in seen]
        rows = await pool.fetch(
            """SELECT correlation_key FROM workflow_runs WHERE tenant_id = $1
               AND correlation_key = ANY($2) AND status IN ('SUCCEEDED', 'FAILED', 'CANCELED')""",
            TENANT, pending,
        )  # fmt: skip
        now = time.perf_counter()
        seen.update({r["correlation_key"]: now for r in rows})
        await asyncio.sleep(POLL_S)
    return seen


def _p99(values: list[float]) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[98]


async def _phase(stack: _Stack, count: int, clients: int, rate: float) -> dict[str, Any]:
    run = uuid.uuid4().hex[:8]
    await _contacts(stack.pool, run, count)
    mails = [_message(i, stack.mailbox, run) for i in range(count)]
    ids = [m for m, _ in mails]
    watcher = asyncio.ensure_future(_watch(stack.pool, ids, 600))
    accepted = await _send_all(stack, mails, clients, rate)
    done = await watcher
    latencies = sorted(done[i] - accepted[i] for i in ids)
    states = dict(await stack.pool.fetch(
        """SELECT state, count(*) FROM workflow_runs WHERE tenant_id = $1
           AND correlation_key = ANY($2) GROUP BY state""", TENANT, ids))  # fmt: skip
    span = max(done.values()) - min(accepted.values())
    return {
        "emails": count, "clients": clients, "rate_asked": rate, "states": states,
        "emails_per_s": round(count / span, 1), "wall_s": round(span, 2),
        "smtp_accept_per_s": round(count / (max(accepted.values()) - min(accepted.values())), 1),
        "latency_p50_ms": round(statistics.median(latencies) * 1000, 1),
        "latency_p99_ms": round(_p99(latencies) * 1000, 1),
        "latency_max_ms": round(latencies[-1] * 1000, 1),
    }  # fmt: skip


def _env(dsn: str, kafka: str, topics: Topics, sink_port: int) -> dict[str, str]:
    names = ("WF_INTERPRETER_PORT", "WF_SCHEDULER_PORT", "WF_INGEST_PORT", "WF_SMTP_LISTEN_PORT")
    ports = {var: str(free_port()) for var in names}
    return {**os.environ, "WF_DATABASE_URL": dsn, "PYTHONPATH": str(ROOT),
            "WF_KAFKA_BOOTSTRAP_SERVERS": kafka, "WF_LOG_LEVEL": "WARNING",
            "WF_TOPIC_PREFIX": topics.events.removesuffix("events"),
            "WF_SMTP_HOST": "127.0.0.1", "WF_SMTP_PORT": str(sink_port), **ports}  # fmt: skip


async def _seed(pool: asyncpg.Pool) -> None:
    registry = create_registry()
    load_plugins("", registry, ActionHandlers())
    async with transaction(pool) as conn:
        await seed_tenant(conn, TENANT, registry.freeze(), datetime.now(UTC))


async def bench(emails: int, clients: int, rate: float, seconds: float) -> dict[str, Any]:
    settings = load_settings()
    assert settings.database_url, "no database: run sluice dev or set WF_DATABASE_URL"
    assert settings.kafka_bootstrap_servers, "no Kafka: run sluice dev or set WF_*"
    name, dsn = await _fresh_database(settings.database_url)
    topics = Topics.from_prefix(f"benchmail{uuid.uuid4().hex[:8]}.")
    await ensure_topics(settings.kafka_bootstrap_servers, topics, settings.topic_partitions)
    await upgrade(dsn)
    pool = await create_pool(dsn, max_size=8)
    await _seed(pool)
    sink, sink_port = _Sink(), free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=sink_port)
    controller.start()
    env = _env(dsn, settings.kafka_bootstrap_servers, topics, sink_port)
    log_dir = Path(tempfile.mkdtemp(prefix="sluice-email-bench-"))  # service logs, kept
    procs = [_spawn(m, env, log_dir / f"{m}.log")
             for m in ("sluice_interpreter", "sluice_scheduler", "sluice_ingest")]  # fmt: skip
    try:
        for var in ("WF_INTERPRETER_PORT", "WF_SCHEDULER_PORT", "WF_INGEST_PORT"):
            await _ready(int(env[var]))
        stack = _Stack(pool, int(env["WF_SMTP_LISTEN_PORT"]), inbound_address(TENANT))
        await _phase(stack, 50, clients, 0)  # warm-up
        peak = await _phase(stack, emails, clients, 0)
        steady_rate = rate or max(1.0, round(peak["emails_per_s"] / 2))
        steady = await _phase(stack, int(steady_rate * seconds), clients, steady_rate)
        await asyncio.sleep(2)  # let the sender drain the last acknowledgements
        acks = sink.received
    finally:
        for proc in procs:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(20)
        controller.stop()
        await pool.close()
        await _drop_database(settings.database_url, name)
    # compared across runs (issue 14): peak emails/s, p99 at the steady rate, SMTP accept
    return {"emails_per_s": peak["emails_per_s"], "p99_ms": steady["latency_p99_ms"],
            "smtp_accept_per_s": peak["smtp_accept_per_s"],
            "peak": peak, "steady": steady, "acks_delivered": acks, "logs": str(log_dir),
            "machine": platform.node(), "cpus": os.cpu_count(),
            "at": datetime.now(UTC).isoformat()}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--emails", type=int, default=600)
    parser.add_argument("--clients", type=int, default=16, help="concurrent SMTP connections")
    parser.add_argument("--rate", type=float, default=0.0, help="steady rate; 0 = half of peak")
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    result = asyncio.run(bench(args.emails, args.clients, args.rate, args.seconds))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
