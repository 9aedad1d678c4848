"""``sluice db upgrade`` / ``sluice db status``: the schema migrations.

The database comes from ``--database-url``, else ``WF_DATABASE_URL``, else the
connection file ``sluice dev`` wrote. Exit status 1 on any failure, with the
reason on stderr (a failed migration is rolled back; its version stays unapplied).
"""

from __future__ import annotations

import asyncio

import click

from sluice_cli.shell import DATABASE_URL_HELP, fail, resolve_database_url


@click.group("db")
def command() -> None:
    """Database schema: apply migrations, show their state."""


@command.command("upgrade")
@click.option("--database-url", default=None, help=DATABASE_URL_HELP)
def upgrade(database_url: str | None) -> None:
    """Apply every pending migration (safe to run concurrently and repeatedly)."""
    from sluice_storage import StorageError
    from sluice_storage.migrations import upgrade as run_upgrade

    url = resolve_database_url("db", database_url)
    try:
        applied = asyncio.run(run_upgrade(url, progress=lambda line: click.echo(line)))
    except (StorageError, OSError) as exc:
        fail("db", str(exc))
    except Exception as exc:  # asyncpg's errors (auth, unknown database) share no base with OSError
        fail("db", f"{type(exc).__name__}: {exc}")
    versions = ", ".join(m.label for m in applied) or "none (already up to date)"
    click.echo(f"applied: {versions}")


@command.command("status")
@click.option("--database-url", default=None, help=DATABASE_URL_HELP)
def status(database_url: str | None) -> None:
    """List every migration: applied (when), pending, changed or unknown."""
    from sluice_storage import StorageError
    from sluice_storage.migrations import status as read_status

    url = resolve_database_url("db", database_url)
    try:
        rows = asyncio.run(read_status(url))
    except (StorageError, OSError) as exc:
        fail("db", str(exc))
    except Exception as exc:  # see upgrade
        fail("db", f"{type(exc).__name__}: {exc}")
    for row in rows:
        when = row.applied_at.isoformat(timespec="seconds") if row.applied_at else "-"
        click.echo(f"{row.version:04d}  {row.name:<24} {row.state:<18} {when}")
    pending = sum(1 for row in rows if row.state == "pending")
    click.echo(f"{len(rows) - pending} applied, {pending} pending")
