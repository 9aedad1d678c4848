"""What every ``sluice`` command shares: failing with a reason, finding the database,
reading a duration or a time."""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime, timedelta
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


_DURATION = re.compile(r"^(?P<n>\d+)(?P<unit>[smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
DURATION_OR_TIME = "a duration (30d, 12h, 90m, 2w, 45s) or an ISO 8601 time"


def parse_moment(text: str, now: datetime, *, direction: int) -> datetime:
    """``12h`` as ``now + direction * 12h`` (1: ahead, -1: ago), or an ISO 8601 time
    (UTC if naive); anything else is a ``click.BadParameter`` naming both forms."""
    match = _DURATION.match(text.strip())
    if match:
        return now + direction * timedelta(**{_UNITS[match["unit"]]: int(match["n"])})
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is neither {DURATION_OR_TIME}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
