"""``sluice seed --tenant T``: demo client, contact, email provider and the email workflow.

Idempotent (``sluice_helpdesk.seeding``): running it again creates nothing new
and republishes the workflow only when the shipped document changed. Prints one
line per thing it created or found. ``sluice dev`` runs it for the demo tenant.
"""

from __future__ import annotations

import asyncio
import sys
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from sluice_helpdesk.seeding import SeedReport


async def _seed(url: str, tenant: str, plugins: str) -> SeedReport:
    from sluice_config.clock import utc_now
    from sluice_engine import ActionHandlers, load_plugins
    from sluice_helpdesk.seeding import seed_tenant
    from sluice_storage import create_pool, transaction
    from workflow_core.registry import create_registry

    registry = create_registry()
    load_plugins(plugins, registry, ActionHandlers())  # the services' registry: same validation
    registry.freeze()
    pool = await create_pool(url, max_size=1)
    try:
        async with transaction(pool) as conn:
            return await seed_tenant(conn, tenant, registry, utc_now())
    finally:
        await pool.close()


@click.command("seed")
@click.option("--tenant", required=True, help="Tenant slug ([a-z0-9-]{1,63}).")
@click.option("--database-url", default=None, help="PostgreSQL DSN [default: WF_DATABASE_URL].")
def command(tenant: str, database_url: str | None) -> None:
    """Create demo help-desk data and publish the inbound-email workflow for TENANT."""
    from sluice_config import load_settings
    from sluice_helpdesk.seeding import SeedError
    from workflow_core.errors import SluiceError

    settings = load_settings()
    url = database_url or settings.database_url
    if not url:
        click.echo("sluice seed: error: no database configured: pass --database-url, set "
                   "WF_DATABASE_URL or run `sluice dev`", err=True)  # fmt: skip
        sys.exit(1)
    try:
        report = asyncio.run(_seed(url, tenant, settings.plugins))
    except (SeedError, SluiceError) as exc:  # bad tenant slug, invalid shipped workflow
        click.echo(f"sluice seed: error: {exc}", err=True)
        sys.exit(1)
    for line in report.lines:
        click.echo(f"{tenant}: {line}")
