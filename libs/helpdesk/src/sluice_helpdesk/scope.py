"""Tenant scoping and the small shared pieces of the repositories.

Every repository is built for one tenant (``TicketRepository(conn, tenant_id)``)
and every query filters by it. JSON columns are written as ``$n::text::jsonb``
and read as ``col::text``, so the repositories work on any asyncpg connection,
with or without the JSON codecs of ``sluice_storage.pool``.
"""

from __future__ import annotations

import json
from typing import Any

# One definition of tenant scoping for every repository in Sluice.
from sluice_storage.tenancy import TENANT_RE, TenantScoped, check_tenant

__all__ = [
    "TENANT_RE",
    "TenantScoped",
    "check_tenant",
    "dump_json",
    "load_json",
    "normalise_address",
    "normalise_message_id",
]


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
