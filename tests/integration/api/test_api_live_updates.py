"""``GET /workflow-runs/updates`` (server-sent events) on the real Kafka, over real HTTP.

The API runs in uvicorn on a free port (an in-process ASGI transport would buffer
the endless response); updates are published to this module's own
``wf.run-updates`` exactly as the outbox relay publishes them (envelope, run id key).
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import uvicorn
from aiokafka import AIOKafkaProducer
from sluice_api.app import create_app
from sluice_api.live import RunUpdateHub, format_position
from sluice_config import Settings
from sluice_devstack.ports import free_port
from sluice_engine.messages import run_update_message
from sluice_messaging.admin import ensure_topics
from sluice_messaging.envelope import encode
from sluice_messaging.topics import Topics

TokenFactory = Callable[..., Awaitable[str]]

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Event:
    event: str
    id: str
    data: dict[str, Any]


@pytest.fixture(scope="module")
async def live_topics(kafka_bootstrap_servers: str) -> Topics:
    topics = Topics.from_prefix(f"live{uuid.uuid4().hex}.")
    await ensure_topics(kafka_bootstrap_servers, topics, 2)
    return topics


@pytest.fixture(scope="module")
async def base_url(
    migrated_database_url: str, kafka_bootstrap_servers: str, live_topics: Topics
) -> AsyncIterator[str]:
    settings = Settings(
        database_url=migrated_database_url,
        kafka_bootstrap_servers=kafka_bootstrap_servers,
        topic_prefix=live_topics.events.removesuffix("events"),
    )
    port = free_port()
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    await until(lambda: server.started, "the server to start")
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


async def until(check: Callable[[], bool], what: str, timeout_s: float = 20) -> None:
    for _ in range(int(timeout_s / 0.05)):
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


async def publish(
    producer: AIOKafkaProducer, topics: Topics, tenant: str, run_id: str, n: int, *,
    wait: bool = True, **body: Any,
) -> asyncio.Future[Any]:  # fmt: skip
    """Send one update as the relay would; ``wait=False`` returns the delivery future."""
    message = run_update_message(
        topics, tenant, run_id, {"runId": run_id, "status": "RUNNING", "n": n, **body},
        datetime.now(UTC),
    )  # fmt: skip
    sent: asyncio.Future[Any] = await producer.send(
        message.topic, encode(message.message), key=run_id.encode()
    )
    if wait:
        await sent
    return sent


async def events(response: httpx.Response) -> AsyncIterator[Event]:
    """Parse a ``text/event-stream`` body (comment lines are skipped)."""
    fields: dict[str, str] = {}
    async for line in response.aiter_lines():
        if line == "":
            if "event" in fields:
                yield Event(fields["event"], fields.get("id", ""), json.loads(fields["data"]))
            fields = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(": ")
            fields[name] = value


async def collect(stream: AsyncIterator[Event], count: int, timeout_s: float = 20) -> list[Event]:
    got: list[Event] = []

    async def read() -> None:
        async for event in stream:
            got.append(event)
            if len(got) == count:
                return

    try:
        await asyncio.wait_for(read(), timeout_s)
    except TimeoutError:
        raise AssertionError(f"{len(got)} of {count} events after {timeout_s} s: {got}") from None
    return got


def client(base_url: str, token: str | None) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.AsyncClient(base_url=base_url, headers=headers, timeout=30)


async def test_updates_stream_only_the_tenants_runs(
    base_url: str, token_factory: TokenFactory, producer: AIOKafkaProducer, live_topics: Topics,
    tenant_id: str,
) -> None:  # fmt: skip
    other = f"t-{uuid.uuid4().hex[:12]}"
    mine, theirs = str(uuid.uuid4()), str(uuid.uuid4())
    async with (
        client(base_url, await token_factory("workflow.view")) as http,
        http.stream("GET", "/workflow-runs/updates") as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-cache"
        assert response.headers["x-accel-buffering"] == "no"
        stream = events(response)
        [ready] = await collect(stream, 1)
        assert ready.event == "ready"
        await publish(producer, live_topics, other, theirs, 1)
        await publish(producer, live_topics, tenant_id, mine, 2, status="SUCCEEDED")
        await publish(producer, live_topics, other, theirs, 3)
        await publish(producer, live_topics, tenant_id, mine, 4)
        got = await collect(stream, 2)
    assert [(e.event, e.data["runId"], e.data["n"]) for e in got] == [
        ("update", mine, 2), ("update", mine, 4)
    ]  # fmt: skip
    assert got[0].data["status"] == "SUCCEEDED"
    assert got[0].data["type"] == "run.update"


async def test_updates_refused_without_or_with_a_bad_token(base_url: str) -> None:
    for token in (None, "slc_not-a-token"):
        async with client(base_url, token) as http:
            response = await http.get("/workflow-runs/updates")
        assert response.status_code == 401, token
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "UNAUTHENTICATED"


async def test_updates_refuse_a_malformed_last_event_id(
    base_url: str, token_factory: TokenFactory
) -> None:
    async with client(base_url, await token_factory("workflow.view")) as http:
        response = await http.get("/workflow-runs/updates", headers={"Last-Event-ID": "12;drop"})
    assert response.status_code == 400
    assert "is not a position" in response.json()["detail"]


async def test_updates_resume_after_disconnect_with_last_event_id(
    base_url: str, token_factory: TokenFactory, producer: AIOKafkaProducer, live_topics: Topics,
    tenant_id: str,
) -> None:  # fmt: skip
    runs = [str(uuid.uuid4()) for _ in range(4)]  # spread over both partitions
    async with client(base_url, await token_factory("workflow.view")) as http:
        async with http.stream("GET", "/workflow-runs/updates") as response:
            stream = events(response)
            await collect(stream, 1)
            for n, run in enumerate(runs):
                await publish(producer, live_topics, tenant_id, run, n)
            seen = await collect(stream, 4)
        last_id = seen[1].id  # pretend the client only processed the first two
        for n, run in enumerate(runs, start=4):  # published while nobody listens
            await publish(producer, live_topics, tenant_id, run, n)
        headers = {"Last-Event-ID": last_id}
        async with http.stream("GET", "/workflow-runs/updates", headers=headers) as response:
            stream = events(response)
            [ready] = await collect(stream, 1)
            resumed = await collect(stream, 6)
    assert ready.id == last_id
    assert sorted(e.data["n"] for e in resumed) == [2, 3, 4, 5, 6, 7]  # none lost, none twice
    for run in runs:  # per run, in the order published
        ns = [e.data["n"] for e in seen[:2] + resumed if e.data["runId"] == run]
        assert ns == sorted(ns)


async def test_updates_for_one_run_none_lost_at_200_per_second(
    base_url: str, token_factory: TokenFactory, producer: AIOKafkaProducer, live_topics: Topics,
    tenant_id: str,
) -> None:  # fmt: skip
    run, noise = str(uuid.uuid4()), str(uuid.uuid4())
    # 3 s at 200 updates/s, in bursts of 10 every 50 ms (one pause per burst keeps the
    # pace on a busy machine; sends in order, not gathered: one run's order is the point),
    # another run's update in every burst
    total, rate, burst = 600, 200.0, 10
    async with (
        client(base_url, await token_factory("workflow.view")) as http,
        http.stream("GET", "/workflow-runs/updates", params={"runId": run}) as response,
    ):
        stream = events(response)
        await collect(stream, 1)
        received = asyncio.create_task(collect(stream, total, timeout_s=60))
        started, deliveries = time.monotonic(), []
        for first in range(0, total, burst):
            for n in range(first, first + burst):
                sent = await publish(producer, live_topics, tenant_id, run, n, wait=False)
                deliveries.append(sent)
            await publish(producer, live_topics, tenant_id, noise, first, wait=False)
            pace = started + (first + burst) / rate - time.monotonic()
            await asyncio.sleep(max(0.0, pace))
        elapsed = time.monotonic() - started
        await asyncio.gather(*deliveries)
        got = await received
    assert elapsed < total / rate * 1.5, f"published too slowly to test the rate: {elapsed:.1f} s"
    assert [e.data["n"] for e in got] == list(range(total))
    assert {e.data["runId"] for e in got} == {run}


async def test_hub_catches_up_from_kafka_after_the_ring_turned_over(
    kafka_bootstrap_servers: str, producer: AIOKafkaProducer, tenant_id: str
) -> None:
    topics = Topics.from_prefix(f"ring{uuid.uuid4().hex}.")
    await ensure_topics(kafka_bootstrap_servers, topics, 2)
    hub = RunUpdateHub(kafka_bootstrap_servers, topics.run_updates, capacity=5, max_catch_up=30)
    try:
        await hub.start()
        start = hub.position
        runs = [str(uuid.uuid4()) for _ in range(3)]
        for n in range(24):  # far more than the ring holds
            await publish(producer, topics, tenant_id, runs[n % 3], n)
        await until(lambda: sum(hub.position) == sum(start) + 24, "the hub to read 24")
        updates = hub.subscribe(tenant_id, None, start)
        got = [await anext(updates) for _ in range(25)]
        assert got[0].event == "ready"
        assert hub.catch_ups == 1
        assert sorted(json.loads(s.data)["n"] for s in got[1:]) == list(range(24))
        assert got[-1].position == hub.position
        await updates.aclose()
        for n in range(24, 60):  # now a gap larger than max_catch_up
            await publish(producer, topics, tenant_id, runs[0], n)
        await until(lambda: sum(hub.position) == sum(start) + 60, "the hub to read 60")
        updates = hub.subscribe(tenant_id, None, got[-1].position)
        ready, resync = await anext(updates), await anext(updates)
        assert ready.event == "ready"
        assert resync.event == "resync"
        assert resync.position == hub.position
        # 36 updates since, the ring still holds the last 5: 31 were beyond it
        assert json.loads(resync.data) == {"missed": 31}
        assert hub.resyncs == 1
        assert format_position(resync.position).count(".") == 1
        await updates.aclose()
    finally:
        await hub.stop()
