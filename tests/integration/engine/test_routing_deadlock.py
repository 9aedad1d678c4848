"""Event-key locks are taken in one order: concurrent routing and wait registration
never deadlock in PostgreSQL, and every event is still routed exactly once.

Before the fix, routing took its event's key lock first and the key locks of
the waits its triggered runs registered as they came: ``ORDER:k`` (whose run
waits for ``PAY:k``) against ``PAY:k`` (whose run waits for ``ORDER:k``), or two
``E`` events whose two runs wait on payload keys x, y and y, x, took two keys
in opposite orders. A batch of advances registering waits did the same.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import asyncpg
import pytest
from engine_harness import Clock, make_registry, publish
from sluice_engine import (
    EngineContext,
    PendingCommand,
    StartOptions,
    apply_commands,
    command_of,
    route_event,
    start_run,
)
from sluice_messaging.envelope import from_wire
from sluice_messaging.topics import Topics
from sluice_storage import NewEvent, create_pool, transaction, upgrade

pytestmark = pytest.mark.integration
FreshDatabase = Callable[[], Awaitable[str]]

ROUNDS = 6
KEYS = [f"key-{i}" for i in range(4)]  # few keys: many collisions per round
RUNS = 16  # advanced per round, in batches of 4


def waiting(name: str, waits: list[tuple[str, str]], trigger: str | None = None) -> dict[str, Any]:
    steps = [
        {"id": f"wait{i}", "type": "event.wait",
         "config": {"eventName": event, "correlationKey": {"$expr": key}}}
        for i, (event, key) in enumerate(waits)
    ]  # fmt: skip
    doc: dict[str, Any] = {"name": name, "steps": steps}
    if trigger:
        doc["trigger"] = {"type": "event", "eventName": trigger}
    return doc


@pytest.fixture
async def wide_pool(fresh_database: FreshDatabase) -> AsyncIterator[asyncpg.Pool]:
    """A database of its own (its deadlock counter counts only this test) and 16
    connections: enough concurrent transactions to cross the locks."""
    url = await fresh_database()
    await upgrade(url)
    created = await create_pool(url, min_size=16, max_size=16)
    yield created
    await created.close()


@pytest.fixture
def ctx(topic_prefix: str) -> EngineContext:
    registry, _ = make_registry()
    return EngineContext(registry=registry, topics=Topics.from_prefix(topic_prefix), clock=Clock())


async def deadlocks(pool: asyncpg.Pool, *, settle: bool = True) -> int:
    """This database's deadlock counter (backends report it when they go idle)."""
    if settle:  # PostgreSQL flushes a backend's counters at most once a second
        await asyncio.sleep(1.1)
    async with pool.acquire() as conn:
        await conn.execute("SELECT pg_stat_clear_snapshot()")
        sql = "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
        return int(await conn.fetchval(sql))


async def no_deadlock(work: list[Awaitable[Any]]) -> list[Any]:
    """Run ``work`` concurrently; a deadlock fails the test (nothing retries it here)."""
    results = await asyncio.gather(*work, return_exceptions=True)
    failed = [r for r in results if isinstance(r, BaseException)]
    assert not [f for f in failed if isinstance(f, asyncpg.exceptions.DeadlockDetectedError)]
    assert not failed, failed[0]
    return results


async def test_concurrent_routing_and_wait_registration_do_not_deadlock(
    wide_pool: asyncpg.Pool, ctx: EngineContext, tenant_id: str
) -> None:
    pool, rng = wide_pool, random.Random(18)
    for doc in (
        waiting("order", [("PAY", "payload.k")], trigger="ORDER"),
        waiting("pay", [("ORDER", "payload.k")], trigger="PAY"),
        waiting("by-x", [("A", "payload.x")], trigger="E"),
        waiting("by-y", [("A", "payload.y")], trigger="E"),
    ):
        await publish(pool, tenant_id, doc)
    waiter = await publish(pool, tenant_id, waiting("waiter", [("A", "payload.x")]))
    before = await deadlocks(pool, settle=False)  # a new database

    async def send(name: str, key: str, payload: dict[str, Any]) -> None:
        event = NewEvent(uuid.uuid4(), name, key, payload, ctx.clock())
        async with transaction(pool) as conn:
            await route_event(conn, ctx, tenant_id, event)

    async def wait_on(key: str) -> None:
        async with transaction(pool) as conn:
            await start_run(conn, ctx, tenant_id, waiter, {"x": key}, StartOptions())

    sent = {"ORDER": 0, "PAY": 0, "E": 0, "A": 0}
    for round_ in range(ROUNDS):
        work: list[Awaitable[None]] = []
        for i in range(6):
            x, y = rng.sample(KEYS, 2)
            work.append(send("E", f"e-{round_}-{i}", {"x": x, "y": y}))
            k = f"k-{round_}-{i % 3}"
            work += [send("ORDER", k, {"k": k}), send("PAY", k, {"k": k})]
            work += [wait_on(rng.choice(KEYS)), send("A", rng.choice(KEYS), {})]
        rng.shuffle(work)
        await no_deadlock(work)
        for name in ("E", "ORDER", "PAY", "A"):
            sent[name] += 6
    assert await deadlocks(pool) == before
    await assert_routed_exactly_once(pool, tenant_id, sent)


async def assert_routed_exactly_once(
    pool: asyncpg.Pool, tenant_id: str, sent: dict[str, int]
) -> None:
    async with pool.acquire() as conn:
        events = await conn.fetch("SELECT * FROM events WHERE tenant_id = $1", tenant_id)
        waits = await conn.fetch("SELECT * FROM run_waits WHERE tenant_id = $1", tenant_id)
        triggered = await conn.fetchval(
            """SELECT count(*) FROM workflow_runs
               WHERE tenant_id = $1 AND trigger_event_id IS NOT NULL""",
            tenant_id,
        )
    per_event = {"E": 2, "ORDER": 1, "PAY": 1, "A": 0}
    assert sorted(e["event_name"] for e in events) == sorted(
        n for n, c in sent.items() for _ in range(c)
    )
    for event in events:
        assert len(event["started_run_ids"]) == per_event[event["event_name"]]
    assert triggered == sum(c * per_event[n] for n, c in sent.items())
    resolved = [w for w in waits if w["status"] == "RESOLVED"]
    # Per k: two ORDER events start two runs waiting for PAY:k, and the other way round.
    assert all(e["matched"] for e in events if e["event_name"] in ("ORDER", "PAY"))
    by_event = {w["resolution"]["eventId"]: w["run_id"] for w in resolved}
    assert len(by_event) == len(resolved)  # no event resumed two waits
    matched = {str(e["event_id"]): e["resumed_run_id"] for e in events if e["matched"]}
    assert matched == by_event  # each matched event resumed exactly its one wait
    # No lost wake-up: an open wait has no unmatched event on its key it could take.
    for wait in (w for w in waits if w["status"] == "OPEN"):
        takeable = [
            e for e in events if not e["matched"] and e["event_name"] == wait["event_name"]
            and e["correlation_key"] == wait["correlation_key"]
            and wait["run_id"] not in e["started_run_ids"]
        ]  # fmt: skip
        assert not takeable, (wait["wait_id"], takeable[0]["event_id"])


async def test_batches_registering_waits_on_crossed_keys_do_not_deadlock(
    wide_pool: asyncpg.Pool, ctx: EngineContext, tenant_id: str
) -> None:
    """Batches of advances (the interpreter's path): in each, runs go on to wait on
    keys a, b, a, b; every other batch in the opposite order."""
    pool = wide_pool
    doc = waiting("two-waits", [("GO", "payload.id"), ("A", "payload.next")])
    workflow_id = await publish(pool, tenant_id, doc)
    before = await deadlocks(pool, settle=False)  # a new database
    for round_ in range(ROUNDS):
        pairs = [(f"r{round_}-{i}", KEYS[i % 2]) for i in range(RUNS)]
        for run_key, next_key in pairs:
            async with transaction(pool) as conn:
                payload = {"id": run_key, "next": next_key}
                await start_run(conn, ctx, tenant_id, workflow_id, payload, StartOptions())
        for run_key, _ in pairs:
            async with transaction(pool) as conn:
                event = NewEvent(uuid.uuid4(), "GO", run_key, {}, ctx.clock())
                assert (await route_event(conn, ctx, tenant_id, event)).resumed_run_id
        resumes = await take_commands(pool, ctx, tenant_id)
        assert len(resumes) == RUNS
        batches = [resumes[i : i + 4] for i in range(0, RUNS, 4)]
        await no_deadlock(
            [apply(pool, ctx, b if i % 2 else b[::-1]) for i, b in enumerate(batches)]
        )
    assert await deadlocks(pool) == before
    async with pool.acquire() as conn:
        open_waits = await conn.fetchval(
            """SELECT count(*) FROM run_waits
               WHERE tenant_id = $1 AND status = 'OPEN' AND event_name = 'A'""",
            tenant_id,
        )
    assert open_waits == ROUNDS * RUNS


async def apply(pool: asyncpg.Pool, ctx: EngineContext, batch: list[PendingCommand]) -> None:
    async with transaction(pool) as conn:
        await apply_commands(conn, ctx, batch)


async def take_commands(
    pool: asyncpg.Pool, ctx: EngineContext, tenant_id: str
) -> list[PendingCommand]:
    """This tenant's unsent run commands, oldest first (as the interpreter polls them)."""
    async with transaction(pool) as conn:
        rows = await conn.fetch(
            """UPDATE outbox SET sent_at = now() WHERE tenant_id = $1 AND sent_at IS NULL
               AND topic = $2 RETURNING id, payload""",
            tenant_id, ctx.topics.run_commands,
        )  # fmt: skip
    envelopes = [from_wire(r["payload"]) for r in sorted(rows, key=lambda r: r["id"])]
    return [PendingCommand(e.tenant_id, str(e.run_id), command_of(e)) for e in envelopes]
