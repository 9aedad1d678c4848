"""What every ``sluice`` command shares: failing with a reason, finding the database."""

from __future__ import annotations

import sys
from typing import NoReturn

import click

AUDIT_ACTOR = "cli"  # the actor of audit entries written by a `sluice` command
DATABASE_URL_HELP = "PostgreSQL DSN [default: WF_DATABASE_URL or the `sluice dev` stack]."


def fail(command: str, message: str) -> NoReturn:
    """``sluice <command>: error: <message>`` on stderr, exit status 1."""
    click.echo(f"sluice {command}: error: {message}", err=True)
    sys.exit(1)


def resolve_database_url(command: str, given: str | None) -> str:
    """``--database-url``, else ``WF_DATABASE_URL``, else the ``sluice dev`` connection file."""
    from sluice_config import load_settings

    url = given or load_settings().database_url
    if not url:
        fail(command, "no database configured: pass --database-url, set WF_DATABASE_URL "
             "or run `sluice dev`")  # fmt: skip
    return url
