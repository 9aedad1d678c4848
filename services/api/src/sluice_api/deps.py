"""Request dependencies as ``Annotated`` aliases (the FastAPI template habit).

Auth: ``Authorization: Bearer <token>``; the token's hash is looked up in the
global routing table, which names its tenant, subject and role. Missing, bad,
expired or revoked -> 401; a role too low -> 403. Every repository a route
builds is scoped to the principal's tenant, so another tenant's id is simply
not found (404, never 403).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Path, Query, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sluice_http import ProblemError
from sluice_storage import authenticate
from sluice_telemetry import bind_tenant

from sluice_api.context import ApiContext
from sluice_api.roles import Principal, Role, allows

_bearer = HTTPBearer(auto_error=False, description="an API token from `sluice tokens create`")
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


def get_context(request: Request) -> ApiContext:
    context: ApiContext = request.app.state.context
    return context


ContextDep = Annotated[ApiContext, Depends(get_context)]
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


async def get_principal(context: ContextDep, credentials: Credentials) -> Principal:
    if credentials is None:
        raise ProblemError(401, "UNAUTHENTICATED", "a bearer token is required", headers=_CHALLENGE)
    async with context.tx() as conn:
        token = await authenticate(conn, credentials.credentials, context.clock())
    if token is None:
        detail = "the bearer token is unknown, expired or revoked"
        raise ProblemError(401, "UNAUTHENTICATED", detail, headers=_CHALLENGE)
    bind_tenant(token.tenant_id)
    _within_rate(context, token.tenant_id)
    return Principal(token.tenant_id, token.subject, token.role, str(token.token_id))


def _within_rate(context: ApiContext, tenant_id: str) -> None:
    """429 with Retry-After when the tenant's bucket is empty (``sluice_http.rate_limit``)."""
    wait_s = context.rate_limits.take(tenant_id)
    if wait_s is None:
        return
    context.metrics.count_rate_limited(tenant_id)
    rate = context.rate_limits.rate(tenant_id).per_s
    detail = f"tenant {tenant_id} is over its rate of {rate:g} requests a second"
    raise ProblemError(429, "RATE_LIMITED", detail, headers={"Retry-After": str(wait_s)})


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require(role: Role) -> Callable[[Principal], Awaitable[Principal]]:
    async def check(principal: PrincipalDep) -> Principal:
        if not allows(principal.role, role):
            detail = f"this needs role {role.value} or above; the token has {principal.role}"
            raise ProblemError(403, "FORBIDDEN", detail)
        return principal

    return check


# The role is declared as the bearer scheme's scope (OpenAPI 3.1 lets a non-OAuth
# scheme list the roles it needs), so the document says who may call each route.
Viewer = Annotated[Principal, Security(require(Role.VIEW), scopes=[Role.VIEW.value])]
Manager = Annotated[Principal, Security(require(Role.MANAGE), scopes=[Role.MANAGE.value])]
Publisher = Annotated[Principal, Security(require(Role.PUBLISH), scopes=[Role.PUBLISH.value])]
Admin = Annotated[Principal, Security(require(Role.ADMIN), scopes=[Role.ADMIN.value])]

CursorQuery = Annotated[
    str | None,
    Query(
        max_length=1000,
        description="opaque: the nextCursor of the previous page of the same list and "
        "filters; any other value is refused with 400 INVALID_CURSOR",
    ),
]
LimitQuery = Annotated[
    int | None,
    Query(ge=1, description="page size; default 50, values above 500 are clamped"),
]

RunIdPath = Annotated[uuid.UUID, Path(alias="runId")]
DefinitionIdPath = Annotated[uuid.UUID, Path(alias="id")]
TaskIdPath = Annotated[uuid.UUID, Path(alias="id")]
LetterIdPath = Annotated[uuid.UUID, Path(alias="id")]
