"""``/auth/me``: who the bearer token is, so a client can offer only what it may do."""

from __future__ import annotations

from pydantic import Field
from sluice_http import sluice_router

from sluice_api.deps import PrincipalDep
from sluice_api.roles import Role, allows
from sluice_api.schemas.common import WireModel

router = sluice_router(prefix="/auth", tags=["auth"])


class WhoAmI(WireModel):
    tenant_id: str
    subject: str
    role: str = Field(description="the token's role")
    grants: list[Role] = Field(description="every role the token's role includes (SPEC 13)")


@router.get("/me", summary="The caller: tenant, subject, role and the roles it includes")
async def who_am_i(who: PrincipalDep) -> WhoAmI:
    grants = [role for role in Role if allows(who.role, role)]
    return WhoAmI(tenant_id=who.tenant_id, subject=who.subject, role=who.role, grants=grants)
