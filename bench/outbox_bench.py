"""Outbox throughput: rows/s enqueued (500-row transactions) and rows/s relayed to Kafka.

Usage (with a stack from ``sluice dev`` or WF_DATABASE_URL / WF_KAFKA_BOOTSTRAP_SERVERS):

    uv run python bench/outbox_bench.py [--rows 50000] [--relays 1]

Runs in a fresh database and fresh topics (dropped / left behind respectively),
so it never publishes anyone else's outbox rows. Writes bench/results/outbox.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from sluice_config import load_settings
from sluice_engine.relay import OutboxRelay
from sluice_messaging import new_envelope
from sluice_messaging.admin import ensure_topics
from sluice_messaging.producer import create_producer
from sluice_messaging.topics import Topics
from sluice_storage import OutboxMessage, create_pool, enqueue_many, upgrade

RESULTS = Path(__file__).parent / "results" / "outbox.json"
ENQUEUE_BATCH = 500  # rows per enqueue transaction, like a busy interpreter batch
PAYLOAD = {"command": "continue", "data": "x" * 300}  # ~0.5 KiB envelopes, typical commands


async def _fresh_database(dsn: str) -> tuple[str, str]:
    name = f"sluice_bench_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return name, urlunsplit(urlsplit(dsn)._replace(path="/" + name))


async def _drop_database(dsn: str, name: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def _enqueue(pool: asyncpg.Pool, topic: str, rows: int) -> float:
    now = datetime.now(UTC)
    started = time.perf_counter()
    for offset in range(0, rows, ENQUEUE_BATCH):
        count = min(ENQUEUE_BATCH, rows - offset)
        batch = [
            OutboxMessage(topic, f"run-{(offset + i) % 1000}",
                          new_envelope("bench.command", "bench", PAYLOAD, occurred_at=now))
            for i in range(count)
        ]  # fmt: skip
        async with pool.acquire() as conn, conn.transaction():
            await enqueue_many(conn, "bench", batch)
    return rows / (time.perf_counter() - started)


async def _relay(pool: asyncpg.Pool, bootstrap: str, relays: int) -> tuple[float, int]:
    workers = [OutboxRelay(pool, lambda: create_producer(bootstrap)) for _ in range(relays)]
    try:
        for worker in workers:  # producers start outside the timing, as before
            await worker.producer.get()
        started = time.perf_counter()
        await asyncio.gather(*(w.drain() for w in workers))
        sent = sum(w.stats.relayed for w in workers)
        return sent / (time.perf_counter() - started), sent
    finally:
        for worker in workers:
            await worker.close()


async def run(rows: int, relays: int) -> dict[str, object]:
    settings = load_settings()
    if not settings.database_url or not settings.kafka_bootstrap_servers:
        raise SystemExit("set WF_DATABASE_URL and WF_KAFKA_BOOTSTRAP_SERVERS or run `sluice dev`")
    topics = Topics.from_prefix(f"bench-{uuid.uuid4().hex[:8]}.")
    await ensure_topics(settings.kafka_bootstrap_servers, topics, settings.topic_partitions)
    name, dsn = await _fresh_database(settings.database_url)
    try:
        await upgrade(dsn)
        pool = await create_pool(dsn, max_size=relays + 2)
        try:
            enqueue_rate = await _enqueue(pool, topics.run_commands, rows)
            relay_rate, sent = await _relay(pool, settings.kafka_bootstrap_servers, relays)
        finally:
            await pool.close()
    finally:
        await _drop_database(settings.database_url, name)
    return {
        "benchmark": "outbox",
        "rows": rows,
        "relayed": sent,
        "relays": relays,
        "claim_batch": 500,
        "partitions": settings.topic_partitions,
        "payload_bytes_approx": len(json.dumps(PAYLOAD)) + 200,
        "enqueue_rows_per_s": round(enqueue_rate),
        "relay_rows_per_s": round(relay_rate),
        "target_rows_per_s": 5000,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {os.cpu_count()} cpu, Python {platform.python_version()}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--relays", type=int, default=1)
    args = parser.parse_args()
    result = asyncio.run(run(args.rows, args.relays))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
