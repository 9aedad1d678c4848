"""Integration fixtures for storage and messaging, on top of the shared stack fixtures.

``migrated_database_url`` applies the packaged migrations once per session;
tests then isolate by a fresh ``tenant_id`` and ``topic_prefix``, never by
teardown. ``fresh_database`` makes an empty database for migration tests.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from sluice_storage import create_pool, upgrade

FreshDatabase = Callable[[], Awaitable[str]]


def with_database(dsn: str, name: str) -> str:
    """The same server DSN pointing at database ``name``."""
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path="/" + name))


@pytest.fixture(scope="session")
async def migrated_database_url(database_url: str) -> str:
    await upgrade(database_url)
    return database_url


@pytest.fixture(scope="session")
async def pool(migrated_database_url: str) -> AsyncIterator[asyncpg.Pool]:
    created = await create_pool(migrated_database_url, max_size=8)
    yield created
    await created.close()


@pytest.fixture
async def fresh_database(database_url: str) -> AsyncIterator[FreshDatabase]:
    """Factory of empty databases on the test server (dropped afterwards)."""
    names: list[str] = []

    async def make() -> str:
        name = f"sluice_test_{uuid.uuid4().hex[:12]}"
        conn = await asyncpg.connect(database_url)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        names.append(name)
        return with_database(database_url, name)

    yield make
    conn = await asyncpg.connect(database_url)
    try:
        for name in names:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()
