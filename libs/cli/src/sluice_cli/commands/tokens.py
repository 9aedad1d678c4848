"""``sluice tokens create|revoke``: API bearer tokens (SPEC 13).

``create`` prints ONLY the token on stdout (scripts do ``T=$(sluice tokens
create ...)``); the tenant is created on first use. ``revoke`` takes the token
itself or its id. Both are written to the tenant's audit log.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

import click

from sluice_cli.shell import AUDIT_ACTOR, fail, parse_moment, resolve_database_url

ROLES = ("workflow.view", "workflow.manage", "workflow.publish", "workflow.admin")


def parse_expiry(text: str, now: datetime) -> datetime:
    """``30d``, ``12h``, ``90m``, ``2w``, ``45s`` from now, or an ISO 8601 time (UTC if naive)."""
    moment = parse_moment(text, now, direction=1)
    if moment <= now:
        raise click.BadParameter(f"{text!r} is in the past")
    return moment


async def _create(
    url: str, tenant: str, role: str, subject: str, expires: datetime | None, now: datetime
) -> str:
    from sluice_storage import AuditRepository, TokenRepository, create_pool, transaction

    pool = await create_pool(url, max_size=1)
    try:
        async with transaction(pool) as conn:
            issued = await TokenRepository(conn, tenant).create(
                subject=subject, role=role, now=now, expires_at=expires
            )
            await AuditRepository(conn, tenant).append(
                at=now, subject=AUDIT_ACTOR, action="token.create",
                target=str(issued.record.token_id), details={"role": role, "subject": subject},
            )  # fmt: skip
        return issued.token
    finally:
        await pool.close()


async def _revoke(url: str, token_or_id: str, now: datetime) -> tuple[str, str] | None:
    from sluice_storage import AuditRepository, TokenRepository, create_pool, transaction
    from sluice_storage.token_admin import token_owner

    pool = await create_pool(url, max_size=1)
    try:
        async with transaction(pool) as conn:
            owner = await token_owner(conn, token_or_id)
            if owner is None:
                return None
            tenant, token_id = owner
            if await TokenRepository(conn, tenant).revoke(token_id, now):
                await AuditRepository(conn, tenant).append(
                    at=now, subject=AUDIT_ACTOR, action="token.revoke", target=str(token_id)
                )
        return tenant, str(token_id)
    finally:
        await pool.close()


@click.group("tokens")
def command() -> None:
    """API bearer tokens: create (prints only the token), revoke."""


@command.command("create")
@click.option("--tenant", required=True, help="tenant slug [a-z0-9-]{1,63}; created if new")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--subject", default="operator", show_default=True, help="who the token is for")
@click.option("--expires", default=None, help="30d, 12h, 90m, 2w or an ISO 8601 time")
@click.option("--database-url", default=None, help="PostgreSQL DSN [default: WF_DATABASE_URL]")
def create(
    tenant: str, role: str, subject: str, expires: str | None, database_url: str | None
) -> None:
    """Create a token; stdout is the token and nothing else."""
    from sluice_config.clock import utc_now
    from sluice_storage import StorageError

    now = utc_now()
    expires_at = parse_expiry(expires, now) if expires else None
    try:
        url = resolve_database_url("tokens", database_url)
        token = asyncio.run(_create(url, tenant, role, subject, expires_at, now))
    except (StorageError, OSError) as exc:
        fail("tokens", str(exc))
    click.echo(token)


@command.command("revoke")
@click.argument("token_or_id")
@click.option("--database-url", default=None, help="PostgreSQL DSN [default: WF_DATABASE_URL]")
def revoke(token_or_id: str, database_url: str | None) -> None:
    """Revoke a token, given as the token itself or its id."""
    from sluice_config.clock import utc_now

    found = asyncio.run(
        _revoke(resolve_database_url("tokens", database_url), token_or_id, utc_now())
    )
    if found is None:
        fail("tokens", "no such token")
    click.echo(f"revoked token {found[1]} of tenant {found[0]}", err=True)
