"""Engine fixtures: a test registry (plugin actions), a hand-moved clock, the pump."""

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


@pytest.fixture
async def pump(pool: asyncpg.Pool, tenant_id: str, topic_prefix: str, clock: Clock) -> Pump:
    await ensure_rows_table(pool)
    registry, handlers = make_registry()
    topics = Topics.from_prefix(topic_prefix)
    ctx = EngineContext(registry=registry, topics=topics, clock=clock)
    return Pump(pool, ctx, handlers, tenant_id, topics)
