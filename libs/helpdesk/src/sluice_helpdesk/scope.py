"""Tenant scoping and the small shared pieces of the repositories.

Every repository is built for one tenant (``TicketRepository(conn, tenant_id)``)
and every query filters by it. JSON columns are written as ``$n::text::jsonb``
and read as ``col::text``, so the repositories work on any asyncpg connection,
with or without the JSON codecs of ``sluice_storage.pool``.
"""

from __future__ import annotations

import json
import re
from typing import Any

import asyncpg

from sluice_helpdesk.errors import InvalidTenantError

TENANT_RE = re.compile(r"^[a-z0-9-]{1,63}$")


def check_tenant(tenant_id: str) -> str:
    if not TENANT_RE.match(tenant_id):
        raise InvalidTenantError(f"invalid tenant id {tenant_id!r}: expected [a-z0-9-]{{1,63}}")
    return tenant_id


class TenantScoped:
    def __init__(self, conn: asyncpg.Connection, tenant_id: str) -> None:
        self.conn = conn
        self.tenant_id = check_tenant(tenant_id)


def dump_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def load_json(value: str | None) -> Any:
    return None if value is None else json.loads(value)


def normalise_address(address: str) -> str:
    """Email addresses compare case-insensitively (SPEC 12)."""
    return address.strip().lower()


def normalise_message_id(value: str) -> str:
    """Message-IDs compare after trimming spaces and angle brackets (SPEC 12)."""
    return "".join(value.split()).strip("<>")
