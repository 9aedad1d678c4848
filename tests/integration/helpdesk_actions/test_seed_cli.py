"""``sluice seed --tenant T`` on the real database: demo records, the workflow, idempotent."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest
from click.testing import CliRunner
from sluice_cli.main import cli
from sluice_helpdesk import ClientRepository, ContactRepository, ProviderRepository, route_mailbox
from sluice_helpdesk.workflows import inbound_email_definition
from sluice_storage import DefinitionRepository

pytestmark = pytest.mark.integration


async def run_cli(*args: str) -> tuple[int, str]:
    """The real command in a worker thread (it runs its own event loop, as from a shell)."""
    result = await asyncio.to_thread(CliRunner().invoke, cli, list(args))
    return result.exit_code, result.stdout + result.stderr


async def test_seed_creates_demo_records_and_publishes_workflow_once(
    migrated_database_url: str, pool: asyncpg.Pool
) -> None:
    tenant = f"t-{uuid.uuid4().hex[:12]}"
    code, out = await run_cli("seed", "--tenant", tenant, "--database-url", migrated_database_url)
    again_code, again = await run_cli(
        "seed", "--tenant", tenant, "--database-url", migrated_database_url
    )
    assert (code, again_code) == (0, 0), out + again
    assert "published workflow 'Inbound Email Processing' v1" in out
    assert "is up to date" in again
    assert "created" not in again
    workflow_id = uuid.UUID(inbound_email_definition()["id"])
    async with pool.acquire() as conn:
        version = await DefinitionRepository(conn, tenant).get_version(workflow_id)
        provider = await ProviderRepository(conn, tenant).get("default")
        route = await route_mailbox(conn, f"SUPPORT@{tenant}.sluice.local")
        contacts = await ContactRepository(conn, tenant).list()
        clients = await ClientRepository(conn, tenant).list()
    assert version is not None
    assert version.version == 1
    assert version.trigger_event == "INBOUND_EMAIL_RECEIVED"
    assert version.payload_schema is not None
    assert provider is not None
    assert provider.defaults is not None
    assert provider.defaults["clientId"] == clients[0].client_id
    assert route is not None
    assert (route.tenant_id, route.provider_id) == (tenant, "default")
    assert [c.client_id for c in contacts] == [clients[0].client_id]


async def test_seed_refuses_an_invalid_tenant(migrated_database_url: str) -> None:
    code, out = await run_cli(
        "seed", "--tenant", "Bad_Tenant", "--database-url", migrated_database_url
    )
    assert code == 1
    assert "invalid tenant" in out
