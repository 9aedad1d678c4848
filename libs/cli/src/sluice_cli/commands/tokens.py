"""``sluice tokens create|revoke``: API bearer tokens (SPEC 13).

``create`` prints ONLY the token on stdout (scripts do ``T=$(sluice tokens
create ...)``); the tenant is created on first use. ``revoke`` takes the token
itself or its id. Both are written to the tenant's audit log.
"""

from __future__ import annotations

import asyncio
import re
import sys
from datetime import UTC, datetime, timedelta
from typing import NoReturn

import click

ROLES = ("workflow.view", "workflow.manage", "workflow.publish", "workflow.admin")
_DURATION = re.compile(r"^(?P<n>\d+)(?P<unit>[smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
AUDIT_SUBJECT = "cli"


def parse_expiry(text: str, now: datetime) -> datetime:
    """``30d``, ``12h``, ``90m``, ``2w``, ``45s`` from now, or an ISO 8601 time (UTC if naive)."""
    match = _DURATION.match(text.strip())
    if match:
        return now + timedelta(**{_UNITS[match["unit"]]: int(match["n"])})
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(
            f"{text!r} is neither a duration (30d, 12h, 90m, 2w) nor an ISO 8601 time"
        ) from None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    if moment <= now:
        raise click.BadParameter(f"{text!r} is in the past")
    return moment


def _now() -> datetime:
    return datetime.now(UTC)  # noqa: TID251 - the CLI is the shell: time is read here


def _fail(message: str) -> NoReturn:
    click.echo(f"sluice tokens: error: {message}", err=True)
    sys.exit(1)


def _database_url(given: str | None) -> str:
    from sluice_config import load_settings

    url = given or load_settings().database_url
    if not url:
        _fail(
            "no database configured: pass --database-url, set WF_DATABASE_URL or run `sluice dev`"
        )
    return url


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
                at=now, subject=AUDIT_SUBJECT, action="token.create",
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
                    at=now, subject=AUDIT_SUBJECT, action="token.revoke", target=str(token_id)
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
    from sluice_storage import StorageError

    now = _now()
    expires_at = parse_expiry(expires, now) if expires else None
    try:
        token = asyncio.run(_create(_database_url(database_url), tenant, role, subject,
                                    expires_at, now))  # fmt: skip
    except (StorageError, OSError) as exc:
        _fail(str(exc))
    click.echo(token)


@command.command("revoke")
@click.argument("token_or_id")
@click.option("--database-url", default=None, help="PostgreSQL DSN [default: WF_DATABASE_URL]")
def revoke(token_or_id: str, database_url: str | None) -> None:
    """Revoke a token, given as the token itself or its id."""
    found = asyncio.run(_revoke(_database_url(database_url), token_or_id, _now()))
    if found is None:
        _fail("no such token")
    click.echo(f"revoked token {found[1]} of tenant {found[0]}", err=True)
