"""Fixtures of the outbox relay tests.

Each relay test gets its own database: the relay serves every tenant's rows,
so a shared database would let it publish (or refuse) other tests' rows.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import asyncpg
import pytest
from sluice_storage import create_pool, upgrade

FreshDatabase = Callable[[], Awaitable[str]]


@pytest.fixture
async def relay_db(fresh_database: FreshDatabase) -> AsyncIterator[tuple[str, asyncpg.Pool]]:
    dsn = await fresh_database()
    await upgrade(dsn)
    pool = await create_pool(dsn, max_size=4)
    yield dsn, pool
    await pool.close()
