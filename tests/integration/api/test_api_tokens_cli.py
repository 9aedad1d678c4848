"""``sluice tokens create|revoke`` against the real database, checked through the API."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import click
import pytest
from click.testing import CliRunner
from sluice_cli.commands.tokens import parse_expiry
from sluice_cli.main import cli
from sluice_storage import ApiToken, connect
from sluice_storage import authenticate as lookup

pytestmark = pytest.mark.integration
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


async def run_cli(*args: str) -> tuple[int, str, str]:
    """The real command in a worker thread (it runs its own event loop, as from a shell)."""
    result = await asyncio.to_thread(CliRunner().invoke, cli, list(args))
    return result.exit_code, result.stdout, result.stderr


async def authenticate(url: str, token: str) -> ApiToken | None:
    conn = await connect(url)
    try:
        return await lookup(conn, token, dt.datetime.now(dt.UTC))
    finally:
        await conn.close()


@pytest.fixture
def db_url(migrated_database_url: str) -> str:
    return migrated_database_url


async def test_create_prints_only_the_token_and_creates_the_tenant(db_url: str) -> None:
    tenant = f"t-{uuid.uuid4().hex[:12]}"
    code, out, _ = await run_cli(
        "tokens", "create", "--tenant", tenant, "--role", "workflow.publish",
        "--subject", "alice", "--expires", "30d", "--database-url", db_url,
    )  # fmt: skip
    assert code == 0
    token = out.strip()
    assert out == token + "\n"
    assert token.startswith("slc_")
    found = await authenticate(db_url, token)
    assert found is not None
    assert (found.tenant_id, found.role, found.subject) == (tenant, "workflow.publish", "alice")
    assert found.expires_at is not None


@pytest.mark.parametrize("by", ["token", "id"])
async def test_revoke_by_token_or_id_makes_it_unusable(db_url: str, by: str) -> None:
    tenant = f"t-{uuid.uuid4().hex[:12]}"
    created = await run_cli(
        "tokens", "create", "--tenant", tenant, "--role", "workflow.view", "--database-url", db_url
    )  # fmt: skip
    token = created[1].strip()
    found = await authenticate(db_url, token)
    assert found is not None
    code, _, err = await run_cli(
        "tokens", "revoke", token if by == "token" else str(found.token_id),
        "--database-url", db_url,
    )  # fmt: skip
    assert code == 0, err
    assert await authenticate(db_url, token) is None


async def test_revoke_unknown_token_fails_with_a_reason(db_url: str) -> None:
    code, out, err = await run_cli("tokens", "revoke", str(uuid.uuid4()), "--database-url", db_url)
    assert code == 1
    assert out == ""
    assert "no such token" in err


async def test_create_refuses_an_unknown_role(db_url: str) -> None:
    code, out, _ = await run_cli(
        "tokens", "create", "--tenant", "t-x", "--role", "root", "--database-url", db_url
    )
    assert code == 2
    assert out == ""


def test_parse_expiry_reads_durations_and_iso_times() -> None:
    assert parse_expiry("12h", NOW) == NOW + dt.timedelta(hours=12)
    assert parse_expiry("2w", NOW) == NOW + dt.timedelta(weeks=2)
    assert parse_expiry("2026-02-01T00:00:00", NOW) == dt.datetime(2026, 2, 1, tzinfo=dt.UTC)
    with pytest.raises(click.BadParameter, match="in the past"):
        parse_expiry("2025-01-01T00:00:00+00:00", NOW)
