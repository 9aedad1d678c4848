"""Per-tenant rate limits on the real app: 429 problem+json with Retry-After once a
tenant's bucket is empty, other tenants untouched, a per-tenant override, the metric."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sluice_api.app import create_app
from sluice_config import Settings
from sluice_storage import TokenRepository, transaction

pytestmark = pytest.mark.integration


@pytest.fixture
async def limited_app(migrated_database_url: str, tenant_id: str) -> AsyncIterator[FastAPI]:
    settings = Settings(
        database_url=migrated_database_url, kafka_bootstrap_servers="-",
        api_rate_per_s=0.5, api_rate_burst_s=6,  # 3 requests, then one every 2 s
        api_rate_tenants={f"{tenant_id}-big": 1000},
    )  # fmt: skip
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


async def client(app: FastAPI, pool: asyncpg.Pool, tenant: str) -> httpx.AsyncClient:
    async with transaction(pool) as conn:
        issued = await TokenRepository(conn, tenant).create(
            subject="tester", role="workflow.view", now=dt.datetime.now(dt.UTC)
        )
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {issued.token}"}
    return httpx.AsyncClient(transport=transport, base_url="http://api", headers=headers)


async def test_a_tenant_over_its_rate_gets_429_with_retry_after(
    limited_app: FastAPI, pool: asyncpg.Pool, tenant_id: str
) -> None:
    async with await client(limited_app, pool, tenant_id) as api:
        statuses = [(await api.get("/workflow-runs")).status_code for _ in range(3)]
        refused = await api.get("/workflow-runs")
    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.headers["Retry-After"] == "2"
    problem = refused.json()
    assert problem["code"] == "RATE_LIMITED"
    assert tenant_id in problem["detail"]
    async with await client(limited_app, pool, f"{tenant_id}-other") as other:
        assert (await other.get("/workflow-runs")).status_code == 200  # its own bucket
    async with await client(limited_app, pool, f"{tenant_id}-big") as big:
        assert {(await big.get("/workflow-runs")).status_code for _ in range(10)} == {200}
    transport = httpx.ASGITransport(app=limited_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as anonymous:
        metrics = (await anonymous.get("/metrics")).text
    assert f'sluice_api_rate_limited_total{{tenant="{tenant_id}"}} 1.0' in metrics


async def test_the_default_limit_does_not_refuse_a_busy_console(
    api_app: FastAPI, pool: asyncpg.Pool, tenant_id: str
) -> None:
    """The default (200 a second, bursts of 2000): 300 requests back to back all pass."""
    async with await client(api_app, pool, tenant_id) as api:
        statuses = {(await api.get("/workflow-definitions")).status_code for _ in range(300)}
    assert statuses == {200}
