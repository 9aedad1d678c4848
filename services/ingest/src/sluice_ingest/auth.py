"""Bearer tokens for the JSON form of ``POST /emails`` (the same tokens as the API).

Missing, unknown, expired or revoked -> 401; a role below ``workflow.manage``
(submitting email is submitting an event) -> 403. Raw mail needs no token:
its tenant comes only from the recipient mailbox.
"""

from __future__ import annotations

from sluice_http import ProblemError
from sluice_storage import authenticate

from sluice_ingest.context import IngestContext

ROLES = ("workflow.view", "workflow.manage", "workflow.publish", "workflow.admin")  # nested
NEEDED = "workflow.manage"
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


async def require_manager(ctx: IngestContext, authorization: str | None) -> str:
    """The token's tenant, when the token may submit email."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ProblemError(401, "UNAUTHENTICATED", "a bearer token is required", headers=_CHALLENGE)
    if ctx.pool is None:
        raise ProblemError(503, "UNAVAILABLE", "the database pool is not open")
    async with ctx.pool.acquire() as conn:
        found = await authenticate(conn, token.strip(), ctx.clock())
    if found is None:
        detail = "the bearer token is unknown, expired or revoked"
        raise ProblemError(401, "UNAUTHENTICATED", detail, headers=_CHALLENGE)
    if found.role not in ROLES or ROLES.index(found.role) < ROLES.index(NEEDED):
        detail = f"this needs role {NEEDED} or above; the token has {found.role}"
        raise ProblemError(403, "FORBIDDEN", detail)
    return found.tenant_id
