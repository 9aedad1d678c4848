"""Faust's per-message floor: how fast the interpreter's Faust setup consumes, doing nothing.

Produces ``--messages`` command-sized records (~600 bytes, keyed by 1,000 run
ids) to a fresh ``run-commands`` topic, then runs a Faust worker built exactly
like the interpreter's (``sluice_interpreter.app._faust_app``: same consumer
settings, the 20 ms fetch long poll, ``take_events(500, within=0.02)``,
``concurrency=1``) whose agent only counts. Reports messages/s and CPU
microseconds per message from the first batch to the last: the cost of Faust
and aiokafka alone, before any database work.

    uv run python -m bench.faust_floor [--messages 50000]

Writes bench/results/faust_floor.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from sluice_config import load_settings
from sluice_messaging.admin import ensure_topics
from sluice_messaging.producer import OutgoingMessage, create_producer, publish_many
from sluice_messaging.topics import Topics

RESULTS = Path(__file__).parent / "results" / "faust_floor.json"
VALUE = json.dumps({"v": 1, "type": "run.command", "body": {"pad": "x" * 480}}).encode()


async def _produce(bootstrap: str, topic: str, count: int) -> None:
    producer = create_producer(bootstrap)
    await producer.start()
    try:
        for start in range(0, count, 5000):
            batch = [OutgoingMessage(topic, VALUE, f"run-{i % 1000}".encode())
                     for i in range(start, min(count, start + 5000))]  # fmt: skip
            await publish_many(producer, batch)
    finally:
        await producer.stop()


def _finish(seen: dict[str, Any], out: str) -> None:
    took, cpu = time.perf_counter() - seen["t0"], time.process_time() - seen["cpu0"]
    figures = {"messages": seen["n"], "seconds": took, "cpu_s": cpu, "batches": seen["batches"]}
    Path(out).write_text(json.dumps(figures))
    os._exit(0)  # the figure is written; no need for Faust's slow shutdown


def consume(count: int, out: str) -> None:
    """Child process: a Faust worker like the interpreter's, counting ``count`` records."""
    import faust
    from sluice_interpreter.app import BATCH_MAX, BATCH_WITHIN_S, _faust_app

    settings = load_settings()
    app = _faust_app(settings, "floor", settings.interpreter_port)
    topic = app.topic(f"{settings.topic_prefix}run-commands", key_serializer="raw",
                      value_serializer="raw")  # fmt: skip
    seen: dict[str, Any] = {"n": 0, "batches": 0}

    async def agent(stream: Any) -> AsyncIterator[None]:
        async for events in stream.take_events(BATCH_MAX, within=BATCH_WITHIN_S):
            if not seen["n"]:
                seen["t0"], seen["cpu0"] = time.perf_counter(), time.process_time()
            seen["n"] += len(events)
            seen["batches"] += 1
            if seen["n"] >= count:
                _finish(seen, out)
            yield None

    app.agent(topic, name="floor", concurrency=1, sink=None)(agent)
    worker = faust.Worker(app, loglevel="WARNING", quiet=True)
    worker.spinner = None  # as the interpreter: no root logger at DEBUG
    worker.execute_from_commandline()


async def _prepare(bootstrap: str, partitions: int, count: int) -> str:
    """Fresh topics with ``count`` records on run-commands; returns their prefix."""
    prefix = f"floor{uuid.uuid4().hex[:8]}."
    topics = Topics.from_prefix(prefix)
    await ensure_topics(bootstrap, topics, partitions)
    await _produce(bootstrap, topics.run_commands, count)
    return prefix


def bench(count: int) -> dict[str, Any]:
    settings = load_settings()
    assert settings.kafka_bootstrap_servers, "no Kafka: run sluice dev or set WF_*"
    prefix = asyncio.run(
        _prepare(settings.kafka_bootstrap_servers, settings.topic_partitions, count)
    )
    env = {**os.environ, "WF_TOPIC_PREFIX": prefix, "WF_INTERPRETER_PORT": "18190",
           "WF_KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers}  # fmt: skip
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        child = [sys.executable, "-m", "bench.faust_floor", "--consume", str(count),
                 "--out", out.name]  # fmt: skip
        subprocess.run(child, env=env, check=True, timeout=600, stdout=subprocess.DEVNULL)
        measured = json.loads(Path(out.name).read_text())
    n = measured["messages"]
    return {**measured, "messages_per_s": round(n / measured["seconds"]),
            "cpu_us_per_message": round(1e6 * measured["cpu_s"] / n, 1),
            "per_batch": round(n / measured["batches"], 1), "load_1m": os.getloadavg()[0],
            "partitions": settings.topic_partitions}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--consume", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args()
    if args.consume:
        consume(args.consume, args.out)
        return
    result = bench(args.messages)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
