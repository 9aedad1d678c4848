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
from sluice_storage import ApiToken, connect, upgrade
from sluice_storage import authenticate as lookup

pytestmark = pytest.mark.integration
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def run_cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def authenticate(url: str, token: str) -> ApiToken | None:
    async def check() -> ApiToken | None:
        conn = await connect(url)
        try:
            return await lookup(conn, token, dt.datetime.now(dt.UTC))
        finally:
            await conn.close()

    return asyncio.run(check())


@pytest.fixture(scope="module")
def db_url(database_url: str) -> str:
    asyncio.run(upgrade(database_url))
    return database_url


def test_create_prints_only_the_token_and_creates_the_tenant(db_url: str) -> None:
    tenant = f"t-{uuid.uuid4().hex[:12]}"
    code, out, _ = run_cli(
        "tokens", "create", "--tenant", tenant, "--role", "workflow.publish",
        "--subject", "alice", "--expires", "30d", "--database-url", db_url,
    )  # fmt: skip
    assert code == 0
    token = out.strip()
    assert out == token + "\n"
    assert token.startswith("slc_")
    found = authenticate(db_url, token)
    assert found is not None
    assert (found.tenant_id, found.role, found.subject) == (tenant, "workflow.publish", "alice")
    assert found.expires_at is not None


@pytest.mark.parametrize("by", ["token", "id"])
def test_revoke_by_token_or_id_makes_it_unusable(db_url: str, by: str) -> None:
    tenant = f"t-{uuid.uuid4().hex[:12]}"
    token = run_cli(
        "tokens", "create", "--tenant", tenant, "--role", "workflow.view", "--database-url", db_url
    )[1].strip()  # fmt: skip
    found = authenticate(db_url, token)
    assert found is not None
    code, _, err = run_cli(
        "tokens", "revoke", token if by == "token" else str(found.token_id),
        "--database-url", db_url,
    )  # fmt: skip
    assert code == 0, err
    assert authenticate(db_url, token) is None


def test_revoke_unknown_token_fails_with_a_reason(db_url: str) -> None:
    code, out, err = run_cli("tokens", "revoke", str(uuid.uuid4()), "--database-url", db_url)
    assert code == 1
    assert out == ""
    assert "no such token" in err


def test_create_refuses_an_unknown_role(db_url: str) -> None:
    code, out, _ = run_cli(
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
