"""Operator lookups for ``sluice tokens revoke``: which tenant owns a token.

Cross-tenant on purpose (the operator names a token, not a tenant): a token
goes through the global ``token_routes`` table by its hash; a token id, which
is not globally indexed, is found by a scan of ``api_tokens`` (a rare
operator command on a small table).
"""

from __future__ import annotations

import uuid

import asyncpg

from sluice_storage.tokens import hash_token


async def token_owner(conn: asyncpg.Connection, token_or_id: str) -> tuple[str, uuid.UUID] | None:
    """``(tenant, token id)`` of a token given as its secret or its id; None if unknown."""
    try:
        token_id = uuid.UUID(token_or_id)
    except ValueError:
        row = await conn.fetchrow(
            "SELECT tenant_id, token_id FROM token_routes WHERE token_hash = $1",
            hash_token(token_or_id),
        )
    else:
        row = await conn.fetchrow(
            "SELECT tenant_id, token_id FROM api_tokens WHERE token_id = $1", token_id
        )
    return (row["tenant_id"], row["token_id"]) if row else None
