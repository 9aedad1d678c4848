"""Engine fixtures: a test registry (plugin actions), a hand-moved clock, the pump
(one-by-one and batched)."""

from __future__ import annotations

import asyncpg
import pytest
from engine_harness import Clock, Pump, ensure_rows_table, make_registry
from sluice_engine import EngineContext
from sluice_messaging.topics import Topics

pytestmark = pytest.mark.integration


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=[False, True], ids=["one-by-one", "batched"])
async def pump(
    request: pytest.FixtureRequest, pool: asyncpg.Pool, tenant_id: str, topic_prefix: str,
    clock: Clock,
) -> Pump:  # fmt: skip
    """Every engine scenario twice: commands applied one per transaction, and a
    round's commands applied together the way the interpreter applies a batch."""
    await ensure_rows_table(pool)
    registry, handlers = make_registry()
    topics = Topics.from_prefix(topic_prefix)
    ctx = EngineContext(registry=registry, topics=topics, clock=clock)
    return Pump(pool, ctx, handlers, tenant_id, topics, bulk=request.param)
