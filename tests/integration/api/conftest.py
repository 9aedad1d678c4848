"""API test fixtures: the real app (``create_app``) on the real, migrated PostgreSQL,
driven in-process through httpx's ASGI transport. Every test gets a fresh tenant;
``token_factory`` issues bearer tokens exactly as ``sluice tokens create`` does."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sluice_api.app import create_app
from sluice_config import Settings
from sluice_storage import TokenRepository, transaction

TokenFactory = Callable[..., Awaitable[str]]
ClientFactory = Callable[[str | None], httpx.AsyncClient]


@pytest.fixture(scope="session")
async def api_app(migrated_database_url: str) -> AsyncIterator[FastAPI]:
    app = create_app(Settings(database_url=migrated_database_url, kafka_bootstrap_servers="-"))
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def token_factory(pool: asyncpg.Pool, tenant_id: str) -> TokenFactory:
    async def issue(
        role: str = "workflow.admin",
        *,
        tenant: str | None = None,
        subject: str = "tester",
        expires_at: dt.datetime | None = None,
    ) -> str:
        async with transaction(pool) as conn:
            issued = await TokenRepository(conn, tenant or tenant_id).create(
                subject=subject, role=role, now=dt.datetime.now(dt.UTC), expires_at=expires_at
            )
        return issued.token

    return issue


@pytest.fixture
async def client_factory(api_app: FastAPI) -> AsyncIterator[ClientFactory]:
    clients: list[httpx.AsyncClient] = []

    def make(token: str | None) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        # raise_app_exceptions=False: a 500 must reach the test as a response.
        transport = httpx.ASGITransport(app=api_app, raise_app_exceptions=False)
        client = httpx.AsyncClient(transport=transport, base_url="http://api", headers=headers)
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


@pytest.fixture
async def admin(client_factory: ClientFactory, token_factory: TokenFactory) -> httpx.AsyncClient:
    """A client of this test's tenant with the highest role."""
    return client_factory(await token_factory("workflow.admin"))


@pytest.fixture(scope="session")
async def live_api(migrated_database_url: str) -> AsyncIterator[str]:
    """The real app served by uvicorn on a free port (for clients that need a real HTTP
    server, such as the ``sluice`` operator commands); its base URL."""
    import asyncio

    import uvicorn
    from sluice_devstack.ports import free_port

    settings = Settings(database_url=migrated_database_url, kafka_bootstrap_servers="-")
    port = free_port()
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    for _ in range(400):
        if server.started or task.done():
            break
        await asyncio.sleep(0.05)
    assert server.started, "the API did not start within 20 s"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task
