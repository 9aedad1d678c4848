"""Ingest fixtures: the real intake on the migrated PostgreSQL, the real HTTP app
(httpx ASGI transport) and the real SMTP listener on an ephemeral port.

Every test gets a fresh tenant with its own mailbox (``mailbox``) and a fresh
topic prefix, so its outbox rows are found by topic name, never by teardown.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import asyncpg
import httpx
import pytest
from ingest_samples import TEST_MAX_EMAIL_BYTES
from sluice_config import Settings
from sluice_helpdesk import ProviderRepository
from sluice_ingest.app import build_context, create_app
from sluice_ingest.context import IngestContext
from sluice_ingest.smtp import SmtpListener
from sluice_storage import TokenRepository, transaction

TokenFactory = Callable[..., Awaitable[str]]


@pytest.fixture
async def ingest_context(
    pool: asyncpg.Pool, migrated_database_url: str, topic_prefix: str
) -> IngestContext:
    settings = Settings(
        database_url=migrated_database_url, kafka_bootstrap_servers="-",
        topic_prefix=topic_prefix, max_email_bytes=TEST_MAX_EMAIL_BYTES,
    )  # fmt: skip
    context = build_context(settings)
    context.pool = pool
    return context


@pytest.fixture
async def ingest_http(ingest_context: IngestContext) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(ingest_context.settings, context=ingest_context)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://ingest") as client:
        yield client


@pytest.fixture
async def smtp_port(ingest_context: IngestContext) -> AsyncIterator[int]:
    listener = SmtpListener(ingest_context, "127.0.0.1", 0)
    await listener.start()
    yield listener.port
    await listener.stop()


@pytest.fixture
async def mailbox(pool: asyncpg.Pool, tenant_id: str) -> str:
    """A fresh inbound address routed to provider ``prov-1`` of this test's tenant."""
    address = f"support-{uuid.uuid4().hex[:10]}@acme.example"
    async with pool.acquire() as conn:
        await ProviderRepository(conn, tenant_id).save("prov-1", address, None)
    return address


@pytest.fixture
async def ingest_token(pool: asyncpg.Pool, tenant_id: str) -> TokenFactory:
    async def issue(role: str = "workflow.manage", *, tenant: str | None = None) -> str:
        async with transaction(pool) as conn:
            issued = await TokenRepository(conn, tenant or tenant_id).create(
                subject="ingest-test", role=role, now=dt.datetime.now(dt.UTC)
            )
        return issued.token

    return issue
